package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/adminsock"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report/site"
)

// harness runs the real bot (serve) against the fake Bot API over
// 127.0.0.1, with a real bbolt file, and lets a test play respondents.
type harness struct {
	t      *testing.T
	srv    *telegramtest.Server
	cfg    Config
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	bot    *bot.Bot
	sender *bot.Sender
	remind func(now time.Time) (int, error) // the reminder job of the running bot
	// realPace keeps the sender's production pacing.
	realPace bool
	// hooks, if set, adds to the serve hooks at each start.
	hooks func(*serveHooks)
	// env holds environment variables the bot sees besides the token.
	env map[string]string
	// backedUp, if set, is told of each scheduled backup.
	backedUp func(path string, err error)
	// mapped, if set, is told of each rebuild of the map site.
	mapped func(site.Stats, error)
	// storeOptions, if set, open the database.
	storeOptions *store.Options
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newHarness starts the bot against a fresh fake server. Unless the
// server enforces Telegram's limits, the sender paces each chat faster than
// Telegram would, so that tests tapping without pause run quickly.
func newHarness(t *testing.T, opts telegramtest.Options) *harness {
	t.Helper()
	return newHarnessWith(t, opts, nil)
}

// newHarnessWith is newHarness with setup run before the start, to change
// the config and hooks.
func newHarnessWith(t *testing.T, opts telegramtest.Options, setup func(*harness)) *harness {
	t.Helper()
	srv := telegramtest.NewServer(opts)
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "toolmap.db")
	cfg.Telegram.APIURL = srv.URL
	cfg.Telegram.PollTimeout = Duration(2 * time.Second)
	cfg.Telegram.RequestTimeout = Duration(5 * time.Second)
	h := &harness{t: t, srv: srv, cfg: cfg, logs: &syncBuffer{}, realPace: opts.Limits.Enforce}
	if setup != nil {
		setup(h)
	}
	h.start()
	t.Cleanup(func() {
		h.stop()
		if strings.Contains(h.logs.String(), srv.Token()) {
			t.Errorf("the token appears in the logs:\n%s", h.logs.String())
		}
	})
	return h
}

// start runs the bot until stop.
func (h *harness) start() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.done = make(chan error, 1)
	started := make(chan struct{})
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	getenv := func(k string) string {
		if k == TokenEnv {
			return h.srv.Token()
		}
		return h.env[k]
	}
	hooks := &serveHooks{
		backedUp:     h.backedUp,
		mapped:       h.mapped,
		storeOptions: h.storeOptions,
		started: func(r running) {
			h.bot, h.sender = r.bot, r.sender
			h.remind = r.reminders.Queue
			close(started)
		},
		tune: func(so *bot.SenderOptions, bo *bot.Options) {
			if !h.realPace {
				so.PrivatePerSecond, so.PrivateBurst = 1000, 1000
				bo.FloodRate, bo.FloodBurst = 1000, 1000
			}
		},
	}
	if h.hooks != nil {
		h.hooks(hooks)
	}
	go func() { h.done <- serve(ctx, h.cfg, getenv, log, hooks) }()
	select {
	case <-started:
	case err := <-h.done:
		h.t.Fatalf("serve ended before starting: %v\n%s", err, h.logs.String())
	case <-time.After(10 * time.Second):
		h.t.Fatalf("serve did not start\n%s", h.logs.String())
	}
}

// stop cancels the bot and waits for it to end, within a few seconds.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		h.t.Errorf("serve did not stop within 10 s")
	}
}

// openStore opens the database after stop, for checks.
func (h *harness) openStore() *store.DB {
	h.t.Helper()
	db, err := store.Open(h.cfg.Database, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { db.Close() })
	return db
}

// waitFor waits until cond holds, failing after a deadline.
func (h *harness) waitFor(what string, cond func(*telegramtest.Server) bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.srv.WaitFor(ctx, cond); err != nil {
		h.t.Fatalf("waiting for %s: %v\nlogs:\n%s", what, err, h.logs.String())
	}
}

// respondent plays one person in a private chat.
type respondent struct {
	h *harness
	u *telegramtest.User
}

func (h *harness) respondent(id int64) *respondent {
	return &respondent{h: h, u: h.srv.User(id)}
}

// last returns the newest bot message in the chat.
func (r *respondent) last() telegramtest.Message {
	m, _ := r.h.srv.LastMessage(r.u.ChatID())
	return m
}

