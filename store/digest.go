package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
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
	// One session and one decoder for all: a session decoded into a new
	// variable each time would put each on the heap (about 17 MB of
	// garbage in a study of 100,000).
	var s survey.Session
	d := sessionDecoders.Get().(*sessionDecoder)
	defer sessionDecoders.Put(d)
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			s = survey.Session{}
			if err := d.decodeSession(v, &s, partStart); err != nil {
				return db.corrupt(fmt.Sprintf("the session of respondent %d", binary.BigEndian.Uint64(k)), err)
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

// DigestScan says what ScanDigest reads and how.
type DigestScan struct {
	// From and To bound the completion times read, To excluded; a zero
	// From or To leaves that end open.
	From, To time.Time
	// Workers is how many goroutines decode responses and call fn at
	// once; 0 or 1 decodes them one by one in the caller's goroutine.
	Workers int
	// Count, if set, is called once with the number of responses in the
	// range, before the first call of fn and in the same read
	// transaction, so that the two agree.
	Count func(n int)
}

// ScanDigest is DigestResponses for reading a whole study fast: it reads
// the same fields but each answer's question and item (its key in the
// answers map says them) from the digest index, a third of the bytes of
// the responses, on sc.Workers goroutines at once, and calls fn with the
// worker (0 to Workers-1), the response's position in completion order
// (0 for the first in the range) and the session. The calls of one worker
// come one at a time, in completion order; those of different workers at
// the same time. The session and its answers' Values are reused by the
// next call of the same worker: fn may keep the strings, not s. The first
// error stops the scan and is returned. It all runs inside one read
// transaction: keep fn short.
func (db *DB) ScanDigest(sc DigestScan, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error {
	workers := max(sc.Workers, 1)
	return db.view(func(tx *bbolt.Tx) error {
		if sc.Count != nil {
			n := 0
			if err := scanResponsesTx(db, tx, bucketDigestIndex, sc.From, sc.To, func(survey.RespondentID, []byte) error {
				n++
				return nil
			}); err != nil {
				return err
			}
			sc.Count(n)
		}
		if workers == 1 {
			w := newDigestWorker(db)
			seq := 0
			return scanResponsesTx(db, tx, bucketDigestIndex, sc.From, sc.To, func(id survey.RespondentID, v []byte) error {
				err := w.read(seq, id, v, 0, fn)
				seq++
				return err
			})
		}
		return scanParallel(db, tx, sc, workers, fn)
	})
}

// rawResponse is a response as stored, handed to a decoding worker. The
// bytes are bbolt's: valid until the read transaction ends, which waits
// for the workers.
type rawResponse struct {
	seq int
	id  survey.RespondentID
	v   []byte
}

// scanParallel iterates the responses in tx and decodes them on workers
// goroutines, in batches.
func scanParallel(db *DB, tx *bbolt.Tx, sc DigestScan, workers int, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error {
	const batch = 256
	var (
		stop     = make(chan struct{})
		stopOnce sync.Once
		firstErr error
		mu       sync.Mutex
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		stopOnce.Do(func() { close(stop) })
	}
	batches := make(chan []rawResponse, workers*2)
	for w := range workers {
		wg.Go(func() {
			dw := newDigestWorker(db)
			for b := range batches {
				select {
				case <-stop:
					continue // drain: the scan stops at the next batch
				default:
				}
				for _, r := range b {
					if err := dw.read(r.seq, r.id, r.v, w, fn); err != nil {
						fail(err)
						break
					}
				}
			}
		})
	}
	cur := make([]rawResponse, 0, batch)
	send := func() bool {
		select {
		case batches <- cur:
			cur = make([]rawResponse, 0, batch)
			return true
		case <-stop:
			return false
		}
	}
	seq := 0
	err := scanResponsesTx(db, tx, bucketDigestIndex, sc.From, sc.To, func(id survey.RespondentID, v []byte) error {
		cur = append(cur, rawResponse{seq: seq, id: id, v: v})
		seq++
		if len(cur) == batch && !send() {
			return errStopped
		}
		return nil
	})
	if err == nil && len(cur) > 0 {
		send()
	}
	close(batches)
	wg.Wait()
	if err != nil && !errors.Is(err, errStopped) {
		return err
	}
	return firstErr
}

var errStopped = errors.New("stopped")

// digestWorker decodes records of the digest index for ScanDigest,
// reusing one session.
type digestWorker struct {
	db *DB
	r  *recordReader
	s  survey.Session
}

func newDigestWorker(db *DB) *digestWorker {
	return &digestWorker{db: db, r: newRecordReader()}
}

func (w *digestWorker) read(seq int, id survey.RespondentID, v []byte, worker int, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error {
	if err := w.r.read(v, &w.s); err != nil {
		return w.db.corrupt(fmt.Sprintf("the digest index's record of respondent %d", id), err)
	}
	return fn(worker, seq, id, &w.s)
}
