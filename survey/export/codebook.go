package export

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"

	"toolmap/survey"
)

// Codebook describes every survey, question, option, matrix row and column
// an export can contain: ids, labels in every language, and the survey
// versions each appears in. It also fixes the columns of the wide layout,
// one set for every export made from it, whatever versions the responses
// were given under.
//
// Build it from every definition at hand ([NewCodebook], [Codebook.Merge])
// and then, since an old version's definition may be lost, [Codebook.Observe]
// every response to be exported: an id found only in answers gets an entry
// (InDefinition false, Versions from the answers), so a question removed
// from the current definition keeps its column. Do not change a codebook
// after an encoder has been made from it.
type Codebook struct {
	Surveys         []*SurveyEntry   `json:"surveys"`
	DefaultLanguage string           `json:"default_language"`
	Languages       []string         `json:"languages"`
	Questions       []*QuestionEntry `json:"questions"`

	byQuestion map[string]*QuestionEntry
}

// SurveyEntry is one survey of a codebook.
type SurveyEntry struct {
	ID       string      `json:"id"`
	Title    survey.Text `json:"title,omitempty"`
	Versions []int       `json:"versions"`
}

// QuestionEntry is one question of a codebook.
type QuestionEntry struct {
	ID       string      `json:"id"`
	Kind     survey.Kind `json:"kind"`
	Label    survey.Text `json:"label,omitempty"` // the short name
	Text     survey.Text `json:"text,omitempty"`
	Optional bool        `json:"optional,omitempty"`
	// Catalogue is the catalogue the options come from (single and multi)
	// or the columns' catalogue (matrix).
	Catalogue string `json:"catalogue,omitempty"`
	// Rows is, for a matrix, the question whose picks make its rows.
	Rows string `json:"rows,omitempty"`
	// OptionsFrom is, for a question offering what was picked in an
	// earlier one, that question.
	OptionsFrom string `json:"options_from,omitempty"`
	Other       bool   `json:"other,omitempty"` // offers Other… with free text
	// Versions lists the survey versions the question is in: those of the
	// definitions at hand, and those its answers were given under.
	Versions     []int `json:"versions"`
	InDefinition bool  `json:"in_definition"`
	// Options are the choices of a single or multi question, or the
	// columns of a matrix, in display order; Other… last, as "other".
	Options []*OptionEntry `json:"options,omitempty"`
	// RowItems are the rows of a matrix: the rows question's choices that
	// make a row.
	RowItems []*OptionEntry `json:"row_items,omitempty"`
	// Shortlists say, for each row of a matrix and each survey version,
	// which columns the row showed first and which only behind More…, so
	// that analysts can allow for the advantage of the first screen.
	Shortlists []*ShortlistEntry `json:"shortlists,omitempty"`

	byOption, byRow map[string]*OptionEntry
}

// ShortlistEntry is how one matrix row showed its columns under some
// survey versions: First on its first screen, in button order (its
// shortlist, or for a row without one the first page of the whole list),
// More only behind More… or on a later page.
type ShortlistEntry struct {
	Row      string   `json:"row"`
	Versions []int    `json:"versions"`
	First    []string `json:"first"`
	More     []string `json:"more,omitempty"`
	// EarlierPicks is set when the first screen also showed, after First,
	// the columns the respondent had ticked for the rows before this one
	// (the matrix's show_earlier_picks): those were one tap away too.
	EarlierPicks bool `json:"earlier_picks_first,omitempty"`
}

// OptionEntry is one option (an activity, a tool, a question's own option,
// or Other…) of a codebook question.
type OptionEntry struct {
	ID           string      `json:"id"`
	Label        survey.Text `json:"label,omitempty"`
	Description  survey.Text `json:"description,omitempty"`
	Catalogue    string      `json:"catalogue,omitempty"`
	Set          string      `json:"set,omitempty"` // the catalogue's version tag, e.g. v1-default
	Exclusive    bool        `json:"exclusive,omitempty"`
	Versions     []int       `json:"versions"`
	InDefinition bool        `json:"in_definition"`
}

// NewCodebook returns the codebook of the definitions, merged in the order
// given (see Merge).
func NewCodebook(defs ...*survey.Definition) *Codebook {
	cb := &Codebook{}
	for _, d := range defs {
		for _, v := range d.Versions() { // its earlier versions first
			cb.Merge(fromDefinition(v))
		}
	}
	return cb
}

