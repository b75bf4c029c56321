package bot

import (
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	"toolmap/survey"
)

// renderer turns the engine's events for one update into outgoing messages
// and, for a tap, the toast to show.
type renderer struct {
	def    *survey.Definition
	chatID int64
	lang   string
	before survey.Session
	after  survey.Session
	in     survey.Input
	// viaTap is set when the input came from a button on message tapMsg.
	viaTap bool
	tapMsg int

	// peers, when set, adds "groups like yours…" to the thanks.
	peers    Peers
	minCount int
	referral string // the respondent's personal link, offered in the thanks
	channel  string // the digest's public channel, offered with the give-back

	out     []Outgoing
	toast   string
	notices []string
}

// esc escapes text for Telegram's HTML parse mode.
func esc(s string) string { return html.EscapeString(s) }

func (r *renderer) msg(key string, pairs ...string) string { return r.def.Msg(r.lang, key, pairs...) }

func (r *renderer) send(o Outgoing) {
	o.ChatID = r.chatID
	if o.Kind == "" {
		o.Kind = OutSend
	}
	r.out = append(r.out, o)
}

// note sends a short message that is not a question.
func (r *renderer) note(text string) {
	r.send(Outgoing{Text: esc(text)})
}

// render handles the events of one step.
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
			if ev.Text != "" {
				if r.viaTap {
					r.send(Outgoing{Kind: OutEditText, MessageID: r.tapMsg, Text: esc(ev.Text)})
				} else {
					r.note(ev.Text)
				}
			}
		}
	}
	if len(r.notices) > 0 { // notices with no question after them
		r.note(strings.Join(r.notices, "\n"))
		r.notices = nil
	}
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

func (r *renderer) consent(a survey.AskConsent) {
	if a.Problem != "" && r.before.Status == survey.StatusAwaitingConsent {
		if r.viaTap {
			r.toast = a.Problem
			return
		}
		r.note(a.Problem)
		return
	}
	var b strings.Builder
	b.WriteString(r.takeNotices())
	if a.Intro != "" {
		b.WriteString(esc(a.Intro) + "\n\n")
	}
	b.WriteString(esc(a.Text))
	v := r.def.Version
	kb := [][]Button{
		{{Text: a.Agree, Data: survey.Tap{Kind: survey.InputAgree, Version: v}.Encode()}},
		{{Text: a.Decline, Data: survey.Tap{Kind: survey.InputDecline, Version: v}.Encode()}},
	}
	if r.viaTap && r.before.Status == survey.StatusAwaitingConsent {
		// A language switch under the notice: show it again in place.
		r.send(Outgoing{Kind: OutEditText, MessageID: r.tapMsg, Text: b.String(), Keyboard: kb})
		return
	}
	r.send(Outgoing{Text: b.String(), Keyboard: kb, Prompt: true})
}

// sameStep reports whether the Ask is for the step the chat's prompt
// already shows.
func (r *renderer) sameStep(a survey.Ask) bool {
	return r.before.Status == survey.StatusActive && r.before.Cursor == a.At
}

func (r *renderer) ask(a survey.Ask, recorded *survey.AnswerRecorded) {
	stale := !r.in.At.IsZero() && r.in.At != r.before.Cursor
	if r.sameStep(a) && len(r.notices) == 0 && r.in.Kind != survey.InputLanguage {
		switch {
		case stale && r.viaTap:
			r.toast = a.Problem
			return
		case a.Problem != "" && r.viaTap:
			r.toast = a.Problem
			return
		case a.Problem != "":
			r.note("⚠️ " + a.Problem)
			if a.AwaitingOther {
				r.otherPrompt(a)
			}
			return
		}
		if r.in.Kind == survey.InputToggle || r.in.Kind == survey.InputChoose || r.in.Kind == survey.InputMore || r.in.Kind == survey.InputPage ||
			(r.in.Kind == survey.InputText && (a.Kind == survey.KindMulti || a.Kind == survey.KindMatrix)) || r.in.Kind == survey.InputBack {
			// The selection changed (or Other… was cancelled): redraw the keyboard in place.
			if r.viaTap {
				r.toast = a.Note // what the tap did besides the ticks, e.g. an exclusive option unticked the others
			}
			r.send(Outgoing{Kind: OutEditMarkup, MessageID: r.tapMsg, ToPrompt: !r.viaTap, Keyboard: r.keyboard(a)})
			if a.AwaitingOther {
				r.otherPrompt(a)
			}
			return
		}
	}
	// A new step. After a tap on the question's own message, that message
	// becomes the next question, headed by the answer just given: one edit
	// a tap, and no old buttons left to tap. Otherwise (a typed answer, a
	// command) the old question is frozen with its answer and the new one
	// sent below what the respondent typed.
	if r.onQuestion() && r.before.Status == survey.StatusActive {
		head := ""
		if recorded != nil {
			head = "✔ " + esc(r.answerLine(recorded.Answer)) + "\n\n"
		}
		r.send(Outgoing{Kind: OutEditText, MessageID: r.tapMsg, Text: r.takeNotices() + head + r.askText(a), Keyboard: r.keyboard(a)})
	} else {
		r.freeze(recorded)
		r.send(Outgoing{Text: r.takeNotices() + r.askText(a), Keyboard: r.keyboard(a), Prompt: true})
	}
	if a.AwaitingOther {
		r.otherPrompt(a)
	}
}

