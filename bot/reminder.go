package bot

import (
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// dataStopReminders is the callback data of "Stop reminding me".
const dataStopReminders = "rem:stop"

// ReminderPolicy says who gets a nudge to finish, and when.
type ReminderPolicy struct {
	// After is how long after their last answer (or last reminder) a
	// respondent who agreed but did not finish is reminded.
	After time.Duration
	// Max is the most reminders one respondent ever gets.
	Max int
	// Location and the waking hours [From, To), in minutes after local
	// midnight: reminders go only then. From > To spans midnight.
	Location *time.Location
	From, To int
}

// Due reports whether a reminder should go now to the respondent with
// session s and chat state c. Never to those who have not agreed, who
// finished, who asked for no more, whose chat is unreachable (blocked),
// or who had Max already; and only inside the waking hours.
func (p ReminderPolicy) Due(s survey.Session, c ChatState, now time.Time) bool {
	if p.Max <= 0 || s.Status != survey.StatusActive || s.Consent == nil || c.NoReminders || c.Unreachable || c.Reminded >= p.Max {
		return false
	}
	last := s.UpdatedAt
	if c.RemindedAt.After(last) {
		last = c.RemindedAt
	}
	if now.Before(last.Add(p.After)) {
		return false
	}
	return p.Awake(now)
}

// Awake reports whether now is inside the waking hours.
func (p ReminderPolicy) Awake(now time.Time) bool {
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	m := t.Hour()*60 + t.Minute()
	if p.From <= p.To {
		return m >= p.From && m < p.To
	}
	return m >= p.From || m < p.To
}

// Reminder returns what reminds a respondent, to queue as it is, and the
// chat state to store with it: the reminder (Bulk, so the sender serves
// live conversations first) becomes the chat's live message, at the
// bottom, so the question above it loses its buttons; its Continue shows
// the question again in its place.
func Reminder(def *survey.Definition, chatID int64, s survey.Session, c ChatState, now time.Time) ([]Outgoing, ChatState) {
	lang := s.Language
	if lang == "" {
		lang = def.DefaultLanguage
	}
	c.Reminded++
	c.RemindedAt = now
	v := newView(chatID, c)
	v.freezeLive("")
	kb := [][]Button{
		{{Text: def.Msg(lang, "reminder_continue"), Data: survey.Tap{Kind: survey.InputResume, Version: def.Version}.Encode()}},
		{{Text: def.Msg(lang, "reminder_stop"), Data: dataStopReminders}},
	}
	text := esc(def.Msg(lang, "reminder"))
	num := v.send(Outgoing{Text: text, Keyboard: kb, Prompt: true, Bulk: true})
	v.st.Live = chat.Live{Num: num, What: liveMenu, Text: hashText(text), Body: hashText(text), Keys: hashKeys(kb)}
	v.keyed(chat.Keyed{Num: num})
	return v.out, v.st
}

// stopReminders handles "Stop reminding me": no more reminders, and the
// reminder becomes the current step again, saying so.
func (b *Bot) stopReminders(cq *tgbotapi.CallbackQuery, toast *string) func(survey.Session, ChatState) (Result, error) {
	on := tappedOf(cq.Message)
	h := b.respond(cq.Message.Chat.ID, cq.From.LanguageCode, &on, toast, func(s survey.Session, lang string, rep *reply) {
		stopped := esc(b.def.Msg(lang, "reminders_stopped"))
		switch {
		case rep.screen != nil:
			rep.screen.header = "<i>" + stopped + "</i>\n\n"
		case rep.onLive:
			rep.freezeAs = stopped
		default:
			rep.notes = append(rep.notes, Outgoing{Text: stopped})
		}
	})
	return func(s survey.Session, c ChatState) (Result, error) {
		c.NoReminders = true
		return h(s, c)
	}
}
