package demo

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/jobs"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
)

// Golden transcripts of conversations with the bot, as the chat shows
// them: message by message, with every edit, the toast of each tap, and
// which messages have live buttons. The real bot, store and sender run in
// this process against the fake Bot API; each step waits until the bot
// has answered completely, so message ids and every line are the same
// from run to run. go test ./cmd/internal/demo -run TestChatTranscripts -update
// rewrites testdata/chats/*.golden.
var update = flag.Bool("update", false, "rewrite the golden chat transcripts in testdata/chats")

// chatBot is the real bot running in this process, for transcripts.
type chatBot struct {
	t     testing.TB
	srv   *telegramtest.Server
	def   *survey.Definition
	path  string
	db    *store.DB
	ob    *watchedOutbox
	bot   *bot.Bot
	send  *bot.Sender
	stop  context.CancelFunc
	wg    sync.WaitGroup
	now   time.Time
	clock sync.Mutex
}

// watchedOutbox is the store as the sender's Outbox, telling when a
// delivery is recorded.
type watchedOutbox struct {
	*store.DB
	mu sync.Mutex
	ch chan struct{}
}

func (w *watchedOutbox) changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.ch
}

func (w *watchedOutbox) notify() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}

func (w *watchedOutbox) Done(q bot.Queued, id int) error {
	defer w.notify()
	return w.DB.Done(q, id)
}

func (w *watchedOutbox) Drop(q bot.Queued, why bot.DropReason) error {
	defer w.notify()
	return w.DB.Drop(q, why)
}

func (w *watchedOutbox) Retry(q bot.Queued, at time.Time) error {
	defer w.notify()
	return w.DB.Retry(q, at)
}

// newChatBot starts the bot on the survey file at surveyPath ("": the
// built-in survey) against a fake Bot API of its own.
func newChatBot(t testing.TB, surveyPath string) *chatBot {
	t.Helper()
	return newChatBotOn(t, surveyPath, telegramtest.Options{})
}

