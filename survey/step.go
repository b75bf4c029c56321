package survey

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// InputKind is what a respondent did.
type InputKind string

// The inputs the engine understands.
const (
	InputStart    InputKind = "start"    // began, or came back (Text: an optional source payload)
	InputResume   InputKind = "resume"   // asked to carry on where they left off
	InputAgree    InputKind = "agree"    // agreed to the consent notice
	InputDecline  InputKind = "decline"  // declined it
	InputChoose   InputKind = "choose"   // picked Option of a single question
	InputToggle   InputKind = "toggle"   // ticked or unticked Option of a multi question
	InputDone     InputKind = "done"     // finished a multi question
	InputText     InputKind = "text"     // typed Text
	InputBack     InputKind = "back"     // went back one question
	InputSkip     InputKind = "skip"     // skipped an optional question
	InputMore     InputKind = "more"     // switched between the shortlist and the full list
	InputJump     InputKind = "jump"     // went to the question At, from the review
	InputRestart  InputKind = "restart"  // started over
	InputExpire   InputKind = "expire"   // the host noticed the session has been idle
	InputLanguage InputKind = "language" // switched language to Text
	InputSame     InputKind = "same"     // answered a matrix row as earlier row Option ("": the row before it)
	InputPage     InputKind = "page"     // showed page Option ("0": the shortlist) of a long list
)

// Input is one thing a respondent did. At names the step it was meant for;
// zero means the current one.
type Input struct {
	Kind   InputKind
	At     Cursor
	Option string
	Text   string
}

// Event is something the host must store or show.
type Event interface{ event() }

// AskConsent asks the respondent to agree to the consent notice.
type AskConsent struct {
	Intro, Text     string
	Agree, Decline  string // button labels
	Problem         string // why the last input was not accepted, or ""
	ConsentVersion  int
	ResumesProgress bool // the respondent has answers already (the notice changed)
}

// Ask asks a question.
type Ask struct {
	At      Cursor
	Kind    Kind
	Title   string // progress, e.g. "Question 4 of 9"
	Row     string // for a matrix: "📅 Organising events (2 of 3)"
	Text    string
	Hint    string
	Options []Choice
	Value   string // the current answer of a text or number question, when going back
	Problem string // why the last input was not accepted, or ""
	// Note tells what the last input did besides what the buttons show,
	// e.g. that ticking an exclusive option unticked the others.
	Note     string
	Progress Progress

	CanBack, CanSkip, CanDone bool
	More                      bool // a More…/Fewer… switch is offered
	// Page is the page shown: 0 the shortlist (or the only page), n page
	// n of Pages of the full list. Options holds that page's options only,
	// at most PageSize of the list plus the question's own options.
	Page, Pages   int
	AwaitingOther bool // waiting for the free text of Other…
	OtherPrompt   string
	// Selection is every option picked so far, on every page.
	Selection []string
	// SameAs offers to answer this matrix row as an earlier row was
	// answered, adding to anything ticked, in one tap (InputSame with the
	// offer's Item as Option): at most MaxSameOffers distinct answers,
	// the one given most often first.
	SameAs []SameOffer
}

// Choice is one option as shown.
type Choice struct {
	ID        string
	Label     string
	Selected  bool
	Exclusive bool
	// Other marks the Other… button, and the buttons of names given under
	// it (whose ID is not an option id but a reference to the name).
	Other bool
}

// Progress is where a step stands in the survey.
type Progress struct {
	Step, Steps int // 1-based; Steps is an estimate until the matrix rows are known
	Row, Rows   int // matrix only
}

// AnswerRecorded reports a new or changed answer. Previous is the answer it
// replaced, if any. Unchanged is set when the answer equals Previous.
type AnswerRecorded struct {
	Answer    Answer
	Previous  *Answer
	Unchanged bool
}

// AnswerDropped reports an answer removed because an earlier answer it
// depended on changed (an activity was unticked), or by a restart.
type AnswerDropped struct {
	Answer Answer
}

