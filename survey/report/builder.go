package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"toolmap/survey"
)

// Builder aggregates responses into a Report. Feed it every response
// finished in [Range), in completion order, after telling it how many
// there are (Begin); Collect does all of it, on several goroutines. It is
// not safe for concurrent use.
type Builder struct {
	def                *survey.Definition
	opts               Options
	period             Period
	prevFrom, from, to time.Time

	rowsQ, toolsQ *survey.Question
	rows, tools   index
	rowFlags      []uint8        // row index → flagNotItem for options that make no row
	toolFlags     []uint8        // tool index → flagNotItem (the matrix's own options), flagPaper
	toolByName    map[string]int // folded label or alias → tool index
	rowByName     map[string]int // folded label or alias → row index
	filters       []filterDef
	nViews        int

	limit int // responses that make the study so far; -1: all
	n     int // responses in the range (Begin), or added so far
	seq   int // position of the next response given to Add

	// Tallies. Slices are indexed by the Builder's row and tool indexes
	// and grow as unknown ids appear.
	views        []viewTally // the study so far: all groups, then each filter's values
	week, before viewTally   // this week; every week before it
	prevN        int         // responses of the week before
	weeks        map[Period]int
	sources      map[string]int
	quotes       []quote
	recommend    []int
	toolGroups   []int // tool → groups of the study naming it for any activity
	toolSeen     []int // tool → gen of the response that last counted it
	gen          int
	rowSpelling  map[string]map[string]int // typed activity key → spelling → count
	toolSpelling map[string]map[string]int // typed tool key → spelling → count

	// Caches and scratch.
	rowKeys    []string // row index → key of its matrix answer
	parsedTool map[string][]name
	parsedRow  map[string][]name
	cur        response
	lastWeek   Period
	weekFrom   time.Time
	weekTo     time.Time
}

// filterDef is one question that splits the study into views: each of its
// options is a view, numbered from first.
type filterDef struct {
	q      *survey.Question
	first  int
	values []string // option ids, in display order
	view   map[string]int
}

// viewTally is the aggregate of one view of the study (or of a week).
type viewTally struct {
	n    int
	rows []rowTally
}

type rowTally struct {
	groups    int
	cells     []int // tool → groups
	hardest   int   // groups that named it the hardest activity
	hardBase  int   // groups doing it that answered which is hardest
	noTool    int   // groups doing it with no tool: the matrix's "none", or "in person" alone
	paperOnly int   // groups doing it on paper alone
	typedIn   int   // groups that typed a tool of their own for it
}

func (v *viewTally) row(i int) *rowTally {
	for len(v.rows) <= i {
		v.rows = append(v.rows, rowTally{})
	}
	return &v.rows[i]
}

type quote struct {
	at       time.Time
	text     string
	activity string // row id, or "" when the quote names none
}

// response is what one response contributes, worked out once and added
// to each view it belongs to.
type response struct {
	rows         []responseRow
	tools        []int // backing store of rows' tools
	hardAnswered bool  // answered which activity is hardest (with one, or none)
	hardest      int   // row named hardest, or -1
	otherRows    []int // rows typed under Other…
	views        []int
}

type responseRow struct {
	row                        int
	from, to                   int // its tools: response.tools[from:to]
	noTool, paperOnly, typedIn bool
}

