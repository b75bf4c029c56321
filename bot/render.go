package bot

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"toolmap/survey"
)

// renderer turns the engine's events for one update into a reply: what
// the chat shows next (see view.go), and for a tap the toast to show.
type renderer struct {
	def    *survey.Definition
	chatID int64
	lang   string
	before survey.Session
	after  survey.Session
	in     survey.Input
	view   *view
	rep    reply

	// peers, when set, adds "groups like yours…" to the thanks.
	peers    Peers
	minCount int
	referral string // the respondent's personal link, offered in the thanks
	channel  string // the digest's public channel, offered with the give-back

	toast   string
	notices []string
}

// esc escapes text for Telegram's HTML parse mode.
func esc(s string) string { return html.EscapeString(s) }

func (r *renderer) msg(key string, pairs ...string) string { return r.def.Msg(r.lang, key, pairs...) }

// note adds a message that is not a step, before the screen.
func (r *renderer) note(text string) {
	r.rep.notes = append(r.rep.notes, Outgoing{Text: esc(text)})
}

// viaTap reports whether the input was a tap.
func (r *renderer) viaTap() bool { return r.rep.tap != nil }

// render handles the events of one step and places the reply in the chat.
func (r *renderer) render(events []survey.Event) {
	var recorded *survey.AnswerRecorded
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.AnswerRecorded:
			if ev.Answer.Cursor() == r.before.Cursor {
				e := ev
				recorded = &e
			}
		case survey.Notice:
			r.notices = append(r.notices, ev.Text)
		case survey.AskConsent:
			r.consent(ev)
		case survey.Ask:
			r.ask(ev, recorded)
		case survey.Completed:
			r.completed(ev, recorded)
		case survey.Withdrawn:
			r.withdrawn(ev)
		}
	}
	if len(r.notices) > 0 { // notices with no question after them
		r.note(strings.Join(r.notices, "\n"))
		r.notices = nil
	}
	r.view.place(r.rep)
}

// takeNotices returns pending notices as an italic header.
func (r *renderer) takeNotices() string {
	if len(r.notices) == 0 {
		return ""
	}
	s := "<i>" + esc(strings.Join(r.notices, "\n")) + "</i>\n\n"
	r.notices = nil
	return s
}

// problem shows what was wrong with the input: in the toast of a tap, and
// with the screen when it is sent anew.
func (r *renderer) problem(sc *screen, problem string) {
	if problem == "" {
		return
	}
	if r.viaTap() {
		r.toast = problem
	}
	sc.extra += "\n\n⚠️ " + esc(problem)
}

func (r *renderer) consent(a survey.AskConsent) {
	sc := consentScreen(r.def, r.lang, a)
	sc.header = r.takeNotices()
	if a.Problem != "" && r.before.Status == survey.StatusAwaitingConsent {
		r.problem(&sc, a.Problem)
	}
	r.rep.screen = &sc
}

// consentScreen is the consent notice with its two buttons.
func consentScreen(def *survey.Definition, lang string, a survey.AskConsent) screen {
	var b strings.Builder
	if a.Intro != "" {
		b.WriteString(esc(a.Intro) + "\n\n")
	}
	b.WriteString(esc(a.Text))
	v := def.Version
	return screen{what: liveConsent, text: b.String(), kb: [][]Button{
		{{Text: a.Agree, Data: survey.Tap{Kind: survey.InputAgree, Version: v}.Encode()}},
		{{Text: a.Decline, Data: survey.Tap{Kind: survey.InputDecline, Version: v}.Encode()}},
	}}
}

func (r *renderer) ask(a survey.Ask, recorded *survey.AnswerRecorded) {
	sc := askScreen(r.def, r.lang, a)
	sc.header = r.takeNotices()
	r.problem(&sc, a.Problem)
	if a.Note != "" {
		if r.viaTap() && r.toast == "" {
			r.toast = a.Note
		}
		sc.extra = "\n\n<i>" + esc(a.Note) + "</i>" + sc.extra
	}
	r.rep.screen = &sc
	if r.before.Status == survey.StatusAwaitingConsent && r.after.Status == survey.StatusActive {
		// Consent given: the notice stays, without its buttons, showing
		// the agreement; the first question follows below.
		r.rep.freezeAs, r.rep.fresh = r.consentGiven(), true
		return
	}
	if recorded != nil {
		r.rep.head = "✔ " + esc(r.answerLine(recorded.Answer)) + "\n\n"
		r.rep.freezeAs = r.answered(recorded)
	}
}