// Completed reports that every step has an answer, or shows the end again.
// Recorded is set when this step completed the session (store the
// response); First when that happened for the first time. A Completed
// without Recorded only shows the end again: after a language switch, or
// with a Problem when an input arrived after completion.
type Completed struct {
	Thanks   string
	Summary  []SummaryLine
	Recorded bool
	First    bool
	Problem  string
}

// Withdrawn reports that the respondent declined consent (Reason
// "declined") or let the consent prompt expire ("expired"): nothing of
// theirs is to be stored.
type Withdrawn struct {
	Reason string
	Text   string
}

// Notice is a line to show before the next question: welcome back,
// starting again, paused.
type Notice struct {
	Text string
}

// SummaryLine is one answer as the respondent reads it.
type SummaryLine struct {
	At       Cursor
	Question string
	Answer   string
}

func (AskConsent) event()     {}
func (Ask) event()            {}
func (AnswerRecorded) event() {}
func (AnswerDropped) event()  {}
func (Completed) event()      {}
func (Withdrawn) event()      {}
func (Notice) event()         {}

// Errors for misuse of Step.
var (
	ErrNotReady    = errors.New("survey definition is not validated")
	ErrOtherSurvey = errors.New("session belongs to another survey")
)

// Limits on free text.
const (
	MaxOtherRunes = 200 // the text given with Other…
)

// Step applies one input to a session and returns the new session and the
// events to store and show. It is pure and deterministic: it does no I/O,
// reads no clock (now is the time of the input) and never modifies sess.
func Step(def *Definition, sess Session, in Input, now time.Time) (Session, []Event, error) {
	if def == nil || def.byQuestion == nil {
		return sess, nil, ErrNotReady
	}
	if sess.SurveyID != "" && sess.SurveyID != def.ID {
		return sess, nil, fmt.Errorf("%w: %q, not %q", ErrOtherSurvey, sess.SurveyID, def.ID)
	}
	if in.Kind != InputRestart {
		def = def.For(&sess)
	}
	e := &engine{def: def, s: sess.Clone(), now: now.UTC()}
	e.step(in)
	e.s.UpdatedAt = e.now
	return e.s, e.events, nil
}

type engine struct {
	def    *Definition
	s      Session
	now    time.Time
	events []Event
	note   string // for the next Ask: see Ask.Note
}

func (e *engine) lang() string { return e.s.Language }

func (e *engine) msg(key string, pairs ...string) string { return e.def.Msg(e.lang(), key, pairs...) }

func (e *engine) emit(ev Event) { e.events = append(e.events, ev) }

func (e *engine) step(in Input) {
	s := &e.s
	if s.Version != e.def.Version && s.Status != StatusNew {
		s.Version = e.def.Version // answers keep the version they were given under
	}
	switch s.Status {
	case StatusNew, StatusWithdrawn:
		e.begin(in)
	case StatusAwaitingConsent:
		e.consent(in)
	case StatusActive:
		if in.Kind == InputStart || in.Kind == InputResume {
			if s.Consent == nil || s.Consent.Version < e.def.Consent.Version {
				s.Status = StatusAwaitingConsent
				e.askConsent("")
				return
			}
		}
		e.active(in)
	case StatusCompleted:
		e.completed(in)
	default:
		// An unknown status (a corrupted record): start again cleanly.
		*s = Session{}
		e.begin(in)
	}
}

func (e *engine) begin(in Input) {
	lang := e.def.DefaultLanguage
	if in.Kind == InputLanguage && e.def.HasLanguage(in.Text) {
		lang = in.Text
	} else if e.s.Language != "" && e.def.HasLanguage(e.s.Language) {
		lang = e.s.Language
	}
	e.s = Session{
		SurveyID:  e.def.ID,
		Version:   e.def.Version,
		Language:  lang,
		Status:    StatusAwaitingConsent,
		StartedAt: e.now,
	}
	if in.Kind == InputStart {
		e.s.Source = in.Text
	}
	e.askConsent("")
}

