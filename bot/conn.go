package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Conn is the bot's connection to the Bot API, as three clients: one for
// the update loop, whose requests shutdown cuts off (a long poll must not
// hold it up), one for the sender and one for posts and uploads, whose
// requests are not cut off: a message or post in flight when a stop is
// asked for finishes and is recorded, instead of being sent again after
// the restart. The clients' errors never carry the token.
type Conn struct {
	api    *tgbotapi.BotAPI // the update loop's
	send   *tgbotapi.BotAPI // the sender's
	upload *tgbotapi.BotAPI // digest posts, charts, exports
	// endpoint is the Bot API URL pattern (tgbotapi's, which it keeps to
	// itself), for the few requests made without it.
	endpoint string
}

// ConnectOptions configure Dial and Connect. Zero fields take the
// defaults in brackets.
type ConnectOptions struct {
	APIURL         string        // the Bot API server [https://api.telegram.org]
	RequestTimeout time.Duration // bounds a request of the loop, a post or an upload [defaultHTTPTimeout]
	SendTimeout    time.Duration // bounds a request of the sender [15 s]
	// Transport, if set, wraps each client's transport (to time requests).
	Transport func(http.RoundTripper) http.RoundTripper
	Logger    *slog.Logger // for Connect's retries [discard]
}

var quietOnce sync.Once

// Dial makes the clients and checks the token with getMe, once. The
// loop's requests are bound to ctx.
func Dial(ctx context.Context, token Token, o ConnectOptions) (*Conn, error) {
	// tgbotapi logs only from code we do not use; keep it quiet anyway.
	quietOnce.Do(func() { _ = tgbotapi.SetLogger(quietLogger{}) })
	if o.APIURL == "" {
		o.APIURL = "https://api.telegram.org"
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 15 * time.Second
	}
	client := func(ctx context.Context, timeout time.Duration) *httpClient {
		var rt http.RoundTripper = newTransport()
		if o.Transport != nil {
			rt = o.Transport(rt)
		}
		return wrapHTTPClient(ctx, &http.Client{Transport: rt, Timeout: timeout})
	}
	endpoint := strings.TrimRight(o.APIURL, "/") + "/bot%s/%s"
	api, err := tgbotapi.NewBotAPIWithClient(string(token), endpoint, client(ctx, o.RequestTimeout))
	if err != nil {
		return nil, err
	}
	api.Debug = false
	send, upload := *api, *api
	send.Client = client(context.WithoutCancel(ctx), o.SendTimeout)
	upload.Client = client(context.WithoutCancel(ctx), o.RequestTimeout)
	return &Conn{api: api, send: &send, upload: &upload, endpoint: endpoint}, nil
}

// Connect is Dial, retried with backoff while Telegram cannot be reached;
// a rejected token fails at once. It returns nil, nil when ctx is
// cancelled first.
func Connect(ctx context.Context, token Token, o ConnectOptions) (*Conn, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wait := time.Second
	for {
		c, err := Dial(ctx, token, o)
		if err == nil {
			return c, nil
		}
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == 401 || te.Code == 404 || strings.Contains(te.Message, "Unauthorized") || strings.Contains(te.Message, "Not Found")) {
			return nil, fmt.Errorf("telegram rejected the bot token (%s): check %s, or get a new token from @BotFather", te.Message, TokenEnv)
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		log.Warn("cannot reach Telegram yet; retrying", "err", Redact(err, string(token)), "retry_in", wait)
		if !sleepCtx(ctx, wait) {
			return nil, nil
		}
		wait = min(wait*2, time.Minute)
	}
}

// Username is the bot's username, as getMe said.
func (c *Conn) Username() string { return c.api.Self.UserName }

// loop, sender and uploads return the clients; nil for a nil Conn (tests
// of parts that make no request).
func (c *Conn) loop() *tgbotapi.BotAPI {
	if c == nil {
		return nil
	}
	return c.api
}

func (c *Conn) sender() *tgbotapi.BotAPI {
	if c == nil {
		return nil
	}
	return c.send
}

func (c *Conn) uploads() *tgbotapi.BotAPI {
	if c == nil {
		return nil
	}
	return c.upload
}

type quietLogger struct{}

func (quietLogger) Println(...any)        {}
func (quietLogger) Printf(string, ...any) {}
