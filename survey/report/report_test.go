package report

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
	"toolmap/survey/report/reporttest"
	"toolmap/survey/surveyfile"
)

var week47 = Period{2026, 47}

func defaultSurvey(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func respond(t testing.TB, def *survey.Definition, rs []reporttest.Response) []survey.Session {
	t.Helper()
	ss, err := reporttest.RespondAll(def, rs)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func compute(t testing.TB, def *survey.Definition, ss []survey.Session, c Counts, opts *Options) Report {
	t.Helper()
	if opts == nil {
		opts = &Options{Location: mustZone(t, "Europe/London")}
	}
	r, err := computeReport(def, week47, ss, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var cmpCount = cmp.AllowUnexported(Count{})

func TestTypicalWeek(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical())
	got := compute(t, def, ss, Counts{Total: 40, Started: 11}, nil)
	c := func(n int) Count { return newCount(n, 5) }
	from, to := week47.Bounds(mustZone(t, "Europe/London"))
	want := Report{
		Period: week47, From: from, To: to, MinCount: 5,
		RowsQuestion: "activities", ToolsQuestion: "tools",
		Finished: c(8), PreviousFinished: c(6), Total: c(40), Started: c(11), HasStarted: true,
		Activities: []Activity{
			// "WA" typed under Other… is WhatsApp, counted once per group.
			{ID: "announce", Groups: c(8), Tools: []Tool{{"whatsapp", c(8), 100}, {"facebook", c(5), 63}}},
			{ID: "coordinate", Groups: c(5), Tools: []Tool{{"signal", c(5), 100}}},
		},
		FewActivities: []string{"events"},
		Tools:         []Tool{{"whatsapp", c(8), 100}, {"facebook", c(5), 63}, {"signal", c(5), 63}},
		Moves:         []Move{{ID: "facebook", Share: 63, Before: 100}},
		NewTools:      []NewTool{{Name: "Mastodon", Groups: c(8)}},
		FewNewTools:   true, // Zoomerang
		Quotes:        []string{reporttest.Quotes[2], reporttest.Quotes[1], reporttest.Quotes[0]},
		Sources: []Source{
			{Kind: SourceNamed, Name: "flyer", Groups: c(5)},
			{Kind: SourceOther, Groups: c(3)}, // two without a link, one invitation
		},
	}
	if diff := cmp.Diff(want, got, cmpCount); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestEmptyWeek(t *testing.T) {
	def := defaultSurvey(t)
	got := compute(t, def, nil, Counts{Total: 0, Started: 0}, nil)
	if !got.Suppressed {
		t.Error("an empty week is not suppressed")
	}
	if n, ok := got.Finished.Value(); !ok || n != 0 {
		t.Errorf("Finished = %v, %v; want 0 shown", n, ok)
	}
	if got.Activities != nil || got.Tools != nil || got.Quotes != nil || got.Sources != nil || got.NewTools != nil {
		t.Errorf("an empty week has a breakdown: %+v", got)
	}
}

// TestUnderThreshold: four responses, all allowing quotes and all from one
// named link: nothing but the counts may show, and the count of the week is
// withheld.
func TestUnderThreshold(t *testing.T) {
	def := defaultSurvey(t)
	var rs []reporttest.Response
	for i := range 4 {
		rs = append(rs, reporttest.Response{
			At: reporttest.Monday.Add(time.Duration(i+1) * time.Hour), Source: "s-union_branch",
			Tools: map[string][]string{"announce": {"signal"}, "coordinate": {"other:Tiny Union App"}},
			Hard:  "Quote me", Quote: true,
		})
	}
	ss := respond(t, def, rs)
	got := compute(t, def, ss, Counts{Total: 4, Started: 4}, nil)
	if !got.Suppressed {
		t.Fatal("not suppressed")
	}
	for name, c := range map[string]Count{"Finished": got.Finished, "Total": got.Total, "Started": got.Started} {
		if _, ok := c.Value(); ok {
			t.Errorf("%s = %v is shown", name, c)
		}
	}
	if got.Quotes != nil || got.Sources != nil || got.NewTools != nil || got.Activities != nil || got.FewActivities != nil || got.Tools != nil || got.FewNewTools {
		t.Errorf("a week under the threshold shows a breakdown: %+v", got)
	}
}

// TestQuotes: quotes come only from respondents whose quote_ok answer is
// yes; the question and option are options.
func TestQuotes(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical())
	got := compute(t, def, ss, Counts{}, nil)
	for _, q := range got.Quotes {
		if q == reporttest.Quotes[3] || q == reporttest.Quotes[4] {
			t.Errorf("quoted someone who did not allow it: %q", q)
		}
	}
	// With "no" as the permission, only the other two are quoted.
	got = compute(t, def, ss, Counts{}, &Options{QuoteYes: "no"})
	want := []string{reporttest.Quotes[4], reporttest.Quotes[3]}
	if diff := cmp.Diff(want, got.Quotes); diff != "" {
		t.Errorf("quotes with QuoteYes no (-want +got):\n%s", diff)
	}
	// A question that does not exist allows no one.
	got = compute(t, def, ss, Counts{}, &Options{QuoteQuestion: "nope"})
	if got.Quotes != nil {
		t.Errorf("quotes without permission: %q", got.Quotes)
	}
}

func TestLongQuoteIsCut(t *testing.T) {
	long := "We tried everything " + string(slices.Repeat([]byte("and then some more "), 30)) + "end."
	got := cut(clean(long), 280)
	if n := len([]rune(got)); n > 280 {
		t.Errorf("cut to %d runes", n)
	}
	if got[len(got)-len("…"):] != "…" {
		t.Errorf("no ellipsis: %q", got)
	}
}

// TestOtherNames: names typed under Other… are merged ignoring case and
// punctuation; a name that is a tool's label or alias in any language is
// that tool.
func TestOtherNames(t *testing.T) {
	def := defaultSurvey(t)
	spell := []string{"Loomio!", "loomio", "LOOMIO", "  Loomio ", "Loomio", "whats app", "Correo electrónico"}
	var rs []reporttest.Response
	for i, s := range spell {
		rs = append(rs, reporttest.Response{
			At:    reporttest.Monday.Add(time.Duration(i+1) * time.Hour),
			Tools: map[string][]string{"decide": {"other:" + s}},
		})
	}
	ss := respond(t, def, rs)
	got := compute(t, def, ss, Counts{}, &Options{MinCount: 1})
	wantNew := []NewTool(nil)
	if diff := cmp.Diff(wantNew, got.NewTools, cmpCount); diff != "" {
		t.Errorf("new names (-want +got):\n%s", diff)
	}
	// Loomio is in the catalogue: five groups, counted as the tool.
	var decide Activity
	for _, a := range got.Activities {
		if a.ID == "decide" {
			decide = a
		}
	}
	wantTools := []Tool{{"loomio", newCount(5, 1), 71}, {"whatsapp", newCount(1, 1), 14}, {"email", newCount(1, 1), 14}}
	if diff := cmp.Diff(wantTools, decide.Tools, cmpCount); diff != "" {
		t.Errorf("decide tools (-want +got):\n%s", diff)
	}
}

// TestDeterministic: the order responses arrive in changes nothing.
func TestDeterministic(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical())
	want := compute(t, def, ss, Counts{Total: 40, Started: 11}, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(ss), func(i, j int) { ss[i], ss[j] = ss[j], ss[i] })
		got := compute(t, def, ss, Counts{Total: 40, Started: 11}, nil)
		if diff := cmp.Diff(want, got, cmpCount); diff != "" {
			t.Fatalf("shuffled (-want +got):\n%s", diff)
		}
	}
}

func TestClassifySource(t *testing.T) {
	for in, want := range map[string]SourceKind{"": SourceDirect, "s-flyer": SourceNamed, "r-abc": SourceReferral, "g-xyz": SourceGroup, "s-": SourceOther, "eyJ4IjoxfQ": SourceOther} {
		if got, _ := ClassifySource(in); got != want {
			t.Errorf("ClassifySource(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestNoMatrix(t *testing.T) {
	def := &survey.Definition{ID: "x", DefaultLanguage: "en"}
	if _, err := New(def, week47, nil); err != ErrNoMatrix {
		t.Errorf("New = %v, want ErrNoMatrix", err)
	}
}

// BenchmarkReport100k aggregates 100,000 responses, all finished in the
// week reported on (the worst case: a week of a large wave).
func BenchmarkReport100k(b *testing.B) {
	def := defaultSurvey(b)
	ss, err := reporttest.Synthetic(def, 100_000, reporttest.Monday, 7*24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	loc := mustZone(b, "Europe/London")
	b.ResetTimer()
	for b.Loop() {
		r, err := computeReport(def, week47, ss, Counts{Total: len(ss)}, &Options{Location: loc})
		if err != nil || r.Suppressed {
			b.Fatal(err, r.Suppressed)
		}
	}
}

// TestSeveralOtherNames: every name given under Other… for an activity
// counts, not only the first.
func TestSeveralOtherNames(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, []reporttest.Response{{At: reporttest.Monday.Add(time.Hour), Tools: map[string][]string{"decide": {"polls"}}}})
	s := ss[0]
	a := s.Answers["tools/decide"]
	a.Values = []string{"polls", survey.OtherID}
	a.Other, a.Others = "Mastodon", []string{"Mastodon", "Loomio"}
	s.Answers["tools/decide"] = a
	got := compute(t, def, []survey.Session{s}, Counts{}, &Options{MinCount: 1})
	var decide Activity
	for _, act := range got.Activities {
		if act.ID == "decide" {
			decide = act
		}
	}
	var tools []string
	for _, tl := range decide.Tools {
		tools = append(tools, tl.ID)
	}
	if !slices.Contains(tools, "loomio") || len(got.NewTools) != 1 || got.NewTools[0].Name != "Mastodon" {
		t.Errorf("decide tools %v, new names %+v: want loomio counted and Mastodon new", tools, got.NewTools)
	}
}

// computeReport is New, Add for each response, and Report.
func computeReport(def *survey.Definition, p Period, responses []survey.Session, c Counts, opts *Options) (Report, error) {
	b, err := New(def, p, opts)
	if err != nil {
		return Report{}, err
	}
	for _, s := range responses {
		b.Add(s)
	}
	return b.Report(c), nil
}