func (e *engine) askConsent(problem string) {
	d, l := e.def, e.lang()
	agree, decline := d.Text(d.Consent.Agree, l), d.Text(d.Consent.Decline, l)
	if problem != "" {
		problem = e.msg(problem, "agree", agree, "decline", decline)
	}
	e.emit(AskConsent{
		Intro:           d.Text(d.Intro, l),
		Text:            d.Text(d.Consent.Text, l),
		Agree:           agree,
		Decline:         decline,
		Problem:         problem,
		ConsentVersion:  d.Consent.Version,
		ResumesProgress: len(e.s.Answers) > 0,
	})
}

func (e *engine) consent(in Input) {
	s := &e.s
	switch in.Kind {
	case InputAgree:
		s.Consent = &Consented{Version: e.def.Consent.Version, At: e.now}
		s.Status = StatusActive
		if s.Cursor.IsZero() || !e.inPlan(s.Cursor) {
			e.moveTo(e.firstUnanswered(), false)
		}
		if s.Cursor.IsZero() {
			e.complete()
			return
		}
		e.ask("")
	case InputDecline:
		*s = Session{SurveyID: e.def.ID, Version: e.def.Version, Language: s.Language, Status: StatusWithdrawn, StartedAt: s.StartedAt}
		e.emit(Withdrawn{Reason: "declined", Text: e.msg("declined")})
	case InputExpire:
		if s.Consent != nil {
			// Asked again after the notice changed: their answers stay
			// until they answer the new notice.
			e.emit(Notice{Text: e.msg("expired")})
			return
		}
		*s = Session{SurveyID: e.def.ID, Version: e.def.Version, Language: s.Language, Status: StatusWithdrawn, StartedAt: s.StartedAt}
		e.emit(Withdrawn{Reason: "expired"})
	case InputLanguage:
		if !e.setLanguage(in.Text) {
			e.askConsent("problem_language")
			return
		}
		e.askConsent("")
	case InputStart, InputResume:
		if s.Source == "" && in.Kind == InputStart {
			s.Source = in.Text
		}
		e.askConsent("")
	default:
		e.askConsent("problem_consent")
	}
}

func (e *engine) setLanguage(lang string) bool {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if !e.def.HasLanguage(lang) {
		return false
	}
	e.s.Language = lang
	return true
}

func (e *engine) completed(in Input) {
	switch in.Kind {
	case InputJump:
		if !e.inPlan(in.At) {
			e.emitCompleted(false, false, "problem_finished")
			return
		}
		e.s.Status = StatusActive
		e.moveTo(in.At, true)
		e.s.Review = true
		e.ask("")
	case InputRestart:
		e.s.Status = StatusActive
		e.restart()
	case InputLanguage:
		if !e.setLanguage(in.Text) {
			e.emitCompleted(false, false, "problem_language")
			return
		}
		e.emitCompleted(false, false, "")
	case InputExpire:
		// Nothing to pause.
	default:
		e.emitCompleted(false, false, "problem_finished")
	}
}

