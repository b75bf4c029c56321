package bot

import (
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

type fakePeers map[string]map[string]int

func (p fakePeers) Counts(q, item string) map[string]int { return p[q+"/"+item] }

// completeFixture answers the fixture survey: a choir, events (WhatsApp)
// and money (Email).
func completeFixture(t *testing.T, b *Bot) {
	t.Helper()
	bob := &tgbotapi.User{ID: 2002, LanguageCode: "en"}
	chat := tgbotapi.Chat{ID: 2002, Type: "private"}
	var u updates
	v := b.def.Version
	tap := func(kind survey.InputKind, at survey.Cursor, opt string) {
		t.Helper()
		mustHandle(t, b, u.tap(chat, bob, 1, survey.Tap{Kind: kind, Version: v, At: at, Option: opt}.Encode()))
	}
	mustHandle(t, b, u.message(chat, bob, "/start"))
	tap(survey.InputAgree, survey.Cursor{}, "")
	tap(survey.InputChoose, survey.Cursor{Question: "kind"}, "choir")
	tap(survey.InputToggle, survey.Cursor{Question: "acts"}, "events")
	tap(survey.InputToggle, survey.Cursor{Question: "acts"}, "money")
	tap(survey.InputDone, survey.Cursor{Question: "acts"}, "")
	tap(survey.InputToggle, survey.Cursor{Question: "tools", Item: "events"}, "whatsapp")
	tap(survey.InputDone, survey.Cursor{Question: "tools", Item: "events"}, "")
	tap(survey.InputMore, survey.Cursor{Question: "tools", Item: "money"}, "")
	tap(survey.InputToggle, survey.Cursor{Question: "tools", Item: "money"}, "email")
	tap(survey.InputDone, survey.Cursor{Question: "tools", Item: "money"}, "")
	mustHandle(t, b, u.message(chat, bob, "too many chats"))
}

func TestGiveBackAfterCompletion(t *testing.T) {
	peers := fakePeers{
		"tools/events": {"whatsapp": 12, "email": 4, "paper": 5, "other": 30},
		"tools/money":  {"email": 2, "paper": 1},
	}
	st := newMemStore()
	api := &tgbotapi.BotAPI{Self: tgbotapi.User{ID: 99, IsBot: true, UserName: "toolmap_test_bot"}}
	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	b := New(testConn(api), fixture(t), st, nil, &Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock }, Peers: peers})
	completeFixture(t, b)
	if st.sessions[2002].Status != survey.StatusCompleted {
		t.Fatalf("not completed: %+v", st.sessions[2002])
	}
	last := st.out[len(st.out)-1].Text
	want := "<b>Groups like yours…</b>\nThe tools named most for the things you do, by all the groups that answered (only counts of 5 or more are shown):\n• Events: WhatsApp (12), Paper (5)"
	if !strings.Contains(last, want+"\n\n<b>Your answers:") {
		t.Errorf("give-back message:\n%s\nwant:\n%s", last, want)
	}
	giveBack, _, _ := strings.Cut(last, "Your answers:")
	for _, small := range []string{"Email", "Money", "Other"} {
		if strings.Contains(giveBack, small) {
			t.Errorf("the give-back message shows %q, under the threshold or not a tool", small)
		}
	}

	// Everything under the threshold: no numbers at all.
	st2 := newMemStore()
	b2 := New(testConn(api), fixture(t), st2, nil, &Options{Now: b.opts.Now, Peers: fakePeers{"tools/events": {"whatsapp": 4}}})
	completeFixture(t, b2)
	last = st2.out[len(st2.out)-1].Text
	if !strings.Contains(last, "Not enough groups have answered yet") || strings.Contains(last, "(4)") {
		t.Errorf("give-back with small counts: %s", last)
	}
	// Without Peers, no give-back message.
	b3, st3 := newTestBot(t)
	completeFixture(t, b3)
	for _, o := range st3.out {
		if strings.Contains(o.Text, "Groups like yours") {
			t.Errorf("a give-back message without peers: %s", o.Text)
		}
	}
}

func TestGiveBackOffersTheChannel(t *testing.T) {
	st := newMemStore()
	api := &tgbotapi.BotAPI{Self: tgbotapi.User{ID: 99, IsBot: true, UserName: "toolmap_test_bot"}}
	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	b := New(testConn(api), fixture(t), st, nil, &Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock },
		Peers: fakePeers{"tools/events": {"whatsapp": 12}}, ChannelLink: "https://t.me/toolmap_digest"})
	completeFixture(t, b)
	last := st.out[len(st.out)-1].Text
	if !strings.Contains(last, "• Events: WhatsApp (12)\nEach week&#39;s findings are posted in https://t.me/toolmap_digest") {
		t.Errorf("no channel link under the give-back:\n%s", last)
	}
}
