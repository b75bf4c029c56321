package survey

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// walk answers the fixture to the end: choir, 12 people, two activities,
// tools for each, a hard thing, quotable.
func walk(r *runner) *runner {
	return r.do(start(), agree(), choose("choir"), text("12"),
		toggle("announce"), toggle("events"), done(),
		toggle("whatsapp"), done(),
		toggle("paper"), done(),
		text("too many apps"), choose("yes"))
}

func hasEvent[T Event](evs []Event) (T, bool) {
	for _, ev := range evs {
		if e, ok := ev.(T); ok {
			return e, true
		}
	}
	var zero T
	return zero, false
}

func TestConsentFirst(t *testing.T) {
	def := fixture(t)
	r := newRunner(t, def).do(Input{Kind: InputStart, Text: "flyer_leeds"})
	if _, ok := hasEvent[AskConsent](r.last); !ok {
		t.Fatalf("start: want AskConsent, got %#v", r.last)
	}
	if r.s.Status != StatusAwaitingConsent || r.s.Source != "flyer_leeds" {
		t.Fatalf("status %q source %q", r.s.Status, r.s.Source)
	}
	for _, in := range []Input{choose("choir"), text("hello"), done(), skip(), back(), jump("kind", "")} {
		r.do(in)
		ac, ok := hasEvent[AskConsent](r.last)
		if !ok || ac.Problem == "" {
			t.Errorf("%s before consent: want AskConsent with a problem, got %#v", in.Kind, r.last)
		}
		if len(r.s.Answers) != 0 || r.s.Consent != nil {
			t.Errorf("%s before consent stored something: %+v", in.Kind, r.s)
		}
	}
	r.do(agree())
	if r.s.Status != StatusActive || r.s.Consent == nil || r.s.Consent.Version != 1 {
		t.Fatalf("after agree: %+v", r.s)
	}
	if got := r.ask().At; got != (Cursor{Question: "kind"}) {
		t.Fatalf("first question: got %v", got)
	}
}

func TestDeclineStoresNothing(t *testing.T) {
	r := newRunner(t, fixture(t)).do(Input{Kind: InputStart, Text: "src"}, Input{Kind: InputDecline})
	w, ok := hasEvent[Withdrawn](r.last)
	if !ok || w.Reason != "declined" || w.Text == "" {
		t.Fatalf("want Withdrawn declined, got %#v", r.last)
	}
	if r.s.Status != StatusWithdrawn || r.s.Source != "" || r.s.Consent != nil || len(r.s.Answers) != 0 {
		t.Fatalf("declined session keeps data: %+v", r.s)
	}
	// Starting again asks for consent afresh.
	r.do(start())
	if _, ok := hasEvent[AskConsent](r.last); !ok || r.s.Status != StatusAwaitingConsent {
		t.Fatalf("restart after decline: %#v", r.last)
	}
}

func TestExpireBeforeConsent(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), Input{Kind: InputExpire})
	if w, ok := hasEvent[Withdrawn](r.last); !ok || w.Reason != "expired" {
		t.Fatalf("want Withdrawn expired, got %#v", r.last)
	}
}

func TestWalkToCompletion(t *testing.T) {
	r := walk(newRunner(t, fixture(t)))
	c, ok := hasEvent[Completed](r.last)
	if !ok || !c.First || c.Thanks != "Thank you!" {
		t.Fatalf("want first Completed, got %#v", r.last)
	}
	if r.s.Status != StatusCompleted || r.s.CompletedAt.IsZero() {
		t.Fatalf("session %+v", r.s)
	}
	got := map[string]string{}
	for _, l := range c.Summary {
		got[l.At.Key()] = l.Answer
	}
	want := map[string]string{
		"kind": "Choir", "size": "12", "acts": "Announcing, Events",
		"tools/announce": "WhatsApp", "tools/events": "Paper",
		"hard": "too many apps", "quote": "Yes",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("summary (-want +got):\n%s", d)
	}
	recorded := 0
	for _, ev := range r.all {
		if _, ok := ev.(AnswerRecorded); ok {
			recorded++
		}
	}
	if recorded != 7 {
		t.Errorf("AnswerRecorded events: got %d, want 7", recorded)
	}
	for _, a := range r.s.Answers {
		if a.Version != 2 || a.At.IsZero() {
			t.Errorf("answer %s lacks version or time: %+v", a.Key(), a)
		}
	}
}

