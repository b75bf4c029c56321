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
	DefaultMinCount          = 5
	DefaultHardestQuestion   = "hardest_activity"
	DefaultHardQuestion      = "hardest"
	DefaultHardWhyQuestion   = "hard_why"
	DefaultRecommendQuestion = "recommend"
	DefaultQuoteQuestion     = "quote_ok"
	DefaultQuoteYes          = "yes"
	DefaultPaperTool         = "paper"
)

// Options configure a report. A nil *Options, and each zero field, means
// the default.
type Options struct {
	// Location is the time zone the weeks are counted in. Default UTC.
	Location *time.Location
	// MinCount is the small-cell threshold: a count of groups from 1 to
	// MinCount-1 is withheld, and a week with fewer responses shows no
	// breakdown of its own. Default 5.
	MinCount int
	// Step is how the study so far grows: it counts the first N - N%Step
	// of the N responses, so that two studies so far, taken at any two
	// moments, differ by at least Step responses (or none), and no single
	// new answer can be read off the change. Default MinCount.
	Step int
	// ToolsQuestion is the matrix question whose rows are activities and
	// whose columns are tools. Default: the survey's first matrix question.
	ToolsQuestion string
	// HardestQuestion is the choice of the activity hardest to do with
	// the tools a group has, among those it picked, or "none" (version 2
	// of the built-in survey). Default "hardest_activity".
	HardestQuestion string
	// HardWhyQuestion is the free text saying what makes the activity
	// named at HardestQuestion hard; it is quoted. Default "hard_why".
	HardWhyQuestion string
	// HardQuestion is the free text about what is hard of version 1 of
	// the built-in survey, quoted when a response has no HardWhyQuestion
	// (default "hardest"); a response whose answer to it is a choice
	// among the activities reads as HardestQuestion's.
	HardQuestion string
	// RecommendQuestion is a choice of one tool that works well, worth
	// sharing with other groups. Default "recommend".
	RecommendQuestion string
	// QuoteQuestion and QuoteYes: a respondent is quoted only when their
	// answer to QuoteQuestion includes option QuoteYes. Default
	// "quote_ok" and "yes".
	QuoteQuestion, QuoteYes string
	// PaperTools are the tools that are no digital tool at all: an
	// activity done with these alone is done on paper. Default "paper";
	// an empty, non-nil list names none.
	PaperTools []string
	// Filters are the single-choice questions whose answers split the
	// study into views (kind of group, size, region). Default: every
	// single-choice question of the survey with options of its own or
	// from a catalogue, asked of everyone (no condition), other than
	// the hard, recommend and quote questions. An empty, non-nil list
	// names none.
	Filters []string

	TopTools      int // tools listed for each activity; default 3
	MaxMoves      int // movements listed; default 3
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
	def(&v.Step, v.MinCount)
	def(&v.TopTools, 3)
	def(&v.MaxMoves, 3)
	def(&v.MinMove, 5)
	def(&v.MaxNewTools, 5)
	def(&v.MaxQuotes, 3)
	def(&v.MaxQuoteRunes, 280)
	def(&v.MaxSources, 4)
	str := func(p *string, d string) {
		if *p == "" {
			*p = d
		}
	}
	str(&v.HardestQuestion, DefaultHardestQuestion)
	str(&v.HardQuestion, DefaultHardQuestion)
	str(&v.HardWhyQuestion, DefaultHardWhyQuestion)
	str(&v.RecommendQuestion, DefaultRecommendQuestion)
	str(&v.QuoteQuestion, DefaultQuoteQuestion)
	str(&v.QuoteYes, DefaultQuoteYes)
	if v.PaperTools == nil {
		v.PaperTools = []string{DefaultPaperTool}
	}
	return v
}

// Count is a number of groups under small-cell suppression: a number from
// 1 to the threshold minus one is withheld, and shown as "fewer than N".
// Zero is shown: it singles out no one. A number may also be withheld
// whatever its size (Hidden without Small), when showing it would let a
// small one be worked out from others.
type Count struct {
	n, min int
	hidden bool
}

func newCount(n, min int) Count { return Count{n: n, min: min} }

// Value returns the number, or false when it is withheld.
func (c Count) Value() (int, bool) {
	if c.Hidden() {
		return 0, false
	}
	return c.n, true
}

// Small reports whether the number is withheld for being small: more than
// zero and below the threshold.
func (c Count) Small() bool { return c.n > 0 && c.n < c.min }

// Hidden reports whether the number is withheld, small or not.
func (c Count) Hidden() bool { return c.hidden || c.Small() }

// Threshold is the smallest number shown (besides zero).
func (c Count) Threshold() int { return c.min }

