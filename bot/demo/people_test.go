package demo

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/store"
	"toolmap/survey"
)

// People: simulated organisers who behave like people on phones
// (telegramtest.Person: they read only the newest message, tap only its
// buttons, and now and then type, send emoji or stickers, tap an older
// message, or leave and come back) answer the built-in survey against the
// real bot, store and sender in this process. Every one must finish, with
// every stored answer the one they gave, nothing recorded twice, no Bot
// API call failing, every tap answered, and at the end no message with
// live buttons left. The done line of issue 13 is
//
//	go test ./bot/demo -run TestPeople -v -people.n=500
var (
	peopleN    = flag.Int("people.n", 60, "TestPeople: simulated people")
	peopleSeed = flag.Uint64("people.seed", 0, "TestPeople: seed of their choices (0: from the clock)")
)

// peopleHabits stray more than the demo's organisers, to find what the
// bot does with it.
var peopleHabits = telegramtest.Habits{Stray: 0.05, Emoji: 0.03, Sticker: 0.03, ScrollUp: 0.05, Leave: 0.02, Patience: 20 * time.Second}

func TestPeople(t *testing.T) {
	t.Parallel()
	seed := *peopleSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -people.seed=%d)", seed, seed)
	c := newChatBot(t, "")
	d := &demoRun{o: Options{Seed: seed}, def: c.def, srv: c.srv,
		thanks: firstWords(c.def.Text(c.def.Thanks, c.def.PickLanguage("en"))), stalled: make(chan struct{})}
	n := *peopleN
	ids := make([]int64, n)
	minds := make([]*organiser, n)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var straying, impatient atomic.Int64
	for i := range n {
		ids[i] = int64(100_000 + i)
		wg.Go(func() {
			o := newOrganiser(d, uint64(i))
			if fmt.Sprint(ids[i]) == os.Getenv("PEOPLE_TRACE") {
				o.trace = func(format string, args ...any) { t.Logf(format, args...) }
			}
			minds[i] = o
			p := c.srv.Person(ids[i], o, peopleHabits, seed)
			err := p.Run(ctx, "")
			st := p.Stats()
			straying.Add(int64(st.Stray + st.Emoji + st.Sticker + st.ScrollUps + st.Leaves))
			impatient.Add(int64(st.Impatient))
			if st.Impatient > 0 && os.Getenv("PEOPLE_DEBUG") != "" {
				t.Logf("person %d lost patience:\n%s", ids[i], debugChat(c.srv, ids[i]))
			}
			if err != nil || o.status != "completed" {
				d.fail(fmt.Sprintf("person %d: %q %v; newest message %q", ids[i], o.status, err, firstWords(c.srv.View(ids[i]).Last.Rendered)))
			}
		})
	}
	wg.Wait()
	if len(d.failures) > 0 {
		t.Fatalf("%d of %d did not finish: %s", len(d.failures), n, strings.Join(d.failures[:min(5, len(d.failures))], "\n"))
	}
	c.settle()
	t.Logf("%d people finished, straying %d times, %d times waiting in vain for %s (then /start), %d Bot API calls",
		n, straying.Load(), impatient.Load(), peopleHabits.Patience, c.srv.CallCount(""))
	checkChatOutcome(t, c.srv, ids)
	checkAnswers(t, c.db, ids, minds)
	for _, id := range ids {
		for _, m := range c.srv.BotMessages(id) {
			if hasCallbacks(m) {
				t.Errorf("person %d: message %d still has live buttons after the end: %q", id, m.MessageID, firstWords(m.Rendered))
			}
		}
	}
}

// checkChatOutcome checks what the fake Telegram saw: no Bot API call
// failed (a long poll cut short by a killed bot excepted), and every tap
// was answered.
func checkChatOutcome(t *testing.T, srv *telegramtest.Server, ids []int64) {
	t.Helper()
	errs := map[string]int{}
	for _, call := range srv.Calls("") {
		if call.Status == 200 || call.Method == "getUpdates" && (call.Status == 0 || call.Status == 409) {
			continue
		}
		errs[fmt.Sprintf("%s %d %s", call.Method, call.Status, call.Description)]++
		if os.Getenv("PEOPLE_DEBUG") != "" {
			t.Logf("failing call in chat %d: %+v\n%s", call.ChatID, call.Params, debugChat(srv, call.ChatID))
		}
	}
	if len(errs) > 0 {
		t.Errorf("Bot API errors: %v", errs)
	}
	if un := srv.UnansweredCallbacks(); len(un) > 0 {
		t.Errorf("%d taps never answered, the first: %+v", len(un), un[0])
	}
}

// checkAnswers checks that each respondent completed once and that every
// stored answer is the one they gave.
func checkAnswers(t *testing.T, db *store.DB, ids []int64, minds []*organiser) {
	t.Helper()
	completed := map[survey.RespondentID]int{}
	if err := db.AnswerLog(func(e store.LogEntry) error {
		if e.Kind == store.LogCompleted {
			completed[e.Respondent]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, id := range ids {
		s, ok, err := db.Session(survey.RespondentID(id))
		if err != nil || !ok || s.Status != survey.StatusCompleted {
			t.Errorf("respondent %d: session %v %v, status %q", id, ok, err, s.Status)
			continue
		}
		if completed[survey.RespondentID(id)] != 1 {
			t.Errorf("respondent %d completed %d times in the answer log, want once", id, completed[survey.RespondentID(id)])
		}
		if err := minds[i].check(s); err != nil && bad < 10 {
			bad++
			t.Errorf("respondent %d: %v", id, err)
		}
	}
	if n, err := db.CountResponses(time.Time{}, time.Time{}); err != nil || n != len(ids) {
		t.Errorf("%d responses stored (%v), want %d", n, err, len(ids))
	}
}

// debugChat describes a chat for a failure (PEOPLE_DEBUG=1): every call
// about it, every tap and every message.
func debugChat(srv *telegramtest.Server, chatID int64) string {
	var b strings.Builder
	for _, c := range srv.Calls("") {
		if c.ChatID != chatID {
			continue
		}
		fmt.Fprintf(&b, "%s %s msg=%s status=%d kb=%s text=%.60q\n", c.Time.Format("05.000000"), c.Method, c.Params.Get("message_id"), c.Status, c.Params.Get("reply_markup"), c.Params.Get("text"))
	}
	for _, cb := range srv.Callbacks() {
		if cb.ChatID == chatID {
			fmt.Fprintf(&b, "tap upd=%d msg=%d %s toast=%q\n", cb.UpdateID, cb.MessageID, cb.Data, cb.AnswerText)
		}
	}
	for _, m := range srv.Messages(chatID) {
		fmt.Fprintf(&b, "#%d bot=%v edits=%d %q kb=%d\n", m.MessageID, m.FromBot, m.Edits, firstWords(m.Rendered), len(m.Keyboard))
	}
	return b.String()
}
