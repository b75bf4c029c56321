package bot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadToken: the token comes from TOOLMAP_TELEGRAM_TOKEN, else from
// the token file, trimmed; without either, or with an empty file, the
// error says where to put one.
func TestLoadToken(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == TokenEnv {
				return v
			}
			return ""
		}
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("123:from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env, file string
		want      Token
	}{
		{" 123:from-env\n", file, "123:from-env"}, // the environment wins
		{"", file, "123:from-file"},
	} {
		if got, err := LoadToken(c.file, env(c.env)); err != nil || got != c.want {
			t.Errorf("env %q, file %q: got %q (%v), want %q", c.env, c.file, string(got), err, string(c.want))
		}
	}
	if _, err := LoadToken("", env("")); err == nil || !strings.Contains(err.Error(), TokenEnv) || !strings.Contains(err.Error(), "token_file") {
		t.Errorf("no token: %v", err)
	}
	if _, err := LoadToken(filepath.Join(t.TempDir(), "missing"), env("")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadToken(empty, env("")); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty file: %v", err)
	}
}
