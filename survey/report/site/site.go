// Package site writes the map of a study as a static web site: one page
// per survey language (index.html in the default one), a stylesheet, a
// script and the data, all in one folder and asking for nothing outside
// it, so that it can be opened from disk or published as it is on any
// static host.
//
// The page shows the map of the tools groups use for each activity (tap or
// point at a cell for its numbers), filtered by the answers to one
// profile question at a time (kind of group, size, region…), where groups
// struggle, quotes given with permission, responses by week, and a plain
// table of the numbers for screen readers and for people who would rather
// read them. It works without the script too: then the tables show all
// groups.
//
// # What the page may show
//
// The page is given only the numbers it may show: those of a
// [report.Study], in which every count of groups from 1 to the threshold
// minus one is withheld, and so is any count that would let one be worked
// out from all groups and the other answers to the same question. Filters
// never combine. The study counts its responses Options.Report.Step at a
// time, so that a new version of the page never differs from the last by
// one response. docs/map.md says what that does and does not promise.
//
// It imports the standard library, package survey and package report; it
// reads responses through a [report.Scan] (store.DB.ScanDigest serves
// one), and writes files only in Build.
package site

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"toolmap/survey"
	"toolmap/survey/report"
)

//go:embed assets/index.html.tmpl assets/map.js assets/style.css assets/icon.svg
var assets embed.FS

// Options configure a site. A nil *Options, and each zero field, means the
// default.
type Options struct {
	// Report configures the study: threshold, step, time zone of the
	// weeks, the questions it reads. MaxQuotes defaults to 12 here.
	Report report.Options
	// Now is when the site is built: the study counts responses finished
	// before the end of its week. Default time.Now().
	Now time.Time
	// Workers is how many goroutines read responses. Default 2.
	Workers int
}

// Stats say what Build wrote.
type Stats struct {
	Files     int   // files written
	Bytes     int64 // their size
	Responses int   // responses finished so far
	Groups    int   // those the map counts; 0 when too few to show
}

// Build reads the study through scan, renders the site and writes it into
// dir, which it makes if need be. Each file is written to a temporary
// name and renamed over the old one, the pages last, so that a web server
// serving dir never serves half a file; files of dir that the site does
// not write are left alone.
func Build(dir string, scan report.Scan, def *survey.Definition, opts *Options) (Stats, error) {
	o := withDefaults(opts)
	ro := o.Report
	until := report.PeriodOf(o.Now, ro.Location)
	b, err := report.New(def, until, &ro)
	if err != nil {
		return Stats{}, err
	}
	if err := b.Collect(scan, o.Workers); err != nil {
		return Stats{}, err
	}
	st := b.Study()
	files, err := Render(def, st, until, &o)
	if err != nil {
		return Stats{}, err
	}
	stats := Stats{Responses: st.Responses}
	if n, ok := st.Groups.Value(); ok && !st.Suppressed {
		stats.Groups = n
	}
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		return stats, fmt.Errorf("make the site's folder: %w", err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	// Assets first, pages last: a page never points at what is not there.
	slices.SortFunc(names, func(a, b string) int {
		pa, pb := strings.HasSuffix(a, ".html"), strings.HasSuffix(b, ".html")
		switch {
		case pa && !pb:
			return 1
		case pb && !pa:
			return -1
		}
		return strings.Compare(a, b)
	})
	for _, name := range names {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), files[name]); err != nil {
			return stats, err
		}
		stats.Files++
		stats.Bytes += int64(len(files[name]))
	}
	return stats, nil
}

// writeFile writes data to path through a temporary file in the same
// folder, synced, then renamed over path. The site is public: 0644.
func writeFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func withDefaults(opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Report.MaxQuotes <= 0 {
		o.Report.MaxQuotes = 12
	}
	if o.Report.MinCount <= 0 {
		o.Report.MinCount = report.DefaultMinCount
	}
	if o.Report.Step <= 0 {
		o.Report.Step = o.Report.MinCount
	}
	if o.Report.Location == nil {
		o.Report.Location = time.UTC
	}
	return o
}

// Files are a site: relative, slash-separated names and their contents.
type Files map[string][]byte

// PageName is the file of the page in lang: index.html for the survey's
// default language, "<lang>.html" for the others.
func PageName(def *survey.Definition, lang string) string {
	if lang == def.DefaultLanguage {
		return "index.html"
	}
	return lang + ".html"
}

