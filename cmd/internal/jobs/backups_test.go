package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"toolmap/store"
)

// TestScheduledBackups: BackupOnce names backups by time, writes them
// 0600, keeps the newest N and leaves other files alone.
func TestScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "toolmap.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bdir := filepath.Join(dir, "backups")
	if err := os.Mkdir(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(bdir, "notes.txt")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, err := BackupOnce(s, bdir, 3, t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	names, err := listBackups(bdir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"toolmap-20260301T040000Z.db", "toolmap-20260301T050000Z.db", "toolmap-20260301T060000Z.db"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("backups kept = %v, want %v", names, want)
	}
	if fi, err := os.Stat(filepath.Join(bdir, want[0])); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v %v", fi, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another file was removed: %v", err)
	}
}

// TestBackupsWhenDue: the first backup is due Every after the newest one
// in the directory, or at once; the next Every after it; after a failure,
// 10 minutes later.
func TestBackupsWhenDue(t *testing.T) {
	dir := t.TempDir()
	s, err := store.Open(filepath.Join(dir, "toolmap.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bdir := filepath.Join(dir, "backups")
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	if err := os.Mkdir(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := BackupOnce(s, bdir, 5, t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Hour)
	var taken []string
	b := &Backups{DB: s, Dir: bdir, Every: 24 * time.Hour, Keep: 5, Now: func() time.Time { return now },
		Done: func(path string, err error) { taken = append(taken, fmt.Sprint(filepath.Base(path), " ", err != nil)) }}
	run := func(at time.Time, wantErr bool) {
		t.Helper()
		now = at
		if err := b.Run(t.Context()); (err != nil) != wantErr {
			t.Fatalf("Run at %v: %v", at, err)
		}
	}
	run(t0.Add(time.Hour), false)    // the newest is an hour old: not due
	run(t0.Add(24*time.Hour), false) // due
	run(t0.Add(25*time.Hour), false) // not due
	// A directory where the next backup goes makes it fail.
	if err := os.Mkdir(filepath.Join(bdir, "toolmap-20260303T020000Z.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	run(t0.Add(48*time.Hour), true)                 // due, fails
	run(t0.Add(48*time.Hour+9*time.Minute), false)  // not yet
	run(t0.Add(48*time.Hour+10*time.Minute), false) // again
	want := []string{"toolmap-20260302T020000Z.db false", ". true", "toolmap-20260303T021000Z.db false"}
	if fmt.Sprint(taken) != fmt.Sprint(want) {
		t.Errorf("backups taken: %q; want %q", taken, want)
	}
}
