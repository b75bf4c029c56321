package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"path"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// TokenEnv is the environment variable holding the bot token.
const TokenEnv = "TOOLMAP_TELEGRAM_TOKEN"

// Token is a bot token. It formats, logs and marshals as a placeholder;
// pass string(t) only to tgbotapi.
type Token string

const redactedMark = "[redacted]"

func (Token) String() string               { return redactedMark }
func (Token) GoString() string             { return redactedMark } // %#v too
func (Token) LogValue() slog.Value         { return slog.StringValue(redactedMark) }
func (Token) MarshalText() ([]byte, error) { return []byte(redactedMark), nil } // JSON, YAML, ...

// Format covers the verbs String does not (%d, %x on a struct field, ...).
func (Token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redactedMark) }

// defaultHTTPTimeout bounds one Bot API request: above the 30 s long poll
// of getUpdates, so that a dead TCP connection cannot block forever.
const defaultHTTPTimeout = 45 * time.Second

// httpClient is the http.Client toolmap gives tgbotapi.NewBotAPIWithClient.
// Every request carries the client's context, so cancelling it aborts
// requests in flight (long polls included), and no error it returns
// contains the request URL, which embeds the token: a transport error reads
// "post getUpdates: dial tcp 127.0.0.1:443: connect: connection refused",
// never the *url.Error text `Post "https://api.telegram.org/bot<token>/…"`.
type httpClient struct {
	// ctx is the one context kept in a struct: tgbotapi.HTTPClient.Do fixes
	// the signature, so it cannot be passed per call.
	ctx context.Context
	hc  *http.Client
}

var _ tgbotapi.HTTPClient = (*httpClient)(nil)

// idleConnsPerHost is how many idle connections to Telegram a client
// made by newHTTPClient keeps open for reuse: more than the requests
// that one client has in flight at once.
const idleConnsPerHost = 16

// newHTTPClient returns a client with its own connection pool whose
// requests are bound to ctx and time out after timeout
// (defaultHTTPTimeout if timeout <= 0).
func newHTTPClient(ctx context.Context, timeout time.Duration) *httpClient {
	return wrapHTTPClient(ctx, &http.Client{Transport: newTransport(), Timeout: timeout})
}

// newTransport returns Go's default transport, tuned for the Bot API.
// Every request goes to one host, and Go keeps only 2 idle connections
// per host by default: with the sender's requests in flight at once (and
// the callback answers), most would then open a new connection and close
// it after one use.
func newTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = idleConnsPerHost
	return tr
}

// wrapHTTPClient is newHTTPClient over a copy of hc (for a proxy, custom
// TLS, or the transport of telegramtest.Server.Client). A zero
// hc.Timeout becomes defaultHTTPTimeout.
func wrapHTTPClient(ctx context.Context, hc *http.Client) *httpClient {
	if ctx == nil {
		ctx = context.Background()
	}
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultHTTPTimeout
	}
	return &httpClient{ctx: ctx, hc: c}
}

// Do sends req with the client's context. Errors name the method and
// keep the cause (errors.Is(err, context.Canceled), net.Error timeouts)
// but never the URL or the token.
func (c *httpClient) Do(req *http.Request) (*http.Response, error) {
	ctx := c.ctx
	if tr := httptrace.ContextClientTrace(req.Context()); tr != nil {
		ctx = httptrace.WithClientTrace(ctx, tr) // the caller's trace (the tap log's)
	}
	resp, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, requestErr(req, err)
	}
	return resp, nil
}

// CloseIdleConnections closes idle keep-alive connections.
func (c *httpClient) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// httpRequestError is a transport error stripped of its URL.
type httpRequestError struct {
	op     string // lower-case HTTP method
	method string // Bot API method: the last path element
	err    error  // the *url.Error's cause, redacted if it named the token
}

func (e *httpRequestError) Error() string { return e.op + " " + e.method + ": " + e.err.Error() }
func (e *httpRequestError) Unwrap() error { return e.err }

func requestErr(req *http.Request, err error) error {
	token := tokenFromPath(req.URL.Path)
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	if cause == nil {
		cause = errors.New("request failed")
	}
	cause = Redact(cause, token)
	return &httpRequestError{op: strings.ToLower(req.Method), method: path.Base(req.URL.Path), err: cause}
}

// tokenFromPath returns <token> from a Bot API path ".../bot<token>/<method>"
// ("" if the path has another shape).
func tokenFromPath(p string) string {
	t, ok := strings.CutPrefix(path.Base(path.Dir(p)), "bot")
	if !ok {
		return ""
	}
	return t
}

// Redact returns err without the token: a *url.Error in its chain is
// replaced by its cause and its URL by the Bot API method name, and any
// occurrence of token in the text becomes "[redacted]". When nothing needed
// redacting err is returned unchanged (errors.As on *tgbotapi.Error keeps
// working); otherwise the result unwraps only to causes that are free of
// the token.
func Redact(err error, token string) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	hasURL := errors.As(err, &ue)
	msg := err.Error()
	if !hasURL && (token == "" || !strings.Contains(msg, token)) {
		return err
	}
	var cause error
	if hasURL {
		if u, perr := url.Parse(ue.URL); perr == nil {
			msg = strings.Replace(msg, ue.Op+" \""+ue.URL+"\"", strings.ToLower(ue.Op)+" "+path.Base(u.Path), 1)
		}
		msg = strings.ReplaceAll(msg, ue.URL, redactedMark)
		if ue.Err != nil {
			cause = Redact(ue.Err, token)
		}
	}
	if token != "" {
		msg = strings.ReplaceAll(msg, token, redactedMark)
	}
	if cause != nil && token != "" && strings.Contains(cause.Error(), token) {
		cause = nil
	}
	return &redactedError{msg: msg, cause: cause}
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }
