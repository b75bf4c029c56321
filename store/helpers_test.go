package store_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"toolmap/store"
	"toolmap/survey"
)

// testDef is a tiny survey: a single question, a multi question, and an
// optional text question asked only of developers.
func testDef(t testing.TB) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID:              "test",
		Version:         1,
		DefaultLanguage: "en",
		Languages:       []string{"en"},
		Consent: survey.Consent{
			Version: 1,
			Text:    en("We keep your answers for research."),
			Agree:   en("I agree"),
			Decline: en("No thanks"),
		},
		Thanks: en("Thank you!"),
		Questions: []*survey.Question{
			{ID: "role", Kind: survey.KindSingle, Text: en("What is your role?"), Options: []*survey.Item{
				{ID: "dev", Label: en("Developer")},
				{ID: "ops", Label: en("Operations")},
			}},
			{ID: "tools", Kind: survey.KindMulti, Text: en("Which tools do you use?"), Options: []*survey.Item{
				{ID: "git", Label: en("Git")},
				{ID: "jira", Label: en("Jira")},
				{ID: "none", Label: en("None"), Exclusive: true},
			}},
			{ID: "note", Kind: survey.KindText, Optional: true, Text: en("Anything else?"),
				When: &survey.Condition{Question: "role", AnyOf: []string{"dev"}}},
		},
	}
	if err := survey.Validate(def); err != nil {
		t.Fatalf("test survey: %v", err)
	}
	return def
}

// Inputs used throughout.
var (
	start   = survey.Input{Kind: survey.InputStart}
	agree   = survey.Input{Kind: survey.InputAgree}
	decline = survey.Input{Kind: survey.InputDecline}
	expire  = survey.Input{Kind: survey.InputExpire}
	back    = survey.Input{Kind: survey.InputBack}
	restart = survey.Input{Kind: survey.InputRestart}
	done    = survey.Input{Kind: survey.InputDone}
)

func choose(id string) survey.Input { return survey.Input{Kind: survey.InputChoose, Option: id} }
func toggle(id string) survey.Input { return survey.Input{Kind: survey.InputToggle, Option: id} }
func text(s string) survey.Input    { return survey.Input{Kind: survey.InputText, Text: s} }
func jump(q string) survey.Input {
	return survey.Input{Kind: survey.InputJump, At: survey.Cursor{Question: q}}
}

// devRun and opsRun complete the test survey.
var (
	devRun = []survey.Input{start, agree, choose("dev"), toggle("git"), done, text("hello")}
	opsRun = []survey.Input{start, agree, choose("ops"), toggle("jira"), done}
)

// clock is a settable clock for Options.Now and the engine.
type clock struct{ t time.Time }

func newClock() *clock                   { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// engine returns the function Step runs: the survey engine on one input.
func engine(def *survey.Definition, in survey.Input, now time.Time) func(survey.Session) (survey.Session, []survey.Event, error) {
	return func(s survey.Session) (survey.Session, []survey.Event, error) {
		return survey.Step(def, s, in, now)
	}
}

// run steps respondent id through inputs, one transaction each, a second
// apart, and returns the events of the last step.
func run(t testing.TB, db *store.DB, def *survey.Definition, clk *clock, id survey.RespondentID, inputs ...survey.Input) []survey.Event {
	t.Helper()
	var events []survey.Event
	for _, in := range inputs {
		clk.Advance(time.Second)
		var err error
		events, err = db.Step(id, engine(def, in, clk.Now()))
		if err != nil {
			t.Fatalf("step %s of respondent %d: %v", in.Kind, id, err)
		}
	}
	return events
}

// mustOpen opens path and, at cleanup, checks the database's consistency
// and closes it, as bbolt's btesting.MustCreateDB does.
func mustOpen(t testing.TB, path string, opts *store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) {
			t.Errorf("check at cleanup: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Errorf("close at cleanup: %v", err)
		}
	})
	return db
}

// mustCreate opens a new database in t.TempDir().
func mustCreate(t testing.TB, clk *clock) (*store.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toolmap.db")
	opts := &store.Options{}
	if clk != nil {
		opts.Now = clk.Now
	}
	return mustOpen(t, path, opts), path
}

// mustClose checks and closes db before the test ends, to reopen or
// inspect its file.
func mustClose(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Fatalf("check: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

// rawBolt opens a file with bbolt itself, closed at cleanup.
func rawBolt(t testing.TB, path string, readOnly bool) *bbolt.DB {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: readOnly})
	if err != nil {
		t.Fatalf("bbolt open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("bbolt close: %v", err)
		}
	})
	return b
}

// contents returns the number of keys in each bucket of a closed database,
// and the counters' and schema's values.
func contents(t testing.TB, path string) map[string]uint64 {
	t.Helper()
	b := rawBolt(t, path, true)
	out := map[string]uint64{}
	err := b.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			out[string(name)] = uint64(bk.Stats().KeyN)
			if string(name) == "counters" || string(name) == "meta" {
				return bk.ForEach(func(k, v []byte) error {
					if string(k) == "referral_secret" { // random: its length
						out[string(name)+"/"+string(k)] = uint64(len(v))
						return nil
					}
					out[string(name)+"/"+string(k)] = beUint64(v)
					return nil
				})
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

func beUint64(v []byte) uint64 {
	var n uint64
	for _, c := range v {
		n = n<<8 | uint64(c)
	}
	return n
}

// logLine is the part of a log entry the tests compare.
type logLine struct {
	Respondent survey.RespondentID
	Kind       store.LogKind
	Cursor     string
	Values     []string
	Text       string
}

func answerLog(t testing.TB, db *store.DB) []logLine {
	t.Helper()
	var out []logLine
	err := db.AnswerLog(func(e store.LogEntry) error {
		l := logLine{Respondent: e.Respondent, Kind: e.Kind, Cursor: e.Cursor}
		if e.Answer != nil {
			l.Values, l.Text = e.Answer.Values, e.Answer.Text
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		t.Fatalf("answer log: %v", err)
	}
	return out
}

type response struct {
	ID          survey.RespondentID
	Role        string
	CompletedAt time.Time
}

func responses(t testing.TB, db *store.DB, from, to time.Time) []response {
	t.Helper()
	var out []response
	err := db.Responses(from, to, func(id survey.RespondentID, s survey.Session) error {
		out = append(out, response{ID: id, Role: s.Answers["role"].Values[0], CompletedAt: s.CompletedAt})
		return nil
	})
	if err != nil {
		t.Fatalf("responses: %v", err)
	}
	return out
}

// hasChat reports whether the store keeps a record of chatID.
func hasChat(t testing.TB, db *store.DB, chatID int64) bool {
	t.Helper()
	var ok bool
	if err := db.View(func(tx *store.Tx) error {
		var err error
		_, ok, err = tx.ChatState(chatID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}