func TestProgress(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree())
	// kind, size, acts, hard, and one each for the matrix (rows unknown) and quote (hard unanswered)
	if p := r.ask().Progress; p.Step != 1 || p.Steps != 6 {
		t.Fatalf("first: %+v", p)
	}
	r.do(choose("union"), text("5"), toggle("announce"), toggle("events"), toggle("money"), done())
	a := r.ask()
	if a.Progress.Step != 4 || a.Progress.Steps != 8 || a.Progress.Row != 1 || a.Progress.Rows != 3 {
		t.Fatalf("matrix: %+v", a.Progress)
	}
	if a.Title != "Question 4 of 8" || a.Row != "Announcing (1 of 3)" || a.Text != "Tools for Announcing?" {
		t.Fatalf("title %q row %q text %q", a.Title, a.Row, a.Text)
	}
}

func TestBackPreselects(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("union"), text("40"))
	r.do(back())
	a := r.ask()
	if a.At.Question != "size" || a.Value != "40" {
		t.Fatalf("back to size: %+v", a)
	}
	r.do(back())
	a = r.ask()
	sel := []string{}
	for _, o := range a.Options {
		if o.Selected {
			sel = append(sel, o.ID)
		}
	}
	if a.At.Question != "kind" || !slices.Equal(sel, []string{"union"}) {
		t.Fatalf("back to kind: at %v selected %v", a.At, sel)
	}
	r.do(back())
	if a := r.ask(); a.Problem == "" || a.At.Question != "kind" {
		t.Fatalf("back at the first question: %+v", a)
	}
	// Answering again walks forward through the answered question.
	r.do(choose("union"))
	if a := r.ask(); a.At.Question != "size" || a.Value != "40" {
		t.Fatalf("forward after back: %+v", a)
	}
}

func TestChangingActivitiesDropsOnlyDependentAnswers(t *testing.T) {
	r := walk(newRunner(t, fixture(t)))
	r.do(jump("acts", ""))
	if a := r.ask(); a.At.Question != "acts" || !a.Options[0].Selected || !a.Options[1].Selected {
		t.Fatalf("jump to acts: %+v", a)
	}
	r.do(toggle("events"), done())
	var dropped []string
	for _, ev := range r.last {
		if d, ok := ev.(AnswerDropped); ok {
			dropped = append(dropped, d.Answer.Key())
		}
	}
	if !slices.Equal(dropped, []string{"tools/events"}) {
		t.Fatalf("dropped %v, want [tools/events]", dropped)
	}
	c, ok := hasEvent[Completed](r.last)
	if !ok || c.First {
		t.Fatalf("after review: want a repeated Completed, got %#v", r.last)
	}
	if _, ok := r.s.Answers["tools/announce"]; !ok {
		t.Fatalf("tools/announce dropped: %v", r.s.Answers)
	}
	// Adding an activity asks its tools, then completes again.
	r.do(jump("acts", ""), toggle("money"), done())
	if a := r.ask(); a.At != (Cursor{Question: "tools", Item: "money"}) {
		t.Fatalf("new activity: at %v", a.At)
	}
	r.do(toggle("email"), done())
	if _, ok := hasEvent[Completed](r.last); !ok {
		t.Fatalf("want Completed, got %#v", r.last)
	}
}