// newChatBotOn is newChatBot with the fake Bot API's options (its bot's
// name, its clock); taps never expire.
func newChatBotOn(t testing.TB, surveyPath string, opts telegramtest.Options) *chatBot {
	t.Helper()
	def, err := surveyfile.Default()
	if surveyPath != "" {
		def, err = surveyfile.Load(surveyPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	opts.CallbackAnswerTimeout = -1
	srv := telegramtest.NewServer(opts)
	t.Cleanup(srv.Close)
	c := &chatBot{t: t, srv: srv, def: def, path: filepath.Join(t.TempDir(), "toolmap.db"),
		now: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	c.start()
	t.Cleanup(c.halt)
	return c
}

// clockNow is the bot's clock: a second passes at each reading.
func (c *chatBot) clockNow() time.Time {
	c.clock.Lock()
	defer c.clock.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

func (c *chatBot) start() {
	t := c.t
	t.Helper()
	// The store's clock stands still between the bot's steps, so that
	// deliveries wait for the next commit to be written, as they do when
	// the bot is busy (and a crash loses them).
	db, err := store.Open(c.path, &store.Options{NoSync: true, Now: func() time.Time {
		c.clock.Lock()
		defer c.clock.Unlock()
		return c.now
	}})
	if err != nil {
		t.Fatal(err)
	}
	c.db = db
	c.ob = &watchedOutbox{DB: db}
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	conn, err := bot.Connect(ctx, bot.Token(c.srv.Token()), bot.ConnectOptions{APIURL: c.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	// No idle flush: deliveries are written with the next commit only, so
	// that a crash (crash) loses those since.
	c.send = bot.NewSender(conn, c.ob, &bot.SenderOptions{Unlimited: true, IdleFlush: time.Hour})
	c.bot = bot.New(conn, c.def, db, c.send, &bot.Options{Now: c.clockNow, PollTimeout: time.Second, FloodRate: 1000, FloodBurst: 1000})
	if _, err := c.bot.Restart(db); err != nil {
		t.Fatal(err)
	}
	c.wg.Go(func() { _ = c.send.Run(ctx) })
	c.wg.Go(func() { _ = c.bot.Run(ctx) })
}

// halt stops the bot and closes the database.
func (c *chatBot) halt() {
	if c.stop == nil {
		return
	}
	c.stop()
	c.wg.Wait()
	c.stop = nil
	if err := c.db.Close(); err != nil {
		c.t.Error(err)
	}
}

// crash stops the bot as kill -9 would: what was committed stays, the
// deliveries the sender reported since the last commit are lost; then it
// starts again on the same file.
func (c *chatBot) crash() {
	c.t.Helper()
	c.stop()
	c.wg.Wait()
	c.stop = nil
	data, err := os.ReadFile(c.path) // only committed transactions are in the file
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.db.Close(); err != nil { // it writes the deliveries: undone below
		c.t.Fatal(err)
	}
	if err := os.WriteFile(c.path, data, 0o600); err != nil {
		c.t.Fatal(err)
	}
	c.start()
}

// settle waits until the bot has handled every update and sent, and
// recorded, everything it queued, and every tap is answered.
func (c *chatBot) settle() {
	c.t.Helper()
	if err := c.settled(); err != nil {
		c.t.Fatal(err)
	}
}

// settled is settle, returning what went wrong.
func (c *chatBot) settled() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		sc, oc := c.srv.Changed(), c.ob.changed()
		if c.quiet() {
			return nil
		}
		select {
		case <-sc:
		case <-oc:
		case <-ctx.Done():
			return fmt.Errorf("the bot did not settle: %d updates pending, %d unanswered taps", c.srv.PendingUpdates(), len(c.srv.UnansweredCallbacks()))
		}
	}
}

func (c *chatBot) quiet() bool {
	if c.srv.PendingUpdates() > 0 || len(c.srv.UnansweredCallbacks()) > 0 {
		return false
	}
	off, err := c.db.Offset()
	if err != nil || off < int64(c.srv.NextUpdateID()) {
		return false
	}
	items, err := c.db.Pending(0)
	return err == nil && len(items) == 0
}

// transcript records one chat, step by step.
type transcript struct {
	c     *chatBot
	u     *telegramtest.User
	b     strings.Builder
	shown map[int]telegramtest.Message
	calls int // Bot API calls recorded before the step
	step  int
}

func (c *chatBot) transcript(userID int64) *transcript {
	return &transcript{c: c, u: c.srv.User(userID), shown: map[int]telegramtest.Message{}}
}

// act does one thing as the person, waits for the bot, and writes what
// changed in the chat.
func (tr *transcript) act(what string, do func() telegramtest.Sent) {
	tr.c.t.Helper()
	tr.step++
	fmt.Fprintf(&tr.b, "\n%d. %s\n", tr.step, what)
	tr.calls = len(tr.c.srv.Calls(""))
	sent := do()
	tr.c.settle()
	tr.diff(sent)
}

// say writes a line of its own (what the test does besides the person).
func (tr *transcript) note(what string) {
	tr.step++
	fmt.Fprintf(&tr.b, "\n%d. (%s)\n", tr.step, what)
	tr.calls = len(tr.c.srv.Calls(""))
}

func (tr *transcript) start(payload string) {
	tr.act("/start", func() telegramtest.Sent { return tr.u.Start(payload) })
}

func (tr *transcript) say(text string) {
	tr.act("types “"+text+"”", func() telegramtest.Sent { return tr.u.SendText(text) })
}

func (tr *transcript) sticker() {
	tr.act("sends a sticker 👍", func() telegramtest.Sent { return tr.u.SendSticker("👍") })
}

// tap taps the button labelled label on the newest bot message.
func (tr *transcript) tap(label string) {
	tr.c.t.Helper()
	v := tr.c.srv.View(tr.u.ChatID())
	tr.tapOn(v.Last.MessageID, label)
}

// tapOn taps the button labelled label on message id.
func (tr *transcript) tapOn(id int, label string) {
	tr.c.t.Helper()
	m, ok := tr.c.srv.MessageByID(tr.u.ChatID(), id)
	if !ok {
		tr.c.t.Fatalf("no message %d", id)
	}
	data := ""
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.Text == label || strings.TrimPrefix(b.Text, "✅ ") == label {
				data = b.CallbackData
			}
		}
	}
	if data == "" {
		tr.c.t.Fatalf("step %d: no button %q on message %d:\n%s", tr.step+1, label, id, tr.b.String())
	}
	tr.act(fmt.Sprintf("taps [%s] on #%d", label, id), func() telegramtest.Sent { return tr.u.TapData(id, data) })
}

// diff writes what the step changed: new and edited messages, the toast,
// failed calls, and where the live buttons are.
func (tr *transcript) diff(sent telegramtest.Sent) {
	c := tr.c
	msgs := c.srv.Messages(tr.u.ChatID())
	for _, m := range msgs {
		old, seen := tr.shown[m.MessageID]
		tr.shown[m.MessageID] = m
		switch {
		case !seen && !m.FromBot:
			fmt.Fprintf(&tr.b, "   you #%d: %s\n", m.MessageID, userText(m))
		case !seen:
			fmt.Fprintf(&tr.b, "   bot #%d:%s\n", m.MessageID, block(m.Rendered, m.Keyboard))
		case m.Edits != old.Edits:
			var what []string
			if m.Rendered != old.Rendered {
				what = append(what, "text")
			}
			if fmt.Sprint(m.Keyboard) != fmt.Sprint(old.Keyboard) {
				what = append(what, "buttons")
			}
			if len(m.Keyboard) == 0 && len(old.Keyboard) > 0 && m.Rendered == old.Rendered {
				fmt.Fprintf(&tr.b, "   bot #%d edited: buttons removed\n", m.MessageID)
				continue
			}
			fmt.Fprintf(&tr.b, "   bot #%d edited (%s):%s\n", m.MessageID, strings.Join(what, ", "), block(m.Rendered, m.Keyboard))
		}
	}
	if sent.CallbackQueryID != "" {
		for _, cb := range c.srv.Callbacks() {
			if cb.ID == sent.CallbackQueryID {
				toast := cb.AnswerText
				if toast == "" {
					toast = "(none)"
				}
				fmt.Fprintf(&tr.b, "   toast: %s\n", toast)
			}
		}
	}
	counts := map[string]int{}
	for _, call := range c.srv.Calls("")[tr.calls:] {
		switch call.Method {
		case "getUpdates", "answerCallbackQuery":
		default:
			counts[call.Method]++
		}
		if call.Status != 200 && call.Method != "getUpdates" {
			fmt.Fprintf(&tr.b, "   ERROR %s: %d %s\n", call.Method, call.Status, call.Description)
		}
	}
	var calls []string
	for _, m := range []string{"sendMessage", "editMessageText", "editMessageReplyMarkup"} {
		if counts[m] > 0 {
			calls = append(calls, fmt.Sprintf("%s %d", m, counts[m]))
		}
	}
	if len(calls) == 0 {
		calls = []string{"none"}
	}
	var live []string
	for _, m := range msgs {
		if m.FromBot && hasCallbacks(m) {
			s := fmt.Sprintf("#%d", m.MessageID)
			if m.MessageID == msgs[len(msgs)-1].MessageID {
				s += " (the last message)"
			}
			live = append(live, s)
		}
	}
	if len(live) == 0 {
		live = []string{"none"}
	}
	fmt.Fprintf(&tr.b, "   calls: %s · live buttons: %s\n", strings.Join(calls, ", "), strings.Join(live, ", "))
}

func hasCallbacks(m telegramtest.Message) bool {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.CallbackData != "" {
				return true
			}
		}
	}
	return false
}