// waitText waits until the newest bot message contains s.
func (r *respondent) waitText(s string) telegramtest.Message {
	r.h.t.Helper()
	r.h.waitFor("a message containing "+s, func(srv *telegramtest.Server) bool {
		m, ok := srv.LastMessage(r.u.ChatID())
		return ok && strings.Contains(m.Rendered, s)
	})
	return r.last()
}

// waitButton waits until the newest message with a keyboard has a button
// labelled exactly label.
func (r *respondent) waitButton(label string) {
	r.h.t.Helper()
	r.h.waitFor("a button "+label, func(srv *telegramtest.Server) bool {
		msgs := srv.BotMessages(r.u.ChatID())
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].Keyboard == nil {
				continue
			}
			for _, row := range msgs[i].Keyboard {
				for _, b := range row {
					if b.Text == label {
						return true
					}
				}
			}
			return false
		}
		return false
	})
}

// tap waits for a button and taps it.
func (r *respondent) tap(label string) {
	r.h.t.Helper()
	r.waitButton(label)
	if err := r.u.Tap(label); err != nil {
		r.h.t.Fatal(err)
	}
}

// toggle taps a multi-select option and waits for its tick.
func (r *respondent) toggle(label string) {
	r.h.t.Helper()
	r.tap(label)
	r.waitButton("✅ " + label)
}

func (r *respondent) say(text string) { r.u.SendText(text) }

// defaultVersion is the version of the built-in survey.
func defaultVersion(t *testing.T) int {
	t.Helper()
	def, err := loadSurvey("")
	if err != nil {
		t.Fatal(err)
	}
	return def.Version
}

// answerDefaultSurvey completes the default survey by tapping.
func (r *respondent) answerDefaultSurvey() {
	r.h.t.Helper()
	r.u.Start("flyer1")
	r.tap("✅ I agree")
	r.tap("🤝 Mutual aid / community")
	r.tap("10–30")
	r.tap("Informal, no legal form")
	r.tap("Yorkshire and the Humber")
	r.waitText("Which town, city or area")
	r.say("Leeds")
	r.waitText("Which of these does your group do?")
	r.toggle("📣 Telling members news")
	r.toggle("🧩 Organisers coordinating")
	r.tap("Done ▶")
	r.waitText("Telling members news")
	r.toggle("WhatsApp")
	r.tap("Done ▶")
	r.waitText("Organisers coordinating (2 of 2)")
	r.toggle("Signal")
	r.tap("More…")
	r.toggle("Nextcloud / self-hosted")
	r.tap("Done ▶")
	r.waitText("Which of these is hardest")
	r.tap("🧩 Organisers coordinating")
	r.waitText("What makes “🧩 Organisers coordinating” hard")
	r.say("Too many group chats <3")
	r.tap("Yes, anonymously")
	r.waitText("works really well")
	r.tap("Signal")
	r.tap("🧭 Organiser or coordinator")
	r.waitText("Thank you")
}

func TestEndToEndCompleteByTapping(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(4242)
	r.answerDefaultSurvey()
	last := r.last()
	if !strings.HasPrefix(last.Rendered, "Thank you") {
		t.Fatalf("last message: %q", last.Rendered)
	}
	if !strings.Contains(last.Text, "Too many group chats &lt;3") {
		t.Errorf("free text not escaped in the summary: %q", last.Text)
	}
	// Every question message was frozen: only the last one has no buttons at all.
	for _, m := range h.srv.BotMessages(r.u.ChatID()) {
		for _, row := range m.Keyboard {
			for _, b := range row {
				if b.CallbackData != "" {
					t.Errorf("an answered question still has buttons: %q", m.Rendered)
				}
			}
		}
	}
	// Taps are answered just after their commit, off the update loop.
	h.waitFor("every callback query answered", func(s *telegramtest.Server) bool {
		return len(s.UnansweredCallbacks()) == 0
	})
	h.stop()
	db := h.openStore()
	sess, ok, err := db.Session(4242)
	if err != nil || !ok || sess.Status != survey.StatusCompleted || sess.Source != "flyer1" {
		t.Fatalf("session: %+v %v %v", sess, ok, err)
	}
	if got := sess.Answers["tools/coordinate"].Values; strings.Join(got, ",") != "signal,nextcloud" {
		t.Errorf("tools/coordinate = %v", got)
	}
	if n, _ := db.CountResponses(time.Time{}, time.Time{}); n != 1 {
		t.Errorf("responses: %d", n)
	}
	if err := db.Check(); err != nil {
		t.Error(err)
	}
}

