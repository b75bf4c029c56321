package demo

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
)

// The crash harness: the real toolmap binary, built for the test, runs as
// a child process against the fake Bot API in this process, while
// simulated organisers (the demo's) answer a survey; the child is killed
// with SIGKILL at random moments and started again each time. After each
// kill, and at the end, the database must hold everything the bot had
// acknowledged.
//
// The short form (a few kills of a short survey) runs with go test ./...;
// the long form is, for example:
//
//	go test ./cmd/internal/demo -run TestCrashHarness -v -crash.kills=50 -crash.gap=120 -crash.respondents=500 -crash.quiet=30s -crash.survey=default -crash.budget=35m -timeout 38m
//
// The organisers behave as people on phones do (telegramtest.Person): at
// the end each must have finished once, with every stored answer the one
// they gave, no Bot API call refused, and every tap answered.
var (
	crashKills       = flag.Int("crash.kills", 3, "TestCrashHarness: how many times to kill -9 the bot")
	crashRespondents = flag.Int("crash.respondents", 8, "TestCrashHarness: simulated organisers")
	crashSurvey      = flag.String("crash.survey", "short", "TestCrashHarness: the survey, short or default")
	crashSeed        = flag.Uint64("crash.seed", 0, "TestCrashHarness: seed of the kill moments and choices (0: from the clock)")
	crashGap         = flag.Int("crash.gap", 40, "TestCrashHarness: the most Bot API calls between two kills (at least 3)")
	crashBudget      = flag.Duration("crash.budget", 0, "TestCrashHarness: how long the organisers may take (0: 2 minutes for the short form, 25 for a long one)")
)

// crashSurveyYAML is a short survey: consent, a single choice, a
// multi-select with Other…, and an optional text question.
const crashSurveyYAML = `survey: crash-test
version: 1
languages: [en]
title: Crash test
intro: Hi! A short survey for the crash harness.
consent:
  version: 1
  text: We keep your numeric Telegram id and your answers.
  agree: ✅ I agree
  decline: No thanks
thanks: Thank you! That is all.
catalogues:
  - id: jobs
    set: v1
    items:
      - id: meetings
        label: Meetings
      - id: money
        label: Money
  - id: tools
    set: v1
    items:
      - id: whatsapp
        label: WhatsApp
      - id: email
        label: Email
      - id: paper
        label: Paper
questions:
  - id: size
    kind: single
    text: How many are you?
    options:
      - id: small
        label: Under 20
      - id: large
        label: 20 or more
  - id: jobs
    kind: multi
    from: jobs
    text: What do you organise?
  - id: tools
    kind: matrix
    rows: jobs
    columns: tools
    other: true
    text: Which tools do you use for “{item}”?
  - id: where
    kind: text
    optional: true
    text: Where are you based?
`

// buildToolmap builds the toolmap binary (without -race, which would make
// the child slow) into a temporary directory.
func buildToolmap(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "toolmap")
	cmd := exec.Command("go", "build", "-o", bin, "toolmap/cmd/toolmap")
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// child is the bot running as a child process.
type child struct {
	t       *testing.T
	bin     string
	config  string
	token   string
	logPath string
	cmd     *exec.Cmd
	exited  chan error
}

func (c *child) start() {
	c.t.Helper()
	logf, err := os.OpenFile(c.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		c.t.Fatal(err)
	}
	defer logf.Close()
	c.cmd = exec.Command(c.bin, "run", "--config", c.config)
	c.cmd.Env = append(os.Environ(), bot.TokenEnv+"="+c.token)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.exited = make(chan error, 1)
	cmd := c.cmd
	go func() { c.exited <- cmd.Wait() }()
	// Never leave a bot behind when the test ends early. (Killing a
	// process that has exited is harmless: os.Process does not reuse pids.)
	c.t.Cleanup(func() { _ = cmd.Process.Kill() })
}

// kill kills the child with SIGKILL and waits for it to be gone.
func (c *child) kill() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		c.t.Fatal(err)
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		c.t.Fatal("the killed bot did not exit")
	}
}