func (e *engine) active(in Input) {
	s := &e.s
	if !e.inPlan(s.Cursor) {
		// The survey changed under the session, or an earlier answer was
		// dropped: carry on at the first unanswered step.
		s.Draft = nil
		e.moveTo(e.firstUnanswered(), false)
		if s.Cursor.IsZero() {
			e.complete()
			return
		}
	}
	switch in.Kind {
	case InputStart, InputResume:
		e.emit(Notice{Text: e.msg("resumed")})
		e.ask("")
		return
	case InputLanguage:
		if !e.setLanguage(in.Text) {
			e.ask(e.msg("problem_language", "list", strings.Join(e.def.Languages, ", ")))
			return
		}
		e.ask("")
		return
	case InputRestart:
		e.restart()
		return
	case InputExpire:
		if s.Draft != nil {
			s.Draft.AwaitingOther = false
		}
		e.emit(Notice{Text: e.msg("expired")})
		return
	case InputJump:
		if !e.inPlan(in.At) || (in.At != s.Cursor && !e.answered(in.At) && in.At != e.firstUnanswered()) {
			e.ask(e.msg("problem_stale"))
			return
		}
		e.moveTo(in.At, true)
		s.Review = true
		e.ask("")
		return
	case InputBack:
		e.back()
		return
	case InputAgree, InputDecline:
		e.ask("")
		return
	}
	// The rest act on the current step: an input meant for another one is
	// answered by asking the current one again.
	if !in.At.IsZero() && in.At != s.Cursor {
		e.ask(e.msg("problem_stale"))
		return
	}
	q := e.def.Question(s.Cursor.Question)
	switch in.Kind {
	case InputChoose:
		if q.Kind == KindMulti || q.Kind == KindMatrix {
			e.toggle(q, in.Option)
			return
		}
		e.choose(q, in.Option)
	case InputToggle:
		if q.Kind == KindSingle {
			e.choose(q, in.Option)
			return
		}
		e.toggle(q, in.Option)
	case InputDone:
		e.done(q)
	case InputSkip:
		if !q.Optional {
			e.ask(e.msg("problem_required"))
			return
		}
		e.record(Answer{Skipped: true})
		e.advance()
	case InputMore:
		if q.Kind != KindMatrix || !e.hasShortlist(q) {
			e.ask("")
			return
		}
		d := e.draft()
		if d.Page == 0 {
			d.Page = 1
		} else {
			d.Page = 0
		}
		e.ask("")
	case InputPage:
		n, err := strconv.Atoi(in.Option)
		_, pages := e.def.pages(q, &e.s)
		if err != nil || n < 0 || n > pages || (n == 0 && !(q.Kind == KindMatrix && e.hasShortlist(q))) {
			e.ask("")
			return
		}
		e.draft().Page = n
		e.ask("")
	case InputSame:
		e.same(q, in.Option)
	case InputText:
		e.text(q, in.Text)
	default:
		e.ask("")
	}
}

// draft returns the draft at the cursor, creating it from the answer.
func (e *engine) draft() *Draft {
	if e.s.Draft == nil {
		e.s.Draft = e.draftFromAnswer(e.s.Cursor)
	}
	return e.s.Draft
}

func (e *engine) draftFromAnswer(c Cursor) *Draft {
	d := &Draft{}
	if a, ok := e.s.Answer(c); ok && !a.Skipped {
		d.Values = slices.Clone(a.Values)
		d.Others = slices.Clone(a.OtherNames())
	}
	return d
}

func (e *engine) choose(q *Question, id string) {
	if q.Kind != KindSingle {
		e.ask(e.msg("problem_" + map[Kind]string{KindText: "text_empty", KindNumber: "number"}[q.Kind]))
		return
	}
	if id == OtherID && q.Other {
		d := e.draft()
		d.AwaitingOther = true
		e.ask("")
		return
	}
	if q.OptionsFrom != "" {
		items, names := e.def.offered(q, e.s.Answers)
		if i, ok := refIndex(id, names); ok {
			a := Answer{Values: []string{OtherID}}
			a.setOtherNames(names[i : i+1])
			e.record(a)
			e.advance()
			return
		}
		if !slices.ContainsFunc(items, func(it *Item) bool { return it.ID == id }) {
			e.ask(e.msg("problem_choose"))
			return
		}
	}
	if e.def.option(q, id) == nil {
		e.ask(e.msg("problem_choose"))
		return
	}
	e.record(Answer{Values: []string{id}})
	e.advance()
}

