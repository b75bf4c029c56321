package bot

import (
	"fmt"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// respondentCommands are offered in private chats, in this order; each is
// described by the message "command_" + its name.
var respondentCommands = []string{"start", "back", "skip", "review", "restart", "language", "privacy", "mydata", "delete", "help"}

// SetCommands registers the command menu for private chats: in the
// survey's default language for everyone, and in each of its other
// languages for people whose Telegram speaks it.
func (b *Bot) SetCommands() error {
	scope := tgbotapi.NewBotCommandScopeAllPrivateChats()
	for _, lang := range menuLanguages(b.def) {
		cmds := make([]tgbotapi.BotCommand, 0, len(respondentCommands))
		for _, name := range respondentCommands {
			cmds = append(cmds, tgbotapi.BotCommand{Command: name, Description: b.def.Msg(lang.survey, "command_"+name)})
		}
		if _, err := b.api.Request(tgbotapi.NewSetMyCommandsWithScopeAndLanguage(scope, lang.telegram, cmds...)); err != nil {
			return fmt.Errorf("set the command menu (language %q): %w", lang.telegram, err)
		}
	}
	return nil
}

// menuLanguage is a language to register a command menu in: Telegram's
// code for it (a two-letter code, or "" for everyone else) and the
// survey's.
type menuLanguage struct{ telegram, survey string }

// menuLanguages lists the menus to register: "" in the default language,
// then each other language of the survey under its primary subtag
// (Telegram's language codes have two letters), each code once.
func menuLanguages(def *survey.Definition) []menuLanguage {
	out := []menuLanguage{{"", def.DefaultLanguage}}
	seen := map[string]bool{}
	if p, _, _ := strings.Cut(def.DefaultLanguage, "-"); p == def.DefaultLanguage {
		seen[p] = true // the default's own code needs no menu of its own
	}
	for _, lang := range def.Languages {
		code, _, _ := strings.Cut(lang, "-")
		if lang == def.DefaultLanguage || seen[code] {
			continue
		}
		seen[code] = true
		out = append(out, menuLanguage{code, lang})
	}
	return out
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
