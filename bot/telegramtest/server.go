package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultToken       = "123456:TEST-TOKEN"
	DefaultBotID       = 123456
	DefaultBotUsername = "test_bot"
	DefaultBotName     = "Test Bot"

	// DefaultCallbackAnswerTimeout is how long after a callback query is
	// created answerCallbackQuery still succeeds (Telegram: about 15 s).
	DefaultCallbackAnswerTimeout = 15 * time.Second

	// MaxUploadBytes is the largest multipart body accepted (Telegram's
	// 50 MB bot upload limit).
	MaxUploadBytes = 50 << 20

	maxLongPoll = 50 * time.Second // telegram-bot-api LONG_POLL_MAX_TIMEOUT
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Token the bot must use; default DefaultToken.
	Token string
	// BotID is the bot's user id; default: the numeric prefix of Token,
	// else DefaultBotID.
	BotID int64
	// BotUsername and BotName are returned by getMe; defaults
	// DefaultBotUsername and DefaultBotName.
	BotUsername string
	BotName     string
	// Now is the clock used for message dates, limit accounting, retry
	// windows and callback expiry. Default time.Now. Long-poll timeouts
	// always use real time.
	Now func() time.Time
	// FirstUpdateID is the update_id of the first update; default 1.
	FirstUpdateID int
	// Limits configures flood-limit accounting (see Limits).
	Limits Limits
	// CallbackAnswerTimeout: answerCallbackQuery for a query older than
	// this fails like Telegram ("query is too old ..."). Zero means
	// DefaultCallbackAnswerTimeout; negative disables the check.
	CallbackAnswerTimeout time.Duration
	// DisablePollConflict stops a new getUpdates from terminating a
	// pending one with 409 Conflict (Telegram's behaviour when two
	// pollers run at once).
	DisablePollConflict bool
	// Lean keeps memory flat for load runs with thousands of chats: calls
	// are counted per method and status (CallCount, StatusCounts) but not
	// recorded (Calls and LastCall find nothing), updates are not kept
	// after confirmation (Updates is empty; Redeliver and DuplicateAsNew
	// cannot find them), each chat keeps only LeanMessages messages (the
	// oldest without an inline keyboard goes first; a forgotten message
	// cannot be edited, as if deleted), answered
	// callback queries are forgotten (Callbacks lists only unanswered
	// ones), messages keep no request Params, and only the first
	// LeanBreaches breaches are kept (BreachCount counts them all).
	Lean bool
}

// Lean mode bounds (see Options.Lean).
const (
	LeanMessages = 6
	LeanBreaches = 100
)

// Server is a fake Telegram Bot API server listening on 127.0.0.1.
// All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string

	hs        *httptest.Server
	opts      Options
	now       func() time.Time
	closed    chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	changed chan struct{}           // closed and replaced on every state change
	watch   map[int64]chan struct{} // per chat: closed at the chat's next change
	st      state
}

// NewServer starts a fake Bot API server on a loopback port.
func NewServer(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.BotID == 0 {
		opts.BotID = DefaultBotID
		if i := strings.IndexByte(opts.Token, ':'); i > 0 {
			if id, err := strconv.ParseInt(opts.Token[:i], 10, 64); err == nil && id > 0 {
				opts.BotID = id
			}
		}
	}
	if opts.BotUsername == "" {
		opts.BotUsername = DefaultBotUsername
	}
	if opts.BotName == "" {
		opts.BotName = DefaultBotName
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FirstUpdateID == 0 {
		opts.FirstUpdateID = 1
	}
	if opts.CallbackAnswerTimeout == 0 {
		opts.CallbackAnswerTimeout = DefaultCallbackAnswerTimeout
	}
	opts.Limits = opts.Limits.withDefaults()
	s := &Server{
		opts:    opts,
		now:     opts.Now,
		closed:  make(chan struct{}),
		changed: make(chan struct{}),
		watch:   map[int64]chan struct{}{},
	}
	s.st.init(opts)
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL
	return s
}

// APIEndpoint returns the endpoint format string for
// tgbotapi.NewBotAPIWithClient: URL + "/bot%s/%s".
func (s *Server) APIEndpoint() string { return s.URL + "/bot%s/%s" }

// Token returns the token the server accepts.
func (s *Server) Token() string { return s.opts.Token }

// Client returns a new *http.Client for the server (loopback only). Clients
// share one transport whose idle connections Close shuts; callers may set
// fields such as Timeout on the returned client.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.hs.Client().Transport} }

// NewBot returns a tgbotapi client connected to the server (it calls getMe,
// like tgbotapi.NewBotAPIWithClient always does).
func (s *Server) NewBot() (*tgbotapi.BotAPI, error) {
	return tgbotapi.NewBotAPIWithClient(s.opts.Token, s.APIEndpoint(), s.Client())
}

// BotUser returns the bot's own user.
func (s *Server) BotUser() UserInfo {
	return UserInfo{ID: s.opts.BotID, IsBot: true, FirstName: s.opts.BotName, UserName: s.opts.BotUsername}
}

// Close releases pending long polls and hanging requests, then shuts the
// server down. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.mu.Lock()
		for id, ch := range s.watch {
			close(ch)
			delete(s.watch, id)
		}
		s.mu.Unlock()
		s.hs.Close()
	})
}

