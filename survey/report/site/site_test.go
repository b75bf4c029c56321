package site

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

var week47 = report.Period{Year: 2026, Week: 47}

func defaultDef(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func fixtureDef(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Parse("fixture", []byte(reporttest.FixtureYAML))
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// responses makes n varied responses to def, in the weeks before week 47:
// profile answers, activities with tools from their shortlists (the
// first ones more often), sometimes none, paper, or a name typed in;
// quotes from some; a few groups that typed an activity of their own.
// Questions the survey does not have are left alone.
func responses(t testing.TB, def *survey.Definition, n int, seed uint64) []survey.Session {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 47))
	options := func(id string) []string {
		q := def.Question(id)
		if q == nil {
			return nil
		}
		var out []string
		for _, from := range []string{q.From, q.Columns} { // a choice's catalogue, a matrix's columns
			if c := def.Catalogue(from); from != "" && c != nil {
				for _, it := range c.Items {
					out = append(out, it.ID)
				}
			}
		}
		for _, it := range q.Options {
			out = append(out, it.ID)
		}
		return out
	}
	// skewed picks earlier options more often.
	skewed := func(xs []string) string { return xs[int(float64(len(xs))*math.Pow(rng.Float64(), 1.6))] }
	tools := def.Question("tools")
	acts := options("activities")
	acts = slices.DeleteFunc(acts, func(s string) bool { return s == "none" })
	allTools := options("tools")
	quotes := []string{"Everyone uses a different app and nobody reads the email.", "Keeping the member list up to date when people move on.",
		"Money: we never know who has paid.", "Finding a time that suits everyone; half of us work shifts.", "Our <b>secretary</b> does it all & is tired."}
	typed := []string{"Mobilizon", "a noticeboard in the library", "Trello", "Bluesky", "word of mouth"}
	var rs []reporttest.Response
	start := reporttest.Monday.Add(-20 * 7 * 24 * time.Hour)
	for i := range n {
		r := reporttest.Response{
			At:      start.Add(time.Duration(float64(20*7*24*time.Hour) * (float64(i) + rng.Float64()) / float64(n))),
			Source:  []string{"", "s-flyer", "partner_union", "r-abc", "group"}[rng.IntN(5)],
			Tools:   map[string][]string{},
			Choices: map[string]string{},
			Texts:   map[string]string{},
		}
		for _, q := range []string{"group_kind", "size", "formality", "region", "role"} {
			if opts := options(q); opts != nil {
				r.Choices[q] = skewed(opts)
				if def.Question(q).Optional && rng.IntN(6) == 0 {
					r.Choices[q] = ""
				}
			}
		}
		if def.Question("area") != nil {
			r.Texts["area"] = ""
		}
		for k, a := range acts {
			if rng.Float64() > 0.75*float64(len(acts)-k)/float64(len(acts))+0.05 {
				continue
			}
			short := tools.Shortlist[a]
			if len(short) == 0 {
				short = allTools
			}
			var ts []string
			switch x := rng.Float64(); {
			case x < 0.06: // no tool
			case x < 0.10:
				ts = []string{"paper"}
			default:
				for range 1 + rng.IntN(4) {
					tl := skewed(short)
					if rng.IntN(4) == 0 { // from More…
						tl = allTools[rng.IntN(len(allTools))]
					}
					if !slices.Contains(ts, tl) && tl != "none" {
						ts = append(ts, tl)
					}
				}
				if rng.IntN(12) == 0 {
					ts = append(ts, "other:"+typed[rng.IntN(len(typed))])
				}
			}
			r.Tools[a] = ts
		}
		if rng.IntN(25) == 0 {
			r.Tools["other:Running the food bank"] = [][]string{{"whatsapp", "paper"}, {"whatsapp"}, {"paper"}, {"whatsapp"}, nil}[rng.IntN(5)] // tools on its first screen
		}
		if len(r.Tools) == 0 {
			r.Tools[acts[0]] = []string{"whatsapp"}
		}
		var picked []string
		for a := range r.Tools {
			if !strings.HasPrefix(a, "other:") {
				picked = append(picked, a)
			}
		}
		slices.Sort(picked)
		if def.Question("hard_why") != nil { // shaped like version 2
			if len(picked) > 0 {
				r.Choices["hardest_activity"] = skewed(append(picked, "none"))
			} else {
				r.Choices["hardest_activity"] = "none"
			}
			r.Texts["hard_why"] = ""
			if r.Choices["hardest_activity"] != "none" && rng.IntN(3) == 0 {
				r.Texts["hard_why"] = quotes[rng.IntN(len(quotes))]
				r.Quote = rng.IntN(2) == 0
			}
			// A tool the group ticked (the built-in survey offers only
			// those), or none.
			recommend := []string{"", "not_really"}
			for _, ts := range r.Tools {
				for _, tl := range ts {
					if !strings.HasPrefix(tl, "other:") && tl != "paper" && !slices.ContainsFunc(tools.Options, func(o *survey.Item) bool { return o.ID == tl }) {
						recommend = append(recommend, tl)
					}
				}
			}
			slices.Sort(recommend)
			r.Choices["recommend"] = recommend[rng.IntN(len(recommend))]
		} else if rng.IntN(3) == 0 {
			r.Hard, r.Quote = quotes[rng.IntN(len(quotes))], rng.IntN(2) == 0
		}
		rs = append(rs, r)
	}
	ss, err := reporttest.RespondAll(def, rs)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// studyOf computes the study so far of week 47.
func studyOf(t testing.TB, def *survey.Definition, ss []survey.Session, opts *report.Options) report.Study {
	t.Helper()
	if opts == nil {
		opts = &report.Options{}
	}
	opts.Location = time.UTC
	r, err := report.Compute(def, week47, ss, report.Counts{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r.Study
}

func render(t testing.TB, def *survey.Definition, st report.Study) Files {
	t.Helper()
	files, err := Render(def, st, week47, &Options{Now: reporttest.Monday})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readData parses assets/data.js.
func readData(t testing.TB, files Files) data {
	t.Helper()
	js := files["assets/data.js"]
	body, ok := bytes.CutPrefix(js, []byte("window.toolmapData = "))
	if !ok {
		t.Fatalf("data.js starts %.40q", js)
	}
	var d data
	if err := json.Unmarshal(bytes.TrimSuffix(bytes.TrimSpace(body), []byte(";")), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// checkData fails on a count in the data that may not be shown: one
// under the threshold, one that the others of a filter and all groups
// give away, a share on a withheld base; and it checks the data are the
// study's numbers, the shown ones and no others.
func checkData(t *testing.T, d data, st report.Study) {
	t.Helper()
	if len(d.Views) != len(st.Views) || len(d.Rows) != len(st.Rows) || len(d.Cols) != len(st.Columns) {
		t.Fatalf("data: %d views, %d rows, %d columns; study: %d, %d, %d", len(d.Views), len(d.Rows), len(d.Cols), len(st.Views), len(st.Rows), len(st.Columns))
	}
	want := func(c report.Count) *int { return num(c) }
	for v, sv := range st.Views {
		dv := d.Views[v]
		if !eq(dv.N, want(sv.Groups)) {
			t.Errorf("view %d: n %v, want %v", v, str(dv.N), str(want(sv.Groups)))
		}
		for i, f := range sv.Rows {
			row := dv.Rows[i]
			wantRow := []*int{want(f.Groups), want(f.Hardest), want(f.HardBase), want(f.NoTool), want(f.PaperOnly), want(f.TypedIn)}
			for _, c := range f.Cells {
				wantRow = append(wantRow, want(c))
			}
			if len(row) != len(wantRow) {
				t.Fatalf("view %d row %d: %d figures, want %d", v, i, len(row), len(wantRow))
			}
			for k := range row {
				if !eq(row[k], wantRow[k]) {
					t.Errorf("view %d row %s figure %d: %s, want %s", v, st.Rows[i].ID, k, str(row[k]), str(wantRow[k]))
				}
			}
		}
	}
	// What a reader of the data can work out.
	measures := 1 + len(d.Rows)*(figCells+len(d.Cols))
	get := func(v, m int) *int {
		if m == 0 {
			return d.Views[v].N
		}
		m--
		return d.Views[v].Rows[m/(figCells+len(d.Cols))][m%(figCells+len(d.Cols))]
	}
	for m := range measures {
		for v := range d.Views {
			if n := get(v, m); n != nil && *n > 0 && *n < d.Min {
				t.Errorf("measure %d of view %d: %d is shown", m, v, *n)
			}
		}
		total := get(0, m)
		if total == nil {
			continue
		}
		for _, f := range d.Filters {
			rest := *total
			for _, v := range f.Views {
				if n := get(v, m); n != nil {
					rest -= *n
				}
			}
			if rest > 0 && rest < d.Min {
				t.Errorf("measure %d by %s: all groups less the values shown leaves %d", m, f.Question, rest)
			}
		}
	}
	for v, w := range d.Views {
		for i, row := range w.Rows {
			if row[figGroups] == nil && slices.ContainsFunc(row[figCells:], func(n *int) bool { return n != nil }) {
				t.Errorf("view %d row %d: cells on a withheld base", v, i)
			}
		}
	}
}

func eq(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func str(n *int) string {
	if n == nil {
		return "null"
	}
	return strconv.Itoa(*n)
}

// TestRenderDefault: the site of the default survey: the files, the
// languages, the data equal to the study's shown numbers, and nothing
// outside the folder.
func TestRenderDefault(t *testing.T) {
	def := defaultDef(t)
	st := studyOf(t, def, responses(t, def, 300, 1), nil)
	files := render(t, def, st)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	if want := []string{"assets/data.js", "assets/icon.svg", "assets/map.js", "assets/style.css", "es.html", "index.html"}; !slices.Equal(names, want) {
		t.Fatalf("files %v, want %v", names, want)
	}
	d := readData(t, files)
	checkData(t, d, st)
	secondary := 0
	for _, v := range st.Views {
		if v.Groups.Hidden() && !v.Groups.Small() {
			secondary++
		}
	}
	t.Logf("%d views, %d rows, %d columns, %d views withheld to protect another", len(st.Views), len(st.Rows), len(st.Columns), secondary)

	for name, lang := range map[string]string{"index.html": "en", "es.html": "es"} {
		page := string(files[name])
		if !strings.Contains(page, `<html lang="`+lang+`">`) {
			t.Errorf("%s: not in %s", name, lang)
		}
		checkPage(t, name, page, d.Min)
	}
	if en, es := string(files["index.html"]), string(files["es.html"]); !strings.Contains(en, `href="es.html" hreflang="es"`) || !strings.Contains(es, `href="index.html" hreflang="en"`) ||
		!strings.Contains(es, "Dónde les cuesta a los grupos") || !strings.Contains(es, "Dar noticias al grupo") {
		t.Error("the pages do not link to each other, or the Spanish one is not in Spanish")
	}
}

var (
	refPattern   = regexp.MustCompile(`(?i)\b(?:src|href)="([^"]*)"`)
	cellPattern  = regexp.MustCompile(`<td>([^<]*)</td>`)
	shownPattern = regexp.MustCompile(`^(\d+)\x{a0}?% \((\d+)\)$`)
)

// checkPage checks a page's references stay in its folder and that no
// table cell shows a count under the threshold.
func checkPage(t *testing.T, name, page string, minN int) {
	t.Helper()
	if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'`) {
		t.Errorf("%s: no content security policy", name)
	}
	for _, m := range refPattern.FindAllStringSubmatch(page, -1) {
		ref := m[1]
		if strings.Contains(ref, ":") || strings.HasPrefix(ref, "/") || strings.Contains(ref, "..") {
			t.Errorf("%s: refers outside its folder: %q", name, ref)
		}
	}
	for _, m := range cellPattern.FindAllStringSubmatch(page, -1) {
		cell := m[1]
		if n, err := strconv.Atoi(cell); err == nil {
			if n > 0 && n < minN {
				t.Errorf("%s: a cell shows %d", name, n)
			}
			continue
		}
		if s := shownPattern.FindStringSubmatch(cell); s != nil {
			if n, _ := strconv.Atoi(s[2]); n < minN {
				t.Errorf("%s: a cell shows %q", name, cell)
			}
		}
	}
}

// TestRenderFixture: a survey shaped like version 2 of the default one:
// its filters (kind, size, region, role), its gaps (the activity named
// hardest), quotes about an activity, tools worth knowing about.
func TestRenderFixture(t *testing.T) {
	def := fixtureDef(t)
	ss := responses(t, def, 400, 2)
	// The newest response, quoted: about money, and hostile.
	last, err := reporttest.RespondAll(def, []reporttest.Response{{
		At:      reporttest.Monday.Add(-time.Hour),
		Tools:   map[string][]string{"money": {"paper"}},
		Choices: map[string]string{"hardest_activity": "money", "recommend": ""},
		Texts:   map[string]string{"hard_why": "Our <b>secretary</b> does it all & is tired."}, Quote: true,
	}})
	if err != nil {
		t.Fatal(err)
	}
	st := studyOf(t, def, append(ss, last...), &report.Options{Step: 1}) // every response, the newest too
	files := render(t, def, st)
	d := readData(t, files)
	checkData(t, d, st)
	var qs []string
	for _, f := range d.Filters {
		qs = append(qs, f.Question)
	}
	if !slices.Equal(qs, []string{"group_kind", "size", "region", "role"}) {
		t.Errorf("filters %v", qs)
	}
	if !slices.Equal(d.Gaps, []string{"hardest", "none", "paper", "typed"}) {
		t.Errorf("gaps %v", d.Gaps)
	}
	page := string(files["index.html"])
	checkPage(t, "index.html", page, d.Min)
	for _, want := range []string{"name it the hardest to do with their tools", "Tools that work really well, say groups", "On Handling money", "Our &lt;b&gt;secretary&lt;/b&gt; does it all &amp; is tired."} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>secretary") {
		t.Error("a quote is not escaped")
	}
}

// TestRenderTooFew: a study under the threshold gives a page that says so
// and holds no numbers and no data.
func TestRenderTooFew(t *testing.T) {
	def := defaultDef(t)
	st := studyOf(t, def, responses(t, def, 4, 3), nil)
	files := render(t, def, st)
	page := string(files["index.html"])
	if !strings.Contains(page, "Fewer than 5 groups have answered so far") || strings.Contains(page, "<script") {
		t.Errorf("page:\n%s", page)
	}
	d := readData(t, files)
	if d.Views != nil || d.Rows != nil || d.Groups != nil {
		t.Errorf("data of a study under the threshold: %+v", d)
	}
}

// TestBuild: Build writes the site into a folder, leaves other files
// alone, replaces its own, and writes them readable by a web server.
func TestBuild(t *testing.T) {
	def := defaultDef(t)
	ss := responses(t, def, 120, 4)
	slices.SortFunc(ss, func(a, b survey.Session) int { return a.CompletedAt.Compare(b.CompletedAt) })
	scan := func(from, to time.Time, workers int, count func(int), fn func(worker, seq int, s *survey.Session) error) error {
		count(len(ss))
		for i := range ss {
			if err := fn(i%workers, i, &ss[i]); err != nil {
				return err
			}
		}
		return nil
	}
	dir := filepath.Join(t.TempDir(), "site")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "about-us.html")
	if err := os.WriteFile(mine, []byte("ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	stats, err := Build(dir, scan, def, &Options{Now: reporttest.Monday})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != 6 || stats.Groups != 120 || stats.Responses != 120 || stats.Bytes < 10000 {
		t.Errorf("stats %+v", stats)
	}
	if data, err := os.ReadFile(mine); err != nil || string(data) != "ours" {
		t.Errorf("another file was touched: %q, %v", data, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary file was left: %s", e.Name())
		}
	}
	for _, name := range []string{"index.html", "es.html", "assets/data.js"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o644 || fi.Size() < 100 {
			t.Errorf("%s: %v, %v", name, fi, err)
		}
	}
	if page, _ := os.ReadFile(filepath.Join(dir, "index.html")); !strings.Contains(string(page), "120 groups so far") {
		t.Errorf("index.html was not replaced: %.200s", page)
	}
}

func ExampleRender() {
	def, _ := surveyfile.Default()
	sessions, _ := reporttest.RespondAll(def, reporttest.Typical())
	r, _ := report.Compute(def, week47, sessions, report.Counts{}, &report.Options{Step: 1})
	files, _ := Render(def, r.Study, week47, &Options{Now: reporttest.Monday})
	var names []string
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	fmt.Println(names)
	// Output:
	// [assets/data.js assets/icon.svg assets/map.js assets/style.css es.html index.html]
}
