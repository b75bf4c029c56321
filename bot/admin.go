package bot

import (
	"context"
	"fmt"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// Privileged commands: for admins (/digest, /stats, /digest_resend) and
// researchers (/export), by numeric Telegram user id. Their replies need
// the database and the Bot API's uploads, so the Bot only recognises them
// and hands them to an Admin, off the update loop, once the update is
// committed (recorded as seen, so a repeat does nothing).

// Role is what a user may do beyond answering the survey.
type Role struct {
	Admin      bool // /digest, /stats, /digest_resend
	Researcher bool // /export
}

// AdminCommand is a privileged command to carry out.
type AdminCommand struct {
	UserID int64  // who asked (a private chat's id is its user's id)
	ChatID int64  // where to answer
	Name   string // "digest", "stats", "digest_resend" or "export"
	Arg    string // what followed the command, trimmed
	Lang   string // the language to answer in: the user's in the survey, as for any reply
}

// Admin carries out privileged commands; ChatAdmin (admin_chat.go) implements it.
type Admin interface {
	// Role returns what userID may do.
	Role(userID int64) Role
	// Do carries out cmd for a user whose Role allows it, answering in
	// cmd.ChatID. It runs off the update loop; ctx ends with the bot.
	Do(ctx context.Context, cmd AdminCommand)
}

// adminCommands are the privileged commands, in menu order (each
// described by the message "admin_command_" + its name), and whether each
// is for researchers rather than admins.
var adminCommands = []struct {
	name       string
	researcher bool
}{
	{"digest", false},
	{"stats", false},
	{"digest_resend", false},
	{"export", true},
}

// privileged recognises a privileged command in a private chat. It returns
// the handler to commit (nothing, or a refusal) and, when the user may run
// it, the command to hand to the Admin after the commit. ok is false for
// commands that are not privileged, and for admin commands from others
// (who get the same answer as to any unknown command).
func (b *Bot) privileged(m *tgbotapi.Message) (handler func(survey.Session, ChatState) (Result, error), cmd *AdminCommand, ok bool) {
	if b.opts.Admin == nil || !m.IsCommand() {
		return nil, nil, false
	}
	name := strings.ToLower(m.Command())
	var researcher, known bool
	for _, c := range adminCommands {
		if c.name == name {
			researcher, known = c.researcher, true
		}
	}
	if !known {
		return nil, nil, false
	}
	role := b.opts.Admin.Role(m.From.ID)
	if researcher && !role.Researcher || !researcher && !role.Admin {
		if !researcher {
			return nil, nil, false
		}
		// Logged without the message text: who tried, and what.
		b.log.Warn("refused a privileged command", "user_id", m.From.ID, "command", name)
		chatID := m.Chat.ID
		return b.reply(func(s survey.Session, lang string) []Outgoing {
			return []Outgoing{{Kind: OutSend, ChatID: chatID, Text: HTMLMsg(b.def, lang, "admin_refused")}}
		}, m.From.LanguageCode), nil, true
	}
	cmd = &AdminCommand{UserID: m.From.ID, ChatID: m.Chat.ID, Name: name, Arg: strings.TrimSpace(m.CommandArguments())}
	hint := m.From.LanguageCode
	return func(s survey.Session, c ChatState) (Result, error) {
		// The language is the user's, known once their session is loaded;
		// the command is handed over after this commit.
		cmd.Lang = b.language(s, hint)
		return Result{Session: s, Chat: c}, nil
	}, cmd, true
}

// runAdmin carries out privileged commands handed over by finish, one at
// a time, until ctx is done.
func (b *Bot) runAdmin(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case cmd := <-b.admin:
			b.opts.Admin.Do(ctx, cmd)
		}
	}
}

// SetAdminCommands registers, for each admin's and researcher's private
// chat, a menu of the respondent commands followed by the privileged ones
// they may use (BotCommandScopeChat), in every language SetCommands uses.
func (b *Bot) SetAdminCommands(admins, researchers []int64) error {
	roles := map[int64]Role{}
	for _, id := range admins {
		r := roles[id]
		r.Admin = true
		roles[id] = r
	}
	for _, id := range researchers {
		r := roles[id]
		r.Researcher = true
		roles[id] = r
	}
	for id, r := range roles {
		for _, lang := range menuLanguages(b.def) {
			cmds := make([]tgbotapi.BotCommand, 0, len(respondentCommands)+len(adminCommands))
			for _, name := range respondentCommands {
				cmds = append(cmds, tgbotapi.BotCommand{Command: name, Description: b.def.Msg(lang.survey, "command_"+name)})
			}
			for _, c := range adminCommands {
				if c.researcher && r.Researcher || !c.researcher && r.Admin {
					cmds = append(cmds, tgbotapi.BotCommand{Command: c.name, Description: b.def.Msg(lang.survey, "admin_command_"+c.name)})
				}
			}
			req := tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeChat(id), lang.telegram, cmds...)
			if _, err := b.api.Request(req); err != nil {
				return fmt.Errorf("set the admin command menu of chat %d (language %q): %w", id, lang.telegram, err)
			}
		}
	}
	return nil
}
