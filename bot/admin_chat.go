package bot

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
	"toolmap/survey/report"
)

// Office is what the privileged chat commands read and do beyond the
// chat: the live counts, the digest, and the export. Package jobs
// implements it over the store.
type Office interface {
	// Stats returns the live counts, the week's by now.
	Stats(now time.Time) (OfficeStats, error)
	// Digest builds period's digest and its chart (nil without one).
	Digest(period report.Period) (Digest, []byte, error)
	// Repost posts period's digest to the channel whatever its record
	// says, and says in lang what happened; ErrNoChannel without a channel.
	Repost(ctx context.Context, period report.Period, lang string) (string, error)
	// Export writes the pseudonymised ZIP to w and returns how many
	// completed responses it holds; an error matching ErrNoStudyKey says
	// why there is no key.
	Export(ctx context.Context, w io.Writer, now time.Time) (completed int, err error)
}

// OfficeStats are the live counts /stats shows.
type OfficeStats struct {
	Started, Finished, FinishedThisWeek, Outbox int
}

// Errors an Office returns that the commands answer in their own words.
var (
	ErrNoChannel  = errors.New("no digest channel")
	ErrNoStudyKey = errors.New("no study key")
)

// Queue takes messages for the outbox: the admin commands' text replies
// go through it like every other message. The store implements it.
type Queue interface {
	Enqueue(msgs ...Outgoing) error
}

// ChatAdmin carries out the privileged chat commands (Admin): admins'
// /digest, /stats and /digest_resend, researchers' /export. Text replies
// go through the outbox; the chart and the export are uploads, sent
// directly.
type ChatAdmin struct {
	api         *tgbotapi.BotAPI
	def         *survey.Definition // the words of the replies (its messages)
	office      Office
	queue       Queue
	waker       Waker
	admins      []int64
	researchers []int64
	loc         *time.Location // where weeks are counted
	log         *slog.Logger
	now         func() time.Time
}

var _ Admin = (*ChatAdmin)(nil)

// ChatAdminOptions configure a ChatAdmin. Nil fields take defaults:
// UTC, a discarding logger, time.Now.
type ChatAdminOptions struct {
	Survey      *survey.Definition // whose messages the replies use; nil: the built-in ones
	Admins      []int64            // Telegram user ids of the admins
	Researchers []int64            // Telegram user ids allowed /export
	Location    *time.Location
	Logger      *slog.Logger
	Now         func() time.Time
}

// NewChatAdmin returns the privileged commands, answering through c
// (uploads), queue and waker (text replies), with office's data.
func NewChatAdmin(c *Conn, office Office, queue Queue, waker Waker, o ChatAdminOptions) *ChatAdmin {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &ChatAdmin{api: c.uploads(), def: o.Survey, office: office, queue: queue, waker: waker, admins: o.Admins, researchers: o.Researchers,
		loc: o.Location, log: o.Logger, now: o.Now}
}

// Role returns what userID may do, from the admins and researchers.
func (a *ChatAdmin) Role(userID int64) Role {
	return Role{Admin: slices.Contains(a.admins, userID), Researcher: slices.Contains(a.researchers, userID)}
}

// Do carries out cmd. Failures are told to the user and logged (the class
// and user id, never message text).
func (a *ChatAdmin) Do(ctx context.Context, cmd AdminCommand) {
	var err error
	switch cmd.Name {
	case "digest":
		err = a.preview(cmd.ChatID, cmd.Lang)
	case "stats":
		err = a.stats(cmd.ChatID, cmd.Lang)
	case "digest_resend":
		err = a.resend(ctx, cmd.ChatID, cmd.Lang, cmd.Arg)
	case "export":
		err = a.export(ctx, cmd.ChatID, cmd.Lang)
	}
	if err != nil {
		a.log.Error("admin command failed", "command", cmd.Name, "user_id", cmd.UserID, "err", err)
		a.reply(cmd.ChatID, HTMLMsg(a.def, cmd.Lang, "admin_failed", "error", err.Error()))
	}
}

