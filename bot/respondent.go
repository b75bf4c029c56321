package bot

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// What a respondent can do about their own data: /mydata shows it, and
// /delete, after a confirmation button, removes it.

// Callback data of the /delete confirmation buttons. They are not survey
// taps (survey.Tap codes are one letter then a colon).
const (
	dataDeleteYes = "del:yes"
	dataDeleteNo  = "del:no"
)

// myData answers /mydata from the respondent's own records: their
// session and, when it differs (they started again after finishing), the
// response stored when they finished; nothing about anyone else can
// appear. When the text does not fit one message (counted as Telegram
// counts, textLen), the data goes as a JSON file instead, queued in the
// outbox like any message, so that the sender paces it and a 429 only
// delays it.
func (b *Bot) myData(chatID int64, hint string) func(survey.Session, ChatState) (Result, error) {
	var resp *survey.Session
	if b.opts.Responses != nil {
		// Read before the commit: only this person's own updates, in this
		// same loop, could change it meanwhile.
		r, ok, err := b.opts.Responses.Response(survey.RespondentID(chatID))
		if err != nil {
			b.log.Error("reading a response for /mydata failed", "chat_id", chatID, "err", err)
		}
		if ok {
			resp = &r
		}
	}
	return b.reply(func(s survey.Session, lang string) []Outgoing {
		if s.Status == survey.StatusNew {
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, "mydata_none"))}}
		}
		if resp != nil && s.Status == survey.StatusCompleted {
			resp = nil // the session is the response
		}
		text := b.myDataText(chatID, s, resp, lang)
		if textLen(text) <= maxMessage {
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: text}}
		}
		data, err := json.MarshalIndent(b.myDataJSON(chatID, s, resp, lang), "", "  ")
		if err != nil { // cannot happen: plain strings and times
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, "mydata_none"))}}
		}
		return []Outgoing{{Kind: OutSendDocument, ChatID: chatID, Text: esc(truncate(b.def.Msg(lang, "mydata_file"), maxCaption)),
			File: &chat.File{Name: "mydata.json", Data: data}}}
	}, hint)
}

// dataLine is one answer as /mydata shows it.
type dataLine struct {
	ID       string    `json:"question_id"`
	Question string    `json:"question"`
	Answer   string    `json:"answer"`
	At       time.Time `json:"at"`
	Version  int       `json:"survey_version"`
}

// myDataLines lists every stored answer: those on the respondent's path
// through the survey, in order, then any left off it (by a changed
// answer), by question id.
func (b *Bot) myDataLines(s survey.Session, lang string) []dataLine {
	var out []dataLine
	done := map[string]bool{}
	for _, l := range b.def.Summary(&s) {
		a := s.Answers[l.At.Key()]
		done[l.At.Key()] = true
		out = append(out, dataLine{ID: l.At.Key(), Question: l.Question, Answer: l.Answer, At: a.At, Version: a.Version})
	}
	for _, a := range b.def.SortedAnswers(&s) {
		if done[a.Key()] {
			continue
		}
		def := b.def.For(&s) // the version the session runs under
		q := def.Question(a.Question)
		name := a.Key()
		if q != nil {
			name = def.Text(q.Text, lang)
		}
		out = append(out, dataLine{ID: a.Key(), Question: name, Answer: def.AnswerText(q, a, lang), At: a.At, Version: a.Version})
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// myDataText is the /mydata message, in HTML.
func (b *Bot) myDataText(chatID int64, s survey.Session, resp *survey.Session, lang string) string {
	m := func(key string, pairs ...string) string { return esc(b.def.Msg(lang, key, pairs...)) }
	var w strings.Builder
	w.WriteString("<b>" + m("mydata_title") + "</b>\n")
	w.WriteString(m("mydata_id", "id", strconv.FormatInt(chatID, 10)) + "\n")
	w.WriteString(m("mydata_survey", "survey", s.SurveyID, "version", strconv.Itoa(s.Version), "lang", s.Language) + "\n")
	source := s.Source
	if source == "" {
		source = "—"
	}
	w.WriteString(m("mydata_source", "source", source) + "\n")
	if s.Consent != nil {
		w.WriteString(m("mydata_consent", "version", strconv.Itoa(s.Consent.Version), "at", fmtTime(s.Consent.At)) + "\n")
	}
	w.WriteString(m("mydata_started", "at", fmtTime(s.StartedAt)) + "\n")
	if !s.CompletedAt.IsZero() {
		w.WriteString(m("mydata_finished", "at", fmtTime(s.CompletedAt)) + "\n")
	} else {
		w.WriteString(m("mydata_unfinished") + "\n")
	}
	writeLines := func(lines []dataLine) {
		for _, l := range lines {
			w.WriteString("• " + esc(l.Question) + ": <b>" + esc(l.Answer) + "</b> <i>(" + esc(fmtTime(l.At)) + ")</i>\n")
		}
	}
	if lines := b.myDataLines(s, lang); len(lines) > 0 {
		w.WriteString("\n<b>" + m("summary_title") + "</b>\n")
		writeLines(lines)
	}
	if resp != nil {
		w.WriteString("\n<b>" + m("mydata_response", "at", fmtTime(resp.CompletedAt)) + "</b>\n")
		writeLines(b.myDataLines(*resp, lang))
	}
	if link := b.personalLink(chatID, s, resp); link != "" {
		w.WriteString("\n" + m("mydata_referral", "link", link) + "\n")
	}
	w.WriteString("\n" + m("mydata_footer"))
	return w.String()
}

// personalLink is the respondent's personal link when one is recorded for
// them: once they have finished.
func (b *Bot) personalLink(chatID int64, s survey.Session, resp *survey.Session) string {
	if b.opts.ReferralLink == nil || (s.CompletedAt.IsZero() && resp == nil) {
		return ""
	}
	return b.opts.ReferralLink(survey.RespondentID(chatID))
}

// myDataJSON is the /mydata file.
func (b *Bot) myDataJSON(chatID int64, s survey.Session, resp *survey.Session, lang string) any {
	type consent struct {
		Version int       `json:"version"`
		At      time.Time `json:"at"`
	}
	out := struct {
		TelegramID  int64      `json:"telegram_id"`
		Survey      string     `json:"survey"`
		Version     int        `json:"survey_version"`
		Language    string     `json:"language"`
		Source      string     `json:"source,omitempty"`
		Status      string     `json:"status"`
		Consent     *consent   `json:"consent,omitempty"`
		StartedAt   time.Time  `json:"started_at"`
		UpdatedAt   time.Time  `json:"updated_at"`
		CompletedAt time.Time  `json:"completed_at,omitzero"`
		Answers     []dataLine `json:"answers"`
		// Finished: the answers as they were when they finished, when
		// they have started again since.
		Finished     []dataLine `json:"answers_when_finished,omitempty"`
		PersonalLink string     `json:"personal_link,omitempty"`
		Note         string     `json:"note"`
	}{
		TelegramID: chatID, Survey: s.SurveyID, Version: s.Version, Language: s.Language, Source: s.Source,
		Status: string(s.Status), StartedAt: s.StartedAt, UpdatedAt: s.UpdatedAt, CompletedAt: s.CompletedAt,
		Answers: b.myDataLines(s, lang), PersonalLink: b.personalLink(chatID, s, resp), Note: b.def.Msg(lang, "mydata_footer"),
	}
	if resp != nil {
		out.Finished = b.myDataLines(*resp, lang)
	}
	if s.Consent != nil {
		out.Consent = &consent{Version: s.Consent.Version, At: s.Consent.At}
	}
	return out
}

// deleteConfirm answers /delete: a question with two buttons, at the
// bottom in place of the current step. Nothing is changed yet.
func (b *Bot) deleteConfirm(chatID int64, hint string) func(survey.Session, ChatState) (Result, error) {
	return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
		rep.screen = &screen{what: liveMenu, text: esc(b.def.Msg(lang, "delete_confirm")), kb: [][]Button{
			{{Text: b.def.Msg(lang, "delete_yes"), Data: dataDeleteYes}},
			{{Text: b.def.Msg(lang, "delete_no"), Data: dataDeleteNo}},
		}}
	})
}

