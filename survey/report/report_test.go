package report

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/report/reporttest"
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

func fixtureSurvey(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Parse("fixture", []byte(reporttest.FixtureYAML))
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
		opts = &Options{}
	}
	if opts.Location == nil {
		opts.Location = mustZone(t, "Europe/London")
	}
	r, err := Compute(def, week47, ss, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var cmpCount = cmp.AllowUnexported(Count{})

// shownOf returns the numbers of cs, "<5" or "–" for withheld ones.
func shownOf(cs ...Count) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, " ")
}

// TestTypicalWeek: the week of reporttest.Typical, with the study so far
// counting every response (Step 1): "WA" typed under Other… is WhatsApp,
// "Mastodon" a new name that becomes a column of the map, the two who did
// not allow quotes are absent, and the sources leave no small remainder.
func TestTypicalWeek(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical())
	got := compute(t, def, ss, Counts{Total: 40, Started: 11}, &Options{Step: 1})
	c := func(n int) Count { return newCount(n, 5) }
	from, to := week47.Bounds(mustZone(t, "Europe/London"))
	if diff := cmp.Diff(Report{
		Period: week47, From: from, To: to, MinCount: 5,
		RowsQuestion: "activities", ToolsQuestion: "tools",
		Finished: c(8), PreviousFinished: c(6), Total: c(40), Started: c(11), HasStarted: true,
		Moves: []Move{{Activity: "announce", Tool: "facebook", Share: 63, Before: 100}},
	}, got, cmpCount, cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "Study" }, cmp.Ignore())); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	st := got.Study
	if st.Responses != 14 || st.Groups != c(14) || st.Suppressed {
		t.Errorf("study of %d: %v, suppressed %v", st.Responses, st.Groups, st.Suppressed)
	}
	wantRows := []Row{{ID: "announce"}, {ID: "coordinate"}}
	wantCols := []Column{{ID: "whatsapp"}, {ID: "facebook"}, {ID: "~mastodon", Typed: true, Label: "Mastodon"}, {ID: "signal"}}
	if diff := cmp.Diff(wantRows, st.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCols, st.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"events"}, st.FewRows); diff != "" {
		t.Errorf("few rows (-want +got):\n%s", diff)
	}
	all := st.Views[0]
	for i, want := range []string{
		"14 | 8 11 0 0 | typed 0", // announce: WhatsApp from the ticks and "WA", Facebook
		"11 | 6 0 5 5 | typed 5",  // coordinate: Mastodon typed in by five
	} {
		f := all.Rows[i]
		if got := fmt.Sprintf("%s | %s | typed %s", f.Groups, shownOf(f.Cells...), f.TypedIn); got != want {
			t.Errorf("row %s: %s, want %s", st.Rows[i].ID, got, want)
		}
	}
	if diff := cmp.Diff([]NewTool{{Name: "Mastodon", Groups: c(8)}}, st.NewTools, cmpCount); diff != "" || !st.FewNewTools {
		t.Errorf("new tools (-want +got):\n%s\nfew: %v", diff, st.FewNewTools)
	}
	// Version 2 asks why about the activity named hardest: the first.
	wantQuotes := []Quote{{reporttest.Quotes[2], "announce"}, {reporttest.Quotes[1], "announce"}, {reporttest.Quotes[0], "announce"}}
	if diff := cmp.Diff(wantQuotes, st.Quotes); diff != "" {
		t.Errorf("quotes (-want +got):\n%s", diff)
	}
	// Eleven from the flyer, two without a link, one invitation: the three
	// are too few, and since the total is known, the flyer joins them.
	if diff := cmp.Diff([]Source{{Kind: SourceOther, Groups: c(14)}}, st.Sources, cmpCount); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]WeekCount{{Period{2026, 46}, c(6)}, {week47, c(8)}}, st.Weeks, cmpCount); diff != "" {
		t.Errorf("weeks (-want +got):\n%s", diff)
	}
}

