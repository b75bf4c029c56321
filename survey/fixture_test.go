package survey

import (
	"testing"
	"time"
)

func en(s string) Text { return Text{"en": s} }

func item(id, label string) *Item { return &Item{ID: id, Label: en(label)} }

func ptr[T any](v T) *T { return &v }

// fixture is a small survey with every kind of question, built in Go so
// that the engine's tests do not depend on the YAML adapter.
func fixture(t testing.TB) *Definition {
	t.Helper()
	def := &Definition{
		ID: "fixture", Version: 2, DefaultLanguage: "en", Languages: []string{"en", "es"},
		Consent: Consent{Version: 1, Text: en("We store your answers."), Agree: Text{"en": "I agree", "es": "Acepto"}, Decline: en("No thanks")},
		Intro:   en("Hello."),
		Thanks:  Text{"en": "Thank you!", "es": "¡Gracias!"},
		Catalogues: []*Catalogue{
			{ID: "activities", Items: []*Item{item("announce", "Announcing"), item("events", "Events"), item("money", "Money")}},
			{ID: "tools", Items: []*Item{item("whatsapp", "WhatsApp"), item("email", "Email"), item("paper", "Paper"), item("zoom", "Zoom")}},
		},
		Questions: []*Question{
			{ID: "kind", Kind: KindSingle, Text: Text{"en": "What kind of group?", "es": "¿Qué tipo de grupo?"}, Short: en("Kind"), Other: true,
				Options: []*Item{item("choir", "Choir"), item("union", "Union")}},
			{ID: "size", Kind: KindNumber, Text: en("How many people?"), Whole: true, MinValue: ptr(1.0), MaxValue: ptr(10000.0)},
			{ID: "acts", Kind: KindMulti, Text: en("Which activities?"), From: "activities", Other: true, MaxPicks: 3},
			{ID: "tools", Kind: KindMatrix, Text: en("Tools for {item}?"), Rows: "acts", Columns: "tools", Other: true,
				Shortlist: map[string][]string{"announce": {"whatsapp", "email"}, "events": {"paper"}},
				Options:   []*Item{{ID: "none", Label: en("None"), Exclusive: true}}},
			{ID: "hard", Kind: KindText, Text: en("What is hard?"), Optional: true, MaxLength: 50},
			{ID: "quote", Kind: KindSingle, Text: en("May we quote you?"), When: &Condition{Question: "hard", Answered: ptr(true)},
				Options: []*Item{item("no", "No"), item("yes", "Yes")}},
		},
	}
	if err := Validate(def); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return def
}

// run steps a session through inputs, failing the test on a Go error, and
// returns the final session and the events of the last step.
type runner struct {
	t    testing.TB
	def  *Definition
	s    Session
	now  time.Time
	last []Event
	all  []Event
}

func newRunner(t testing.TB, def *Definition) *runner {
	return &runner{t: t, def: def, now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
}

func (r *runner) do(ins ...Input) *runner {
	r.t.Helper()
	for _, in := range ins {
		r.now = r.now.Add(7 * time.Second)
		s, evs, err := Step(r.def, r.s, in, r.now)
		if err != nil {
			r.t.Fatalf("Step(%+v): %v", in, err)
		}
		r.s, r.last = s, evs
		r.all = append(r.all, evs...)
	}
	return r
}

// ask returns the last Ask event of the last step.
func (r *runner) ask() Ask {
	r.t.Helper()
	for i := len(r.last) - 1; i >= 0; i-- {
		if a, ok := r.last[i].(Ask); ok {
			return a
		}
	}
	r.t.Fatalf("no Ask in %#v", r.last)
	return Ask{}
}

func start() Input                    { return Input{Kind: InputStart} }
func agree() Input                    { return Input{Kind: InputAgree} }
func choose(o string) Input           { return Input{Kind: InputChoose, Option: o} }
func toggle(o string) Input           { return Input{Kind: InputToggle, Option: o} }
func done() Input                     { return Input{Kind: InputDone} }
func text(s string) Input             { return Input{Kind: InputText, Text: s} }
func back() Input                     { return Input{Kind: InputBack} }
func skip() Input                     { return Input{Kind: InputSkip} }
func jump(q, item string) Input       { return Input{Kind: InputJump, At: Cursor{Question: q, Item: item}} }
func at(in Input, q, it string) Input { in.At = Cursor{Question: q, Item: it}; return in }
