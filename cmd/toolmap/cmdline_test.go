package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"toolmap/bot/telegramtest"
)

// TestCheckWhileBotRuns: check of the database a running bot holds reads
// a copy taken through the bot's admin socket (admin.socket of --config,
// kept when --db names that same database), and removes the copy.
func TestCheckWhileBotRuns(t *testing.T) {
	h := newHarnessWith(t, telegramtest.Options{}, func(h *harness) {
		h.cfg.Admin.Socket = filepath.Join(t.TempDir(), "admin.sock")
	})
	r := h.respondent(71)
	r.u.Start("")
	r.tap("✅ I agree")
	r.waitText("What kind of group")
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cfg := writeConfig(t, fmt.Sprintf("database: %s\nadmin:\n  socket: %s\n", h.cfg.Database, h.cfg.Admin.Socket))
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(wd, h.cfg.Database) // the same database, written otherwise
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--config", cfg}, {"--config", cfg, "--db", rel}, {"--config", cfg, h.cfg.Database}} {
		out, stderr, err := runCmd(t, "", append([]string{"check"}, args...)...)
		if err != nil || !strings.Contains(out, ": ok: schema") || !strings.Contains(out, "1 session") {
			t.Errorf("check %v while the bot runs: %v\n%s%s", args, err, out, stderr)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) != 0 {
		t.Errorf("the copy was left behind: %v", left)
	}
	// Another database than the config's: its bot would listen beside it,
	// not at the config's admin.socket.
	other := filepath.Join(t.TempDir(), "other.db")
	c := newCommand(env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}, "check", "")
	c.dbFlags("database and admin socket")
	if err := c.parse([]string{"--config", cfg, "--db", other}, 0); err != nil {
		t.Fatal(err)
	}
	got, err := c.settings()
	if err != nil || got.Database != other || got.AdminSocket() != other+".sock" {
		t.Errorf("--db %s with --config: database %s, socket %s (%v); want the socket beside it", other, got.Database, got.AdminSocket(), err)
	}
}