// deleteTap handles a tap on a /delete confirmation button: yes forgets
// everything stored about the respondent (Result.Forget), in the same
// transaction that queues the message saying so; no leaves everything,
// and the current step comes back.
func (b *Bot) deleteTap(cq *tgbotapi.CallbackQuery, toast *string) func(survey.Session, ChatState) (Result, error) {
	chatID := cq.Message.Chat.ID
	hint := cq.From.LanguageCode
	on := tappedOf(cq.Message)
	if cq.Data != dataDeleteYes {
		return b.respond(chatID, hint, &on, toast, func(s survey.Session, lang string, rep *reply) {
			kept := esc(b.def.Msg(lang, "delete_kept"))
			if rep.screen != nil {
				rep.screen.header = "<i>" + kept + "</i>\n\n"
				return
			}
			if rep.onLive {
				rep.freezeAs = kept
				return
			}
			rep.notes = append(rep.notes, Outgoing{Text: kept})
		})
	}
	return func(s survey.Session, c ChatState) (Result, error) {
		lang := b.language(s, hint)
		*toast = b.def.Msg(lang, "deleted_toast")
		v := newView(chatID, c)
		rep := reply{tap: &on, onLive: v.onLive(on)}
		deleted := esc(b.def.Msg(lang, "deleted"))
		if rep.onLive && v.atBottom() {
			rep.freezeAs = deleted
		} else {
			rep.notes = []Outgoing{{Text: deleted}}
		}
		v.place(rep)
		return Result{Forget: true, Out: v.out}, nil
	}
}

// respondentCommand returns the handler of /mydata and /delete, or nil for
// another message.
func (b *Bot) respondentCommand(m *tgbotapi.Message) func(survey.Session, ChatState) (Result, error) {
	if !m.IsCommand() {
		return nil
	}
	switch strings.ToLower(m.Command()) {
	case "mydata":
		return b.myData(m.Chat.ID, m.From.LanguageCode)
	case "delete":
		return b.deleteConfirm(m.Chat.ID, m.From.LanguageCode)
	case "privacy":
		chatID := m.Chat.ID
		return b.reply(func(s survey.Session, lang string) []Outgoing {
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(truncate(b.privacyText(lang), maxMessage))}}
		}, m.From.LanguageCode)
	}
	return nil
}

// privacyText is the /privacy message in lang: the survey's notice, who
// is responsible for the data (when the survey names them) and the
// retention period (when one is set).
func (b *Bot) privacyText(lang string) string {
	text := b.def.Msg(lang, "privacy")
	if c := b.def.Controller; c.Name != "" || c.Contact != "" {
		name, contact := c.Name, c.Contact
		if name == "" {
			name = "—"
		}
		if contact == "" {
			contact = "—"
		}
		text += "\n" + b.def.Msg(lang, "privacy_controller", "name", name, "contact", contact)
	}
	if d := b.opts.RetentionDays; d > 0 {
		text += "\n" + b.def.Msg(lang, "privacy_retention", "days", strconv.Itoa(d))
	}
	return text
}