// Question returns the entry of question id, or nil.
func (cb *Codebook) Question(id string) *QuestionEntry {
	cb.index()
	return cb.byQuestion[id]
}

// Option returns the option id of the question, or nil.
func (q *QuestionEntry) Option(id string) *OptionEntry {
	q.index()
	return q.byOption[id]
}

// Row returns the matrix row item id, or nil.
func (q *QuestionEntry) Row(id string) *OptionEntry {
	q.index()
	return q.byRow[id]
}

func (cb *Codebook) index() {
	if cb.byQuestion != nil && len(cb.byQuestion) == len(cb.Questions) {
		return
	}
	cb.byQuestion = make(map[string]*QuestionEntry, len(cb.Questions))
	for _, q := range cb.Questions {
		cb.byQuestion[q.ID] = q
	}
}

func (q *QuestionEntry) index() {
	if q.byOption == nil || len(q.byOption) != len(q.Options) {
		q.byOption = make(map[string]*OptionEntry, len(q.Options))
		for _, o := range q.Options {
			q.byOption[o.ID] = o
		}
	}
	if q.byRow == nil || len(q.byRow) != len(q.RowItems) {
		q.byRow = make(map[string]*OptionEntry, len(q.RowItems))
		for _, o := range q.RowItems {
			q.byRow[o.ID] = o
		}
	}
}

// fromDefinition builds the codebook of one definition.
func fromDefinition(d *survey.Definition) *Codebook {
	v := []int{d.Version}
	cb := &Codebook{
		Surveys:         []*SurveyEntry{{ID: d.ID, Title: d.Title, Versions: v}},
		DefaultLanguage: d.DefaultLanguage,
		Languages:       slices.Clone(d.Languages),
	}
	other := survey.Text{}
	for _, l := range d.Languages {
		other[l] = d.Msg(l, survey.OtherID)
	}
	options := func(all, own []*survey.Item, withOther bool) []*OptionEntry {
		var out []*OptionEntry
		for _, it := range all {
			cat, set := "", ""
			if !slices.Contains(own, it) {
				for _, c := range d.Catalogues {
					if c.Item(it.ID) == it {
						cat, set = c.ID, c.Set
					}
				}
			}
			out = append(out, &OptionEntry{
				ID: it.ID, Label: it.Label, Description: it.Description, Catalogue: cat, Set: set,
				Exclusive: it.Exclusive, Versions: v, InDefinition: true,
			})
		}
		if withOther {
			out = append(out, &OptionEntry{ID: survey.OtherID, Label: other, Versions: v, InDefinition: true})
		}
		return out
	}
	items := func(catalogue string, own []*survey.Item, withOther, rows bool) []*OptionEntry {
		var out []*OptionEntry
		add := func(it *survey.Item, cat, set string) {
			if rows && it.Exclusive {
				return // an exclusive pick ("none of these") makes no row
			}
			out = append(out, &OptionEntry{
				ID: it.ID, Label: it.Label, Description: it.Description, Catalogue: cat, Set: set,
				Exclusive: it.Exclusive, Versions: v, InDefinition: true,
			})
		}
		if c := d.Catalogue(catalogue); c != nil {
			for _, it := range c.Items {
				add(it, c.ID, c.Set)
			}
		}
		for _, it := range own {
			add(it, "", "")
		}
		if withOther {
			out = append(out, &OptionEntry{ID: survey.OtherID, Label: other, Versions: v, InDefinition: true})
		}
		return out
	}
	for _, q := range d.Questions {
		e := &QuestionEntry{
			ID: q.ID, Kind: q.Kind, Label: q.Short, Text: q.Text, Optional: q.Optional, Other: q.Other,
			Versions: v, InDefinition: true,
		}
		if len(e.Label) == 0 {
			e.Label = q.Text
		}
		switch {
		case q.OptionsFrom != "":
			// What the source can offer: its catalogue's items (or its
			// own options), and a name typed there under Other….
			e.OptionsFrom = q.OptionsFrom
			src := d.Question(q.OptionsFrom)
			if src != nil {
				e.Catalogue = src.From
				if src.Kind == survey.KindMatrix {
					e.Catalogue = src.Columns
				}
				e.Other = src.Other
			}
			e.Options = options(d.Choices(q), q.Options, e.Other)
		case q.Kind == survey.KindSingle || q.Kind == survey.KindMulti:
			e.Catalogue = q.From
			e.Options = items(q.From, q.Options, q.Other, false)
		case q.Kind == survey.KindMatrix:
			e.Catalogue, e.Rows = q.Columns, q.Rows
			e.Options = items(q.Columns, q.Options, q.Other, false)
			if rq := d.Question(q.Rows); rq != nil {
				e.RowItems = items(rq.From, rq.Options, rq.Other, true)
			}
			e.Shortlists = shortlists(d, q, e.RowItems)
		}
		cb.Questions = append(cb.Questions, e)
	}
	return cb
}

