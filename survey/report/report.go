package report

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"toolmap/survey"
)

// Defaults of Options.
const (
	DefaultMinCount      = 5
	DefaultHardQuestion  = "hard_why"
	DefaultQuoteQuestion = "quote_ok"
	DefaultQuoteYes      = "yes"
)

// Options configure a report. A nil *Options, and each zero field, means
// the default.
type Options struct {
	// Location is the time zone the weeks are counted in. Default UTC.
	Location *time.Location
	// MinCount is the small-cell threshold: a count of groups from 1 to
	// MinCount-1 is withheld, and a week with fewer responses shows no
	// breakdown and no quotes. Default 5.
	MinCount int
	// ToolsQuestion is the matrix question whose rows are activities and
	// whose columns are tools. Default: the survey's first matrix question.
	ToolsQuestion string
	// HardQuestion is the free-text question quoted ("what is hard").
	// Default "hard_why", and for responses to version 1 of the built-in
	// survey its "hardest".
	HardQuestion string
	// QuoteQuestion and QuoteYes: a respondent is quoted only when their
	// answer to QuoteQuestion includes option QuoteYes. Default
	// "quote_ok" and "yes".
	QuoteQuestion, QuoteYes string

	TopTools      int // tools listed for each activity; default 3
	MaxTools      int // tools in the overall ranking (the chart); default 8
	MaxMoves      int // movements against the previous week; default 3
	MinMove       int // smallest movement shown, in percentage points; default 5
	MaxNewTools   int // names given under Other… that are listed; default 5
	MaxQuotes     int // default 3
	MaxQuoteRunes int // longer quotes are cut at a word; default 280
	MaxSources    int // deep-link sources listed, besides "other links"; default 4
}

func (o *Options) withDefaults() Options {
	var v Options
	if o != nil {
		v = *o
	}
	v.Location = orUTC(v.Location)
	def := func(p *int, d int) {
		if *p <= 0 {
			*p = d
		}
	}
	def(&v.MinCount, DefaultMinCount)
	def(&v.TopTools, 3)
	def(&v.MaxTools, 8)
	def(&v.MaxMoves, 3)
	def(&v.MinMove, 5)
	def(&v.MaxNewTools, 5)
	def(&v.MaxQuotes, 3)
	def(&v.MaxQuoteRunes, 280)
	def(&v.MaxSources, 4)
	if v.HardQuestion == "" {
		v.HardQuestion = DefaultHardQuestion
	}
	if v.QuoteQuestion == "" {
		v.QuoteQuestion = DefaultQuoteQuestion
	}
	if v.QuoteYes == "" {
		v.QuoteYes = DefaultQuoteYes
	}
	return v
}

// Count is a number of groups under small-cell suppression: a number from
// 1 to the threshold minus one is withheld, and shown as "fewer than N".
// Zero is shown: it singles out no one.
type Count struct {
	n, min int
}

func newCount(n, min int) Count { return Count{n: n, min: min} }

// Value returns the number, or false when it is withheld.
func (c Count) Value() (int, bool) {
	if c.Small() {
		return 0, false
	}
	return c.n, true
}

// Small reports whether the number is withheld: more than zero and below
// the threshold.
func (c Count) Small() bool { return c.n > 0 && c.n < c.min }

// Threshold is the smallest number shown (besides zero).
func (c Count) Threshold() int { return c.min }

// String writes the number, or "<N" when it is withheld.
func (c Count) String() string {
	if c.Small() {
		return fmt.Sprintf("<%d", c.min)
	}
	return fmt.Sprint(c.n)
}

// Counts are the numbers a report needs from outside the week's responses.
type Counts struct {
	// Total is the number of responses finished up to the end of the
	// week, all time. A value below the week's own count is raised to it.
	Total int
	// Started is the number of sessions started during the week,
	// finished or not; negative when unknown.
	Started int
}

