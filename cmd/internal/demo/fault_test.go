package demo

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
)

// The fault harness: the bot (the real toolmap binary, as in the crash
// harness, with Telegram's limits enforced by the fake server and the
// sender's production pacing) serves
// simulated organisers while about a fifth of the Bot API calls fail: 429
// with retry_after, 500, an HTML 502, a reset connection, and a hanging
// long poll; then the faults stop. Everyone must finish, nothing may be
// lost, no limit may be breached (a call inside a retry_after window is a
// breach), and the token must appear in no log line.
//
// The long form, for example:
//
//	go test ./cmd/internal/demo -run TestFaultHarness -v -fault.respondents=30 -fault.calls=2000
var (
	faultRespondents = flag.Int("fault.respondents", 6, "TestFaultHarness: simulated organisers")
	faultCalls       = flag.Int("fault.calls", 150, "TestFaultHarness: Bot API calls that may fail before the faults stop")
)

func TestFaultHarness(t *testing.T) {
	t.Parallel() // the bot is another process: this test mostly waits
	srv := telegramtest.NewServer(telegramtest.Options{Limits: telegramtest.Limits{Enforce: true}})
	defer srv.Close()
	dir := t.TempDir()
	surveyPath := filepath.Join(dir, "survey.yaml")
	if err := os.WriteFile(surveyPath, []byte(crashSurveyYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	def, err := surveyfile.Load(surveyPath)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "toolmap.yaml")
	cfg := "survey: survey.yaml\ndatabase: toolmap.db\ntelegram:\n  api_url: " + srv.URL + "\n  poll_timeout: 2s\n  request_timeout: 5s\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, bin: buildToolmap(t), config: cfgPath, token: srv.Token(), logPath: filepath.Join(dir, "bot.log")}
	c.start()
	startCtx, started := context.WithTimeout(context.Background(), time.Minute)
	defer started()
	if err := srv.WaitFor(startCtx, func(s *telegramtest.Server) bool { return s.CallCount("getUpdates") > 0 }); err != nil {
		t.Fatalf("the bot did not poll: %v\n%s", err, tail(c.logPath))
	}

	srv.StartChaos(telegramtest.Chaos{
		Seed:  uint64(time.Now().UnixNano()),
		Rate:  0.2,
		Calls: *faultCalls,
		// answerCallbackQuery is left to the scripts below: the bot answers
		// each tap once and does not retry, so a 429 there would only mean
		// a spinner for a few seconds.
		Methods: []string{"getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup"},
		Faults: []telegramtest.Fault{
			telegramtest.TooManyRequests(1), telegramtest.TooManyRequests(2),
			telegramtest.InternalError(), telegramtest.BadGateway(), telegramtest.ConnReset(),
		},
	})
	srv.Fail("getUpdates", telegramtest.Hang(), 1)
	srv.Fail("answerCallbackQuery", telegramtest.InternalError(), 2)
	srv.Fail("answerCallbackQuery", telegramtest.BadGateway(), 1)
	srv.Fail("answerCallbackQuery", telegramtest.ConnReset(), 1)

	n := *faultRespondents
	d := &demoRun{o: Options{Seed: 7}, def: def, srv: srv,
		thanks: firstWords(def.Text(def.Thanks, def.PickLanguage("en"))), stalled: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o, err := crashOrganiser(ctx, d, i)
			switch {
			case err != nil:
				d.fail(fmt.Sprintf("respondent %d: %v", 100_000+i, err))
			case o.status == "completed":
				d.completed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := d.completed.Load(); got != int64(n) || len(d.failures) > 0 {
		t.Fatalf("%d of %d organisers completed; failures: %v\nlogs:\n%s", got, n, d.failures, tail(c.logPath))
	}
	srv.StopChaos()

	faults := map[string]int{}
	for _, c := range srv.Calls("") {
		if c.Fault != "" {
			faults[c.Fault]++
		}
	}
	t.Logf("faults injected: %v; %d Bot API calls in all", faults, srv.CallCount(""))
	for _, kind := range []string{"chaos:too_many_requests", "chaos:internal", "chaos:bad_gateway", "chaos:reset", "hang"} {
		if faults[kind] == 0 {
			t.Errorf("no %s fault was injected: the harness did not test it", kind)
		}
	}
	if b := srv.Breaches(); len(b) > 0 {
		t.Errorf("%d limit breaches, want none; first: %+v", len(b), b[0])
	}
	// Nothing lost, nothing twice.
	c.stop()
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := string(data)
	if strings.Contains(logs, srv.Token()) {
		t.Errorf("the token appears in the logs")
	}
	for _, want := range []string{"getUpdates failed", "rate limited: chat paused", "request failed: will retry"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs never say %q: the faults did not reach the bot", want)
		}
	}

	db, err := store.Open(filepath.Join(dir, "toolmap.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	counts, err := db.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if counts.Responses != n {
		t.Errorf("%d responses, want %d", counts.Responses, n)
	}
	// A message still waiting (a repeated prompt in its backoff when the
	// bot stopped) is not lost: it stays queued for the next start.
	t.Logf("%d messages still queued at the stop", counts.Outbox)
	completed := map[survey.RespondentID]int{}
	if err := db.AnswerLog(func(e store.LogEntry) error {
		if e.Kind == store.LogCompleted {
			completed[e.Respondent]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := survey.RespondentID(100_000 + i)
		s, ok, err := db.Session(id)
		if err != nil || !ok || s.Status != survey.StatusCompleted || len(s.Answers["size"].Values) != 1 {
			t.Errorf("respondent %d: %v %v %q %+v", id, ok, err, s.Status, s.Answers)
		}
		if completed[id] != 1 {
			t.Errorf("respondent %d completed %d times, want once", id, completed[id])
		}
	}
}
