package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
)

// Posting the digest to the channel (TELEGRAM.md §6). The posts go
// directly through the Bot API, not the outbox: each period is posted at
// most once, and the store's digest record (BeginDigest, EndDigest) is the
// bookkeeping around the sends. A crash between the sends and their record
// leaves the period ambiguous: it is not posted again, and the admins are
// told in private chat, through the outbox, how to re-post it.

// Outcomes of digestPoster.Post.
const (
	outcomeSent        = "sent"         // posted now
	outcomeAlreadySent = "already_sent" // posted before: nothing to do
	outcomeHeld        = "held"         // ambiguous, waiting for /digest_resend
	outcomeAmbiguous   = "ambiguous"    // may or may not have gone out: admins told
	outcomeFailed      = "failed"       // Telegram refused: a later attempt tries again
)

// postOutcome is what an attempt to post did.
type postOutcome struct {
	Period     string `json:"period"`
	Outcome    string `json:"outcome"`
	MessageIDs []int  `json:"message_ids,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// String says what happened, for the command line and admins.
func (o postOutcome) String() string {
	switch o.Outcome {
	case outcomeSent:
		return fmt.Sprintf("The digest for %s was posted (%d messages).", o.Period, len(o.MessageIDs))
	case outcomeAlreadySent:
		return fmt.Sprintf("The digest for %s was posted before; nothing was posted again.", o.Period)
	case outcomeHeld:
		return fmt.Sprintf("The digest for %s may or may not have been posted (%s). Check the channel; to post it again send /digest_resend %s to the bot.", o.Period, o.Reason, o.Period)
	case outcomeAmbiguous:
		return fmt.Sprintf("The digest for %s may or may not have been posted (%s); the admins were told. Check the channel; to post it again send /digest_resend %s to the bot.", o.Period, o.Reason, o.Period)
	}
	return fmt.Sprintf("Telegram refused the digest for %s (%s); the next attempt tries again.", o.Period, o.Reason)
}

// digestPoster posts digests to the channel. One attempt at a time: the
// cron job, the catch-up, the admin endpoint and /digest_resend share it.
type digestPoster struct {
	db      *store.DB
	api     *tgbotapi.BotAPI
	def     *survey.Definition
	dc      DigestConfig
	loc     *time.Location
	admins  []int64
	waker   bot.Waker // told when alerts are queued
	log     *slog.Logger
	now     func() time.Time
	mu      sync.Mutex
	channel ChatRef
	// gap is the pause between the parts of a post: about one message a
	// second in a chat (TELEGRAM.md §2). Tests shorten it.
	gap time.Duration
}

func newDigestPoster(db *store.DB, api *tgbotapi.BotAPI, def *survey.Definition, cfg Config, waker bot.Waker, log *slog.Logger, now func() time.Time) *digestPoster {
	loc, err := time.LoadLocation(cfg.Digest.Timezone)
	if err != nil { // checked with the config
		loc = time.UTC
	}
	if now == nil {
		now = time.Now
	}
	return &digestPoster{db: db, api: api, def: def, dc: cfg.Digest, loc: loc, admins: cfg.Admin.Users,
		waker: waker, log: log, now: now, channel: cfg.Digest.Channel, gap: time.Second}
}

// render builds period's digest: its messages and chart (nil when there
// is nothing to chart).
func (p *digestPoster) render(period report.Period) (bot.Digest, []byte, error) {
	return renderDigest(p.db, p.def, p.dc, p.loc, period)
}

func renderDigest(db digestDB, def *survey.Definition, dc DigestConfig, loc *time.Location, period report.Period) (bot.Digest, []byte, error) {
	// No filters: the digest shows all groups only.
	r, err := buildDigestReport(db, def, period, &report.Options{Location: loc, MinCount: dc.MinCount, Filters: []string{}})
	if err != nil {
		return bot.Digest{}, nil, err
	}
	d := bot.RenderDigest(def, r, &bot.DigestOptions{Language: dc.Language})
	png, err := bot.DigestChart(def, r, dc.Language)
	if err != nil {
		return bot.Digest{}, nil, err
	}
	return d, png, nil
}

// Post posts period's digest to the channel unless its record says it was
// posted (or may have been); force re-posts whatever the record says, as
// /digest_resend does. It returns an error only when nothing was tried
// (no channel, a database failure).
func (p *digestPoster) Post(ctx context.Context, period report.Period, force bool) (postOutcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := postOutcome{Period: period.String()}
	if p.channel == "" {
		return out, errors.New("no channel to post to: set digest.channel in the config")
	}
	var (
		action store.DigestAction
		rec    store.DigestRecord
	)
	err := p.db.Update(func(tx *store.Tx) error {
		now := p.now()
		if force {
			action = store.DigestPost
			return tx.ForceDigest(out.Period, now)
		}
		var err error
		if action, err = tx.BeginDigest(out.Period, now); err != nil {
			return err
		}
		if rec, _, err = tx.Digest(out.Period); err != nil {
			return err
		}
		if action == store.DigestMarkedAmbiguous {
			return p.alert(tx, out.Period, rec.Reason)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	switch action {
	case store.DigestSkip:
		out.Outcome, out.MessageIDs = outcomeAlreadySent, rec.MessageIDs
		return out, nil
	case store.DigestHeld:
		out.Outcome, out.Reason = outcomeHeld, rec.Reason
		return out, nil
	case store.DigestMarkedAmbiguous:
		out.Outcome, out.Reason = outcomeAmbiguous, rec.Reason
		p.wake()
		p.log.Warn("digest ambiguous: an earlier attempt was cut off; admins told", "period", out.Period)
		return out, nil
	}

	ids, state, reason := p.send(ctx, period)
	out.MessageIDs, out.Reason = ids, reason
	err = p.db.Update(func(tx *store.Tx) error {
		if err := tx.EndDigest(out.Period, state, ids, reason, p.now()); err != nil {
			return err
		}
		if state == store.DigestAmbiguous {
			return p.alert(tx, out.Period, reason)
		}
		return nil
	})
	if err != nil {
		// The record stays pending: the next attempt takes it for a crash
		// and holds the period, which is right (the sends happened).
		return out, fmt.Errorf("record the digest of %s: %w", out.Period, err)
	}
	switch state {
	case store.DigestSent:
		out.Outcome = outcomeSent
		p.log.Info("digest posted", "period", out.Period, "messages", len(ids))
	case store.DigestAmbiguous:
		out.Outcome = outcomeAmbiguous
		p.wake()
		p.log.Warn("digest ambiguous; admins told", "period", out.Period, "class", reason)
	default:
		out.Outcome = outcomeFailed
		p.log.Warn("digest refused by Telegram", "period", out.Period, "class", reason)
	}
	return out, nil
}

// send posts the chart (if any) and the messages, stopping at the first
// failure. A refusal from Telegram means that part was not posted
// (failed); a transport error, a timeout or a 5xx leaves it unknown
// (ambiguous).
func (p *digestPoster) send(ctx context.Context, period report.Period) (ids []int, _ store.DigestState, reason string) {
	d, png, err := p.render(period)
	if err != nil {
		return nil, store.DigestFailed, "building the digest failed: " + err.Error()
	}
	if ctx.Err() != nil {
		return nil, store.DigestFailed, "stopping"
	}
	var sends []tgbotapi.Chattable
	if png != nil {
		ph := tgbotapi.PhotoConfig{BaseFile: tgbotapi.BaseFile{
			BaseChat: p.baseChat(), File: tgbotapi.FileBytes{Name: "digest-" + period.String() + ".png", Bytes: png}}}
		ph.Caption = d.Caption
		sends = append(sends, ph)
	}
	for _, part := range d.Parts {
		sends = append(sends, tgbotapi.MessageConfig{BaseChat: p.baseChat(), Text: part,
			ParseMode: tgbotapi.ModeHTML, DisableWebPagePreview: true})
	}
	for i, c := range sends {
		if i > 0 {
			// Not cut short by ctx: a post once begun is finished, so
			// that it is not left half posted.
			time.Sleep(p.gap)
		}
		m, err := p.api.Send(c)
		if err != nil {
			state, class := classifySendError(err)
			return ids, state, class
		}
		ids = append(ids, m.MessageID)
	}
	return ids, store.DigestSent, ""
}

func (p *digestPoster) baseChat() tgbotapi.BaseChat {
	return tgbotapi.BaseChat{ChatID: p.channel.ID(), ChannelUsername: p.channel.Name()}
}

// classifySendError tells a refusal (nothing posted) from an unknown
// outcome, and names the error's class for the record and logs; never
// its text beyond Telegram's own description.
func classifySendError(err error) (store.DigestState, string) {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		switch {
		case te.Code >= 500:
		case te.Code >= 400 || te.RetryAfter > 0:
			return store.DigestFailed, fmt.Sprintf("Telegram answered %d %s", te.Code, te.Message)
		case te.Code == 0 && !looks5xx(te.Message):
			// Uploads (sendPhoto) carry no code: it was still Telegram's refusal.
			return store.DigestFailed, "Telegram answered: " + te.Message
		}
		return store.DigestAmbiguous, "Telegram answered with a server error: " + te.Message
	}
	return store.DigestAmbiguous, "the connection to Telegram failed mid-send (" + errClassOf(err) + ")"
}

func looks5xx(msg string) bool {
	for _, s := range []string{"Internal Server Error", "Bad Gateway", "Service Unavailable", "Gateway Timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// errClassOf names a transport error without its text (which may hold the
// URL): a timeout or another failure.
func errClassOf(err error) string {
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if strings.Contains(err.Error(), "invalid character") {
		return "bad response"
	}
	return "transport error"
}

// alert queues, in tx, a private message to each admin about an ambiguous
// period, with the command that re-posts it.
func (p *digestPoster) alert(tx *store.Tx, period, reason string) error {
	if len(p.admins) == 0 {
		p.log.Warn("digest ambiguous and no admin to tell: set admin.users", "period", period)
	}
	text := fmt.Sprintf("⚠️ <b>The digest for %s may or may not have reached %s.</b>\n%s\n\n"+
		"It will not be posted again by itself. Check the channel; if it is missing, send\n<code>/digest_resend %s</code>",
		html.EscapeString(period), html.EscapeString(string(p.channel)), html.EscapeString(reason), html.EscapeString(period))
	for _, id := range p.admins {
		payload, err := json.Marshal(bot.Outgoing{Kind: bot.OutSend, ChatID: id, Text: text})
		if err != nil {
			return err
		}
		if _, err := tx.Enqueue(id, payload); err != nil {
			return err
		}
	}
	return nil
}

func (p *digestPoster) wake() {
	if p.waker != nil {
		p.waker.Wake()
	}
}

// checkChannel makes sure the channel exists and the bot may post there:
// an administrator allowed to post in a channel, a member in a group. It
// is called at start-up, so that a mistake shows then and not on Monday.
func checkChannel(api *tgbotapi.BotAPI, ch ChatRef) error {
	fix := fmt.Sprintf("add the bot (@%s) to the channel %s as an administrator allowed to post messages (channel → Administrators → Add Admin), or correct digest.channel, or leave digest.channel empty to post no digest", api.Self.UserName, ch)
	cc := tgbotapi.ChatConfig{ChatID: ch.ID(), SuperGroupUsername: ch.Name()}
	chat, err := api.GetChat(tgbotapi.ChatInfoConfig{ChatConfig: cc})
	if err != nil {
		return fmt.Errorf("digest.channel %s: Telegram cannot find it (%v): %s", ch, describeAPIError(err), fix)
	}
	m, err := api.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{
		ChatID: chat.ID, UserID: api.Self.ID}})
	if err != nil {
		return fmt.Errorf("digest.channel %s: the bot cannot see its own membership (%v): %s", ch, describeAPIError(err), fix)
	}
	switch {
	case chat.Type == "channel" && (m.Status == "creator" || m.Status == "administrator" && m.CanPostMessages):
		return nil
	case chat.Type == "channel" && m.Status == "administrator":
		return fmt.Errorf("digest.channel %s: the bot is an administrator but may not post messages: give it the right \"Post messages\"", ch)
	case chat.Type == "channel":
		return fmt.Errorf("digest.channel %s: the bot is %q there, not an administrator: %s", ch, m.Status, fix)
	case chat.Type == "group" || chat.Type == "supergroup":
		if m.Status == "creator" || m.Status == "administrator" || m.Status == "member" {
			return nil
		}
		return fmt.Errorf("digest.channel %s: the bot is %q in this group, not a member: add it to the group", ch, m.Status)
	}
	return fmt.Errorf("digest.channel %s: is a %s chat, not a channel or group: %s", ch, chat.Type, fix)
}

// describeAPIError is Telegram's description of err, or its class.
func describeAPIError(err error) string {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Message
	}
	return errClassOf(err)
}
