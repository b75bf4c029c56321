package report

import (
	"cmp"
	"slices"
	"strings"

	"toolmap/survey"
)

// Study is the study so far: the map of the tools groups use for each
// activity, the gaps, what was typed in, quotes and sources, over the
// first Groups responses (see Options.Step), with every number that may
// not be shown withheld. Views split it by the answers to the filter
// questions; within each, numbers are withheld so that none under the
// threshold can be worked out from the others (see protect).
type Study struct {
	MinCount int
	Step     int
	// RowsQuestion and ToolsQuestion are the ids of the activities and
	// tools questions, to look labels up with survey.Definition.Label.
	RowsQuestion, ToolsQuestion string

	// Responses is the number of responses finished up to the end of the
	// range; Groups is how many of them the study so far counts (Responses
	// less the remainder of its division by Step).
	Responses int
	Groups    Count
	// Suppressed is set when Groups is under the threshold: everything
	// below is then empty.
	Suppressed bool

	// Rows are the activities named by at least MinCount groups, most
	// named first, including names typed under Other… (Typed). FewRows
	// are the survey's activities named by fewer (but some).
	Rows    []Row
	FewRows []string
	// Columns are the tools with at least one count shown in the map of
	// all groups, those named by the most groups (for any activity)
	// first, including names typed under Other….
	Columns []Column
	// Views are the map seen through each filter: Views[0] is all groups,
	// then one view per value of each filter question, as Filters lists
	// them. A view's figures are aligned with Rows and Columns.
	Views   []View
	Filters []Filter

	Weeks []WeekCount // responses by ISO week, from the first to the last
	// Quotes are answers about what is hard, only from respondents who
	// allowed quotation, newest first, one of each text.
	Quotes []Quote
	// Sources are where the groups came from.
	Sources []Source
	// NewTools are names typed under Other… that match no tool of the
	// survey (by label or alias in any language, ignoring case and
	// punctuation), named by at least MinCount groups; FewNewTools is
	// set when other such names were typed by fewer groups each.
	NewTools    []NewTool
	FewNewTools bool
	// Recommended are the tools groups named as working really well,
	// worth knowing about (Options.RecommendQuestion), by at least
	// MinCount groups each.
	Recommended []Tool
}

// Row is an activity of the map: an id of the survey, or a name typed
// under Other… (Typed, with the spelling most groups used as Label).
type Row struct {
	ID    string
	Typed bool
	Label string // for a typed row
}

// Column is a tool of the map, as Row is an activity.
type Column struct {
	ID    string
	Typed bool
	Label string // for a typed column
}

// View is the map of one set of groups: all of them (Filter ""), or those
// that gave one answer to a filter question.
type View struct {
	Filter string // question id; "" for all groups
	Value  string // option id
	Groups Count
	Rows   []RowFigures // aligned with Study.Rows
}

// RowFigures are the numbers of one activity in one view. Each share has
// the activity's Groups as its base, except Hardest, whose base is
// HardBase (the groups doing it that were asked which activity is
// hardest).
type RowFigures struct {
	Groups    Count
	Cells     []Count // groups using each column's tool for it
	Hardest   Count   // groups naming it the hardest to do with their tools
	HardBase  Count
	NoTool    Count // groups doing it with no tool, in person
	PaperOnly Count // groups doing it on paper alone
	TypedIn   Count // groups that typed a tool of their own for it
}

// Filter is a question whose answers split the study into views.
type Filter struct {
	Question string
	Views    []int // indexes in Study.Views, in the order of the options
}

// WeekCount is the number of responses of one week in the study so far.
type WeekCount struct {
	Period Period
	Groups Count
}

// Quote is an answer about what is hard, given by a respondent who allowed
// it to be quoted.
type Quote struct {
	Text string
	// Activity is the row the respondent named hardest, when the quote
	// answers why (and the row is on the map); "" otherwise.
	Activity string
}

// NewTool is a name given under Other…, as most respondents spelled it.
type NewTool struct {
	Name   string
	Groups Count
}