// Render makes the site of study st, counted up to the end of week until.
func Render(def *survey.Definition, st report.Study, until report.Period, opts *Options) (Files, error) {
	o := withDefaults(opts)
	files := Files{}
	for _, name := range []string{"map.js", "style.css", "icon.svg"} {
		data, err := assets.ReadFile("assets/" + name)
		if err != nil {
			return nil, err
		}
		files["assets/"+name] = data
	}
	d := newData(def, st, until, o)
	js, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	files["assets/data.js"] = slices.Concat([]byte("window.toolmapData = "), js, []byte(";\n"))

	// Each asset is named with a hash of its contents in the pages, so
	// that a browser never keeps an old one after a rebuild.
	version := func(name string) string {
		sum := sha256.Sum256(files[name])
		return name + "?v=" + hex.EncodeToString(sum[:6])
	}
	tmpl, err := template.New("index.html.tmpl").Funcs(template.FuncMap{
		"t": func(lang, key string, pairs ...string) string { return text(lang, key, pairs...) },
	}).ParseFS(assets, "assets/index.html.tmpl")
	if err != nil {
		return nil, err
	}
	for _, lang := range def.Languages {
		p := newPage(def, st, until, o, lang)
		p.CSS, p.Script, p.Data, p.Icon = version("assets/style.css"), version("assets/map.js"), version("assets/data.js"), version("assets/icon.svg")
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, p); err != nil {
			return nil, fmt.Errorf("render the page in %s: %w", lang, err)
		}
		files[PageName(def, lang)] = buf.Bytes()
	}
	return files, nil
}

// The data the script reads, in assets/data.js. Counts not shown are
// null; nothing else about them is there.
type data struct {
	Langs       []string                     `json:"langs"`
	Default     string                       `json:"defaultLang"`
	Min         int                          `json:"min"`
	Groups      *int                         `json:"groups"`
	Rows        []item                       `json:"rows"`
	Cols        []item                       `json:"cols"`
	Filters     []filter                     `json:"filters"`
	Views       []view                       `json:"views"`
	Gaps        []string                     `json:"gaps"` // the gap measures the survey has, of hardest, none, paper, typed
	UI          map[string]map[string]string `json:"ui"`
	PerPage     int                          `json:"perPage"` // tools shown before "show all"
	OtherLabels map[string]string            `json:"otherLabel"`
}

type item struct {
	ID    string            `json:"id"`
	Label map[string]string `json:"label"`
	Typed bool              `json:"typed,omitempty"`
}

type filter struct {
	Question string            `json:"q"`
	Label    map[string]string `json:"label"`
	Views    []int             `json:"views"`
}

// view: Rows[i] is [groups, hardest, hard base, no tool, paper only,
// typed in, then one count per column].
type view struct {
	Label map[string]string `json:"label"`
	N     *int              `json:"n"`
	Small bool              `json:"small,omitempty"` // N is withheld for being under the threshold
	Rows  [][]*int          `json:"rows"`
}

// Indexes of a row's figures in view.Rows.
const (
	figGroups = iota
	figHardest
	figHardBase
	figNoTool
	figPaper
	figTyped
	figCells
)

func num(c report.Count) *int {
	if n, ok := c.Value(); ok {
		return &n
	}
	return nil
}

// labels returns the label of each language for an option of question q.
func labels(def *survey.Definition, q *survey.Question, id string) map[string]string {
	out := map[string]string{}
	for _, lang := range def.Languages {
		out[lang] = def.Label(q, id, lang)
	}
	return out
}

// questionLabel is a question's short name in each language, else its text.
func questionLabel(def *survey.Definition, q *survey.Question) map[string]string {
	out := map[string]string{}
	for _, lang := range def.Languages {
		if s := def.Text(q.Short, lang); s != "" {
			out[lang] = s
		} else {
			out[lang] = def.Text(q.Text, lang)
		}
	}
	return out
}

func same(s string, langs []string) map[string]string {
	out := map[string]string{}
	for _, l := range langs {
		out[l] = s
	}
	return out
}

// gapKinds returns the gaps the survey can measure: "hardest" when some
// group was asked which activity is hardest, "paper" when the tools
// include one on paper.
func gapKinds(def *survey.Definition, st report.Study, o Options) []string {
	var out []string
	if !st.Suppressed {
		for _, f := range st.Views[0].Rows {
			if n, ok := f.HardBase.Value(); !ok || n > 0 {
				out = append(out, "hardest")
				break
			}
		}
	}
	out = append(out, "none")
	if q := def.Question(st.ToolsQuestion); q != nil {
		for _, id := range paperTools(o) {
			if c := def.Catalogue(q.Columns); c != nil && c.Item(id) != nil {
				out = append(out, "paper")
				break
			}
		}
	}
	return append(out, "typed")
}

func paperTools(o Options) []string {
	if o.Report.PaperTools == nil {
		return []string{report.DefaultPaperTool}
	}
	return o.Report.PaperTools
}

