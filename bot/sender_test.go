package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"toolmap/bot/chat"
	"toolmap/bot/telegramtest"
)

// senderOutbox is an in-memory Outbox: the sender's own interface, filled
// by the tests.
type senderOutbox struct {
	mu          sync.Mutex
	seq         uint64
	order       []uint64 // queue order; removed items are skipped
	head        int
	items       map[uint64]*Queued
	prompts     map[int64]int
	sent        map[[2]int64]int // chat, send number -> message id
	done        []senderDoneRec
	dropped     []senderDropRec
	unreachable map[int64]bool
	changed     chan struct{}

	failPending, failDone int // fail the next n calls
}

type senderDoneRec struct {
	Seq       uint64
	ChatID    int64
	MessageID int
}

type senderDropRec struct {
	Seq    uint64
	ChatID int64
	Why    DropReason
}

var (
	_ Outbox = (*senderOutbox)(nil)
	_ Waker  = (*Sender)(nil)
)

func newSenderOutbox() *senderOutbox {
	return &senderOutbox{items: map[uint64]*Queued{}, prompts: map[int64]int{}, unreachable: map[int64]bool{}, changed: make(chan struct{})}
}

func (o *senderOutbox) notify() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// add queues items and returns their sequence numbers.
func (o *senderOutbox) add(outs ...Outgoing) []uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var seqs []uint64
	for _, out := range outs {
		o.seq++
		o.order = append(o.order, o.seq)
		o.items[o.seq] = &Queued{Seq: o.seq, Out: out}
		seqs = append(seqs, o.seq)
	}
	o.notify()
	return seqs
}

func (o *senderOutbox) Pending(limit int) ([]Queued, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.failPending > 0 {
		o.failPending--
		return nil, errors.New("disk on fire")
	}
	return o.pendingLocked(limit), nil
}

func (o *senderOutbox) pendingLocked(limit int) []Queued {
	var out []Queued
	for i := o.head; i < len(o.order) && len(out) < limit; i++ {
		if q, ok := o.items[o.order[i]]; ok {
			out = append(out, *q)
		}
	}
	return out
}

func (o *senderOutbox) remove(seq uint64) error {
	if _, ok := o.items[seq]; !ok {
		return fmt.Errorf("item %d not queued", seq)
	}
	delete(o.items, seq)
	for o.head < len(o.order) && o.items[o.order[o.head]] == nil {
		o.head++
	}
	return nil
}

func (o *senderOutbox) Done(q Queued, messageID int) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var err error
	if o.failDone > 0 {
		// As the Outbox contract says, a delivery whose write fails is
		// kept (here: applied) and never handed out again.
		o.failDone--
		err = errors.New("disk on fire")
	}
	if err := o.remove(q.Seq); err != nil {
		return err
	}
	if q.Out.Kind == OutSend && q.Out.Prompt {
		o.prompts[q.Out.ChatID] = messageID
	}
	if q.Out.Num != 0 && messageID != 0 {
		if o.sent == nil {
			o.sent = map[[2]int64]int{}
		}
		o.sent[[2]int64{q.Out.ChatID, int64(q.Out.Num)}] = messageID
	}
	o.done = append(o.done, senderDoneRec{q.Seq, q.Out.ChatID, messageID})
	o.notify()
	return err
}

func (o *senderOutbox) Retry(q Queued, notBefore time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	it, ok := o.items[q.Seq]
	if !ok {
		return fmt.Errorf("item %d not queued", q.Seq)
	}
	it.Attempts++
	it.NotBefore = notBefore
	o.notify()
	return nil
}

func (o *senderOutbox) Drop(q Queued, why DropReason) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.remove(q.Seq); err != nil {
		return err
	}
	if why == DropBlocked {
		o.unreachable[q.Out.ChatID] = true
	}
	o.dropped = append(o.dropped, senderDropRec{q.Seq, q.Out.ChatID, why})
	o.notify()
	return nil
}

func (o *senderOutbox) PromptMessage(chatID int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.prompts[chatID], nil
}

func (o *senderOutbox) SentMessage(chatID int64, num int) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent[[2]int64{chatID, int64(num)}], nil
}

func (o *senderOutbox) queued() []Queued {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pendingLocked(1 << 30)
}

func (o *senderOutbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.items)
}

func (o *senderOutbox) drops() []senderDropRec {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.dropped)
}

func (o *senderOutbox) dones() []senderDoneRec {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.done)
}

// waitFor blocks until cond holds or ctx is done, waking on every change.
func (o *senderOutbox) waitFor(ctx context.Context, cond func(o *senderOutbox) bool) error {
	for {
		o.mu.Lock()
		ch := o.changed
		o.mu.Unlock()
		if cond(o) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (o *senderOutbox) waitEmpty(t testing.TB, ctx context.Context) {
	t.Helper()
	if err := o.waitFor(ctx, func(o *senderOutbox) bool { return o.count() == 0 }); err != nil {
		t.Fatalf("outbox not drained: %v; left %+v", err, o.queued())
	}
}

// senderLogs collects JSON log lines.
type senderLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *senderLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *senderLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// classes returns the "class" of every record with message msg.
func (l *senderLogs) classes(t testing.TB, msg string) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(l.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, fmt.Sprint(rec["class"]))
		}
	}
	return out
}