func (e *engine) toggle(q *Question, id string) {
	if q.Kind != KindMulti && q.Kind != KindMatrix {
		e.ask(e.msg("problem_choose"))
		return
	}
	d := e.draft()
	if id == OtherID && q.Other {
		// Other… asks for a name, another one if there are some already.
		if len(d.names()) >= MaxOtherNames {
			e.ask(e.msg("problem_max_others", "n", strconv.Itoa(MaxOtherNames)))
			return
		}
		if max := q.MaxPicks; max > 0 && len(d.Values) >= max && !slices.Contains(d.Values, OtherID) {
			e.ask(e.msg("problem_max_picks", "n", strconv.Itoa(max)))
			return
		}
		d.AwaitingOther = true
		e.ask("")
		return
	}
	if isOtherRef(id) {
		e.toggleName(q, d, id)
		return
	}
	it := e.def.option(q, id)
	if it == nil || (q.OptionsFrom != "" && !e.offers(q, id)) {
		e.ask(e.msg("problem_choose"))
		return
	}
	d.AwaitingOther = false
	if slices.Contains(d.Values, id) {
		d.Values = slices.DeleteFunc(d.Values, func(v string) bool { return v == id })
		e.ask("")
		return
	}
	if it.Exclusive {
		if len(d.Values) > 0 {
			e.note = e.msg("exclusive_cleared", "label", e.def.Text(it.Label, e.lang()))
		}
		d.Values = nil
		d.setNames(nil)
	} else {
		e.untickExclusive(q, d)
	}
	if max := q.MaxPicks; max > 0 && len(d.Values) >= max {
		e.note = ""
		e.ask(e.msg("problem_max_picks", "n", strconv.Itoa(max)))
		return
	}
	d.Values = append(d.Values, id)
	e.ask("")
}

// untickExclusive unticks an exclusive pick before another pick, saying so.
func (e *engine) untickExclusive(q *Question, d *Draft) {
	d.Values = slices.DeleteFunc(d.Values, func(v string) bool {
		o := e.def.option(q, v)
		if o != nil && o.Exclusive {
			e.note = e.msg("exclusive_unticked", "label", e.def.Text(o.Label, e.lang()))
			return true
		}
		return false
	})
}

// toggleName unticks a name given under Other… (in a question with
// Other…), or ticks or unticks a name given in the source (in an
// options_from question).
func (e *engine) toggleName(q *Question, d *Draft, ref string) {
	d.AwaitingOther = false
	names := d.names()
	if q.OptionsFrom != "" {
		_, offered := e.def.offered(q, e.s.Answers)
		i, ok := refIndex(ref, offered)
		if !ok {
			e.ask(e.msg("problem_choose"))
			return
		}
		name := offered[i]
		if j := slices.Index(names, name); j >= 0 {
			names = slices.Delete(slices.Clone(names), j, j+1)
		} else {
			if max := q.MaxPicks; max > 0 && len(d.Values) >= max && !slices.Contains(d.Values, OtherID) {
				e.ask(e.msg("problem_max_picks", "n", strconv.Itoa(max)))
				return
			}
			e.untickExclusive(q, d)
			names = append(slices.Clone(names), name)
		}
	} else {
		i, ok := refIndex(ref, names)
		if !ok {
			e.ask("") // a name already removed: show what is there now
			return
		}
		names = slices.Delete(slices.Clone(names), i, i+1)
	}
	d.setNames(names)
	d.Values = slices.DeleteFunc(d.Values, func(v string) bool { return v == OtherID })
	if len(names) > 0 {
		d.Values = append(d.Values, OtherID)
	}
	e.ask("")
}

// offers reports whether an options_from question offers option id now.
func (e *engine) offers(q *Question, id string) bool {
	items, _ := e.def.offered(q, e.s.Answers)
	return slices.ContainsFunc(items, func(it *Item) bool { return it.ID == id })
}

// same answers a matrix row as earlier row item ("": the row before it)
// was answered, keeping anything ticked already, and moves on.
func (e *engine) same(q *Question, item string) {
	prev, ok := e.def.earlierRow(q, &e.s, item)
	if !ok {
		e.ask("")
		return
	}
	d := e.draft()
	if !e.def.adds(q, prev, d.Values, d.names()) {
		e.ask("")
		return
	}
	values, names := slices.Clone(d.Values), slices.Clone(d.names())
	for _, v := range prev.Values {
		if !slices.Contains(values, v) && (v == OtherID || e.def.option(q, v) != nil) {
			values = append(values, v)
		}
	}
	if max := q.MaxPicks; max > 0 && len(values) > max {
		e.ask(e.msg("problem_max_picks", "n", strconv.Itoa(max)))
		return
	}
	a := Answer{Values: e.inDisplayOrder(q, values)}
	if slices.Contains(values, OtherID) {
		for _, n := range prev.OtherNames() {
			names = addName(names, n)
		}
		if len(names) > MaxOtherNames {
			e.ask(e.msg("problem_max_others", "n", strconv.Itoa(MaxOtherNames)))
			return
		}
		a.setOtherNames(names)
	}
	e.record(a)
	e.advance()
}