// New returns a Builder of the report on week p of survey def.
func New(def *survey.Definition, p Period, opts *Options) (*Builder, error) {
	o := opts.withDefaults()
	b := &Builder{def: def, opts: o, period: p, limit: -1,
		rows: newIndex(), tools: newIndex(),
		toolByName: map[string]int{}, rowByName: map[string]int{},
		weeks: map[Period]int{}, sources: map[string]int{},
		rowSpelling: map[string]map[string]int{}, toolSpelling: map[string]map[string]int{},
		parsedTool: map[string][]name{}, parsedRow: map[string][]name{},
	}
	b.from, b.to = p.Bounds(o.Location)
	b.prevFrom, _ = p.Prev().Bounds(o.Location)
	for _, q := range def.Questions {
		if q.Kind == survey.KindMatrix && (o.ToolsQuestion == "" || q.ID == o.ToolsQuestion) {
			b.toolsQ = q
			break
		}
	}
	if b.toolsQ == nil {
		return nil, ErrNoMatrix
	}
	b.rowsQ = def.Question(b.toolsQ.Rows)
	if b.rowsQ == nil {
		return nil, ErrNoMatrix
	}
	// Labels in every language and aliases name an item; the first to
	// claim a name keeps it.
	names := func(m map[string]int, it *survey.Item, i int) {
		for _, lang := range sortedKeys(it.Label) {
			if f := fold(it.Label[lang]); f != "" {
				if _, taken := m[f]; !taken {
					m[f] = i
				}
			}
		}
		for _, a := range it.Aliases {
			if f := fold(a); f != "" {
				if _, taken := m[f]; !taken {
					m[f] = i
				}
			}
		}
	}
	for _, it := range items(def, def.Catalogue(b.rowsQ.From), b.rowsQ) {
		i := b.rows.get(it.ID)
		if it.Exclusive {
			setFlag(&b.rowFlags, i, flagNotItem)
		} else {
			names(b.rowByName, it, i)
		}
	}
	b.rows.known = len(b.rows.ids)
	for _, it := range items(def, def.Catalogue(b.toolsQ.Columns), b.toolsQ) {
		i := b.tools.get(it.ID)
		// The matrix's own options ("None", "In person") are no tools.
		if it.Exclusive || slices.Contains(b.toolsQ.Options, it) {
			setFlag(&b.toolFlags, i, flagNotItem)
			continue
		}
		names(b.toolByName, it, i)
	}
	b.tools.known = len(b.tools.ids)
	for _, id := range o.PaperTools {
		if i, ok := b.tools.of[id]; ok {
			setFlag(&b.toolFlags, i, flagPaper)
		}
	}
	b.nViews = 1
	for _, q := range b.filterQuestions() {
		f := filterDef{q: q, first: b.nViews, view: map[string]int{}}
		for _, it := range items(def, def.Catalogue(q.From), q) {
			if _, dup := f.view[it.ID]; !dup {
				f.view[it.ID] = b.nViews
				f.values = append(f.values, it.ID)
				b.nViews++
			}
		}
		if q.Other {
			f.view[survey.OtherID] = b.nViews
			f.values = append(f.values, survey.OtherID)
			b.nViews++
		}
		b.filters = append(b.filters, f)
	}
	b.views = make([]viewTally, b.nViews)
	return b, nil
}

// filterQuestions returns the questions that split the study into views.
func (b *Builder) filterQuestions() []*survey.Question {
	o := &b.opts
	var out []*survey.Question
	if o.Filters != nil {
		for _, id := range o.Filters {
			if q := b.def.Question(id); q != nil && (q.Kind == survey.KindSingle) {
				out = append(out, q)
			}
		}
		return out
	}
	for _, q := range b.def.Questions {
		switch {
		case q.Kind != survey.KindSingle, q.When != nil,
			q.ID == o.HardestQuestion, q.ID == o.HardQuestion, q.ID == o.RecommendQuestion, q.ID == o.QuoteQuestion, q.ID == o.HardWhyQuestion,
			len(items(b.def, b.def.Catalogue(q.From), q)) < 2:
			continue
		}
		out = append(out, q)
	}
	return out
}

// Range returns the span of completion times the report reads: the whole
// study up to the end of the week (excluded).
func (b *Builder) Range() (from, to time.Time) { return time.Time{}, b.to }

// Begin tells the Builder how many responses there are in Range, before
// the first is added: the study so far is the first n - n%Step of them.
// Without it, every response added counts.
func (b *Builder) Begin(n int) {
	b.n = n
	b.limit = n - n%b.opts.Step
}

// Add counts one response (a completed session) by its CompletedAt, the
// time it was first finished. Responses come in completion order: the
// first Add is the first response of the Range.
func (b *Builder) Add(s survey.Session) {
	b.AddAt(b.seq, &s)
	b.seq++
}

