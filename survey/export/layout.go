package export

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"toolmap/survey"
)

// ErrNotInCodebook means a response has an answer the wide layout has no
// column for: the codebook was not given Observe for it.
var ErrNotInCodebook = errors.New("answer not in the codebook")

// Response is one respondent's response as exports see it: a pseudonym
// (see Pseudonym), never the Telegram id, and the stored session, complete
// or not.
type Response struct {
	Respondent string
	Session    survey.Session
	// ReferredBy is the pseudonym of the respondent whose personal link
	// this one started from; "" if none.
	ReferredBy string
}

// Options configure the encoders. A nil *Options means the defaults.
type Options struct {
	// FreeText includes what respondents typed: text answers and the text
	// given with Other…. Off by default: exports then carry only codes and
	// numbers, and the free-text columns are left out.
	FreeText bool
	// Now is when the export is made, written in the README, the data
	// package and as the time of ZIP entries. Zero leaves it out.
	Now time.Time
	// Licence is the licence the data are shared under, stated in the
	// data package (its licenses field) and the README: an SPDX-style
	// name such as "CC-BY-4.0", or a URL. Empty: no licence is stated.
	Licence string
	// Spool returns storage for a part of an export that has to wait its
	// turn: each sheet of an XLSX file, each file of a ZIP. Each is written
	// once, read back from its start once, then closed. Parts are stored
	// compressed. Nil keeps them in memory; give temporary files for large
	// exports, so that memory stays constant.
	Spool func() (Spool, error)
}

func (o *Options) orDefault() Options {
	if o == nil {
		return Options{}
	}
	return *o
}

// Kinds of column, as in a Frictionless Table Schema.
const (
	kindString   = "string"
	kindInteger  = "integer"
	kindNumber   = "number"
	kindDatetime = "datetime"
)

type column struct {
	Name, Kind, Desc string
}

func (c column) numeric() bool { return c.Kind == kindInteger || c.Kind == kindNumber }

