package bot

import (
	"fmt"
	"strconv"
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
func (b *Bot) command(m *tgbotapi.Message, now time.Time) commitFn {
	chatID := m.Chat.ID
	hint := m.From.LanguageCode
	cmd := strings.ToLower(m.Command())
	arg := strings.TrimSpace(m.CommandArguments())
	simple := func(key string) commitFn {
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
		return b.step(chatID, survey.Input{Kind: survey.InputStart, Text: source}, now, hint, nil, nil, nil)
	case "back":
		return b.step(chatID, survey.Input{Kind: survey.InputBack}, now, hint, nil, nil, nil)
	case "skip":
		return b.step(chatID, survey.Input{Kind: survey.InputSkip}, now, hint, nil, nil, nil)
	case "restart":
		return b.step(chatID, survey.Input{Kind: survey.InputRestart}, now, hint, nil, nil, nil)
	case "help":
		return simple("help")
	case "review":
		return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
			if sc := b.reviewScreen(s, lang, 1); sc != nil {
				rep.screen = sc
				return
			}
			rep.say(b.def.Msg(lang, "review_empty"))
		})
	case "language":
		return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
			var rows [][]Button
			for _, l := range b.def.Languages {
				rows = append(rows, []Button{{
					Text: b.def.Msg(l, "language_name"),
					Data: survey.Tap{Kind: survey.InputLanguage, Version: b.def.Version, Option: l}.Encode(),
				}})
			}
			rep.screen = &screen{what: liveMenu, text: esc(b.def.Msg(lang, "language_prompt")), kb: rows}
		})
	}
	return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
		rep.say(b.def.Msg(lang, "unknown_command"))
	})
}

// reviewPage is how many answers a page of /review lists, each with its
// button: a long survey's review would otherwise be a wall of buttons.
const reviewPage = 8

// dataReviewPage prefixes the callback data of /review's ◀ and ▶ (then
// the page's number). It is not a survey tap (those are one letter and a
// colon).
const dataReviewPage = "rv:"

// reviewScreen is /review's menu at a page (from 1): the answers so far,
// numbered, each with a button to change it, ◀ ▶ between pages, and,
// part-way, a button back to the question. It is nil when there is
// nothing to review.
func (b *Bot) reviewScreen(s survey.Session, lang string, page int) *screen {
	lines := b.def.Summary(&s)
	if len(lines) == 0 || (s.Status != survey.StatusActive && s.Status != survey.StatusCompleted) {
		return nil
	}
	version := b.def.For(&s).Version
	pages := (len(lines) + reviewPage - 1) / reviewPage
	page = min(max(page, 1), pages)
	lo, hi := (page-1)*reviewPage, min(page*reviewPage, len(lines))
	var text strings.Builder
	text.WriteString("<b>" + esc(b.def.Msg(lang, "review_title")) + "</b>\n\n")
	var kb [][]Button
	for i := lo; i < hi; i++ {
		l := lines[i]
		n := strconv.Itoa(i + 1)
		text.WriteString(n + ". " + esc(l.Question) + ": <b>" + esc(truncate(l.Answer, 300)) + "</b>\n")
		kb = append(kb, []Button{{
			Text: truncate(n+". "+l.Question, 40),
			Data: survey.Tap{Kind: survey.InputJump, Version: version, At: l.At}.Encode(),
		}})
	}
	var nav []Button
	total := strconv.Itoa(pages)
	if page > 1 {
		nav = append(nav, Button{Text: b.def.Msg(lang, "page_prev", "n", strconv.Itoa(page-1), "total", total), Data: dataReviewPage + strconv.Itoa(page-1)})
	}
	if page < pages {
		nav = append(nav, Button{Text: b.def.Msg(lang, "page_next", "n", strconv.Itoa(page+1), "total", total), Data: dataReviewPage + strconv.Itoa(page+1)})
	}
	if len(nav) > 0 {
		kb = append(kb, nav)
	}
	if s.Status == survey.StatusActive {
		kb = append(kb, []Button{{Text: b.def.Msg(lang, "review_continue"), Data: survey.Tap{Kind: survey.InputResume, Version: version}.Encode()}})
	}
	return &screen{what: liveMenu, text: limitHTML(text.String()), kb: kb}
}

// reviewTap turns /review's menu to another page.
func (b *Bot) reviewTap(cq *tgbotapi.CallbackQuery, toast *string) commitFn {
	on := tappedOf(cq.Message)
	page, err := strconv.Atoi(strings.TrimPrefix(cq.Data, dataReviewPage))
	return b.respond(cq.Message.Chat.ID, cq.From.LanguageCode, &on, toast, func(s survey.Session, lang string, rep *reply) {
		sc := b.reviewScreen(s, lang, page)
		if err != nil || sc == nil {
			*toast = b.def.Msg(lang, "stale_button")
			rep.keep = true
			return
		}
		rep.screen = sc
	})
}

// forAnotherBot reports whether m is a command addressed to another bot
// ("/start@other_bot" in a group): not ours to answer.
func (b *Bot) forAnotherBot(m *tgbotapi.Message) bool {
	if !m.IsCommand() {
		return false
	}
	_, to, ok := strings.Cut(m.CommandWithAt(), "@")
	return ok && b.api.Self.UserName != "" && !strings.EqualFold(to, b.api.Self.UserName)
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