// String writes the number, "<N" when it is withheld for being small, and
// "–" when it is withheld otherwise.
func (c Count) String() string {
	switch {
	case c.Small():
		return fmt.Sprintf("<%d", c.min)
	case c.hidden:
		return "–"
	}
	return fmt.Sprint(c.n)
}

// Share returns n as a whole percentage of of, rounded half up, when both
// may be shown and of is not zero.
func Share(n, of Count) (int, bool) {
	a, ok1 := n.Value()
	b, ok2 := of.Value()
	if !ok1 || !ok2 || b == 0 {
		return 0, false
	}
	return percent(a, b), true
}

// Counts are the numbers a report needs from outside the responses it
// reads.
type Counts struct {
	// Total is the number of responses finished up to the end of the
	// week, all time. A value below the number of responses read is
	// raised to it.
	Total int
	// Started is the number of sessions started during the week,
	// finished or not; negative when unknown.
	Started int
}

// Report is what a digest says about one week, and about the study up to
// its end. Every count in it is a Count; every list is in a fixed order
// (most groups first, then the order of the survey's catalogue, then by
// name), so the same responses give the same report.
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
	// this week (none included): nothing about the week on its own is
	// shown then (Moves is empty); the study so far still is.
	Suppressed bool

	// Moves are the largest differences between this week's groups and
	// those before it, in the share of the groups doing an activity who
	// use a tool for it, where the four counts behind the two shares
	// reach MinCount.
	Moves []Move

	// Study is the study so far, up to the end of the week.
	Study Study
}

// Move is a tool whose share of the groups doing an activity differs this
// week from before it.
type Move struct {
	Activity string // a row of the study (Row.ID)
	Tool     string // a column of the study (Column.ID)
	Share    int    // percent of this week's groups doing the activity
	Before   int    // percent of the groups doing it before this week
}

// SourceKind classifies deep-link payloads (TELEGRAM.md §8).
type SourceKind string

// The kinds of source. Personal invitations are never listed one by one:
// they could identify someone.
const (
	SourceDirect   SourceKind = "direct"   // no payload
	SourceNamed    SourceKind = "source"   // a link someone made: s-<name>, or any other payload; Name is <name>
	SourceReferral SourceKind = "referral" // passed on by respondents: r-<code>, g-<code> and the bot's own group link, together
	SourceOther    SourceKind = "other"    // sources too small or too many to list, together
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

// index numbers ids: those of the survey first, in display order, then
// unknown ones (from an older version of the survey, or typed under
// Other…) as they come.
type index struct {
	ids   []string
	of    map[string]int
	known int // ids[:known] are the survey's
}

func newIndex() index { return index{of: map[string]int{}} }

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

// Typed ids: an activity or tool typed under Other… that matches none of
// the survey's is indexed as typedPrefix and its folded name. Survey ids
// never start with it.
const typedPrefix = "~"

// IsTyped reports whether a row or column id is a name typed under
// Other… rather than an id of the survey.
func IsTyped(id string) bool { return strings.HasPrefix(id, typedPrefix) }

// slot returns &(*s)[i], growing *s as needed.
func slot(s *[]int, i int) *int {
	if i >= len(*s) {
		*s = append(*s, make([]int, i+1-len(*s))...)
	}
	return &(*s)[i]
}

// at returns s[i], or 0 past its end.
func at(s []int, i int) int {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// items lists a catalogue's items, then a question's own options.
func items(def *survey.Definition, c *survey.Catalogue, q *survey.Question) []*survey.Item {
	var out []*survey.Item
	if c != nil {
		out = append(out, c.Items...)
	}
	return append(out, q.Options...)
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

// ClassifySource tells what kind of link a deep-link payload is, and for a
// named source its name: "s-flyer" and "flyer" are both the source
// "flyer" (toolmap link makes the first, operators often the second).
func ClassifySource(payload string) (SourceKind, string) {
	switch {
	case payload == "":
		return SourceDirect, ""
	case payload == "group" || strings.HasPrefix(payload, "r-") || strings.HasPrefix(payload, "g-"):
		return SourceReferral, ""
	case strings.HasPrefix(payload, "s-") && len(payload) > 2:
		return SourceNamed, payload[2:]
	}
	return SourceNamed, payload
}

// Compute is New, Add for each response, and Report.
func Compute(def *survey.Definition, p Period, responses []survey.Session, c Counts, opts *Options) (Report, error) {
	b, err := New(def, p, opts)
	if err != nil {
		return Report{}, err
	}
	n := 0
	for _, s := range responses {
		if !s.CompletedAt.IsZero() && s.CompletedAt.Before(b.to) {
			n++
		}
	}
	sorted := slices.Clone(responses)
	slices.SortStableFunc(sorted, func(x, y survey.Session) int { return x.CompletedAt.Compare(y.CompletedAt) })
	b.Begin(n)
	for _, s := range sorted {
		b.Add(s)
	}
	return b.Report(c), nil
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