// askScreen is a question with its keyboard, or, while waiting for a name
// typed under Other…, the question with the request to type and a Back.
func askScreen(def *survey.Definition, lang string, a survey.Ask) screen {
	sc := screen{what: liveAsk, at: a.At, text: askText(a)}
	if a.AwaitingOther {
		sc.what = liveOther
		sc.text = askTitle(a) + "\n\n✍️ " + esc(a.OtherPrompt)
		sc.kb = [][]Button{{{Text: def.Msg(lang, "back"), Data: survey.Tap{Kind: survey.InputBack, Version: def.Version, At: a.At}.Encode()}}}
		return sc
	}
	sc.kb = keyboard(def, lang, a)
	return sc
}

// consentGiven is the consent notice as it stays once agreed to.
func (r *renderer) consentGiven() string {
	var b strings.Builder
	if intro := r.def.Text(r.def.Intro, r.lang); intro != "" {
		b.WriteString(esc(intro) + "\n\n")
	}
	b.WriteString(esc(r.def.Text(r.def.Consent.Text, r.lang)) + "\n\n<b>")
	agree := r.def.Text(r.def.Consent.Agree, r.lang)
	if !strings.HasPrefix(agree, "✅") && !strings.HasPrefix(agree, "✔") {
		b.WriteString("✔ ")
	}
	b.WriteString(esc(agree) + "</b>")
	return b.String()
}

// answered is the text the live message keeps when its buttons go, if it
// shows the question just answered: the question and the answer; else "".
func (r *renderer) answered(recorded *survey.AnswerRecorded) string {
	l := r.view.st.Live
	if l.Num == 0 || (l.What != liveAsk && l.What != liveOther) || l.At != r.before.Cursor.Key() {
		return ""
	}
	q := r.def.Question(r.before.Cursor.Question)
	if q == nil {
		return ""
	}
	title := r.def.Text(q.Text, r.lang)
	if a, ok := r.def.AskAt(&r.before); ok {
		title = a.Text // with the row or the earlier answer it names
	}
	return "<b>" + esc(title) + "</b>\n✔ " + esc(r.def.AnswerText(q, recorded.Answer, r.lang))
}

func (r *renderer) withdrawn(w survey.Withdrawn) {
	if w.Text == "" {
		return
	}
	if r.rep.onLive && r.view.atBottom() {
		r.rep.freezeAs = esc(w.Text) // the notice becomes the answer
		return
	}
	r.note(w.Text)
}

func (r *renderer) completed(c survey.Completed, recorded *survey.AnswerRecorded) {
	if c.Problem != "" && !c.Recorded {
		if r.viaTap() {
			r.toast = c.Problem
			return
		}
		r.note(c.Problem)
		return
	}
	if c.Recorded && recorded != nil {
		r.rep.freezeAs = r.answered(recorded)
	}
	var b strings.Builder
	b.WriteString(esc(c.Thanks))
	b.WriteString(r.takeNotices())
	if c.Recorded && r.peers != nil {
		b.WriteString("\n\n" + r.giveBack(r.peers, r.minCount))
		if r.channel != "" {
			b.WriteString("\n" + esc(r.msg("giveback_channel", "link", r.channel)))
		}
	}
	if c.Recorded && r.referral != "" {
		b.WriteString("\n\n" + esc(r.msg("referral_offer", "link", r.referral)))
	}
	if len(c.Summary) > 0 {
		b.WriteString("\n\n<b>" + esc(r.msg("summary_title")) + "</b>\n")
		b.WriteString(summaryHTML(c.Summary))
	}
	r.rep.notes = append(r.rep.notes, Outgoing{Text: limitHTML(b.String())})
}

// answerLine is "Kind of group: Choir", for the head of the next question.
func (r *renderer) answerLine(ans survey.Answer) string {
	q := r.def.Question(ans.Question)
	if q == nil {
		return ""
	}
	name := r.def.Text(q.Short, r.lang)
	if name == "" {
		name = r.def.Text(q.Text, r.lang)
	}
	if q.Kind == survey.KindMatrix {
		if s := r.def.Summary(&r.after); len(s) > 0 {
			for _, l := range s {
				if l.At == ans.Cursor() {
					name = l.Question
				}
			}
		}
	}
	return truncate(name+": "+r.def.AnswerText(q, ans, r.lang), 300)
}

// summaryHTML lists answers, one a line.
func summaryHTML(lines []survey.SummaryLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("• " + esc(l.Question) + ": <b>" + esc(truncate(l.Answer, 300)) + "</b>\n")
	}
	return b.String()
}