// reply queues HTML messages to chatID.
func (a *ChatAdmin) reply(chatID int64, text ...string) {
	msgs := make([]Outgoing, len(text))
	for i, t := range text {
		msgs[i] = Outgoing{Kind: OutSend, ChatID: chatID, Text: t}
	}
	if err := a.queue.Enqueue(msgs...); err != nil {
		a.log.Error("queueing an admin reply failed", "chat_id", chatID, "err", err)
		return
	}
	if a.waker != nil {
		a.waker.Wake()
	}
}

// preview sends the current week's digest, chart first, to chatID.
func (a *ChatAdmin) preview(chatID int64, lang string) error {
	period := report.PeriodOf(a.now(), a.loc)
	d, png, err := a.office.Digest(period)
	if err != nil {
		return err
	}
	if png != nil {
		ph := tgbotapi.NewPhoto(chatID, tgbotapi.FileBytes{Name: "digest-" + period.String() + ".png", Bytes: png})
		ph.Caption = d.Caption
		if _, err := a.api.Send(ph); err != nil {
			return fmt.Errorf("send the chart: %s", DescribeAPIError(err))
		}
	}
	head := HTMLMsg(a.def, lang, "admin_preview", "period", period.String())
	a.reply(chatID, append([]string{head}, d.Parts...)...)
	return nil
}

// stats sends live counts.
func (a *ChatAdmin) stats(chatID int64, lang string) error {
	now := a.now()
	st, err := a.office.Stats(now)
	if err != nil {
		return err
	}
	a.reply(chatID, HTMLMsg(a.def, lang, "admin_stats", "started", strconv.Itoa(st.Started), "finished", strconv.Itoa(st.Finished),
		"period", report.PeriodOf(now, a.loc).String(), "week", strconv.Itoa(st.FinishedThisWeek), "waiting", strconv.Itoa(st.Outbox)))
	return nil
}

// resend re-posts a period's digest whatever its record says.
func (a *ChatAdmin) resend(ctx context.Context, chatID int64, lang, arg string) error {
	if arg == "" {
		last := report.PeriodOf(a.now(), a.loc).Prev()
		a.reply(chatID, HTMLMsg(a.def, lang, "admin_resend_which", "period", last.String()))
		return nil
	}
	period, err := report.ParsePeriod(arg)
	if err != nil {
		a.reply(chatID, HTMLMsg(a.def, lang, "admin_bad_week", "week", arg, "error", err.Error()))
		return nil
	}
	said, err := a.office.Repost(ctx, period, lang)
	if errors.Is(err, ErrNoChannel) {
		a.reply(chatID, HTMLMsg(a.def, lang, "admin_no_channel"))
		return nil
	}
	if err != nil {
		return err
	}
	a.reply(chatID, html.EscapeString(said))
	return nil
}

// maxChatUpload is the largest document a bot may send (TELEGRAM.md §2).
const maxChatUpload = 50 << 20

// export sends the pseudonymised ZIP as a protected document.
func (a *ChatAdmin) export(ctx context.Context, chatID int64, lang string) error {
	f, err := os.CreateTemp("", "toolmap-export-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	now := a.now().UTC()
	completed, err := a.office.Export(ctx, f, now)
	if errors.Is(err, ErrNoStudyKey) {
		a.reply(chatID, HTMLMsg(a.def, lang, "admin_export_no_key", "reason", err.Error()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if size > maxChatUpload {
		a.reply(chatID, HTMLMsg(a.def, lang, "admin_export_too_big", "mb", strconv.FormatInt(size>>20, 10)))
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	name := "toolmap-export-" + now.Format("2006-01-02") + ".zip"
	params := tgbotapi.Params{
		"chat_id":         fmt.Sprint(chatID),
		"protect_content": "true",
		"caption":         a.def.Msg(lang, "admin_export_caption", "n", strconv.Itoa(completed)),
	}
	_, err = a.api.UploadFiles("sendDocument", params, []tgbotapi.RequestFile{{Name: "document", Data: tgbotapi.FileReader{Name: name, Reader: f}}})
	if err != nil {
		return fmt.Errorf("send the export: %s", DescribeAPIError(err))
	}
	a.log.Info("export sent in chat", "chat_id", chatID, "completed", completed)
	return nil
}
