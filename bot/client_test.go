package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
)

const clientTestToken = "4242:SECRET-token_abc"

func TestTokenNeverFormats(t *testing.T) {
	tok := Token(clientTestToken)
	type config struct {
		Name  string
		Token Token
	}
	cfg := config{"bot", tok}
	var got []string
	for _, format := range []string{"%v", "%s", "%+v", "%#v", "%q", "%x", "%d", "%10.3s"} {
		got = append(got, fmt.Sprintf(format, tok), fmt.Sprintf(format, cfg), fmt.Sprintf(format, &cfg))
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, string(b))
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("start", "token", tok, "config", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("start", "token", tok, "config", cfg)
	got = append(got, logged.String())
	for _, s := range got {
		if strings.Contains(s, "SECRET") {
			t.Errorf("token leaked: %s", s)
		}
	}
	if s := fmt.Sprint(tok); s != "[redacted]" {
		t.Errorf("Sprint = %q", s)
	}
}

// clientBot returns a fake server and a real tgbotapi client on an httpClient.
func clientBot(t *testing.T, ctx context.Context, timeout time.Duration) (*telegramtest.Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := telegramtest.NewServer(telegramtest.Options{Token: clientTestToken})
	t.Cleanup(srv.Close)
	hc := newHTTPClient(ctx, timeout)
	t.Cleanup(hc.CloseIdleConnections)
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), hc)
	if err != nil {
		t.Fatal(err)
	}
	srv.User(1)
	return srv, api
}

func TestHTTPClientErrorsHideTheToken(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		fault   func(*telegramtest.Server)
		check   func(*testing.T, error)
	}{
		{
			name:  "server closed",
			fault: func(s *telegramtest.Server) { s.Close() },
		},
		{
			name:  "connection reset",
			fault: func(s *telegramtest.Server) { s.Fail("sendMessage", telegramtest.ConnReset(), 1) },
		},
		{
			name:    "timeout",
			timeout: 100 * time.Millisecond,
			fault:   func(s *telegramtest.Server) { s.Fail("sendMessage", telegramtest.Hang(), 1) },
			check: func(t *testing.T, err error) {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("not a timeout: %v", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, api := clientBot(t, t.Context(), tt.timeout)
			tt.fault(srv)
			_, err := api.Send(tgbotapi.NewMessage(1, "hello"))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if strings.Contains(msg, clientTestToken) || strings.Contains(msg, "SECRET") || strings.Contains(msg, srv.URL+"/bot") {
				t.Errorf("error leaks the token or URL: %q", msg)
			}
			if !strings.HasPrefix(msg, "post sendMessage: ") {
				t.Errorf("error = %q, want prefix %q", msg, "post sendMessage: ")
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("a *url.Error escaped: %v", ue)
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), "SECRET") {
					t.Errorf("wrapped error leaks the token: %T %q", e, e.Error())
				}
			}
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestHTTPClientCancelAbortsLongPoll(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, api := clientBot(t, ctx, 0)
	errc := make(chan error, 1)
	go func() {
		_, err := api.GetUpdates(tgbotapi.UpdateConfig{Timeout: 30})
		errc <- err
	}()
	wait, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := srv.WaitFor(wait, func(s *telegramtest.Server) bool { return s.PendingPolls() == 1 }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if want := "post getUpdates: context canceled"; err == nil || err.Error() != want {
			t.Errorf("err = %v, want %q", err, want)
		}
	case <-wait.Done():
		t.Fatal("cancelling the context did not abort the long poll")
	}
}

func TestHTTPClientPassesAPIErrors(t *testing.T) {
	srv, api := clientBot(t, t.Context(), 0)
	srv.Fail("sendMessage", telegramtest.TooManyRequests(3), 1)
	_, err := api.Send(tgbotapi.NewMessage(1, "x"))
	var te *tgbotapi.Error
	if !errors.As(err, &te) || te.Code != 429 || te.RetryAfter != 3 {
		t.Errorf("err = %#v", err)
	}
}

func TestRedact(t *testing.T) {
	inner := errors.New("connect: connection refused")
	ue := &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + clientTestToken + "/getUpdates", Err: inner}
	apiErr := &tgbotapi.Error{Code: 400, Message: "Bad Request: chat not found"}
	plain := errors.New("boom")
	tests := []struct {
		name    string
		err     error
		want    string
		same    bool  // returned unchanged
		wrapped error // still matched by errors.Is
	}{
		{name: "url error", err: ue, want: "post getUpdates: connect: connection refused", wrapped: inner},
		{name: "wrapped url error", err: fmt.Errorf("poll: %w", ue), want: "poll: post getUpdates: connect: connection refused", wrapped: inner},
		{name: "token in text", err: fmt.Errorf("token %s rejected", clientTestToken), want: "token [redacted] rejected"},
		{name: "api error", err: apiErr, want: "Bad Request: chat not found", same: true},
		{name: "plain", err: plain, want: "boom", same: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Redact(tt.err, clientTestToken)
			if got.Error() != tt.want {
				t.Errorf("Redact = %q, want %q", got, tt.want)
			}
			if tt.same && got != tt.err {
				t.Errorf("Redact changed an error with nothing to redact: %#v", got)
			}
			var u *url.Error
			if errors.As(got, &u) {
				t.Error("a *url.Error survived")
			}
			if tt.wrapped != nil && !errors.Is(got, tt.wrapped) {
				t.Errorf("cause lost: %v", got)
			}
		})
	}
	if Redact(nil, clientTestToken) != nil {
		t.Error("Redact(nil) != nil")
	}
}

// TestHTTPClientKeepsConnectionsForConcurrentRequests: the sender keeps
// several requests in flight to one host; Go's default of 2 idle
// connections per host would close most connections after one use.
func TestHTTPClientKeepsConnectionsForConcurrentRequests(t *testing.T) {
	c := newHTTPClient(context.Background(), 0)
	tr, ok := c.hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T", c.hc.Transport)
	}
	if tr.MaxIdleConnsPerHost < 8+4 { // the sender's workers and the callback answerers
		t.Errorf("MaxIdleConnsPerHost = %d", tr.MaxIdleConnsPerHost)
	}
}