func TestSkip(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), skip())
	if a := r.ask(); a.At.Question != "kind" || a.Problem == "" {
		t.Fatalf("skipping a required question: %+v", a)
	}
	r.do(choose("choir"), text("3"), toggle("money"), done(), toggle("zoom"), done())
	if a := r.ask(); a.At.Question != "hard" || !a.CanSkip {
		t.Fatalf("at hard: %+v", a)
	}
	r.do(skip())
	if _, ok := hasEvent[Completed](r.last); !ok {
		t.Fatalf("skipping hard should skip quote (condition) and complete: %#v", r.last)
	}
	if a := r.s.Answers["hard"]; !a.Skipped {
		t.Fatalf("hard: %+v", a)
	}
	if _, ok := r.s.Answers["quote"]; ok {
		t.Fatal("quote asked although hard was skipped")
	}
}

func TestOther(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose(OtherID))
	if a := r.ask(); !a.AwaitingOther || a.OtherPrompt == "" {
		t.Fatalf("Other…: %+v", a)
	}
	r.do(text("   "))
	if a := r.ask(); a.Problem == "" || !a.AwaitingOther {
		t.Fatalf("empty other: %+v", a)
	}
	r.do(text("Tenants'\x00 union\u200b"))
	got := r.s.Answers["kind"]
	if !slices.Equal(got.Values, []string{OtherID}) || got.Other != "Tenants' union" {
		t.Fatalf("kind: %+v", got)
	}
	// In a multi question, Other… adds to the selection and shows the
	// name as a ticked button, then Other… again to add another.
	r.do(text("8"), toggle("announce"), toggle(OtherID), text("Litter picks"))
	a := r.ask()
	name, add := a.Options[len(a.Options)-2], a.Options[len(a.Options)-1]
	if !name.Selected || !name.Other || name.Label != "Other: Litter picks" || !strings.HasPrefix(name.ID, "other.0.") {
		t.Fatalf("name button: %+v", name)
	}
	if add.Selected || !add.Other || add.ID != OtherID || add.Label != "Other…" {
		t.Fatalf("Other… button: %+v", add)
	}
	r.do(done())
	if got := r.s.Answers["acts"]; !slices.Equal(got.Values, []string{"announce", OtherID}) || got.Other != "Litter picks" {
		t.Fatalf("acts: %+v", got)
	}
	// The Other… activity gets its own row, named by its text.
	r.do(toggle("email"), done())
	if a := r.ask(); a.At != (Cursor{Question: "tools", Item: OtherID}) || a.Text != "Tools for Litter picks?" {
		t.Fatalf("other row: %+v", a)
	}
}

func TestExclusiveAndMax(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"), text("9"))
	r.do(toggle("announce"), toggle("events"), toggle("money"), toggle(OtherID))
	if a := r.ask(); !strings.Contains(a.Problem, "at most 3") {
		t.Fatalf("fourth pick: %+v", a)
	}
	r.do(toggle("money"), done())
	r.do(toggle("whatsapp"), toggle("email"), toggle("none"))
	sel := []string{}
	for _, o := range r.ask().Options {
		if o.Selected {
			sel = append(sel, o.ID)
		}
	}
	if !slices.Equal(sel, []string{"none"}) {
		t.Fatalf("after None: %v", sel)
	}
	r.do(toggle("email"))
	if d := r.s.Draft; !slices.Equal(d.Values, []string{"email"}) {
		t.Fatalf("after email: %v", d.Values)
	}
}

func TestShortlistAndMore(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"), text("9"), toggle("announce"), done())
	ids := func(a Ask) []string {
		var out []string
		for _, o := range a.Options {
			out = append(out, o.ID)
		}
		return out
	}
	a := r.ask()
	if !a.More || !slices.Equal(ids(a), []string{"whatsapp", "email", "none", OtherID}) {
		t.Fatalf("shortlist: more=%v %v", a.More, ids(a))
	}
	r.do(Input{Kind: InputMore}, toggle("zoom"))
	if a := r.ask(); a.Page != 1 || !slices.Equal(ids(a), []string{"whatsapp", "email", "paper", "zoom", "none", OtherID}) {
		t.Fatalf("full list: page %d %v", a.Page, ids(a))
	}
	r.do(Input{Kind: InputMore})
	if a := r.ask(); a.Page != 0 || !slices.Equal(ids(a), []string{"whatsapp", "email", "zoom", "none", OtherID}) {
		t.Fatalf("shortlist keeps picks from the full list: %v", ids(a))
	}
}

