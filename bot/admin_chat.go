package main

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
	"toolmap/survey/report"
)

// problems lists admin settings that cannot work.
func (c AdminConfig) problems() []string {
	var out []string
	for _, l := range []struct {
		key string
		ids []int64
	}{{"admin.users", c.Users}, {"admin.researchers", c.Researchers}} {
		for _, id := range l.ids {
			if id <= 0 {
				out = append(out, fmt.Sprintf("%s: %d is not a Telegram user id (a positive number; ask @userinfobot for yours)", l.key, id))
			}
		}
	}
	return out
}

// chatAdmin carries out the privileged chat commands (bot.Admin): admins'
// /digest, /stats and /digest_resend, researchers' /export. Text replies go
// through the outbox like every other message; the chart and the export
// are uploads, sent directly.
type chatAdmin struct {
	db          *store.DB
	api         *tgbotapi.BotAPI
	def         *survey.Definition
	dc          DigestConfig
	loc         *time.Location
	poster      *digestPoster
	waker       bot.Waker
	admins      []int64
	researchers []int64
	studyKey    []byte
	keyErr      error // why there is no study key
	log         *slog.Logger
	now         func() time.Time
}

var _ bot.Admin = (*chatAdmin)(nil)

// Role returns what userID may do, from admin.users and admin.researchers.
func (a *chatAdmin) Role(userID int64) bot.Role {
	return bot.Role{Admin: slices.Contains(a.admins, userID), Researcher: slices.Contains(a.researchers, userID)}
}

// Do carries out cmd. Failures are told to the user and logged (the class
// and user id, never message text).
func (a *chatAdmin) Do(ctx context.Context, cmd bot.AdminCommand) {
	var err error
	switch cmd.Name {
	case "digest":
		err = a.preview(cmd.ChatID)
	case "stats":
		err = a.stats(cmd.ChatID)
	case "digest_resend":
		err = a.resend(ctx, cmd.ChatID, cmd.Arg)
	case "export":
		err = a.export(ctx, cmd.ChatID)
	}
	if err != nil {
		a.log.Error("admin command failed", "command", cmd.Name, "user_id", cmd.UserID, "err", err)
		a.reply(cmd.ChatID, "⚠️ That did not work: "+html.EscapeString(err.Error()))
	}
}

// reply queues an HTML message to chatID.
func (a *chatAdmin) reply(chatID int64, text ...string) {
	msgs := make([]bot.Outgoing, len(text))
	for i, t := range text {
		msgs[i] = bot.Outgoing{Kind: bot.OutSend, ChatID: chatID, Text: t}
	}
	err := a.db.Enqueue(msgs...)
	if err != nil {
		a.log.Error("queueing an admin reply failed", "chat_id", chatID, "err", err)
		return
	}
	if a.waker != nil {
		a.waker.Wake()
	}
}

// preview sends the current week's digest, chart first, to chatID.
func (a *chatAdmin) preview(chatID int64) error {
	period := report.PeriodOf(a.now(), a.loc)
	d, png, err := renderDigest(a.db, a.def, a.dc, a.loc, period)
	if err != nil {
		return err
	}
	if png != nil {
		ph := tgbotapi.NewPhoto(chatID, tgbotapi.FileBytes{Name: "digest-" + period.String() + ".png", Bytes: png})
		ph.Caption = d.Caption
		if _, err := a.api.Send(ph); err != nil {
			return fmt.Errorf("send the chart: %s", describeAPIError(err))
		}
	}
	head := fmt.Sprintf("👀 <i>Preview of the digest for %s, so far; nothing was posted.</i>", period)
	a.reply(chatID, append([]string{head}, d.Parts...)...)
	return nil
}

// stats sends live counts.
func (a *chatAdmin) stats(chatID int64) error {
	from, to := report.PeriodOf(a.now(), a.loc).Bounds(a.loc)
	started, err := a.db.CountStarted(time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	finished, err := a.db.CountResponses(time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	week, err := a.db.CountResponses(from, to)
	if err != nil {
		return err
	}
	depth, err := a.db.OutboxLen()
	if err != nil {
		return err
	}
	a.reply(chatID, fmt.Sprintf("<b>toolmap now</b>\nStarted: %d\nFinished: %d\nFinished this week (%s): %d\nMessages waiting to be sent: %d",
		started, finished, report.PeriodOf(a.now(), a.loc), week, depth))
	return nil
}

// resend re-posts a period's digest whatever its record says.
func (a *chatAdmin) resend(ctx context.Context, chatID int64, arg string) error {
	if arg == "" {
		a.reply(chatID, "Which week? For example: <code>/digest_resend "+html.EscapeString(slotPeriod(a.now(), a.loc).String())+"</code>")
		return nil
	}
	if a.poster == nil {
		a.reply(chatID, "⚠️ There is no channel to post to: set digest.channel in the config and restart the bot.")
		return nil
	}
	period, err := report.ParsePeriod(arg)
	if err != nil {
		a.reply(chatID, "⚠️ "+html.EscapeString(fmt.Sprintf("%q is not a week such as 2026-W47: %v", arg, err)))
		return nil
	}
	out, err := a.poster.Post(ctx, period, true)
	if err != nil {
		return err
	}
	a.reply(chatID, html.EscapeString(out.String()))
	return nil
}

// maxChatUpload is the largest document a bot may send (TELEGRAM.md §2).
const maxChatUpload = 50 << 20

// export sends the pseudonymised ZIP as a protected document.
func (a *chatAdmin) export(ctx context.Context, chatID int64) error {
	if a.studyKey == nil {
		a.reply(chatID, "⚠️ No export: the bot has no study key. "+html.EscapeString(fmt.Sprint(a.keyErr))+
			". Set it for the running bot and restart it, or export on the server with <code>toolmap export</code>.")
		return nil
	}
	f, err := os.CreateTemp("", "toolmap-export-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	now := a.now().UTC()
	stats, err := exportTo(ctx, a.db, f, exportOptions{
		Defs: []*survey.Definition{a.def}, Key: a.studyKey, Format: export.FormatZip,
		Now: now, Spool: tempSpool(os.TempDir()),
	})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if size > maxChatUpload {
		a.reply(chatID, fmt.Sprintf("⚠️ The export is %d MB, over Telegram's 50 MB limit for bots. Export on the server with <code>toolmap export</code> instead.", size>>20))
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := "toolmap-export-" + now.Format("2006-01-02") + ".zip"
	params := tgbotapi.Params{
		"chat_id":         fmt.Sprint(chatID),
		"protect_content": "true",
		"caption":         fmt.Sprintf("%d completed responses, pseudonymised. Do not forward.", stats.Completed),
	}
	_, err = a.api.UploadFiles("sendDocument", params, []tgbotapi.RequestFile{{Name: "document", Data: tgbotapi.FileReader{Name: name, Reader: f}}})
	if err != nil {
		return fmt.Errorf("send the export: %s", describeAPIError(err))
	}
	a.log.Info("export sent in chat", "chat_id", chatID, "completed", stats.Completed)
	return nil
}