func (e *engine) minPicks(q *Question) int {
	if q.MinPicks > 0 {
		return q.MinPicks
	}
	if q.Optional {
		return 0
	}
	return 1
}

func (e *engine) done(q *Question) {
	if q.Kind != KindMulti && q.Kind != KindMatrix {
		if q.Kind == KindSingle {
			e.ask(e.msg("problem_choose"))
			return
		}
		e.ask(e.msg("problem_text_empty"))
		return
	}
	d := e.draft()
	d.AwaitingOther = false
	if len(d.Values) == 0 && q.Optional && q.MinPicks == 0 {
		e.record(Answer{Skipped: true})
		e.advance()
		return
	}
	if n := e.minPicks(q); len(d.Values) < n {
		e.ask(e.msg("problem_min_picks", "n", strconv.Itoa(n)))
		return
	}
	a := Answer{Values: e.inDisplayOrder(q, d.Values)}
	if slices.Contains(d.Values, OtherID) {
		a.setOtherNames(d.names())
	}
	e.record(a)
	e.advance()
}

// inDisplayOrder sorts picked option ids into the order of the full list.
func (e *engine) inDisplayOrder(q *Question, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, it := range e.def.choices(q) {
		if slices.Contains(ids, it.ID) {
			out = append(out, it.ID)
		}
	}
	if slices.Contains(ids, OtherID) {
		out = append(out, OtherID)
	}
	return out
}

// CleanText strips control characters (keeping line breaks), trims space
// and normalises line endings in free text typed by a respondent.
func CleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "�")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == '\ufeff':
			return -1
		case unicode.Is(unicode.Cf, r) && r != '\u200d': // keep the joiner inside emoji
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

func (e *engine) text(q *Question, raw string) {
	t := CleanText(raw)
	d := e.s.Draft
	if d != nil && d.AwaitingOther {
		if t == "" {
			e.ask(e.msg("problem_other_empty"))
			return
		}
		if n := utf8.RuneCountInString(t); n > MaxOtherRunes {
			e.ask(e.msg("problem_text_long", "len", strconv.Itoa(n), "n", strconv.Itoa(MaxOtherRunes)))
			return
		}
		d.AwaitingOther = false
		if q.Kind == KindSingle {
			a := Answer{Values: []string{OtherID}}
			a.setOtherNames([]string{t})
			e.record(a)
			e.advance()
			return
		}
		if !slices.Contains(d.Values, OtherID) {
			e.untickExclusive(q, d)
			d.Values = append(d.Values, OtherID)
		}
		d.setNames(addName(d.names(), t))
		e.ask("")
		return
	}
	switch q.Kind {
	case KindText:
		n := utf8.RuneCountInString(t)
		minLen, maxLen := max(q.MinLength, 1), q.MaxLength
		if maxLen == 0 {
			maxLen = DefaultMaxLength
		}
		switch {
		case n == 0:
			e.ask(e.msg("problem_text_empty"))
		case n < minLen:
			e.ask(e.msg("problem_text_short", "n", strconv.Itoa(minLen)))
		case n > maxLen:
			e.ask(e.msg("problem_text_long", "len", strconv.Itoa(n), "n", strconv.Itoa(maxLen)))
		default:
			e.record(Answer{Text: t})
			e.advance()
		}
	case KindNumber:
		v, ok := ParseNumber(t)
		switch {
		case !ok:
			e.ask(e.msg("problem_number"))
		case q.Whole && v != float64(int64(v)):
			e.ask(e.msg("problem_whole"))
		case q.MinValue != nil && v < *q.MinValue:
			e.ask(e.msg("problem_number_min", "n", formatNumber(*q.MinValue)))
		case q.MaxValue != nil && v > *q.MaxValue:
			e.ask(e.msg("problem_number_max", "n", formatNumber(*q.MaxValue)))
		default:
			e.record(Answer{Number: &v})
			e.advance()
		}
	default:
		// A typed answer to a choice question: accept an option's label or alias.
		if id := e.matchOption(q, t); id != "" {
			if q.Kind == KindSingle {
				e.choose(q, id)
			} else {
				e.toggle(q, id)
			}
			return
		}
		e.ask(e.msg("problem_choose"))
	}
}

