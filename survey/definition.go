package survey

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Text is a text in one or more languages, keyed by language code ("en",
// "es"). A language without its own text falls back to the survey's default
// language, string by string.
type Text map[string]string

// In returns the text in lang, or in fallback when lang has none.
func (t Text) In(lang, fallback string) string {
	if s, ok := t[lang]; ok && s != "" {
		return s
	}
	return t[fallback]
}

// Kind is the kind of a question.
type Kind string

// The kinds of question.
const (
	KindSingle Kind = "single" // pick one option
	KindMulti  Kind = "multi"  // pick several options, then Done
	KindText   Kind = "text"   // free text
	KindNumber Kind = "number" // a number
	KindMatrix Kind = "matrix" // for each item picked in an earlier multi question, a multi question over a catalogue
)

// OtherID is the option id under which an answer records "Other…"; the free
// text the respondent typed is kept in Answer.Other. Definitions may not use
// it as an id of their own.
const OtherID = "other"

// Definition is a whole survey: its texts, catalogues and questions.
type Definition struct {
	File            string // where it was read from, for messages; may be empty
	ID              string // stable id of the survey, e.g. "toolmap-default"
	Version         int    // bumped whenever questions or options change
	DefaultLanguage string
	Languages       []string // every language the survey speaks, default first
	Title           Text     // a short name, shown by toolmap try and in the codebook
	Consent         Consent
	Intro           Text // shown before the consent notice
	Thanks          Text // shown at the end; should begin "Thank you"
	Catalogues      []*Catalogue
	Questions       []*Question
	Messages        map[string]Text // overrides of the built-in interface messages, see Messages

	// Earlier are earlier versions of the same survey, oldest first: a
	// session begun under one of them finishes under it (see For), and
	// exports describe their answers. Set them with SetEarlier.
	Earlier []*Definition

	byQuestion  map[string]int
	byCatalogue map[string]*Catalogue
	textPos     map[string]Pos // lines of top-level keys, for problems
}

// Consent is the notice a respondent agrees to before anything is stored.
type Consent struct {
	Version int // bumped whenever the notice changes in substance
	Text    Text
	Agree   Text // button label
	Decline Text // button label
	Pos     Pos
}

// Catalogue is a named list of items that questions draw options from, such
// as the activities a group does or the tools it uses.
type Catalogue struct {
	ID    string
	Set   string // version tag of the list, recorded in the codebook, e.g. "v1-default"
	Items []*Item
	Pos   Pos

	byID map[string]*Item
}

// Item is one option: a catalogue entry or a question's own option.
type Item struct {
	ID          string
	Label       Text     // fits on a button
	Description Text     // optional longer explanation
	Aliases     []string // other names people use, matched case-insensitively in typed answers
	Exclusive   bool     // picking it clears every other pick (e.g. "None")
	Pos         Pos
}

// Question is one question of the survey. Which fields apply depends on
// Kind; Decode and Validate check that they fit.
type Question struct {
	ID       string
	Kind     Kind
	Text     Text // for a matrix, "{item}" is replaced by the row's label
	Hint     Text // optional, shown under the text
	Short    Text // optional short name, used in summaries and review; defaults to Text
	Optional bool // may be skipped
	When     *Condition

	// single and multi: Options, or the items of catalogue From, or both
	// (catalogue items first). matrix: Options are added after the columns.
	Options []*Item
	From    string
	Other   bool // offer "Other…" with a free-text follow-up

	// OptionsFrom names an earlier multi or matrix question: the options
	// are the items the respondent picked there (for a matrix, the column
	// items ticked in any row), then Options. The question is left out
	// when nothing was picked there.
	OptionsFrom string

	// multi and matrix: how many picks (0 = no bound).
	MinPicks, MaxPicks int

	// text: length in characters (0 = defaults: 1 and 1000).
	MinLength, MaxLength int

	// number: bounds and whether decimals are allowed.
	MinValue, MaxValue *float64
	Whole              bool

	// matrix: Rows names an earlier multi question; one step is asked for
	// each item picked there, over the items of catalogue Columns. Shortlist
	// maps a row item id to the column item ids shown first; "More…" shows
	// the whole catalogue. Rows without a shortlist show the whole catalogue.
	Rows      string
	Columns   string
	Shortlist map[string][]string
	// ShowEarlierPicks shows on a row's first screen, after its
	// shortlist, the columns this respondent ticked in the rows before
	// it: a tool used for one activity is then one tap away in the next.
	ShowEarlierPicks bool

	Pos Pos

	shortlistPos     map[string]Pos
	shortlistItemPos []shortlistEntry
	options          []*Item          // choices, cached by index
	byOption         map[string]*Item // choices by id
	names            []string         // questions named by {id} in Text or Hint
	source           []*Item          // options_from: what the source can offer, cached by index
}

// Condition makes a question depend on an earlier answer. Exactly one test
// is set.
type Condition struct {
	Question string
	AnyOf    []string // the answer includes at least one of these options
	NoneOf   []string // the answer includes none of these options (or was skipped)
	Answered *bool    // the question was answered (true) or skipped (false)
	AtLeast  *float64 // a number answer is at least this
	AtMost   *float64 // a number answer is at most this
	Pos      Pos
}

// Pos is where something was written in the definition file.
type Pos struct {
	Line, Column int
}

// Question returns the question with the given id, or nil.
func (d *Definition) Question(id string) *Question {
	if i, ok := d.byQuestion[id]; ok {
		return d.Questions[i]
	}
	return nil
}

// Catalogue returns the catalogue with the given id, or nil.
func (d *Definition) Catalogue(id string) *Catalogue {
	return d.byCatalogue[id]
}

// Item returns the catalogue item with the given id, or nil.
func (c *Catalogue) Item(id string) *Item {
	if c == nil {
		return nil
	}
	return c.byID[id]
}

// index builds the lookup maps. Duplicates keep the first; Validate reports them.
func (d *Definition) index() {
	d.byQuestion = make(map[string]int, len(d.Questions))
	for i, q := range d.Questions {
		if _, dup := d.byQuestion[q.ID]; !dup {
			d.byQuestion[q.ID] = i
		}
	}
	d.byCatalogue = make(map[string]*Catalogue, len(d.Catalogues))
	for _, c := range d.Catalogues {
		if _, dup := d.byCatalogue[c.ID]; !dup {
			d.byCatalogue[c.ID] = c
		}
		c.byID = make(map[string]*Item, len(c.Items))
		for _, it := range c.Items {
			if _, dup := c.byID[it.ID]; !dup {
				c.byID[it.ID] = it
			}
		}
	}
	for _, q := range d.Questions {
		q.names = questionRefs(q)
		q.source = nil
		if q.OptionsFrom != "" {
			q.source = d.buildSource(q)
		}
		q.options = d.buildChoices(q)
		q.byOption = make(map[string]*Item, len(q.options))
		for _, it := range q.options {
			if _, dup := q.byOption[it.ID]; !dup {
				q.byOption[it.ID] = it
			}
		}
	}
}

// questionRefPattern finds {id} in a question's wording.
var questionRefPattern = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)

