package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/store"
)

// TestRestoreDrill is the README's restore drill: a backup taken while the
// bot runs, the bot stopped, the database replaced by the backup, the bot
// started again: the answers given before the backup are there and the
// respondent carries on from where the backup left them.
func TestRestoreDrill(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(61)
	r.u.Start("")
	r.tap("✅ I agree")
	r.tap("✊ Campaign or protest")
	r.waitText("Roughly how many people")

	backup := filepath.Join(t.TempDir(), "backup.db")
	stdout, stderr, err := runCmd(t, "", "backup", "--db", h.cfg.Database, "--out", backup)
	if err != nil {
		t.Fatalf("backup while the bot runs: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "through the running bot") || !strings.Contains(stdout, "1 session") {
		t.Errorf("backup said: %s", stdout)
	}
	fi, err := os.Stat(backup)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(backup), ".*tmp*")); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}

	// An answer after the backup: lost by the restore, as the drill says,
	// once Telegram has it confirmed. (Unconfirmed, Telegram would deliver
	// it again after the restart, and the restored bot would take it: that
	// made this test fail once under load.)
	r.tap("Over 500")
	r.waitText("How formal")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingUpdates() == 0 }); err != nil {
		t.Fatalf("updates never confirmed: %v", err)
	}

	if _, stderr, err := runCmd(t, "", "check", backup); err != nil {
		t.Fatalf("check the backup: %v\n%s", err, stderr)
	}
	h.stop()
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.cfg.Database, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(h.cfg.Database, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	sess, ok, err := db.Session(61)
	db.Close()
	if err != nil || !ok || sess.Answers["group_kind"].Values[0] != "campaign" || len(sess.Answers["size"].Values) != 0 {
		t.Fatalf("restored session: %v %v %+v", ok, err, sess.Answers)
	}
	h.start()
	r.u.Start("")
	r.waitText("Welcome back")
	if !strings.Contains(r.last().Rendered, "Roughly how many people") {
		t.Fatalf("after the restore, did not resume at question 2: %q", r.last().Rendered)
	}
	r.tap("Over 500")
	r.waitText("How formal")
}

// TestBackupOfAStoppedDatabase backs up a database no process holds, and
// refuses to overwrite the database with its own backup.
func TestBackupOfAStoppedDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "toolmap.db")
	if _, stderr, err := runCmd(t, completeDefault, "try", "--db", db); err != nil {
		t.Fatalf("try: %v\n%s", err, stderr)
	}
	out := filepath.Join(dir, "copy.db")
	stdout, stderr, err := runCmd(t, "", "backup", "--db", db, "--out", out)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if strings.Contains(stdout, "running bot") || !strings.Contains(stdout, "1 response") {
		t.Errorf("backup said: %s", stdout)
	}
	stdout, _, err = runCmd(t, "", "check", out)
	if err != nil || !strings.Contains(stdout, "ok: schema") || !strings.Contains(stdout, "1 response,") {
		t.Errorf("check: %v: %s", err, stdout)
	}
	before, _ := os.ReadFile(db)
	if _, _, err := runCmd(t, "", "backup", "--db", db, "--out", db); err == nil {
		t.Errorf("backup over the database itself was accepted")
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Errorf("the database changed")
	}
}

// TestCheckFindsProblems: a file that is not a database, and a database
// whose pages are damaged, both fail the check with status 1 and a
// pointer to the restore procedure; neither file is changed.
func TestCheckFindsProblems(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCmd(t, "", "check", garbage)
	if exitCode(err) != 1 || !strings.Contains(stderr, "not a toolmap database") || !strings.Contains(stderr, "docs/operations.md") {
		t.Errorf("check of garbage: %v\n%s", err, stderr)
	}

	// A real database with one page of a bucket overwritten.
	db := filepath.Join(dir, "damaged.db")
	s, err := store.Open(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		if err := s.Enqueue(bot.Outgoing{Kind: bot.OutSend, ChatID: int64(i), Text: strings.Repeat("x", 200)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	data, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	// Zero every page after the two meta pages, the freelist and the root:
	// the buckets' pages then hold nothing bbolt recognises.
	const page = 4096
	for off := 4 * page; off+page <= len(data); off += page {
		clear(data[off : off+16]) // the page header: id, flags, count
	}
	if err := os.WriteFile(db, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = runCmd(t, "", "check", db)
	if exitCode(err) != 1 {
		t.Errorf("check of a damaged database passed:\n%s", stderr)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(data, after) {
		t.Errorf("check changed the damaged file")
	}
}

// TestRunRefusesACorruptDatabase: the bot will not start on a file that
// is not a database, says how to restore, and leaves the file alone.
func TestRunRefusesACorruptDatabase(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "toolmap.db")
	cfg.Telegram.APIURL = srv.URL
	junk := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 4096)
	if err := os.WriteFile(cfg.Database, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	err := serve(context.Background(), cfg, func(string) string { return srv.Token() }, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "Restore the latest good backup") || !strings.Contains(err.Error(), "docs/operations.md") {
		t.Fatalf("serve on a corrupt database: %v", err)
	}
	if data, _ := os.ReadFile(cfg.Database); !bytes.Equal(data, junk) {
		t.Fatalf("the corrupt file was changed")
	}
}

// TestScheduledBackupsAtStart: the running bot takes a backup at start
// when the directory has none (jobs.Backups).
func TestScheduledBackupsAtStart(t *testing.T) {
	// In the running bot.
	h := newHarness(t, telegramtest.Options{})
	h.stop()
	h.cfg.Backup = BackupConfig{Dir: filepath.Join(t.TempDir(), "auto"), Every: Duration(time.Hour), Keep: 2}
	got := make(chan string, 1)
	h.backedUp = func(path string, err error) {
		if err != nil {
			t.Errorf("scheduled backup: %v", err)
		}
		got <- path
	}
	h.start()
	select {
	case path := <-got:
		if _, err := store.CheckFile(path); err != nil {
			t.Errorf("the scheduled backup fails its check: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no backup at start\n%s", h.logs.String())
	}
}
