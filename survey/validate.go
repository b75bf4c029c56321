package survey

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits that definitions are checked against.
const (
	// MaxLabelRunes is the longest button label: longer ones are cut off on
	// a phone, and two-column keyboards need less.
	MaxLabelRunes = 28
	// MaxTextUnits is the longest text, in UTF-16 code units as Telegram
	// counts them: its 4096 per message, less room for progress and hints.
	MaxTextUnits = 4000
	// DefaultMaxLength is the longest free-text answer when a text question
	// gives no max.
	DefaultMaxLength = 1000
	// MaxChoices is the most options one question may offer: long lists
	// are shown PageSize at a time, and more than ten pages is not a
	// question anyone can answer on a phone.
	MaxChoices = 10 * PageSize
	// MaxButtons is the most buttons one question's keyboard may have at
	// once. Telegram refuses keyboards of about 100 buttons (reports vary);
	// staying under it leaves room for Back, Skip and Done.
	MaxButtons = 90
)

var (
	surveyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
	langPattern     = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})?$`)
)

// Validate checks a definition built in Go and prepares it for use. Decode
// calls it for definitions read from a file. It reports every problem at
// once as a Problems error.
func Validate(def *Definition) error {
	ps := problems{file: def.File}
	validate(def, &ps)
	return ps.err()
}

func validate(def *Definition, ps *problems) {
	def.index()
	v := validator{def: def, ps: ps}
	v.top()
	for _, c := range def.Catalogues {
		v.catalogue(c)
	}
	for i, q := range def.Questions {
		v.question(i, q)
	}
}

type validator struct {
	def *Definition
	ps  *problems
}

func (v *validator) top() {
	def := v.def
	if def.ID != "" && !surveyIDPattern.MatchString(def.ID) {
		v.ps.add(Pos{Line: 1}, "survey", "id %q: use lowercase letters, digits, - and _, at most 32", def.ID)
	}
	if def.Version < 1 {
		v.ps.add(Pos{Line: 1}, "version", "must be 1 or more")
	}
	for _, l := range def.Languages {
		if !langPattern.MatchString(l) {
			v.ps.add(Pos{Line: 1}, "languages", "%q is not a language code such as en, es or pt-br", l)
		}
	}
	c := def.Consent
	if c.Version < 1 {
		v.ps.add(c.Pos, path("consent", "version"), "must be 1 or more; bump it whenever the notice changes")
	}
	v.text(c.Text, c.Pos, path("consent", "text"), true)
	v.label(c.Agree, c.Pos, path("consent", "agree"), true)
	v.label(c.Decline, c.Pos, path("consent", "decline"), true)
	v.text(def.Title, def.textPos["title"], "title", false)
	v.text(def.Intro, def.textPos["intro"], "intro", false)
	v.text(def.Thanks, def.textPos["thanks"], "thanks", true)
	for key, t := range def.Messages {
		v.text(t, def.textPos["messages"], path("messages", fmt.Sprintf("%q", key)), false)
		v.message(key, t, def.textPos["messages"])
	}
	if len(def.Questions) == 0 {
		v.ps.add(Pos{Line: 1}, "questions", "the survey has no questions")
	}
	seen := map[string]Pos{}
	for _, c := range def.Catalogues {
		where := fmt.Sprintf("catalogue %q", c.ID)
		v.id(c.ID, c.Pos, where, "catalogue")
		if p, dup := seen[c.ID]; dup && c.ID != "" {
			v.ps.add(c.Pos, where, "id %q is already used by the catalogue on line %d", c.ID, p.Line)
		}
		seen[c.ID] = c.Pos
	}
	seen = map[string]Pos{}
	for _, q := range def.Questions {
		where := fmt.Sprintf("question %q", q.ID)
		v.id(q.ID, q.Pos, where, "question")
		if p, dup := seen[q.ID]; dup && q.ID != "" {
			v.ps.add(q.Pos, where, "duplicate question id %q: it is already used on line %d", q.ID, p.Line)
		}
		seen[q.ID] = q.Pos
	}
}

func (v *validator) id(id string, pos Pos, where, what string) {
	switch {
	case id == "":
		v.ps.add(pos, where, "missing key %q: every %s needs a stable id", "id", what)
	case !validID(id):
		v.ps.add(pos, where, "id %q: use a lowercase letter, then lowercase letters, digits and _, at most %d", id, MaxIDLength)
	}
}

// text checks a text: present in the default language if required or if
// given in any language, and not too long for a message.
func (v *validator) text(t Text, pos Pos, where string, required bool) {
	def := v.def
	if t[def.DefaultLanguage] == "" && (required || len(t) > 0) {
		v.ps.add(pos, where, "missing text in the default language %q", def.DefaultLanguage)
	}
	for _, lang := range def.Languages {
		s, ok := t[lang]
		if !ok {
			continue
		}
		if n := len(utf16.Encode([]rune(s))); n > MaxTextUnits {
			v.ps.add(pos, where, "text in %q is %d characters; Telegram allows 4096 a message and toolmap keeps room for progress and hints: at most %d", lang, n, MaxTextUnits)
		}
	}
}

// label checks a button label.
func (v *validator) label(t Text, pos Pos, where string, required bool) {
	v.text(t, pos, where, required)
	for _, lang := range v.def.Languages {
		if s, ok := t[lang]; ok {
			if n := utf8.RuneCountInString(s); n > MaxLabelRunes {
				v.ps.add(pos, where, "label %q in %q is %d characters, too long for a button: at most %d (put detail in a description)", s, lang, n, MaxLabelRunes)
			}
			if strings.ContainsAny(s, "\n\r") {
				v.ps.add(pos, where, "label in %q has a line break: a button shows one line", lang)
			}
		}
	}
}

func (v *validator) item(it *Item, where string) {
	v.id(it.ID, it.Pos, where, "item")
	if it.ID == OtherID {
		v.ps.add(it.Pos, where, "id %q is reserved for Other…: set other: true on the question instead", OtherID)
	}
	v.label(it.Label, it.Pos, path(where, "label"), true)
	v.text(it.Description, it.Pos, path(where, "description"), false)
	for _, a := range it.Aliases {
		if strings.TrimSpace(a) == "" {
			v.ps.add(it.Pos, path(where, "aliases"), "empty alias")
		}
	}
}

func (v *validator) catalogue(c *Catalogue) {
	where := fmt.Sprintf("catalogue %q", c.ID)
	if len(c.Items) == 0 {
		v.ps.add(c.Pos, where, "the catalogue has no items")
	}
	seen := map[string]Pos{}
	for i, it := range c.Items {
		w := path(where, fmt.Sprintf("item %q", it.ID))
		if it.ID == "" {
			w = path(where, fmt.Sprintf("item %d", i+1))
		}
		v.item(it, w)
		if p, dup := seen[it.ID]; dup && it.ID != "" {
			v.ps.add(it.Pos, w, "duplicate id %q: it is already used on line %d", it.ID, p.Line)
		}
		seen[it.ID] = it.Pos
	}
}

// noun names what a catalogue holds: "tool" for "tools", "activity" for
// "activities", for messages such as `unknown tool "zoomm"`.
func noun(catalogue string) string {
	switch {
	case strings.HasSuffix(catalogue, "ies"):
		return strings.TrimSuffix(catalogue, "ies") + "y"
	case strings.HasSuffix(catalogue, "s") && len(catalogue) > 1:
		return strings.TrimSuffix(catalogue, "s")
	case catalogue == "":
		return "option"
	}
	return catalogue + " item"
}

func (v *validator) question(idx int, q *Question) {
	def := v.def
	where := fmt.Sprintf("question %q", q.ID)
	if q.ID == "" {
		where = fmt.Sprintf("question %d", idx+1)
	}
	v.text(q.Text, q.Pos, path(where, "text"), true)
	v.text(q.Hint, q.Pos, path(where, "hint"), false)
	v.text(q.Short, q.Pos, path(where, "short"), false)

	choice := q.Kind == KindSingle || q.Kind == KindMulti || q.Kind == KindMatrix
	switch q.Kind {
	case KindSingle, KindMulti, KindText, KindNumber, KindMatrix:
	case "":
		v.ps.add(q.Pos, where, "missing key %q: one of single, multi, text, number, matrix", "kind")
	default:
		v.ps.add(q.Pos, where, "unknown kind %q: use single, multi, text, number or matrix", q.Kind)
	}
	notFor := func(set bool, key string) {
		if set {
			v.ps.add(q.Pos, where, "%q does not apply to a %s question", key, q.Kind)
		}
	}
	if q.Kind != "" {
		notFor(!choice && (len(q.Options) > 0), "options")
		notFor(!choice && q.Other, "other")
		notFor(q.Kind != KindSingle && q.Kind != KindMulti && q.From != "", "from")
		notFor(q.Kind != KindSingle && q.Kind != KindMulti && q.OptionsFrom != "", "options_from")
		notFor(q.Kind != KindMatrix && q.Rows != "", "rows")
		notFor(q.Kind != KindMatrix && q.Columns != "", "columns")
		notFor(q.Kind != KindMatrix && len(q.Shortlist) > 0, "shortlist")
		notFor(q.Kind != KindMatrix && q.ShowEarlierPicks, "show_earlier_picks")
		notFor(q.Kind != KindNumber && q.Whole, "whole")
		notFor(q.Kind == KindSingle && (q.MinPicks > 0 || q.MaxPicks > 0), "min/max")
	}

	// Options: ids unique across catalogue items and the question's own.
	seen := map[string]bool{}
	if (q.Kind == KindSingle || q.Kind == KindMulti) && q.OptionsFrom != "" {
		v.optionsFrom(idx, q, where, seen)
	}
	if q.Kind == KindSingle || q.Kind == KindMulti {
		if q.From != "" {
			if c := def.Catalogue(q.From); c == nil {
				v.ps.add(q.Pos, path(where, "from"), "unknown catalogue %q%s", q.From, didYouMean(q.From, def.catalogueIDs()))
			} else {
				for _, it := range c.Items {
					seen[it.ID] = true
				}
			}
		}
		if q.From == "" && q.OptionsFrom == "" && len(q.Options) == 0 {
			v.ps.add(q.Pos, where, "a %s question needs options, a catalogue in from, or an earlier question in options_from", q.Kind)
		}
	}
	if q.Kind == KindMatrix {
		v.matrix(idx, q, where, seen)
	}
	for i, it := range q.Options {
		w := path(where, fmt.Sprintf("option %q", it.ID))
		if it.ID == "" {
			w = path(where, fmt.Sprintf("option %d", i+1))
		}
		v.item(it, w)
		if seen[it.ID] && it.ID != "" {
			v.ps.add(it.Pos, w, "duplicate option id %q", it.ID)
		}
		seen[it.ID] = true
	}
	if q.Kind == KindSingle {
		for _, it := range q.Options {
			if it.Exclusive {
				v.ps.add(it.Pos, path(where, fmt.Sprintf("option %q", it.ID)), "exclusive applies only to multi and matrix questions")
			}
		}
	}

	// Bounds.
	n := len(seen)
	if q.Other {
		n++
	}
	switch q.Kind {
	case KindMulti, KindMatrix:
		if q.MaxPicks > 0 && q.MinPicks > q.MaxPicks {
			v.ps.add(q.Pos, where, "min %d is more than max %d", q.MinPicks, q.MaxPicks)
		}
		if q.Kind == KindMulti && q.MinPicks > n && n > 0 {
			v.ps.add(q.Pos, where, "min %d is more than the %d options", q.MinPicks, n)
		}
	case KindText:
		if q.MaxLength > MaxTextUnits {
			v.ps.add(q.Pos, path(where, "max"), "%d is longer than a message can hold: at most %d", q.MaxLength, MaxTextUnits)
		}
		if q.MaxLength > 0 && q.MinLength > q.MaxLength {
			v.ps.add(q.Pos, where, "min %d is more than max %d", q.MinLength, q.MaxLength)
		}
	case KindNumber:
		if q.MinValue != nil && q.MaxValue != nil && *q.MinValue > *q.MaxValue {
			v.ps.add(q.Pos, where, "min %g is more than max %g", *q.MinValue, *q.MaxValue)
		}
	}
	if q.When != nil {
		v.condition(idx, q, where)
	}
	v.placeholders(idx, q, where)
	if choice {
		v.taps(q, where)
		v.keyboard(q, where)
	}
}

// optionsFrom checks an options_from question: its source is an earlier
// multi or matrix question, and it does not also take options elsewhere.
func (v *validator) optionsFrom(idx int, q *Question, where string, seen map[string]bool) {
	w := path(where, "options_from")
	if q.From != "" {
		v.ps.add(q.Pos, where, "give either from (a catalogue) or options_from (an earlier question), not both")
	}
	if q.Other {
		v.ps.add(q.Pos, where, "other does not apply to an options_from question: what was typed under Other… in %q is offered already", q.OptionsFrom)
	}
	src := v.earlier(idx, q.OptionsFrom, q.Pos, w)
	if src == nil {
		return
	}
	switch {
	case src.Kind != KindMulti && src.Kind != KindMatrix:
		v.ps.add(q.Pos, w, "question %q is a %s question; options_from must name a multi or matrix question", src.ID, src.Kind)
		return
	case src.OptionsFrom != "":
		v.ps.add(q.Pos, w, "question %q takes its own options from %q: name that question instead", src.ID, src.OptionsFrom)
		return
	}
	for _, it := range v.def.sourceItems(q) {
		seen[it.ID] = true
	}
}

// placeholders checks the {id} a question's wording names: each an
// earlier single or multi question, whose answer fills it in.
func (v *validator) placeholders(idx int, q *Question, where string) {
	for _, id := range q.names {
		w := path(where, fmt.Sprintf("{%s}", id))
		if id == "item" && v.def.Question(id) == nil {
			v.ps.add(q.Pos, w, "{item} names the row of a matrix question; this is a %s question", q.Kind)
			continue
		}
		nq := v.earlier(idx, id, q.Pos, w)
		if nq != nil && nq.Kind != KindSingle && nq.Kind != KindMulti {
			v.ps.add(q.Pos, w, "question %q is a %s question; a question's wording can name the answer to an earlier single or multi question", nq.ID, nq.Kind)
		}
	}
}

// keyboard checks that the question's buttons fit on one keyboard: at
// most MaxChoices options in all, shown a page of PageSize at a time, and
// at most MaxButtons buttons at once.
func (v *validator) keyboard(q *Question, where string) {
	def := v.def
	all := len(def.choices(q))
	paged, fixed := all, 0
	switch {
	case q.Kind == KindMatrix:
		paged, fixed = all-len(q.Options), len(q.Options)
		for row, ids := range q.Shortlist {
			if len(ids) > PageSize {
				v.ps.add(q.shortlistPos[row], path(where, fmt.Sprintf("shortlist %q", row)), "%d items: a shortlist is one page, at most %d (keep it under 10)", len(ids), PageSize)
			}
		}
	case q.From != "" || q.OptionsFrom != "":
		paged, fixed = all-len(q.Options), len(q.Options)
	}
	if all > MaxChoices {
		v.ps.add(q.Pos, where, "%d options; at most %d (%d pages of %d buttons): split the list, or ask for a typed answer", all, MaxChoices, MaxChoices/PageSize, PageSize)
		return
	}
	buttons := min(paged, PageSize) + fixed + 3 + 3 // a page; own options; More…/◀/▶; Back/Skip/Done
	if q.Kind == KindMatrix {
		buttons += MaxSameOffers
	}
	if q.Other {
		buttons += 1 + MaxOtherNames
	}
	if buttons > MaxButtons {
		v.ps.add(q.Pos, where, "its keyboard could have %d buttons at once; Telegram refuses about 100, and toolmap allows %d: give fewer options of its own (%d here) beside the %s", buttons, MaxButtons, fixed, "list")
	}
}

func (v *validator) matrix(idx int, q *Question, where string, seen map[string]bool) {
	def := v.def
	var rows *Question
	switch {
	case q.Rows == "":
		v.ps.add(q.Pos, where, "missing key %q: the earlier multi question whose picks are the rows", "rows")
	default:
		rows = v.earlier(idx, q.Rows, q.Pos, path(where, "rows"))
		if rows != nil && rows.Kind != KindMulti {
			v.ps.add(q.Pos, path(where, "rows"), "question %q is a %s question; rows must come from a multi question", rows.ID, rows.Kind)
			rows = nil
		}
	}
	cols := def.Catalogue(q.Columns)
	switch {
	case q.Columns == "":
		v.ps.add(q.Pos, where, "missing key %q: the catalogue asked about for each row", "columns")
	case cols == nil:
		v.ps.add(q.Pos, path(where, "columns"), "unknown catalogue %q%s", q.Columns, didYouMean(q.Columns, def.catalogueIDs()))
	default:
		for _, it := range cols.Items {
			seen[it.ID] = true
		}
	}
	for row := range q.Shortlist {
		w := path(where, fmt.Sprintf("shortlist %q", row))
		if rows != nil && def.option(rows, row) == nil {
			v.ps.add(q.shortlistPos[row], w, "unknown %s %q: not an option of question %q", noun(rows.From), row, rows.ID)
		}
		dup := map[string]bool{}
		for _, id := range q.Shortlist[row] {
			if dup[id] {
				v.ps.add(q.shortlistPos[row], w, "%q listed twice", id)
			}
			dup[id] = true
		}
	}
	if cols != nil {
		for _, e := range q.shortlistItemPos {
			if cols.Item(e.id) == nil {
				v.ps.add(e.pos, path(where, fmt.Sprintf("shortlist %q", e.row)), "unknown %s %q%s", noun(cols.ID), e.id, didYouMean(e.id, cols.ids()))
			}
		}
		if q.shortlistItemPos == nil { // built in Go: no positions
			for row, ids := range q.Shortlist {
				for _, id := range ids {
					if cols.Item(id) == nil {
						v.ps.add(q.Pos, path(where, fmt.Sprintf("shortlist %q", row)), "unknown %s %q", noun(cols.ID), id)
					}
				}
			}
		}
	}
}

// earlier returns question id if it comes before question idx, reporting
// it as unknown or as a forward reference otherwise.
func (v *validator) earlier(idx int, id string, pos Pos, where string) *Question {
	def := v.def
	j, ok := def.byQuestion[id]
	switch {
	case !ok:
		v.ps.add(pos, where, "unknown question %q%s", id, didYouMean(id, def.questionIDs()))
		return nil
	case j >= idx:
		v.ps.add(pos, where, "question %q comes later in the survey (or is this one): refer only to earlier questions", id)
		return nil
	}
	return def.Questions[j]
}

func (v *validator) condition(idx int, q *Question, where string) {
	c := q.When
	w := path(where, "when")
	if c.Question == "" {
		v.ps.add(c.Pos, w, "missing key %q", "question")
		return
	}
	target := v.earlier(idx, c.Question, c.Pos, path(w, "question"))
	tests := 0
	for _, set := range []bool{len(c.AnyOf) > 0, len(c.NoneOf) > 0, c.Answered != nil, c.AtLeast != nil || c.AtMost != nil} {
		if set {
			tests++
		}
	}
	if tests != 1 {
		v.ps.add(c.Pos, w, "give exactly one test: any_of, none_of, answered, or at_least/at_most")
	}
	if target == nil {
		return
	}
	if target.Kind == KindMatrix {
		v.ps.add(c.Pos, w, "a condition cannot test a matrix question")
	}
	if (len(c.AnyOf) > 0 || len(c.NoneOf) > 0) && target.Kind != KindSingle && target.Kind != KindMulti {
		v.ps.add(c.Pos, w, "any_of and none_of test single and multi questions; %q is a %s question", target.ID, target.Kind)
	}
	if (c.AtLeast != nil || c.AtMost != nil) && target.Kind != KindNumber {
		v.ps.add(c.Pos, w, "at_least and at_most test number questions; %q is a %s question", target.ID, target.Kind)
	}
	if target.Kind == KindSingle || target.Kind == KindMulti {
		for _, id := range append(append([]string(nil), c.AnyOf...), c.NoneOf...) {
			if id != OtherID && v.def.option(target, id) == nil {
				v.ps.add(c.Pos, w, "unknown option %q of question %q", id, target.ID)
			}
		}
	}
}

// taps checks that no button of question q can carry more callback data
// than Telegram allows.
func (v *validator) taps(q *Question, where string) {
	def := v.def
	rows := []string{""}
	if q.Kind == KindMatrix {
		rows = nil
		if rq := def.Question(q.Rows); rq != nil {
			for _, it := range def.choices(rq) {
				rows = append(rows, it.ID)
			}
		}
	}
	opts := []string{OtherID, otherRef(MaxOtherNames, "")}
	for _, it := range def.choices(q) {
		opts = append(opts, it.ID)
	}
	worst := ""
	check := func(data string) {
		if len(data) > MaxTapBytes && len(data) > len(worst) {
			worst = data
		}
	}
	for _, row := range rows {
		for _, o := range opts {
			check(Tap{Kind: InputToggle, Version: def.Version, At: Cursor{Question: q.ID, Item: row}, Option: o}.Encode())
		}
	}
	if q.Kind == KindMatrix {
		// "Same as…" names an earlier row, an activity typed under Other… included.
		rows = append(rows, OtherID)
		for _, row := range rows {
			for _, earlier := range rows {
				check(Tap{Kind: InputSame, Version: def.Version, At: Cursor{Question: q.ID, Item: row}, Option: earlier}.Encode())
			}
		}
	}
	if worst != "" {
		v.ps.add(q.Pos, where, "button data %q is %d bytes; Telegram allows %d: use shorter ids", worst, len(worst), MaxTapBytes)
	}
}

func (d *Definition) catalogueIDs() []string {
	out := make([]string, 0, len(d.Catalogues))
	for _, c := range d.Catalogues {
		out = append(out, c.ID)
	}
	return out
}

func (d *Definition) questionIDs() []string {
	out := make([]string, 0, len(d.Questions))
	for _, q := range d.Questions {
		out = append(out, q.ID)
	}
	return out
}

func (c *Catalogue) ids() []string {
	out := make([]string, 0, len(c.Items))
	for _, it := range c.Items {
		out = append(out, it.ID)
	}
	return out
}