// notify must be called with s.mu held after any observable change.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel that is closed at the next state change
// (recorded call, enqueued update, new pending poll, ...). Take the channel
// before checking your condition, then wait on it.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// WaitFor blocks until cond returns true or ctx is done. cond is called
// without internal locks held, so it may call any Server method. It is
// re-evaluated after every state change; no polling or sleeping is involved.
func (s *Server) WaitFor(ctx context.Context, cond func(*Server) bool) error {
	for {
		ch := s.Changed()
		if cond(s) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("telegramtest: WaitFor: %w", ctx.Err())
		case <-s.closed:
			if cond(s) {
				return nil
			}
			return errors.New("telegramtest: WaitFor: server closed")
		}
	}
}

// apiError is a Telegram error reply.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string { return e.Description }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: 400, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

var (
	errNotFound     = &apiError{Code: 404, Description: "Not Found"}
	errUnauthorized = &apiError{Code: 401, Description: "Unauthorized"}
	errChatNotFound = badRequest("chat not found")
)

// upload is one file part of a multipart request.
type upload struct {
	FileName    string
	ContentType string
	Data        []byte
}

// request is a decoded API call.
type request struct {
	ctx      context.Context
	method   string // canonical
	params   url.Values
	uploads  map[string]*upload
	encoding string
	chatID   int64
	start    time.Time
}

func (r *request) param(k string) string { return r.params.Get(k) }

func (r *request) has(k string) bool { _, ok := r.params[k]; return ok }

// serveHTTP is the request pipeline: auth, decode, retry windows, faults,
// limits, method.
func (s *Server) serveHTTP(w http.ResponseWriter, hr *http.Request) {
	start := s.now()
	path := strings.TrimPrefix(hr.URL.Path, "/")
	rest, ok := strings.CutPrefix(path, "bot")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	token, method, ok := strings.Cut(rest, "/")
	if !ok {
		writeError(w, errNotFound)
		return
	}
	if token != s.opts.Token {
		s.record(&request{method: method, start: start, params: url.Values{}}, 401, errUnauthorized, "")
		writeError(w, errUnauthorized)
		return
	}
	canon, known := methodNames[strings.ToLower(method)]
	if !known {
		s.record(&request{method: method, start: start, params: url.Values{}}, 404, errNotFound, "")
		writeError(w, errNotFound)
		return
	}
	req, err := decodeRequest(w, hr)
	if err != nil {
		ae := badRequest("%v", err)
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			ae = &apiError{Code: 413, Description: "Request Entity Too Large"}
		}
		s.record(&request{method: canon, start: start, params: url.Values{}}, ae.Code, ae, "")
		writeError(w, ae)
		return
	}
	req.method = canon
	req.start = start
	req.ctx = hr.Context()

	s.mu.Lock()
	req.chatID = s.st.resolveChatID(req)
	// Retry windows (after a 429) are checked first, like a real server.
	if ae := s.checkRetryWindow(req); ae != nil {
		s.recordLocked(req, ae.Code, ae, "retry_window")
		s.mu.Unlock()
		writeError(w, ae)
		return
	}
	f, faultName := s.pickFault(req)
	if f != nil {
		s.mu.Unlock()
		s.applyFault(w, hr, req, f, faultName)
		return
	}
	if ae := s.accountLimits(req); ae != nil {
		s.recordLocked(req, ae.Code, ae, "flood_limit")
		s.mu.Unlock()
		writeError(w, ae)
		return
	}
	if canon == "getUpdates" {
		s.mu.Unlock()
		s.getUpdates(w, req)
		return
	}
	h := handlers[canon]
	result, ae := h(s, req)
	if ae != nil {
		s.recordLocked(req, ae.Code, ae, "")
		s.mu.Unlock()
		writeError(w, ae)
		return
	}
	s.recordLocked(req, 200, nil, "")
	s.mu.Unlock()
	writeResult(w, result)
}