// matchOption finds the option whose label (in any language) or alias
// matches typed text, ignoring case, emoji and punctuation.
func (e *engine) matchOption(q *Question, typed string) string {
	want := fold(typed)
	if want == "" {
		return ""
	}
	items := e.def.choices(q)
	if q.OptionsFrom != "" {
		items, _ = e.def.offered(q, e.s.Answers)
	}
	for _, it := range items {
		for _, l := range it.Label {
			if fold(l) == want {
				return it.ID
			}
		}
		for _, a := range it.Aliases {
			if fold(a) == want {
				return it.ID
			}
		}
	}
	return ""
}

// fold reduces a label to lowercase letters and digits separated by single spaces.
func fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}

// ParseNumber reads a number as people type it: "12", "12.5", "12,5",
// "1 000", "1,000". It reports false for anything else.
func ParseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == '_' {
			return -1
		}
		return r
	}, s)
	if s == "" || len(s) > 32 {
		return 0, false
	}
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		if i := strings.Index(s, ","); len(s)-i-1 == 3 && i > 0 && i <= 3 {
			s = strings.Replace(s, ",", "", 1) // 1,000
		} else {
			s = strings.Replace(s, ",", ".", 1) // 12,5
		}
	} else if strings.Count(s, ",") > 1 && !strings.Contains(s, ".") {
		s = strings.ReplaceAll(s, ",", "") // 1,000,000
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == '.' || r == '-' || r == '+') {
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != v || v > 1e15 || v < -1e15 {
		return 0, false
	}
	return v, true
}

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// record stores a at the cursor and drops answers that no longer apply.
func (e *engine) record(a Answer) {
	s := &e.s
	a.Question, a.Item = s.Cursor.Question, s.Cursor.Item
	a.Version = e.def.Version
	a.At = e.now
	if s.Answers == nil {
		s.Answers = map[string]Answer{}
	}
	key := s.Cursor.Key()
	ev := AnswerRecorded{Answer: a}
	if old, ok := s.Answers[key]; ok {
		ev.Previous = &old
		if old.sameAs(a) {
			ev.Unchanged = true
			ev.Answer.At = old.At
			a.At = old.At
		}
	}
	s.Answers[key] = a
	s.Draft = nil
	e.emit(ev)
	if ev.Previous != nil && !ev.Unchanged {
		e.dropNaming(a.Question)
	}
	e.prune()
}

// dropNaming drops the answers to questions whose wording names question
// id's answer, now that it has changed: they were about something else.
func (e *engine) dropNaming(id string) {
	for _, q := range e.def.Questions {
		if !slices.Contains(q.names, id) {
			continue
		}
		if a, ok := e.s.Answers[q.ID]; ok {
			delete(e.s.Answers, q.ID)
			e.emit(AnswerDropped{Answer: a})
		}
	}
}

// prune drops answers whose step is no longer in the plan.
func (e *engine) prune() {
	keep := map[string]bool{}
	for _, c := range e.def.plan(e.s.Answers) {
		keep[c.Key()] = true
	}
	for _, a := range e.def.sortedAnswers(&e.s) {
		if !keep[a.Key()] || !e.stillOffered(a) {
			delete(e.s.Answers, a.Key())
			e.emit(AnswerDropped{Answer: a})
		}
	}
	e.s.History = slices.DeleteFunc(e.s.History, func(c Cursor) bool { return !keep[c.Key()] })
}

// stillOffered reports whether an answer to an options_from question
// picks only what its source still offers.
func (e *engine) stillOffered(a Answer) bool {
	q := e.def.Question(a.Question)
	if q == nil || q.OptionsFrom == "" || a.Skipped {
		return true
	}
	items, names := e.def.offered(q, e.s.Answers)
	for _, v := range a.Values {
		if v == OtherID {
			continue
		}
		if !slices.ContainsFunc(items, func(it *Item) bool { return it.ID == v }) {
			return false
		}
	}
	for _, n := range a.OtherNames() {
		if !slices.Contains(names, n) {
			return false
		}
	}
	return true
}

