package survey

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixtureFrom is a survey whose later questions offer what was picked
// earlier (options_from) and name it ({hardest}), with a catalogue long
// enough to need pages.
func fixtureFrom(t testing.TB) *Definition {
	t.Helper()
	var tools []*Item
	for i := range 70 {
		tools = append(tools, item(fmt.Sprintf("t%02d", i), fmt.Sprintf("Tool %02d", i)))
	}
	def := &Definition{
		ID: "from", Version: 1, DefaultLanguage: "en", Languages: []string{"en", "es"},
		Consent: Consent{Version: 1, Text: en("We store your answers."), Agree: en("I agree"), Decline: en("No thanks")},
		Thanks:  en("Thank you!"),
		Catalogues: []*Catalogue{
			{ID: "activities", Items: []*Item{item("announce", "Announcing"), item("events", "Events"), item("money", "Money"),
				{ID: "nothing", Label: en("None of these"), Exclusive: true}}},
			{ID: "tools", Items: tools},
		},
		Questions: []*Question{
			{ID: "acts", Kind: KindMulti, Text: en("Which activities?"), From: "activities", Other: true},
			{ID: "tools", Kind: KindMatrix, Text: en("Tools for {item}?"), Rows: "acts", Columns: "tools", Other: true,
				Shortlist: map[string][]string{"announce": {"t00", "t01"}},
				Options:   []*Item{item("in_person", "In person")}},
			{ID: "hardest", Kind: KindSingle, Text: Text{"en": "Which is hardest?", "es": "¿Cuál es la más difícil?"}, OptionsFrom: "acts",
				Options: []*Item{item("none", "None is hard")}},
			{ID: "hard_why", Kind: KindText, Optional: true, When: &Condition{Question: "hardest", NoneOf: []string{"none"}},
				Text: Text{"en": "What makes “{hardest}” hard?", "es": "¿Qué hace difícil «{hardest}»?"}},
			{ID: "recommend", Kind: KindSingle, Optional: true, Text: en("A tool you would recommend?"), OptionsFrom: "tools",
				Options: []*Item{item("not_really", "Not really")}},
			{ID: "favourites", Kind: KindMulti, Optional: true, Text: en("Favourites?"), OptionsFrom: "acts"},
		},
	}
	if err := Validate(def); err != nil {
		t.Fatalf("fixtureFrom: %v", err)
	}
	return def
}

func ids(a Ask) []string {
	var out []string
	for _, o := range a.Options {
		out = append(out, o.ID)
	}
	return out
}

func TestOptionsFrom(t *testing.T) {
	r := newRunner(t, fixtureFrom(t)).do(start(), agree(), toggle("money"), toggle("announce"), toggle(OtherID), text("Litter <picks> & co"), done())
	r.do(toggle("t00"), toggle(OtherID), text("Zetkin"), done()) // announce
	r.do(toggle("t05"), toggle("in_person"), done())             // money
	r.do(toggle("t00"), done())                                  // Litter picks
	a := r.ask()
	if a.At.Question != "hardest" {
		t.Fatalf("at %+v", a.At)
	}
	// The activities picked, in the list's order, then the name typed
	// under Other…, then the question's own options.
	var labels []string
	for _, o := range a.Options {
		labels = append(labels, o.Label)
	}
	if want := []string{"Announcing", "Money", "Litter <picks> & co", "None is hard"}; !slices.Equal(labels, want) {
		t.Fatalf("options %v, want %v", labels, want)
	}
	// An activity not picked is refused.
	r.do(choose("events"))
	if a := r.ask(); a.Problem == "" || a.At.Question != "hardest" {
		t.Fatalf("unpicked activity accepted: %+v", a)
	}
	// Picking the typed one records Other with its name; the next question
	// names it.
	r.do(choose(a.Options[2].ID))
	got := r.s.Answers["hardest"]
	if !slices.Equal(got.Values, []string{OtherID}) || got.Other != "Litter <picks> & co" {
		t.Fatalf("hardest: %+v", got)
	}
	if a := r.ask(); a.At.Question != "hard_why" || a.Text != "What makes “Litter <picks> & co” hard?" {
		t.Fatalf("hard_why: %q", a.Text)
	}
	r.do(text("Nobody turns up"))
	// The tools ticked in any row, in catalogue order (not In person, not
	// the matrix's own option), then the names typed under Other….
	if got := ids(r.ask()); !slices.Equal(got[:2], []string{"t00", "t05"}) || !strings.HasPrefix(got[2], "other.0.") || got[3] != "not_really" || len(got) != 4 {
		t.Fatalf("recommend options: %v", got)
	}
	r.do(choose("t05"))
	// A multi over the activities.
	r.do(toggle("money"), toggle(r.ask().Options[2].ID), done())
	fav := r.s.Answers["favourites"]
	if !slices.Equal(fav.Values, []string{"money", OtherID}) || !slices.Equal(fav.OtherNames(), []string{"Litter <picks> & co"}) {
		t.Fatalf("favourites: %+v", fav)
	}
	if r.s.Status != StatusCompleted {
		t.Fatalf("status %s", r.s.Status)
	}
	// Unpicking money in the source drops the answers that picked it.
	r.do(jump("acts", ""), toggle("money"), done())
	if _, ok := r.s.Answers["favourites"]; ok {
		t.Fatal("favourites kept money after it was unpicked")
	}
	if _, ok := r.s.Answers["recommend"]; ok {
		t.Fatal("recommend kept t05 after money's row went")
	}
	if _, ok := r.s.Answers["hardest"]; !ok {
		t.Fatal("hardest (Litter picks) dropped although it is still picked")
	}
}