func TestBadAnswersAreProblems(t *testing.T) {
	def := fixture(t)
	tests := []struct {
		name  string
		setup []Input
		in    Input
		want  string
	}{
		{"not a number", []Input{choose("choir")}, text("lots"), "Please type a number"},
		{"not whole", []Input{choose("choir")}, text("2.5"), "whole number"},
		{"below min", []Input{choose("choir")}, text("0"), "at least 1"},
		{"above max", []Input{choose("choir")}, text("20,000"), "no bigger than 10000"},
		{"no pick", []Input{choose("choir"), text("4")}, done(), "at least 1"},
		{"unknown option", []Input{}, choose("zzz"), "tap one of the buttons"},
		{"typed nonsense", []Input{}, text("banana"), "tap one of the buttons"},
		{"too long", []Input{choose("choir"), text("4"), toggle("money"), done(), toggle("zoom"), done()}, text(strings.Repeat("x", 51)), "the limit is 50"},
		{"empty text", []Input{choose("choir"), text("4"), toggle("money"), done(), toggle("zoom"), done()}, text(" \t "), "Please type an answer"},
		{"stale", []Input{choose("choir")}, at(choose("union"), "kind", ""), "earlier question"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, def).do(start(), agree()).do(tt.setup...)
			before := r.s
			r.do(tt.in)
			a := r.ask()
			if !strings.Contains(a.Problem, tt.want) {
				t.Fatalf("problem %q, want it to contain %q", a.Problem, tt.want)
			}
			if d := cmp.Diff(before.Answers, r.s.Answers); d != "" {
				t.Fatalf("a bad answer changed the answers:\n%s", d)
			}
			if a.At != before.Cursor {
				t.Fatalf("moved from %v to %v", before.Cursor, a.At)
			}
		})
	}
}

func TestNumbersPeopleType(t *testing.T) {
	for in, want := range map[string]float64{"12": 12, " 1,000 ": 1000, "1 000": 1000, "2,5": 2.5, "7.25": 7.25, "-3": -3, "1,000,000": 1e6} {
		if got, ok := ParseNumber(in); !ok || got != want {
			t.Errorf("ParseNumber(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "12 people", "1e400", "NaN", "Inf", "0x10", "1.2.3"} {
		if got, ok := ParseNumber(in); ok {
			t.Errorf("ParseNumber(%q) = %v, want not a number", in, got)
		}
	}
}

func TestTypedLabel(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), text("  CHOIR! "))
	if got := r.s.Answers["kind"]; !slices.Equal(got.Values, []string{"choir"}) {
		t.Fatalf("typed label: %+v", got)
	}
}

func TestResumeAndRestart(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"))
	r.do(start())
	if n, ok := hasEvent[Notice](r.last); !ok || n.Text == "" {
		t.Fatalf("resume: want a Notice, got %#v", r.last)
	}
	if a := r.ask(); a.At.Question != "size" {
		t.Fatalf("resume at %v", a.At)
	}
	r.do(Input{Kind: InputRestart})
	if _, ok := hasEvent[AnswerDropped](r.last); !ok || len(r.s.Answers) != 0 {
		t.Fatalf("restart kept answers: %v", r.s.Answers)
	}
	if a := r.ask(); a.At.Question != "kind" || a.CanBack {
		t.Fatalf("after restart: %+v", a)
	}
}

