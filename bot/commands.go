package bot

import (
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// respondentCommands are offered in private chats, in this order.
var respondentCommands = []struct{ name, en, es string }{
	{"start", "Begin, or carry on where you left off", "Empezar, o seguir donde lo dejaste"},
	{"back", "Go back one question", "Volver a la pregunta anterior"},
	{"skip", "Skip this question, if it may be skipped", "Saltar esta pregunta, si se puede"},
	{"review", "See your answers and change one", "Ver tus respuestas y cambiar alguna"},
	{"restart", "Start again from the first question", "Empezar de nuevo"},
	{"language", "Change language", "Cambiar de idioma"},
	{"privacy", "What we store and why", "Qué guardamos y por qué"},
	{"mydata", "See everything stored about you", "Ver todo lo que guardamos de ti"},
	{"delete", "Delete everything stored about you", "Borrar todo lo que guardamos de ti"},
	{"help", "How this works", "Cómo funciona"},
}

// SetCommands registers the command menu for private chats, in every
// language the survey speaks (descriptions exist in English and Spanish;
// other languages get the English ones).
func (b *Bot) SetCommands() error {
	scope := tgbotapi.NewBotCommandScopeAllPrivateChats()
	for i, lang := range append([]string{""}, b.def.Languages...) {
		if i > 0 && lang == "en" {
			continue // the fallback ("") is English already
		}
		cmds := make([]tgbotapi.BotCommand, 0, len(respondentCommands))
		for _, c := range respondentCommands {
			d := c.en
			if lang == "es" {
				d = c.es
			}
			cmds = append(cmds, tgbotapi.BotCommand{Command: c.name, Description: d})
		}
		if _, err := b.api.Request(tgbotapi.NewSetMyCommandsWithScopeAndLanguage(scope, lang, cmds...)); err != nil {
			return fmt.Errorf("set the command menu (language %q): %w", lang, err)
		}
	}
	return nil
}

// command handles a /command in a private chat.
func (b *Bot) command(m *tgbotapi.Message, now time.Time) func(survey.Session, ChatState) (Result, error) {
	chatID := m.Chat.ID
	hint := m.From.LanguageCode
	cmd := strings.ToLower(m.Command())
	arg := strings.TrimSpace(m.CommandArguments())
	simple := func(key string) func(survey.Session, ChatState) (Result, error) {
		return b.reply(func(s survey.Session, lang string) []Outgoing {
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, key))}}
		}, hint)
	}
	switch cmd {
	case "start":
		source := ""
		if payloadPattern.MatchString(arg) {
			source = arg
		}
		return b.step(chatID, survey.Input{Kind: survey.InputStart, Text: source}, now, hint, 0, nil, nil)
	case "back":
		return b.step(chatID, survey.Input{Kind: survey.InputBack}, now, hint, 0, nil, nil)
	case "skip":
		return b.step(chatID, survey.Input{Kind: survey.InputSkip}, now, hint, 0, nil, nil)
	case "restart":
		return b.step(chatID, survey.Input{Kind: survey.InputRestart}, now, hint, 0, nil, nil)
	case "help":
		return simple("help")
	case "privacy":
		return simple("privacy")
	case "review":
		return b.reply(func(s survey.Session, lang string) []Outgoing {
			return b.review(chatID, s, lang)
		}, hint)
	case "language":
		return b.reply(func(s survey.Session, lang string) []Outgoing {
			var row [][]Button
			for _, l := range b.def.Languages {
				row = append(row, []Button{{
					Text: b.def.Msg(l, "language_name"),
					Data: survey.Tap{Kind: survey.InputLanguage, Version: b.def.Version, Option: l}.Encode(),
				}})
			}
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, "language_prompt")), Keyboard: row}}
		}, hint)
	}
	return simple("unknown_command")
}

// review lists the answers with a button for each, to jump back to it.
func (b *Bot) review(chatID int64, s survey.Session, lang string) []Outgoing {
	lines := b.def.Summary(&s)
	if len(lines) == 0 || (s.Status != survey.StatusActive && s.Status != survey.StatusCompleted) {
		return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, "review_empty"))}}
	}
	var kb [][]Button
	for i, l := range lines {
		kb = append(kb, []Button{{
			Text: truncate(fmt.Sprintf("%d. %s", i+1, l.Question), 40),
			Data: survey.Tap{Kind: survey.InputJump, Version: b.def.For(&s).Version, At: l.At}.Encode(),
		}})
	}
	text := "<b>" + esc(b.def.Msg(lang, "review_title")) + "</b>\n\n" + summaryHTML(lines)
	return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: limitHTML(text), Keyboard: kb}}
}

// groupReply answers a command in a group or channel with a link to the
// private chat. Nothing about the chat or its members is stored.
func (b *Bot) groupReply(m *tgbotapi.Message) func(survey.Session, ChatState) (Result, error) {
	chatID := m.Chat.ID
	lang := b.def.DefaultLanguage
	if m.From != nil {
		lang = b.def.PickLanguage(m.From.LanguageCode)
	}
	return func(s survey.Session, c ChatState) (Result, error) {
		out := Outgoing{Kind: OutSend, ChatID: chatID, Text: esc(b.def.Msg(lang, "private_only"))}
		if u := b.api.Self.UserName; u != "" {
			out.Keyboard = [][]Button{{{Text: b.def.Msg(lang, "open_chat"), URL: "https://t.me/" + u + "?start=group"}}}
		}
		return Result{Out: []Outgoing{out}}, nil
	}
}
