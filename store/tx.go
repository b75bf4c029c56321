package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// LogKind is what an answer-log entry records.
type LogKind string

// The kinds of answer-log entry.
const (
	LogSet       LogKind = "set"       // an answer was given or changed
	LogDropped   LogKind = "dropped"   // an answer was removed (an earlier answer changed, or a restart)
	LogCompleted LogKind = "completed" // the session completed: the response was written
	LogConsented LogKind = "consented" // the respondent agreed to a version of the consent notice
)

// LogEntry is one entry of the append-only answer log.
type LogEntry struct {
	Seq        uint64              `json:"-"`                    // position in the whole log, from the key
	Respondent survey.RespondentID `json:"respondent,omitempty"` // from the key; older entries repeat it
	At         time.Time           `json:"at"`                   // when it was committed, by Options.Now
	Survey     string              `json:"survey"`
	Version    int                 `json:"version"` // the survey version the session ran under
	Kind       LogKind             `json:"kind"`
	Cursor     string              `json:"cursor,omitempty"`  // the answer's Cursor.Key; stored only without an Answer
	Answer     *survey.Answer      `json:"answer,omitempty"`  // set and dropped
	Consent    int                 `json:"consent,omitempty"` // consented: the notice version
}

// CounterConsentDeclined counts declined consent notices (not people: a
// person who declines twice counts twice, as nothing else of theirs is kept).
const CounterConsentDeclined = "consent_declined"

// Tx is a transaction. It is valid only inside the function given to
// Update or View, and only on the goroutine that runs it.
type Tx struct {
	db *DB
	tx *bbolt.Tx
}

// Update runs fn in a read-write transaction, which commits (and, unless
// Options.NoSync, reaches the disk) if fn returns nil and rolls back
// otherwise. Write transactions run one at a time: do no network I/O in fn.
// fn runs exactly once.
func (db *DB) Update(fn func(*Tx) error) error {
	return db.update(func(tx *bbolt.Tx) error {
		if err := fn(&Tx{db: db, tx: tx}); err != nil {
			return err
		}
		if db.fault != nil {
			return db.fault()
		}
		return nil
	})
}

// View runs fn in a read-only transaction. A long one delays the growth
// of the file, and so the writers: keep it short.
func (db *DB) View(fn func(*Tx) error) error {
	return db.view(func(tx *bbolt.Tx) error { return fn(&Tx{db: db, tx: tx}) })
}

// Step runs one step of a respondent's conversation in one transaction: it
// loads the session (a zero Session if there is none), calls fn (the pure
// engine, typically a closure over survey.Step) and applies the result as
// ApplyStep does. If fn or the store fails, nothing is written. It returns
// fn's events, to be shown only after Step returns nil.
//
// fn runs inside the write transaction, exactly once: it must do no I/O.
func (db *DB) Step(id survey.RespondentID, fn func(survey.Session) (survey.Session, []survey.Event, error)) ([]survey.Event, error) {
	var events []survey.Event
	err := db.Update(func(tx *Tx) error {
		before, _, err := tx.Session(id)
		if err != nil {
			return err
		}
		after, evs, err := fn(before.Clone())
		if err != nil {
			return err
		}
		if err := tx.ApplyStep(id, before, after, evs); err != nil {
			return err
		}
		events = evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

// HasSession reports whether respondent id has a session, without
// decoding it.
func (tx *Tx) HasSession(id survey.RespondentID) bool {
	return tx.tx.Bucket(bucketSessions).Get(idKey(id)) != nil
}

// Session returns the respondent's session and whether there is one.
func (tx *Tx) Session(id survey.RespondentID) (survey.Session, bool, error) {
	v := tx.tx.Bucket(bucketSessions).Get(idKey(id))
	if v == nil {
		return survey.Session{}, false, nil
	}
	s, err := tx.db.decodeSession(v, partAll, id, false)
	return s, err == nil, err
}

// ApplyStep stores the outcome of one step: the session went from before to
// after, emitting events.
//
//   - A Withdrawn event (consent declined, or its prompt expired) forgets
//     the person as Forget does (a newcomer has only the session waiting
//     for consent; someone who declines a new notice loses what they gave
//     under the old one too, as they are told); "declined" adds one to the
//     consent_declined counter. Other events are then ignored.
//   - A source naming a personal referral code is checked and indexed
//     (see referral.go): one that traces to no one is stored as
//     ReferralUnknown.
//   - Otherwise after is saved; a session that gains consent (or agrees to
//     a new version of the notice) logs "consented"; each AnswerRecorded
//     that is not Unchanged logs "set", each AnswerDropped "dropped".
//   - A Completed event on a session that was not completed before writes
//     the response (a snapshot of after) and logs "completed". The response
//     keeps the key of the respondent's first completion, so a response
//     changed after review replaces the old one. A Completed event that only
//     shows the end again (an input after completion) writes no response.
func (tx *Tx) ApplyStep(id survey.RespondentID, before, after survey.Session, events []survey.Event) error {
	for _, ev := range events {
		if w, ok := ev.(survey.Withdrawn); ok {
			return tx.withdraw(id, w)
		}
	}
	if err := tx.noteSource(id, before.Source, &after.Source); err != nil {
		return err
	}
	data, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("encode the session of respondent %d: %w", id, err)
	}
	if err := tx.tx.Bucket(bucketSessions).Put(idKey(id), data); err != nil {
		return fmt.Errorf("save the session of respondent %d: %w", id, err)
	}
	now := tx.db.now().UTC()
	entry := func(kind LogKind) LogEntry {
		return LogEntry{Respondent: id, At: now, Survey: after.SurveyID, Version: after.Version, Kind: kind}
	}
	if c := after.Consent; c != nil && (before.Consent == nil || before.Consent.Version != c.Version || !before.Consent.At.Equal(c.At)) {
		e := entry(LogConsented)
		e.Consent = c.Version
		if err := tx.appendLog(e); err != nil {
			return err
		}
	}
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.AnswerRecorded:
			if ev.Unchanged {
				continue
			}
			e := entry(LogSet)
			e.Cursor, e.Answer = ev.Answer.Key(), &ev.Answer
			if err := tx.appendLog(e); err != nil {
				return err
			}
		case survey.AnswerDropped:
			e := entry(LogDropped)
			e.Cursor, e.Answer = ev.Answer.Key(), &ev.Answer
			if err := tx.appendLog(e); err != nil {
				return err
			}
		case survey.Completed:
			if !ev.Recorded {
				continue // only shows the end again
			}
			if err := tx.putResponse(id, after, now); err != nil {
				return err
			}
			if err := tx.appendLog(entry(LogCompleted)); err != nil {
				return err
			}
		}
	}
	return nil
}