// Tool is a tool named by a number of groups.
type Tool struct {
	ID     string
	Groups Count
	Label  string // for a name typed under Other… (IsTyped(ID)), as most groups spelled it
}

// Report returns the report on the responses added so far.
func (b *Builder) Report(c Counts) Report {
	minN := b.opts.MinCount
	count := func(n int) Count { return newCount(n, minN) }
	r := Report{
		Period: b.period, From: b.from, To: b.to, MinCount: minN,
		RowsQuestion: b.rowsQ.ID, ToolsQuestion: b.toolsQ.ID,
		Finished:         count(b.week.n),
		PreviousFinished: count(b.prevN),
		Total:            count(max(c.Total, b.n)),
		Started:          count(max(c.Started, 0)),
		HasStarted:       c.Started >= 0,
		Suppressed:       b.week.n < minN,
	}
	r.Study = b.Study()
	if !r.Suppressed && !r.Study.Suppressed {
		r.Moves = b.moves(&r.Study)
	}
	return r
}

// moves compares this week's shares with those before it, cell by cell of
// the map.
func (b *Builder) moves(st *Study) []Move {
	minN := b.opts.MinCount
	type move struct {
		Move
		row, col int
	}
	var moves []move
	for ri, row := range st.Rows {
		i := b.rows.of[row.ID]
		if i >= len(b.week.rows) || i >= len(b.before.rows) {
			continue
		}
		w, p := &b.week.rows[i], &b.before.rows[i]
		if w.groups < minN || p.groups < minN {
			continue
		}
		for ci, col := range st.Columns {
			t := b.tools.of[col.ID]
			n, m := at(w.cells, t), at(p.cells, t)
			if n < minN || m < minN {
				continue
			}
			mv := Move{Activity: row.ID, Tool: col.ID, Share: percent(n, w.groups), Before: percent(m, p.groups)}
			if abs(mv.Share-mv.Before) >= b.opts.MinMove {
				moves = append(moves, move{mv, ri, ci})
			}
		}
	}
	slices.SortFunc(moves, func(x, y move) int {
		return cmp.Or(cmp.Compare(abs(y.Share-y.Before), abs(x.Share-x.Before)), cmp.Compare(x.row, y.row), cmp.Compare(x.col, y.col))
	})
	var out []Move
	for _, m := range moves[:min(len(moves), b.opts.MaxMoves)] {
		out = append(out, m.Move)
	}
	return out
}

// Study returns the study so far, as counted so far.
func (b *Builder) Study() Study {
	minN := b.opts.MinCount
	count := func(n int) Count { return newCount(n, minN) }
	all := &b.views[0]
	st := Study{
		MinCount: minN, Step: b.opts.Step,
		RowsQuestion: b.rowsQ.ID, ToolsQuestion: b.toolsQ.ID,
		Responses: max(b.n, all.n),
		Groups:    count(all.n),
	}
	if st.Suppressed = all.n < minN; st.Suppressed {
		return st
	}

	// Rows: activities named by enough groups, most named first.
	groups := make([]int, len(all.rows))
	for i := range all.rows {
		groups[i] = all.rows[i].groups
	}
	var rows []int
	for _, i := range rank(groups, &b.rows) {
		id := b.rows.ids[i]
		switch {
		case groups[i] >= minN:
			rows = append(rows, i)
			row := Row{ID: id}
			if IsTyped(id) {
				row.Typed, row.Label = true, bestSpelling(b.rowSpelling[id[len(typedPrefix):]])
			}
			st.Rows = append(st.Rows, row)
		case i < b.rows.known:
			st.FewRows = append(st.FewRows, id)
		}
	}

	// Columns: tools with a cell to show, most named first.
	var cols []int
	for _, t := range rank(b.toolGroups, &b.tools) {
		for _, i := range rows {
			if at(all.rows[i].cells, t) >= minN {
				cols = append(cols, t)
				id := b.tools.ids[t]
				c := Column{ID: id}
				if IsTyped(id) {
					c.Typed, c.Label = true, bestSpelling(b.toolSpelling[id[len(typedPrefix):]])
				}
				st.Columns = append(st.Columns, c)
				break
			}
		}
	}

	st.Views, st.Filters = b.buildViews(rows, cols)
	st.Weeks = b.weekCounts(all.n)
	st.Quotes = b.studyQuotes(st.Rows)
	st.Sources = b.studySources()

	// Names typed under Other…, and the tools groups recommend.
	var typed []int
	for _, t := range rank(b.toolGroups, &b.tools) {
		if !IsTyped(b.tools.ids[t]) {
			continue
		}
		if b.toolGroups[t] < minN {
			st.FewNewTools = true
			continue
		}
		typed = append(typed, t)
	}
	for _, t := range typed[:min(len(typed), b.opts.MaxNewTools)] {
		st.NewTools = append(st.NewTools, NewTool{
			Name:   bestSpelling(b.toolSpelling[b.tools.ids[t][len(typedPrefix):]]),
			Groups: count(b.toolGroups[t]),
		})
	}
	for _, t := range rank(b.recommend, &b.tools) {
		if b.recommend[t] >= minN {
			tool := Tool{ID: b.tools.ids[t], Groups: count(b.recommend[t])}
			if IsTyped(tool.ID) {
				tool.Label = bestSpelling(b.toolSpelling[tool.ID[len(typedPrefix):]])
			}
			st.Recommended = append(st.Recommended, tool)
		}
	}
	return st
}