// askTitle is the head of a question message: where it stands, in
// italics, and the question in bold.
func askTitle(a survey.Ask) string {
	var b strings.Builder
	b.WriteString("<i>" + esc(a.Title))
	if a.Row != "" {
		b.WriteString(" · " + esc(a.Row))
	}
	b.WriteString("</i>\n<b>" + esc(a.Text) + "</b>")
	return b.String()
}

// askText is the text of a question message (without its problem, which
// is shown apart: see renderer.problem).
func askText(a survey.Ask) string {
	var b strings.Builder
	b.WriteString(askTitle(a))
	if a.Hint != "" {
		b.WriteString("\n" + esc(a.Hint))
	}
	if a.Value != "" {
		b.WriteString("\n\n✔ " + esc(truncate(a.Value, 500)))
	}
	return limitHTML(b.String())
}

// keyboard lays out a question's buttons: options (two a row when short),
// then More…/Other…, then Back, Skip and Done.
func keyboard(def *survey.Definition, lang string, a survey.Ask) [][]Button {
	msg := func(key string, pairs ...string) string { return def.Msg(lang, key, pairs...) }
	v := def.Version
	tap := func(kind survey.InputKind, opt string) string {
		return survey.Tap{Kind: kind, Version: v, At: a.At, Option: opt}.Encode()
	}
	multi := a.Kind == survey.KindMulti || a.Kind == survey.KindMatrix
	var rows [][]Button
	var pending []Button
	flush := func() {
		if len(pending) > 0 {
			rows = append(rows, pending)
			pending = nil
		}
	}
	var extras []Button
	for _, o := range a.Options {
		label := o.Label
		kind := survey.InputChoose
		if multi {
			kind = survey.InputToggle
			if o.Selected {
				label = "✅ " + label
			}
		} else if o.Selected {
			label = "• " + label
		}
		btn := Button{Text: truncate(label, 40), Data: tap(kind, o.ID)}
		if o.Other && o.ID != survey.OtherID && multi {
			// A name given under Other…: a row of its own, tapped to untick it.
			flush()
			rows = append(rows, []Button{btn})
			continue
		}
		if o.Other || o.Exclusive {
			extras = append(extras, btn)
			continue
		}
		if utf8.RuneCountInString(label) > 16 || !multi && len(a.Options) <= 6 {
			flush()
			rows = append(rows, []Button{btn})
			continue
		}
		pending = append(pending, btn)
		if len(pending) == 2 {
			flush()
		}
	}
	flush()
	// Pages of a long list: ◀ and ▶ around More…/Fewer…, then Other… and
	// exclusive options on a row of their own. Otherwise More… sits with them.
	paged := a.Pages > 1 && a.Page >= 1
	var row []Button
	if paged && a.Page > 1 {
		row = append(row, Button{Text: msg("page_prev", "n", strconv.Itoa(a.Page-1), "total", strconv.Itoa(a.Pages)), Data: tap(survey.InputPage, strconv.Itoa(a.Page-1))})
	}
	if a.More {
		label := msg("more")
		if a.Page >= 1 {
			label = msg("fewer")
		}
		row = append(row, Button{Text: label, Data: tap(survey.InputMore, "")})
	}
	if paged && a.Page < a.Pages {
		row = append(row, Button{Text: msg("page_next", "n", strconv.Itoa(a.Page+1), "total", strconv.Itoa(a.Pages)), Data: tap(survey.InputPage, strconv.Itoa(a.Page+1))})
	}
	if paged && len(row) > 0 {
		rows = append(rows, row)
		row = nil
	}
	row = append(row, extras...)
	if len(row) > 0 {
		rows = append(rows, row)
	}
	for _, same := range a.SameAs {
		key := "same_as"
		if same.Plus {
			key = "same_as_plus"
		}
		rows = append(rows, []Button{{Text: truncate(msg(key, "label", same.Label), 40), Data: tap(survey.InputSame, same.Item)}})
	}
	var nav []Button
	if a.CanBack {
		nav = append(nav, Button{Text: msg("back"), Data: tap(survey.InputBack, "")})
	}
	if a.CanSkip {
		nav = append(nav, Button{Text: msg("skip"), Data: tap(survey.InputSkip, "")})
	}
	if a.CanDone {
		nav = append(nav, Button{Text: msg("done"), Data: tap(survey.InputDone, "")})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return rows
}
