package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"bytes"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/adminsock"
	"toolmap/store"
)

// scrapeMetrics reads /metrics over the admin socket.
func (h *harness) scrapeMetrics() string {
	h.t.Helper()
	var body bytes.Buffer
	if _, _, err := adminsock.NewClient(h.cfg.AdminSocket()).Stream(h.t.Context(), "/metrics", nil, &body); err != nil && !strings.Contains(err.Error(), "ended early") {
		h.t.Fatalf("GET /metrics: %v\n%s", err, body.String())
	}
	return body.String()
}

// metricValue returns the value of the sample whose name and labels
// (written as in the exposition format, e.g. `{kind="handled"}`) are
// given, and whether there is one.
func metricValue(text, sample string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

func TestMetricsOverTheAdminSocket(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	// The first prompt meets a 429: counted as such, then sent.
	h.srv.Fail("sendMessage", telegramtest.TooManyRequests(1), 1)
	r := h.respondent(71)
	r.answerDefaultSurvey()
	r.waitText("Thank you")

	text := h.scrapeMetrics()
	if strings.Contains(text, h.srv.Token()) {
		t.Fatalf("the token is in the metrics")
	}
	atLeast := func(sample string, min float64) {
		t.Helper()
		v, ok := metricValue(text, sample)
		if !ok || v < min {
			t.Errorf("%s = %v (present: %v), want at least %v", sample, v, ok, min)
		}
	}
	atLeast(`toolmap_updates_total{kind="handled"}`, 15)
	atLeast(`toolmap_answers_total`, 5)
	atLeast(`toolmap_completions_total`, 1)
	atLeast(`toolmap_loop_commits_total`, 1)
	atLeast(`toolmap_commit_duration_seconds_count`, 1)
	atLeast(`toolmap_telegram_request_duration_seconds_count{method="getUpdates",outcome="ok"}`, 1)
	atLeast(`toolmap_telegram_request_duration_seconds_count{method="sendMessage",outcome="429"}`, 1)
	atLeast(`toolmap_telegram_request_duration_seconds_count{method="sendMessage",outcome="ok"}`, 1)
	atLeast(`toolmap_telegram_429_total`, 1)
	atLeast(`toolmap_sender_requests_total{method="sendMessage"}`, 2)
	atLeast(`toolmap_sender_outcomes_total{outcome="sent"}`, 1)
	atLeast(`toolmap_polling`, 1)
	atLeast(`toolmap_database_records{kind="responses"}`, 1)
	atLeast(`toolmap_database_records{kind="sessions"}`, 1)
	atLeast(`go_goroutines`, 1)
	for _, sample := range []string{`toolmap_outbox_depth`, `toolmap_outbox_stuck`, `toolmap_scrape_error`} {
		if _, ok := metricValue(text, sample); !ok {
			t.Errorf("%s is missing", sample)
		}
	}
	if v, _ := metricValue(text, `toolmap_scrape_error`); v != 0 {
		t.Errorf("toolmap_scrape_error = %v", v)
	}
	if v, _ := metricValue(text, `toolmap_completions_total`); v != 1 {
		t.Errorf("toolmap_completions_total = %v, want 1", v)
	}
	// Every answer the log recorded, and no other, was counted.
	h.stop()
	sets := 0
	if err := h.openStore().AnswerLog(func(e store.LogEntry) error {
		if e.Kind == store.LogSet {
			sets++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v, _ := metricValue(text, `toolmap_answers_total`); v != float64(sets) {
		t.Errorf("toolmap_answers_total = %v, but the answer log has %d answers", v, sets)
	}
}
