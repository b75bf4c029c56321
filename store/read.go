package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Session returns the respondent's session and whether there is one.
func (db *DB) Session(id survey.RespondentID) (survey.Session, bool, error) {
	var (
		s  survey.Session
		ok bool
	)
	err := db.View(func(tx *Tx) error {
		var err error
		s, ok, err = tx.Session(id)
		return err
	})
	return s, ok, err
}

// Responses calls fn for each response completed (first completed, for a
// response changed after review) in [from, to), in completion order. A zero
// from or to leaves that end open. fn runs inside a read transaction: keep
// it short. An error from fn stops the scan and is returned.
func (db *DB) Responses(from, to time.Time, fn func(survey.RespondentID, survey.Session) error) error {
	return db.scanResponses(from, to, func(id survey.RespondentID, v []byte) error {
		s, err := db.decodeSession(v, partAll, id, true)
		if err != nil {
			return err
		}
		return fn(id, s)
	})
}

// CountResponses counts the responses first completed in [from, to); a
// zero from or to leaves that end open.
func (db *DB) CountResponses(from, to time.Time) (int, error) {
	n := 0
	err := db.scanResponses(from, to, func(survey.RespondentID, []byte) error {
		n++
		return nil
	})
	return n, err
}

func (db *DB) scanResponses(from, to time.Time, fn func(id survey.RespondentID, v []byte) error) error {
	return db.view(func(tx *bbolt.Tx) error { return scanResponsesTx(db, tx, bucketResponses, from, to, fn) })
}

// scanResponsesTx calls fn for each record of bucket (the responses, or
// the digest index) first completed in [from, to) in tx, in completion
// order, with its stored bytes.
func scanResponsesTx(db *DB, tx *bbolt.Tx, bucket []byte, from, to time.Time, fn func(id survey.RespondentID, v []byte) error) error {
	c := tx.Bucket(bucket).Cursor()
	k, v := c.First()
	if !from.IsZero() {
		k, v = c.Seek(u64(uint64(from.UnixNano())))
	}
	for ; k != nil; k, v = c.Next() {
		if len(k) != 16 {
			return db.corrupt("a response key", fmt.Errorf("%d bytes, want 16", len(k)))
		}
		if !to.IsZero() && binary.BigEndian.Uint64(k) >= uint64(to.UnixNano()) {
			break
		}
		if err := fn(survey.RespondentID(binary.BigEndian.Uint64(k[8:])), v); err != nil {
			return err
		}
	}
	return nil
}

// AnswerLog calls fn for each answer-log entry, grouped by respondent
// (ascending by the bits of the id) and in order within each; Seq orders
// the whole log. fn runs inside a read transaction: keep it short. An error
// from fn stops the scan and is returned.
func (db *DB) AnswerLog(fn func(LogEntry) error) error {
	return db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAnswerLog).ForEach(func(k, v []byte) error {
			if len(k) != 16 {
				return db.corrupt("an answer-log key", fmt.Errorf("%d bytes, want 16", len(k)))
			}
			var e LogEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return db.corrupt(fmt.Sprintf("answer-log entry %d", binary.BigEndian.Uint64(k[8:])), err)
			}
			e.Seq = binary.BigEndian.Uint64(k[8:])
			e.Respondent = survey.RespondentID(binary.BigEndian.Uint64(k[:8]))
			if e.Cursor == "" && e.Answer != nil {
				e.Cursor = e.Answer.Key()
			}
			return fn(e)
		})
	})
}

// Counter returns the value of a counter, such as CounterConsentDeclined;
// zero if it was never added to.
func (db *DB) Counter(name string) (uint64, error) {
	var n uint64
	err := db.View(func(tx *Tx) error {
		var err error
		n, err = tx.Counter(name)
		return err
	})
	return n, err
}

// Check runs bbolt's consistency check over the whole file and returns
// every problem it reports, matching ErrCorrupt; nil if there are none. It
// holds the writer lock while it runs (in a transaction it rolls back), so
// steps wait for it.
func (db *DB) Check() (err error) {
	db.swap.RLock()
	defer db.swap.RUnlock()
	var tx *bbolt.Tx
	if db.readOnly {
		tx, err = db.bolt.Begin(false)
	} else {
		// bbolt's check reads the freelist, which only the writer may touch
		// while other transactions run.
		tx, err = db.bolt.Begin(true)
	}
	if err != nil {
		return fmt.Errorf("check database %s: %w", db.path, err)
	}
	defer func() {
		if rerr := tx.Rollback(); rerr != nil && err == nil {
			err = fmt.Errorf("check database %s: %w", db.path, rerr)
		}
	}()
	var errs []error
	for err := range tx.Check() {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		if err := checkDigestIndex(tx); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return &storeError{
		msg:  fmt.Sprintf("database %s failed its consistency check (%d problems): %s", db.path, len(errs), strings.Join(msgs, "; ")),
		errs: append([]error{ErrCorrupt}, errs...),
	}
}

// Response returns the stored response of respondent id (as it was when
// they last completed the survey) and whether there is one.
func (db *DB) Response(id survey.RespondentID) (survey.Session, bool, error) {
	var (
		s  survey.Session
		ok bool
	)
	err := db.view(func(tx *bbolt.Tx) error {
		rk := tx.Bucket(bucketResponseKeys).Get(idKey(id))
		if rk == nil {
			return nil
		}
		v := tx.Bucket(bucketResponses).Get(rk)
		if v == nil {
			return nil
		}
		var err error
		s, err = db.decodeSession(v, partAll, id, true)
		ok = err == nil
		return err
	})
	return s, ok, err
}