// Report is what a digest says about one week. Every count in it is a
// Count; every list is in a fixed order (most groups first, then the
// order of the survey's catalogue, then by name), so the same responses
// give the same report.
type Report struct {
	Period   Period
	From, To time.Time // the week's bounds in the report's time zone; To excluded
	MinCount int

	// RowsQuestion and ToolsQuestion are the ids of the activities and
	// tools questions, to look labels up with survey.Definition.Label.
	RowsQuestion, ToolsQuestion string

	Finished         Count // responses finished this week
	PreviousFinished Count // responses finished the week before
	Total            Count // responses finished up to the end of the week
	Started          Count // sessions started this week
	HasStarted       bool  // Started is known

	// Suppressed is set when fewer than MinCount responses were finished
	// this week (none included): everything below is then empty.
	Suppressed bool

	// Activities are those named by at least MinCount groups, with their
	// top tools; FewActivities the ids of those named by fewer (but some).
	Activities    []Activity
	FewActivities []string
	// Tools ranks tools by the groups that named them for any activity,
	// Share being the percentage of all groups finished this week.
	Tools []Tool
	// Moves are the largest changes in those shares against the previous
	// week, when both weeks had enough responses.
	Moves []Move
	// NewTools are names given under Other… that match no tool in the
	// catalogue (by label or alias, ignoring case and punctuation), named
	// by at least MinCount groups. FewNewTools is set when other names
	// were given by fewer groups each.
	NewTools    []NewTool
	FewNewTools bool
	// Quotes are answers to the "what is hard" question, only from
	// respondents who allowed quotation, newest first.
	Quotes []string
	// Sources are where respondents came from (deep-link payloads).
	Sources []Source
}

// Activity is one activity and the tools most named for it.
type Activity struct {
	ID     string
	Groups Count
	Tools  []Tool // at most Options.TopTools, each named by at least MinCount groups
}

// Tool is a tool named by a number of groups. Share is the percentage of
// the groups it is counted among (those that named the activity, or all).
type Tool struct {
	ID     string
	Groups Count
	Share  int
}

// Move is a tool whose share of groups changed against the previous week.
type Move struct {
	ID     string
	Share  int // percent of groups this week
	Before int // percent of groups the week before
}

// NewTool is a name given under Other…, as most respondents spelled it.
type NewTool struct {
	Name   string
	Groups Count
}

// SourceKind classifies deep-link payloads (TELEGRAM.md §8).
type SourceKind string

// The kinds of source. Personal referral and group codes are never listed
// one by one: they could identify someone.
const (
	SourceDirect   SourceKind = "direct"   // no payload
	SourceNamed    SourceKind = "source"   // s-<name>: a link the team published; Name is <name>
	SourceReferral SourceKind = "referral" // r-<code>: personal invitations, together
	SourceGroup    SourceKind = "group"    // g-<code>: group links, together
	SourceOther    SourceKind = "other"    // anything else, and sources too small to list
)

// Source is a number of groups that came from one kind of link.
type Source struct {
	Kind   SourceKind
	Name   string // for SourceNamed
	Groups Count
}

// ErrNoMatrix is returned by New when the survey has no activities × tools
// matrix question to report on.
var ErrNoMatrix = errors.New("the survey has no matrix question of activities and tools")

// Builder aggregates responses into a Report. Feed it with Add every
// response finished in [Range); responses outside it are ignored. It is
// not safe for concurrent use.
type Builder struct {
	def                *survey.Definition
	opts               Options
	period             Period
	prevFrom, from, to time.Time

	rowsQ, toolsQ *survey.Question
	rows, tools   index
	rowKeys       []string        // row index → key of its matrix answer
	rowExclusive  map[string]bool // activity options that make no row
	byName        map[string]int  // folded label or alias → tool index
	this, prev    tally
	rowTools      []int             // scratch
	parsed        map[string][]name // Other… texts already parsed
}

// index numbers ids: those of the survey first, in display order, then
// unknown ones (from an older version of the survey) as they come.
type index struct {
	ids   []string
	of    map[string]int
	known int // ids[:known] are the survey's
}