func newData(def *survey.Definition, st report.Study, until report.Period, o Options) data {
	d := data{Langs: def.Languages, Default: def.DefaultLanguage, Min: st.MinCount, PerPage: 10,
		UI: map[string]map[string]string{}, OtherLabels: map[string]string{}}
	for _, lang := range def.Languages {
		d.UI[lang] = texts(lang)
		d.OtherLabels[lang] = strings.TrimSpace(def.Msg(lang, "other"))
	}
	if st.Suppressed {
		return d
	}
	d.Groups = num(st.Groups)
	d.Gaps = gapKinds(def, st, o)
	rowsQ, toolsQ := def.Question(st.RowsQuestion), def.Question(st.ToolsQuestion)
	for _, r := range st.Rows {
		it := item{ID: r.ID, Typed: r.Typed}
		if r.Typed {
			it.Label = same(r.Label, def.Languages)
		} else {
			it.Label = labels(def, rowsQ, r.ID)
		}
		d.Rows = append(d.Rows, it)
	}
	for _, c := range st.Columns {
		it := item{ID: c.ID, Typed: c.Typed}
		if c.Typed {
			it.Label = same(c.Label, def.Languages)
		} else {
			it.Label = labels(def, toolsQ, c.ID)
		}
		d.Cols = append(d.Cols, it)
	}
	for _, f := range st.Filters {
		d.Filters = append(d.Filters, filter{Question: f.Question, Label: questionLabel(def, def.Question(f.Question)), Views: f.Views})
	}
	for _, v := range st.Views {
		w := view{N: num(v.Groups), Small: v.Groups.Small()}
		if v.Filter == "" {
			w.Label = map[string]string{}
			for _, lang := range def.Languages {
				w.Label[lang] = text(lang, "all_groups")
			}
		} else {
			w.Label = labels(def, def.Question(v.Filter), v.Value)
		}
		for _, f := range v.Rows {
			row := []*int{num(f.Groups), num(f.Hardest), num(f.HardBase), num(f.NoTool), num(f.PaperOnly), num(f.TypedIn)}
			for _, c := range f.Cells {
				row = append(row, num(c))
			}
			w.Rows = append(w.Rows, row)
		}
		d.Views = append(d.Views, w)
	}
	return d
}

// page is what the template shows of one language.
type page struct {
	Lang, Title, Subtitle, Status string
	MinText                       string // the threshold
	Suppressed                    bool
	Langs                         []langLink
	CSS, Script, Data, Icon       string
	Table                         table
	Gaps                          gapTable
	FewRows                       string
	Typed                         bool // some row or column was typed in
	Recommended                   []string
	Quotes                        []quoteView
	Weeks                         weekChart
	About                         []string
	Built                         string
}

type langLink struct {
	Code, Name, Href string
	Current          bool
}

type table struct {
	Cols []string
	Rows []tableRow
}

type tableRow struct {
	Label, Groups string
	Typed         bool
	Cells         []string
}

type gapTable struct {
	Heads []string
	Rows  []tableRow
}

type quoteView struct{ Text, About string }

// weekChart is the responses by week as SVG bars and a table.
type weekChart struct {
	Width, Height, Base int
	First, Last         string // the first and last weeks' labels
	Bars                []weekBar
	Rows                []tableRow
}

type weekBar struct {
	X, Y, W, H int
	Hidden     bool
	Title      string
}