func names(cols []column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

// neutraliseRow neutralises the text cells of a row in place; number cells
// are left alone.
func neutraliseRow(cols []column, row []string) {
	for i, c := range cols {
		if !c.numeric() {
			row[i] = Neutralise(row[i])
		}
	}
}

// commonColumns start every row of the long and wide layouts.
var commonColumns = []column{
	{"respondent", kindString, "pseudonymous respondent id: HMAC-SHA256 of the Telegram id under the study key, 16 hex digits; the same in every export made with the same key"},
	{"survey", kindString, "survey id"},
	{"survey_version", kindInteger, "the survey version the session last ran under"},
	{"language", kindString, "the language the respondent answered in"},
	{"status", kindString, "completed, or active for a session not finished (exported only with include-partial)"},
	{"source", kindString, "the deep-link payload the respondent started from, if any"},
	{"started_at", kindDatetime, "when the session started (UTC, ISO 8601)"},
	{"completed_at", kindDatetime, "when the survey was first completed (UTC, ISO 8601); empty if not finished"},
	{"duration_s", kindInteger, "seconds from started_at to completed_at (for a session not finished, to its last step)"},
	{"referred_by", kindString, "the pseudonymous id of the respondent whose personal link this respondent started from (source r-…); empty if none, or if that respondent deleted their data"},
}

const nCommon = 10

// longColumns follow the common columns in the long layout.
func longColumns(freeText bool) []column {
	cols := []column{
		{"question", kindString, "question id (see the codebook)"},
		{"item", kindString, "for a matrix question: the row item, e.g. the activity id; empty otherwise"},
		{"item_label", kindString, "the row item's label in the survey's default language"},
		{"option", kindString, "the option picked, e.g. the tool id; one row per option picked; empty for number, text and skipped answers"},
		{"option_label", kindString, "the option's label in the survey's default language"},
		{"number", kindNumber, "a number question's answer"},
	}
	if freeText {
		cols = append(cols, column{"text", kindString, "a text question's answer, or the text typed with option other (Other…); cells that began with = + - @ tab or CR start with an added '"})
	}
	return append(cols,
		column{"skipped", kindInteger, "1 if an optional question was skipped, 0 otherwise"},
		column{"answer_version", kindInteger, "the survey version the answer was given under"},
		column{"answered_at", kindDatetime, "when the answer was given (UTC, ISO 8601)"},
	)
}

// wideQ places one question's answers (or one matrix row's) in the wide layout.
type wideQ struct {
	value     int               // the answer: option id, ;-joined ids, number or text; -1 for none
	optStart  int               // first 0/1 column; -1 for none
	optEnd    int               // after the last 0/1 column
	otherText int               // the Other… text; -1 for none
	rows      map[string]*wideQ // matrix rows
}

// layout is what the encoders share: the columns of each table and the
// way from an answer to its cells.
type layout struct {
	cb       *Codebook
	opts     Options
	lang     string
	long     []column
	wide     []column
	wideQ    map[string]*wideQ
	optIndex map[string]map[string]int // question → option → offset among its 0/1 columns
	qOrder   map[string]int
	rowOrder map[string]map[string]int
	ranks    []rankedAnswer // scratch for sorted
	// enums are the codes a coded column can hold (besides empty), by
	// "long.NAME" or "wide.NAME"; see codeLists.
	enums map[string][]string
}

func newLayout(cb *Codebook, opts Options) *layout {
	cb.index()
	l := &layout{
		cb: cb, opts: opts, lang: cb.DefaultLanguage,
		wideQ:    map[string]*wideQ{},
		optIndex: map[string]map[string]int{},
		qOrder:   map[string]int{},
		rowOrder: map[string]map[string]int{},
	}
	l.long = append(slices.Clone(commonColumns), longColumns(opts.FreeText)...)
	l.enums = codeLists(cb)
	l.wide = append(slices.Clone(commonColumns),
		column{"last_active_at", kindDatetime, "the respondent's last step (UTC, ISO 8601)"},
		column{"consent_version", kindInteger, "the version of the consent notice the respondent agreed to"},
		column{"skipped", kindString, "the optional questions skipped, ;-separated (matrix rows as question/item)"},
	)
	add := func(name, kind, desc string) int {
		l.wide = append(l.wide, column{name, kind, desc})
		return len(l.wide) - 1
	}
	for i, q := range cb.Questions {
		q.index() // from here on, encoding only reads the codebook
		l.qOrder[q.ID] = i
		label := q.Label.In(l.lang, l.lang)
		opts := map[string]int{}
		for j, o := range q.Options {
			opts[o.ID] = j
		}
		l.optIndex[q.ID] = opts
		otherText := func(prefix, what string) int {
			if !q.Other || !l.opts.FreeText {
				return -1
			}
			return add(prefix+".other_text", kindString, "the names typed with Other… for "+what+", separated by “; ”")
		}
		picks := func(prefix, what string) *wideQ {
			w := &wideQ{otherText: -1}
			w.value = add(prefix, kindString, "the options picked for "+what+", ;-separated, in display order; empty if not answered")
			w.optStart = len(l.wide)
			for _, o := range q.Options {
				add(prefix+"."+o.ID, kindInteger, fmt.Sprintf("1 if %q was picked for %s, 0 if not; empty if not answered", o.Label.In(l.lang, l.lang), what))
			}
			w.optEnd = len(l.wide)
			w.otherText = otherText(prefix, what)
			return w
		}
		what := fmt.Sprintf("%s (%q)", q.ID, label)
		switch q.Kind {
		case survey.KindSingle:
			w := &wideQ{optStart: -1, otherText: -1}
			w.value = add(q.ID, kindString, "the option picked for "+what)
			l.enums["wide."+q.ID] = optionIDs(q)
			w.otherText = otherText(q.ID, what)
			l.wideQ[q.ID] = w
		case survey.KindNumber:
			l.wideQ[q.ID] = &wideQ{value: add(q.ID, kindNumber, "the number given for "+what), optStart: -1, otherText: -1}
		case survey.KindText:
			w := &wideQ{value: -1, optStart: -1, otherText: -1}
			if l.opts.FreeText {
				w.value = add(q.ID, kindString, "the text given for "+what)
			}
			l.wideQ[q.ID] = w
		case survey.KindMatrix:
			w := &wideQ{value: -1, optStart: -1, otherText: -1, rows: map[string]*wideQ{}}
			rows := map[string]int{}
			for j, r := range q.RowItems {
				rows[r.ID] = j
				w.rows[r.ID] = picks(q.ID+"."+r.ID, fmt.Sprintf("%s, row %s (%q)", what, r.ID, r.Label.In(l.lang, l.lang)))
			}
			l.rowOrder[q.ID] = rows
			l.wideQ[q.ID] = w
		default: // multi, and questions only seen in answers
			l.wideQ[q.ID] = picks(q.ID, what)
		}
	}
	return l
}

// optionIDs are the codes a single question's column can hold.
func optionIDs(q *QuestionEntry) []string {
	out := make([]string, 0, len(q.Options))
	for _, o := range q.Options {
		out = append(out, o.ID)
	}
	return out
}

// codeLists returns the codes the common and long columns can hold: the
// surveys, statuses and languages, and in the long table the question,
// item and option ids of the codebook. The wide table's single questions
// are added as their columns are made.
func codeLists(cb *Codebook) map[string][]string {
	var surveys, questions, items, options []string
	for _, s := range cb.Surveys {
		surveys = append(surveys, s.ID)
	}
	seenItem, seenOpt := map[string]bool{}, map[string]bool{}
	for _, q := range cb.Questions {
		questions = append(questions, q.ID)
		for _, o := range q.RowItems {
			if !seenItem[o.ID] {
				seenItem[o.ID] = true
				items = append(items, o.ID)
			}
		}
		for _, o := range q.Options {
			if !seenOpt[o.ID] {
				seenOpt[o.ID] = true
				options = append(options, o.ID)
			}
		}
	}
	out := map[string][]string{}
	for _, table := range []string{"long", "wide"} {
		out[table+".survey"] = surveys
		out[table+".status"] = []string{string(survey.StatusCompleted), string(survey.StatusActive)}
		out[table+".language"] = slices.Clone(cb.Languages)
	}
	out["long.question"], out["long.item"], out["long.option"] = questions, items, options
	out["codebook.kind"] = []string{"survey", "question", "option", "column", "row", "shortlist"}
	out["codebook.question_kind"] = []string{string(survey.KindSingle), string(survey.KindMulti), string(survey.KindText),
		string(survey.KindNumber), string(survey.KindMatrix)}
	return out
}

// sorted returns the session's answers in codebook order: questions in
// order, matrix rows in the order of their items, unknown ones last.
func (l *layout) sorted(s *survey.Session, buf []survey.Answer) []survey.Answer {
	rs := l.ranks[:0]
	for k, a := range s.Answers {
		qi, ok := l.qOrder[a.Question]
		if !ok {
			qi = len(l.qOrder)
		}
		ri := -1
		if a.Item != "" {
			ri = 1 << 30
			if r, ok := l.rowOrder[a.Question][a.Item]; ok {
				ri = r
			}
		}
		rs = append(rs, rankedAnswer{q: qi, r: ri, key: k})
	}
	slices.SortFunc(rs, func(a, b rankedAnswer) int {
		if a.q != b.q {
			return a.q - b.q
		}
		if a.r != b.r {
			return a.r - b.r
		}
		return strings.Compare(a.key, b.key)
	})
	buf = buf[:0]
	for _, r := range rs {
		buf = append(buf, s.Answers[r.key])
	}
	clear(rs) // let the keys go
	l.ranks = rs
	return buf
}

// rankedAnswer is an answer's place in codebook order, and its key.
type rankedAnswer struct {
	q, r int
	key  string
}

const isoSeconds = "2006-01-02T15:04:05Z"

// timeCell formats a time as UTC to the second (isoSeconds), or "" for
// the zero time. It writes the digits itself: Format is the slowest step
// of a long export otherwise.
func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 {
		return t.Format(isoSeconds)
	}
	var b [20]byte
	two := func(i, v int) { b[i], b[i+1] = byte('0'+v/10), byte('0'+v%10) }
	two(0, y/100)
	two(2, y%100)
	b[4] = '-'
	two(5, int(mo))
	b[7] = '-'
	two(8, d)
	b[10] = 'T'
	two(11, h)
	b[13] = ':'
	two(14, mi)
	b[16] = ':'
	two(17, sec)
	b[19] = 'Z'
	return string(b[:])
}