func TestOptionsFromNothingPicked(t *testing.T) {
	r := newRunner(t, fixtureFrom(t)).do(start(), agree(), toggle("nothing"), done())
	// No activity: no rows, no hardest, no hard_why; recommend has no
	// tools to offer and favourites no activities: both left out.
	if r.s.Status != StatusCompleted {
		t.Fatalf("status %s at %+v", r.s.Status, r.s.Cursor)
	}
	for _, q := range []string{"hardest", "hard_why", "recommend", "favourites"} {
		if _, ok := r.s.Answers[q]; ok {
			t.Errorf("%s answered", q)
		}
	}
}

func TestNamingAnswerInEveryLanguage(t *testing.T) {
	r := newRunner(t, fixtureFrom(t)).do(Input{Kind: InputLanguage, Text: "es"}, agree(), toggle("events"), done(), toggle("t03"), done(), choose("events"))
	if a := r.ask(); a.Text != "¿Qué hace difícil «Events»?" {
		t.Fatalf("es: %q", a.Text)
	}
	// Changing the answer named drops the answer that named it.
	r.do(text("Nadie viene"))
	r.do(jump("hardest", ""), choose("none"))
	if _, ok := r.s.Answers["hard_why"]; ok {
		t.Fatal("hard_why kept after hardest changed")
	}
	if a := r.ask(); a.At.Question != "recommend" {
		t.Fatalf("after None is hard: %+v", a.At)
	}
}

func TestPages(t *testing.T) {
	r := newRunner(t, fixtureFrom(t)).do(start(), agree(), toggle("announce"), toggle("events"), done())
	a := r.ask()
	if a.Page != 0 || !a.More || a.Pages != 3 || !slices.Equal(ids(a), []string{"t00", "t01", "in_person", OtherID}) {
		t.Fatalf("shortlist: page %d/%d more %v %v", a.Page, a.Pages, a.More, ids(a))
	}
	r.do(Input{Kind: InputMore})
	a = r.ask()
	if a.Page != 1 || len(a.Options) != PageSize+2 || a.Options[0].ID != "t00" || a.Options[PageSize-1].ID != "t29" {
		t.Fatalf("page 1: %d %v", a.Page, ids(a))
	}
	r.do(Input{Kind: InputPage, Option: "3"}, toggle("t65"))
	a = r.ask()
	if a.Page != 3 || len(a.Options) != 10+2 || a.Options[5].ID != "t65" || !a.Options[5].Selected {
		t.Fatalf("page 3: %d %v", a.Page, ids(a))
	}
	// Beyond the last page, or page 0 without a shortlist: nothing moves.
	r.do(Input{Kind: InputPage, Option: "4"})
	if a := r.ask(); a.Page != 3 {
		t.Fatalf("page 4: %d", a.Page)
	}
	// Back to the shortlist: the pick from page 3 is shown there.
	r.do(Input{Kind: InputPage, Option: "0"})
	if a := r.ask(); a.Page != 0 || !slices.Equal(ids(a), []string{"t00", "t01", "t65", "in_person", OtherID}) {
		t.Fatalf("shortlist with a pick: %v", ids(a))
	}
	r.do(done())
	// A row without a shortlist starts on page 1 of its pages.
	a = r.ask()
	if a.More || a.Page != 1 || a.Pages != 3 || a.Options[0].ID != "t00" || len(a.Options) != PageSize+2 {
		t.Fatalf("no shortlist: more %v page %d/%d", a.More, a.Page, a.Pages)
	}
	r.do(Input{Kind: InputPage, Option: "0"})
	if a := r.ask(); a.Page != 1 {
		t.Fatalf("page 0 without a shortlist: %d", a.Page)
	}
	r.do(Input{Kind: InputPage, Option: "2"}, toggle("t40"), Input{Kind: InputPage, Option: "1"}, toggle("t01"), done())
	if got := r.s.Answers["tools/events"].Values; !slices.Equal(got, []string{"t01", "t40"}) {
		t.Fatalf("picks over pages: %v", got)
	}
}