func TestEndToEndBackChangeAndOther(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(7)
	r.u.Start("")
	r.tap("✅ I agree")
	r.tap("Other…")
	r.waitText("Please type it in a few words")
	// The question asks for the name in place, with a way back.
	if last := r.last(); len(last.Keyboard) != 1 || last.Keyboard[0][0].Text != "⬅ Back" {
		t.Fatalf("Other… prompt: %+v", last)
	}
	r.say("Allotment society")
	r.waitText("Roughly how many people")
	r.tap("10–30")
	r.tap("⬅ Back")
	r.waitButton("• 10–30") // the earlier answer is pre-selected
	r.tap("Under 10")
	r.waitText("How formal")
	h.stop()
	sess, _, _ := h.openStore().Session(7)
	if a := sess.Answers["group_kind"]; a.Other != "Allotment society" || a.Values[0] != survey.OtherID {
		t.Fatalf("group_kind: %+v", a)
	}
	if a := sess.Answers["size"]; a.Values[0] != "under_10" {
		t.Fatalf("size: %+v", a)
	}
}

func TestEndToEndResumeAfterRestart(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(11)
	r.u.Start("")
	r.tap("✅ I agree")
	r.tap("✊ Campaign or protest")
	r.waitText("Roughly how many people")
	h.stop()
	h.start()
	r.u.Start("")
	r.waitText("Welcome back")
	if !strings.Contains(r.last().Rendered, "Roughly how many people") {
		t.Fatalf("did not resume at question 2: %q", r.last().Rendered)
	}
	r.tap("Over 500")
	r.waitText("How formal")
}

func TestEndToEndDuplicatesAndStaleTaps(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(12)
	r.u.Start("")
	r.tap("✅ I agree")
	r.waitButton("☕ Social or hobby group")
	q1 := r.last()
	sent, err := r.u.TapButton("☕ Social or hobby group")
	if err != nil {
		t.Fatal(err)
	}
	r.waitText("Roughly how many people")
	calls := len(h.srv.Calls("sendMessage")) + len(h.srv.Calls("editMessageText"))
	// The same update again, and the same tap under a new update id.
	if err := h.srv.Redeliver(sent.UpdateID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.srv.DuplicateAsNew(sent.UpdateID); err != nil {
		t.Fatal(err)
	}
	// A stale tap on question 1's old button, and a forged one.
	r.u.TapData(q1.MessageID, survey.Tap{Kind: survey.InputChoose, Version: defaultVersion(t), At: survey.Cursor{Question: "group_kind"}, Option: "union"}.Encode())
	r.u.TapData(q1.MessageID, "x:forged")
	h.waitFor("every tap answered", func(s *telegramtest.Server) bool {
		return s.PendingUpdates() == 0 && len(s.UnansweredCallbacks()) == 0 && len(s.Callbacks()) >= 4
	})
	h.stop()
	if got := len(h.srv.Calls("sendMessage")) + len(h.srv.Calls("editMessageText")); got != calls {
		t.Errorf("duplicates and stale taps sent %d more messages", got-calls)
	}
	sess, _, _ := h.openStore().Session(12)
	if a := sess.Answers["group_kind"]; a.Values[0] != "social" && !strings.HasPrefix(a.Values[0], "social") {
		t.Errorf("a stale tap changed the answer: %+v", a)
	}
	toasts := 0
	for _, c := range h.srv.Calls("answerCallbackQuery") {
		if c.Params.Get("text") != "" {
			toasts++
		}
	}
	if toasts < 2 {
		t.Errorf("stale and forged taps got %d toasts, want 2", toasts)
	}
}

func TestEndToEndGroupStartStoresNothing(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	g := h.srv.Group(900, "Tenants union")
	u := h.srv.User(55).In(g)
	u.Start("")
	h.waitFor("the group reply", func(s *telegramtest.Server) bool {
		m, ok := s.LastMessage(g.ID())
		return ok && strings.Contains(m.Rendered, "private chats")
	})
	h.stop()
	db := h.openStore()
	if _, ok, _ := db.Session(55); ok {
		t.Fatal("a group /start stored a session")
	}
}

func TestEndToEnd429StormIsHonoured(t *testing.T) {
	h := newHarness(t, telegramtest.Options{Limits: telegramtest.Limits{Enforce: true}})
	h.srv.Fail("sendMessage", telegramtest.TooManyRequests(1), 3)
	h.srv.Fail("editMessageText", telegramtest.TooManyRequests(1), 2)
	r := h.respondent(13)
	r.u.Start("")
	r.tap("✅ I agree")
	r.tap("🕊️ Faith group")
	r.waitText("Roughly how many people")
	for _, b := range h.srv.Breaches() {
		t.Errorf("breach: %s", b)
	}
}

func TestEndToEndBlockedRespondent(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(14)
	r.u.Start("")
	r.waitText("Before we start")
	h.srv.Fail("sendMessage", telegramtest.Blocked(r.u.ChatID()), 0)
	r.tap("✅ I agree")
	// Re-checked at every call the fake server sees (the bot's polls included).
	h.waitFor("the 403 to be handled", func(s *telegramtest.Server) bool {
		return h.sender.Stats().Blocked > 0
	})
	h.stop()
	var (
		cs bot.ChatState
		ok bool
	)
	err := h.openStore().View(func(tx *store.Tx) error {
		var err error
		cs, ok, err = tx.ChatState(r.u.ChatID())
		return err
	})
	if err != nil || !ok || !cs.Unreachable {
		t.Fatalf("chat state after 403: %+v %v %v", cs, ok, err)
	}
}

func TestEndToEndTokenNeverLogged(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.srv.Fail("getUpdates", telegramtest.ConnReset(), 2)
	h.srv.Fail("sendMessage", telegramtest.BadGateway(), 2)
	r := h.respondent(15)
	r.u.Start("")
	r.waitText("Before we start")
	h.stop()
	logs := h.logs.String()
	if !strings.Contains(logs, "getUpdates failed") {
		t.Errorf("the transport error was not logged:\n%s", logs)
	}
	if strings.Contains(logs, h.srv.Token()) || strings.Contains(logs, "TEST-TOKEN") {
		t.Fatalf("token in logs:\n%s", logs)
	}
}

func TestRunRefusesABadToken(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "x.db")
	cfg.Telegram.APIURL = srv.URL
	err := serve(context.Background(), cfg, func(string) string { return "1:wrong" }, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), "rejected the bot token") || strings.Contains(err.Error(), "1:wrong") {
		t.Fatalf("bad token: %v", err)
	}
	err = serve(context.Background(), cfg, func(string) string { return "" }, slog.New(slog.DiscardHandler), nil)
	if err == nil || !strings.Contains(err.Error(), TokenEnv) {
		t.Fatalf("no token: %v", err)
	}
}