// buildViews builds the views of the map over the given rows and columns and
// withholds what may not be shown.
func (b *Builder) buildViews(rows, cols []int) ([]View, []Filter) {
	minN := b.opts.MinCount
	nv := b.nViews
	views := make([]View, nv)
	for v := range views {
		views[v].Rows = make([]RowFigures, len(rows))
		for r := range rows {
			views[v].Rows[r].Cells = make([]Count, len(cols))
		}
	}
	var filters []Filter
	var parts [][]int
	for _, f := range b.filters {
		fl := Filter{Question: f.q.ID}
		for k, val := range f.values {
			v := f.first + k
			views[v].Filter, views[v].Value = f.q.ID, val
			fl.Views = append(fl.Views, v)
		}
		filters = append(filters, fl)
		parts = append(parts, fl.Views)
	}

	// Each measure across the views, protected on its own.
	vals := make([]int, nv)
	measure := func(get func(v int) int, set func(v int, c Count)) {
		for v := range nv {
			vals[v] = get(v)
		}
		shown := protect(vals, parts, minN)
		for v := range nv {
			set(v, Count{n: vals[v], min: minN, hidden: !shown[v]})
		}
	}
	row := func(v, i int) *rowTally {
		if i < len(b.views[v].rows) {
			return &b.views[v].rows[i]
		}
		return &rowTally{}
	}
	measure(func(v int) int { return b.views[v].n }, func(v int, c Count) { views[v].Groups = c })
	for r, i := range rows {
		fig := func(v int) *RowFigures { return &views[v].Rows[r] }
		measure(func(v int) int { return row(v, i).groups }, func(v int, c Count) { fig(v).Groups = c })
		measure(func(v int) int { return row(v, i).hardest }, func(v int, c Count) { fig(v).Hardest = c })
		measure(func(v int) int { return row(v, i).hardBase }, func(v int, c Count) { fig(v).HardBase = c })
		measure(func(v int) int { return row(v, i).noTool }, func(v int, c Count) { fig(v).NoTool = c })
		measure(func(v int) int { return row(v, i).paperOnly }, func(v int, c Count) { fig(v).PaperOnly = c })
		measure(func(v int) int { return row(v, i).typedIn }, func(v int, c Count) { fig(v).TypedIn = c })
		for k, t := range cols {
			measure(func(v int) int { return at(row(v, i).cells, t) }, func(v int, c Count) { fig(v).Cells[k] = c })
		}
	}

	// A share needs its base: where an activity's count is withheld, so is
	// everything measured against it.
	for v := range views {
		for r := range views[v].Rows {
			f := &views[v].Rows[r]
			if f.Groups.Hidden() {
				for k := range f.Cells {
					f.Cells[k].hidden = true
				}
				f.NoTool.hidden, f.PaperOnly.hidden, f.TypedIn.hidden, f.HardBase.hidden = true, true, true, true
			}
			if f.HardBase.Hidden() {
				f.Hardest.hidden = true
			}
		}
	}
	return views, filters
}