func newPage(def *survey.Definition, st report.Study, until report.Period, o Options, lang string) page {
	t := func(key string, pairs ...string) string { return text(lang, key, pairs...) }
	title := def.Text(def.Title, lang)
	if title == "" {
		title = def.ID
	}
	p := page{Lang: lang, Title: title, Subtitle: t("subtitle"), Suppressed: st.Suppressed,
		Built: t("built", "date", o.Now.In(o.Report.Location).Format("2006-01-02"))}
	for _, l := range def.Languages {
		name := text(l, "lang_name")
		if _, ok := uiText["lang_name"][l]; !ok {
			name = l
		}
		p.Langs = append(p.Langs, langLink{Code: l, Name: name, Href: PageName(def, l), Current: l == lang})
	}
	minN := strconv.Itoa(st.MinCount)
	p.MinText = minN
	dates := until.Dates(strings.Fields(t("months")))
	if st.Suppressed {
		p.Status = t("too_few", "min", minN)
		return p
	}
	k, _ := st.Groups.Value()
	p.Status = t("so_far", "n", strconv.Itoa(k), "week", strconv.Itoa(until.Week), "dates", dates)
	p.About = []string{t("about_min", "min", minN), t("about_hide"), t("about_one"),
		t("about_step", "k", strconv.Itoa(k), "n", strconv.Itoa(st.Responses), "step", strconv.Itoa(st.Step)),
		t("about_typed", "min", minN), t("about_not")}

	rowsQ, toolsQ := def.Question(st.RowsQuestion), def.Question(st.ToolsQuestion)
	rowLabel := func(r report.Row) string {
		if r.Typed {
			return r.Label
		}
		return def.Label(rowsQ, r.ID, lang)
	}
	share := func(n, of report.Count) string {
		v, ok := n.Value()
		if ok && v == 0 {
			return "0"
		}
		s, ok2 := report.Share(n, of)
		if !ok || !ok2 {
			return t("hidden")
		}
		return t("cell_text", "share", t("percent", "n", strconv.Itoa(s)), "n", strconv.Itoa(v))
	}
	count := func(c report.Count) string {
		if n, ok := c.Value(); ok {
			return strconv.Itoa(n)
		}
		return t("hidden")
	}
	for _, c := range st.Columns {
		label := def.Label(toolsQ, c.ID, lang)
		if c.Typed {
			label, p.Typed = c.Label+" ✎", true
		}
		p.Table.Cols = append(p.Table.Cols, label)
	}
	all := st.Views[0]
	kinds := gapKinds(def, st, o)
	for _, k := range kinds {
		p.Gaps.Heads = append(p.Gaps.Heads, t("gap_"+k))
	}
	for i, r := range st.Rows {
		f := all.Rows[i]
		label := rowLabel(r)
		if r.Typed {
			label, p.Typed = label+" ✎", true
		}
		row := tableRow{Label: label, Groups: count(f.Groups), Typed: r.Typed}
		for j := range st.Columns {
			row.Cells = append(row.Cells, share(f.Cells[j], f.Groups))
		}
		p.Table.Rows = append(p.Table.Rows, row)
		g := tableRow{Label: label, Groups: count(f.Groups)}
		for _, k := range kinds {
			switch k {
			case "hardest":
				g.Cells = append(g.Cells, share(f.Hardest, f.HardBase))
			case "none":
				g.Cells = append(g.Cells, share(f.NoTool, f.Groups))
			case "paper":
				g.Cells = append(g.Cells, share(f.PaperOnly, f.Groups))
			case "typed":
				g.Cells = append(g.Cells, share(f.TypedIn, f.Groups))
			}
		}
		p.Gaps.Rows = append(p.Gaps.Rows, g)
	}
	if len(st.FewRows) > 0 {
		var names []string
		for _, id := range st.FewRows {
			names = append(names, def.Label(rowsQ, id, lang))
		}
		p.FewRows = t("few_rows", "min", minN, "list", strings.Join(names, ", "))
	}
	for _, r := range st.Recommended[:min(len(st.Recommended), 10)] {
		label := def.Label(toolsQ, r.ID, lang)
		if report.IsTyped(r.ID) {
			label = r.Label
		}
		p.Recommended = append(p.Recommended, label+" ("+t("n_groups", "n", count(r.Groups))+")")
	}
	for _, q := range st.Quotes {
		qv := quoteView{Text: q.Text}
		if q.Activity != "" {
			for _, r := range st.Rows {
				if r.ID == q.Activity {
					qv.About = t("quote_about", "activity", rowLabel(r))
				}
			}
		}
		p.Quotes = append(p.Quotes, qv)
	}
	p.Weeks = weeks(st.Weeks, t)
	return p
}

// weeks draws the responses by week: bars as tall as their counts, a
// hatched stub for a week not shown.
func weeks(ws []report.WeekCount, t func(string, ...string) string) weekChart {
	const height, base = 120, 110
	c := weekChart{Height: height, Base: base}
	most := 1
	for _, w := range ws {
		if n, ok := w.Groups.Value(); ok {
			most = max(most, n)
		}
	}
	barW := max(4, min(24, 720/max(len(ws), 1)))
	c.Width = len(ws) * (barW + 2)
	for i, w := range ws {
		label := t("week_label", "week", fmt.Sprintf("%d-W%02d", w.Period.Year, w.Period.Week))
		b := weekBar{X: i * (barW + 2), W: barW}
		n, ok := w.Groups.Value()
		value := t("hidden")
		switch {
		case !ok:
			b.Hidden, b.H = true, 6
		default:
			b.H = n * (base - 4) / most
			value = strconv.Itoa(n)
		}
		b.Y = base - b.H
		b.Title = label + ": " + value
		c.Bars = append(c.Bars, b)
		c.Rows = append(c.Rows, tableRow{Label: label, Groups: value})
	}
	if len(c.Rows) > 0 {
		c.First, c.Last = c.Rows[0].Label, c.Rows[len(c.Rows)-1].Label
	}
	return c
}