// senderRig is a fake Bot API server, an outbox and a Sender using the real
// tgbotapi client through wrapHTTPClient.
type senderRig struct {
	srv    *telegramtest.Server
	ob     *senderOutbox
	snd    *Sender
	api    *tgbotapi.BotAPI
	logs   *senderLogs
	ctx    context.Context // the Run and HTTP client context
	cancel context.CancelFunc
	done   chan error
}

func newSenderRig(t testing.TB, so telegramtest.Options, opts SenderOptions, rt ...func(http.RoundTripper) http.RoundTripper) *senderRig {
	t.Helper()
	r := &senderRig{srv: telegramtest.NewServer(so), ob: newSenderOutbox(), logs: &senderLogs{}}
	t.Cleanup(r.srv.Close)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	t.Cleanup(r.cancel)
	hc := r.srv.Client()
	for _, wrap := range rt {
		hc.Transport = wrap(hc.Transport)
	}
	api, err := tgbotapi.NewBotAPIWithClient(r.srv.Token(), r.srv.APIEndpoint(), wrapHTTPClient(r.ctx, hc))
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewJSONHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r.snd = NewSender(testConn(api), r.ob, &opts)
	r.api = api
	return r
}

// start runs the sender; cleanup stops it and checks that Run returned.
func (r *senderRig) start(t testing.TB) {
	t.Helper()
	r.done = make(chan error, 1)
	go func() { r.done <- r.snd.Run(r.ctx) }()
	t.Cleanup(func() { r.stop(t) })
}

func (r *senderRig) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok && err != nil {
			t.Errorf("Run = %v", err)
		}
		if ok {
			close(r.done)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancel")
	}
}

func (r *senderRig) add(outs ...Outgoing) []uint64 {
	seqs := r.ob.add(outs...)
	r.snd.Wake()
	return seqs
}

func senderCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sndFast turns pacing down where it is not the point of the test.
var sndFast = SenderOptions{GlobalPerSecond: 1000, PrivatePerSecond: 1000, PrivateBurst: 1000}

func sndSend(chat int64, text string) Outgoing {
	return Outgoing{Kind: OutSend, ChatID: chat, Text: text}
}

func sndPrompt(chat int64, text string, kb [][]Button) Outgoing {
	return Outgoing{Kind: OutSend, ChatID: chat, Text: text, Keyboard: kb, Prompt: true}
}

func sndKB(data ...string) [][]Button {
	var row []Button
	for _, d := range data {
		row = append(row, Button{Text: strings.ToUpper(d), Data: d})
	}
	return [][]Button{row}
}

func sndWantKB(data ...string) [][]telegramtest.Button {
	var row []telegramtest.Button
	for _, d := range data {
		row = append(row, telegramtest.Button{Text: strings.ToUpper(d), CallbackData: d})
	}
	return [][]telegramtest.Button{row}
}

type sndMsg struct {
	Text     string
	Keyboard [][]telegramtest.Button
}

func sndShown(srv *telegramtest.Server, chat int64) []sndMsg {
	var out []sndMsg
	for _, m := range srv.BotMessages(chat) {
		out = append(out, sndMsg{m.Text, m.Keyboard})
	}
	return out
}

func TestSenderSendsInOrderWithHTMLAndKeyboards(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.srv.User(2)
	keyboard := [][]Button{{{Text: "Yes", Data: "a:1"}, {Text: "Docs", URL: "https://example.org/docs"}}}
	r.add(
		Outgoing{Kind: OutSend, ChatID: 1, Text: "<b>one</b>", Keyboard: keyboard},
		sndSend(2, "x1"),
		sndSend(1, "two &amp; three"),
		Outgoing{Kind: OutSend, ChatID: 1, Text: "Your <i>name</i>?", ForceReply: true, Placeholder: "name"},
		sndSend(2, "x2"),
	)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))

	msgs := r.srv.BotMessages(1)
	type got struct {
		Text, Rendered, ParseMode string
		Keyboard                  [][]telegramtest.Button
		ForceReply                bool
	}
	var gotMsgs []got
	for _, m := range msgs {
		gotMsgs = append(gotMsgs, got{m.Text, m.Rendered, m.ParseMode, m.Keyboard, m.ForceReply})
	}
	want := []got{
		{"<b>one</b>", "one", "HTML", [][]telegramtest.Button{{{Text: "Yes", CallbackData: "a:1"}, {Text: "Docs", URL: "https://example.org/docs"}}}, false},
		{"two &amp; three", "two & three", "HTML", nil, false},
		{"Your <i>name</i>?", "Your name?", "HTML", nil, true},
	}
	if diff := cmp.Diff(want, gotMsgs); diff != "" {
		t.Errorf("chat 1 (-want +got):\n%s", diff)
	}
	if !strings.Contains(msgs[2].Params.Get("reply_markup"), `"input_field_placeholder":"name"`) {
		t.Errorf("force reply markup = %s", msgs[2].Params.Get("reply_markup"))
	}
	if diff := cmp.Diff([]sndMsg{{"x1", nil}, {"x2", nil}}, sndShown(r.srv, 2)); diff != "" {
		t.Errorf("chat 2 (-want +got):\n%s", diff)
	}
	// Done got the ids Telegram gave, in queue order per chat.
	var ids []int
	for _, d := range r.ob.dones() {
		if d.ChatID == 1 {
			ids = append(ids, d.MessageID)
		}
	}
	if diff := cmp.Diff([]int{msgs[0].MessageID, msgs[1].MessageID, msgs[2].MessageID}, ids); diff != "" {
		t.Errorf("Done message ids (-want +got):\n%s", diff)
	}
	st := r.snd.Stats()
	if st.Sent != 5 || st.ByMethod["sendMessage"] != 5 || st.Dropped != 0 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// TestSenderSendsDocuments: a document in the outbox goes out with