// AddAt counts the response at position seq of the Range (0 for the
// first), as Collect's workers do. It keeps nothing of s but strings.
func (b *Builder) AddAt(seq int, s *survey.Session) {
	at := s.CompletedAt
	if at.IsZero() || !at.Before(b.to) {
		return
	}
	if b.limit < 0 {
		b.n = max(b.n, seq+1)
	}
	inStudy := b.limit < 0 || seq < b.limit
	inWeek := !at.Before(b.from)
	if !at.Before(b.prevFrom) && !inWeek {
		b.prevN++
	}
	b.collect(s, inStudy)
	r := &b.cur
	if inWeek {
		b.week.add(r)
	} else {
		b.before.add(r)
	}
	if !inStudy {
		return
	}
	for _, v := range r.views {
		b.views[v].add(r)
	}
	b.countTools()
	b.weeks[b.weekOf(at)]++
	b.sources[s.Source]++
	b.addQuote(s)
	if a, ok := s.Answers[b.opts.RecommendQuestion]; ok && !a.Skipped && len(a.Values) == 1 {
		if v := a.Values[0]; b.isTool(v) {
			*slot(&b.recommend, b.tools.get(v))++
		} else if v == survey.OtherID { // a name the group typed for a tool
			for _, other := range a.OtherNames() {
				if ns := b.toolNames(other); len(ns) == 1 {
					if ns[0].index >= 0 {
						*slot(&b.recommend, ns[0].index)++
					} else {
						*slot(&b.recommend, b.tools.get(ns[0].id))++
					}
				}
			}
		}
	}
}

// countTools counts each tool of b.cur once in toolGroups.
func (b *Builder) countTools() {
	r := &b.cur
	b.gen++
	for _, rr := range r.rows {
		for _, t := range r.tools[rr.from:rr.to] {
			if seen := slot(&b.toolSeen, t); *seen != b.gen {
				*seen = b.gen
				*slot(&b.toolGroups, t)++
			}
		}
	}
}

// Flags of rows and tools.
const (
	flagNotItem = 1 << iota // an option that is no row ("none"), or no tool ("none", "in person")
	flagPaper               // a tool that is no digital tool (Options.PaperTools)
)

func setFlag(flags *[]uint8, i int, f uint8) {
	for len(*flags) <= i {
		*flags = append(*flags, 0)
	}
	(*flags)[i] |= f
}

func flagOf(flags []uint8, i int) uint8 {
	if i < len(flags) {
		return flags[i]
	}
	return 0
}

// isTool reports whether id may be a tool of the matrix: one of its
// columns, or an unknown id from another version, but not its "none".
func (b *Builder) isTool(id string) bool {
	if id == survey.OtherID || id == "" {
		return false
	}
	if i, ok := b.tools.of[id]; ok {
		return flagOf(b.toolFlags, i)&flagNotItem == 0
	}
	// An id the matrix does not know: a tool of another version, unless it
	// is an option of the recommend question itself ("not really").
	if q := b.def.Question(b.opts.RecommendQuestion); q != nil {
		for _, it := range q.Options {
			if it.ID == id {
				return false
			}
		}
	}
	return true
}

// weekOf returns the ISO week of t, remembering the last one: responses
// come in order, so most fall in the week before them.
func (b *Builder) weekOf(t time.Time) Period {
	if !b.weekFrom.IsZero() && !t.Before(b.weekFrom) && t.Before(b.weekTo) {
		return b.lastWeek
	}
	b.lastWeek = PeriodOf(t, b.opts.Location)
	b.weekFrom, b.weekTo = b.lastWeek.Bounds(b.opts.Location)
	return b.lastWeek
}

func (v *viewTally) add(r *response) {
	v.n++
	for _, rr := range r.rows {
		t := v.row(rr.row)
		t.groups++
		for _, tool := range r.tools[rr.from:rr.to] {
			*slot(&t.cells, tool)++
		}
		if rr.noTool {
			t.noTool++
		}
		if rr.paperOnly {
			t.paperOnly++
		}
		if rr.typedIn {
			t.typedIn++
		}
		if r.hardAnswered {
			t.hardBase++
			if r.hardest == rr.row {
				t.hardest++
			}
		}
	}
}

