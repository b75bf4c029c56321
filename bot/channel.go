package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Posting the digest to the coordinators' channel (TELEGRAM.md §6). The
// posts go directly through the Bot API, not the outbox: each period is
// posted at most once, and the caller's bookkeeping (package jobs, with
// the store's digest records) brackets the sends. Telegram sends carry no
// idempotency key, so what a failed send means is told apart here: a
// refusal (nothing was posted, a later attempt may post) from an unknown
// outcome (it may have gone out: never post again by itself).

// Channel is a chat the bot posts to, as written in the config: "@name"
// for a public channel or group, or its numeric id ("-100…").
type Channel string

var channelNamePattern = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)

// ParseChannel checks s as a Channel; "" is no channel.
func ParseChannel(s string) (Channel, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", nil
	case strings.HasPrefix(s, "@"):
		if !channelNamePattern.MatchString(s) {
			return "", fmt.Errorf("%q is not a channel name: @ then 4 to 32 letters, digits or _", s)
		}
	default:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id >= 0 {
			return "", fmt.Errorf("%q is neither @channelname nor a channel id such as -1001234567890", s)
		}
	}
	return Channel(s), nil
}

// ID returns the numeric id, or 0 for an @name.
func (c Channel) ID() int64 {
	id, _ := strconv.ParseInt(string(c), 10, 64)
	return id
}

// Name returns the @name, or "" for a numeric id.
func (c Channel) Name() string {
	if strings.HasPrefix(string(c), "@") {
		return string(c)
	}
	return ""
}

// Link is the public link of a channel given as @name, or "" for a
// numeric id (a private channel has no public link to offer).
func (c Channel) Link() string {
	if name, ok := strings.CutPrefix(string(c), "@"); ok && name != "" {
		return "https://t.me/" + name
	}
	return ""
}

// CheckChannel makes sure the channel exists and the bot may post there:
// an administrator allowed to post in a channel, a member in a group. It
// is called at start-up, so that a mistake shows then and not on Monday.
func CheckChannel(c *Conn, ch Channel) error {
	api := c.loop()
	fix := fmt.Sprintf("add the bot (@%s) to the channel %s as an administrator allowed to post messages (channel → Administrators → Add Admin), or correct digest.channel, or leave digest.channel empty to post no digest", api.Self.UserName, ch)
	cc := tgbotapi.ChatConfig{ChatID: ch.ID(), SuperGroupUsername: ch.Name()}
	chat, err := api.GetChat(tgbotapi.ChatInfoConfig{ChatConfig: cc})
	if err != nil {
		return fmt.Errorf("digest.channel %s: Telegram cannot find it (%v): %s", ch, DescribeAPIError(err), fix)
	}
	m, err := api.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{
		ChatID: chat.ID, UserID: api.Self.ID}})
	if err != nil {
		return fmt.Errorf("digest.channel %s: the bot cannot see its own membership (%v): %s", ch, DescribeAPIError(err), fix)
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

// ChannelPost is what became of posting a digest to a channel.
type ChannelPost struct {
	MessageIDs []int // the parts posted, in order (also of a partial post)
	// Refused: Telegram refused a part (400, 403, 429), so it and the
	// parts after it were not posted; a later attempt may post.
	Refused bool
	// Unknown: a part may or may not have gone out (a transport error, a
	// timeout, a 5xx): it must not be posted again by itself.
	Unknown bool
	Reason  string // why not posted, for the record and the admins; never more than Telegram's description
}

// ChannelPoster posts digests to one channel.
type ChannelPoster struct {
	api     *tgbotapi.BotAPI
	channel Channel
	gap     time.Duration
}

// NewChannelPoster returns a poster to channel through c, pausing gap
// between the parts of a post: a second keeps to about one message a
// second in a chat (TELEGRAM.md §2). A post once begun finishes, even at
// shutdown, and is recorded.
func NewChannelPoster(c *Conn, channel Channel, gap time.Duration) *ChannelPoster {
	return &ChannelPoster{api: c.uploads(), channel: channel, gap: gap}
}

// Channel returns the channel it posts to.
func (p *ChannelPoster) Channel() Channel { return p.channel }

// Post posts the chart (if any, with the caption) and the parts of d,
// stopping at the first failure. name names the chart file. A post once
// begun is finished (ctx only stops one not begun), so that it is not
// left half posted.
func (p *ChannelPoster) Post(ctx context.Context, d Digest, chart []byte, name string) ChannelPost {
	if ctx.Err() != nil {
		return ChannelPost{Refused: true, Reason: "stopping"}
	}
	base := func() tgbotapi.BaseChat {
		return tgbotapi.BaseChat{ChatID: p.channel.ID(), ChannelUsername: p.channel.Name()}
	}
	var sends []tgbotapi.Chattable
	if chart != nil {
		ph := tgbotapi.PhotoConfig{BaseFile: tgbotapi.BaseFile{BaseChat: base(), File: tgbotapi.FileBytes{Name: name, Bytes: chart}}}
		ph.Caption = d.Caption
		sends = append(sends, ph)
	}
	for _, part := range d.Parts {
		sends = append(sends, tgbotapi.MessageConfig{BaseChat: base(), Text: part,
			ParseMode: tgbotapi.ModeHTML, DisableWebPagePreview: true})
	}
	var out ChannelPost
	for i, c := range sends {
		if i > 0 {
			time.Sleep(p.gap) // not cut short by ctx, as said above
		}
		m, err := p.api.Send(c)
		if err != nil {
			out.Refused, out.Reason = classifySendError(err)
			out.Unknown = !out.Refused
			return out
		}
		out.MessageIDs = append(out.MessageIDs, m.MessageID)
	}
	return out
}

// classifySendError tells a refusal (nothing posted) from an unknown
// outcome, and names the error's class for the record and logs; never
// its text beyond Telegram's own description.
func classifySendError(err error) (refused bool, reason string) {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		switch {
		case te.Code >= 500:
		case te.Code >= 400 || te.RetryAfter > 0:
			return true, fmt.Sprintf("Telegram answered %d %s", te.Code, te.Message)
		case te.Code == 0 && !looks5xx(te.Message):
			// Uploads (sendPhoto) carry no code: it was still Telegram's refusal.
			return true, "Telegram answered: " + te.Message
		}
		return false, "Telegram answered with a server error: " + te.Message
	}
	return false, "the connection to Telegram failed mid-send (" + errClassOf(err) + ")"
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

// DescribeAPIError is Telegram's description of err, or its class: never
// the error's text, which may hold the URL and so the token.
func DescribeAPIError(err error) string {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		return te.Message
	}
	return errClassOf(err)
}