func userText(m telegramtest.Message) string {
	if m.Kind == "text" {
		return m.Rendered
	}
	return "[" + m.Kind + "]"
}

// block shows a message's text and buttons, indented.
func block(text string, kb [][]telegramtest.Button) string {
	var b strings.Builder
	for line := range strings.Lines(text) {
		b.WriteString("\n      │ " + strings.TrimRight(line, "\n"))
	}
	for _, row := range kb {
		var labels []string
		for _, btn := range row {
			labels = append(labels, "["+btn.Text+"]")
		}
		b.WriteString("\n      " + strings.Join(labels, " "))
	}
	return b.String()
}

// check compares the transcript with its golden file, or rewrites it.
func (tr *transcript) check(name string) {
	t := tr.c.t
	t.Helper()
	got := strings.TrimLeft(tr.b.String(), "\n")
	path := filepath.Join("testdata", "chats", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the chat differs from %s (-update rewrites it):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			lo := max(0, i-3)
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q\ncontext (got):\n%s", i+1, wl, gl, strings.Join(g[lo:min(len(g), i+4)], "\n"))
		}
	}
	return ""
}

// The conversations of the transcripts.
var chatScripts = []struct {
	name string
	run  func(tr *transcript)
}{
	{"other_typed_twice", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.tap("Under 20")
		tr.tap("Meetings")
		tr.tap("Done ▶")
		tr.tap("WhatsApp")
		tr.tap("Other…")
		tr.say("Action Network")
		tr.tap("Other…")
		tr.say("A noticeboard")
		tr.tap("Done ▶")
	}},
	{"stray_text", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.say("hello?")
		tr.say("20 or more") // a typed option's label is accepted
		tr.say("money, I think")
		tr.tap("Money")
		tr.tap("Done ▶")
	}},
	{"sticker", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.sticker()
		tr.tap("Under 20")
		tr.sticker()
	}},
	{"older_copy", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		older := tr.c.srv.View(tr.u.ChatID()).Last.MessageID
		tr.note("the bot is killed with kill -9 and started again: the question is shown again below")
		tr.c.crash()
		tr.c.settle()
		tr.diff(telegramtest.Sent{})
		tr.tapOn(older, "20 or more")
		tr.tap("Meetings")
	}},
	{"reminder_continue", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.tap("Under 20")
		tr.tap("Money")
		tr.note("a day later, the reminder job runs")
		rem := jobs.NewReminders(tr.c.db, tr.c.def, bot.ReminderPolicy{After: time.Hour, Max: 2, From: 0, To: 24 * 60}, 0, tr.c.send, nil, nil)
		if _, err := rem.Queue(tr.c.clockNow().Add(25 * time.Hour)); err != nil {
			tr.c.t.Fatal(err)
		}
		tr.c.settle()
		tr.diff(telegramtest.Sent{})
		tr.tap("▶ Continue")
		tr.tap("Done ▶")
	}},
	{"repeat_after_crash", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.tap("Under 20")
		tr.say("meetings")
		tr.note("the bot is killed with kill -9 and started again")
		tr.c.crash()
		tr.c.settle()
		tr.diff(telegramtest.Sent{})
		tr.tap("Done ▶")
		tr.tap("Email")
	}},
	{"exclusive_with_others", func(tr *transcript) {
		tr.start("")
		tr.tap("✅ I agree")
		tr.tap("Under 20")
		tr.tap("Meetings")
		tr.tap("Done ▶")
		tr.tap("WhatsApp")
		tr.tap("Email")
		tr.tap("🚫 No tool")
		tr.tap("Paper")
		tr.tap("Done ▶")
	}},
}

func TestChatTranscripts(t *testing.T) {
	for _, sc := range chatScripts {
		t.Run(sc.name, func(t *testing.T) {
			c := newChatBot(t, filepath.Join("testdata", "chats", "survey.yaml"))
			tr := c.transcript(4242)
			sc.run(tr)
			tr.check(sc.name)
			if errs := failedCalls(c.srv); len(errs) > 0 {
				t.Errorf("Bot API errors: %v", errs)
			}
		})
	}
}

// failedCalls lists the Bot API calls that failed (long polls cut short
// by a stop excepted).
func failedCalls(srv *telegramtest.Server) []string {
	var out []string
	for _, call := range srv.Calls("") {
		if call.Status != 200 && call.Method != "getUpdates" {
			out = append(out, fmt.Sprintf("%s %d %s", call.Method, call.Status, call.Description))
		}
	}
	return slices.Compact(out)
}