// sendDocument, in its chat's order and under the same pacing as any
// message, and its message id reaches Done; one without a file is dropped.
func TestSenderSendsDocuments(t *testing.T) {
	limits := telegramtest.Limits{Enforce: true, PrivatePerSecond: 20, PrivateBurst: 1}
	r := newSenderRig(t, telegramtest.Options{Limits: limits}, SenderOptions{PrivatePerSecond: 20, PrivateBurst: 1})
	r.srv.User(1)
	data := []byte(`{"answers": []}`)
	r.add(
		sndSend(1, "before"),
		Outgoing{Kind: OutSendDocument, ChatID: 1, Text: "Your <b>data</b>", File: &chat.File{Name: "mydata.json", Data: data}},
		Outgoing{Kind: OutSendDocument, ChatID: 1, Text: "no file"},
		sndSend(1, "after"),
	)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))
	msgs := r.srv.BotMessages(1)
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
	}
	if diff := cmp.Diff([]string{"text", "document", "text"}, kinds); diff != "" {
		t.Fatalf("chat 1 (-want +got):\n%s", diff)
	}
	doc := msgs[1]
	if doc.File == nil || doc.File.FileName != "mydata.json" || !bytes.Equal(doc.File.Data, data) || doc.Rendered != "Your data" {
		t.Errorf("document = %+v, file %+v", doc, doc.File)
	}
	if b := r.srv.Breaches(); len(b) != 0 {
		t.Errorf("%d breaches, first %v", len(b), b[0])
	}
	var ids []int
	for _, d := range r.ob.dones() {
		ids = append(ids, d.MessageID)
	}
	if diff := cmp.Diff([]int{msgs[0].MessageID, doc.MessageID, msgs[2].MessageID}, ids); diff != "" {
		t.Errorf("Done message ids (-want +got):\n%s", diff)
	}
	if drops := r.ob.drops(); len(drops) != 1 || drops[0].Why != DropBadRequest {
		t.Errorf("drops = %+v, want the document without a file", drops)
	}
	if st := r.snd.Stats(); st.ByMethod["sendDocument"] != 1 || st.Sent != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSenderPromptEdits(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.srv.User(2)
	r.add(
		sndPrompt(1, "Q1", sndKB("a", "b")),
		Outgoing{Kind: OutEditText, ChatID: 1, ToPrompt: true, Text: "Q1: <b>a</b>"}, // no keyboard: removes it
		sndPrompt(1, "Q2", sndKB("c", "d")),
		Outgoing{Kind: OutEditMarkup, ChatID: 1, ToPrompt: true, Keyboard: sndKB("c", "✅ d")},
		Outgoing{Kind: OutEditMarkup, ChatID: 2, ToPrompt: true, Keyboard: sndKB("x")}, // chat 2 has no prompt
		Outgoing{Kind: OutEditText, ChatID: 2, Text: "no target"},
	)
	r.start(t)
	ctx := senderCtx(t)
	r.ob.waitEmpty(t, ctx)
	want := []sndMsg{{"Q1: <b>a</b>", nil}, {"Q2", sndWantKB("c", "✅ d")}}
	if diff := cmp.Diff(want, sndShown(r.srv, 1)); diff != "" {
		t.Errorf("chat 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]DropReason{DropNoTarget, DropNoTarget}, sndDropReasons(r.ob.drops())); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	for _, c := range r.srv.Calls("") {
		if c.ChatID == 2 {
			t.Errorf("call for chat 2 without a target: %s", c.Method)
		}
	}

	// An empty keyboard removes the keyboard.
	r.add(Outgoing{Kind: OutEditMarkup, ChatID: 1, ToPrompt: true})
	r.ob.waitEmpty(t, ctx)
	want[1].Keyboard = nil
	if diff := cmp.Diff(want, sndShown(r.srv, 1)); diff != "" {
		t.Errorf("after removing the keyboard (-want +got):\n%s", diff)
	}
	if st := r.snd.Stats(); st.Sent != 2 || st.Edits != 3 || st.Dropped != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func sndSortedDrops(ds []senderDropRec) []senderDropRec {
	return slices.SortedFunc(slices.Values(ds), func(a, b senderDropRec) int { return int(a.Seq) - int(b.Seq) })
}

func sndDropReasons(ds []senderDropRec) []DropReason {
	var out []DropReason
	for _, d := range ds {
		out = append(out, d.Why)
	}
	return out
}

func TestSenderNotModifiedIsSuccess(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.add(sndPrompt(1, "Q", sndKB("a")))
	r.start(t)
	ctx := senderCtx(t)
	r.ob.waitEmpty(t, ctx)
	// Another sender, which does not know what the message shows (as
	// after a restart), sends the edits, and Telegram finds them
	// identical.
	ob := newSenderOutbox()
	snd := NewSender(testConn(r.api), ob, &sndFast)
	done := make(chan error, 1)
	go func() { done <- snd.Run(r.ctx) }()
	ob.add(
		Outgoing{Kind: OutEditMarkup, ChatID: 1, MessageID: r.ob.dones()[0].MessageID, Keyboard: sndKB("a")},
		sndSend(1, "next"), // ends the run, so the edit below is not coalesced
		Outgoing{Kind: OutEditText, ChatID: 1, MessageID: r.ob.dones()[0].MessageID, Text: "Q", Keyboard: sndKB("a")},
	)
	ob.waitEmpty(t, ctx)
	var statuses []int
	for _, c := range r.srv.Calls("") {
		if strings.HasPrefix(c.Method, "edit") {
			statuses = append(statuses, c.Status)
		}
	}
	if diff := cmp.Diff([]int{400, 400}, statuses); diff != "" {
		t.Errorf("edit statuses (-want +got):\n%s", diff)
	}
	if st := snd.Stats(); st.NotModified != 2 || st.Dropped != 0 || st.Retries != 0 || len(ob.dones()) != 3 {
		t.Errorf("stats = %+v, done = %v", st, ob.dones())
	}
}

func TestSenderSkipsEditsThatChangeNothing(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.add(sndPrompt(1, "Q", sndKB("a")))
	r.start(t)
	ctx := senderCtx(t)
	r.ob.waitEmpty(t, ctx)
	id := r.ob.dones()[0].MessageID
	// (Sends between the edits end each run, so none is coalesced.)
	r.add(
		Outgoing{Kind: OutEditMarkup, ChatID: 1, MessageID: id, Keyboard: sndKB("b")}, // a change
		sndSend(1, "next"),
		Outgoing{Kind: OutEditMarkup, ChatID: 1, MessageID: id, Keyboard: sndKB("b")}, // the same again
		sndSend(1, "next"),
		Outgoing{Kind: OutEditText, ChatID: 1, MessageID: id, Text: "Q", Keyboard: sndKB("b")}, // what it shows already
		sndSend(1, "next"),
		Outgoing{Kind: OutEditText, ChatID: 1, MessageID: id, Text: "Q2", Keyboard: sndKB("b")},
	)
	r.ob.waitEmpty(t, ctx)
	var got []string
	for _, c := range r.srv.Calls("") {
		if strings.HasPrefix(c.Method, "edit") {
			got = append(got, fmt.Sprintf("%s %d", c.Method, c.Status))
		}
	}
	if diff := cmp.Diff([]string{"editMessageReplyMarkup 200", "editMessageText 200"}, got); diff != "" {
		t.Errorf("edits sent (-want +got):\n%s", diff)
	}
	if st := r.snd.Stats(); st.Unneeded != 2 || st.NotModified != 0 || len(r.ob.dones()) != 8 {
		t.Errorf("stats = %+v, done = %v", st, r.ob.dones())
	}
}

func TestSenderCoalescesEdits(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	for _, id := range []int64{1, 2, 3} {
		r.srv.User(id)
	}
	markup := func(chat int64, k [][]Button) Outgoing {
		return Outgoing{Kind: OutEditMarkup, ChatID: chat, ToPrompt: true, Keyboard: k}
	}
	text := func(chat int64, s string, k [][]Button) Outgoing {
		return Outgoing{Kind: OutEditText, ChatID: chat, ToPrompt: true, Text: s, Keyboard: k}
	}
	// Queued before Run starts, so all are pending together.
	seqs := r.ob.add(
		sndPrompt(1, "Q", sndKB("1")),
		markup(1, sndKB("2")),     // superseded by the text edit below
		markup(1, sndKB("3")),     // superseded too
		text(1, "Q'", sndKB("4")), // kept: the later markup edit does not rewrite the text
		markup(1, sndKB("5")),
		sndPrompt(2, "P", nil),
		text(2, "a", nil), // superseded
		text(2, "b", nil),
		sndPrompt(3, "p1", nil),
		markup(3, sndKB("x")), // kept: a send follows, so the prompt changes
		sndPrompt(3, "p2", nil),
		markup(3, sndKB("y")),
	)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))

	want := []senderDropRec{{seqs[1], 1, DropSuperseded}, {seqs[2], 1, DropSuperseded}, {seqs[6], 2, DropSuperseded}}
	if diff := cmp.Diff(want, sndSortedDrops(r.ob.drops())); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	for chat, want := range map[int64][]sndMsg{
		1: {{"Q'", sndWantKB("5")}},
		2: {{"b", nil}},
		3: {{"p1", sndWantKB("x")}, {"p2", sndWantKB("y")}},
	} {
		if diff := cmp.Diff(want, sndShown(r.srv, chat)); diff != "" {
			t.Errorf("chat %d (-want +got):\n%s", chat, diff)
		}
	}
	if st := r.snd.Stats(); st.ByMethod["editMessageText"] != 2 || st.ByMethod["editMessageReplyMarkup"] != 3 || st.Dropped != 3 {
		t.Errorf("stats = %+v", st)
	}
}