func TestLanguage(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), Input{Kind: InputLanguage, Text: "es"})
	if ac, _ := hasEvent[AskConsent](r.last); ac.Agree != "Acepto" || ac.Decline != "No thanks" {
		t.Fatalf("Spanish consent with fallback: %+v", ac)
	}
	r.do(agree())
	a := r.ask()
	if a.Text != "¿Qué tipo de grupo?" || a.Options[0].Label != "Choir" || a.Title != "Pregunta 1 de 6" {
		t.Fatalf("Spanish question: %+v", a)
	}
	r.do(Input{Kind: InputLanguage, Text: "fr"})
	if a := r.ask(); a.Problem == "" || r.s.Language != "es" {
		t.Fatalf("unknown language: %+v", a)
	}
}

func TestAfterCompletion(t *testing.T) {
	r := walk(newRunner(t, fixture(t)))
	at := r.s.CompletedAt
	r.do(choose("union"))
	if c, ok := hasEvent[Completed](r.last); !ok || c.Problem == "" || c.First {
		t.Fatalf("input after completion: %#v", r.last)
	}
	r.do(jump("kind", ""), choose("union"))
	if _, ok := hasEvent[Completed](r.last); !ok || r.s.Answers["kind"].Values[0] != "union" || !r.s.CompletedAt.Equal(at) {
		t.Fatalf("change after completion: %#v %v", r.last, r.s.CompletedAt)
	}
}

func TestStepDoesNotModifyItsInput(t *testing.T) {
	def := fixture(t)
	r := newRunner(t, def).do(start(), agree(), choose("choir"), text("4"), toggle("announce"))
	before := r.s.Clone()
	for _, in := range []Input{toggle("events"), done(), back(), jump("kind", ""), {Kind: InputRestart}} {
		if _, _, err := Step(def, r.s, in, r.now); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(before, r.s); d != "" {
			t.Fatalf("%s modified the session it was given:\n%s", in.Kind, d)
		}
	}
}

func TestMisuse(t *testing.T) {
	def := fixture(t)
	if _, _, err := Step(nil, Session{}, start(), time.Time{}); !errors.Is(err, ErrNotReady) {
		t.Errorf("nil definition: %v", err)
	}
	if _, _, err := Step(&Definition{}, Session{}, start(), time.Time{}); !errors.Is(err, ErrNotReady) {
		t.Errorf("unvalidated definition: %v", err)
	}
	if _, _, err := Step(def, Session{SurveyID: "other"}, start(), time.Time{}); !errors.Is(err, ErrOtherSurvey) {
		t.Errorf("other survey: %v", err)
	}
}

func TestNewVersionKeepsAnswers(t *testing.T) {
	def := fixture(t)
	r := newRunner(t, def).do(start(), agree(), choose("choir"))
	def2 := fixture(t)
	def2.Version = 3
	r.def = def2
	r.do(text("5"))
	if r.s.Version != 3 || r.s.Answers["kind"].Version != 2 || r.s.Answers["size"].Version != 3 {
		t.Fatalf("versions: session %d kind %d size %d", r.s.Version, r.s.Answers["kind"].Version, r.s.Answers["size"].Version)
	}
}

func TestTapRoundTrip(t *testing.T) {
	for _, tap := range []Tap{
		{Kind: InputToggle, Version: 1, At: Cursor{Question: "tools", Item: "events"}, Option: "whatsapp"},
		{Kind: InputBack, Version: 12},
		{Kind: InputChoose, Version: 3, At: Cursor{Question: "kind"}, Option: OtherID},
	} {
		got, err := DecodeTap(tap.Encode())
		if err != nil || got != tap {
			t.Errorf("round trip %+v: got %+v, %v", tap, got, err)
		}
	}
	for _, bad := range []string{"", "x", "t:1:a:b", "z:1:a:b:c", "t:01:a:b:c", "t:-1:a:b:c", "t:1:A:b:c", "t:1:a:b:c:d", strings.Repeat("t", 65)} {
		if _, err := DecodeTap(bad); !errors.Is(err, ErrBadTap) {
			t.Errorf("DecodeTap(%q): %v, want ErrBadTap", bad, err)
		}
	}
}