func (x *index) get(id string) int {
	if i, ok := x.of[id]; ok {
		return i
	}
	x.of[id] = len(x.ids)
	x.ids = append(x.ids, id)
	return len(x.ids) - 1
}

// compare orders indexes: the survey's in display order, then unknown ids
// by id, so that the order of arrival does not matter.
func (x *index) compare(i, j int) int {
	switch {
	case i < x.known && j < x.known:
		return cmp.Compare(i, j)
	case i < x.known:
		return -1
	case j < x.known:
		return 1
	}
	return strings.Compare(x.ids[i], x.ids[j])
}

// tally is the aggregate of one week. Slices are indexed by the Builder's
// row and tool indexes and grow as unknown ids appear.
type tally struct {
	n          int
	gen        int
	activities []int
	cells      [][]int // row → tool → groups
	tools      []int
	toolSeen   []int // tool → gen of the response that last counted it
	others     map[string]*otherName
	quotes     []quote
	sources    map[string]int
}

type otherName struct {
	groups    int
	seen      int
	spellings map[string]int
}

type quote struct {
	at   time.Time
	text string
}

// slot returns &(*s)[i], growing *s as needed.
func slot(s *[]int, i int) *int {
	if i >= len(*s) {
		*s = append(*s, make([]int, i+1-len(*s))...)
	}
	return &(*s)[i]
}