// TestStep: the study so far counts responses Step at a time, oldest
// first, so that a new response changes nothing until Step have come.
func TestStep(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical()) // 14 responses
	got := compute(t, def, ss, Counts{}, nil)
	if got.Study.Responses != 14 || got.Study.Groups.String() != "10" {
		t.Fatalf("study: %d responses, %v counted; want 14 and 10", got.Study.Responses, got.Study.Groups)
	}
	// The ten oldest: the six of the week before and the first four of
	// this week.
	// Four of this week are too few, and the six of the week before would
	// give them away.
	if diff := cmp.Diff([]WeekCount{{Period{2026, 46}, newCount(6, 5).hide()}, {week47, newCount(4, 5).hide()}}, got.Study.Weeks, cmpCount); diff != "" {
		t.Errorf("weeks (-want +got):\n%s", diff)
	}
	// One more response changes nothing; the fifteenth makes fifteen.
	more := respond(t, def, []reporttest.Response{{At: reporttest.Monday.Add(6 * 24 * time.Hour), Tools: map[string][]string{"money": {"paper"}}}})
	if g := compute(t, def, append(ss, more...), Counts{}, nil).Study; g.Groups.String() != "15" || g.Responses != 15 {
		t.Errorf("fifteen responses: %v counted", g.Groups)
	}
	if g := compute(t, def, ss[:13], Counts{}, nil).Study; g.Groups.String() != "10" {
		t.Errorf("thirteen responses: %v counted", g.Groups)
	}
	if g := compute(t, def, ss[:4], Counts{}, nil).Study; !g.Suppressed || g.Groups.String() != "0" {
		t.Errorf("four responses: %v counted, suppressed %v", g.Groups, g.Suppressed)
	}
}

func (c Count) hide() Count { c.hidden = true; return c }

func TestEmptyWeek(t *testing.T) {
	def := defaultSurvey(t)
	got := compute(t, def, nil, Counts{Total: 0, Started: 0}, nil)
	if !got.Suppressed || !got.Study.Suppressed {
		t.Error("an empty week is not suppressed")
	}
	if n, ok := got.Finished.Value(); !ok || n != 0 {
		t.Errorf("Finished = %v, %v; want 0 shown", n, ok)
	}
	if got.Moves != nil || got.Study.Rows != nil || got.Study.Quotes != nil || got.Study.Sources != nil {
		t.Errorf("an empty week has a breakdown: %+v", got)
	}
}

// TestUnderThreshold: four responses, all allowing quotes and all from one
// named link: nothing but the counts may show, and they are withheld.
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
	got := compute(t, def, ss, Counts{Total: 4, Started: 4}, &Options{Step: 1})
	if !got.Suppressed || !got.Study.Suppressed {
		t.Fatal("not suppressed")
	}
	for name, c := range map[string]Count{"Finished": got.Finished, "Total": got.Total, "Started": got.Started, "Study": got.Study.Groups} {
		if _, ok := c.Value(); ok {
			t.Errorf("%s = %v is shown", name, c)
		}
	}
	st := got.Study
	if st.Quotes != nil || st.Sources != nil || st.NewTools != nil || st.Rows != nil || st.FewRows != nil || st.Views != nil || st.Weeks != nil || st.FewNewTools || got.Moves != nil {
		t.Errorf("a study under the threshold shows a breakdown: %+v", st)
	}
}

