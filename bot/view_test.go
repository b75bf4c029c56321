package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot/chat"
	"toolmap/survey"
)

func askOf(text string, kb ...string) screen {
	sc := screen{what: liveAsk, at: survey.Cursor{Question: "q"}, text: text}
	for _, k := range kb {
		sc.kb = append(sc.kb, []Button{{Text: k, Data: "c:1:q::" + k}})
	}
	return sc
}

func TestViewNeverSendsAnEditThatChangesNothing(t *testing.T) {
	v := newView(7, ChatState{})
	v.place(reply{screen: new(askOf("Q?", "a", "b"))})
	if len(v.out) != 1 || v.out[0].Kind != OutSend || !v.out[0].Prompt || v.st.Live.Num != 1 {
		t.Fatalf("first screen: %+v, live %+v", v.out, v.st.Live)
	}
	v.st.Delivered(1, 40) // what the store learns from the delivery
	tap := tapped{msg: 40, buttons: true, keys: v.st.Live.Keys}

	// The same screen again, in place: nothing to send.
	v.out = nil
	rep := reply{tap: &tap, onLive: v.onLive(tap), screen: new(askOf("Q?", "a", "b"))}
	v.place(rep)
	if len(v.out) != 0 {
		t.Fatalf("an unchanged screen sent %+v", v.out)
	}
	// Only the keyboard changes: one editMessageReplyMarkup of message 40.
	v.place(reply{tap: &tap, onLive: true, screen: new(askOf("Q?", "✅ a", "b"))})
	if len(v.out) != 1 || v.out[0].Kind != OutEditMarkup || v.out[0].MessageID != 40 {
		t.Fatalf("a toggle sent %+v", v.out)
	}
	// The live message is frozen once; a second freeze has nothing to do.
	v.out = nil
	v.freezeLive("")
	v.freezeLive("")
	if len(v.out) != 1 || v.out[0].Kind != OutEditMarkup || len(v.out[0].Keyboard) != 0 {
		t.Fatalf("freezing twice sent %+v", v.out)
	}
	// An older message tapped twice (before its freeze arrives) is frozen once.
	v.out = nil
	old := tapped{msg: 12, buttons: true}
	v.freezeTapped(old)
	v.freezeTapped(old)
	if len(v.out) != 1 || v.out[0].MessageID != 12 {
		t.Fatalf("an older message tapped twice: %+v", v.out)
	}
}

func TestViewAnswersAtTheBottom(t *testing.T) {
	v := newView(7, ChatState{})
	v.place(reply{screen: new(askOf("Q?", "a"))})
	v.st.Delivered(1, 40)
	// The person types: the live message is no longer the last.
	v.wrote(41)
	if v.atBottom() {
		t.Fatal("at the bottom after the person wrote")
	}
	v.out = nil
	sc := askOf("Q?", "a")
	sc.extra = "\n\n⚠️ Please tap one of the buttons."
	v.place(reply{screen: &sc})
	if len(v.out) != 2 || v.out[0].Kind != OutEditMarkup || v.out[0].MessageID != 40 || v.out[1].Kind != OutSend ||
		!strings.Contains(v.out[1].Text, "Please tap") || v.st.Live.Num != 2 {
		t.Fatalf("typed input: %+v", v.out)
	}
	// A tap on the new copy, whose delivery the store has not recorded yet:
	// a message newer than any known, showing the live keyboard.
	tap := tapped{msg: 43, buttons: true, keys: v.st.Live.Keys}
	if !v.onLive(tap) || v.st.MessageOf(2) != 43 {
		t.Fatalf("the tap on the new copy was not seen as live: %+v", v.st)
	}
	// A tap on an older message that still shows the same keyboard (a copy
	// shown again after a crash) is not.
	if v.onLive(tapped{msg: 42, buttons: true, keys: v.st.Live.Keys}) {
		t.Fatal("an older copy was taken for the live message")
	}
}

func TestViewEditsOfAMessageNotYetDeliveredNameItsSend(t *testing.T) {
	v := newView(7, ChatState{})
	v.place(reply{screen: new(askOf("Q?", "a"))})
	v.out = nil
	v.freezeLive("<b>Q?</b>\n✔ a")
	if len(v.out) != 1 || !v.out[0].ToPrompt || v.out[0].Num != 1 || v.out[0].MessageID != 0 {
		t.Fatalf("the freeze of a message whose id is not known: %+v", v.out)
	}
}

// manyQuestions is a survey of n single questions, with options a and b.
func manyQuestions(t testing.TB, n int) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "m", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep answers."), Agree: en("I agree"), Decline: en("No thanks")},
		Thanks:  en("Thank you!"),
	}
	for i := range n {
		def.Questions = append(def.Questions, &survey.Question{ID: fmt.Sprintf("q%02d", i+1), Kind: survey.KindSingle,
			Text: en(fmt.Sprintf("Question %d?", i+1)), Options: []*survey.Item{{ID: "a", Label: en("A")}, {ID: "b", Label: en("B")}}})
	}
	if err := survey.Validate(def); err != nil {
		t.Fatal(err)
	}
	return def
}