// rowKey returns the key of the matrix answer of row i.
func (b *Builder) rowKey(i int) string {
	for len(b.rowKeys) <= i {
		b.rowKeys = append(b.rowKeys, survey.Cursor{Question: b.toolsQ.ID, Item: b.rows.ids[len(b.rowKeys)]}.Key())
	}
	return b.rowKeys[i]
}

// collect works out b.cur, what response s contributes. Names typed under
// Other… are remembered (spellings) only when it is in the study.
func (b *Builder) collect(s *survey.Session, inStudy bool) {
	r := &b.cur
	r.rows, r.tools, r.views, r.otherRows = r.rows[:0], r.tools[:0], r.views[:0], r.otherRows[:0]
	r.hardAnswered, r.hardest = false, -1

	r.views = append(r.views, 0)
	for _, f := range b.filters {
		a, ok := s.Answers[f.q.ID]
		if !ok || a.Skipped || len(a.Values) != 1 {
			continue
		}
		if v, ok := f.view[a.Values[0]]; ok {
			r.views = append(r.views, v)
		}
	}

	acts, ok := s.Answers[b.rowsQ.ID]
	if ok && !acts.Skipped {
		for _, id := range acts.Values {
			switch {
			case id == survey.OtherID:
				var other []int
				for _, name := range acts.OtherNames() {
					for _, row := range b.rowNames(name, inStudy) {
						if !slices.Contains(other, row) {
							other = append(other, row)
						}
					}
				}
				if len(other) == 0 {
					continue
				}
				for _, row := range other {
					b.addRow(s, row, b.rows.get(survey.OtherID), inStudy)
				}
				r.otherRows = append(r.otherRows, other...)
			default:
				if row := b.rows.get(id); flagOf(b.rowFlags, row)&flagNotItem == 0 {
					b.addRow(s, row, row, inStudy)
				}
			}
		}
	}

	a, ok := s.Answers[b.opts.HardestQuestion]
	if !ok {
		a, ok = s.Answers[b.opts.HardQuestion] // a survey that asks the choice there
	}
	if ok && !a.Skipped && len(a.Values) > 0 {
		r.hardAnswered = true
		row := -1
		if v := a.Values[0]; v == survey.OtherID {
			// A name typed under Other… for the activities: its row.
			for _, name := range a.OtherNames() {
				if rows := b.rowNames(name, false); len(rows) > 0 {
					row = rows[0]
				}
			}
		} else if i, ok := b.rows.of[v]; ok && flagOf(b.rowFlags, i)&flagNotItem == 0 {
			row = i
		}
		for _, rr := range r.rows {
			if rr.row == row {
				r.hardest = row
			}
		}
	}
}

// addRow adds row to b.cur with the tools of the matrix answer of row
// answerRow (they differ for an activity typed under Other…), merging
// with the row if it is there already.
func (b *Builder) addRow(s *survey.Session, row, answerRow int, inStudy bool) {
	r := &b.cur
	for i := range r.rows {
		if r.rows[i].row == row {
			// Named twice (ticked, and typed under Other…): one group,
			// with the tools of both.
			rr := r.rows[i]
			others := append([]int(nil), r.tools[rr.from:rr.to]...)
			r.rows = slices.Delete(r.rows, i, i+1)
			b.addRowTools(s, row, answerRow, inStudy, others, rr)
			return
		}
	}
	b.addRowTools(s, row, answerRow, inStudy, nil, responseRow{})
}