// TestThreeThisWeek: a week of three finishers shows nothing of its own,
// but the study so far shows the map where its cells reach the threshold.
func TestThreeThisWeek(t *testing.T) {
	def := defaultSurvey(t)
	var rs []reporttest.Response
	for i := range 12 {
		at := reporttest.Monday.Add(-time.Duration(3+i) * 24 * time.Hour)
		if i < 3 {
			at = reporttest.Monday.Add(time.Duration(i+1) * time.Hour)
		}
		tools := []string{"whatsapp"}
		if i%2 == 0 {
			tools = append(tools, "email")
		}
		rs = append(rs, reporttest.Response{At: at, Tools: map[string][]string{"announce": tools, "money": {"paper"}}})
	}
	got := compute(t, def, respond(t, def, rs), Counts{}, nil)
	if !got.Suppressed || got.Moves != nil {
		t.Errorf("a week of three: suppressed %v, moves %v", got.Suppressed, got.Moves)
	}
	if n, ok := got.Finished.Value(); ok {
		t.Errorf("finished this week shown: %d", n)
	}
	st := got.Study
	if st.Suppressed || st.Groups.String() != "10" || len(st.Rows) != 2 {
		t.Fatalf("study so far: %v groups, rows %v", st.Groups, st.Rows)
	}
	// Ten counted: the nine before this week, then the first of it.
	f := st.Views[0].Rows[0]
	if got := st.Rows[0].ID + " " + f.Groups.String() + " " + shownOf(f.Cells...); got != "announce 10 10 0 5" {
		t.Errorf("announce: %s", got)
	}
	if f := st.Views[0].Rows[1]; f.PaperOnly.String() != "10" {
		t.Errorf("money on paper only: %s", f.PaperOnly)
	}
}