// New returns a Builder of the report on week p of survey def.
func New(def *survey.Definition, p Period, opts *Options) (*Builder, error) {
	o := opts.withDefaults()
	b := &Builder{def: def, opts: o, period: p,
		rows: index{of: map[string]int{}}, tools: index{of: map[string]int{}},
		rowExclusive: map[string]bool{}, byName: map[string]int{},
		this: tally{others: map[string]*otherName{}, sources: map[string]int{}},
		prev: tally{others: map[string]*otherName{}, sources: map[string]int{}},
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
	for _, it := range items(def, def.Catalogue(b.rowsQ.From), b.rowsQ) {
		b.rows.get(it.ID)
		b.rowExclusive[it.ID] = it.Exclusive
	}
	b.rows.known = len(b.rows.ids)
	for _, it := range items(def, def.Catalogue(b.toolsQ.Columns), b.toolsQ) {
		id := b.tools.get(it.ID)
		// Labels in every language and aliases name the tool. The first
		// tool to claim a name keeps it.
		for _, lang := range sortedKeys(it.Label) {
			if f := fold(it.Label[lang]); f != "" {
				if _, taken := b.byName[f]; !taken {
					b.byName[f] = id
				}
			}
		}
		for _, a := range it.Aliases {
			if f := fold(a); f != "" {
				if _, taken := b.byName[f]; !taken {
					b.byName[f] = id
				}
			}
		}
	}
	b.tools.known = len(b.tools.ids)
	return b, nil
}

// items lists a catalogue's items, then a question's own options.
func items(def *survey.Definition, c *survey.Catalogue, q *survey.Question) []*survey.Item {
	var out []*survey.Item
	if c != nil {
		out = append(out, c.Items...)
	}
	return append(out, q.Options...)
}

// Range returns the span of completion times the report reads: from the
// start of the previous week to the end of this one (excluded).
func (b *Builder) Range() (from, to time.Time) { return b.prevFrom, b.to }

// Add counts one response (a completed session) by its CompletedAt, the
// time it was first finished.
func (b *Builder) Add(s survey.Session) {
	at := s.CompletedAt
	switch {
	case at.IsZero() || at.Before(b.prevFrom) || !at.Before(b.to):
		return
	case at.Before(b.from):
		b.add(&b.prev, &s, false)
	default:
		b.add(&b.this, &s, true)
	}
}

// rowKey returns the key of the matrix answer of row i.
func (b *Builder) rowKey(i int) string {
	for len(b.rowKeys) <= i {
		b.rowKeys = append(b.rowKeys, survey.Cursor{Question: b.toolsQ.ID, Item: b.rows.ids[len(b.rowKeys)]}.Key())
	}
	return b.rowKeys[i]
}

func (b *Builder) add(t *tally, s *survey.Session, detail bool) {
	t.n++
	t.gen++
	if detail {
		t.sources[s.Source]++
		b.addQuote(t, s)
	}
	rows, ok := s.Answers[b.rowsQ.ID]
	if !ok || rows.Skipped {
		return
	}
	for _, rowID := range rows.Values {
		isActivity := rowID != survey.OtherID && !b.rowExclusive[rowID]
		row := b.rows.get(rowID)
		if isActivity {
			*slot(&t.activities, row)++
		}
		a, ok := s.Answers[b.rowKey(row)]
		if !ok || a.Skipped {
			continue
		}
		b.rowTools = b.rowTools[:0]
		for _, v := range a.Values {
			if v != survey.OtherID {
				b.rowTools = append(b.rowTools, b.tools.get(v))
			}
		}
		if a.Has(survey.OtherID) {
			for _, other := range a.OtherNames() { // every name given under Other…
				for _, n := range b.names(other) {
					if n.tool >= 0 {
						b.rowTools = append(b.rowTools, n.tool)
					} else if detail {
						t.addOther(n.key, n.spelling)
					}
				}
			}
		}
		var cell *[]int
		if detail && isActivity {
			for len(t.cells) <= row {
				t.cells = append(t.cells, nil)
			}
			cell = &t.cells[row]
		}
		for i, tool := range b.rowTools {
			if slices.Contains(b.rowTools[:i], tool) {
				continue // ticked, and named again under Other…
			}
			if cell != nil {
				*slot(cell, tool)++
			}
			if seen := slot(&t.toolSeen, tool); *seen != t.gen {
				*seen = t.gen
				*slot(&t.tools, tool)++
			}
		}
	}
}

// name is one name typed under Other…: a tool of the catalogue, or a new
// name with its folded key and its spelling.
type name struct {
	tool          int // -1 for a new name
	key, spelling string
}

// names parses what was typed under Other…, remembering the result: the
// same few texts come back again and again.
func (b *Builder) names(typed string) []name {
	if ns, ok := b.parsed[typed]; ok {
		return ns
	}
	var ns []name
	for _, piece := range splitNames(typed) {
		f := fold(piece)
		if f == "" {
			continue
		}
		if id, ok := b.byName[f]; ok {
			ns = append(ns, name{tool: id})
		} else {
			ns = append(ns, name{tool: -1, key: f, spelling: clean(piece)})
		}
	}
	if b.parsed == nil {
		b.parsed = map[string][]name{}
	}
	b.parsed[typed] = ns
	return ns
}

func (t *tally) addOther(key, spelling string) {
	o := t.others[key]
	if o == nil {
		o = &otherName{spellings: map[string]int{}}
		t.others[key] = o
	}
	o.spellings[spelling]++
	if o.seen != t.gen {
		o.seen = t.gen
		o.groups++
	}
}

func (b *Builder) addQuote(t *tally, s *survey.Session) {
	ok, found := s.Answers[b.opts.QuoteQuestion]
	if !found || ok.Skipped || !ok.Has(b.opts.QuoteYes) {
		return
	}
	hard, found := s.Answers[b.opts.HardQuestion]
	if !found && b.opts.HardQuestion == DefaultHardQuestion {
		hard, found = s.Answers[v1HardQuestion]
	}
	if !found || hard.Skipped {
		return
	}
	if text := clean(hard.Text); text != "" {
		t.quotes = append(t.quotes, quote{at: s.CompletedAt, text: text})
	}
}

// v1HardQuestion is the free-text question "what's hard" of version 1 of
// the built-in survey; version 2 asks it as DefaultHardQuestion.
const v1HardQuestion = "hardest"

// at returns s[i], or 0 past its end.
func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// Report returns the report on the responses added so far.
func (b *Builder) Report(c Counts) Report {
	minN := b.opts.MinCount
	count := func(n int) Count { return newCount(n, minN) }
	this, prev := &b.this, &b.prev
	r := Report{
		Period: b.period, From: b.from, To: b.to, MinCount: minN,
		RowsQuestion: b.rowsQ.ID, ToolsQuestion: b.toolsQ.ID,
		Finished:         count(this.n),
		PreviousFinished: count(prev.n),
		Total:            count(max(c.Total, this.n)),
		Started:          count(max(c.Started, 0)),
		HasStarted:       c.Started >= 0,
		Suppressed:       this.n < minN,
	}
	if r.Suppressed {
		return r
	}

	// Activities, most named first.
	for _, row := range rank(this.activities, &b.rows) {
		n := this.activities[row]
		if n < minN {
			if n > 0 {
				r.FewActivities = append(r.FewActivities, b.rows.ids[row])
			}
			continue
		}
		a := Activity{ID: b.rows.ids[row], Groups: count(n)}
		var cell []int
		if row < len(this.cells) {
			cell = this.cells[row]
		}
		for _, tool := range rank(cell, &b.tools) {
			if cell[tool] < minN || len(a.Tools) == b.opts.TopTools {
				break
			}
			a.Tools = append(a.Tools, Tool{ID: b.tools.ids[tool], Groups: count(cell[tool]), Share: percent(cell[tool], n)})
		}
		r.Activities = append(r.Activities, a)
	}

	// Tools overall.
	for _, tool := range rank(this.tools, &b.tools) {
		if this.tools[tool] < minN || len(r.Tools) == b.opts.MaxTools {
			break
		}
		r.Tools = append(r.Tools, Tool{ID: b.tools.ids[tool], Groups: count(this.tools[tool]), Share: percent(this.tools[tool], this.n)})
	}

	// What moved: shares of groups, where both weeks' counts can be shown.
	if prev.n >= minN {
		type move struct {
			Move
			tool int
		}
		var moves []move
		for tool, n := range this.tools {
			m := at(prev.tools, tool)
			if n < minN || m < minN {
				continue
			}
			mv := Move{ID: b.tools.ids[tool], Share: percent(n, this.n), Before: percent(m, prev.n)}
			if abs(mv.Share-mv.Before) >= b.opts.MinMove {
				moves = append(moves, move{mv, tool})
			}
		}
		slices.SortFunc(moves, func(x, y move) int {
			return cmp.Or(cmp.Compare(abs(y.Share-y.Before), abs(x.Share-x.Before)), b.tools.compare(x.tool, y.tool))
		})
		for _, m := range moves[:min(len(moves), b.opts.MaxMoves)] {
			r.Moves = append(r.Moves, m.Move)
		}
	}

	// Names given under Other…
	keys := sortedKeys(this.others)
	slices.SortStableFunc(keys, func(x, y string) int {
		return cmp.Compare(this.others[y].groups, this.others[x].groups)
	})
	for _, k := range keys {
		o := this.others[k]
		if o.groups < minN {
			r.FewNewTools = true
			continue
		}
		if len(r.NewTools) < b.opts.MaxNewTools {
			r.NewTools = append(r.NewTools, NewTool{Name: bestSpelling(o.spellings), Groups: count(o.groups)})
		}
	}

	r.Quotes = b.quotes(this.quotes)
	r.Sources = b.sources(this.sources)
	return r
}

// rank returns the indexes with a non-zero count, most first, ties in the
// index's order.
func rank(counts []int, x *index) []int {
	var out []int
	for i, n := range counts {
		if n > 0 {
			out = append(out, i)
		}
	}
	slices.SortFunc(out, func(i, j int) int {
		return cmp.Or(cmp.Compare(counts[j], counts[i]), x.compare(i, j))
	})
	return out
}

// quotes picks the newest quotes, one of each text.
func (b *Builder) quotes(qs []quote) []string {
	slices.SortFunc(qs, func(x, y quote) int {
		return cmp.Or(y.at.Compare(x.at), strings.Compare(x.text, y.text))
	})
	var out []string
	seen := map[string]bool{}
	for _, q := range qs {
		if len(out) == b.opts.MaxQuotes {
			break
		}
		if f := fold(q.text); !seen[f] {
			seen[f] = true
			out = append(out, cut(q.text, b.opts.MaxQuoteRunes))
		}
	}
	return out
}

// sources groups the deep-link payloads by kind; named sources too small
// to show, and those past the limit, join "other links".
func (b *Builder) sources(payloads map[string]int) []Source {
	minN := b.opts.MinCount
	type key struct {
		kind SourceKind
		name string
	}
	sums := map[key]int{}
	for p, n := range payloads {
		kind, name := ClassifySource(p)
		sums[key{kind, name}] += n
	}
	var list []Source
	other := sums[key{SourceOther, ""}]
	for k, n := range sums {
		if k.kind == SourceOther {
			continue
		}
		if n < minN {
			other += n
			continue
		}
		list = append(list, Source{Kind: k.kind, Name: k.name, Groups: newCount(n, minN)})
	}
	kindOrder := map[SourceKind]int{SourceNamed: 0, SourceDirect: 1, SourceGroup: 2, SourceReferral: 3}
	slices.SortFunc(list, func(x, y Source) int {
		return cmp.Or(cmp.Compare(y.Groups.n, x.Groups.n), cmp.Compare(kindOrder[x.Kind], kindOrder[y.Kind]), strings.Compare(x.Name, y.Name))
	})
	if len(list) > b.opts.MaxSources {
		for _, s := range list[b.opts.MaxSources:] {
			other += s.Groups.n
		}
		list = list[:b.opts.MaxSources]
	}
	if other > 0 {
		list = append(list, Source{Kind: SourceOther, Groups: newCount(other, minN)})
	}
	return list
}

// ClassifySource tells what kind of link a deep-link payload is, and for a
// named source (s-<name>) its name.
func ClassifySource(payload string) (SourceKind, string) {
	switch {
	case payload == "":
		return SourceDirect, ""
	case strings.HasPrefix(payload, "s-") && len(payload) > 2:
		return SourceNamed, payload[2:]
	case strings.HasPrefix(payload, "r-"):
		return SourceReferral, ""
	case strings.HasPrefix(payload, "g-"):
		return SourceGroup, ""
	}
	return SourceOther, ""
}

// percent returns 100·n/of, rounded half up.
func percent(n, of int) int {
	if of <= 0 {
		return 0
	}
	return (200*n + of) / (2 * of)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// splitNames splits what was typed under Other… into names: "Mastodon,
// Bluesky" names two tools.
func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' })
}

// fold reduces a name to lowercase letters and digits separated by single
// spaces, as the survey engine matches typed answers: "WhatsApp group!"
// and "whatsapp  GROUP" are the same name.
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		} else {
			space = true
		}
	}
	return b.String()
}

// clean collapses runs of white space (line breaks included) to one space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

// maxNameRunes bounds a name given under Other… as shown.
const maxNameRunes = 40

// bestSpelling returns the spelling most respondents used; ties go to the
// shorter, then to the first in byte order.
func bestSpelling(spellings map[string]int) string {
	best, n := "", 0
	for _, s := range sortedKeys(spellings) {
		c := spellings[s]
		if c > n || c == n && len(s) < len(best) {
			best, n = s, c
		}
	}
	return cut(best, maxNameRunes)
}

// cut shortens s to at most n runes, at a word boundary when there is one
// in the last third, and adds an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	for i := len(r) - 1; i > len(r)*2/3; i-- {
		if unicode.IsSpace(r[i]) {
			r = r[:i]
			break
		}
	}
	return strings.TrimRightFunc(string(r), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) + "…"
}
