package bot

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// memStore is an in-memory Store for the loop's unit tests. (End-to-end
// tests in cmd/toolmap use the real bbolt store.)
type memStore struct {
	mu       sync.Mutex
	offset   int64
	seen     map[string]bool
	sessions map[survey.RespondentID]survey.Session
	chats    map[survey.RespondentID]ChatState
	out      []Outgoing
	events   []survey.Event
}

func newMemStore() *memStore {
	return &memStore{seen: map[string]bool{}, sessions: map[survey.RespondentID]survey.Session{}, chats: map[survey.RespondentID]ChatState{}}
}

func (m *memStore) Offset() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.offset, nil
}

func (m *memStore) Commit(u Update, id survey.RespondentID, fn func(survey.Session, ChatState) (Result, error)) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range u.Keys {
		if m.seen[k] {
			m.offset = u.ID + 1
			return false, nil
		}
	}
	var s survey.Session
	var c ChatState
	if id != 0 {
		s, c = m.sessions[id], m.chats[id]
	}
	res, err := fn(s, c)
	if err != nil {
		return false, err
	}
	switch {
	case id != 0 && res.Forget:
		delete(m.sessions, id)
		delete(m.chats, id)
	case id != 0:
		m.sessions[id], m.chats[id] = res.Session, res.Chat
		m.events = append(m.events, res.Events...)
	}
	// Outgoing must survive the outbox's JSON round trip.
	for _, o := range res.Out {
		data, err := json.Marshal(o)
		if err != nil {
			return false, err
		}
		var back Outgoing
		if err := json.Unmarshal(data, &back); err != nil {
			return false, err
		}
		m.out = append(m.out, back)
	}
	for _, k := range u.Keys {
		m.seen[k] = true
	}
	m.offset = u.ID + 1
	return true, nil
}

func (m *memStore) CommitBatch(items []Pending) ([]bool, error) {
	out := make([]bool, 0, len(items))
	for _, it := range items {
		ok, err := m.Commit(it.Update, it.Respondent, it.Fn)
		if err != nil {
			return out, err
		}
		out = append(out, ok)
	}
	return out, nil
}

// fixture is a small survey built in Go.
func fixture(t testing.TB) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "t", Version: 1, DefaultLanguage: "en", Languages: []string{"en", "es"},
		Consent: survey.Consent{Version: 1, Text: en("We keep answers."), Agree: en("I agree"), Decline: en("No thanks")},
		Thanks:  en("Thank you!"),
		Catalogues: []*survey.Catalogue{
			{ID: "acts", Items: []*survey.Item{{ID: "events", Label: en("Events")}, {ID: "money", Label: en("Money")}}},
			{ID: "tools", Items: []*survey.Item{{ID: "whatsapp", Label: en("WhatsApp")}, {ID: "email", Label: en("Email")}, {ID: "paper", Label: en("Paper")}}},
		},
		Questions: []*survey.Question{
			{ID: "kind", Kind: survey.KindSingle, Text: en("Kind?"), Other: true, Options: []*survey.Item{{ID: "choir", Label: en("Choir")}, {ID: "union", Label: en("Union")}}},
			{ID: "acts", Kind: survey.KindMulti, Text: en("Activities?"), From: "acts"},
			{ID: "tools", Kind: survey.KindMatrix, Text: en("Tools for {item}?"), Rows: "acts", Columns: "tools", Other: true,
				Shortlist: map[string][]string{"events": {"whatsapp"}}},
			{ID: "hard", Kind: survey.KindText, Text: en("What is hard?"), Optional: true},
		},
	}
	if err := survey.Validate(def); err != nil {
		t.Fatal(err)
	}
	return def
}

func newTestBot(t testing.TB) (*Bot, *memStore) {
	st := newMemStore()
	api := &tgbotapi.BotAPI{Self: tgbotapi.User{ID: 99, IsBot: true, UserName: "toolmap_test_bot"}}
	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	b := New(testConn(api), fixture(t), st, nil, &Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
	return b, st
}

// updates builds Telegram updates the way the fake server and Telegram do.
type updates struct {
	next int
	msg  int
}

func (u *updates) message(chat tgbotapi.Chat, from *tgbotapi.User, text string) tgbotapi.Update {
	u.next++
	u.msg++
	m := &tgbotapi.Message{MessageID: u.msg, From: from, Chat: &chat, Text: text, Date: 1}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []tgbotapi.MessageEntity{{Type: "bot_command", Offset: 0, Length: len(cmd)}}
	}
	return tgbotapi.Update{UpdateID: u.next, Message: m}
}