func TestRunRefusesALockedDatabase(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "x.db")
	cfg.Telegram.APIURL = srv.URL
	db, err := store.Open(cfg.Database, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = serve(context.Background(), cfg, func(string) string { return srv.Token() }, slog.New(slog.DiscardHandler), nil)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("locked database: %v", err)
	}
}

func TestEndToEndReviewAndSpanish(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	u := h.srv.AddUser(telegramtest.UserInfo{ID: 21, FirstName: "Ana", LanguageCode: "es-AR"})
	r := &respondent{h: h, u: u}
	u.Start("")
	r.tap("✅ Acepto")
	r.tap("🎶 Arte, música o coro")
	r.waitText("¿Cuántas personas")
	u.SendCommand("review", "")
	r.waitText("Tus respuestas hasta ahora")
	r.tap("1. Tipo de grupo")
	r.waitText("¿Qué tipo de grupo es?")
	r.tap("⚽ Deporte o ejercicio")
	// After a change from the review, the survey carries on where it was,
	// in the message that showed the review (the last in the chat), the
	// only one with buttons.
	r.waitText("¿Cuántas personas")
	live := 0
	for _, m := range h.srv.BotMessages(u.ChatID()) {
		if strings.Contains(m.Rendered, "Tus respuestas hasta ahora") {
			t.Errorf("the review is still shown: %q", m.Rendered)
		}
		if len(m.Keyboard) > 0 {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d messages have buttons, want 1", live)
	}
	h.stop()
	sess, _, _ := h.openStore().Session(21)
	if sess.Language != "es" || sess.Answers["group_kind"].Values[0] != "sport" {
		t.Fatalf("session: lang %q, group_kind %+v", sess.Language, sess.Answers["group_kind"])
	}
}

func TestEndToEndPoliteAboutMediaAndLongText(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.cfg.Bot.MaxText = 50
	h.stop()
	h.start()
	r := h.respondent(22)
	r.u.Start("")
	r.tap("✅ I agree")
	r.u.SendSticker("🙂")
	r.waitText("I can only read text")
	r.u.SendText(strings.Repeat("a", 51))
	r.waitText("the limit is 50")
	h.stop()
	sess, _, _ := h.openStore().Session(22)
	if len(sess.Answers) != 0 {
		t.Fatalf("stored %v", sess.Answers)
	}
}

func TestStartupWaitsForTelegram(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	srv.Fail("getMe", telegramtest.ConnReset(), 1)
	srv.Fail("getMe", telegramtest.BadGateway(), 1)
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "x.db")
	cfg.Telegram.APIURL = srv.URL
	cfg.Telegram.PollTimeout = Duration(time.Second)
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, func(string) string { return srv.Token() },
			slog.New(slog.NewTextHandler(logs, nil)), &serveHooks{started: func(running) { cancel() }})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, logs)
		}
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatalf("did not start once Telegram came back\n%s", logs)
	}
	if n := strings.Count(logs.String(), "cannot reach Telegram yet"); n != 2 {
		t.Errorf("%d retries logged, want 2:\n%s", n, logs)
	}
	if strings.Contains(logs.String(), srv.Token()) {
		t.Errorf("token in logs:\n%s", logs)
	}
}