// TestSenderDocumentSurvivesA429: a document in the outbox (a long
// /mydata) that Telegram answers with 429 is kept and sent after
// retry_after, not lost; one answered 400 is dropped, not retried for
// ever. (tgbotapi leaves the code out of an upload's error.)
func TestSenderDocumentSurvivesA429(t *testing.T) {
	t.Parallel()
	r := newSenderRig(t, telegramtest.Options{}, SenderOptions{})
	r.srv.User(1)
	r.srv.User(2)
	r.srv.Fail("sendDocument", telegramtest.TooManyRequests(1).ForChat(1), 1)
	r.srv.Fail("sendDocument", telegramtest.BadRequest("Bad Request: file is too big").ForChat(2), 1)
	data := []byte(`{"answers": ["🤝"]}`)
	r.add(Outgoing{Kind: OutSendDocument, ChatID: 1, Text: "Everything", File: &chat.File{Name: "mydata.json", Data: data}},
		Outgoing{Kind: OutSendDocument, ChatID: 2, Text: "Everything", File: &chat.File{Name: "mydata.json", Data: data}})
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))
	var statuses []int
	for _, c := range r.srv.Calls("sendDocument") {
		if c.ChatID == 1 {
			statuses = append(statuses, c.Status)
		}
	}
	if b := r.srv.Breaches(); len(b) != 0 {
		t.Errorf("breaches: %v", b)
	}
	if diff := cmp.Diff([]int{429, 200}, statuses); diff != "" {
		t.Errorf("sendDocument calls to chat 1 (-want +got):\n%s", diff)
	}
	msgs := r.srv.BotMessages(1)
	if len(msgs) != 1 || msgs[0].File == nil || !bytes.Equal(msgs[0].File.Data, data) {
		t.Errorf("chat 1 got %+v, want the document", msgs)
	}
	if drops := r.ob.drops(); len(drops) != 1 || drops[0].ChatID != 2 || drops[0].Why != DropBadRequest {
		t.Errorf("drops = %+v, want chat 2's document as a bad request", drops)
	}
}

