package adminsock

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"toolmap/bot"
	"toolmap/store"
)

// Health reports whether the bot is working: Telegram answered a poll
// recently, and the outbox is not stuck (it delivers when it has work).
type Health struct {
	b      *bot.Bot
	s      *bot.Sender
	db     *store.DB
	poll   time.Duration // the poll timeout
	mu     sync.Mutex
	seen   int64     // delivered count when last observed
	seenAt time.Time // when it last changed
}

// NewHealth watches b, its sender s and its database db; poll is the
// long-poll timeout.
func NewHealth(b *bot.Bot, s *bot.Sender, db *store.DB, poll time.Duration) *Health {
	return &Health{b: b, s: s, db: db, poll: poll}
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

// Report says how the bot is at now.
func (h *Health) Report(now time.Time) (HealthReport, error) {
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

// ServeHTTP serves /healthz: 200 when OK, else 503, with the report.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, err := h.Report(time.Now())
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
