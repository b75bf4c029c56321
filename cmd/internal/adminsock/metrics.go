package adminsock

import (
	"net/http"
	"path"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"toolmap/bot"
	"toolmap/store"
)

// Prometheus metrics on the admin endpoint (GET /metrics). Most numbers
// are read at scrape time from what the bot, the sender and the store
// already count; the two measured here are what nothing else measures:
// the time of each Bot API request (by method and outcome, so getUpdates
// is the poll latency) and the time of each commit.

// Metrics holds the two instruments toolmap feeds itself; the rest is read
// from the bot, the sender and the store when Prometheus scrapes.
type Metrics struct {
	requests *prometheus.HistogramVec // Bot API requests by method and outcome
	commits  prometheus.Histogram     // update-loop commits (one per poll's batch)
	b        *bot.Bot
	s        *bot.Sender
	db       *store.DB
}

// NewMetrics returns the instruments; Watch gives them the bot to read.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "toolmap_telegram_request_duration_seconds",
			Help: "Bot API requests by method and outcome (ok, 429, 4xx, 5xx, error), until the response headers: getUpdates is the long poll.",
			// From a loopback call to the longest poll.
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "outcome"}),
		commits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "toolmap_commit_duration_seconds",
			Help:    "Commits of the update loop (one transaction, one fsync, for a poll's worth of updates).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
	}
}

// Watch sets the bot, its sender and database the scrapes read.
func (m *Metrics) Watch(b *bot.Bot, s *bot.Sender, db *store.DB) { m.b, m.s, m.db = b, s, db }

// Transport wraps rt to time every Bot API request. Its labels are the
// method (the last element of the URL path: never the token before it)
// and the outcome.
func (m *Metrics) Transport(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := rt.RoundTrip(req)
		outcome := "error"
		if err == nil {
			switch c := resp.StatusCode; {
			case c == http.StatusOK:
				outcome = "ok"
			case c == http.StatusTooManyRequests:
				outcome = "429"
			case c >= 500:
				outcome = "5xx"
			default:
				outcome = strconv.Itoa(c/100) + "xx"
			}
		}
		m.requests.WithLabelValues(path.Base(req.URL.Path), outcome).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ObserveCommit records the time of one commit of the update loop (for
// bot.Options.OnCommit).
func (m *Metrics) ObserveCommit(d time.Duration) { m.commits.Observe(d.Seconds()) }

// scrape reads the bot's, the sender's and the store's own counts when
// Prometheus asks.
type scrape struct {
	b  *bot.Bot
	s  *bot.Sender
	db *store.DB
	h  *Health
}

var (
	descUpdates      = prometheus.NewDesc("toolmap_updates_total", "Updates received from Telegram, by what became of them (handled, duplicate, ignored, flooded).", []string{"kind"}, nil)
	descLoopCommits  = prometheus.NewDesc("toolmap_loop_commits_total", "Commits of the update loop.", nil, nil)
	descAnswers      = prometheus.NewDesc("toolmap_answers_total", "Answers recorded (given or changed) since the start.", nil, nil)
	descCompletions  = prometheus.NewDesc("toolmap_completions_total", "Surveys completed (or completed again after a review) since the start.", nil, nil)
	descSends        = prometheus.NewDesc("toolmap_sender_requests_total", "Bot API requests the sender made, by method, failed ones included.", []string{"method"}, nil)
	descDeliveries   = prometheus.NewDesc("toolmap_sender_outcomes_total", "What became of outbox items: sent, edited, not_modified (counted as delivered), retried, dropped, blocked (403).", []string{"outcome"}, nil)
	desc429          = prometheus.NewDesc("toolmap_telegram_429_total", "429 Too Many Requests answers to the sender.", nil, nil)
	descOutbox       = prometheus.NewDesc("toolmap_outbox_depth", "Messages waiting in the outbox.", nil, nil)
	descOutboxStuck  = prometheus.NewDesc("toolmap_outbox_stuck", "1 when the outbox has waited over 2 minutes without delivering anything.", nil, nil)
	descPolling      = prometheus.NewDesc("toolmap_polling", "1 while Telegram answers the long polls.", nil, nil)
	descLastPollAge  = prometheus.NewDesc("toolmap_last_poll_age_seconds", "Time since Telegram last answered a poll.", nil, nil)
	descRecords      = prometheus.NewDesc("toolmap_database_records", "Records in the database: sessions (finished or not) and responses (completed).", []string{"kind"}, nil)
	descDatabaseSize = prometheus.NewDesc("toolmap_database_size_bytes", "Bytes of the database file in use.", nil, nil)
	descScrapeError  = prometheus.NewDesc("toolmap_scrape_error", "1 when the store could not be read for this scrape.", nil, nil)
)

func (c scrape) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c scrape) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	ls := c.b.Stats()
	handled := ls.Updates - ls.Duplicates - ls.Ignored - ls.Flooded
	counter(descUpdates, handled, "handled")
	counter(descUpdates, ls.Duplicates, "duplicate")
	counter(descUpdates, ls.Ignored, "ignored")
	counter(descUpdates, ls.Flooded, "flooded")
	counter(descLoopCommits, ls.Commits)
	counter(descAnswers, ls.Answers)
	counter(descCompletions, ls.Completions)

	ss := c.s.Stats()
	for method, n := range ss.ByMethod {
		counter(descSends, n, method)
	}
	counter(descDeliveries, ss.Sent, "sent")
	counter(descDeliveries, ss.Edits, "edited")
	counter(descDeliveries, ss.NotModified, "not_modified")
	counter(descDeliveries, ss.Retries, "retried")
	counter(descDeliveries, ss.Dropped, "dropped")
	counter(descDeliveries, ss.Blocked, "blocked")
	counter(desc429, ss.RateLimited429)

	failed := 0.0
	if rep, err := c.h.Report(time.Now()); err != nil {
		failed = 1
	} else {
		gauge(descOutbox, float64(rep.OutboxDepth))
		gauge(descOutboxStuck, b2f(rep.OutboxStuck))
		gauge(descPolling, b2f(rep.Polling))
		if !c.b.LastPoll().IsZero() {
			gauge(descLastPollAge, rep.LastPollAgoSec)
		}
	}
	if n, err := c.db.Counts(); err != nil {
		failed = 1
	} else {
		gauge(descRecords, float64(n.Sessions), "sessions")
		gauge(descRecords, float64(n.Responses), "responses")
		gauge(descDatabaseSize, float64(n.Size))
	}
	gauge(descScrapeError, failed)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler returns the /metrics handler: toolmap's metrics with the Go
// runtime's and the process's. Watch must have been called.
func (m *Metrics) Handler(h *Health) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		m.requests, m.commits,
		scrape{b: m.b, s: m.s, db: m.db, h: h},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