func TestSender429PausesOnlyThatChat(t *testing.T) {
	t.Parallel()
	r := newSenderRig(t, telegramtest.Options{}, SenderOptions{}) // default pacing
	r.srv.User(1)
	r.srv.User(2)
	r.srv.Fail("sendMessage", telegramtest.TooManyRequests(1).ForChat(1), 1)
	r.ob.add(sndSend(1, "a1"), sndSend(1, "a2"), sndSend(2, "b1"), sndSend(2, "b2"), sndSend(2, "b3"))
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))

	var limited, firstOK1, lastOK2 time.Time
	for _, c := range r.srv.Calls("sendMessage") {
		switch {
		case c.ChatID == 1 && c.Status == 429:
			limited = c.Time
		case c.ChatID == 1 && c.Status == 200 && firstOK1.IsZero():
			firstOK1 = c.Time
		case c.ChatID == 2 && c.Status == 200:
			lastOK2 = c.Time
		}
	}
	if limited.IsZero() || !lastOK2.Before(firstOK1) {
		t.Errorf("chat 2 waited behind the paused chat: 429 at %v, chat 2 done at %v, chat 1 resumed at %v", limited, lastOK2, firstOK1)
	}
	if d := firstOK1.Sub(limited); d < time.Second {
		t.Errorf("chat 1 resumed %v after a 429 with retry_after=1", d)
	}
	if b := r.srv.Breaches(); len(b) != 0 {
		t.Errorf("breaches: %v", b)
	}
	if diff := cmp.Diff([]sndMsg{{"a1", nil}, {"a2", nil}}, sndShown(r.srv, 1)); diff != "" {
		t.Errorf("chat 1 (-want +got):\n%s", diff)
	}
	if st := r.snd.Stats(); st.RateLimited429 != 1 || st.Retries != 1 || st.Sent != 5 {
		t.Errorf("stats = %+v", st)
	}
}

