package telegramtest_test

import (
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestChatChangedWakesOnlyThatChat(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	u1, u2 := srv.User(1), srv.User(2)
	ch1, ch2 := srv.ChatChanged(1), srv.ChatChanged(2)
	u1.SendText("hello")
	if !closed(ch1) || closed(ch2) {
		t.Fatalf("after user 1 acted: chat 1 woken %v, chat 2 woken %v", closed(ch1), closed(ch2))
	}
	ch1 = srv.ChatChanged(1)
	if _, err := bot.Send(tgbotapi.NewMessage(u2.ChatID(), "hi 2")); err != nil {
		t.Fatal(err)
	}
	if closed(ch1) || !closed(ch2) {
		t.Fatalf("after a send to chat 2: chat 1 woken %v, chat 2 woken %v", closed(ch1), closed(ch2))
	}
	// A failed call about the chat wakes it too.
	ch2 = srv.ChatChanged(2)
	if _, err := bot.Send(tgbotapi.NewEditMessageText(u2.ChatID(), 999, "x")); err == nil {
		t.Fatal("editing an unknown message succeeded")
	}
	if !closed(ch2) {
		t.Fatal("a failed edit did not wake chat 2")
	}
	srv.Close()
	if !closed(ch1) || !closed(srv.ChatChanged(3)) {
		t.Fatal("Close did not release the waiters")
	}
}

func TestViewShowsPromptAndReplyLatency(t *testing.T) {
	clock := telegramtest.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	srv, bot := start(t, telegramtest.Options{Now: clock.Now})
	u := srv.User(7)
	if v := srv.View(7); v.Last.MessageID != 0 || v.Prompt.MessageID != 0 || !v.UpdateAt.IsZero() {
		t.Fatalf("empty chat: %+v", v)
	}
	u.Start("")
	clock.Advance(5 * time.Millisecond)
	m := tgbotapi.NewMessage(7, "Pick one")
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	prompt, err := bot.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Millisecond)
	fr := tgbotapi.NewMessage(7, "Type it")
	fr.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true}
	if _, err := bot.Send(fr); err != nil {
		t.Fatal(err)
	}
	v := srv.View(7)
	if v.Prompt.MessageID != prompt.MessageID || len(v.Prompt.Keyboard) != 1 || !v.Last.ForceReply || v.Last.Rendered != "Type it" {
		t.Fatalf("view: prompt %+v, last %+v", v.Prompt, v.Last)
	}
	if got := v.ReplyAt.Sub(v.UpdateAt); got != 5*time.Millisecond || v.Calls != 2 {
		t.Fatalf("reply latency %v after %d calls, want 5ms after 2", got, v.Calls)
	}
	sent, err := u.TapButton("A")
	if err != nil {
		t.Fatal(err)
	}
	if v := srv.View(7); !v.ReplyAt.IsZero() || v.Callback.ID != sent.CallbackQueryID || v.Callback.Answered {
		t.Fatalf("after a tap: %+v", v)
	}
	clock.Advance(2 * time.Millisecond)
	if _, err := bot.Request(tgbotapi.NewCallback(sent.CallbackQueryID, "Saved")); err != nil {
		t.Fatal(err)
	}
	v = srv.View(7)
	if !v.Callback.Answered || v.Callback.AnswerText != "Saved" || v.ReplyAt.Sub(v.UpdateAt) != 2*time.Millisecond {
		t.Fatalf("after the answer: %+v", v)
	}
	if !v.ShownAt.IsZero() {
		t.Fatalf("a callback answer changed the screen: ShownAt %v", v.ShownAt)
	}
	clock.Advance(3 * time.Millisecond)
	if _, err := bot.Request(tgbotapi.NewEditMessageText(7, prompt.MessageID, "Next question")); err != nil {
		t.Fatal(err)
	}
	if v := srv.View(7); v.ShownAt.Sub(v.UpdateAt) != 5*time.Millisecond || v.ReplyAt.Sub(v.UpdateAt) != 2*time.Millisecond {
		t.Fatalf("after the edit: shown after %v, replied after %v; want 5ms and 2ms", v.ShownAt.Sub(v.UpdateAt), v.ReplyAt.Sub(v.UpdateAt))
	}
}

func TestLeanKeepsLittle(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{Lean: true})
	u := srv.User(9)
	const n = 50
	for i := range n {
		m := tgbotapi.NewMessage(9, "message")
		m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Tap", "t")))
		if _, err := bot.Send(m); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if got := len(srv.Messages(9)); got != telegramtest.LeanMessages {
		t.Errorf("the chat keeps %d messages", got)
	}
	if got := srv.CallCount("sendmessage"); got != n {
		t.Errorf("CallCount = %d, want %d", got, n)
	}
	if got := srv.StatusCounts("sendMessage"); got[200] != n {
		t.Errorf("StatusCounts = %v", got)
	}
	if calls := srv.Calls(""); len(calls) != 0 {
		t.Errorf("Lean kept %d calls", len(calls))
	}
	// One sender, 50 messages at once to a private chat: breaches counted, few kept.
	if b := srv.BreachCount(); b < n-3 || len(srv.Breaches()) > telegramtest.LeanBreaches {
		t.Errorf("BreachCount %d, Breaches kept %d", b, len(srv.Breaches()))
	}
	sent, err := u.TapButton("Tap")
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.UnansweredCallbacks(); len(got) != 1 || got[0].ID != sent.CallbackQueryID {
		t.Fatalf("unanswered: %+v", got)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(sent.CallbackQueryID, "")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Callbacks(); len(got) != 0 {
		t.Errorf("an answered callback is kept: %+v", got)
	}
	if v := srv.View(9); !v.Callback.Answered {
		t.Errorf("View lost the answer: %+v", v.Callback)
	}
	if ups := srv.Updates(); len(ups) != 0 {
		t.Errorf("Lean kept %d updates", len(ups))
	}
	// An old message cannot be edited any more, as if deleted.
	if _, err := bot.Send(tgbotapi.NewEditMessageText(9, 1, "edited")); err == nil {
		t.Error("edited a message Lean forgot")
	}
}

func TestForgetChats(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{Lean: true})
	srv.User(3).SendText("hi")
	if _, err := bot.Send(tgbotapi.NewMessage(3, "hello")); err != nil {
		t.Fatal(err)
	}
	ch := srv.ChatChanged(3)
	srv.ForgetChats()
	if !closed(ch) || len(srv.Messages(3)) != 0 || srv.View(3).Last.MessageID != 0 {
		t.Fatal("the chat is still known")
	}
	if srv.CallCount("sendMessage") != 1 {
		t.Error("the counts were forgotten")
	}
	if _, err := bot.Send(tgbotapi.NewMessage(3, "again")); err == nil {
		t.Error("sent to a forgotten chat")
	}
}