// shortlists says how each row of matrix q showed its columns.
func shortlists(d *survey.Definition, q *survey.Question, rows []*OptionEntry) []*ShortlistEntry {
	cols := d.Catalogue(q.Columns)
	if cols == nil {
		return nil
	}
	var out []*ShortlistEntry
	for _, row := range rows {
		e := &ShortlistEntry{Row: row.ID, Versions: []int{d.Version}, EarlierPicks: q.ShowEarlierPicks}
		first, ok := q.Shortlist[row.ID]
		if !ok || len(first) >= len(cols.Items) {
			first = nil
			for i, it := range cols.Items {
				if i < survey.PageSize {
					first = append(first, it.ID)
				}
			}
		}
		e.First = slices.Clone(first)
		for _, it := range cols.Items {
			if !slices.Contains(first, it.ID) {
				e.More = append(e.More, it.ID)
			}
		}
		out = append(out, e)
	}
	return out
}

// Merge adds other's entries to cb: new surveys, languages, questions and
// options are appended in other's order; an entry in both gets the union
// of the versions, is InDefinition if either is, and takes the labels of
// whichever lists the later version. A definition's entry replaces the
// guesses made for one that was only observed in answers.
func (cb *Codebook) Merge(other *Codebook) {
	cb.index()
	if cb.DefaultLanguage == "" {
		cb.DefaultLanguage = other.DefaultLanguage
	}
	for _, l := range other.Languages {
		if !slices.Contains(cb.Languages, l) {
			cb.Languages = append(cb.Languages, l)
		}
	}
	for _, s := range other.Surveys {
		i := slices.IndexFunc(cb.Surveys, func(e *SurveyEntry) bool { return e.ID == s.ID })
		if i < 0 {
			cb.Surveys = append(cb.Surveys, &SurveyEntry{ID: s.ID, Title: s.Title, Versions: slices.Clone(s.Versions)})
			continue
		}
		e := cb.Surveys[i]
		if later(s.Versions, e.Versions) && len(s.Title) > 0 {
			e.Title = s.Title
		}
		e.Versions = union(e.Versions, s.Versions)
	}
	for _, q := range other.Questions {
		e, ok := cb.byQuestion[q.ID]
		if !ok {
			e = &QuestionEntry{ID: q.ID}
			cb.Questions = append(cb.Questions, e)
			cb.byQuestion[q.ID] = e
		}
		e.merge(q)
	}
}

func (e *QuestionEntry) merge(q *QuestionEntry) {
	newer := e.Kind == "" || (q.InDefinition && !e.InDefinition) ||
		(q.InDefinition == e.InDefinition && later(q.Versions, e.Versions))
	if newer {
		e.Kind, e.Optional, e.Catalogue, e.Rows, e.OptionsFrom = q.Kind, q.Optional, q.Catalogue, q.Rows, q.OptionsFrom
		if len(q.Label) > 0 {
			e.Label = q.Label
		}
		if len(q.Text) > 0 {
			e.Text = q.Text
		}
	}
	e.Other = e.Other || q.Other
	e.InDefinition = e.InDefinition || q.InDefinition
	e.Versions = union(e.Versions, q.Versions)
	e.index()
	e.Options = mergeOptions(e.Options, e.byOption, q.Options)
	e.RowItems = mergeOptions(e.RowItems, e.byRow, q.RowItems)
	e.byOption, e.byRow = nil, nil
	for _, s := range q.Shortlists {
		i := slices.IndexFunc(e.Shortlists, func(h *ShortlistEntry) bool {
			return h.Row == s.Row && slices.Equal(h.First, s.First) && slices.Equal(h.More, s.More) && h.EarlierPicks == s.EarlierPicks
		})
		if i < 0 {
			c := *s
			c.Versions = slices.Clone(s.Versions)
			e.Shortlists = append(e.Shortlists, &c)
			continue
		}
		e.Shortlists[i].Versions = union(e.Shortlists[i].Versions, s.Versions)
	}
}