func TestSenderPermanentErrors(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(5).Block()
	r.srv.User(6)
	seqs := r.ob.add(
		sndSend(5, "one"), sndSend(6, "a <b>secret-answer"), sndSend(5, "two"), sndSend(6, "fine"), sndSend(5, "three"),
	)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))

	n := 0
	for _, c := range r.srv.Calls("sendMessage") {
		if c.ChatID == 5 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d calls to the blocked chat, want 1", n)
	}
	want := []senderDropRec{
		{seqs[0], 5, DropBlocked}, {seqs[1], 6, DropBadRequest}, {seqs[2], 5, DropBlocked}, {seqs[4], 5, DropBlocked},
	}
	if diff := cmp.Diff(want, sndSortedDrops(r.ob.drops())); diff != "" {
		t.Errorf("drops (-want +got):\n%s", diff)
	}
	if !r.ob.unreachable[5] {
		t.Error("chat 5 not marked unreachable")
	}
	if diff := cmp.Diff([]sndMsg{{"fine", nil}}, sndShown(r.srv, 6)); diff != "" {
		t.Errorf("chat 6 (-want +got):\n%s", diff)
	}
	if st := r.snd.Stats(); st.Blocked != 1 || st.Dropped != 4 || st.Sent != 1 || st.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
	logs := r.logs.String()
	for _, secret := range []string{"secret-answer", r.srv.Token(), "TEST-TOKEN"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
	if got := r.logs.classes(t, "bad request: dropped"); !cmp.Equal(got, []string{"400"}) {
		t.Errorf("bad request classes = %v\n%s", got, logs)
	}
	if !strings.Contains(logs, `"reason":"Bad Request: can't parse entities"`) {
		t.Errorf("reason not logged:\n%s", logs)
	}
}

func TestSenderRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.srv.Fail("sendMessage", telegramtest.BadGateway(), 1)
	r.srv.Fail("sendMessage", telegramtest.ConnReset(), 1)
	r.srv.Fail("sendMessage", telegramtest.InternalError(), 1)
	r.ob.add(sndSend(1, "hello"))
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))

	var statuses []int
	for _, c := range r.srv.Calls("sendMessage") {
		statuses = append(statuses, c.Status)
	}
	if diff := cmp.Diff([]int{502, 0, 500, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]sndMsg{{"hello", nil}}, sndShown(r.srv, 1)); diff != "" {
		t.Errorf("chat 1 (-want +got):\n%s", diff)
	}
	if st := r.snd.Stats(); st.Retries != 3 || st.Sent != 1 || st.Dropped != 0 {
		t.Errorf("stats = %+v", st)
	}
	if got := r.logs.classes(t, "request failed: will retry"); !cmp.Equal(got, []string{"bad_response", "transport", "500"}) {
		t.Errorf("classes = %v", got)
	}
	if logs := r.logs.String(); strings.Contains(logs, "TEST-TOKEN") || strings.Contains(logs, "hello") {
		t.Errorf("log leaks the token or the text:\n%s", logs)
	}
}

func TestSenderPacingWithEnforcedLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		limits           telegramtest.Limits
		opts             SenderOptions
		chats, each      int
		group, groupSent int // group messages queued, and allowed within a minute
	}{
		{name: "defaults", chats: 3, each: 10},
		{
			name:   "tight",
			limits: telegramtest.Limits{GlobalPerSecond: 10, PrivatePerSecond: 5, PrivateBurst: 3, GroupPerMinute: 2},
			opts:   SenderOptions{GlobalPerSecond: 10, PrivatePerSecond: 5, PrivateBurst: 3, GroupPerMinute: 2},
			chats:  3, each: 10, group: 3, groupSent: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.limits.Enforce = true
			r := newSenderRig(t, telegramtest.Options{Limits: tt.limits}, tt.opts)
			var outs []Outgoing
			for i := range tt.each {
				for c := range tt.chats {
					r.srv.User(int64(c + 1))
					outs = append(outs, sndSend(int64(c+1), fmt.Sprintf("m%d", i)))
				}
				if i < tt.group {
					outs = append(outs, sndSend(-100, fmt.Sprintf("g%d", i)))
				}
			}
			if tt.group > 0 {
				r.srv.Group(100, "Team")
			}
			r.add(outs...)
			r.start(t)
			left := tt.group - tt.groupSent // group messages that must wait a minute
			err := r.ob.waitFor(senderCtx(t), func(o *senderOutbox) bool { return o.count() == left })
			if err != nil {
				t.Fatalf("%v; left %+v", err, r.ob.queued())
			}
			if b := r.srv.Breaches(); len(b) != 0 {
				t.Errorf("%d breaches, first %v", len(b), b[0])
			}
			for c := range tt.chats {
				var want []sndMsg
				for i := range tt.each {
					want = append(want, sndMsg{fmt.Sprintf("m%d", i), nil})
				}
				if diff := cmp.Diff(want, sndShown(r.srv, int64(c+1))); diff != "" {
					t.Errorf("chat %d (-want +got):\n%s", c+1, diff)
				}
			}
			if n := len(r.srv.BotMessages(-100)); n != tt.groupSent {
				t.Errorf("group got %d messages, want %d", n, tt.groupSent)
			}
			if st := r.snd.Stats(); st.RateLimited429 != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func TestSenderBulkWaitsForLiveTraffic(t *testing.T) {
	one := sndFast
	one.Workers = 1 // one request at a time: the order is the priority order
	r := newSenderRig(t, telegramtest.Options{}, one)
	for _, id := range []int64{10, 11, 12, 13} {
		r.srv.User(id)
	}
	r.ob.add(
		Outgoing{Kind: OutSend, ChatID: 10, Text: "reminder", Bulk: true},
		Outgoing{Kind: OutSend, ChatID: 11, Text: "reminder", Bulk: true},
		Outgoing{Kind: OutSend, ChatID: 13, Text: "reminder", Bulk: true},
		sndSend(12, "live"),
		sndSend(13, "live"), // makes chat 13 urgent, but its reminder still goes first
	)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))
	var order []string
	for _, c := range r.srv.Calls("sendMessage") {
		order = append(order, fmt.Sprintf("%d:%s", c.ChatID, c.Params.Get("text")))
	}
	want := []string{"13:reminder", "12:live", "13:live", "10:reminder", "11:reminder"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("send order (-want +got):\n%s", diff)
	}
}