func TestReviewComesInPages(t *testing.T) {
	def := manyQuestions(t, 20)
	st := newMemStore()
	b := botWith(t, def, st)
	p := &person{t: t, b: b, st: st, u: &updates{}}
	p.say("/start")
	p.tap("I agree")
	for range 19 {
		p.tap("A")
	}
	p.say("/review")
	page := func() (jumps int, nav []string, carryOn bool) {
		for _, row := range p.kb {
			for _, btn := range row {
				switch {
				case strings.HasPrefix(btn.Data, "j:"):
					jumps++
				case strings.HasPrefix(btn.Data, dataReviewPage):
					nav = append(nav, btn.Text)
				case strings.HasPrefix(btn.Data, "u:"):
					carryOn = true
				}
			}
		}
		return
	}
	jumps, nav, carry := page()
	if jumps != reviewPage || strings.Join(nav, " ") != "2/3 ▶" || !carry {
		t.Fatalf("page 1: %d answers, %v, carry on %v; keyboard %v", jumps, nav, carry, labels(p.kb))
	}
	last := st.out[len(st.out)-1]
	if !strings.Contains(last.Text, "1. Question 1?") || strings.Contains(last.Text, "9. Question 9?") {
		t.Fatalf("page 1 text: %q", last.Text)
	}
	p.tap("2/3 ▶")
	p.tap("3/3 ▶")
	jumps, nav, _ = page()
	if jumps != 19-2*reviewPage || strings.Join(nav, " ") != "◀ 2/3" {
		t.Fatalf("page 3: %d answers, %v", jumps, nav)
	}
	// Pages turn in place: the menu stays one message at the bottom.
	if got := st.out[len(st.out)-1]; got.Kind != OutEditText {
		t.Fatalf("turning a page: %+v", got)
	}
	p.tap("17. Question 17?")
	if !p.has("• A") {
		t.Fatalf("the jump did not show question 17 with its answer: %v", labels(p.kb))
	}
}

func TestTapLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolmap.db.taps")
	l, err := openTapLog(path)
	if err != nil {
		t.Fatal(err)
	}
	n := tapLogMax/len("4000000000000000001\n") + 10 // enough to turn the file over once
	for i := range n {
		if err := l.mark(fmt.Sprint(4000000000000000000 + i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".old"); err != nil {
		t.Fatalf("the log did not turn over: %v", err)
	}
	ids, err := readTapLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n || !ids["4000000000000000000"] || !ids[fmt.Sprint(4000000000000000000+n-1)] {
		t.Fatalf("read back %d ids of %d", len(ids), n)
	}
}

// restarter is a Restarter over a backlog and handled keys.
type restarter struct {
	backlog []chat.Backlog
	keys    []string
	got     []chat.Rework
}

func (r *restarter) Requeue(fn func(chat.Backlog) (chat.Rework, error)) (int, error) {
	n := 0
	for _, bl := range r.backlog {
		rw, err := fn(bl)
		if err != nil {
			return n, err
		}
		r.got = append(r.got, rw)
		if len(rw.Drop)+len(rw.Out) > 0 {
			n++
		}
	}
	return n, nil
}

func (r *restarter) HandledSince(string, time.Time) ([]string, error) { return r.keys, nil }

func TestRestartShowsTheStepAgainInsteadOfRepeatingEdits(t *testing.T) {
	def := fixture(t)
	st := newMemStore()
	b := botWith(t, def, st)
	s := survey.Session{}
	s, _, _ = survey.Step(def, s, survey.Input{Kind: survey.InputStart}, time.Now())
	s, _, _ = survey.Step(def, s, survey.Input{Kind: survey.InputAgree}, time.Now())
	state := ChatState{Sends: 5, Live: chat.Live{Num: 5, What: liveAsk}, Keyed: []chat.Keyed{{Num: 2, Msg: 20, Frozen: true}, {Num: 3, Msg: 30}, {Num: 5}}}
	r := &restarter{backlog: []chat.Backlog{{ChatID: 1001, Session: s, State: state, Queued: []Queued{
		{Seq: 1, Out: Outgoing{Kind: OutEditText, ChatID: 1001, MessageID: 30, Text: "the next question"}},
		{Seq: 2, Out: Outgoing{Kind: OutSend, ChatID: 1001, Text: "a note", Num: 4}},
		{Seq: 3, Out: Outgoing{Kind: OutSend, ChatID: 1001, Text: "Q", Keyboard: [][]Button{{{Text: "x", Data: "y"}}}, Prompt: true, Num: 5}},
	}}}}
	n, err := b.Restart(r)
	if err != nil || n != 1 {
		t.Fatalf("Restart = %d, %v", n, err)
	}
	rw := r.got[0]
	if fmt.Sprint(rw.Drop) != "[1 3]" {
		t.Errorf("dropped %v, want the edit and the question (1 3), keeping the note", rw.Drop)
	}
	if len(rw.Out) != 1 || rw.Out[0].Kind != OutSend || !rw.Out[0].Prompt || rw.Out[0].Num != 6 || !strings.Contains(rw.Out[0].Text, "Kind?") {
		t.Errorf("queued %+v, want the current question anew", rw.Out)
	}
	if rw.State.Live.Num != 6 || len(rw.State.Keyed) != 3 {
		t.Errorf("live %+v, keyed %+v: want the new question, and the unsent one forgotten", rw.State.Live, rw.State.Keyed)
	}
	for _, k := range rw.State.Keyed {
		if k.Frozen {
			t.Errorf("%+v is still believed frozen: its freeze may not have happened", k)
		}
	}
}