// names returns the names shown as ticked buttons under Other….
func names(a Ask) []string {
	var out []string
	for _, o := range a.Options {
		if o.Other && o.ID != OtherID {
			out = append(out, strings.TrimPrefix(o.Label, "Other: "))
		}
	}
	return out
}

func optionID(t *testing.T, a Ask, label string) string {
	t.Helper()
	for _, o := range a.Options {
		if o.Label == label {
			return o.ID
		}
	}
	t.Fatalf("no option %q in %+v", label, a.Options)
	return ""
}

func TestSeveralOtherNames(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"), text("9"), toggle("announce"), done())
	// Other… twice keeps both names; the same name twice is kept once.
	r.do(toggle("whatsapp"), toggle(OtherID), text("Action Network"), toggle(OtherID), text("Zetkin"),
		toggle(OtherID), text("action network"))
	if got := names(r.ask()); !slices.Equal(got, []string{"Action Network", "Zetkin"}) {
		t.Fatalf("names: %v", got)
	}
	// Tapping a name removes it; a second tap on the same old button
	// (its name has gone) removes nothing else.
	ref := optionID(t, r.ask(), "Other: Action Network")
	r.do(toggle(ref), toggle(ref))
	if got := names(r.ask()); !slices.Equal(got, []string{"Zetkin"}) {
		t.Fatalf("after removing one: %v", got)
	}
	r.do(toggle(OtherID), text("Loomio"), done())
	got := r.s.Answers["tools/announce"]
	if !slices.Equal(got.Values, []string{"whatsapp", OtherID}) || !slices.Equal(got.OtherNames(), []string{"Zetkin", "Loomio"}) ||
		got.Other != "Zetkin" || !slices.Equal(got.Others, []string{"Zetkin", "Loomio"}) {
		t.Fatalf("answer: %+v", got)
	}
	if line := r.def.Summary(&r.s); !slices.ContainsFunc(line, func(l SummaryLine) bool {
		return l.Answer == "WhatsApp, Other: Zetkin, Other: Loomio"
	}) {
		t.Fatalf("summary: %+v", line)
	}
	// Removing every name unticks Other….
	r.do(back())
	for _, n := range []string{"Zetkin", "Loomio"} {
		r.do(toggle(optionID(t, r.ask(), "Other: "+n)))
	}
	if d := r.s.Draft; slices.Contains(d.Values, OtherID) || len(d.names()) != 0 {
		t.Fatalf("draft after removing all: %+v", d)
	}
	// At most MaxOtherNames names.
	for i := range MaxOtherNames {
		r.do(toggle(OtherID), text(fmt.Sprintf("Tool %d", i)))
	}
	r.do(toggle(OtherID))
	if a := r.ask(); a.AwaitingOther || !strings.Contains(a.Problem, "at most 5") {
		t.Fatalf("one name too many: %+v", a)
	}
}

func TestOneOtherNameReadsAsBefore(t *testing.T) {
	// An answer stored before several names were possible.
	old := Answer{Question: "tools", Item: "announce", Values: []string{"email", OtherID}, Other: "Mobilizon", Version: 2}
	if got := old.OtherNames(); !slices.Equal(got, []string{"Mobilizon"}) {
		t.Fatalf("OtherNames: %v", got)
	}
	// One name is still stored as it always was: Other alone.
	var a Answer
	a.setOtherNames([]string{"Mobilizon"})
	if a.Other != "Mobilizon" || a.Others != nil {
		t.Fatalf("one name: %+v", a)
	}
	// And a draft from an old session shows its name.
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"), text("9"), toggle("announce"), done())
	r.s.Draft = &Draft{Values: []string{"email", OtherID}, Other: "Mobilizon"}
	r.do(done())
	if got := r.s.Answers["tools/announce"]; !slices.Equal(got.OtherNames(), []string{"Mobilizon"}) || got.Others != nil {
		t.Fatalf("from an old draft: %+v", got)
	}
}