func (e *engine) restart() {
	for _, a := range e.def.sortedAnswers(&e.s) {
		e.emit(AnswerDropped{Answer: a})
	}
	e.s.Answers = nil
	e.s.History = nil
	e.s.Draft = nil
	e.s.Review = false
	e.s.Cursor = Cursor{}
	e.emit(Notice{Text: e.msg("restarted")})
	e.moveTo(e.firstUnanswered(), false)
	e.ask("")
}

// moveTo sets the cursor, remembering the current one for Back.
func (e *engine) moveTo(c Cursor, remember bool) {
	s := &e.s
	if remember && !s.Cursor.IsZero() && s.Cursor != c {
		if n := len(s.History); n == 0 || s.History[n-1] != s.Cursor {
			s.History = append(s.History, s.Cursor)
			if len(s.History) > maxHistory {
				s.History = s.History[len(s.History)-maxHistory:]
			}
		}
	}
	s.Cursor = c
	s.Draft = nil
}

func (e *engine) back() {
	s := &e.s
	if s.Draft != nil && s.Draft.AwaitingOther {
		s.Draft.AwaitingOther = false
		e.ask("")
		return
	}
	for len(s.History) > 0 {
		prev := s.History[len(s.History)-1]
		s.History = s.History[:len(s.History)-1]
		if e.inPlan(prev) && prev != s.Cursor {
			s.Cursor = prev
			s.Draft = nil
			s.Review = false
			e.ask("")
			return
		}
	}
	e.ask(e.msg("problem_first"))
}

// advance moves to the next step: after a jump (review), the first
// unanswered one, until none is left; otherwise the next one in order,
// shown with its answer if it has one. When every step has an answer, the
// survey is complete.
func (e *engine) advance() {
	s := &e.s
	plan := e.def.plan(s.Answers)
	var next Cursor
	if !s.Review {
		if i := slices.Index(plan, s.Cursor); i >= 0 && i+1 < len(plan) {
			next = plan[i+1]
		}
	}
	if next.IsZero() {
		next = firstUnanswered(plan, s.Answers)
	}
	if next.IsZero() {
		e.complete()
		return
	}
	e.moveTo(next, true)
	e.ask("")
}

func (e *engine) complete() {
	s := &e.s
	first := s.CompletedAt.IsZero()
	if first {
		s.CompletedAt = e.now
	}
	s.Status = StatusCompleted
	s.Draft = nil
	s.Review = false
	e.emitCompleted(true, first, "")
}

func (e *engine) emitCompleted(recorded, first bool, problem string) {
	if problem != "" {
		problem = e.msg(problem, "list", strings.Join(e.def.Languages, ", "))
	}
	e.emit(Completed{
		Thanks:   e.def.Text(e.def.Thanks, e.lang()),
		Summary:  e.def.Summary(&e.s),
		Recorded: recorded,
		First:    first,
		Problem:  problem,
	})
}

func (e *engine) inPlan(c Cursor) bool {
	return !c.IsZero() && slices.Contains(e.def.plan(e.s.Answers), c)
}

func (e *engine) answered(c Cursor) bool {
	_, ok := e.s.Answers[c.Key()]
	return ok
}

func (e *engine) firstUnanswered() Cursor {
	return firstUnanswered(e.def.plan(e.s.Answers), e.s.Answers)
}

func firstUnanswered(plan []Cursor, answers map[string]Answer) Cursor {
	for _, c := range plan {
		if _, ok := answers[c.Key()]; !ok {
			return c
		}
	}
	return Cursor{}
}

func (e *engine) hasShortlist(q *Question) bool {
	sl, ok := q.Shortlist[e.s.Cursor.Item]
	cols := e.def.Catalogue(q.Columns)
	return ok && cols != nil && len(sl) < len(cols.Items)
}
