package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Digest bookkeeping (TELEGRAM.md §6): one record per period, so that a
// digest is posted at most once per period across crashes. Telegram sends
// carry no idempotency key, so a crash between a send and its record leaves
// the period ambiguous rather than posting twice.

// bucketDigests holds the digest records: period ("2026-W47") → DigestRecord
// JSON. It belongs to schema 3 (see createDigestBuckets); until the schema
// is bumped, the first write creates it.
var bucketDigests = []byte("digests")

// createDigestBuckets adds the digest bookkeeping bucket. Buckets that exist
// are kept. It is the migration from schema 2 to 3.
func createDigestBuckets(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketDigests); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDigests, err)
	}
	return nil
}

// DigestState is where a period's digest stands.
type DigestState string

// The states of a digest record.
const (
	// DigestPending: an attempt to post began and has not been recorded as
	// ended. Found at the start of the next attempt, it means the process
	// stopped mid-send.
	DigestPending DigestState = "pending"
	// DigestSent: every part was posted; MessageIDs are Telegram's ids.
	DigestSent DigestState = "sent"
	// DigestFailed: Telegram refused the post (400, 403), so nothing more
	// was posted; a later attempt may try again.
	DigestFailed DigestState = "failed"
	// DigestAmbiguous: the post may or may not have gone out (a crash, a
	// timeout, a 5xx). It is never re-posted automatically: an admin
	// decides, with ForceDigest.
	DigestAmbiguous DigestState = "ambiguous"
)

// DigestRecord is the bookkeeping of one period's digest.
type DigestRecord struct {
	Period     string      `json:"-"`
	State      DigestState `json:"state"`
	Attempts   int         `json:"attempts"`
	StartedAt  time.Time   `json:"started_at,omitzero"`   // when the latest attempt began
	EndedAt    time.Time   `json:"ended_at,omitzero"`     // when it was recorded as ended
	MessageIDs []int       `json:"message_ids,omitempty"` // the parts posted, in order (also of a partial post)
	Reason     string      `json:"reason,omitempty"`      // why it failed or is ambiguous, for the admins
}

// DigestAction is what BeginDigest tells the caller to do.
type DigestAction string

// The outcomes of BeginDigest.
const (
	// DigestPost: the record is now pending with a new attempt: build the
	// digest, post it, and record the outcome with EndDigest.
	DigestPost DigestAction = "post"
	// DigestSkip: the period's digest was already sent.
	DigestSkip DigestAction = "skip"
	// DigestMarkedAmbiguous: an earlier attempt was in flight when the
	// process stopped; the record is now ambiguous. Tell the admins.
	DigestMarkedAmbiguous DigestAction = "marked_ambiguous"
	// DigestHeld: the record is ambiguous and waits for an admin to force
	// a re-post (ForceDigest) or leave it. Nothing to do.
	DigestHeld DigestAction = "held"
)

// ErrDigestState is matched by EndDigest's error when the record is not
// pending: the attempt it would end was not begun, or already ended.
var ErrDigestState = errors.New("digest record is not pending")

// digestBucket returns the digests bucket, creating it in a writable
// transaction when the schema does not have it yet; nil in a read-only one.
func (tx *Tx) digestBucket() (*bbolt.Bucket, error) {
	if b := tx.tx.Bucket(bucketDigests); b != nil || !tx.tx.Writable() {
		return b, nil
	}
	if err := createDigestBuckets(tx.tx); err != nil {
		return nil, err
	}
	return tx.tx.Bucket(bucketDigests), nil
}

// Digest returns the record of period, and whether there is one.
func (tx *Tx) Digest(period string) (DigestRecord, bool, error) {
	b, err := tx.digestBucket()
	if err != nil || b == nil {
		return DigestRecord{Period: period}, false, err
	}
	v := b.Get([]byte(period))
	if v == nil {
		return DigestRecord{Period: period}, false, nil
	}
	var r DigestRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return DigestRecord{Period: period}, false, tx.db.corrupt(fmt.Sprintf("the digest record of %s", period), err)
	}
	r.Period = period
	return r, true, nil
}

func (tx *Tx) putDigest(r DigestRecord) error {
	b, err := tx.digestBucket()
	if err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode the digest record of %s: %w", r.Period, err)
	}
	if err := b.Put([]byte(r.Period), data); err != nil {
		return fmt.Errorf("save the digest record of %s: %w", r.Period, err)
	}
	return nil
}

