package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"toolmap/store"
)

// Backups takes a backup of the database into Dir every Every, keeping
// the newest Keep, each checked after it is written. The first is due
// Every after the newest backup already in the directory (at once if
// there is none), so restarts do not postpone backups; after a failure
// the next attempt comes in 10 minutes (or Every, if shorter). Schedule
// Run often (BackupsPoll), and at start-up: each Run takes a backup only
// when one is due.
type Backups struct {
	DB    *store.DB
	Dir   string
	Every time.Duration
	Keep  int
	Log   *slog.Logger
	Now   func() time.Time // default time.Now
	// Done, if set, is told of each attempt: the file written, or the
	// error.
	Done func(path string, err error)

	due time.Time // when the next backup is due; zero before the first Run
	off bool      // the directory cannot be made: no backups
}

// BackupsPoll is how often the Backups job looks whether one is due.
const BackupsPoll = time.Minute

// Run takes a backup if one is due.
func (b *Backups) Run(ctx context.Context) error {
	now := time.Now()
	if b.Now != nil {
		now = b.Now()
	}
	if b.off {
		return nil
	}
	if b.due.IsZero() {
		if err := os.MkdirAll(b.Dir, 0o700); err != nil {
			b.off = true
			return fmt.Errorf("scheduled backups are off: cannot create their directory %s: %w", b.Dir, err)
		}
		b.due = now
		if names, err := listBackups(b.Dir); err == nil && len(names) > 0 {
			if t, err := backupTime(names[len(names)-1]); err == nil {
				b.due = t.Add(b.Every)
			}
		}
	}
	if now.Before(b.due) {
		return nil
	}
	path, err := BackupOnce(b.DB, b.Dir, b.Keep, now)
	if err != nil {
		b.due = now.Add(min(b.Every, 10*time.Minute))
		err = fmt.Errorf("scheduled backup in %s: %w", b.Dir, err)
	} else {
		b.due = now.Add(b.Every)
		logOf(b.Log).Info("scheduled backup written", "file", path)
	}
	if b.Done != nil {
		b.Done(path, err)
	}
	return err
}

// Scheduled backups are named for the time they were taken, in UTC, so
// that their names sort in time order.
const (
	backupPrefix     = "toolmap-"
	backupSuffix     = ".db"
	backupTimeLayout = "20060102T150405Z"
)

// BackupOnce writes one scheduled backup of db into dir, named for now,
// checks it, and removes the oldest so that keep remain. Other files in
// dir are left alone. The copy is first taken beside the database
// (store.DB.Snapshot), so a slow backup disk holds no transaction of the
// bot's.
func BackupOnce(db *store.DB, dir string, keep int, now time.Time) (string, error) {
	path := filepath.Join(dir, backupPrefix+now.UTC().Format(backupTimeLayout)+backupSuffix)
	snap, err := db.Snapshot()
	if err != nil {
		return "", err
	}
	defer snap.Close()
	if err := store.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := io.Copy(w, snap)
		return err
	}); err != nil {
		return "", err
	}
	if _, err := store.CheckFile(path); err != nil {
		return path, fmt.Errorf("the backup %s fails its check: %w", path, err)
	}
	names, err := listBackups(dir)
	if err != nil {
		return path, err
	}
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return path, fmt.Errorf("remove an old backup: %w", err)
		}
		names = names[1:]
	}
	return path, nil
}

// listBackups returns the names of the scheduled backups in dir, oldest
// first. Other files are left alone.
func listBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := backupTime(e.Name()); err == nil && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// backupTime parses the time out of a scheduled backup's name.
func backupTime(name string) (time.Time, error) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, errors.New("not a backup")
	}
	s, ok = strings.CutSuffix(s, backupSuffix)
	if !ok {
		return time.Time{}, errors.New("not a backup")
	}
	return time.Parse(backupTimeLayout, s)
}