func (u *updates) tap(chat tgbotapi.Chat, from *tgbotapi.User, msgID int, data string) tgbotapi.Update {
	u.next++
	return tgbotapi.Update{UpdateID: u.next, CallbackQuery: &tgbotapi.CallbackQuery{
		ID: fmt.Sprint("cb", u.next), From: from, Data: data,
		Message: &tgbotapi.Message{MessageID: msgID, Chat: &chat},
	}}
}

var (
	alice     = &tgbotapi.User{ID: 1001, FirstName: "Alice", UserName: "alice_secret", LanguageCode: "es-ES"}
	aliceChat = tgbotapi.Chat{ID: 1001, Type: "private"}
	group     = tgbotapi.Chat{ID: -500, Type: "group", Title: "Union branch"}
)

func mustHandle(t testing.TB, b *Bot, u tgbotapi.Update) {
	t.Helper()
	if err := b.handleUpdate(u); err != nil {
		t.Fatal(err)
	}
}

func TestStartAsksConsentInTheUsersLanguage(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	mustHandle(t, b, u.message(aliceChat, alice, "/start flyer_leeds-2"))
	s := st.sessions[1001]
	if s.Status != survey.StatusAwaitingConsent || s.Source != "flyer_leeds-2" || s.Language != "es" {
		t.Fatalf("session: %+v", s)
	}
	if len(st.out) != 1 || !st.out[0].Prompt || len(st.out[0].Keyboard) != 2 {
		t.Fatalf("out: %+v", st.out)
	}
	// The session JSON holds no name or username.
	data, _ := json.Marshal(st.sessions)
	for _, secret := range []string{"Alice", "alice_secret"} {
		if strings.Contains(string(data), secret) {
			t.Fatalf("stored %q: %s", secret, data)
		}
	}
}

func TestBadPayloadIsNotStored(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	mustHandle(t, b, u.message(aliceChat, alice, "/start <script>"))
	if s := st.sessions[1001]; s.Source != "" {
		t.Fatalf("source %q stored", s.Source)
	}
}

func TestGroupStartStoresNothing(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	mustHandle(t, b, u.message(group, alice, "/start"))
	mustHandle(t, b, u.message(group, alice, "hello everyone"))
	if len(st.sessions) != 0 || len(st.chats) != 0 || len(st.events) != 0 {
		t.Fatalf("group chat stored: %+v %+v", st.sessions, st.chats)
	}
	if len(st.out) != 1 || st.out[0].ChatID != -500 || st.out[0].Keyboard[0][0].URL != "https://t.me/toolmap_test_bot?start=group" {
		t.Fatalf("group reply: %+v", st.out)
	}
	if st.offset != 3 {
		t.Fatalf("offset %d, want 3", st.offset)
	}
}

func TestBotsAreIgnored(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	other := &tgbotapi.User{ID: 77, IsBot: true}
	mustHandle(t, b, u.message(tgbotapi.Chat{ID: 77, Type: "private"}, other, "/start"))
	if len(st.sessions) != 0 || len(st.out) != 0 {
		t.Fatalf("a bot was answered: %+v", st.out)
	}
}

func TestDuplicateUpdateChangesNothing(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	start := u.message(aliceChat, alice, "/start")
	mustHandle(t, b, start)
	mustHandle(t, b, start) // same update again
	again := start
	again.UpdateID = 50 // the same message under a new update id
	mustHandle(t, b, again)
	if len(st.out) != 1 {
		t.Fatalf("duplicates sent %d messages", len(st.out))
	}
	if b.Stats().Duplicates != 2 {
		t.Fatalf("stats: %+v", b.Stats())
	}
}

func TestMediaGetsAPoliteNote(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	upd := u.message(aliceChat, alice, "")
	upd.Message.Photo = []tgbotapi.PhotoSize{{FileID: "x"}}
	mustHandle(t, b, upd)
	if len(st.out) != 1 || !strings.Contains(st.out[0].Text, "solo puedo leer") {
		t.Fatalf("out: %+v", st.out)
	}
}