func TestSenderStopsPromptly(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		r := newSenderRig(t, telegramtest.Options{}, sndFast)
		r.start(t)
		r.stop(t)
	})
	t.Run("request in flight", func(t *testing.T) {
		started := make(chan struct{}, 1)
		signal := func(next http.RoundTripper) http.RoundTripper {
			return senderRoundTripper(func(req *http.Request) (*http.Response, error) {
				if strings.HasSuffix(req.URL.Path, "/sendMessage") {
					select {
					case started <- struct{}{}:
					default:
					}
				}
				return next.RoundTrip(req)
			})
		}
		r := newSenderRig(t, telegramtest.Options{}, sndFast, signal)
		r.srv.User(1)
		r.srv.Fail("sendMessage", telegramtest.Hang(), 1)
		r.add(sndSend(1, "stuck"))
		r.start(t)
		select {
		case <-started:
		case <-senderCtx(t).Done():
			t.Fatal("no request started")
		}
		r.stop(t) // cancels the client's context too: the hanging request ends
		left := r.ob.queued()
		if len(left) != 1 || left[0].Attempts != 1 {
			t.Errorf("outbox after stop = %+v, want the item with its failed attempt recorded", left)
		}
		if got := r.logs.classes(t, "request failed: will retry"); !cmp.Equal(got, []string{"canceled"}) {
			t.Errorf("classes = %v", got)
		}
	})
}

type senderRoundTripper func(*http.Request) (*http.Response, error)

func (f senderRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

func TestSenderOutboxFailures(t *testing.T) {
	r := newSenderRig(t, telegramtest.Options{}, sndFast)
	r.srv.User(1)
	r.ob.failPending = 1 // the first read fails
	r.ob.failDone = 1    // the first delivery is not recorded at once
	r.add(sndSend(1, "once"), sndSend(1, "twice"))
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))
	if diff := cmp.Diff([]sndMsg{{"once", nil}, {"twice", nil}}, sndShown(r.srv, 1)); diff != "" {
		t.Errorf("chat 1 (-want +got):\n%s", diff)
	}
	if n := r.srv.CallCount("sendMessage"); n != 2 {
		t.Errorf("%d sendMessage calls, want 2 (no resend after a failed Done)", n)
	}
	if got := r.logs.classes(t, "outbox write failed"); !cmp.Equal(got, []string{"store"}) {
		t.Errorf("classes = %v", got)
	}
}

