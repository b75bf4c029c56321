package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"toolmap/bot"
	"toolmap/store"
)

// The admin endpoint: a small HTTP server on a Unix socket beside the
// database, for the command line while the bot holds the database lock
// (bbolt's lock is exclusive). Only the local user can reach it: the socket
// is created with mode 0600 and never listens on a network.

// adminServer serves the admin endpoint.
type adminServer struct {
	path string
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// startAdmin listens on the socket at path. A stale socket file left by a
// crash is removed: the caller holds the database lock, so no other toolmap
// can be serving it.
func startAdmin(path string, h http.Handler, log *slog.Logger) (*adminServer, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove the stale admin socket: %w", err)
	}
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	a := &adminServer{path: path, ln: ln, done: make(chan struct{}),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	go func() {
		defer close(a.done)
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin endpoint stopped", "err", err)
		}
	}()
	return a, nil
}

// Close stops the endpoint, letting requests in flight finish for a few
// seconds, and removes the socket.
func (a *adminServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.srv.Close()
	}
	<-a.done
	os.Remove(a.path)
}

// adminClient talks to the admin endpoint at the socket path.
func adminClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
}

// adminURL is the base URL of requests to the admin endpoint; the host is
// ignored by the Unix-socket transport.
const adminURL = "http://toolmap"

// health reports whether the bot is working: Telegram answered a poll
// recently, and the outbox is not stuck (it delivers when it has work).
type health struct {
	b      *bot.Bot
	s      *bot.Sender
	db     *store.DB
	poll   time.Duration // the poll timeout
	mu     sync.Mutex
	seen   int64     // delivered count when last observed
	seenAt time.Time // when it last changed
}

// HealthReport is what /healthz answers, as JSON.
type HealthReport struct {
	OK             bool    `json:"ok"`
	Polling        bool    `json:"polling"`
	LastPollAgoSec float64 `json:"last_poll_ago_s"`
	OutboxDepth    int     `json:"outbox_depth"`
	OutboxStuck    bool    `json:"outbox_stuck"`
	Updates        int64   `json:"updates"`
}

// stuckAfter is how long a non-empty outbox may go without delivering.
const stuckAfter = 2 * time.Minute

func (h *health) report(now time.Time) (HealthReport, error) {
	depth, err := h.db.OutboxLen()
	if err != nil {
		return HealthReport{}, err
	}
	st := h.s.Stats()
	delivered := st.Sent + st.Edits + st.NotModified + st.Dropped
	h.mu.Lock()
	if delivered != h.seen || h.seenAt.IsZero() || depth == 0 {
		h.seen, h.seenAt = delivered, now
	}
	stuck := depth > 0 && now.Sub(h.seenAt) > stuckAfter
	h.mu.Unlock()
	ago := now.Sub(h.b.LastPoll())
	polling := !h.b.LastPoll().IsZero() && ago < 2*h.poll+30*time.Second
	return HealthReport{
		OK: polling && !stuck, Polling: polling, LastPollAgoSec: ago.Seconds(),
		OutboxDepth: depth, OutboxStuck: stuck, Updates: h.b.Stats().Updates,
	}, nil
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, err := h.report(time.Now())
	if err != nil {
		http.Error(w, "health: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if !rep.OK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rep)
}
