package store

import (
	"fmt"
	"io"
	"os"

	"go.etcd.io/bbolt"
)

// WriteBackup writes a consistent copy of the whole database to w, from
// one read transaction: commits go on meanwhile (they only wait if the
// file must grow), and the copy is the database as of the moment the
// transaction began. The copy is itself a database that Open accepts. It
// returns the number of bytes written.
func (db *DB) WriteBackup(w io.Writer) (int64, error) {
	var n int64
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up database %s: %w", db.path, err)
	}
	return n, nil
}

// Counts is how many records of each kind a database holds.
type Counts struct {
	Schema    uint64 // the schema version
	Sessions  int    // respondents with a session (finished or not)
	Responses int    // completed responses
	AnswerLog int    // answer-log entries
	Outbox    int    // messages waiting to be sent
	Chats     int    // chat records
	Size      int64  // bytes of the file in use
}

// Counts counts the records in one read transaction, from each bucket's
// key count (no record is decoded).
func (db *DB) Counts() (Counts, error) {
	var c Counts
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		if c.Schema, err = db.readSchema(tx); err != nil {
			return err
		}
		for _, b := range []struct {
			name []byte
			n    *int
		}{
			{bucketSessions, &c.Sessions},
			{bucketResponses, &c.Responses},
			{bucketAnswerLog, &c.AnswerLog},
			{bucketOutbox, &c.Outbox},
			{bucketChats, &c.Chats},
		} {
			bk := tx.Bucket(b.name)
			if bk == nil {
				return db.corrupt("the schema", fmt.Errorf("bucket %s is missing", b.name))
			}
			*b.n = bk.Stats().KeyN
		}
		c.Size = tx.Size()
		return nil
	})
	return c, err
}

// prepareOrRefuse runs prepare, turning a panic of bbolt's on a damaged
// page into ErrCorrupt: a damaged file is refused with a clear message
// instead of crashing the program, and nothing is written to it.
func (db *DB) prepareOrRefuse() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = db.corrupt("a page", fmt.Errorf("%v", p))
		}
	}()
	return db.prepare()
}

// CheckFile opens the database or backup at path read-only, runs Check
// (bbolt's consistency check, the schema and the buckets) and returns
// what it holds. The file is never changed.
func CheckFile(path string) (Counts, error) {
	if _, err := os.Stat(path); err != nil {
		return Counts{}, err
	}
	db, err := Open(path, &Options{ReadOnly: true})
	if err != nil {
		return Counts{}, err
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		return Counts{}, err
	}
	return db.Counts()
}