func TestEndToEndLowerUpdateIDsAfterAQuietWeek(t *testing.T) {
	h := newHarness(t, telegramtest.Options{FirstUpdateID: 900000})
	r := h.respondent(31)
	r.u.Start("")
	r.tap("✅ I agree")
	r.waitText("What kind of group")
	// Telegram picks update ids afresh after a week without updates, by
	// which time the bot has confirmed every update. (Restarting the ids
	// before the bot's next getUpdates confirms the tap above would have
	// the fake ignore that offset and deliver the tap again after update
	// 17, a race no real bot meets: that made the offset check below fail
	// once in eight loaded runs.)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingUpdates() == 0 }); err != nil {
		t.Fatalf("updates never confirmed: %v", err)
	}
	h.srv.RestartUpdateIDs(17)
	r.tap("☕ Social or hobby group")
	r.waitText("Roughly how many people")
	if got := h.srv.AllowedUpdates(); strings.Join(got, ",") != "message,callback_query" {
		t.Errorf("allowed_updates = %v", got)
	}
	scope := tgbotapi.NewBotCommandScopeAllPrivateChats()
	for _, lang := range []string{"", "es"} {
		if cmds := h.srv.Commands(&scope, lang); len(cmds) < 6 || cmds[0].Command != "start" {
			t.Errorf("command menu (%q): %+v", lang, cmds)
		}
	}
	h.stop()
	if off, _ := h.openStore().Offset(); off != 18 {
		t.Errorf("stored offset %d after update 17, want 18", off)
	}
}

func TestOldUpdateIDsArePruned(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.stop()
	db, err := store.Open(h.cfg.Database, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *store.Tx) error {
		if err := tx.MarkSeen("m:1:1", time.Now().Add(-8*24*time.Hour)); err != nil {
			return err
		}
		return tx.MarkSeen("m:1:2", time.Now().Add(-time.Hour))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	h.start()
	h.stop()
	db = h.openStore()
	err = db.View(func(tx *store.Tx) error {
		if tx.Seen("m:1:1") || !tx.Seen("m:1:2") {
			t.Errorf("after start-up: old key seen %v, recent key seen %v", tx.Seen("m:1:1"), tx.Seen("m:1:2"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAdminHealth(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(41)
	r.u.Start("")
	r.waitText("Before we start") // a poll has been answered
	var rep adminsock.HealthReport
	if err := adminsock.NewClient(h.cfg.AdminSocket()).Call(t.Context(), "/healthz", nil, &rep); err != nil {
		t.Fatal(err) // answered 503 unless healthy
	}
	if !rep.OK || !rep.Polling || rep.Updates < 1 {
		t.Fatalf("health: %+v", rep)
	}
	fi, err := os.Stat(h.cfg.AdminSocket())
	if err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("admin socket mode: %v %v", fi.Mode(), err)
	}
	h.stop()
	if _, err := os.Stat(h.cfg.AdminSocket()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after stop: %v", err)
	}
}

func TestExportWhileTheBotRuns(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	r := h.respondent(51)
	r.answerDefaultSurvey()
	dir := t.TempDir()
	key := filepath.Join(dir, "study.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("ab", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "long.csv")
	stdout, stderr, err := runCmd(t, "", "export", "--db", h.cfg.Database, "--key-file", key, "--format", "csv", "--out", out)
	if err != nil {
		t.Fatalf("export through the admin endpoint: %v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "Exported 1 response") {
		t.Errorf("stdout: %s", stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "respondent" {
		t.Fatalf("export: %v\n%s", err, data)
	}
	for _, row := range rows[1:] {
		if row[0] == "51" || len(row[0]) != 16 {
			t.Fatalf("respondent %q is not a pseudonym", row[0])
		}
	}
	if !strings.Contains(string(data), "nextcloud") {
		t.Errorf("export lacks an answer:\n%s", data)
	}
}