// weekCounts lists the responses of each week of the study so far, from
// the first week to the last, withholding as protect does with the study
// as their total.
func (b *Builder) weekCounts(total int) []WeekCount {
	if len(b.weeks) == 0 {
		return nil
	}
	var first, last Period
	for p := range b.weeks {
		if first.IsZero() || p.before(first) {
			first = p
		}
		if last.IsZero() || last.before(p) {
			last = p
		}
	}
	vals := []int{total}
	var ps []Period
	for p := first; !last.before(p); p = p.Next() {
		ps = append(ps, p)
		vals = append(vals, b.weeks[p])
	}
	part := make([]int, len(ps))
	for i := range part {
		part[i] = i + 1
	}
	shown := protect(vals, [][]int{part}, b.opts.MinCount)
	out := make([]WeekCount, len(ps))
	for i, p := range ps {
		out[i] = WeekCount{Period: p, Groups: Count{n: vals[i+1], min: b.opts.MinCount, hidden: !shown[i+1]}}
	}
	return out
}

// studyQuotes picks the newest quotes, one of each text; a quote names its
// activity only when the activity is on the map.
func (b *Builder) studyQuotes(rows []Row) []Quote {
	var out []Quote
	seen := map[string]bool{}
	for _, q := range newestQuotes(b.quotes, len(b.quotes)) {
		if len(out) == b.opts.MaxQuotes {
			break
		}
		f := fold(q.text)
		if seen[f] {
			continue
		}
		seen[f] = true
		activity := ""
		if slices.ContainsFunc(rows, func(r Row) bool { return r.ID == q.activity }) {
			activity = q.activity
		}
		out = append(out, Quote{Text: cut(q.text, b.opts.MaxQuoteRunes), Activity: activity})
	}
	return out
}

// studySources groups the deep-link payloads by kind and name. Sources
// named by fewer than MinCount groups, and those past MaxSources, join
// "other links", and so do the smallest of the others until "other
// links" is none or at least MinCount: the total is known, so a small
// remainder could be worked out.
func (b *Builder) studySources() []Source {
	minN := b.opts.MinCount
	type key struct {
		kind SourceKind
		name string
	}
	sums := map[key]int{}
	for p, n := range b.sources {
		kind, name := ClassifySource(p)
		sums[key{kind, name}] += n
	}
	var list []Source
	other := 0
	for k, n := range sums {
		if n < minN {
			other += n
			continue
		}
		list = append(list, Source{Kind: k.kind, Name: k.name, Groups: newCount(n, minN)})
	}
	kindOrder := map[SourceKind]int{SourceNamed: 0, SourceReferral: 1, SourceDirect: 2}
	slices.SortFunc(list, func(x, y Source) int {
		return cmp.Or(cmp.Compare(y.Groups.n, x.Groups.n), cmp.Compare(kindOrder[x.Kind], kindOrder[y.Kind]), strings.Compare(x.Name, y.Name))
	})
	for len(list) > b.opts.MaxSources || other > 0 && other < minN && len(list) > 0 {
		other += list[len(list)-1].Groups.n
		list = list[:len(list)-1]
	}
	if other > 0 {
		list = append(list, Source{Kind: SourceOther, Groups: newCount(other, minN)})
	}
	return list
}

// before reports whether week p comes before q.
func (p Period) before(q Period) bool {
	return p.Year < q.Year || p.Year == q.Year && p.Week < q.Week
}

// FilterLabel is the label of a filter question's option in lang, as the
// survey shows it ("Other…" for a value typed under Other…).
func FilterLabel(def *survey.Definition, question, value, lang string) string {
	return def.Label(def.Question(question), value, lang)
}
