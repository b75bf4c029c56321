package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
)

func TestStepDurable(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	events := run(t, db, def, clk, 42, start, agree, choose("dev"))
	ask, ok := events[len(events)-1].(survey.Ask)
	if !ok || ask.At.Question != "tools" {
		t.Fatalf("last event = %#v, want the Ask for tools", events[len(events)-1])
	}
	want, ok, err := db.Session(42)
	if err != nil || !ok {
		t.Fatalf("Session(42) = %v, %v", ok, err)
	}
	wantLog := answerLog(t, db)
	mustClose(t, db)

	db = mustOpen(t, path, &store.Options{Now: clk.Now})
	got, ok, err := db.Session(42)
	if err != nil || !ok {
		t.Fatalf("after reopening: Session(42) = %v, %v", ok, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session after reopening (-want +got):\n%s", diff)
	}
	if got.Status != survey.StatusActive || got.Cursor.Question != "tools" || got.Answers["role"].Values[0] != "dev" {
		t.Errorf("session after reopening: status %q, cursor %v, answers %v", got.Status, got.Cursor, got.Answers)
	}
	gotLog := answerLog(t, db)
	if diff := cmp.Diff(wantLog, gotLog); diff != "" {
		t.Errorf("answer log after reopening (-want +got):\n%s", diff)
	}
	if len(gotLog) != 2 {
		t.Errorf("answer log has %d entries, want consented and set", len(gotLog))
	}

	// The conversation carries on where it stopped.
	run(t, db, def, clk, 42, toggle("git"), done, text("fine"))
	if n, err := db.CountResponses(time.Time{}, time.Time{}); err != nil || n != 1 {
		t.Errorf("CountResponses = %d, %v; want 1", n, err)
	}
}

func TestStepWithdrawn(t *testing.T) {
	tests := []struct {
		name     string
		inputs   []survey.Input
		declined uint64
	}{
		{"declined", []survey.Input{start, decline}, 1},
		{"declined twice", []survey.Input{start, decline, start, decline}, 2},
		{"expired before consent", []survey.Input{start, expire}, 0},
		{"declined after changing language", []survey.Input{start, {Kind: survey.InputLanguage, Text: "en"}, decline}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, clk := testDef(t), newClock()
			db, path := mustCreate(t, clk)
			run(t, db, def, clk, 7, tt.inputs...)

			if _, ok, err := db.Session(7); err != nil || ok {
				t.Errorf("Session(7) = found %v, %v; want nothing stored", ok, err)
			}
			if got, err := db.Counter(store.CounterConsentDeclined); err != nil || got != tt.declined {
				t.Errorf("Counter = %d, %v; want %d", got, err, tt.declined)
			}
			mustClose(t, db)

			want := map[string]uint64{
				"meta": 2, "meta/schema": store.Schema, "meta/referral_secret": 32,
				"sessions": 0, "responses": 0, "response_keys": 0, "answer_log": 0,
				"counters": 0, "updates": 0, "seen": 0, "outbox": 0, "chats": 0, "digests": 0,
				"referrals": 0, "referral_of": 0, "referred": 0, "digest_index": 0,
			}
			if tt.declined > 0 {
				want["counters"] = 1
				want["counters/consent_declined"] = tt.declined
			}
			if diff := cmp.Diff(want, contents(t, path)); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepCompletion(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	events := run(t, db, def, clk, 5, devRun...)
	if c, ok := events[len(events)-1].(survey.Completed); !ok || !c.First {
		t.Fatalf("last event = %#v, want Completed{First: true}", events[len(events)-1])
	}
	first := clk.Now()
	want := []response{{ID: 5, Role: "dev", CompletedAt: first}}
	if diff := cmp.Diff(want, responses(t, db, time.Time{}, time.Time{})); diff != "" {
		t.Errorf("after completing (-want +got):\n%s", diff)
	}

	// An input after completion only shows the end again.
	clk.Advance(time.Hour)
	run(t, db, def, clk, 5, text("more"))
	// A change after review completes again: the response is replaced and
	// stays at the first completion time.
	clk.Advance(time.Hour)
	events = run(t, db, def, clk, 5, jump("role"), choose("ops"))
	if c, ok := events[len(events)-1].(survey.Completed); !ok || c.First {
		t.Fatalf("last event = %#v, want Completed{First: false}", events[len(events)-1])
	}
	want = []response{{ID: 5, Role: "ops", CompletedAt: first}}
	if diff := cmp.Diff(want, responses(t, db, first, first.Add(time.Nanosecond))); diff != "" {
		t.Errorf("after changing (-want +got):\n%s", diff)
	}
	if got := responses(t, db, first.Add(time.Nanosecond), time.Time{}); len(got) != 0 {
		t.Errorf("a response moved to a later completion time: %v", got)
	}
	var completed int
	for _, l := range answerLog(t, db) {
		if l.Kind == store.LogCompleted {
			completed++
		}
	}
	if completed != 2 {
		t.Errorf("%d completed entries in the log, want 2", completed)
	}
	mustClose(t, db)
	c := contents(t, path)
	if c["responses"] != 1 || c["response_keys"] != 1 {
		t.Errorf("responses %d, response_keys %d; want one each", c["responses"], c["response_keys"])
	}
}

func TestResponsesRange(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	var at []time.Time
	for i, in := range [][]survey.Input{devRun, opsRun, devRun} {
		clk.Advance(time.Hour)
		run(t, db, def, clk, survey.RespondentID(300-i), in...) // ids in the opposite order
		at = append(at, clk.Now())
	}
	r := []response{
		{ID: 300, Role: "dev", CompletedAt: at[0]},
		{ID: 299, Role: "ops", CompletedAt: at[1]},
		{ID: 298, Role: "dev", CompletedAt: at[2]},
	}
	var zero time.Time
	tests := []struct {
		name     string
		from, to time.Time
		want     []response
	}{
		{"all", zero, zero, r},
		{"from is inclusive", at[1], zero, r[1:]},
		{"to is exclusive", zero, at[2], r[:2]},
		{"one", at[1], at[1].Add(time.Nanosecond), r[1:2]},
		{"empty interval", at[1], at[1], nil},
		{"after the last", at[2].Add(time.Nanosecond), zero, nil},
		{"before the first", zero, at[0], nil},
		{"between", at[0].Add(time.Nanosecond), at[1], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := responses(t, db, tt.from, tt.to)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Responses (-want +got):\n%s", diff)
			}
			n, err := db.CountResponses(tt.from, tt.to)
			if err != nil || n != len(tt.want) {
				t.Errorf("CountResponses = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}

	errStop := errors.New("stop")
	calls := 0
	err := db.Responses(zero, zero, func(survey.RespondentID, survey.Session) error {
		calls++
		return errStop
	})
	if !errors.Is(err, errStop) || calls != 1 {
		t.Errorf("fn's error: got %v after %d calls, want errStop after 1", err, calls)
	}
}

func TestAnswerLog(t *testing.T) {
	const id = 9
	line := func(kind store.LogKind, cursor string, values ...string) logLine {
		return logLine{Respondent: id, Kind: kind, Cursor: cursor, Values: values}
	}
	consented := line(store.LogConsented, "")
	tests := []struct {
		name   string
		inputs []survey.Input
		want   []logLine
	}{
		{"set", []survey.Input{start, agree, choose("dev")},
			[]logLine{consented, line(store.LogSet, "role", "dev")}},
		{"no consent, no log", []survey.Input{start, choose("dev"), start},
			nil},
		{"unchanged is not logged", []survey.Input{start, agree, choose("dev"), back, choose("dev")},
			[]logLine{consented, line(store.LogSet, "role", "dev")}},
		{"changed", []survey.Input{start, agree, choose("dev"), back, choose("ops")},
			[]logLine{consented, line(store.LogSet, "role", "dev"), line(store.LogSet, "role", "ops")}},
		{"toggles are not answers", []survey.Input{start, agree, choose("ops"), toggle("git"), toggle("jira"), toggle("git")},
			[]logLine{consented, line(store.LogSet, "role", "ops")}},
		{"dropped by a change", append(devRun[:len(devRun):len(devRun)], jump("role"), choose("ops")),
			[]logLine{
				consented,
				line(store.LogSet, "role", "dev"),
				line(store.LogSet, "tools", "git"),
				{Respondent: id, Kind: store.LogSet, Cursor: "note", Text: "hello"},
				line(store.LogCompleted, ""),
				line(store.LogSet, "role", "ops"),
				{Respondent: id, Kind: store.LogDropped, Cursor: "note", Text: "hello"},
				line(store.LogCompleted, ""),
			}},
		{"dropped by a restart", []survey.Input{start, agree, choose("dev"), restart},
			[]logLine{consented, line(store.LogSet, "role", "dev"), line(store.LogDropped, "role", "dev")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, clk := testDef(t), newClock()
			db, _ := mustCreate(t, clk)
			run(t, db, def, clk, id, tt.inputs...)
			if diff := cmp.Diff(tt.want, answerLog(t, db)); diff != "" {
				t.Errorf("answer log (-want +got):\n%s", diff)
			}
		})
	}

	// The entries' metadata, and the sequence across respondents.
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 2, start, agree)
	run(t, db, def, clk, 1, start, agree)
	at := clk.Now()
	run(t, db, def, clk, 2, choose("dev"))
	var got []store.LogEntry
	if err := db.AnswerLog(func(e store.LogEntry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	answer := survey.Answer{Question: "role", Values: []string{"dev"}, Version: 1, At: at.Add(time.Second)}
	want := []store.LogEntry{
		{Seq: 2, Respondent: 1, At: at, Survey: "test", Version: 1, Kind: store.LogConsented, Consent: 1},
		{Seq: 1, Respondent: 2, At: at.Add(-2 * time.Second), Survey: "test", Version: 1, Kind: store.LogConsented, Consent: 1},
		{Seq: 3, Respondent: 2, At: at.Add(time.Second), Survey: "test", Version: 1, Kind: store.LogSet, Cursor: "role", Answer: &answer},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

func TestStepErrorRollsBack(t *testing.T) {
	errBoom := errors.New("boom")
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 1, devRun[:len(devRun)-1]...) // at the last question
	before, _, err := db.Session(1)
	if err != nil {
		t.Fatal(err)
	}
	logBefore := answerLog(t, db)

	tests := []struct {
		name string
		id   survey.RespondentID
		fn   func(survey.Session) (survey.Session, []survey.Event, error)
	}{
		{"engine completes, then fails", 1, func(s survey.Session) (survey.Session, []survey.Event, error) {
			s, events, err := survey.Step(def, s, text("hello"), clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			return s, events, errBoom
		}},
		{"new respondent", 2, func(s survey.Session) (survey.Session, []survey.Event, error) {
			s, events, _ := survey.Step(def, s, start, clk.Now())
			return s, events, errBoom
		}},
		{"engine misuse", 1, engine(&survey.Definition{}, start, clk.Now())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := db.Step(tt.id, tt.fn)
			if err == nil || events != nil {
				t.Fatalf("Step = %v, %v; want an error and no events", events, err)
			}
			if tt.name != "engine misuse" && !errors.Is(err, errBoom) {
				t.Errorf("got %v, want errBoom", err)
			}
		})
	}

	// ApplyStep inside Update rolls back with the function's error too.
	err = db.Update(func(tx *store.Tx) error {
		s, events, err := survey.Step(def, survey.Session{}, start, clk.Now())
		if err != nil {
			return err
		}
		if err := tx.ApplyStep(3, survey.Session{}, s, events); err != nil {
			return err
		}
		if _, ok, err := tx.Session(3); !ok || err != nil {
			t.Errorf("inside the transaction: Session(3) = %v, %v", ok, err)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update = %v, want errBoom", err)
	}

	after, _, err := db.Session(1)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("session changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(logBefore, answerLog(t, db)); diff != "" {
		t.Errorf("answer log changed (-before +after):\n%s", diff)
	}
	mustClose(t, db)
	c := contents(t, path)
	if c["sessions"] != 1 || c["responses"] != 0 || c["response_keys"] != 0 {
		t.Errorf("stored: %d sessions, %d responses, %d response keys; want 1, 0, 0", c["sessions"], c["responses"], c["response_keys"])
	}
}

func TestStepConcurrent(t *testing.T) {
	const respondents = 32
	def := testDef(t)
	now := newClock().Now()
	db, _ := mustCreate(t, nil)
	var wg sync.WaitGroup
	for i := range respondents {
		id := survey.RespondentID(1000 + i)
		wg.Go(func() {
			for j, in := range devRun {
				if _, err := db.Step(id, engine(def, in, now.Add(time.Duration(j)*time.Second))); err != nil {
					t.Errorf("respondent %d, step %d: %v", id, j, err)
					return
				}
				if j == 2 {
					if _, ok, err := db.Session(id); !ok || err != nil {
						t.Errorf("respondent %d: Session = %v, %v", id, ok, err)
					}
				}
			}
		})
	}
	wg.Wait()

	n, err := db.CountResponses(time.Time{}, time.Time{})
	if err != nil || n != respondents {
		t.Errorf("CountResponses = %d, %v; want %d", n, err, respondents)
	}
	perRespondent := map[survey.RespondentID]int{}
	for _, l := range answerLog(t, db) {
		perRespondent[l.Respondent]++
	}
	for i := range respondents {
		id := survey.RespondentID(1000 + i)
		// consented, three answers, completed
		if got := perRespondent[id]; got != 5 {
			t.Errorf("respondent %d has %d log entries, want 5", id, got)
		}
		s, _, err := db.Session(id)
		if err != nil || s.Status != survey.StatusCompleted {
			t.Errorf("respondent %d: status %q, %v", id, s.Status, err)
		}
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

func TestCorruptRecord(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 1, start)
	mustClose(t, db)
	b := rawBolt(t, path, false)
	if err := b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("sessions")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path, nil)
	_, _, err := db.Session(1)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Session of a damaged record: got %v, want ErrCorrupt", err)
	}
	if want := "database " + path + ": the session of respondent 1 is corrupt: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want it to begin %q", err, want)
	}
	if _, err := db.Step(1, engine(def, agree, clk.Now())); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Step on a damaged record: got %v, want ErrCorrupt", err)
	}
}

// TestDecliningANewNoticeForgetsEverything: a respondent who completed,
// went back to review, then declined a new consent notice is forgotten
// entirely, as /delete does (they are told so): no session, response or
// answer-log entry is left, only the refusal count. Agreeing later starts
// afresh, with one response at the new completion time.
func TestDecliningANewNoticeForgetsEverything(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 5, devRun...)
	run(t, db, def, clk, 6, opsRun...)
	first := clk.Now()
	run(t, db, def, clk, 5, jump("tools"))

	def2 := testDef(t)
	def2.Consent.Version = 2
	clk.Advance(time.Hour)
	events := run(t, db, def2, clk, 5, start, decline)
	if w, ok := events[0].(survey.Withdrawn); !ok || !strings.Contains(w.Text, "deleted") {
		t.Errorf("declining the new notice says %+v; want that everything was deleted", events)
	}
	if _, ok, err := db.Session(5); ok || err != nil {
		t.Fatalf("after declining: Session = %v, %v; want none", ok, err)
	}
	if got := responses(t, db, time.Time{}, time.Time{}); len(got) != 1 || got[0].ID != 6 {
		t.Errorf("after declining, responses = %+v; want only 6's", got)
	}
	err := db.AnswerLog(func(e store.LogEntry) error {
		if e.Respondent == 5 {
			t.Errorf("after declining, an answer-log entry of 5 is left: %+v", e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.Counter(store.CounterConsentDeclined); n != 1 || err != nil {
		t.Errorf("refusals = %d, %v; want 1", n, err)
	}

	clk.Advance(time.Hour)
	run(t, db, def2, clk, 5, opsRun...)
	s, _, err := db.Session(5)
	if err != nil || !s.CompletedAt.After(first) {
		t.Fatalf("the new session completed at %v (%v), want a later time", s.CompletedAt, err)
	}
	if got := responses(t, db, first.Add(time.Nanosecond), time.Time{}); len(got) != 1 || got[0].ID != 5 || got[0].Role != "ops" {
		t.Errorf("responses after agreeing again = %+v; want 5's new one", got)
	}
}

// TestAnswerLogCompactEntries: an entry stores neither the respondent (in
// its key) nor the cursor (in its answer), and entries written the old way,
// with both, read the same.
func TestAnswerLogCompactEntries(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 77, start, agree, choose("dev"))
	before := answerLog(t, db)
	mustClose(t, db)

	raw := rawBolt(t, path, false)
	err := raw.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("answer_log"))
		return b.ForEach(func(k, v []byte) error {
			if strings.Contains(string(v), `"respondent"`) || strings.Contains(string(v), `"cursor"`) {
				t.Errorf("entry %x stores %s", k, v)
			}
			// Rewrite it the old way.
			old := strings.Replace(string(v), "{", `{"respondent":77,`, 1)
			if strings.Contains(old, `"kind":"set"`) {
				old = strings.Replace(old, `"kind":"set"`, `"kind":"set","cursor":"role"`, 1)
			}
			return b.Put(k, []byte(old))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path, nil)
	if diff := cmp.Diff(before, answerLog(t, db)); diff != "" {
		t.Errorf("old-style entries read differently (-new +old):\n%s", diff)
	}
	if len(before) != 2 || before[1].Respondent != 77 || before[1].Cursor != "role" {
		t.Errorf("answer log = %+v", before)
	}
}