func TestTapsOfNewButtons(t *testing.T) {
	for _, tap := range []Tap{
		{Kind: InputPage, Version: 2, At: Cursor{Question: "tools", Item: "events"}, Option: "12"},
		{Kind: InputSame, Version: 2, At: Cursor{Question: "tools", Item: "events"}},
		{Kind: InputToggle, Version: 2, At: Cursor{Question: "tools", Item: "events"}, Option: otherRef(4, "Action Network")},
		{Kind: InputChoose, Version: 2, At: Cursor{Question: "hardest"}, Option: otherRef(0, "x")},
	} {
		got, err := DecodeTap(tap.Encode())
		if err != nil || got != tap {
			t.Errorf("%+v: round trip gave %+v, %v", tap, got, err)
		}
	}
	for _, bad := range []string{"g:2:tools:events:0012", "g:2:tools:events:1234", "t:2:tools:events:other.1", "t:2:tools:events:other.1.ABCDEF", "b:2:tools:events:other.1.abcdef"} {
		if _, err := DecodeTap(bad); !errors.Is(err, ErrBadTap) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestEarlierVersionFinishesAsBegun(t *testing.T) {
	v1 := fixture(t) // version 2 of "fixture"
	v2 := fixture(t)
	v2.Version = 3
	v2.Questions = slices.DeleteFunc(slices.Clone(v2.Questions), func(q *Question) bool { return q.ID == "hard" || q.ID == "quote" })
	v2.Questions = append(v2.Questions, &Question{ID: "region", Kind: KindSingle, Text: en("Where?"), Options: []*Item{item("north", "North")}})
	if err := Validate(v2); err != nil {
		t.Fatal(err)
	}
	if err := v2.SetEarlier(v1); err != nil {
		t.Fatal(err)
	}
	// Part-way under v1 (version 2) when the survey became v2 (version 3).
	r := newRunner(t, v1).do(start(), agree(), choose("choir"), text("9"), toggle("announce"), done(), toggle("email"), done())
	r.def = v2
	r.do(Input{Kind: InputResume})
	if a := r.ask(); a.At.Question != "hard" {
		t.Fatalf("resumed at %+v, want the v1 question hard", a.At)
	}
	r.do(text("Rotas"), choose("yes"))
	if r.s.Status != StatusCompleted || r.s.Version != 2 {
		t.Fatalf("status %s version %d", r.s.Status, r.s.Version)
	}
	for _, a := range r.s.Answers {
		if a.Version != 2 {
			t.Errorf("answer %s under version %d", a.Key(), a.Version)
		}
	}
	if sum := v2.Summary(&r.s); len(sum) != 6 || sum[4].Question != "What is hard?" {
		t.Fatalf("summary under v1: %+v", sum)
	}
	// Starting again takes the new version.
	r.do(Input{Kind: InputRestart})
	if r.s.Version != 3 {
		t.Fatalf("after restart: version %d", r.s.Version)
	}
	r.do(choose("choir"), text("9"), toggle("announce"), done(), toggle("email"), done(), choose("north"))
	if r.s.Status != StatusCompleted {
		t.Fatalf("v2 after restart: %s at %+v", r.s.Status, r.s.Cursor)
	}
	// Without the earlier version at hand, a session moves to the current
	// one (its first unanswered step).
	r = newRunner(t, v1).do(start(), agree(), choose("choir"))
	bare := fixture(t)
	bare.Version = 3
	r.def = bare
	r.do(Input{Kind: InputResume})
	if r.s.Version != 3 {
		t.Fatalf("without v1: version %d", r.s.Version)
	}
	_ = time.Second
}

func TestSetEarlierRefusesMismatches(t *testing.T) {
	cur := fixture(t)
	other := fixtureFrom(t)
	if err := cur.SetEarlier(other); err == nil {
		t.Error("another survey accepted as an earlier version")
	}
	same := fixture(t)
	if err := cur.SetEarlier(same); err == nil {
		t.Error("the same version accepted as earlier")
	}
	if err := cur.SetEarlier(&Definition{ID: "fixture", Version: 1}); !errors.Is(err, ErrNotReady) {
		t.Errorf("an unvalidated definition: %v", err)
	}
}

func TestEarlierVersionWithoutAnswersTakesTheCurrent(t *testing.T) {
	v1 := fixture(t)
	v2 := fixture(t)
	v2.Version = 3
	if err := Validate(v2); err != nil {
		t.Fatal(err)
	}
	if err := v2.SetEarlier(v1); err != nil {
		t.Fatal(err)
	}
	// Saw the notice of the earlier version, then the bot moved on to the
	// current one: agreeing starts the current version.
	r := newRunner(t, v1).do(start())
	r.def = v2
	r.do(agree())
	if r.s.Version != 3 || r.s.Status != StatusActive {
		t.Fatalf("version %d, status %s", r.s.Version, r.s.Status)
	}
	r.do(choose("choir"))
	if a := r.s.Answers["kind"]; a.Version != 3 {
		t.Fatalf("answer under version %d", a.Version)
	}
}