// onQuestion reports whether the input came from a button on the question
// message itself, rather than on a menu (/review, /language).
func (r *renderer) onQuestion() bool {
	if !r.viaTap {
		return false
	}
	switch r.in.Kind {
	case survey.InputChoose, survey.InputToggle, survey.InputDone, survey.InputBack, survey.InputSkip, survey.InputMore,
		survey.InputPage, survey.InputSame:
		return true
	}
	return false
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

func (r *renderer) otherPrompt(a survey.Ask) {
	r.send(Outgoing{Text: esc(a.OtherPrompt), ForceReply: true, Placeholder: truncate(r.msg("other"), 60)})
}

// freeze edits the message of the question just left so that it shows the
// answer and has no buttons, so old buttons cannot be tapped.
func (r *renderer) freeze(recorded *survey.AnswerRecorded) {
	if r.before.Status != survey.StatusActive || r.before.Cursor.IsZero() {
		if r.before.Status == survey.StatusAwaitingConsent && r.after.Status == survey.StatusActive {
			// Consent given: keep the notice, drop its buttons, note the agreement.
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
			r.send(Outgoing{Kind: OutEditText, MessageID: r.tapMsg, ToPrompt: !r.viaTap, Text: b.String()})
		}
		return
	}
	q := r.def.Question(r.before.Cursor.Question)
	if q == nil {
		return
	}
	title := r.def.Text(q.Text, r.lang)
	if a, ok := r.def.AskAt(&r.before); ok {
		title = a.Text // with the row or the earlier answer it names
	}
	text := "<b>" + esc(title) + "</b>"
	if recorded != nil {
		text += "\n✔ " + esc(r.def.AnswerText(q, recorded.Answer, r.lang))
	}
	r.send(r.editQuestion(text))
}

// editQuestion edits the message showing the question: the tapped one when
// the tap came from it, else the chat's prompt.
func (r *renderer) editQuestion(text string) Outgoing {
	if r.onQuestion() {
		return Outgoing{Kind: OutEditText, MessageID: r.tapMsg, Text: text}
	}
	return Outgoing{Kind: OutEditText, ToPrompt: true, Text: text}
}

func (r *renderer) completed(c survey.Completed, recorded *survey.AnswerRecorded) {
	if c.Problem != "" && !c.Recorded {
		if r.viaTap {
			r.toast = c.Problem
			return
		}
		r.note(c.Problem)
		return
	}
	if c.Recorded {
		r.freeze(recorded)
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
	r.send(Outgoing{Text: limitHTML(b.String())})
}

// summaryHTML lists answers, one a line.
func summaryHTML(lines []survey.SummaryLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString("• " + esc(l.Question) + ": <b>" + esc(truncate(l.Answer, 300)) + "</b>\n")
	}
	return b.String()
}

// askText is the text of a question message.
func (r *renderer) askText(a survey.Ask) string {
	var b strings.Builder
	b.WriteString("<i>" + esc(a.Title))
	if a.Row != "" {
		b.WriteString(" · " + esc(a.Row))
	}
	b.WriteString("</i>\n<b>" + esc(a.Text) + "</b>")
	if a.Hint != "" {
		b.WriteString("\n" + esc(a.Hint))
	}
	if a.Value != "" {
		b.WriteString("\n\n✔ " + esc(truncate(a.Value, 500)))
	}
	if a.Problem != "" {
		b.WriteString("\n\n⚠️ " + esc(a.Problem))
	}
	return limitHTML(b.String())
}

// keyboard lays out a question's buttons: options (two a row when short),
// then More…/Other…, then Back, Skip and Done.
func (r *renderer) keyboard(a survey.Ask) [][]Button {
	v := r.def.Version
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
		row = append(row, Button{Text: r.msg("page_prev", "n", strconv.Itoa(a.Page-1), "total", strconv.Itoa(a.Pages)), Data: tap(survey.InputPage, strconv.Itoa(a.Page-1))})
	}
	if a.More {
		label := r.msg("more")
		if a.Page >= 1 {
			label = r.msg("fewer")
		}
		row = append(row, Button{Text: label, Data: tap(survey.InputMore, "")})
	}
	if paged && a.Page < a.Pages {
		row = append(row, Button{Text: r.msg("page_next", "n", strconv.Itoa(a.Page+1), "total", strconv.Itoa(a.Pages)), Data: tap(survey.InputPage, strconv.Itoa(a.Page+1))})
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
		rows = append(rows, []Button{{Text: truncate(r.msg(key, "label", same.Label), 40), Data: tap(survey.InputSame, same.Item)}})
	}
	var nav []Button
	if a.CanBack {
		nav = append(nav, Button{Text: r.msg("back"), Data: tap(survey.InputBack, "")})
	}
	if a.CanSkip {
		nav = append(nav, Button{Text: r.msg("skip"), Data: tap(survey.InputSkip, "")})
	}
	if a.CanDone {
		nav = append(nav, Button{Text: r.msg("done"), Data: tap(survey.InputDone, "")})
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	return rows
}

// truncate cuts s to at most n runes, with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// maxMessage keeps a message inside Telegram's 4096 characters.
const maxMessage = 4000

// limitHTML cuts an over-long message at a line boundary. Only the summary
// of a very long survey can get there.
func limitHTML(s string) string {
	if utf8.RuneCountInString(s) <= maxMessage {
		return s
	}
	r := []rune(s)[:maxMessage]
	cut := strings.LastIndex(string(r), "\n")
	if cut < 0 {
		cut = len(string(r))
	}
	return string(r)[:cut] + "\n…"
}