func TestExclusiveSaysWhatItDid(t *testing.T) {
	r := newRunner(t, fixture(t)).do(start(), agree(), choose("choir"), text("9"), toggle("announce"), done())
	r.do(toggle("whatsapp"))
	if a := r.ask(); a.Note != "" {
		t.Fatalf("note after an ordinary tick: %q", a.Note)
	}
	r.do(toggle("none"))
	if a := r.ask(); a.Note != "“None” goes on its own, so your other picks were unticked." {
		t.Fatalf("note after None: %q", a.Note)
	}
	r.do(toggle("email"))
	if a := r.ask(); a.Note != "“None” was unticked." {
		t.Fatalf("note after a tool: %q", a.Note)
	}
	// None alone clears nothing: no note.
	r.do(toggle("email"), toggle("none"))
	if a := r.ask(); a.Note != "" {
		t.Fatalf("note after None alone: %q", a.Note)
	}
}

func TestSameAs(t *testing.T) {
	def := fixture(t)
	def.Question("acts").MaxPicks = 0
	r := newRunner(t, def).do(start(), agree(), choose("choir"), text("9"),
		toggle("announce"), toggle("events"), toggle("money"), toggle(OtherID), text("Rehearsals"), done())
	if a := r.ask(); len(a.SameAs) != 0 || strings.Contains(a.Hint, "🔁") {
		t.Fatalf("first row offers Same as: %v (hint %q)", a.SameAs, a.Hint)
	}
	r.do(toggle("whatsapp"), toggle(OtherID), text("Signal"), done())
	a := r.ask()
	if want := []SameOffer{{Item: "announce", Label: "Announcing"}}; !slices.Equal(a.SameAs, want) {
		t.Fatalf("second row: SameAs %v, want %v", a.SameAs, want)
	}
	if !strings.HasPrefix(a.Hint, def.Msg("en", "hint_same")) {
		t.Errorf("hint %q does not say what 🔁 does", a.Hint)
	}
	r.do(Input{Kind: InputSame, At: a.At, Option: "announce"})
	got := r.s.Answers["tools/events"]
	if !slices.Equal(got.Values, []string{"whatsapp", OtherID}) || !slices.Equal(got.OtherNames(), []string{"Signal"}) {
		t.Fatalf("events: %+v", got)
	}
	if c := r.s.Cursor; c.Item != "money" {
		t.Fatalf("Same as did not move on: %+v", c)
	}
	// One button for one answer given twice, named after the latest row.
	if a := r.ask(); !slices.Equal(a.SameAs, []SameOffer{{Item: "events", Label: "Events"}}) {
		t.Fatalf("third row: SameAs %v", a.SameAs)
	}
	// With a tick, the button keeps it and adds the earlier row's.
	r.do(toggle("paper"))
	if a := r.ask(); !slices.Equal(a.SameAs, []SameOffer{{Item: "events", Label: "Events", Plus: true}}) {
		t.Fatalf("with a tick: SameAs %v", a.SameAs)
	}
	r.do(Input{Kind: InputSame, At: Cursor{Question: "tools", Item: "money"}, Option: "events"})
	got = r.s.Answers["tools/money"]
	if !slices.Equal(got.Values, []string{"whatsapp", "paper", OtherID}) || !slices.Equal(got.OtherNames(), []string{"Signal"}) {
		t.Fatalf("money: %+v", got)
	}
	// Two distinct answers: the one given most often first.
	a = r.ask()
	if want := []SameOffer{{Item: "events", Label: "Events"}, {Item: "money", Label: "Money"}}; a.At.Item != OtherID || !slices.Equal(a.SameAs, want) {
		t.Fatalf("fourth row (%v): SameAs %v, want %v", a.At, a.SameAs, want)
	}
	// An answer the ticks already hold is not offered; nor is any
	// answer beside an option that goes on its own.
	r.do(toggle("whatsapp"), toggle("paper"), toggle(OtherID), text("signal"))
	if a := r.ask(); len(a.SameAs) != 0 {
		t.Fatalf("offers what is ticked already: %v", a.SameAs)
	}
	r.do(toggle("none"))
	if a := r.ask(); len(a.SameAs) != 0 {
		t.Fatalf("offers beside None: %v", a.SameAs)
	}
	r.do(Input{Kind: InputSame, Option: "events"})
	if _, ok := r.s.Answers["tools/other"]; ok || !slices.Equal(r.s.Draft.Values, []string{"none"}) {
		t.Fatalf("Same as combined with None: %+v", r.s.Draft)
	}
	// A button from before several offers (no row named) copies the row before.
	r.do(toggle("none"), Input{Kind: InputSame, At: r.s.Cursor})
	if got := r.s.Answers["tools/other"]; !slices.Equal(got.Values, []string{"whatsapp", "paper", OtherID}) {
		t.Fatalf("the old button: %+v", got)
	}
	// Going back to a row: only earlier rows are offered, and a tap naming
	// a later one does nothing.
	r.do(jump("tools", "events"))
	if a := r.ask(); len(a.SameAs) != 0 {
		t.Fatalf("events again (its answer holds announce's): %v", a.SameAs)
	}
	r.do(Input{Kind: InputSame, Option: "money"})
	if got := r.s.Answers["tools/events"]; !slices.Equal(got.Values, []string{"whatsapp", OtherID}) || r.s.Cursor.Item != "events" {
		t.Fatalf("copied a later row: %+v at %v", got, r.s.Cursor)
	}
	// A stale Same as (for another row) is not applied here.
	r.do(Input{Kind: InputSame, At: Cursor{Question: "tools", Item: "money"}, Option: "announce"})
	if got := r.s.Answers["tools/money"]; !slices.Contains(got.Values, "paper") {
		t.Fatalf("a stale Same as answered another row: %+v", got)
	}
}