// questionRefs returns the ids named as {id} in q's text and hint, in
// every language, each once, in order; {item} in a matrix is its row.
func questionRefs(q *Question) []string {
	var out []string
	for _, t := range []Text{q.Text, q.Hint} {
		langs := slices.Sorted(maps.Keys(t))
		for _, l := range langs {
			for _, m := range questionRefPattern.FindAllStringSubmatch(t[l], -1) {
				if (m[1] == "item" && q.Kind == KindMatrix) || slices.Contains(out, m[1]) {
					continue
				}
				out = append(out, m[1])
			}
		}
	}
	return out
}

// choices returns the options of a single or multi question, or of one
// matrix row over its full column list, in display order: catalogue items
// first, then the question's own options. Other… is not included.
func (d *Definition) choices(q *Question) []*Item {
	if q.byOption != nil {
		return q.options
	}
	return d.buildChoices(q)
}

func (d *Definition) buildChoices(q *Question) []*Item {
	var items []*Item
	switch q.Kind {
	case KindMatrix:
		if c := d.Catalogue(q.Columns); c != nil {
			items = append(items, c.Items...)
		}
	case KindSingle, KindMulti:
		if q.OptionsFrom != "" {
			items = append(items, d.sourceItems(q)...)
		} else if c := d.Catalogue(q.From); c != nil {
			items = append(items, c.Items...)
		}
	}
	return append(items, q.Options...)
}

// sourceItems are the items an options_from question can offer: every
// item that can be picked in its source question (the column items of a
// matrix; the choices of a multi question that are not exclusive).
func (d *Definition) sourceItems(q *Question) []*Item {
	if q.source != nil {
		return q.source
	}
	return d.buildSource(q)
}