// TestQuotes: quotes come only from respondents whose quote_ok answer is
// yes; the question and option are options.
func TestQuotes(t *testing.T) {
	def := defaultSurvey(t)
	ss := respond(t, def, reporttest.Typical())
	got := compute(t, def, ss, Counts{}, &Options{Step: 1})
	for _, q := range got.Study.Quotes {
		if q.Text == reporttest.Quotes[3] || q.Text == reporttest.Quotes[4] {
			t.Errorf("quoted someone who did not allow it: %q", q)
		}
	}
	// With "no" as the permission, only the other two are quoted.
	got = compute(t, def, ss, Counts{}, &Options{QuoteYes: "no", Step: 1})
	want := []Quote{{reporttest.Quotes[4], "announce"}, {reporttest.Quotes[3], "announce"}}
	if diff := cmp.Diff(want, got.Study.Quotes); diff != "" {
		t.Errorf("quotes with QuoteYes no (-want +got):\n%s", diff)
	}
	// A question that does not exist allows no one.
	got = compute(t, def, ss, Counts{}, &Options{QuoteQuestion: "nope", Step: 1})
	if got.Study.Quotes != nil {
		t.Errorf("quotes without permission: %q", got.Study.Quotes)
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
	got := compute(t, def, ss, Counts{}, &Options{MinCount: 1}).Study
	if got.NewTools != nil || got.FewNewTools {
		t.Errorf("new names: %v %v", got.NewTools, got.FewNewTools)
	}
	// Loomio is in the catalogue: five groups, counted as the tool.
	var cols []string
	for _, c := range got.Columns {
		cols = append(cols, c.ID)
	}
	if diff := cmp.Diff([]string{"loomio", "whatsapp", "email"}, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if f := got.Views[0].Rows[0]; shownOf(f.Cells...) != "5 1 1" || f.TypedIn.String() != "0" {
		t.Errorf("decide: %s, typed in %s", shownOf(f.Cells...), f.TypedIn)
	}
}

// TestTypedActivities: activities typed under Other… are rows of the map
// once enough groups name them (spelled as most did), with the tools of
// their matrix row; one that is an activity's label or alias is that
// activity, counted once with a group's tools for both.
func TestTypedActivities(t *testing.T) {
	def := fixtureSurvey(t)
	var rs []reporttest.Response
	for i := range 6 {
		name := "Running a food bank"
		if i == 0 {
			name = "running a FOOD bank!"
		}
		rs = append(rs, reporttest.Response{
			At:    reporttest.Monday.Add(time.Duration(i+1) * time.Hour),
			Tools: map[string][]string{"other:" + name: {"whatsapp", "other:Food bank app"}},
		})
	}
	for i := range 5 {
		rs = append(rs, reporttest.Response{
			At:    reporttest.Monday.Add(time.Duration(i+10) * time.Hour),
			Tools: map[string][]string{"money": {"spreadsheet"}, "other:Bookkeeping": {"paper"}},
		})
	}
	got := compute(t, def, respond(t, def, rs), Counts{}, &Options{Step: 1}).Study
	want := []Row{{ID: "~running a food bank", Typed: true, Label: "Running a food bank"}, {ID: "money"}}
	if diff := cmp.Diff(want, got.Rows); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	var cols []string
	for _, c := range got.Columns {
		cols = append(cols, c.ID)
	}
	if diff := cmp.Diff([]string{"whatsapp", "~food bank app", "spreadsheet", "paper"}, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	for i, want := range []string{"6 | 6 6 0 0 | paper 0 typed 6", "5 | 0 0 5 5 | paper 0 typed 0"} {
		f := got.Views[0].Rows[i]
		if got := fmt.Sprintf("%s | %s | paper %s typed %s", f.Groups, shownOf(f.Cells...), f.PaperOnly, f.TypedIn); got != want {
			t.Errorf("row %d: %s, want %s", i, got, want)
		}
	}
}

// fixtureResponses returns n varied responses to the fixture survey, the
// same for the same seed.
func fixtureResponses(t testing.TB, def *survey.Definition, n int, seed uint64) []survey.Session {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var rs []reporttest.Response
	for i := range n {
		r := reporttest.Response{
			At:     reporttest.Monday.Add(-time.Duration(n-i) * 97 * time.Minute),
			Source: pick("", "s-flyer", "flyer", "r-abc", "group", "partner_union", "g-x"),
			Tools:  map[string][]string{},
			Choices: map[string]string{
				"group_kind": pick("union", "union", "choir", "mutual_aid", "mutual_aid", "mutual_aid"),
				"size":       pick("small", "small", "large"),
				"region":     pick("", "wales", "london", "london", "scotland", "outside_uk"),
				"role":       pick("", "organiser", "volunteer"),
			},
			Texts: map[string]string{},
		}
		for _, a := range []string{"announce", "money", "decide"} {
			if rng.IntN(3) == 0 {
				continue
			}
			switch rng.IntN(6) {
			case 0:
				r.Tools[a] = nil // no tool
			case 1:
				r.Tools[a] = []string{"paper"}
			case 2:
				r.Tools[a] = []string{pick("whatsapp", "email"), "other:" + pick("Loomio", "Signal", "a noticeboard")}
			default:
				r.Tools[a] = []string{pick("whatsapp", "email", "spreadsheet"), pick("whatsapp", "email", "paper")}
			}
		}
		if len(r.Tools) == 0 {
			r.Tools["announce"] = []string{"whatsapp"}
		}
		var acts []string
		for a := range r.Tools {
			acts = append(acts, a)
		}
		slices.Sort(acts)
		r.Choices["hardest_activity"] = pick(append(acts, "none")...)
		if rng.IntN(2) == 0 && r.Choices["hardest_activity"] != "none" {
			r.Texts["hard_why"] = fmt.Sprintf("It takes ages (%d)", i)
			r.Quote = rng.IntN(2) == 0
		} else {
			r.Texts["hard_why"] = ""
		}
		r.Choices["recommend"] = pick("", "not_really", "whatsapp", "spreadsheet")
		rs = append(rs, r)
	}
	return respond(t, def, rs)
}

// TestFixtureStudy: the gaps, filters and recommendations of a survey
// shaped like version 2 of the default one, on hand-made answers.
func TestFixtureStudy(t *testing.T) {
	def := fixtureSurvey(t)
	var rs []reporttest.Response
	add := func(n int, r reporttest.Response) {
		for range n {
			r.At = reporttest.Monday.Add(time.Duration(len(rs)+1) * time.Hour)
			rs = append(rs, r)
		}
	}
	add(6, reporttest.Response{Choices: map[string]string{"group_kind": "union", "size": "small", "region": "wales", "hardest_activity": "money", "recommend": "spreadsheet"},
		Tools: map[string][]string{"money": nil, "announce": {"whatsapp"}}, Texts: map[string]string{"hard_why": "Nobody wants to be treasurer"}, Quote: true})
	add(5, reporttest.Response{Choices: map[string]string{"group_kind": "choir", "size": "large", "region": "london", "hardest_activity": "none", "recommend": "not_really"},
		Tools: map[string][]string{"money": {"paper"}, "announce": {"email", "whatsapp"}}, Texts: map[string]string{"hard_why": ""}})
	add(2, reporttest.Response{Choices: map[string]string{"group_kind": "choir", "size": "small", "region": "", "hardest_activity": "announce", "recommend": ""},
		Tools: map[string][]string{"announce": {"email", "other:Loomio"}}, Texts: map[string]string{"hard_why": ""}})
	got := compute(t, def, respond(t, def, rs), Counts{}, &Options{Step: 1}).Study

	var filters []string
	for _, f := range got.Filters {
		filters = append(filters, f.Question)
	}
	if diff := cmp.Diff([]string{"group_kind", "size", "region", "role"}, filters); diff != "" {
		t.Errorf("filters (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Row{{ID: "announce"}, {ID: "money"}}, got.Rows); diff != "" {
		t.Fatalf("rows (-want +got):\n%s", diff)
	}
	all := got.Views[0]
	money := all.Rows[1]
	if s := fmt.Sprintf("hardest %s of %s, no tool %s, paper %s", money.Hardest, money.HardBase, money.NoTool, money.PaperOnly); s != "hardest 6 of 11, no tool 6, paper 5" {
		t.Errorf("money: %s", s)
	}
	if a := all.Rows[0]; a.Hardest.String() != "<5" || a.TypedIn.String() != "<5" {
		t.Errorf("announce: hardest %s, typed in %s", a.Hardest, a.TypedIn)
	}
	if diff := cmp.Diff([]Quote{{Text: "Nobody wants to be treasurer", Activity: "money"}}, got.Quotes); diff != "" {
		t.Errorf("quotes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Tool{{ID: "spreadsheet", Groups: newCount(6, 5)}}, got.Recommended, cmpCount); diff != "" {
		t.Errorf("recommended (-want +got):\n%s", diff)
	}
	// By size: small 8, large 5. Small's announce count is 8, large's 5,
	// and all groups' 13: nothing to withhold.
	view := func(q, v string) View {
		for _, w := range got.Views {
			if w.Filter == q && w.Value == v {
				return w
			}
		}
		t.Fatalf("no view %s=%s", q, v)
		return View{}
	}
	if s := view("size", "small"); s.Groups.String() != "8" || s.Rows[0].Groups.String() != "8" {
		t.Errorf("small: %s groups, announce %s", s.Groups, s.Rows[0].Groups)
	}
	// By region: Wales 6, London 5, and two who did not say. The two would
	// be all groups less Wales and London: London, the smaller, is
	// withheld too.
	if w, l := view("region", "wales"), view("region", "london"); w.Groups.String() != "6" || l.Groups.String() != "–" {
		t.Errorf("regions: Wales %s, London %s", w.Groups, l.Groups)
	}
	// By kind: union 6, choir 7: all shown.
	if u, c := view("group_kind", "union"), view("group_kind", "choir"); u.Groups.String() != "6" || c.Groups.String() != "7" {
		t.Errorf("kinds: union %s, choir %s", u.Groups, c.Groups)
	}
	checkStudy(t, got)
}

// checkStudy fails when any shown number is under the threshold, when a
// withheld one could be worked out as a small number (from all groups and
// the values shown of one filter), or when a share would rest on a
// withheld base.
func checkStudy(t *testing.T, st Study) {
	t.Helper()
	minN := st.MinCount
	type measure struct {
		name string
		get  func(v View) Count
	}
	ms := []measure{{"groups", func(v View) Count { return v.Groups }}}
	for r := range st.Rows {
		row := func(f func(RowFigures) Count) func(View) Count { return func(v View) Count { return f(v.Rows[r]) } }
		id := st.Rows[r].ID
		ms = append(ms,
			measure{id + " groups", row(func(f RowFigures) Count { return f.Groups })},
			measure{id + " hardest", row(func(f RowFigures) Count { return f.Hardest })},
			measure{id + " hard base", row(func(f RowFigures) Count { return f.HardBase })},
			measure{id + " no tool", row(func(f RowFigures) Count { return f.NoTool })},
			measure{id + " paper only", row(func(f RowFigures) Count { return f.PaperOnly })},
			measure{id + " typed in", row(func(f RowFigures) Count { return f.TypedIn })})
		for c := range st.Columns {
			ms = append(ms, measure{id + " " + st.Columns[c].ID, row(func(f RowFigures) Count { return f.Cells[c] })})
		}
	}
	for _, m := range ms {
		for _, v := range st.Views {
			if n, ok := m.get(v).Value(); ok && n > 0 && n < minN {
				t.Errorf("%s in %s=%s: %d shown", m.name, v.Filter, v.Value, n)
			}
		}
		total, ok := m.get(st.Views[0]).Value()
		if !ok {
			continue
		}
		for _, f := range st.Filters {
			rest := total
			for _, vi := range f.Views {
				if n, ok := m.get(st.Views[vi]).Value(); ok {
					rest -= n
				}
			}
			if rest > 0 && rest < minN {
				t.Errorf("%s by %s: the withheld values add up to %d, which all groups less those shown gives away", m.name, f.Question, rest)
			}
		}
	}
	for _, v := range st.Views {
		for r, f := range v.Rows {
			if f.Groups.Hidden() {
				for c, cell := range f.Cells {
					if !cell.Hidden() {
						t.Errorf("%s=%s: %s × %s shown on a withheld base", v.Filter, v.Value, st.Rows[r].ID, st.Columns[c].ID)
					}
				}
			}
		}
	}
}

// TestStudyProtected: on many random studies, checkStudy finds nothing,
// and at least some numbers are withheld only to protect others.
func TestStudyProtected(t *testing.T) {
	def := fixtureSurvey(t)
	secondary := 0
	for seed := range uint64(6) {
		ss := fixtureResponses(t, def, 40+int(seed)*25, seed)
		st := compute(t, def, ss, Counts{}, &Options{Step: 1}).Study
		checkStudy(t, st)
		for _, v := range st.Views {
			if v.Groups.hidden && !v.Groups.Small() {
				secondary++
			}
			for _, f := range v.Rows {
				for _, c := range f.Cells {
					if c.hidden && !c.Small() && !f.Groups.Hidden() {
						secondary++
					}
				}
			}
		}
	}
	if secondary == 0 {
		t.Error("no number was withheld to protect another: the test data are too tame")
	}
}

func TestProtect(t *testing.T) {
	for _, tc := range []struct {
		vals  []int
		parts [][]int
		want  string // shown: 1 or 0 per value
	}{
		{[]int{20, 8, 7, 5}, [][]int{{1, 2, 3}}, "1111"},
		{[]int{20, 8, 7, 3, 2}, [][]int{{1, 2, 3, 4}}, "11100"}, // 3+2 = 5: enough
		{[]int{20, 8, 9, 3}, [][]int{{1, 2, 3}}, "1010"},        // 3 alone: the smaller of 8 and 9 goes too
		{[]int{20, 8, 10}, [][]int{{1, 2}}, "101"},              // 2 did not answer: 8 goes
		{[]int{20, 10, 10}, [][]int{{1, 2}}, "111"},
		{[]int{3, 3, 0}, [][]int{{1, 2}}, "001"},                          // the total itself is small
		{[]int{20, 20, 0, 0}, [][]int{{1, 2, 3}}, "1111"},                 // zeros are shown
		{[]int{20, 16, 4}, [][]int{{1, 2}}, "100"},                        // 4 withheld, 16 with it
		{[]int{30, 8, 7, 15, 9, 6}, [][]int{{1, 2}, {3, 4, 5}}, "111111"}, // 15 did not answer the first
	} {
		shown := protect(tc.vals, tc.parts, 5)
		var got strings.Builder
		for _, s := range shown {
			if s {
				got.WriteByte('1')
			} else {
				got.WriteByte('0')
			}
		}
		if got.String() != tc.want {
			t.Errorf("protect(%v, %v) = %s, want %s", tc.vals, tc.parts, got.String(), tc.want)
		}
	}
}

// TestCollect: Collect on any number of workers gives what Compute gives.
func TestCollect(t *testing.T) {
	def := fixtureSurvey(t)
	ss := fixtureResponses(t, def, 150, 3)
	loc := mustZone(t, "Europe/London")
	want := compute(t, def, ss, Counts{Total: 1, Started: 3}, &Options{Location: loc})
	slices.SortStableFunc(ss, func(x, y survey.Session) int { return x.CompletedAt.Compare(y.CompletedAt) })
	for _, workers := range []int{1, 2, 3} {
		b, err := New(def, week47, &Options{Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		scan := func(from, to time.Time, w int, count func(int), fn func(worker, seq int, s *survey.Session) error) error {
			var in []survey.Session
			for _, s := range ss {
				if s.CompletedAt.Before(to) {
					in = append(in, s)
				}
			}
			count(len(in))
			for i := range in { // deal them out as a store would, in order per worker
				if err := fn(i%w, i, &in[i]); err != nil {
					return err
				}
			}
			return nil
		}
		if err := b.Collect(scan, workers); err != nil {
			t.Fatal(err)
		}
		got := b.Report(Counts{Total: 1, Started: 3})
		if diff := cmp.Diff(want, got, cmpCount); diff != "" {
			t.Errorf("%d workers (-Compute +Collect):\n%s", workers, diff)
		}
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
	for in, want := range map[string]string{
		"": "direct ", "s-flyer": "source flyer", "flyer": "source flyer", "r-abc": "referral ", "g-xyz": "referral ",
		"group": "referral ", "s-": "source s-", "eyJ4IjoxfQ": "source eyJ4IjoxfQ",
	} {
		if kind, name := ClassifySource(in); string(kind)+" "+name != want {
			t.Errorf("ClassifySource(%q) = %s %s, want %s", in, kind, name, want)
		}
	}
}

// TestSources: sources named by enough groups are listed, links passed on
// by respondents together, the rest as "other links", never a small
// remainder.
func TestSources(t *testing.T) {
	def := defaultSurvey(t)
	var rs []reporttest.Response
	add := func(n int, src string) {
		for range n {
			rs = append(rs, reporttest.Response{At: reporttest.Monday.Add(time.Duration(len(rs)+1) * time.Hour), Source: src,
				Tools: map[string][]string{"announce": {"whatsapp"}}})
		}
	}
	add(4, "s-flyer")
	add(3, "flyer") // the same source: seven
	add(2, "r-abc")
	add(2, "group")
	add(1, "g-x") // passed on: five
	add(6, "")
	add(2, "radio")
	add(3, "stall")
	got := compute(t, def, respond(t, def, rs), Counts{}, &Options{Step: 1}).Study.Sources
	c := func(n int) Count { return newCount(n, 5) }
	want := []Source{{SourceNamed, "flyer", c(7)}, {SourceDirect, "", c(6)}, {SourceReferral, "", c(5)}, {SourceOther, "", c(5)}}
	if diff := cmp.Diff(want, got, cmpCount); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestNoMatrix(t *testing.T) {
	def := &survey.Definition{ID: "x", DefaultLanguage: "en"}
	if _, err := New(def, week47, nil); err != ErrNoMatrix {
		t.Errorf("New = %v, want ErrNoMatrix", err)
	}
}

// BenchmarkReport100k aggregates 100,000 responses into the study so far
// and a week.
func BenchmarkReport100k(b *testing.B) {
	def := defaultSurvey(b)
	ss, err := reporttest.Synthetic(def, 100_000, reporttest.Monday.Add(-51*7*24*time.Hour), 52*7*24*time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	loc := mustZone(b, "Europe/London")
	b.ResetTimer()
	for b.Loop() {
		r, err := Compute(def, week47, ss, Counts{Total: len(ss)}, &Options{Location: loc})
		if err != nil || r.Study.Suppressed {
			b.Fatal(err, r.Study.Suppressed)
		}
	}
}
