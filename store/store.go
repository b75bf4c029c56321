package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors a caller can branch on. Errors returned by this package match them
// with errors.Is; their text is written for the operator and does not
// repeat the sentinel's.
var (
	// ErrLocked means another process (or another DB in this process) has
	// the database open.
	ErrLocked = errors.New("database is in use")
	// ErrNewerSchema means the database was written by a newer toolmap.
	ErrNewerSchema = errors.New("database schema is newer than this toolmap")
	// ErrCorrupt means the file is not a bbolt database, or a record in it
	// cannot be read.
	ErrCorrupt = errors.New("database is corrupt")
)

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = 100 * time.Millisecond

// Options configure Open. A nil *Options, and each zero field, means the
// default.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file lock before it fails with ErrLocked. Zero means DefaultTimeout; a
	// negative value tries once. Open never waits forever.
	Timeout time.Duration
	// NoSync skips fsync after each commit: faster, but a power cut can
	// lose the last commits. Only for tests, demos and imports.
	NoSync bool
	// Now is the clock, for the time of answer-log entries. Default time.Now.
	Now func() time.Time
	// ReadOnly opens the file with a shared lock, for export and backup
	// while no writer runs. It does not migrate an old schema.
	ReadOnly bool
	// CommitFault, if set, is called as each read-write transaction is
	// about to commit; an error from it rolls the transaction back, as a
	// full disk would. For tests of what happens when commits fail.
	CommitFault func() error
}

// DB is a toolmap database: one bbolt file. It is safe for concurrent use;
// write transactions run one at a time.
type DB struct {
	// swap guards bolt: every transaction holds it shared, and Compact
	// holds it alone while it swaps in the compacted file.
	swap     sync.RWMutex
	bolt     *bbolt.DB
	opts     bbolt.Options // what bolt was opened with, to open a compacted copy alike
	path     string
	now      func() time.Time
	readOnly bool
	fault    func() error

	referralSecret []byte     // see ReferralCode
	del            deliveries // the outcomes of the sender's deliveries (bot.go)
}

// Open opens the database at path, creating it (mode 0600, at the current
// schema) if it does not exist, and migrating an older schema. See the
// package documentation for the errors it returns.
func Open(path string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case o.Timeout == 0:
		o.Timeout = DefaultTimeout
	case o.Timeout < 0:
		o.Timeout = time.Nanosecond // bbolt: try once (0 would wait forever)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := sniff(path); err != nil {
		return nil, err
	}
	if o.ReadOnly {
		// bbolt would try to initialise an empty file, and fail to write.
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("database %s is empty: open it once without read-only to create it", path)
		}
	}
	bopts := bbolt.Options{
		Timeout:  o.Timeout,
		NoSync:   o.NoSync,
		ReadOnly: o.ReadOnly,
	}
	b, err := bbolt.Open(path, 0o600, &bopts)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, &storeError{
			msg:  fmt.Sprintf("database %s is in use by another toolmap process", path),
			errs: []error{ErrLocked, err},
		}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return nil, notBolt(path, err)
	case err != nil:
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db := &DB{bolt: b, opts: bopts, path: path, now: o.Now, readOnly: o.ReadOnly, fault: o.CommitFault}
	err = db.prepareOrRefuse()
	if err == nil {
		err = db.loadReferralSecret()
	}
	if err != nil {
		_ = b.Close() // the error that matters is err
		return nil, err
	}
	return db, nil
}

// Path returns the path the database was opened with.
func (db *DB) Path() string { return db.path }

// Close writes the delivery outcomes kept in memory (see Flush), closes
// the database and releases the file lock. It waits for open
// transactions to finish.
func (db *DB) Close() error {
	var flushErr error
	if !db.readOnly {
		flushErr = db.Flush()
	}
	db.swap.Lock()
	defer db.swap.Unlock()
	if err := db.bolt.Close(); err != nil {
		return errors.Join(flushErr, fmt.Errorf("close database %s: %w", db.path, err))
	}
	return flushErr
}

// storeError is an error whose text is complete in itself and which matches
// a sentinel (and the underlying cause) with errors.Is.
type storeError struct {
	msg  string
	errs []error
}

func (e *storeError) Error() string   { return e.msg }
func (e *storeError) Unwrap() []error { return e.errs }

func notBolt(path string, cause error) error {
	return &storeError{
		msg:  fmt.Sprintf("%s is not a toolmap database (%v): it will not be overwritten", path, cause),
		errs: []error{ErrCorrupt, cause},
	}
}

// corrupt reports a record that cannot be read.
func (db *DB) corrupt(what string, cause error) error {
	return &storeError{
		msg:  fmt.Sprintf("database %s: %s is corrupt: %v", db.path, what, cause),
		errs: []error{ErrCorrupt, cause},
	}
}

// bbolt meta page layout (internal/common): a 16-byte page header, then
// magic, version and page size as native-endian uint32s.
const (
	boltMagic      = 0xED0CDAED
	boltMetaOffset = 16
)

// sniff refuses, without writing anything, an existing non-empty file that
// does not start like a bbolt database. bbolt finds most of these itself,
// but reports some (a file smaller than two pages) with an error that
// cannot be told apart from an I/O failure. An empty file is left to bbolt,
// which initialises it.
func sniff(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	size := fi.Size()
	if size == 0 || !fi.Mode().IsRegular() {
		return nil
	}
	meta := func(off int64) (pageSize int64, ok bool) {
		var buf [boltMetaOffset + 12]byte
		if _, err := f.ReadAt(buf[:], off); err != nil {
			return 0, false
		}
		if binary.NativeEndian.Uint32(buf[boltMetaOffset:]) != boltMagic {
			return 0, false
		}
		return int64(binary.NativeEndian.Uint32(buf[boltMetaOffset+8:])), true
	}
	// The first meta page, or else the second one (bbolt recovers from
	// either), at each page size bbolt supports.
	if ps, ok := meta(0); ok && ps > 0 && size >= 2*ps {
		return nil
	}
	for ps := int64(1024); ps <= 1024<<14 && 2*ps <= size; ps <<= 1 {
		if got, ok := meta(ps); ok && got == ps {
			return nil
		}
	}
	return notBolt(path, berrors.ErrInvalid)
}