func (d *Definition) buildSource(q *Question) []*Item {
	src := d.Question(q.OptionsFrom)
	if src == nil || src == q || src.OptionsFrom != "" {
		return nil
	}
	switch src.Kind {
	case KindMatrix:
		if c := d.Catalogue(src.Columns); c != nil {
			return c.Items
		}
	case KindMulti:
		var out []*Item
		for _, it := range d.buildChoices(src) {
			if !it.Exclusive {
				out = append(out, it)
			}
		}
		return out
	}
	return nil
}

// Choices returns every option question q can offer, in display order:
// what choices returns, for an options_from question every item its source
// can offer, then its own options. Other… is not included.
func (d *Definition) Choices(q *Question) []*Item { return slices.Clone(d.choices(q)) }

// option returns the option with the given id of question q, or nil.
func (d *Definition) option(q *Question, id string) *Item {
	if q.byOption != nil {
		return q.byOption[id]
	}
	for _, it := range d.buildChoices(q) {
		if it.ID == id {
			return it
		}
	}
	return nil
}

// rowItem returns the item a matrix row is about: an option of the Rows question.
func (d *Definition) rowItem(q *Question, id string) *Item {
	rows := d.Question(q.Rows)
	if rows == nil {
		return nil
	}
	return d.option(rows, id)
}

// Label returns the label of an option of question q in lang, "Other…"
// text for OtherID, or the id itself when the option is unknown (an answer
// from an older version of the survey).
func (d *Definition) Label(q *Question, id, lang string) string {
	if id == OtherID {
		return d.Msg(lang, "other")
	}
	if it := d.option(q, id); it != nil {
		return it.Label.In(lang, d.DefaultLanguage)
	}
	return id
}

// Text returns t in lang, falling back to the default language.
func (d *Definition) Text(t Text, lang string) string {
	return t.In(lang, d.DefaultLanguage)
}

// HasLanguage reports whether the survey speaks lang.
func (d *Definition) HasLanguage(lang string) bool {
	for _, l := range d.Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// PickLanguage chooses the survey language for an IETF tag such as
// "es-419" or "en": the tag itself, its primary subtag, or the default.
func (d *Definition) PickLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if d.HasLanguage(tag) {
		return tag
	}
	if i := strings.IndexAny(tag, "-_"); i > 0 && d.HasLanguage(tag[:i]) {
		return tag[:i]
	}
	return d.DefaultLanguage
}

// SetEarlier records earlier versions of the same survey, each already
// validated: same id, lower version numbers, each version once.
func (d *Definition) SetEarlier(earlier ...*Definition) error {
	seen := map[int]bool{d.Version: true}
	for _, e := range earlier {
		switch {
		case e == nil || e.byQuestion == nil:
			return ErrNotReady
		case e.ID != d.ID:
			return fmt.Errorf("earlier version of %s: it is survey %q", d, e.ID)
		case e.Version >= d.Version:
			return fmt.Errorf("earlier version of %s: version %d is not earlier", d, e.Version)
		case seen[e.Version]:
			return fmt.Errorf("earlier version of %s: version %d given twice", d, e.Version)
		}
		seen[e.Version] = true
	}
	d.Earlier = slices.Clone(earlier)
	slices.SortFunc(d.Earlier, func(a, b *Definition) int { return a.Version - b.Version })
	return nil
}

// For returns the definition a session runs under. A session that began
// under an earlier version which is at hand (see Earlier), and has
// answers, finishes under that version, so that its answers all belong to
// one questionnaire; a new or withdrawn session, one with no answer yet,
// and one whose version is not at hand run under d. Step, Summary, AskAt and SortedAnswers choose
// this way themselves.
func (d *Definition) For(s *Session) *Definition {
	if s == nil || s.Version == d.Version || s.Version == 0 || len(s.Answers) == 0 {
		return d
	}
	switch s.Status {
	case StatusNew, StatusWithdrawn:
		return d
	}
	for _, e := range d.Earlier {
		if e.Version == s.Version {
			return e
		}
	}
	return d
}

// Versions returns the earlier versions and d, oldest first.
func (d *Definition) Versions() []*Definition {
	return append(slices.Clone(d.Earlier), d)
}

// String names the survey for logs and headers: "toolmap-default v1".
func (d *Definition) String() string {
	return fmt.Sprintf("%s v%d", d.ID, d.Version)
}
