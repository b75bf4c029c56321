package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
)

const week = "2026-W47"

func mustDigest(t *testing.T, db *store.DB, period string) (store.DigestRecord, bool) {
	t.Helper()
	var (
		r   store.DigestRecord
		ok  bool
		err error
	)
	_ = db.View(func(tx *store.Tx) error {
		r, ok, err = tx.Digest(period)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, ok
}

// TestBeginDigest is the state table of TELEGRAM.md §6 step 1.
func TestBeginDigest(t *testing.T) {
	at := func(clk *clock) time.Time { return clk.Now().UTC() }
	for _, tc := range []struct {
		name   string
		before func(t *testing.T, db *store.DB) // brings the record to a state
		want   store.DigestAction
		state  store.DigestState
		tries  int
	}{
		{name: "no record", before: func(*testing.T, *store.DB) {}, want: store.DigestPost, state: store.DigestPending, tries: 1},
		{name: "sent", before: func(t *testing.T, db *store.DB) {
			begin(t, db, store.DigestPost)
			end(t, db, store.DigestSent, 11, 12)
		}, want: store.DigestSkip, state: store.DigestSent, tries: 1},
		{name: "failed", before: func(t *testing.T, db *store.DB) {
			begin(t, db, store.DigestPost)
			end(t, db, store.DigestFailed)
		}, want: store.DigestPost, state: store.DigestPending, tries: 2},
		{name: "pending: crashed mid-send", before: func(t *testing.T, db *store.DB) {
			begin(t, db, store.DigestPost)
		}, want: store.DigestMarkedAmbiguous, state: store.DigestAmbiguous, tries: 1},
		{name: "ambiguous", before: func(t *testing.T, db *store.DB) {
			begin(t, db, store.DigestPost)
			end(t, db, store.DigestAmbiguous)
		}, want: store.DigestHeld, state: store.DigestAmbiguous, tries: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			db, _ := mustCreate(t, clk)
			tc.before(t, db)
			clk.Advance(time.Hour)
			got, err := beginDigest(db, week)
			if err != nil || got != tc.want {
				t.Fatalf("BeginDigest = %q, %v; want %q", got, err, tc.want)
			}
			r, _ := mustDigest(t, db, week)
			if r.State != tc.state || r.Attempts != tc.tries {
				t.Errorf("record = %+v; want state %s, %d attempts", r, tc.state, tc.tries)
			}
			if got == store.DigestPost && (!r.StartedAt.Equal(at(clk)) || r.MessageIDs != nil || !r.EndedAt.IsZero()) {
				t.Errorf("a new attempt: %+v", r)
			}
		})
	}
}

func begin(t *testing.T, db *store.DB, want store.DigestAction) {
	t.Helper()
	if got, err := beginDigest(db, week); err != nil || got != want {
		t.Fatalf("BeginDigest = %q, %v; want %q", got, err, want)
	}
}

func end(t *testing.T, db *store.DB, state store.DigestState, ids ...int) {
	t.Helper()
	reason := ""
	if state != store.DigestSent {
		reason = "test"
	}
	if err := endDigest(db, week, state, ids, reason); err != nil {
		t.Fatalf("EndDigest(%s): %v", state, err)
	}
}

// TestDigestAcrossCrashes: the record, closed and reopened at each point of
// an attempt, never lets a period post twice.
func TestDigestAcrossCrashes(t *testing.T) {
	clk := newClock()
	path := filepath.Join(t.TempDir(), "toolmap.db")
	reopen := func(db *store.DB) *store.DB {
		if db != nil {
			mustClose(t, db)
		}
		db, err := store.Open(path, &store.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := reopen(nil)

	// A crash before BeginDigest commits leaves nothing: post.
	begin(t, db, store.DigestPost)
	// A crash after it (while sending): the next start marks it ambiguous
	// once, then holds it.
	db = reopen(db)
	begin(t, db, store.DigestMarkedAmbiguous)
	db = reopen(db)
	begin(t, db, store.DigestHeld)
	r, _ := mustDigest(t, db, week)
	if r.Reason == "" || r.EndedAt.IsZero() {
		t.Errorf("ambiguous without a reason or time: %+v", r)
	}

	// An admin forces a re-post; it is sent, and the record survives a
	// restart: nothing more is posted.
	clk.Advance(time.Hour)
	if err := db.Update(func(tx *store.Tx) error { return tx.ForceDigest(week, db.Now()) }); err != nil {
		t.Fatal(err)
	}
	end(t, db, store.DigestSent, 101, 102, 103)
	db = reopen(db)
	begin(t, db, store.DigestSkip)
	got, _ := mustDigest(t, db, week)
	want := store.DigestRecord{Period: week, State: store.DigestSent, Attempts: 2,
		StartedAt: clk.Now().UTC(), EndedAt: clk.Now().UTC(), MessageIDs: []int{101, 102, 103}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
	mustClose(t, db)
	if n := contents(t, path)["digests"]; n != 1 { // the one record, of week
		t.Errorf("digests bucket has %d keys, want 1", n)
	}
}

func TestEndDigestNotPending(t *testing.T) {
	db, _ := mustCreate(t, newClock())
	if err := endDigest(db, week, store.DigestSent, []int{1}, ""); !errors.Is(err, store.ErrDigestState) {
		t.Errorf("EndDigest without a record = %v, want ErrDigestState", err)
	}
	begin(t, db, store.DigestPost)
	end(t, db, store.DigestSent, 1)
	if err := endDigest(db, week, store.DigestAmbiguous, nil, "late"); !errors.Is(err, store.ErrDigestState) {
		t.Errorf("EndDigest after sent = %v, want ErrDigestState", err)
	}
	if err := endDigest(db, week, store.DigestPending, nil, ""); err == nil {
		t.Error("EndDigest accepted pending as an outcome")
	}
	if _, err := beginDigest(db, ""); err == nil {
		t.Error("BeginDigest accepted an empty period")
	}
}

// TestDigestBeforeTheBucket: a database without the digests bucket (schema
// 2, or opened read-only) reads as having no records.
func TestDigestBeforeTheBucket(t *testing.T) {
	db, path := mustCreate(t, newClock())
	if _, ok := mustDigest(t, db, week); ok {
		t.Fatal("a record in a new database")
	}
	mustClose(t, db)
	if n := contents(t, path)["digests"]; n != 0 {
		t.Fatalf("%d digest records in a new database", n)
	}
	ro := mustOpen(t, path, &store.Options{ReadOnly: true})
	if _, ok := mustDigest(t, ro, week); ok {
		t.Errorf("read-only Digest found a record")
	}
}

func TestCountStarted(t *testing.T) {
	def := testDef(t)
	clk := newClock() // 1 March 2025, 09:00 UTC
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 1, devRun...)      // started 09:00:01, finished
	run(t, db, def, clk, 2, start, agree)   // started, in progress
	clk.Advance(24 * time.Hour)             // 2 March
	run(t, db, def, clk, 3, start, agree)   // started the next day
	run(t, db, def, clk, 4, start, decline) // withdrawn: not kept
	run(t, db, def, clk, 5, start)          // awaiting consent: not counted
	day1 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	for _, tc := range []struct {
		from, to time.Time
		want     int
	}{
		{day1, day2, 2},
		{day2, day2.Add(24 * time.Hour), 1},
		{time.Time{}, time.Time{}, 3},
		{day2, time.Time{}, 1},
		{time.Time{}, day1, 0},
	} {
		got, err := db.CountStarted(tc.from, tc.to)
		if err != nil || got != tc.want {
			t.Errorf("CountStarted(%v, %v) = %d, %v; want %d", tc.from, tc.to, got, err, tc.want)
		}
	}
}

// digestFields keeps what DigestResponses reads of a session.
func digestFields(s survey.Session) survey.Session {
	out := survey.Session{Source: s.Source, CompletedAt: s.CompletedAt}
	for k, a := range s.Answers {
		if out.Answers == nil {
			out.Answers = map[string]survey.Answer{}
		}
		out.Answers[k] = survey.Answer{Question: a.Question, Item: a.Item, Values: a.Values, Other: a.Other, Text: a.Text, Skipped: a.Skipped}
	}
	return out
}

// nasty are strings a respondent might type, and worse.
var nasty = []string{"", "plain", `quote " and \ backslash`, "<b>evil</b> & co", "emoji 😀 and é", "line\nbreak\ttab\r",
	"\u2028\u2029", "\x01\x1f control", "bad \xff utf-8", "\ufffd", "tools/events", "a\"b\\c/d", "k", "K"}

// randomSession is a completed session full of awkward strings.
func randomSession(rng *rand.Rand, at time.Time) survey.Session {
	pick := func() string { return nasty[rng.IntN(len(nasty))] }
	statuses := []survey.Status{survey.StatusCompleted, survey.StatusActive, survey.StatusAwaitingConsent}
	s := survey.Session{
		SurveyID: "toolmap-default", Version: 3, Language: "es", Status: statuses[rng.IntN(3)],
		Source:      pick(),
		Consent:     &survey.Consented{Version: 1, At: at},
		StartedAt:   at.Add(-time.Duration(rng.IntN(1000)) * time.Hour),
		CompletedAt: at,
		Cursor:      survey.Cursor{Question: pick(), Item: pick()},
		History:     []survey.Cursor{{Question: "a"}, {Question: pick(), Item: pick()}},
		Draft:       &survey.Draft{Values: []string{pick()}, Other: pick(), AwaitingOther: true},
	}
	for range rng.IntN(20) {
		a := survey.Answer{Question: pick(), Item: pick(), Other: pick(), Text: pick(), Skipped: rng.IntN(3) == 0, Version: 2, At: at}
		for range rng.IntN(5) {
			a.Values = append(a.Values, pick())
		}
		if rng.IntN(3) == 0 {
			n := rng.Float64()
			a.Number = &n
		}
		if s.Answers == nil {
			s.Answers = map[string]survey.Answer{}
		}
		s.Answers[a.Key()+pick()] = a
	}
	return s
}

// TestDigestResponses: DigestResponses reads what Responses reads, for the
// fields a digest uses, from sessions full of awkward strings; CountStarted
// counts as a full decoding would.
func TestDigestResponses(t *testing.T) {
	clk := newClock()
	db, _ := mustCreate(t, clk)
	rng := rand.New(rand.NewPCG(1, 2))
	var all []survey.Session
	err := db.Update(func(tx *store.Tx) error {
		for i := range 1500 {
			s := randomSession(rng, clk.Now().Add(time.Duration(i)*time.Minute))
			all = append(all, s)
			if err := tx.ApplyStep(survey.RespondentID(i+1), survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	from, to := clk.Now().Add(100*time.Minute), clk.Now().Add(1400*time.Minute)
	var want, got []survey.Session
	if err := db.Responses(from, to, func(_ survey.RespondentID, s survey.Session) error {
		want = append(want, digestFields(s))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.DigestResponses(from, to, func(_ survey.RespondentID, s survey.Session) error {
		got = append(got, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(want) != 1300 {
		t.Fatalf("%d responses, want 1300", len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DigestResponses (-Responses +got):\n%s", diff)
	}

	started := 0
	for _, s := range all {
		if s.Status != survey.StatusAwaitingConsent && !s.StartedAt.Before(from) && s.StartedAt.Before(to) {
			started++
		}
	}
	if n, err := db.CountStarted(from, to); err != nil || n != started {
		t.Errorf("CountStarted = %d, %v; want %d", n, err, started)
	}
}

// emptyDB returns the bytes of a new, empty database file.
func emptyDB(tb testing.TB) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "toolmap.db")
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// withRaw writes a database holding raw values under a response key (in
// the responses and the digest index) and a session key, with bbolt
// itself, and opens it read-only.
func withRaw(t *testing.T, empty, response, session []byte) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toolmap.db")
	if err := os.WriteFile(path, empty, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoSync: true, NoFreelistSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		// The digest index holds the record the store would write.
		if err := tx.Bucket([]byte("responses")).Put(make([]byte, 16), response); err != nil {
			return err
		}
		if err := tx.Bucket([]byte("digest_index")).Put(make([]byte, 16), store.IndexRecord(response)); err != nil {
			return err
		}
		return tx.Bucket([]byte("sessions")).Put(make([]byte, 8), session)
	})
	if cerr := b.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestDigestResponsesOdd: values that are not what json.Marshal writes are
// read as encoding/json would, or reported corrupt.
func TestDigestResponsesOdd(t *testing.T) {
	empty := emptyDB(t)
	for _, tc := range []struct {
		in                  string
		digestBad, countBad bool // DigestResponses, CountStarted report it corrupt
	}{
		{``, true, true},
		{`{`, true, true},
		{`[]`, true, true},
		{`{"source":1}`, true, false},
		{`{"answers":{"q":{"values":["a",]}}}`, true, true},
		{`{"completed_at":"yesterday"}`, true, false},
		{`{"a":tru}`, true, true},
		{`{"a":"x"} extra`, true, false}, // CountStarted stops at the end of the object
		{`{"answers":{"k":{"skipped":"yes"}}}`, true, false},
		{`{"a":"` + "\x01" + `"}`, true, true},
		// Deeper than the decoder's own reading goes: encoding/json reads it.
		{`{"a":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, false, false},
		{`{"status":"active","started_at":"soon"}`, false, true},
	} {
		db := withRaw(t, empty, []byte(tc.in), []byte(tc.in))
		err := db.DigestResponses(time.Time{}, time.Time{}, func(survey.RespondentID, survey.Session) error { return nil })
		if got := errors.Is(err, store.ErrCorrupt); got != tc.digestBad {
			t.Errorf("DigestResponses(%.40q) = %v", tc.in, err)
		}
		if _, err := db.CountStarted(time.Time{}, time.Time{}); errors.Is(err, store.ErrCorrupt) != tc.countBad {
			t.Errorf("CountStarted(%.40q) = %v", tc.in, err)
		}
	}
	for _, in := range []string{
		`{}`, ` { "answers" : null , "source" : null } `,
		`{"x":{"y":[1,2.5e3,true,false,null,"s",{}]},"answers":{"k":null,"\u0074ools":{"values":null,"skipped":null}}}`,
		`{"source":"\u00e9\ud83d\ude00 \ufffd","answers":{"` + "\xff" + `":{"other":"a\u003cb"}}}`,
	} {
		db := withRaw(t, empty, []byte(in), []byte(in))
		var full survey.Session
		if err := json.Unmarshal([]byte(in), &full); err != nil {
			t.Fatal(err)
		}
		var got []survey.Session
		err := db.DigestResponses(time.Time{}, time.Time{}, func(_ survey.RespondentID, s survey.Session) error {
			got = append(got, s)
			return nil
		})
		if err != nil {
			t.Errorf("DigestResponses(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff([]survey.Session{digestFields(full)}, got); diff != "" {
			t.Errorf("DigestResponses(%q) (-encoding/json +got):\n%s", in, diff)
		}
	}
}

// FuzzDigestResponses: whatever a response holds, reading it for a digest
// does not panic, and agrees with encoding/json when both read it (keys
// written exactly; encoding/json also matches them ignoring case).
func FuzzDigestResponses(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3 {
		data, _ := json.Marshal(randomSession(rng, time.Unix(1e9, 0)))
		f.Add(data)
	}
	f.Add([]byte(`{"answers":{"k":{"values":["\u00e9\ud83d\ude00"]}}}`))
	empty := emptyDB(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		db := withRaw(t, empty, data, data)
		db.CountStarted(time.Time{}, time.Time{})
		var got []survey.Session
		err := db.DigestResponses(time.Time{}, time.Time{}, func(_ survey.RespondentID, s survey.Session) error {
			got = append(got, s)
			return nil
		})
		var scanned []survey.Session
		serr := db.ScanDigest(store.DigestScan{Workers: 1}, func(_, _ int, _ survey.RespondentID, s *survey.Session) error {
			c := *s
			if len(c.Answers) == 0 {
				c.Answers = nil
			}
			scanned = append(scanned, c)
			return nil
		})
		if (serr == nil) != (err == nil) {
			t.Fatalf("ScanDigest: %v; DigestResponses: %v", serr, err)
		}
		for i := range got {
			got[i] = withoutCursors(got[i])
		}
		if diff := cmp.Diff(got, scanned); err == nil && diff != "" {
			t.Errorf("(-DigestResponses +ScanDigest):\n%s", diff)
		}
		var full survey.Session
		if err != nil || json.Unmarshal(data, &full) != nil || strings.Contains(string(data), `\u`) || strings.ContainsAny(string(data), "ABCDEFGHIJKLMNOPQRSTUVWXYZ\u017f\u212a") {
			return
		}
		if diff := cmp.Diff([]survey.Session{digestFields(full)}, got); diff != "" {
			t.Errorf("(-encoding/json +got):\n%s", diff)
		}
	})
}

// withoutCursors clears each answer's question and item, which ScanDigest
// leaves out.
func withoutCursors(s survey.Session) survey.Session {
	if s.Answers == nil {
		return s
	}
	out := map[string]survey.Answer{}
	for k, a := range s.Answers {
		a.Question, a.Item = "", ""
		out[k] = a
	}
	s.Answers = out
	return s
}

// TestScanDigest: ScanDigest reads what DigestResponses reads, with each
// response's position, on any number of workers; Count comes first with
// the number in the range; an error from fn stops the scan.
func TestScanDigest(t *testing.T) {
	clk := newClock()
	db, _ := mustCreate(t, clk)
	rng := rand.New(rand.NewPCG(5, 6))
	err := db.Update(func(tx *store.Tx) error {
		for i := range 1200 {
			s := randomSession(rng, clk.Now().Add(time.Duration(i)*time.Minute))
			if err := tx.ApplyStep(survey.RespondentID(i+1), survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	from, to := clk.Now().Add(50*time.Minute), clk.Now().Add(1100*time.Minute)
	type got struct {
		id survey.RespondentID
		s  survey.Session
	}
	var want []got
	if err := db.DigestResponses(from, to, func(id survey.RespondentID, s survey.Session) error {
		want = append(want, got{id, withoutCursors(s)})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{0, 1, 2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			var mu sync.Mutex
			counted := -1
			seen := make([]got, len(want))
			last := make([]int, max(workers, 1))
			for i := range last {
				last[i] = -1
			}
			err := db.ScanDigest(store.DigestScan{From: from, To: to, Workers: workers, Count: func(n int) { counted = n }},
				func(w, seq int, id survey.RespondentID, s *survey.Session) error {
					mu.Lock()
					defer mu.Unlock()
					if counted != len(want) {
						t.Errorf("fn before Count, or Count = %d, want %d", counted, len(want))
					}
					if seq <= last[w] {
						t.Errorf("worker %d: seq %d after %d", w, seq, last[w])
					}
					last[w] = seq
					c := *s // s is reused: keep a deep copy
					c.Answers = map[string]survey.Answer{}
					for k, a := range s.Answers {
						a.Values = slices.Clone(a.Values)
						c.Answers[k] = a
					}
					if len(c.Answers) == 0 {
						c.Answers = nil
					}
					seen[seq] = got{id, c}
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, seen, cmp.AllowUnexported(got{})); diff != "" {
				t.Errorf("ScanDigest (-DigestResponses +got):\n%s", diff)
			}
			stop := errors.New("stop")
			calls := 0
			err = db.ScanDigest(store.DigestScan{From: from, To: to, Workers: workers}, func(int, int, survey.RespondentID, *survey.Session) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				return stop
			})
			if !errors.Is(err, stop) || calls > max(workers, 1) {
				t.Errorf("an error from fn: %v after %d calls", err, calls)
			}
		})
	}
}

// The steps of a digest, each in its own transaction at the database's
// clock, as the digest job takes them.

func beginDigest(db *store.DB, period string) (store.DigestAction, error) {
	var a store.DigestAction
	err := db.Update(func(tx *store.Tx) error {
		var err error
		a, err = tx.BeginDigest(period, db.Now())
		return err
	})
	return a, err
}

func endDigest(db *store.DB, period string, state store.DigestState, messageIDs []int, reason string) error {
	return db.Update(func(tx *store.Tx) error { return tx.EndDigest(period, state, messageIDs, reason, db.Now()) })
}