func TestShowEarlierPicks(t *testing.T) {
	for _, show := range []bool{false, true} {
		def := fixture(t)
		def.Question("tools").ShowEarlierPicks = show
		r := newRunner(t, def).do(start(), agree(), choose("choir"), text("9"),
			toggle("announce"), toggle("events"), toggle("money"), done(),
			toggle("whatsapp"), toggle("email"), done())
		var ids []string
		for _, c := range r.ask().Options {
			ids = append(ids, c.ID)
		}
		// events' shortlist is paper; then the tools ticked for announce.
		want := []string{"paper", "none", OtherID}
		if show {
			want = []string{"paper", "whatsapp", "email", "none", OtherID}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("show_earlier_picks %v: events shows %v, want %v", show, ids, want)
		}
	}
}

// TestSameAsButtonsFitTelegram: a "Same as…" button names two rows, so
// long row ids can make its data longer than Telegram allows, though
// every other button fits; validation says so.
func TestSameAsButtonsFitTelegram(t *testing.T) {
	long := strings.Repeat("a", MaxIDLength)
	def := &Definition{
		ID: "s", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: Consent{Version: 1, Text: en("We store your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thanks"),
		Catalogues: []*Catalogue{
			{ID: "acts", Items: []*Item{item(long, "Long"), item("b", "B")}},
			{ID: "tools", Items: []*Item{item("w", "W")}},
		},
		Questions: []*Question{
			{ID: "a", Kind: KindMulti, Text: en("Which?"), From: "acts"},
			{ID: "t", Kind: KindMatrix, Text: en("Tools for {item}?"), Rows: "a", Columns: "tools"},
		},
	}
	err := Validate(def)
	want := fmt.Sprintf(`button data "p:1:t:%s:%s" is 71 bytes`, long, long)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Validate = %v, want a problem with %s", err, want)
	}
}