func TestOtherTextIsEscaped(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	v := b.def.Version
	tap := func(kind survey.InputKind, q, opt string) string {
		return survey.Tap{Kind: kind, Version: v, At: survey.Cursor{Question: q}, Option: opt}.Encode()
	}
	mustHandle(t, b, u.message(aliceChat, alice, "/start"))
	mustHandle(t, b, u.tap(aliceChat, alice, 1, survey.Tap{Kind: survey.InputAgree, Version: v}.Encode()))
	mustHandle(t, b, u.tap(aliceChat, alice, 2, tap(survey.InputChoose, "kind", survey.OtherID)))
	mustHandle(t, b, u.message(aliceChat, alice, "<b>Tenants</b> & co"))
	found := false
	for _, o := range st.out {
		if strings.Contains(o.Text, "<b>Tenants</b>") {
			t.Fatalf("unescaped user text: %q", o.Text)
		}
		found = found || strings.Contains(o.Text, "&lt;b&gt;Tenants&lt;/b&gt; &amp; co")
	}
	if !found {
		t.Fatalf("the answer is not shown escaped: %+v", st.out)
	}
}

func TestFloodGetsOneNote(t *testing.T) {
	b, st := newTestBot(t)
	b.opts.Now = func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) } // all at once
	var u updates
	for range 40 {
		mustHandle(t, b, u.message(aliceChat, alice, "hello"))
	}
	notes := 0
	for _, o := range st.out {
		if strings.Contains(o.Text, "despacio") {
			notes++
		}
	}
	if notes != 1 || b.Stats().Flooded != 30 {
		t.Fatalf("slow-down notes %d, flooded %d", notes, b.Stats().Flooded)
	}
}

// TestGroupsAreGated: commands in a group go through the flood gate like
// a private chat's (200 commands queue no more replies than the gate
// allows, and a group is never told to slow down), and a command
// addressed to another bot is ignored, in a group or in private.
func TestGroupsAreGated(t *testing.T) {
	b, st := newTestBot(t)
	b.opts.Now = func() time.Time { return time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC) } // all at once
	var u updates
	for range 200 {
		mustHandle(t, b, u.message(group, alice, "/start"))
	}
	if got := len(st.out); got != 10 || b.Stats().Flooded != 190 {
		t.Errorf("200 commands in a group queued %d replies (flooded %d); want the burst, 10", got, b.Stats().Flooded)
	}
	for _, o := range st.out {
		if o.ChatID != group.ID || strings.Contains(o.Text, "despacio") || strings.Contains(o.Text, "slow down") {
			t.Errorf("reply %+v; want only the group's link", o)
		}
	}
	if len(st.sessions) != 0 || len(st.chats) != 0 || len(st.seen) != 10 {
		t.Errorf("stored sessions %v, chats %v, %d keys; want only the 10 replies' keys", st.sessions, st.chats, len(st.seen))
	}

	b2, st2 := newTestBot(t)
	var u2 updates
	mustHandle(t, b2, u2.message(group, alice, "/start@other_bot"))
	mustHandle(t, b2, u2.message(aliceChat, alice, "/help@other_bot"))
	mustHandle(t, b2, u2.message(group, alice, "/start@Toolmap_Test_Bot"))
	if len(st2.out) != 1 || st2.out[0].ChatID != group.ID || b2.Stats().Ignored != 2 {
		t.Errorf("replies %+v, ignored %d; want one, to the command for this bot", st2.out, b2.Stats().Ignored)
	}
	if len(st2.seen) != 1 {
		t.Errorf("keys %v; an ignored update stores none", st2.seen)
	}
}

// TestKeysNameTheChat: a tap's dedup key names its chat (so that
// forgetting the person forgets it), and a flooded update that is not
// answered stores no key.
func TestKeysNameTheChat(t *testing.T) {
	b, st := newTestBot(t)
	var u updates
	mustHandle(t, b, u.message(aliceChat, alice, "/start"))
	mustHandle(t, b, u.tap(aliceChat, alice, 1, survey.Tap{Kind: survey.InputAgree, Version: b.def.Version}.Encode()))
	want := map[string]bool{"m:1001:1": true, "c:1001:cb2": true}
	if !maps.Equal(st.seen, want) {
		t.Errorf("keys %v, want %v", st.seen, want)
	}
	// A restart finds the tap's id in its key, to answer it (restart.go).
	if got := tapKeyID("c:1001:cb2"); got != "cb2" {
		t.Errorf("tapKeyID = %q, want cb2", got)
	}
	// Flooding: the updates the gate drops without a reply store no key.
	b.opts.Now = func() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }
	for range 20 {
		mustHandle(t, b, u.message(aliceChat, alice, "hello"))
	}
	if got := len(st.seen); got != 2+10+1 {
		t.Errorf("%d keys after a flood; want the 10 let through and the one told to slow down", got-2)
	}
}

