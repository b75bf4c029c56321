package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

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

// Digest returns the record of period, and whether there is one.
func (db *DB) Digest(period string) (DigestRecord, bool, error) {
	var (
		r  DigestRecord
		ok bool
	)
	err := db.View(func(tx *Tx) error {
		var err error
		r, ok, err = tx.Digest(period)
		return err
	})
	return r, ok, err
}

// Digests returns every digest record, oldest period first.
func (db *DB) Digests() ([]DigestRecord, error) {
	var out []DigestRecord
	err := db.View(func(tx *Tx) error {
		b, err := tx.digestBucket()
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var r DigestRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return db.corrupt(fmt.Sprintf("the digest record of %s", k), err)
			}
			r.Period = string(k)
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// BeginDigest runs Tx.BeginDigest in its own transaction, at the time of
// the database's clock.
func (db *DB) BeginDigest(period string) (DigestAction, error) {
	var a DigestAction
	err := db.Update(func(tx *Tx) error {
		var err error
		a, err = tx.BeginDigest(period, db.now())
		return err
	})
	return a, err
}

// ForceDigest runs Tx.ForceDigest in its own transaction.
func (db *DB) ForceDigest(period string) error {
	return db.Update(func(tx *Tx) error { return tx.ForceDigest(period, db.now()) })
}

// EndDigest runs Tx.EndDigest in its own transaction.
func (db *DB) EndDigest(period string, state DigestState, messageIDs []int, reason string) error {
	return db.Update(func(tx *Tx) error { return tx.EndDigest(period, state, messageIDs, reason, db.now()) })
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
			status, at, err := sessionStart(v)
			if err != nil {
				return db.corrupt(fmt.Sprintf("the session of respondent %d", int64(binary.BigEndian.Uint64(k))), err)
			}
			if status != survey.StatusAwaitingConsent && (from.IsZero() || !at.Before(from)) && (to.IsZero() || at.Before(to)) {
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
// Everything else of the session is left zero. It is several times faster
// than Responses, whose JSON decoding dominates the digest of a busy week.
// fn runs inside a read transaction: keep it short.
func (db *DB) DigestResponses(from, to time.Time, fn func(survey.RespondentID, survey.Session) error) error {
	r := &leanReader{intern: new(internTable)}
	return db.scanResponses(from, to, func(id survey.RespondentID, v []byte) error {
		var s survey.Session
		if err := r.session(v, &s); err != nil {
			return db.corrupt(fmt.Sprintf("the response of respondent %d", id), err)
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

// digestWorker decodes responses for ScanDigest, reusing one session.
type digestWorker struct {
	db *DB
	r  leanReader
	s  survey.Session
}

func newDigestWorker(db *DB) *digestWorker {
	return &digestWorker{db: db, r: leanReader{intern: new(internTable), reuse: true}}
}

func (w *digestWorker) read(seq int, id survey.RespondentID, v []byte, worker int, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error {
	if w.r.fastSession(v, &w.s) {
		return fn(worker, seq, id, &w.s)
	}
	if err := w.r.session(v, &w.s); err != nil {
		return w.db.corrupt(fmt.Sprintf("the response of respondent %d", id), err)
	}
	return fn(worker, seq, id, &w.s)
}

// A small JSON reader for the fields of a stored session that a digest
// reads (DB.DigestResponses). encoding/json spends most of its time on
// what a digest ignores (timestamps of every answer, the history, the
// draft) and on reflection; this reads the same bytes several times
// faster. It reads what json.Marshal writes for survey.Session as
// encoding/json does, skipping what it does not need; tests check the two
// agree.

var errSyntax = errors.New("invalid JSON")

type leanReader struct {
	b     []byte
	i     int
	depth int
	// intern holds short strings read before (ids, mostly), so that each
	// is allocated once per scan rather than once per response: a table of
	// internWays strings for each hash of the bytes, the oldest replaced.
	intern *internTable
	// reuse: session reuses the answers map and the Values of the
	// session it is given, and skips each answer's question and item
	// (its key in the answers map says them).
	reuse  bool
	values []string // backing store of Values when reusing
	seen   []string // keys of the answers read, when reusing
}

// Interning: strings up to maxInternLen bytes, internWays for each of
// internSets hashes.
const (
	maxInternLen = 40
	internSets   = 512
	internWays   = 4
)

type internTable struct {
	sets [internSets]struct {
		s    [internWays]string
		next uint8 // the way to replace next
	}
}

func (r *leanReader) fail(what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, r.i, what)
}

func (r *leanReader) space() {
	b, i := r.b, r.i
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			r.i = i
			return
		}
	}
	r.i = i
}

// next returns the next byte after white space, without consuming it; 0 at
// the end.
func (r *leanReader) next() byte {
	r.space()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *leanReader) expect(c byte) error {
	if r.next() != c {
		return r.fail(fmt.Sprintf("want %q", c))
	}
	r.i++
	return nil
}

// plainByte marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// rawString consumes a string and returns its bytes between the quotes,
// still escaped, whether it has escapes, and whether it is all ASCII.
func (r *leanReader) rawString() (raw []byte, escaped, ascii bool, err error) {
	if err := r.expect('"'); err != nil {
		return nil, false, false, err
	}
	b, i := r.b, r.i
	start := i
	ascii = true
	for {
		for i < len(b) && plainByte[b[i]] {
			i++
		}
		if i >= len(b) {
			r.i = i
			return nil, false, false, r.fail("unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			r.i = i + 1
			return b[start:i], escaped, ascii, nil
		case c == '\\':
			escaped = true
			i += 2
		case c < 0x20:
			r.i = i
			return nil, false, false, r.fail("control character in a string")
		default:
			ascii = false
			i++
		}
	}
}

// str consumes a string and returns its value; null reads as "".
func (r *leanReader) str() (string, error) {
	if r.next() == 'n' {
		return "", r.null()
	}
	start := r.i
	raw, escaped, ascii, err := r.rawString()
	if err != nil {
		return "", err
	}
	if !escaped && (ascii || utf8.Valid(raw)) {
		return r.string(raw), nil
	}
	var s string // rare: let encoding/json undo escapes and mend bad UTF-8
	if err := json.Unmarshal(r.b[start:r.i], &s); err != nil {
		return "", err
	}
	return s, nil
}

// string returns raw as a string, from the intern table when it is there.
func (r *leanReader) string(raw []byte) string {
	if r.intern == nil || len(raw) > maxInternLen || len(raw) == 0 {
		return string(raw)
	}
	// A cheap hash of the length and the ends: ids differ there.
	n := len(raw)
	h := uint32(n)*2654435761 ^ uint32(raw[0])<<16 ^ uint32(raw[n-1])<<8 ^ uint32(raw[n/2]) ^ uint32(raw[n-2+n/n])<<24
	set := &r.intern.sets[(h^h>>15)%internSets]
	for _, s := range set.s {
		if s == string(raw) {
			return s
		}
	}
	s := string(raw)
	set.s[set.next] = s
	set.next = (set.next + 1) % internWays
	return s
}

func (r *leanReader) null() error {
	if len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return nil
	}
	return r.fail("want null")
}

// maxDepth bounds the nesting skip follows.
const maxDepth = 1000

// skip consumes any value.
func (r *leanReader) skip() error {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return r.fail("nested too deeply")
	}
	switch c := r.next(); c {
	case '"':
		_, _, _, err := r.rawString()
		return err
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		r.i++
		if r.next() == end {
			r.i++
			return nil
		}
		for {
			if c == '{' {
				if _, _, _, err := r.rawString(); err != nil {
					return err
				}
				if err := r.expect(':'); err != nil {
					return err
				}
			}
			if err := r.skip(); err != nil {
				return err
			}
			switch r.next() {
			case ',':
				r.i++
			case end:
				r.i++
				return nil
			default:
				return r.fail("want , or the end of a container")
			}
		}
	case 0:
		return r.fail("unexpected end")
	default: // a number, true, false or null
		start := r.i
		for r.i < len(r.b) {
			switch r.b[r.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			r.i++
		}
	done:
		if !validLiteral(r.b[start:r.i]) {
			return r.fail("bad literal")
		}
		return nil
	}
}

// validLiteral reports whether b is a JSON number, true, false or null.
func validLiteral(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// object calls field for each key of an object; field consumes the value.
func (r *leanReader) object(field func(key []byte) error) error {
	if r.next() == 'n' {
		return r.null()
	}
	if err := r.expect('{'); err != nil {
		return err
	}
	if r.next() == '}' {
		r.i++
		return nil
	}
	for {
		r.space()
		start := r.i
		key, escaped, ascii, err := r.rawString()
		if err != nil {
			return err
		}
		if escaped || !ascii && !utf8.Valid(key) {
			var k string
			if err := json.Unmarshal(r.b[start:r.i], &k); err != nil {
				return err
			}
			key = []byte(k)
		}
		if err := r.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch r.next() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return r.fail("want , or }")
		}
	}
}

// strings reads an array of strings; when reusing, into r.values.
func (r *leanReader) strings() ([]string, error) {
	if r.next() == 'n' {
		return nil, r.null()
	}
	if err := r.expect('['); err != nil {
		return nil, err
	}
	if r.next() == ']' {
		r.i++
		return []string{}, nil
	}
	var out []string
	first := len(r.values)
	for {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		if r.reuse {
			r.values = append(r.values, s)
		} else {
			out = append(out, s)
		}
		switch r.next() {
		case ',':
			r.i++
		case ']':
			r.i++
			if r.reuse {
				return r.values[first:len(r.values):len(r.values)], nil
			}
			return out, nil
		default:
			return nil, r.fail("want , or ]")
		}
	}
}

func (r *leanReader) boolean() (bool, error) {
	switch {
	case r.next() == 'n':
		return false, r.null()
	case r.next() == 't' && len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "true":
		r.i += 4
		return true, nil
	case r.next() == 'f' && len(r.b)-r.i >= 5 && string(r.b[r.i:r.i+5]) == "false":
		r.i += 5
		return false, nil
	}
	return false, r.fail("want true or false")
}

// decodeDigestSession reads the fields of a stored session a digest needs:
// Source, CompletedAt, and each answer's Question, Item, Values, Other,
// Text and Skipped.
func decodeDigestSession(v []byte) (survey.Session, error) {
	var s survey.Session
	err := (&leanReader{}).session(v, &s)
	return s, err
}

// session reads v into s, as decodeDigestSession does. When r.reuse is
// set, s's answers map and Values are reused; otherwise s must be zero.
// It reads with loops rather than object's callbacks: they would put each
// answer on the heap.
func (r *leanReader) session(v []byte, s *survey.Session) error {
	r.b, r.i, r.depth = v, 0, 0
	answers := s.Answers
	if r.reuse {
		// The map keeps its entries until the end: an answer stored under
		// a key it had before overwrites it in place, where a new entry
		// would put its value on the heap (Answer is too big to be stored
		// in the map itself).
		r.values, r.seen = r.values[:0], r.seen[:0]
		defer func() {
			for k := range answers {
				if !slices.Contains(r.seen, k) {
					delete(answers, k)
				}
			}
		}()
	}
	*s = survey.Session{}
	if null, err := r.open(); err != nil || null {
		if err == nil && r.next() != 0 {
			err = r.fail("data after the session")
		}
		return err
	}
	for first := true; ; first = false {
		key, ok, err := r.member(first)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "source":
			s.Source, err = r.str()
		case "completed_at":
			var t string
			if t, err = r.str(); err == nil && t != "" {
				s.CompletedAt, err = time.Parse(time.RFC3339, t)
			}
		case "answers":
			err = r.answers(&answers)
		default:
			err = r.skip()
		}
		if err != nil {
			return err
		}
	}
	if r.next() != 0 {
		return r.fail("data after the session")
	}
	if len(answers) > 0 || r.reuse {
		s.Answers = answers
	}
	return nil
}

// open consumes the start of an object, or null.
func (r *leanReader) open() (null bool, err error) {
	if r.next() == 'n' {
		return true, r.null()
	}
	return false, r.expect('{')
}

// member consumes what comes before an object member's value (a comma
// unless first, the key, the colon) and returns the key; ok is false at
// the end of the object, which it consumes.
func (r *leanReader) member(first bool) (key []byte, ok bool, err error) {
	switch r.next() {
	case '}':
		r.i++
		return nil, false, nil
	case ',':
		if first {
			return nil, false, r.fail("want a key")
		}
		r.i++
	default:
		if !first {
			return nil, false, r.fail("want , or }")
		}
	}
	r.space()
	start := r.i
	key, escaped, ascii, err := r.rawString()
	if err != nil {
		return nil, false, err
	}
	if escaped || !ascii && !utf8.Valid(key) {
		var k string
		if err := json.Unmarshal(r.b[start:r.i], &k); err != nil {
			return nil, false, err
		}
		key = []byte(k)
	}
	return key, true, r.expect(':')
}

// answers reads the answers object into *m, making it when needed.
func (r *leanReader) answers(m *map[string]survey.Answer) error {
	if null, err := r.open(); err != nil || null {
		return err
	}
	for first := true; ; first = false {
		key, ok, err := r.member(first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		k := r.string(key)
		var a survey.Answer
		if err := r.answer(&a); err != nil {
			return err
		}
		if *m == nil {
			*m = make(map[string]survey.Answer, 16)
		}
		(*m)[k] = a
		if r.reuse {
			r.seen = append(r.seen, k)
		}
	}
}

// answer reads the fields of one answer a digest needs.
func (r *leanReader) answer(a *survey.Answer) error {
	if null, err := r.open(); err != nil || null {
		return err
	}
	for first := true; ; first = false {
		f, ok, err := r.member(first)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		switch string(f) {
		case "q":
			if r.reuse {
				err = r.skip()
			} else {
				a.Question, err = r.str()
			}
		case "item":
			if r.reuse {
				err = r.skip()
			} else {
				a.Item, err = r.str()
			}
		case "values":
			a.Values, err = r.strings()
		case "other":
			a.Other, err = r.str()
		case "text":
			a.Text, err = r.str()
		case "skipped":
			a.Skipped, err = r.boolean()
		default:
			err = r.skip()
		}
		if err != nil {
			return err
		}
	}
}

// errEnough stops reading a session early.
var errEnough = errors.New("enough")

// sessionStart reads a stored session's status and start time, stopping
// as soon as it has both.
func sessionStart(v []byte) (survey.Status, time.Time, error) {
	r := &leanReader{b: v}
	var (
		status          survey.Status
		started         time.Time
		gotStatus, gotT bool
	)
	err := r.object(func(key []byte) error {
		switch string(key) {
		case "status":
			st, err := r.str()
			status, gotStatus = survey.Status(st), true
			if err != nil {
				return err
			}
		case "started_at":
			t, err := r.str()
			if err != nil {
				return err
			}
			if t != "" {
				if started, err = time.Parse(time.RFC3339, t); err != nil {
					return err
				}
			}
			gotT = true
		default:
			if err := r.skip(); err != nil {
				return err
			}
		}
		if gotStatus && gotT {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return "", time.Time{}, err
	}
	return status, started, nil
}