// BeginDigest is step 1 of posting period's digest, in the transaction:
//
//	no record, or failed → pending, attempts+1, started now → DigestPost
//	sent                 → unchanged                       → DigestSkip
//	pending              → ambiguous (a crash mid-send)     → DigestMarkedAmbiguous
//	ambiguous            → unchanged                       → DigestHeld
//
// The caller must not run two attempts at once in one process (a job that
// never overlaps itself, one lock shared with admin commands): a second
// BeginDigest while the first attempt is in flight takes it for a crash.
func (tx *Tx) BeginDigest(period string, now time.Time) (DigestAction, error) {
	if period == "" {
		return "", fmt.Errorf("begin a digest: empty period")
	}
	r, _, err := tx.Digest(period)
	if err != nil {
		return "", err
	}
	switch r.State {
	case DigestSent:
		return DigestSkip, nil
	case DigestAmbiguous:
		return DigestHeld, nil
	case DigestPending:
		r.State, r.EndedAt = DigestAmbiguous, now.UTC()
		r.Reason = "the process stopped while the digest was being posted"
		return DigestMarkedAmbiguous, tx.putDigest(r)
	}
	r.State, r.Attempts, r.StartedAt, r.EndedAt, r.MessageIDs, r.Reason = DigestPending, r.Attempts+1, now.UTC(), time.Time{}, nil, ""
	return DigestPost, tx.putDigest(r)
}

// ForceDigest begins a new attempt whatever the record says: an admin's
// explicit re-post of an ambiguous (or any) period. The record becomes
// pending with attempts+1; messages recorded before are forgotten.
func (tx *Tx) ForceDigest(period string, now time.Time) error {
	if period == "" {
		return fmt.Errorf("force a digest: empty period")
	}
	r, _, err := tx.Digest(period)
	if err != nil {
		return err
	}
	r.State, r.Attempts, r.StartedAt, r.EndedAt, r.MessageIDs, r.Reason = DigestPending, r.Attempts+1, now.UTC(), time.Time{}, nil, ""
	return tx.putDigest(r)
}

// EndDigest records how the pending attempt of period ended: sent, failed
// or ambiguous, with the ids of the messages posted (all of them, or the
// parts posted before a failure) and, unless sent, the reason. It fails
// with ErrDigestState when the record is not pending.
func (tx *Tx) EndDigest(period string, state DigestState, messageIDs []int, reason string, now time.Time) error {
	switch state {
	case DigestSent, DigestFailed, DigestAmbiguous:
	default:
		return fmt.Errorf("end the digest of %s: %q is not an outcome", period, state)
	}
	r, ok, err := tx.Digest(period)
	if err != nil {
		return err
	}
	if !ok || r.State != DigestPending {
		st := r.State
		if !ok {
			st = "absent"
		}
		return fmt.Errorf("end the digest of %s as %s: the record is %s: %w", period, state, st, ErrDigestState)
	}
	r.State, r.EndedAt, r.MessageIDs, r.Reason = state, now.UTC(), slices.Clone(messageIDs), reason
	if state == DigestSent {
		r.Reason = ""
	}
	return tx.putDigest(r)
}

// CountStarted counts the sessions started in [from, to) whose respondent
// agreed to the consent notice, finished or not; a zero from or to leaves
// that end open. Sessions still at the notice are not counted, nor those
// withdrawn (they are not kept). It reads every session, but only as far
// as its status and start time, which json.Marshal writes near the start.
func (db *DB) CountStarted(from, to time.Time) (int, error) {
	n := 0
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			s, err := db.decodeSession(v, partStart, survey.RespondentID(binary.BigEndian.Uint64(k)), false)
			if err != nil {
				return err
			}
			if s.Status != survey.StatusAwaitingConsent && (from.IsZero() || !s.StartedAt.Before(from)) && (to.IsZero() || s.StartedAt.Before(to)) {
				n++
			}
			return nil
		})
	})
	return n, err
}

// DigestResponses is Responses for digests: it calls fn for each response
// first completed in [from, to), in completion order, but decodes only
// what a digest reads: the source, the completion time, and each answer's
// question, item, values, Other… text, text and whether it was skipped.
// Everything else of the session is left zero (partDigest): decoding
// dominates the digest of a busy week.
// fn runs inside a read transaction: keep it short.
func (db *DB) DigestResponses(from, to time.Time, fn func(survey.RespondentID, survey.Session) error) error {
	return db.scanResponses(from, to, func(id survey.RespondentID, v []byte) error {
		s, err := db.decodeSession(v, partDigest, id, true)
		if err != nil {
			return err
		}
		return fn(id, s)
	})
}