func (b *Builder) addRowTools(s *survey.Session, row, answerRow int, inStudy bool, prior []int, prev responseRow) {
	r := &b.cur
	rr := responseRow{row: row, from: len(r.tools), noTool: prev.noTool, typedIn: prev.typedIn}
	r.tools = append(r.tools, prior...)
	add := func(tool int) {
		if !slices.Contains(r.tools[rr.from:], tool) {
			r.tools = append(r.tools, tool)
		}
	}
	if a, ok := s.Answers[b.rowKey(answerRow)]; ok && !a.Skipped {
		for _, v := range a.Values {
			switch {
			case v == survey.OtherID:
				for _, other := range a.OtherNames() { // every name given under Other…
					for _, n := range b.toolNames(other) {
						if n.index < 0 {
							rr.typedIn = true
							if inStudy {
								spell(b.toolSpelling, n.key, n.spelling)
							}
							add(b.tools.get(n.id))
						} else {
							add(n.index)
						}
					}
				}
			default:
				if t := b.tools.get(v); flagOf(b.toolFlags, t)&flagNotItem != 0 {
					rr.noTool = true // "none", "in person": without a tool, unless one is ticked too
				} else {
					add(t)
				}
			}
		}
	}
	rr.to = len(r.tools)
	rr.noTool = rr.noTool && rr.to == rr.from
	rr.paperOnly = rr.to > rr.from
	for _, t := range r.tools[rr.from:rr.to] {
		if flagOf(b.toolFlags, t)&flagPaper == 0 {
			rr.paperOnly = false
			break
		}
	}
	r.rows = append(r.rows, rr)
}

func mergeSpellings(dst, src map[string]map[string]int) {
	for k, sp := range src {
		d := dst[k]
		if d == nil {
			d = map[string]int{}
			dst[k] = d
		}
		for s, n := range sp {
			d[s] += n
		}
	}
}

func spell(m map[string]map[string]int, key, spelling string) {
	sp := m[key]
	if sp == nil {
		sp = map[string]int{}
		m[key] = sp
	}
	sp[spelling]++
}

// name is one name typed under Other…: an item of the survey (index), or
// a new name (index -1) with its folded key, its id (typedPrefix and the
// key) and its spelling.
type name struct {
	index             int
	key, id, spelling string
}

// parseNames splits typed into names, matching each against byName,
// remembering the result in cache: the same few texts come back again
// and again.
func parseNames(cache map[string][]name, byName map[string]int, typed string) []name {
	if ns, ok := cache[typed]; ok {
		return ns
	}
	var ns []name
	for _, piece := range splitNames(typed) {
		f := fold(piece)
		if f == "" {
			continue
		}
		if id, ok := byName[f]; ok {
			ns = append(ns, name{index: id})
		} else {
			ns = append(ns, name{index: -1, key: f, id: typedPrefix + f, spelling: clean(piece)})
		}
	}
	if len(cache) < 1<<16 {
		cache[typed] = ns
	}
	return ns
}

func (b *Builder) toolNames(typed string) []name {
	return parseNames(b.parsedTool, b.toolByName, typed)
}

// rowNames returns the rows of the activities typed under Other…: the
// survey's own when a name matches one, else a typed row per name.
func (b *Builder) rowNames(typed string, inStudy bool) []int {
	var rows []int
	for _, n := range parseNames(b.parsedRow, b.rowByName, typed) {
		row := n.index
		if row < 0 {
			row = b.rows.get(n.id)
			if inStudy {
				spell(b.rowSpelling, n.key, n.spelling)
			}
		}
		if !slices.Contains(rows, row) {
			rows = append(rows, row)
		}
	}
	return rows
}

func (b *Builder) addQuote(s *survey.Session) {
	ok, found := s.Answers[b.opts.QuoteQuestion]
	if !found || ok.Skipped || !ok.Has(b.opts.QuoteYes) {
		return
	}
	text, activity := "", ""
	if why, found := s.Answers[b.opts.HardWhyQuestion]; found && !why.Skipped && why.Text != "" {
		text = why.Text
		if b.cur.hardest >= 0 {
			activity = b.rows.ids[b.cur.hardest]
		}
	} else if hard, found := s.Answers[b.opts.HardQuestion]; found && !hard.Skipped {
		text = hard.Text
	}
	if text = clean(text); text == "" {
		return
	}
	q := quote{at: s.CompletedAt, text: text, activity: activity}
	if len(b.quotes) < b.keptQuotes() {
		b.quotes = append(b.quotes, q)
		return
	}
	// Full: the new quote takes the place of the oldest, if it is newer.
	oldest := 0
	for i := range b.quotes {
		if b.quotes[i].at.Before(b.quotes[oldest].at) {
			oldest = i
		}
	}
	if q.at.After(b.quotes[oldest].at) {
		b.quotes[oldest] = q
	}
}