func mergeOptions(have []*OptionEntry, by map[string]*OptionEntry, add []*OptionEntry) []*OptionEntry {
	for _, o := range add {
		e, ok := by[o.ID]
		if !ok {
			c := *o
			c.Versions = slices.Clone(o.Versions)
			have = append(have, &c)
			by[o.ID] = &c
			continue
		}
		if (o.InDefinition && !e.InDefinition) || (o.InDefinition == e.InDefinition && later(o.Versions, e.Versions)) {
			if len(o.Label) > 0 {
				e.Label = o.Label
			}
			if len(o.Description) > 0 {
				e.Description = o.Description
			}
			e.Catalogue, e.Set, e.Exclusive = o.Catalogue, o.Set, o.Exclusive
		}
		e.InDefinition = e.InDefinition || o.InDefinition
		e.Versions = union(e.Versions, o.Versions)
	}
	return have
}

// Observe adds to the codebook every question, option and matrix row that
// the session's answers use and the codebook lacks, so that the wide
// layout has a column for each, and adds the versions the answers were
// given under to the versions of each entry they use. An unknown question is taken to be a
// matrix when its answers have rows, a number or a text question when they
// hold one, and otherwise a multi question (a single question's pick then
// shows as a multi-select of one).
func (cb *Codebook) Observe(s *survey.Session) {
	cb.index()
	for _, a := range s.Answers {
		q, ok := cb.byQuestion[a.Question]
		if !ok {
			q = &QuestionEntry{ID: a.Question, Kind: guessKind(a)}
			cb.Questions = append(cb.Questions, q)
			cb.byQuestion[q.ID] = q
		}
		// An answer given under a version shows the question was in it,
		// whether or not that version's definition is at hand.
		q.Versions = union(q.Versions, []int{a.Version})
		if !q.InDefinition && a.Other != "" {
			q.Other = true
		}
		q.index()
		if a.Item != "" {
			if o, ok := q.byRow[a.Item]; !ok {
				o = &OptionEntry{ID: a.Item, Versions: []int{a.Version}}
				q.RowItems = append(q.RowItems, o)
				q.byRow[a.Item] = o
			} else {
				o.Versions = union(o.Versions, []int{a.Version})
			}
		}
		for _, v := range a.Values {
			if o, ok := q.byOption[v]; !ok {
				o = &OptionEntry{ID: v, Versions: []int{a.Version}}
				q.Options = append(q.Options, o)
				q.byOption[v] = o
				if v == survey.OtherID {
					q.Other = true
				}
			} else {
				o.Versions = union(o.Versions, []int{a.Version})
			}
		}
	}
}

func guessKind(a survey.Answer) survey.Kind {
	switch {
	case a.Item != "":
		return survey.KindMatrix
	case a.Number != nil:
		return survey.KindNumber
	case a.Text != "":
		return survey.KindText
	}
	return survey.KindMulti
}

// later reports whether versions a reach beyond b.
func later(a, b []int) bool {
	return len(a) > 0 && (len(b) == 0 || slices.Max(a) >= slices.Max(b))
}

// union returns the sorted union of two version lists; a may be reused.
func union(a, b []int) []int {
	added := false
	for _, v := range b {
		if !slices.Contains(a, v) {
			a = append(a, v)
			added = true
		}
	}
	if added {
		slices.Sort(a)
	}
	return a
}

func versionList(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ";")
}

// WriteJSON writes the codebook as indented JSON.
func (cb *Codebook) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(cb)
}