func writeError(w http.ResponseWriter, e *apiError) {
	type params struct {
		RetryAfter int `json:"retry_after"`
	}
	body := struct {
		OK          bool    `json:"ok"`
		ErrorCode   int     `json:"error_code"`
		Description string  `json:"description"`
		Parameters  *params `json:"parameters,omitempty"`
	}{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 {
		body.Parameters = &params{e.RetryAfter}
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(e.Code)
	_, _ = w.Write(b)
}

func writeResult(w http.ResponseWriter, result any) {
	var buf bytes.Buffer
	buf.WriteString(`{"ok":true,"result":`)
	switch r := result.(type) {
	case json.RawMessage:
		buf.Write(r)
	default:
		b, err := json.Marshal(r)
		if err != nil {
			writeError(w, &apiError{Code: 500, Description: "Internal Server Error: " + err.Error()})
			return
		}
		buf.Write(b)
	}
	buf.WriteString("}")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(200)
	_, _ = w.Write(buf.Bytes())
}

// decodeRequest reads query parameters plus a form-encoded, multipart or
// JSON body, as the Bot API accepts all three.
func decodeRequest(w http.ResponseWriter, hr *http.Request) (*request, error) {
	req := &request{params: url.Values{}, uploads: map[string]*upload{}, encoding: "query"}
	for k, vs := range hr.URL.Query() {
		req.params[k] = vs
	}
	if hr.Body == nil || hr.Method == http.MethodGet {
		return req, nil
	}
	hr.Body = http.MaxBytesReader(w, hr.Body, MaxUploadBytes+1<<20)
	ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	switch ct {
	case "", "application/x-www-form-urlencoded":
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			return nil, fmt.Errorf("can't read request body: %w", err)
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("can't parse request body: %v", err)
		}
		for k, vs := range vals {
			req.params[k] = vs
		}
		if len(body) > 0 {
			req.encoding = "form"
		}
	case "multipart/form-data":
		if err := hr.ParseMultipartForm(32 << 20); err != nil {
			return nil, fmt.Errorf("can't parse multipart body: %w", err)
		}
		defer hr.MultipartForm.RemoveAll()
		req.encoding = "multipart"
		for k, vs := range hr.MultipartForm.Value {
			req.params[k] = vs
		}
		for k, fhs := range hr.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			fh := fhs[0]
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			data, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				return nil, err
			}
			req.uploads[k] = &upload{FileName: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Data: data}
		}
	case "application/json":
		req.encoding = "json"
		var obj map[string]json.RawMessage
		dec := json.NewDecoder(hr.Body)
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			return nil, fmt.Errorf("can't parse JSON object: %v", err)
		}
		for k, raw := range obj {
			raw = bytes.TrimSpace(raw)
			switch {
			case bytes.Equal(raw, []byte("null")):
				continue
			case len(raw) > 0 && raw[0] == '"':
				var str string
				if err := json.Unmarshal(raw, &str); err != nil {
					return nil, err
				}
				req.params.Set(k, str)
			default:
				var c bytes.Buffer
				if err := json.Compact(&c, raw); err != nil {
					return nil, err
				}
				req.params.Set(k, c.String())
			}
		}
	default:
		return nil, fmt.Errorf("unsupported Content-Type %q", ct)
	}
	return req, nil
}