// BenchmarkSenderUnlimited measures the sender's own overhead: b.N
// messages to 500 chats over loopback with pacing off.
func BenchmarkSenderUnlimited(b *testing.B) {
	r := newSenderRig(b, telegramtest.Options{}, SenderOptions{Unlimited: true, Logger: slog.New(slog.DiscardHandler)})
	const chats = 500
	for c := range chats {
		r.srv.User(int64(c + 1))
	}
	outs := make([]Outgoing, b.N)
	for i := range outs {
		outs[i] = sndSend(int64(i%chats+1), "benchmark message")
	}
	r.ob.add(outs...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.ResetTimer()
	r.start(b)
	r.ob.waitEmpty(b, ctx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if st := r.snd.Stats(); st.Sent != int64(b.N) {
		b.Errorf("sent %d of %d", st.Sent, b.N)
	}
}

// TestSenderOverlapsChatsKeepsEachChatInOrder: requests to different chats
// are in flight together (a round trip to Telegram takes tens of
// milliseconds, so one at a time could not reach 30 a second), never two
// for the same chat, and each chat's messages arrive in queue order.
func TestSenderOverlapsChatsKeepsEachChatInOrder(t *testing.T) {
	const workers, chats, each = 4, 6, 5
	var mu sync.Mutex
	inFlight := map[string]int{} // chat_id -> requests in flight
	total, peak := 0, 0
	release := make(chan struct{})
	var once sync.Once
	var twice []string
	barrier := func(next http.RoundTripper) http.RoundTripper {
		return senderRoundTripper(func(req *http.Request) (*http.Response, error) {
			if !strings.HasSuffix(req.URL.Path, "/sendMessage") {
				return next.RoundTrip(req)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return nil, err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return nil, err
			}
			chat := form.Get("chat_id")
			mu.Lock()
			inFlight[chat]++
			if inFlight[chat] > 1 {
				twice = append(twice, chat)
			}
			total++
			peak = max(peak, total)
			if total == workers {
				once.Do(func() { close(release) }) // the first requests wait for each other
			}
			mu.Unlock()
			select {
			case <-release:
			case <-req.Context().Done():
			}
			resp, err := next.RoundTrip(req)
			mu.Lock()
			inFlight[chat]--
			total--
			mu.Unlock()
			return resp, err
		})
	}
	opts := sndFast
	opts.Workers = workers
	r := newSenderRig(t, telegramtest.Options{}, opts, barrier)
	var outs []Outgoing
	for i := range each {
		for c := range chats {
			outs = append(outs, sndSend(int64(c+1), fmt.Sprintf("m%d", i)))
		}
	}
	for c := range chats {
		r.srv.User(int64(c + 1))
	}
	r.add(outs...)
	r.start(t)
	r.ob.waitEmpty(t, senderCtx(t))
	mu.Lock()
	defer mu.Unlock()
	if peak != workers {
		t.Errorf("at most %d requests were in flight at once, want %d", peak, workers)
	}
	if len(twice) > 0 {
		t.Errorf("two requests in flight at once for chats %v", twice)
	}
	for c := range chats {
		var want []sndMsg
		for i := range each {
			want = append(want, sndMsg{fmt.Sprintf("m%d", i), nil})
		}
		if diff := cmp.Diff(want, sndShown(r.srv, int64(c+1))); diff != "" {
			t.Errorf("chat %d (-want +got):\n%s", c+1, diff)
		}
	}
}

// flushingOutbox counts Flush calls.
type flushingOutbox struct {
	*senderOutbox
	flushes chan struct{}
}

func (f flushingOutbox) Flush() error {
	f.flushes <- struct{}{}
	return nil
}

// TestSenderFlushesWhenIdle: an Outbox that keeps writes in memory is
// flushed once the sender has nothing left to do.
func TestSenderFlushesWhenIdle(t *testing.T) {
	opts := sndFast
	opts.IdleFlush = 20 * time.Millisecond
	r := newSenderRig(t, telegramtest.Options{}, opts)
	ob := flushingOutbox{r.ob, make(chan struct{}, 16)}
	r.snd = NewSender(testConn(r.snd.api), ob, &opts)
	r.srv.User(1)
	r.start(t)
	ctx := senderCtx(t)
	select { // idle from the start
	case <-ob.flushes:
	case <-ctx.Done():
		t.Fatal("no Flush when idle")
	}
	r.add(sndSend(1, "a"), sndSend(1, "b"))
	r.ob.waitEmpty(t, ctx)
	select {
	case <-ob.flushes:
	case <-ctx.Done():
		t.Fatal("no Flush after the queue drained")
	}
	if n := r.srv.CallCount("sendMessage"); n != 2 {
		t.Errorf("%d sends, want 2", n)
	}
}

// TestSenderFlushesOnlyAfterAPause: between messages a moment apart (a
// respondent at a time), the sender does not flush: the deliveries go with
// the next commit instead of an fsync each.
func TestSenderFlushesOnlyAfterAPause(t *testing.T) {
	opts := sndFast
	opts.IdleFlush = time.Hour
	r := newSenderRig(t, telegramtest.Options{}, opts)
	ob := flushingOutbox{r.ob, make(chan struct{}, 16)}
	r.snd = NewSender(testConn(r.snd.api), ob, &opts)
	r.srv.User(1)
	r.start(t)
	ctx := senderCtx(t)
	for _, text := range []string{"a", "b", "c"} {
		r.add(sndSend(1, text))
		r.ob.waitEmpty(t, ctx)
	}
	if n := len(ob.flushes); n != 0 {
		t.Errorf("%d flushes within the idle delay, want 0", n)
	}
}

// testConn is a Conn whose three clients are api.
func testConn(api *tgbotapi.BotAPI) *Conn { return &Conn{api: api, send: api, upload: api} }
