package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// view and update run a bbolt transaction while holding the swap lock
// shared, so that Compact cannot swap the file under it.
func (db *DB) view(fn func(*bbolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.View(fn)
}

func (db *DB) update(fn func(*bbolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.Update(fn)
}

// compactTxMax bounds one transaction of the copy, so memory stays small
// for a large database.
const compactTxMax = 64 << 20

// CompactStats says what Compact did.
type CompactStats struct {
	Before, After int64 // file sizes in bytes
}

// Compact rewrites the database into a fresh file holding only live
// records, and swaps it in place of the old one. bbolt reuses the pages of
// deleted records but never clears them, so the bytes of a deleted record
// stay in the file until the page is reused; a compacted file has none of
// them. It is how a deletion (Forget) reaches the disk.
//
// It works on an open database, the running bot's included: it waits for
// the transactions in progress, then holds every new one until the swap is
// done (a pause of about a second for a database of some tens of
// megabytes). The copy is written beside the file (its name with
// ".compact" added), with the file's permissions, synced to disk, and
// renamed over the file; the directory is synced too. The new file is
// opened, and so locked, before the rename, so no other process can open
// the database in between. On any failure before the rename the old file
// is untouched and the copy removed.
func (db *DB) Compact() (CompactStats, error) {
	if db.readOnly {
		return CompactStats{}, fmt.Errorf("compact database %s: it is open read-only", db.path)
	}
	db.swap.Lock()
	defer db.swap.Unlock()
	var st CompactStats
	fi, err := os.Stat(db.path)
	if err != nil {
		return st, fmt.Errorf("compact database %s: %w", db.path, err)
	}
	st.Before = fi.Size()
	tmp := db.path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return st, fmt.Errorf("compact database %s: remove an old copy: %w", db.path, err)
	}
	opts := db.opts
	opts.NoSync = false // the copy must be on disk before it replaces the file
	dst, err := bbolt.Open(tmp, fi.Mode().Perm(), &opts)
	if err != nil {
		return st, fmt.Errorf("compact database %s: create the copy: %w", db.path, err)
	}
	fail := func(err error) (CompactStats, error) {
		_ = dst.Close() // the error that matters is err
		_ = os.Remove(tmp)
		return st, fmt.Errorf("compact database %s: %w", db.path, err)
	}
	if err := os.Chmod(tmp, fi.Mode().Perm()); err != nil { // bbolt's create is subject to the umask
		return fail(err)
	}
	if err := bbolt.Compact(dst, db.bolt, compactTxMax); err != nil {
		return fail(err)
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, db.path); err != nil {
		return fail(err)
	}
	if err := syncDir(filepath.Dir(db.path)); err != nil {
		// The rename happened; the old file is gone from the directory.
		// Carry on with the new one, but say so.
		err = fmt.Errorf("compact database %s: sync the directory: %w", db.path, err)
		db.swapIn(dst)
		return st, err
	}
	db.swapIn(dst)
	if fi, err := os.Stat(db.path); err == nil {
		st.After = fi.Size()
	}
	return st, nil
}

// swapIn closes the old bolt file (unlinked by now) and keeps dst.
func (db *DB) swapIn(dst *bbolt.DB) {
	old := db.bolt
	db.bolt = dst
	_ = old.Close() // read-only to us now: its data is in dst
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