// FuzzUpdates feeds random updates: text, commands, taps with random or
// real callback data, group messages and bots. The loop must never panic
// or fail to commit, and every Outgoing must be sendable.
func FuzzUpdates(f *testing.F) {
	f.Add(uint64(1), 40)
	f.Add(uint64(7), 120)
	f.Fuzz(func(t *testing.T, seed uint64, n int) {
		if n < 0 || n > 300 {
			return
		}
		b, st := newTestBot(t)
		rng := rand.New(rand.NewPCG(seed, 1))
		var u updates
		v := b.def.Version
		cursors := []survey.Cursor{{}, {Question: "kind"}, {Question: "acts"}, {Question: "tools", Item: "events"}, {Question: "tools", Item: "money"}, {Question: "hard"}}
		opts := []string{"", "choir", "union", survey.OtherID, "events", "money", "whatsapp", "email", "paper", "es", "zz"}
		kinds := []survey.InputKind{survey.InputAgree, survey.InputDecline, survey.InputChoose, survey.InputToggle, survey.InputDone,
			survey.InputBack, survey.InputSkip, survey.InputMore, survey.InputJump, survey.InputRestart, survey.InputLanguage}
		texts := []string{"/start", "/start x", "/back", "/skip", "/review", "/restart", "/language", "/privacy", "/help", "/nope", "/mydata", "/delete",
			"hello", "Choir", "12", "", "<i>", strings.Repeat("é", 1200)}
		users := []*tgbotapi.User{alice, {ID: 2002, LanguageCode: "en"}, {ID: 3003, IsBot: true}}
		for range n {
			from := users[rng.IntN(len(users))]
			chat := tgbotapi.Chat{ID: from.ID, Type: "private"}
			if rng.IntN(10) == 0 {
				chat = group
			}
			var upd tgbotapi.Update
			switch rng.IntN(3) {
			case 0:
				upd = u.message(chat, from, texts[rng.IntN(len(texts))])
			case 1:
				data := survey.Tap{Kind: kinds[rng.IntN(len(kinds))], Version: v + rng.IntN(2), At: cursors[rng.IntN(len(cursors))], Option: opts[rng.IntN(len(opts))]}.Encode()
				switch rng.IntN(12) {
				case 0:
					data = fmt.Sprint(rng.Uint64())
				case 1:
					data = []string{dataDeleteYes, dataDeleteNo, dataStopReminders, "del:", "rem:"}[rng.IntN(5)]
				}
				upd = u.tap(chat, from, rng.IntN(5)+1, data)
			default:
				upd = tgbotapi.Update{UpdateID: u.next + 1}
				u.next++
			}
			if err := b.handleUpdate(upd); err != nil {
				t.Fatalf("update %d: %v", upd.UpdateID, err)
			}
		}
		for _, o := range st.out {
			if o.ChatID == 0 || (o.Kind == OutSend && o.Text == "") || len([]rune(o.Text)) > 4096 {
				t.Fatalf("unsendable: %+v", o)
			}
			for _, row := range o.Keyboard {
				for _, btn := range row {
					if len(btn.Data) > 64 || (btn.Data == "") == (btn.URL == "") {
						t.Fatalf("bad button: %+v", btn)
					}
				}
			}
		}
	})
}

// TestTapAnswersWaitRatherThanDrop: when the queue of callback answers is
// full, the loop waits for room instead of dropping an answer (a dropped
// one leaves the button spinning), and stops waiting when Run ends.
func TestTapAnswersWaitRatherThanDrop(t *testing.T) {
	b, _ := newTestBot(t)
	b.answer = make(chan callbackAnswer, 1)
	done := make(chan struct{})
	b.runDone.Store((<-chan struct{})(done))
	toast := ""
	tap := func(id string) prepared { return prepared{callbackID: id, toast: &toast} }
	b.finish(tap("first"), true)
	finished := make(chan struct{})
	go func() {
		b.finish(tap("second"), true) // the queue is full: waits
		close(finished)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for b.Stats().AnswerWaits == 0 { // counted as it starts waiting
		if time.Now().After(deadline) {
			t.Fatal("finish did not wait for room")
		}
		runtime.Gosched()
	}
	if got := (<-b.answer).id; got != "first" {
		t.Fatalf("first answer = %q", got)
	}
	select {
	case a := <-b.answer:
		if a.id != "second" {
			t.Fatalf("second answer = %q", a.id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second answer was dropped")
	}
	<-finished
	// Once Run has ended, a full queue no longer holds the loop.
	b.finish(tap("third"), true)
	close(done)
	b.finish(tap("fourth"), true)
}