// keptQuotes is how many quotes the Builder keeps: enough to find
// MaxQuotes different ones.
func (b *Builder) keptQuotes() int { return 4*b.opts.MaxQuotes + 8 }

// newestQuotes sorts qs newest first and keeps n.
func newestQuotes(qs []quote, n int) []quote {
	slices.SortFunc(qs, func(x, y quote) int {
		return cmp.Or(y.at.Compare(x.at), strings.Compare(x.text, y.text))
	})
	return qs[:min(n, len(qs))]
}

// fork returns an empty Builder of the same report, for another worker.
func (b *Builder) fork() *Builder {
	o, _ := New(b.def, b.period, &b.opts) // b's definition already passed New
	o.limit, o.n = b.limit, b.n
	return o
}

// merge adds what o has counted to b. The two number unknown ids
// differently: o's are looked up by id.
func (b *Builder) merge(o *Builder) {
	rowOf := make([]int, len(o.rows.ids))
	for i, id := range o.rows.ids {
		rowOf[i] = b.rows.get(id)
	}
	toolOf := make([]int, len(o.tools.ids))
	for i, id := range o.tools.ids {
		toolOf[i] = b.tools.get(id)
	}
	mergeView := func(dst, src *viewTally) {
		dst.n += src.n
		for i := range src.rows {
			s, d := &src.rows[i], dst.row(rowOf[i])
			d.groups += s.groups
			d.hardest += s.hardest
			d.hardBase += s.hardBase
			d.noTool += s.noTool
			d.paperOnly += s.paperOnly
			d.typedIn += s.typedIn
			for t, n := range s.cells {
				if n > 0 {
					*slot(&d.cells, toolOf[t]) += n
				}
			}
		}
	}
	for v := range o.views {
		mergeView(&b.views[v], &o.views[v])
	}
	mergeView(&b.week, &o.week)
	mergeView(&b.before, &o.before)
	b.prevN += o.prevN
	b.n = max(b.n, o.n)
	for p, n := range o.weeks {
		b.weeks[p] += n
	}
	for k, n := range o.sources {
		b.sources[k] += n
	}
	for t, n := range o.recommend {
		*slot(&b.recommend, toolOf[t]) += n
	}
	mergeSpellings(b.rowSpelling, o.rowSpelling)
	mergeSpellings(b.toolSpelling, o.toolSpelling)
	for t, n := range o.toolGroups {
		*slot(&b.toolGroups, toolOf[t]) += n
	}
	b.quotes = newestQuotes(append(b.quotes, o.quotes...), b.keptQuotes())
}

// Scan reads responses for Collect: it calls count once with the number
// of responses first completed in [from, to), then fn for each of them,
// on up to workers goroutines at once, with the worker (0 to workers-1)
// and the response's position in completion order; each worker's calls
// come in order. store.DB.ScanDigest does this.
type Scan func(from, to time.Time, workers int, count func(n int), fn func(worker, seq int, s *survey.Session) error) error

// Collect reads the responses of the Range with scan on up to workers
// goroutines, each adding to a Builder of its own, and adds them all to
// b. b must be new.
func (b *Builder) Collect(scan Scan, workers int) error {
	workers = max(workers, 1)
	bs := []*Builder{b}
	for range workers - 1 {
		bs = append(bs, b.fork())
	}
	from, to := b.Range()
	err := scan(from, to, workers, func(n int) {
		for _, w := range bs {
			w.Begin(n)
		}
	}, func(w, seq int, s *survey.Session) error {
		bs[w].AddAt(seq, s)
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range bs[1:] {
		b.merge(o)
	}
	return nil
}
