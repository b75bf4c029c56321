package jobs

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"toolmap/survey/export"
)

// TestLoadStudyKey: the key comes from the key file when one is given,
// else from TOOLMAP_STUDY_KEY; a key file others can read is used with a
// warning; a missing or short key says how to make one.
func TestLoadStudyKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, export.MinKeyBytes)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == StudyKeyEnv {
				return v
			}
			return ""
		}
	}
	if got, warning, err := LoadStudyKey("", env(hex.EncodeToString(key))); err != nil || !bytes.Equal(got, key) || warning != "" {
		t.Errorf("from the environment: %x, %q, %v", got, warning, err)
	}
	if _, _, err := LoadStudyKey("", env("")); err == nil || !strings.Contains(err.Error(), StudyKeyEnv) || !strings.Contains(err.Error(), "head -c 32 /dev/urandom") {
		t.Errorf("no key: %v", err)
	}
	if _, _, err := LoadStudyKey("", env("0123abcd")); !errors.Is(err, export.ErrShortKey) || !strings.Contains(err.Error(), StudyKeyEnv) {
		t.Errorf("short key: %v", err)
	}

	dir := t.TempDir()
	private := filepath.Join(dir, "study.key")
	if err := os.WriteFile(private, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := env(hex.EncodeToString(bytes.Repeat([]byte{1}, export.MinKeyBytes)))
	if got, warning, err := LoadStudyKey(private, other); err != nil || !bytes.Equal(got, key) || warning != "" {
		t.Errorf("from a private key file (the file wins over the environment): %x, %q, %v", got, warning, err)
	}
	loose := filepath.Join(dir, "loose.key")
	if err := os.WriteFile(loose, key, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	got, warning, err := LoadStudyKey(loose, env(""))
	if err != nil || !bytes.Equal(got, key) || !strings.Contains(warning, "can be read by others (mode 0644): chmod 600 "+loose) {
		t.Errorf("from a key file others can read: %x, %q, %v", got, warning, err)
	}
	if _, _, err := LoadStudyKey(filepath.Join(dir, "missing.key"), env("")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key file: %v", err)
	}
}