func numberCell(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// common fills the common cells of a response.
func (l *layout) common(r *Response, row []string) {
	s := &r.Session
	end := s.CompletedAt
	if end.IsZero() {
		end = s.UpdatedAt
	}
	dur := ""
	if !s.StartedAt.IsZero() && !end.IsZero() && !end.Before(s.StartedAt) {
		dur = strconv.FormatInt(int64(end.Sub(s.StartedAt)/time.Second), 10)
	}
	row[0] = r.Respondent
	row[1] = s.SurveyID
	row[2] = strconv.Itoa(s.Version)
	row[3] = s.Language
	row[4] = string(s.Status)
	row[5] = s.Source
	row[6] = timeCell(s.StartedAt)
	row[7] = timeCell(s.CompletedAt)
	row[8] = dur
	row[9] = r.ReferredBy
}

// label returns the label of an option of question q, in the default language.
func (l *layout) label(q *QuestionEntry, id string, row bool) string {
	if q == nil {
		return ""
	}
	var o *OptionEntry
	if row {
		o = q.Row(id)
	} else {
		o = q.Option(id)
	}
	if o == nil {
		return ""
	}
	return o.Label.In(l.lang, l.lang)
}

// longRows calls emit for each row of the long layout of a response. The
// row passed is reused between calls.
func (l *layout) longRows(r *Response, answers []survey.Answer, row []string, emit func([]string) error) error {
	l.common(r, row[:nCommon])
	free := l.opts.FreeText
	off := nCommon
	iQ, iItem, iItemLabel, iOpt, iOptLabel, iNum := off, off+1, off+2, off+3, off+4, off+5
	iText := -1
	next := off + 6
	if free {
		iText, next = next, next+1
	}
	iSkip, iVer, iAt := next, next+1, next+2
	for _, a := range answers {
		q := l.cb.Question(a.Question)
		for i := off; i < len(row); i++ {
			row[i] = ""
		}
		row[iQ] = a.Question
		row[iItem] = a.Item
		if a.Item != "" {
			row[iItemLabel] = l.label(q, a.Item, true)
		}
		row[iSkip] = bit(a.Skipped)
		row[iVer] = strconv.Itoa(a.Version)
		row[iAt] = timeCell(a.At)
		switch {
		case a.Skipped:
			if err := emit(row); err != nil {
				return err
			}
		case a.Number != nil:
			row[iNum] = numberCell(*a.Number)
			if err := emit(row); err != nil {
				return err
			}
		case len(a.Values) == 0:
			if a.Text == "" && a.Other == "" {
				continue // an empty multi-select cannot be given; nothing to show
			}
			if !free {
				continue // a text answer: only with free text
			}
			row[iText] = a.Text
			if err := emit(row); err != nil {
				return err
			}
		default:
			for _, v := range a.Values {
				row[iOpt] = v
				row[iOptLabel] = l.label(q, v, false)
				if free {
					row[iText] = ""
				}
				if names := a.OtherNames(); v == survey.OtherID && len(names) > 0 {
					for _, n := range names { // a row for each name typed
						if free {
							row[iText] = n
						}
						if err := emit(row); err != nil {
							return err
						}
					}
					continue
				}
				if err := emit(row); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// wideRow fills row with the wide layout of a response.
func (l *layout) wideRow(r *Response, answers []survey.Answer, row []string) error {
	clear(row)
	l.common(r, row[:nCommon])
	row[nCommon] = timeCell(r.Session.UpdatedAt)
	if c := r.Session.Consent; c != nil {
		row[nCommon+1] = strconv.Itoa(c.Version)
	}
	var skipped []string
	for _, a := range answers {
		w, ok := l.wideQ[a.Question]
		if !ok {
			return fmt.Errorf("question %s: %w", a.Question, ErrNotInCodebook)
		}
		if a.Item != "" {
			if w, ok = w.rows[a.Item]; !ok {
				return fmt.Errorf("question %s, row %s: %w", a.Question, a.Item, ErrNotInCodebook)
			}
		}
		if a.Skipped {
			skipped = append(skipped, a.Key())
			continue
		}
		switch {
		case a.Number != nil:
			if w.value >= 0 {
				row[w.value] = numberCell(*a.Number)
			}
		case len(a.Values) == 0:
			if w.value >= 0 {
				row[w.value] = a.Text
			}
		default:
			if w.value >= 0 {
				row[w.value] = strings.Join(a.Values, ";")
			}
			if w.optStart >= 0 {
				for i := w.optStart; i < w.optEnd; i++ {
					row[i] = "0"
				}
				idx := l.optIndex[a.Question]
				for _, v := range a.Values {
					j, ok := idx[v]
					if !ok {
						return fmt.Errorf("question %s, option %s: %w", a.Question, v, ErrNotInCodebook)
					}
					row[w.optStart+j] = "1"
				}
			}
			if w.otherText >= 0 && a.Has(survey.OtherID) {
				row[w.otherText] = strings.Join(a.OtherNames(), "; ")
			}
		}
	}
	row[nCommon+2] = strings.Join(skipped, ";")
	return nil
}