// codebookColumns are the columns of the codebook table, before the
// label_LANG and text_LANG columns.
var codebookColumns = []column{
	{"kind", kindString, "survey, question, option (of a single or multi question), column or row (of a matrix), or shortlist (how a matrix row showed its columns, see shown_first)"},
	{"survey", kindString, "the survey id (survey rows only)"},
	{"question", kindString, "the question the option, column or row belongs to"},
	{"id", kindString, "the id used in the data: a survey, question, option, activity or tool id"},
	{"question_kind", kindString, "single, multi, text, number or matrix (question rows)"},
	{"catalogue", kindString, "the catalogue the item comes from, e.g. activities or tools"},
	{"set", kindString, "the catalogue's version tag, e.g. v1-default"},
	{"rows", kindString, "for a matrix question: the question whose picks make its rows"},
	{"options_from", kindString, "for a question offering what was picked in an earlier question (e.g. the hardest of the activities picked): that question; its options are every item the earlier question can offer"},
	{"exclusive", kindInteger, "1 if picking the option clears every other pick (e.g. None)"},
	{"optional", kindInteger, "1 if the question may be skipped"},
	{"in_definition", kindInteger, "1 if a survey definition has it; 0 if it was only found in answers (from a version whose definition was not given)"},
	{"versions", kindString, "the survey versions it appears in, ;-separated: those of the survey definitions at hand, and those its answers were given under"},
	{"shown_first", kindString, "shortlist rows only: the columns (tools) the matrix row (activity) showed on its first screen under these versions, ;-separated in button order"},
	{"behind_more", kindString, "shortlist rows only: the columns the row showed only behind More… (or on a later page), ;-separated in list order"},
	{"earlier_picks_first", kindInteger, "shortlist rows only: 1 if the row's first screen also showed, after shown_first, up to four columns the respondent had ticked most for the rows asked before it (so those were one tap away too, even if listed in behind_more); 0 if not"},
}

// table returns the codebook as a table: its columns and rows.
func (cb *Codebook) table() ([]column, [][]string) {
	cols := slices.Clone(codebookColumns)
	for _, l := range cb.Languages {
		cols = append(cols, column{"label_" + l, kindString, "label in " + l + " (a question's short name)"})
	}
	for _, l := range cb.Languages {
		cols = append(cols, column{"text_" + l, kindString, "longer text in " + l + " (a question's full text, an option's description)"})
	}
	var rows [][]string
	optionsFrom, first, more, earlier := "", "", "", ""
	row := func(kind, surveyID, q, id, qkind, cat, set, rowsQ string, excl, opt, def bool, versions []int, label, text survey.Text) {
		r := []string{kind, surveyID, q, id, qkind, cat, set, rowsQ, optionsFrom, bit(excl), bit(opt), bit(def), versionList(versions), first, more, earlier}
		for _, l := range cb.Languages {
			r = append(r, label[l])
		}
		for _, l := range cb.Languages {
			r = append(r, text[l])
		}
		rows = append(rows, r)
	}
	for _, s := range cb.Surveys {
		row("survey", s.ID, "", s.ID, "", "", "", "", false, false, true, s.Versions, s.Title, nil)
	}
	for _, q := range cb.Questions {
		optionsFrom = q.OptionsFrom
		row("question", "", "", q.ID, string(q.Kind), q.Catalogue, "", q.Rows, false, q.Optional, q.InDefinition, q.Versions, q.Label, q.Text)
		optionsFrom = ""
		kind := "option"
		if q.Kind == survey.KindMatrix {
			kind = "column"
		}
		for _, o := range q.Options {
			row(kind, "", q.ID, o.ID, "", o.Catalogue, o.Set, "", o.Exclusive, false, o.InDefinition, o.Versions, o.Label, o.Description)
		}
		for _, o := range q.RowItems {
			row("row", "", q.ID, o.ID, "", o.Catalogue, o.Set, "", o.Exclusive, false, o.InDefinition, o.Versions, o.Label, o.Description)
		}
		for _, s := range q.Shortlists {
			first, more, earlier = strings.Join(s.First, ";"), strings.Join(s.More, ";"), bit(s.EarlierPicks)
			row("shortlist", "", q.ID, s.Row, "", q.Catalogue, "", "", false, false, true, s.Versions, nil, nil)
			first, more, earlier = "", "", ""
		}
	}
	return cols, rows
}

// WriteCSV writes the codebook as CSV, one row per survey, question,
// option, matrix column and matrix row, with a label_LANG and a text_LANG
// column for each language.
func (cb *Codebook) WriteCSV(w io.Writer) error {
	cols, rows := cb.table()
	cw := csv.NewWriter(w)
	if err := cw.Write(names(cols)); err != nil {
		return err
	}
	for _, r := range rows {
		neutraliseRow(cols, r)
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