// withdraw forgets the respondent, and counts a refusal.
func (tx *Tx) withdraw(id survey.RespondentID, w survey.Withdrawn) error {
	if _, err := tx.Forget(id); err != nil {
		return err
	}
	if w.Reason == "declined" {
		if err := tx.addCounter(CounterConsentDeclined, 1); err != nil {
			return err
		}
	}
	return nil
}

// putResponse writes the response of a completed session under the key of
// the respondent's first completion.
func (tx *Tx) putResponse(id survey.RespondentID, s survey.Session, now time.Time) error {
	keys := tx.tx.Bucket(bucketResponseKeys)
	var key []byte
	if k := keys.Get(idKey(id)); k != nil {
		if len(k) != 16 {
			return tx.db.corrupt(fmt.Sprintf("the response key of respondent %d", id), fmt.Errorf("%d bytes, want 16", len(k)))
		}
		key = append([]byte(nil), k...)
	} else {
		at := s.CompletedAt
		if at.IsZero() {
			at = now
		}
		key = responseKey(at, id)
		if err := keys.Put(idKey(id), key); err != nil {
			return fmt.Errorf("save the response key of respondent %d: %w", id, err)
		}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the response of respondent %d: %w", id, err)
	}
	if err := tx.tx.Bucket(bucketResponses).Put(key, data); err != nil {
		return fmt.Errorf("save the response of respondent %d: %w", id, err)
	}
	if err := tx.putDigestRecord(key, &s); err != nil {
		return fmt.Errorf("index the response of respondent %d: %w", id, err)
	}
	return nil
}

func (tx *Tx) appendLog(e LogEntry) error {
	b := tx.tx.Bucket(bucketAnswerLog)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("append to the answer log: %w", err)
	}
	// The key holds the respondent, and the answer its cursor: left out,
	// they cut a fifth of each entry (AnswerLog puts them back).
	stored := e
	stored.Respondent = 0
	if e.Answer != nil && e.Cursor == e.Answer.Key() {
		stored.Cursor = ""
	}
	data, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("encode an answer-log entry of respondent %d: %w", e.Respondent, err)
	}
	if err := b.Put(logKey(e.Respondent, seq), data); err != nil {
		return fmt.Errorf("append to the answer log: %w", err)
	}
	return nil
}

// Counter returns the value of a counter; zero if it was never added to.
func (tx *Tx) Counter(name string) (uint64, error) {
	v := tx.tx.Bucket(bucketCounters).Get([]byte(name))
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, tx.db.corrupt(fmt.Sprintf("counter %q", name), fmt.Errorf("%d bytes, want 8", len(v)))
	}
	return binary.BigEndian.Uint64(v), nil
}

func (tx *Tx) addCounter(name string, n uint64) error {
	v, err := tx.Counter(name)
	if err != nil {
		return err
	}
	if err := tx.tx.Bucket(bucketCounters).Put([]byte(name), u64(v+n)); err != nil {
		return fmt.Errorf("add to counter %q: %w", name, err)
	}
	return nil
}

// Keys. Respondent ids are the big-endian bits of the int64; times are
// UnixNano, big-endian, so keys sort by time from 1970 on.

func idKey(id survey.RespondentID) []byte { return u64(uint64(id)) }

func responseKey(at time.Time, id survey.RespondentID) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(at.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], uint64(id))
	return k
}

func logKey(id survey.RespondentID, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(id))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}