// stop asks the child to stop (SIGTERM) and waits: it must exit cleanly
// within a few seconds.
func (c *child) stop() {
	c.t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.t.Fatal(err)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			c.t.Errorf("the bot stopped with %v", err)
		}
	case <-time.After(15 * time.Second):
		c.t.Errorf("the bot did not stop within 15 s of SIGTERM")
		c.kill()
	}
}

// TestCrashHarness: see the comment on crashKills.
func TestCrashHarness(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("needs SIGKILL")
	}
	t.Parallel() // the bot is another process: this test mostly waits
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -crash.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "toolmap.yaml")
	var def *survey.Definition
	surveyLine := `survey: ""`
	switch *crashSurvey {
	case "short":
		if err := os.WriteFile(filepath.Join(dir, "survey.yaml"), []byte(crashSurveyYAML), 0o600); err != nil {
			t.Fatal(err)
		}
		surveyLine = "survey: survey.yaml"
		var err error
		if def, err = surveyfile.Load(filepath.Join(dir, "survey.yaml")); err != nil {
			t.Fatal(err)
		}
	case "default":
		var err error
		if def, err = surveyfile.Default(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("-crash.survey must be short or default, not %q", *crashSurvey)
	}

	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	// A digest channel, posted to every minute: each start catches up the
	// last slot, and the once-per-week record must hold across the kills.
	channel := srv.Channel(9, "Coordinators", "@toolmap_crash")
	srv.SetMemberStatus(channel.ID(), srv.BotUser().ID, "administrator")
	dbPath := filepath.Join(dir, "toolmap.db")
	cfg := fmt.Sprintf("%s\ndatabase: toolmap.db\ntelegram:\n  api_url: %s\n  poll_timeout: 2s\n  request_timeout: 5s\n"+
		"digest:\n  channel: \"@toolmap_crash\"\n  schedule: \"* * * * *\"\n  grace: 24h\n", surveyLine, srv.URL)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, bin: buildToolmap(t), config: cfgPath, token: srv.Token(), logPath: filepath.Join(dir, "bot.log")}
	c.start()

	n := *crashRespondents
	d := &demoRun{o: Options{Seed: seed}, def: def, srv: srv,
		thanks: firstWords(def.Text(def.Thanks, def.PickLanguage("en"))), stalled: make(chan struct{})}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(100_000 + i)
	}
	budget := 2 * time.Minute
	if *crashKills > 3 || n > 8 || *crashSurvey != "short" {
		budget = 25 * time.Minute
	}
	if *crashBudget > 0 {
		budget = *crashBudget
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	var wg sync.WaitGroup
	minds := make([]*organiser, n)
	for i := range n {
		wg.Go(func() {
			o, err := crashOrganiser(ctx, d, i)
			minds[i] = o
			switch {
			case err != nil:
				d.fail(fmt.Sprintf("respondent %d: %v", 100_000+i, err))
			case o.status == "completed":
				d.completed.Add(1)
			}
			if o.status != "completed" {
				t.Logf("respondent %d did not finish (%s %v):\n%s", 100_000+i, o.failed, err, debugChat(srv, int64(100_000+i)))
			}
		})
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	kills := 0
	checks := 0
	var killedAt []string
	for kills < *crashKills {
		target := srv.CallCount("") + 3 + rng.IntN(max(*crashGap-2, 1))
		waitCtx, stopWait := context.WithCancel(ctx)
		go func() {
			select {
			case <-allDone:
				stopWait()
			case <-waitCtx.Done():
			}
		}()
		err := srv.WaitFor(waitCtx, func(s *telegramtest.Server) bool {
			return s.CallCount("") >= target
		})
		stopWait()
		if err != nil && ctx.Err() != nil {
			t.Fatalf("waiting for a moment to kill: %v\n%s", err, tail(c.logPath))
		}
		if err != nil {
			break // everyone finished
		}
		c.kill()
		killedAt = append(killedAt, time.Now().Format("05.000000"))
		kills++
		checks += checkAcknowledged(t, dbPath, srv, d, ids)
		if t.Failed() {
			t.Fatalf("after kill %d\nbot log:\n%s", kills, tail(c.logPath))
		}
		c.start()
	}
	select {
	case <-allDone:
	case <-ctx.Done():
		t.Fatalf("the organisers did not finish (%d of %d completed)\nfailures: %v\n%s\nbot log:\n%s", d.completed.Load(), n, d.failures, busiest(srv), tail(c.logPath))
	}
	c.stop()

	redelivered := 0
	for _, u := range srv.Updates() {
		if u.Deliveries > 1 {
			redelivered++
		}
	}
	t.Logf("%d kills, %d sessions checked against the chats after kills, %d respondents completed, %d /start after a quiet chat, %d strays (texts, emoji, stickers, taps on older messages, leaving), %d updates delivered more than once, %d Bot API calls",
		kills, checks, d.completed.Load(), impatient.Load(), strays.Load(), redelivered, srv.CallCount(""))
	if kills < *crashKills {
		t.Errorf("only %d kills of %d: the organisers finished first; use more respondents or the default survey", kills, *crashKills)
	}
	if got := d.completed.Load(); got != int64(n) || len(d.failures) > 0 {
		t.Fatalf("%d of %d organisers completed; failures: %v", got, n, d.failures)
	}
	if logs, err := os.ReadFile(c.logPath); err == nil {
		late := 0
		for line := range strings.Lines(string(logs)) {
			if strings.Contains(line, "answered the taps a restart left unanswered") {
				late++
			}
		}
		t.Logf("restarts that answered taps a crash left unanswered: %d; answers that failed: %d", late, strings.Count(string(logs), "answerCallbackQuery failed"))
	}
	checkChatOutcome(t, srv, ids)
	if un := srv.UnansweredCallbacks(); len(un) > 0 {
		// Why: committed (a handled key) or not, and in the tap log or not.
		marked := map[string]bool{}
		for _, p := range []string{dbPath + ".taps.old", dbPath + ".taps"} {
			data, _ := os.ReadFile(p)
			for line := range strings.Lines(string(data)) {
				marked[strings.TrimSpace(line)] = true
			}
		}
		db, err := store.Open(dbPath, &store.Options{ReadOnly: true})
		if err == nil {
			keys, _ := db.HandledSince("c:", time.Unix(0, 0))
			db.Close()
			handled := map[string]bool{}
			for _, k := range keys {
				handled[k[strings.LastIndexByte(k, ':')+1:]] = true // "c:<chat>:<id>"
			}
			kinds := map[string]int{}
			deliveries := map[int]int{}
			for _, u := range srv.Updates() {
				deliveries[u.ID] = u.Deliveries
			}
			for i, cb := range un {
				kinds[fmt.Sprintf("committed %v, in the tap log %v", handled[cb.ID], marked[cb.ID])]++
				if i < 2 {
					t.Logf("never answered: %+v, delivered %d times; kills at %v\n%s", cb, deliveries[cb.UpdateID], killedAt, debugChat(srv, cb.ChatID))
				}
			}
			t.Logf("the taps never answered: %v", kinds)
		}
	}

	// At the end: every respondent completed once, nothing twice, and the
	// file passes bbolt's check.
	counts, err := store.CheckFile(dbPath)
	if err != nil {
		t.Fatalf("the database fails its check: %v", err)
	}
	if counts.Responses != n || counts.Sessions != n {
		t.Errorf("%d responses and %d sessions, want %d each", counts.Responses, counts.Sessions, n)
	}
	db, err := store.Open(dbPath, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	completedLog := map[survey.RespondentID]int{}
	if err := db.AnswerLog(func(e store.LogEntry) error {
		if e.Kind == store.LogCompleted {
			completedLog[e.Respondent]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		s, ok, err := db.Session(survey.RespondentID(id))
		if err != nil || !ok || s.Status != survey.StatusCompleted || len(s.Answers) == 0 {
			t.Errorf("respondent %d: session %v %v, status %q, %d answers", id, ok, err, s.Status, len(s.Answers))
		}
		if completedLog[survey.RespondentID(id)] != 1 {
			t.Errorf("respondent %d completed %d times in the answer log, want once", id, completedLog[survey.RespondentID(id)])
		}
		if err := minds[id-100_000].check(s); err != nil {
			t.Errorf("respondent %d: %v\nwhat they did:\n%s\nthe chat:\n%s", id, err, strings.Join(minds[id-100_000].history, "\n"), debugChat(srv, id))
		}
	}
	logs, _ := os.ReadFile(c.logPath)
	if strings.Contains(string(logs), srv.Token()) {
		t.Errorf("the token appears in the bot's log")
	}

	// No digest was posted twice: every post here is of the same week (the
	// last whole one), and its record says whether it went out.
	posts := 0
	for _, m := range srv.BotMessages(channel.ID()) {
		if strings.Contains(m.Rendered, "Weekly digest") {
			posts++
		}
	}
	records := digestRecords(t, dbPath)
	sent := 0
	for _, r := range records {
		if r.State == store.DigestSent {
			sent++
		}
	}
	t.Logf("digest: %d post(s) to the channel, records %+v", posts, records)
	if posts > 1 || len(records) > 1 || (sent == 1 && posts != 1) {
		t.Errorf("digest posted %d times for %d period record(s), %d sent; want at most once", posts, len(records), sent)
	}
}

// checkAcknowledged opens the database of the killed bot and checks, for
// every respondent, that what the fake server shows them is backed by the
// database: the bot shows a question only after the answers before it
// are committed, so unless a reply is still waiting in the outbox, the
// stored session is at a question the chat shows with live buttons; a
// closing message shown means a completed session. It also runs bbolt's
// check. It returns how many sessions it checked.
func checkAcknowledged(t *testing.T, dbPath string, srv *telegramtest.Server, d *demoRun, ids []int64) int {
	t.Helper()
	db, err := store.Open(dbPath, &store.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Errorf("open the database after a kill: %v", err)
		return 0
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("after a kill: %v", err)
	}
	items, err := db.Pending(0)
	if err != nil {
		t.Errorf("read the outbox: %v", err)
		return 0
	}
	pending := map[int64]int{}
	for _, it := range items {
		pending[it.Out.ChatID]++
	}
	checked := 0
	for _, id := range ids {
		v := srv.View(id)
		s, ok, err := db.Session(survey.RespondentID(id))
		if err != nil {
			t.Errorf("respondent %d: %v", id, err)
			continue
		}
		if v.Last.MessageID != 0 && strings.HasPrefix(v.Last.Rendered, d.thanks) {
			checked++
			if !ok || s.Status != survey.StatusCompleted {
				t.Errorf("respondent %d was thanked, but the stored session is %q (exists: %v)", id, s.Status, ok)
			}
			continue
		}
		if !ok || s.Cursor.Question == "" {
			continue // nothing stored yet, or the consent notice
		}
		checked++
		if pending[id] > 0 {
			continue // a reply is still to be sent: the chat may lag behind
		}
		if s.Status == survey.StatusCompleted {
			if !thanked(d, id) {
				t.Errorf("respondent %d completed, but no closing message is shown or waiting to be sent", id)
			}
			continue
		}
		// The stored question must be the one a message shows with live
		// buttons (after a crash an old prompt may show twice: any will
		// do). If an acknowledged step had been lost, the message would
		// show the question after the stored one.
		var shown []string
		found := false
		for _, m := range srv.BotMessages(id) {
			if c := promptCursor(m); c.Question != "" {
				shown = append(shown, c.Key())
				found = found || c == s.Cursor
			}
		}
		if !found {
			t.Errorf("respondent %d: the stored session is at %s, but the chat shows %v with nothing waiting to be sent: an acknowledged step was lost",
				id, s.Cursor.Key(), shown)
		}
	}
	return checked
}

// promptCursor is the question a prompt's buttons belong to.
func promptCursor(m telegramtest.Message) survey.Cursor {
	for _, b := range buttons(m) {
		if b.tap.At.Question != "" {
			return b.tap.At
		}
	}
	return survey.Cursor{}
}

// tail returns the end of a log file, for failure messages.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// crashQuiet is how long an organiser waits for the bot without any
// change in their chat before sending /start again, as a person would. A
// crash can leave the reply to their last action unsent until they write.
// With many organisers, make it longer than a chat's turn in the sender
// (organisers over 30 share Telegram's 30 messages a second), or every
// /start adds to the queue it waits for.
var crashQuiet = flag.Duration("crash.quiet", 4*time.Second, "TestCrashHarness: an organiser's wait in a quiet chat before /start")

// crashHabits are the harness's organisers' habits: those of the demo's,
// straying a little more.
var crashHabits = telegramtest.Habits{Stray: 0.03, Emoji: 0.02, Sticker: 0.02, ScrollUp: 0.04, Leave: 0.01}

// crashOrganiser plays the demo's organiser i, as a person on a phone,
// until the survey is done; they send /start again whenever the chat
// stays quiet for crashQuiet.
func crashOrganiser(ctx context.Context, d *demoRun, i int) (*organiser, error) {
	o := newOrganiser(d, uint64(i))
	o.trace = func(format string, args ...any) { // kept for a failure's report
		o.history = append(o.history, fmt.Sprintf(format, args...))
	}
	h := crashHabits
	h.Patience = *crashQuiet
	p := d.srv.Person(int64(100_000+i), o, h, d.o.Seed)
	err := p.Run(ctx, "")
	impatient.Add(int64(p.Stats().Impatient))
	strays.Add(int64(p.Stats().Stray + p.Stats().Emoji + p.Stats().Sticker + p.Stats().ScrollUps + p.Stats().Leaves))
	return o, err
}

// impatient and strays count, over the harness's organisers, their
// /start after a quiet chat, and what they did besides answering.
var impatient, strays atomic.Int64

// busiest describes the chat with the most user actions, for failure
// messages: its counts and its newest messages and taps.
func busiest(srv *telegramtest.Server) string {
	taps := map[int64][]telegramtest.CallbackQuery{}
	for _, c := range srv.Callbacks() {
		taps[c.ChatID] = append(taps[c.ChatID], c)
	}
	var top int64
	for id, cs := range taps {
		if len(cs) > len(taps[top]) {
			top = id
		}
	}
	var b strings.Builder
	msgs := srv.Messages(top)
	fmt.Fprintf(&b, "busiest chat %d: %d taps, %d messages\n", top, len(taps[top]), len(msgs))
	for _, m := range msgs[max(0, len(msgs)-8):] {
		fmt.Fprintf(&b, "  msg %d bot=%v %q buttons=%d\n", m.MessageID, m.FromBot, firstWords(m.Rendered), len(buttons(m)))
	}
	cs := taps[top]
	for _, c := range cs[max(0, len(cs)-8):] {
		fmt.Fprintf(&b, "  tap on msg %d %q answered=%v %q\n", c.MessageID, c.Data, c.Answered, c.AnswerText)
	}
	return b.String()
}

// thanked reports whether the bot has sent the organiser its closing
// message.
func thanked(d *demoRun, id int64) bool {
	for _, m := range d.srv.BotMessages(id) {
		// The closing message, or a message whose text it became
		// (after a crash, an older message may be edited into it).
		if strings.Contains(m.Rendered, d.thanks) {
			return true
		}
	}
	return false
}

// digestRecords reads every digest record of the database at path (the
// store reads one period's at a time), from the file with bbolt.
func digestRecords(t *testing.T, path string) []store.DigestRecord {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out []store.DigestRecord
	err = b.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("digests")).ForEach(func(k, v []byte) error {
			var r store.DigestRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			r.Period = string(k)
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
