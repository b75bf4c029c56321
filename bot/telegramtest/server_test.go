package telegramtest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"toolmap/bot/telegramtest"
)

// start returns a server and a real tgbotapi client connected to it.
func start(t *testing.T, opts telegramtest.Options) (*telegramtest.Server, *tgbotapi.BotAPI) {
	t.Helper()
	srv := telegramtest.NewServer(opts)
	t.Cleanup(srv.Close)
	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), srv.Client())
	if err != nil {
		t.Fatalf("NewBotAPIWithClient: %v", err)
	}
	return srv, bot
}

func deadline(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func apiErr(t *testing.T, err error) *tgbotapi.Error {
	t.Helper()
	var e *tgbotapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *tgbotapi.Error", err, err)
	}
	return e
}

// post sends a raw request and returns status, content type and body.
func post(t *testing.T, srv *telegramtest.Server, method, contentType, body string) (int, string, string) {
	t.Helper()
	resp, err := srv.Client().Post(fmt.Sprintf(srv.APIEndpoint(), srv.Token(), method), contentType, strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestGetMe(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	want := tgbotapi.User{ID: 123456, IsBot: true, FirstName: "Test Bot", UserName: "test_bot", CanJoinGroups: true}
	if diff := cmp.Diff(want, bot.Self); diff != "" {
		t.Errorf("Self (-want +got):\n%s", diff)
	}
	status, _, body := post(t, srv, "getMe", "application/x-www-form-urlencoded", "")
	wantBody := `{"ok":true,"result":{"can_join_groups":true,"can_read_all_group_messages":false,"first_name":"Test Bot","id":123456,"is_bot":true,"supports_inline_queries":false,"username":"test_bot"}}`
	if status != 200 || body != wantBody {
		t.Errorf("raw getMe = %d %s", status, body)
	}
	if c, ok := srv.LastCall("getme"); !ok || c.Method != "getMe" || c.Status != 200 {
		t.Errorf("LastCall(getMe) = %+v, %v", c, ok)
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{Token: "42:SECRET"})
	defer srv.Close()
	_, err := tgbotapi.NewBotAPIWithClient("42:WRONG", srv.APIEndpoint(), srv.Client())
	if e := apiErr(t, err); e.Code != 401 || e.Message != "Unauthorized" {
		t.Errorf("wrong token: %+v", e)
	}
	bot, err := tgbotapi.NewBotAPIWithClient("42:SECRET", srv.APIEndpoint(), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if bot.Self.ID != 42 {
		t.Errorf("bot id from token = %d, want 42", bot.Self.ID)
	}
	resp, err := srv.Client().Post(fmt.Sprintf(srv.APIEndpoint(), "42:WRONG", "getMe"), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `{"ok":false,"error_code":401,"description":"Unauthorized"}`; resp.StatusCode != 401 || string(b) != want {
		t.Errorf("raw 401 = %d %s, want %s", resp.StatusCode, b, want)
	}
	status, _, body := post(t, srv, "sendTelepathy", "", "")
	if want := `{"ok":false,"error_code":404,"description":"Not Found"}`; status != 404 || body != want {
		t.Errorf("unknown method = %d %s", status, body)
	}
	srv.Fail("getMe", telegramtest.TooManyRequests(5), 1)
	status, _, body = post(t, srv, "getMe", "", "")
	if want := `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`; status != 429 || body != want {
		t.Errorf("429 = %d %s", status, body)
	}
}

func keyboard() tgbotapi.InlineKeyboardMarkup {
	return tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(
			tgbotapi.NewInlineKeyboardButtonData("✅ Yes", "answer:yes"),
			tgbotapi.NewInlineKeyboardButtonData("No", "answer:no"),
		),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonURL("Docs", "https://example.invalid/docs")),
	)
}

func TestInlineKeyboardTapAndAnswer(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	alice := srv.User(42)

	msg := tgbotapi.NewMessage(42, "Proceed?")
	msg.ReplyMarkup = keyboard()
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	if sent.ReplyMarkup == nil || sent.ReplyMarkup.InlineKeyboard[0][0].Text != "✅ Yes" || sent.From.ID != bot.Self.ID {
		t.Errorf("sent = %+v", sent)
	}
	if err := alice.Tap("Nope"); err == nil {
		t.Error("Tap(Nope) succeeded")
	}
	if err := alice.Tap("Docs"); err == nil {
		t.Error("Tap on URL button succeeded")
	}
	if err := alice.Tap("Yes"); err != nil { // tolerant to the leading "✅ "
		t.Fatal(err)
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v", ups)
	}
	cq := ups[0].CallbackQuery
	if cq.Data != "answer:yes" || cq.From.ID != 42 || cq.Message.MessageID != sent.MessageID ||
		cq.Message.Chat.ID != 42 || cq.Message.ReplyMarkup == nil || cq.ChatInstance == "" {
		t.Errorf("callback = %+v", cq)
	}
	if n := len(srv.UnansweredCallbacks()); n != 1 {
		t.Fatalf("unanswered = %d, want 1", n)
	}
	if _, err := bot.Request(tgbotapi.NewCallback(cq.ID, "Done")); err != nil {
		t.Fatal(err)
	}
	if u := srv.UnansweredCallbacks(); len(u) != 0 {
		t.Errorf("unanswered after answer = %+v", u)
	}
	_, err = bot.Request(tgbotapi.NewCallback(cq.ID, "again"))
	if e := apiErr(t, err); e.Code != 400 || !strings.Contains(e.Message, "query is too old") {
		t.Errorf("second answer: %+v", e)
	}
	// Stale tap on a message that no longer exists.
	stale := alice.TapData(999, "answer:yes")
	if got := srv.UnansweredCallbacks(); len(got) != 1 || got[0].ID != stale.CallbackQueryID || got[0].MessageID != 999 {
		t.Errorf("unanswered = %+v", got)
	}
}

func TestCallbackAnswerTimeoutWithFakeClock(t *testing.T) {
	clock := telegramtest.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, bot := start(t, telegramtest.Options{Now: clock.Now})
	msg := tgbotapi.NewMessage(7, "x")
	srv.User(7)
	msg.ReplyMarkup = keyboard()
	if _, err := bot.Send(msg); err != nil {
		t.Fatal(err)
	}
	tap, err := srv.User(7).TapButton("No")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(16 * time.Second)
	_, err = bot.Request(tgbotapi.NewCallback(tap.CallbackQueryID, ""))
	if e := apiErr(t, err); e.Code != 400 {
		t.Errorf("late answer: %+v", e)
	}
	if len(srv.UnansweredCallbacks()) != 1 {
		t.Error("late answer counted as answered")
	}
}

func TestOffsetConfirmation(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{FirstUpdateID: 500})
	alice := srv.User(1)
	a, b, c := alice.SendText("one"), alice.SendText("two"), alice.SendText("three")
	if a.UpdateID != 500 || b.UpdateID != 501 || c.UpdateID != 502 {
		t.Fatalf("ids %d %d %d", a.UpdateID, b.UpdateID, c.UpdateID)
	}
	ids := func(cfg tgbotapi.UpdateConfig) []int {
		t.Helper()
		ups, err := bot.GetUpdates(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, u := range ups {
			out = append(out, u.UpdateID)
		}
		return out
	}
	// Without offset nothing is confirmed: the same updates come back.
	for range 2 {
		if got := ids(tgbotapi.UpdateConfig{}); !cmp.Equal(got, []int{500, 501, 502}) {
			t.Errorf("no offset: %v", got)
		}
	}
	if got := ids(tgbotapi.UpdateConfig{Limit: 1}); !cmp.Equal(got, []int{500}) {
		t.Errorf("limit 1: %v", got)
	}
	if got := ids(tgbotapi.UpdateConfig{Offset: 501}); !cmp.Equal(got, []int{501, 502}) {
		t.Errorf("offset 501: %v", got)
	}
	// 500 was confirmed by offset 501 and is gone for good.
	if got := ids(tgbotapi.UpdateConfig{}); !cmp.Equal(got, []int{501, 502}) {
		t.Errorf("after confirm: %v", got)
	}
	if got := ids(tgbotapi.UpdateConfig{Offset: 503}); len(got) != 0 {
		t.Errorf("offset 503: %v", got)
	}
	if srv.PendingUpdates() != 0 {
		t.Errorf("pending = %d", srv.PendingUpdates())
	}
	// Negative offset keeps only the last N.
	alice.SendText("four")
	alice.SendText("five")
	if got := ids(tgbotapi.UpdateConfig{Offset: -1}); !cmp.Equal(got, []int{504}) {
		t.Errorf("offset -1: %v", got)
	}
	for _, r := range srv.Updates()[:3] {
		if !r.Confirmed || r.Deliveries == 0 {
			t.Errorf("update record %+v", r)
		}
	}
}

type pollResult struct {
	ups []tgbotapi.Update
	err error
}

func poll(bot *tgbotapi.BotAPI, cfg tgbotapi.UpdateConfig) <-chan pollResult {
	ch := make(chan pollResult, 1)
	go func() {
		ups, err := bot.GetUpdates(cfg)
		ch <- pollResult{ups, err}
	}()
	return ch
}

func waitPoll(t *testing.T, ctx context.Context, ch <-chan pollResult) pollResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-ctx.Done():
		t.Fatal("long poll did not return before the deadline")
		return pollResult{}
	}
}

func TestLongPollReturnsWhenUpdateArrives(t *testing.T) {
	ctx := deadline(t)
	srv, bot := start(t, telegramtest.Options{})
	ch := poll(bot, tgbotapi.UpdateConfig{Timeout: 50})
	if err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingPolls() == 1 }); err != nil {
		t.Fatal(err)
	}
	srv.User(5).SendText("ping")
	r := waitPoll(t, ctx, ch)
	if r.err != nil || len(r.ups) != 1 || r.ups[0].Message.Text != "ping" {
		t.Fatalf("poll = %+v", r)
	}
	if srv.PendingPolls() != 0 {
		t.Errorf("pending polls = %d", srv.PendingPolls())
	}
}

func TestLongPollTimeoutConflictAndClose(t *testing.T) {
	ctx := deadline(t)
	srv, bot := start(t, telegramtest.Options{})

	// Timeout elapses (1 s of real time) with no update: empty result.
	r := waitPoll(t, ctx, poll(bot, tgbotapi.UpdateConfig{Timeout: 1}))
	if r.err != nil || len(r.ups) != 0 {
		t.Errorf("timeout poll = %+v", r)
	}

	// A second poller terminates the first with 409.
	first := poll(bot, tgbotapi.UpdateConfig{Timeout: 50})
	if err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingPolls() == 1 }); err != nil {
		t.Fatal(err)
	}
	second := poll(bot, tgbotapi.UpdateConfig{Timeout: 50})
	r = waitPoll(t, ctx, first)
	if e := apiErr(t, r.err); e.Code != 409 || !strings.HasPrefix(e.Message, "Conflict: terminated by other getUpdates request") {
		t.Errorf("first poller: %+v", e)
	}

	// Close releases the pending poll.
	if err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingPolls() == 1 }); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	r = waitPoll(t, ctx, second)
	if r.err == nil && len(r.ups) != 0 {
		t.Errorf("poll after close = %+v", r)
	}
}

func TestEditMessages(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	srv.User(42)
	msg := tgbotapi.NewMessage(42, "Pick one")
	msg.ReplyMarkup = keyboard()
	sent, err := bot.Send(msg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bot.Request(tgbotapi.NewEditMessageReplyMarkup(42, sent.MessageID, keyboard()))
	e := apiErr(t, err)
	want := "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
	if e.Code != 400 || e.Message != want {
		t.Errorf("not modified: %d %q", e.Code, e.Message)
	}
	_, err = bot.Request(tgbotapi.NewEditMessageText(42, 999, "x"))
	if e := apiErr(t, err); e.Code != 400 || e.Message != "Bad Request: message to edit not found" {
		t.Errorf("unknown id: %+v", e)
	}
	// Same text with the same keyboard: not modified.
	_, err = bot.Request(tgbotapi.NewEditMessageTextAndMarkup(42, sent.MessageID, "Pick one", keyboard()))
	if e := apiErr(t, err); e.Code != 400 {
		t.Errorf("same text+markup: %+v", e)
	}
	// Same text without reply_markup removes the keyboard: that is a change.
	edited, err := bot.Send(tgbotapi.NewEditMessageText(42, sent.MessageID, "Pick one"))
	if err != nil {
		t.Fatal(err)
	}
	if edited.ReplyMarkup != nil || edited.EditDate == 0 {
		t.Errorf("edited = %+v", edited)
	}
	last, _ := srv.LastMessage(42)
	if last.Keyboard != nil || last.Edits != 1 || last.Text != "Pick one" {
		t.Errorf("LastMessage = %+v", last)
	}
	if err := srv.User(42).Tap("No"); err == nil {
		t.Error("Tap found a removed keyboard")
	}
	if _, err := bot.Request(tgbotapi.NewDeleteMessage(42, sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	if m := srv.Messages(42); len(m) != 0 {
		t.Errorf("Messages after delete = %+v", m)
	}
	_, err = bot.Request(tgbotapi.NewDeleteMessage(42, sent.MessageID))
	if e := apiErr(t, err); e.Message != "Bad Request: message to delete not found" {
		t.Errorf("delete twice: %+v", e)
	}
}

func TestTooManyRequestsCarriesRetryAfter(t *testing.T) {
	clock := telegramtest.NewFakeClock(time.Unix(1_700_000_000, 0))
	srv, bot := start(t, telegramtest.Options{Now: clock.Now})
	srv.User(42)
	srv.Fail("sendMessage", telegramtest.TooManyRequests(7), 1)
	_, err := bot.Send(tgbotapi.NewMessage(42, "hi"))
	e := apiErr(t, err)
	if e.Code != 429 || e.RetryAfter != 7 || e.Message != "Too Many Requests: retry after 7" {
		t.Errorf("429: %+v", e)
	}
	// Retrying inside the window is a breach and gets 429 again.
	clock.Advance(2 * time.Second)
	_, err = bot.Send(tgbotapi.NewMessage(42, "hi"))
	if e := apiErr(t, err); e.Code != 429 || e.RetryAfter != 5 {
		t.Errorf("retry too soon: %+v", e)
	}
	br := srv.Breaches()
	if len(br) != 1 || br[0].Kind != telegramtest.BreachRetryTooSoon || br[0].ChatID != 42 {
		t.Errorf("breaches = %v", br)
	}
	clock.Advance(5 * time.Second)
	if _, err := bot.Send(tgbotapi.NewMessage(42, "hi")); err != nil {
		t.Errorf("after window: %v", err)
	}
	calls := srv.Calls("sendMessage")
	if len(calls) != 3 || calls[0].Fault != "too_many_requests" || calls[1].Fault != "retry_window" || calls[2].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestBadGatewayHTML(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	srv.User(42)
	srv.Fail("sendMessage", telegramtest.BadGateway(), 2)
	if _, err := bot.Send(tgbotapi.NewMessage(42, "hi")); err == nil {
		t.Error("502 HTML did not surface as an error")
	}
	status, ctype, body := post(t, srv, "sendMessage", "application/x-www-form-urlencoded", "chat_id=42&text=hi")
	if status != 502 || ctype != "text/html" || !strings.Contains(body, "<html>") || !strings.Contains(body, "502 Bad Gateway") {
		t.Errorf("raw 502 = %d %q %q", status, ctype, body)
	}
	if _, err := bot.Send(tgbotapi.NewMessage(42, "hi")); err != nil {
		t.Errorf("after faults: %v", err)
	}
}

func TestOtherFaults(t *testing.T) {
	ctx := deadline(t)
	srv, bot := start(t, telegramtest.Options{})
	srv.User(42)
	srv.User(43)
	send := func(chat int64) error { _, err := bot.Send(tgbotapi.NewMessage(chat, "x")); return err }

	srv.Fail("sendMessage", telegramtest.Blocked(43), 0) // only chat 43, until cleared
	if err := send(42); err != nil {
		t.Errorf("chat 42: %v", err)
	}
	for range 2 {
		if e := apiErr(t, send(43)); e.Code != 403 || e.Message != "Forbidden: bot was blocked by the user" {
			t.Errorf("blocked: %+v", e)
		}
	}
	srv.ClearFaults()

	srv.Fail("getUpdates", telegramtest.Conflict(), 1)
	_, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if e := apiErr(t, err); e.Code != 409 || !strings.Contains(e.Message, "only one bot instance") {
		t.Errorf("conflict: %+v", e)
	}
	srv.Fail("", telegramtest.InternalError(), 1)
	if e := apiErr(t, send(42)); e.Code != 500 {
		t.Errorf("500: %+v", e)
	}
	srv.Fail("sendMessage", telegramtest.BadRequest("chat not found"), 1)
	if e := apiErr(t, send(42)); e.Code != 400 || e.Message != "Bad Request: chat not found" {
		t.Errorf("400: %+v", e)
	}
	srv.Fail("sendMessage", telegramtest.ConnReset(), 1)
	if err := send(42); err == nil {
		t.Error("reset: no error")
	}

	// Hang: the client gives up (its own timeout); the server records it.
	srv.Fail("getMe", telegramtest.Hang(), 1)
	hc := srv.Client()
	hc.Timeout = 200 * time.Millisecond
	impatient, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), hc)
	if err == nil || impatient != nil {
		t.Errorf("hang: %v", err)
	}
	if err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool {
		c, ok := s.LastCall("getMe")
		return ok && c.Fault == "hang"
	}); err != nil {
		t.Fatal(err)
	}

	// User-level block: 403 plus a my_chat_member update.
	srv.User(42).Block()
	if e := apiErr(t, send(42)); e.Code != 403 {
		t.Errorf("Block: %+v", e)
	}
	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 1 || ups[0].MyChatMember == nil || ups[0].MyChatMember.NewChatMember.Status != "kicked" {
		t.Errorf("my_chat_member: %+v %v", ups, err)
	}
}

func TestChaosIsSeeded(t *testing.T) {
	run := func() []int {
		srv, bot := start(t, telegramtest.Options{})
		srv.StartChaos(telegramtest.Chaos{
			Seed: 7, Rate: 0.5, Calls: 40, Methods: []string{"getMe"},
			// No 429 here: it would open a retry window for later calls.
			Faults: []telegramtest.Fault{telegramtest.InternalError(), telegramtest.BadRequest("x"), telegramtest.BadGateway()},
		})
		var statuses []int
		for range 50 {
			_, _ = bot.GetMe()
			c, _ := srv.LastCall("getMe")
			statuses = append(statuses, c.Status)
		}
		return statuses
	}
	a, b := run(), run()
	if !cmp.Equal(a, b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	failed := 0
	for i, s := range a {
		if s != 200 {
			failed++
			if i >= 40 {
				t.Errorf("call %d failed after chaos ended", i)
			}
		}
	}
	if failed < 5 || failed > 35 {
		t.Errorf("%d of 40 failed at rate 0.5", failed)
	}
}

func TestSendDocumentAndPhotoMultipart(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	srv.User(42)
	data := []byte("id,name\n1,widget\n")
	doc := tgbotapi.NewDocument(42, tgbotapi.FileBytes{Name: "report.csv", Bytes: data})
	doc.Caption = "Weekly <b>report</b>"
	doc.ParseMode = tgbotapi.ModeHTML
	sent, err := bot.Send(doc)
	if err != nil {
		t.Fatal(err)
	}
	if sent.Document == nil || sent.Document.FileName != "report.csv" || sent.Document.FileSize != len(data) ||
		sent.Document.MimeType != "text/csv" || sent.Caption != "Weekly report" {
		t.Errorf("sent = %+v doc=%+v", sent, sent.Document)
	}
	last, _ := srv.LastMessage(42)
	if last.File == nil || !bytes.Equal(last.File.Data, data) || last.Caption != "Weekly <b>report</b>" || last.Kind != "document" {
		t.Errorf("stored = %+v", last)
	}
	if c, _ := srv.LastCall("sendDocument"); c.Encoding != "multipart" || !bytes.Equal(c.Uploads["document"].Data, data) {
		t.Errorf("call = %+v", c)
	}

	// Extra params (protect_content) via UploadFiles are kept.
	_, err = bot.UploadFiles("sendDocument", tgbotapi.Params{"chat_id": "42", "protect_content": "true"},
		[]tgbotapi.RequestFile{{Name: "document", Data: tgbotapi.FileBytes{Name: "a.bin", Bytes: []byte{1, 2, 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	last, _ = srv.LastMessage(42)
	if !last.Protected || last.Params.Get("protect_content") != "true" {
		t.Errorf("protect_content lost: %+v", last)
	}

	// Re-sending by file_id reuses the stored file.
	again, err := bot.Send(tgbotapi.NewDocument(42, tgbotapi.FileID(sent.Document.FileID)))
	if err != nil || again.Document.FileID != sent.Document.FileID {
		t.Errorf("by file_id: %+v %v", again.Document, err)
	}

	// tgbotapi v5.5.1 quirk: UploadFiles (multipart) errors carry no Code.
	srv.Fail("sendDocument", telegramtest.Blocked(42), 1)
	_, err = bot.Send(tgbotapi.NewDocument(42, tgbotapi.FileBytes{Name: "b.bin", Bytes: []byte{4}}))
	if e := apiErr(t, err); e.Code != 0 || e.Message != "Forbidden: bot was blocked by the user" {
		t.Errorf("multipart error = %+v", e)
	}
	if c, _ := srv.LastCall("sendDocument"); c.Status != 403 {
		t.Errorf("recorded status %d", c.Status)
	}

	var img bytes.Buffer
	_ = png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 3, 2)))
	photo, err := bot.Send(tgbotapi.NewPhoto(42, tgbotapi.FileBytes{Name: "p.png", Bytes: img.Bytes()}))
	if err != nil {
		t.Fatal(err)
	}
	if len(photo.Photo) != 1 || photo.Photo[0].Width != 3 || photo.Photo[0].Height != 2 {
		t.Errorf("photo = %+v", photo.Photo)
	}
	if _, err := bot.Send(tgbotapi.NewPhoto(42, tgbotapi.FileID("nonsense"))); err == nil {
		t.Error("unknown file_id accepted")
	}
}

func TestLimitBreachesWithFakeClock(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	kinds := func(bs []telegramtest.Breach) []telegramtest.BreachKind {
		var out []telegramtest.BreachKind
		for _, b := range bs {
			out = append(out, b.Kind)
		}
		return out
	}

	t.Run("private", func(t *testing.T) {
		clock := telegramtest.NewFakeClock(t0)
		srv, bot := start(t, telegramtest.Options{Now: clock.Now})
		srv.User(1)
		for range 3 { // burst of 3 is fine
			if _, err := bot.Send(tgbotapi.NewMessage(1, "x")); err != nil {
				t.Fatal(err)
			}
		}
		if len(srv.Breaches()) != 0 {
			t.Fatalf("burst counted: %v", srv.Breaches())
		}
		_, _ = bot.Send(tgbotapi.NewMessage(1, "4th")) // same instant: breach
		clock.Advance(time.Second)
		_, _ = bot.Send(tgbotapi.NewMessage(1, "5th")) // one token refilled
		clock.Advance(500 * time.Millisecond)
		_, _ = bot.Request(tgbotapi.NewEditMessageText(1, 1, "edit")) // edits count too: breach
		_, _ = bot.Request(tgbotapi.NewCallback("none", ""))          // does not count
		if got := kinds(srv.Breaches()); !cmp.Equal(got, []telegramtest.BreachKind{telegramtest.BreachPrivateChat, telegramtest.BreachPrivateChat}) {
			t.Errorf("breaches = %v", srv.Breaches())
		}
	})

	t.Run("group", func(t *testing.T) {
		clock := telegramtest.NewFakeClock(t0)
		srv, bot := start(t, telegramtest.Options{Now: clock.Now})
		g := srv.Group(100, "Team")
		for range 20 {
			clock.Advance(2 * time.Second)
			_, _ = bot.Send(tgbotapi.NewMessage(g.ID(), "x"))
		}
		if len(srv.Breaches()) != 0 {
			t.Fatalf("20/min counted: %v", srv.Breaches())
		}
		clock.Advance(2 * time.Second) // 21st within 60 s
		_, _ = bot.Send(tgbotapi.NewMessage(g.ID(), "x"))
		clock.Advance(30 * time.Second) // 16 messages in the last 60 s
		_, _ = bot.Send(tgbotapi.NewMessage(g.ID(), "x"))
		if got := kinds(srv.Breaches()); !cmp.Equal(got, []telegramtest.BreachKind{telegramtest.BreachGroupChat}) {
			t.Errorf("breaches = %v", srv.Breaches())
		}
	})

	t.Run("global", func(t *testing.T) {
		clock := telegramtest.NewFakeClock(t0)
		srv, bot := start(t, telegramtest.Options{Now: clock.Now})
		for i := range 31 {
			srv.User(int64(1000 + i))
			_, _ = bot.Send(tgbotapi.NewMessage(int64(1000+i), "x"))
		}
		got := srv.Breaches()
		if len(got) != 1 || got[0].Kind != telegramtest.BreachGlobal || got[0].ChatID != 1030 {
			t.Errorf("breaches = %v", got)
		}
	})

	t.Run("enforced", func(t *testing.T) {
		clock := telegramtest.NewFakeClock(t0)
		srv, bot := start(t, telegramtest.Options{Now: clock.Now, Limits: telegramtest.Limits{Enforce: true}})
		srv.User(1)
		for range 3 {
			if _, err := bot.Send(tgbotapi.NewMessage(1, "x")); err != nil {
				t.Fatal(err)
			}
		}
		_, err := bot.Send(tgbotapi.NewMessage(1, "x"))
		if e := apiErr(t, err); e.Code != 429 || e.RetryAfter != 1 {
			t.Fatalf("enforced: %+v", e)
		}
		_, err = bot.Send(tgbotapi.NewMessage(1, "x")) // ignores retry_after
		if e := apiErr(t, err); e.Code != 429 {
			t.Fatalf("retry: %+v", e)
		}
		clock.Advance(time.Second)
		if _, err := bot.Send(tgbotapi.NewMessage(1, "x")); err != nil {
			t.Fatalf("after waiting: %v", err)
		}
		if got := kinds(srv.Breaches()); !cmp.Equal(got, []telegramtest.BreachKind{telegramtest.BreachPrivateChat, telegramtest.BreachRetryTooSoon}) {
			t.Errorf("breaches = %v", srv.Breaches())
		}
		if n := len(srv.BotMessages(1)); n != 4 {
			t.Errorf("delivered %d messages, want 4", n)
		}
	})
}

func TestGroupsUsersAndCommands(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	g := srv.Group(777, "Team")
	alice := srv.AddUser(telegramtest.UserInfo{ID: 5, FirstName: "Alice", UserName: "alice", LanguageCode: "de"})
	robot := srv.AddUser(telegramtest.UserInfo{ID: 6, IsBot: true, FirstName: "Other", UserName: "other_bot"})
	alice.In(g).Start("")
	robot.SendText("beep")
	alice.SendCommand("help@test_bot", "me")
	alice.SendPhoto("look")
	alice.SendSticker("👍")
	alice.SendLocation(52.5, 13.4)
	alice.SendContact("+100", "")
	alice.SendVoice(3)
	alice.ReplyTo(1, "re")

	ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil || len(ups) != 9 {
		t.Fatalf("updates: %d %v", len(ups), err)
	}
	m := ups[0].Message
	if m.Chat.Type != "group" || m.Chat.ID != -777 || m.Chat.Title != "Team" || !m.IsCommand() || m.Command() != "start" ||
		m.From.LanguageCode != "de" || m.From.IsBot {
		t.Errorf("group start = %+v chat=%+v", m, m.Chat)
	}
	if !ups[1].Message.From.IsBot || ups[1].Message.Chat.Type != "private" {
		t.Errorf("bot user = %+v", ups[1].Message.From)
	}
	if c := ups[2].Message; c.Command() != "help" || c.CommandWithAt() != "help@test_bot" || c.CommandArguments() != "me" {
		t.Errorf("command = %q %q", c.CommandWithAt(), c.CommandArguments())
	}
	if ups[3].Message.Photo == nil || ups[3].Message.Caption != "look" || ups[4].Message.Sticker.Emoji != "👍" ||
		ups[5].Message.Location.Latitude != 52.5 || ups[6].Message.Contact.UserID != 5 || ups[7].Message.Voice.Duration != 3 {
		t.Errorf("media updates wrong: %+v", ups[3:8])
	}
	if ups[8].Message.ReplyToMessage == nil || ups[8].Message.ReplyToMessage.MessageID != 1 {
		t.Errorf("reply = %+v", ups[8].Message)
	}

	ch, err := bot.GetChat(tgbotapi.ChatInfoConfig{ChatConfig: tgbotapi.ChatConfig{ChatID: -777}})
	if err != nil || ch.Type != "group" || ch.Title != "Team" {
		t.Errorf("getChat = %+v %v", ch, err)
	}
	srv.SetMemberStatus(-777, 5, "administrator")
	cm, err := bot.GetChatMember(tgbotapi.GetChatMemberConfig{ChatConfigWithUser: tgbotapi.ChatConfigWithUser{ChatID: -777, UserID: 5}})
	if err != nil || cm.Status != "administrator" || cm.User.UserName != "alice" {
		t.Errorf("getChatMember = %+v %v", cm, err)
	}

	cmds := []tgbotapi.BotCommand{{Command: "start", Description: "Start"}, {Command: "help", Description: "Help"}}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(cmds...)); err != nil {
		t.Fatal(err)
	}
	got, err := bot.GetMyCommands()
	if err != nil || !cmp.Equal(got, cmds) || !cmp.Equal(srv.Commands(nil, ""), cmds) {
		t.Errorf("getMyCommands = %v %v", got, err)
	}
	if _, err := bot.Request(tgbotapi.NewSetMyCommands(tgbotapi.BotCommand{Command: "Bad-Cmd", Description: "x"})); err == nil {
		t.Error("invalid command accepted")
	}
	if _, err := bot.Request(tgbotapi.NewDeleteMyCommands()); err != nil {
		t.Fatal(err)
	}
	if got, _ := bot.GetMyCommands(); len(got) != 0 {
		t.Errorf("after delete: %v", got)
	}
}

func TestUpdateFaultScripts(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{FirstUpdateID: 100})
	alice := srv.User(1)
	s := alice.SendText("hello")
	get := func(offset int) []tgbotapi.Update {
		t.Helper()
		ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		return ups
	}
	if ups := get(0); len(ups) != 1 || ups[0].UpdateID != 100 {
		t.Fatalf("first = %+v", ups)
	}
	// Same update_id again, even though the client already confirmed it.
	if err := srv.Redeliver(s.UpdateID); err != nil {
		t.Fatal(err)
	}
	if ups := get(101); len(ups) != 1 || ups[0].UpdateID != 100 || ups[0].Message.MessageID != s.MessageID {
		t.Errorf("redelivered = %+v", ups)
	}
	// Same message under a new update_id.
	id, err := srv.DuplicateAsNew(s.UpdateID)
	if err != nil || id != 101 {
		t.Fatalf("DuplicateAsNew = %d %v", id, err)
	}
	if ups := get(101); len(ups) != 1 || ups[0].UpdateID != 101 || ups[0].Message.MessageID != s.MessageID {
		t.Errorf("duplicate = %+v", ups)
	}
	if ups := get(102); len(ups) != 0 {
		t.Errorf("queue not drained: %+v", ups)
	}
	// Ids restart lower; the client's old offset (102) is ignored.
	srv.RestartUpdateIDs(5)
	alice.SendText("after restart")
	ups := get(102)
	if len(ups) != 1 || ups[0].UpdateID != 5 || ups[0].Message.Text != "after restart" {
		t.Errorf("after restart = %+v", ups)
	}
	if c, _ := srv.LastCall("getUpdates"); c.Note != "offset in the future ignored" {
		t.Errorf("note = %q", c.Note)
	}
	if ups := get(6); len(ups) != 0 {
		t.Errorf("after confirming restart = %+v", ups)
	}
}

func TestParseModesAndValidation(t *testing.T) {
	srv, bot := start(t, telegramtest.Options{})
	srv.User(1)
	send := func(text, mode string) (tgbotapi.Message, error) {
		m := tgbotapi.NewMessage(1, text)
		m.ParseMode = mode
		return bot.Send(m)
	}
	if m, err := send("<b>bold</b> &amp; <a href=\"https://x.invalid\">link</a>", "HTML"); err != nil || m.Text != "bold & link" {
		t.Errorf("HTML: %q %v", m.Text, err)
	}
	_, err := send("a <b>b", "HTML")
	if e := apiErr(t, err); e.Code != 400 || !strings.HasPrefix(e.Message, "Bad Request: can't parse entities: ") {
		t.Errorf("bad HTML: %+v", e)
	}
	_, err = send("1 < 2 <foo>", "HTML")
	if err == nil {
		t.Error("unsupported tag accepted")
	}
	_, err = send("Done.", "MarkdownV2")
	if e := apiErr(t, err); !strings.Contains(e.Message, "Character '.' is reserved") {
		t.Errorf("MarkdownV2: %+v", e)
	}
	if m, err := send("*Done*\\. `a.b` [x](https://x.invalid/a_b)", "MarkdownV2"); err != nil || m.Text != "Done. a.b x" {
		t.Errorf("MarkdownV2 ok: %q %v", m.Text, err)
	}
	if _, err := send("", ""); err == nil {
		t.Error("empty text accepted")
	}
	if _, err := send(strings.Repeat("x", 4097), ""); err == nil {
		t.Error("4097 chars accepted")
	}
	if _, err := bot.Send(tgbotapi.NewMessage(999, "x")); apiErr(t, err).Message != "Bad Request: chat not found" {
		t.Errorf("unknown chat: %v", err)
	}
	bad := tgbotapi.NewMessage(1, "x")
	bad.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("long", strings.Repeat("d", 65))))
	if _, err := bot.Send(bad); apiErr(t, err).Message != "Bad Request: BUTTON_DATA_INVALID" {
		t.Errorf("65-byte callback_data: %v", err)
	}
	fr := tgbotapi.NewMessage(1, "Your name?")
	fr.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: "name"}
	m, err := bot.Send(fr)
	if err != nil || m.ReplyMarkup != nil {
		t.Fatalf("force reply: %+v %v", m, err)
	}
	if last, _ := srv.LastMessage(1); !last.ForceReply || last.Keyboard != nil {
		t.Errorf("force reply stored as %+v", last)
	}
}

func TestJSONAndQueryBodies(t *testing.T) {
	srv, _ := start(t, telegramtest.Options{})
	srv.User(9)
	status, _, body := post(t, srv, "sendMessage", "application/json",
		`{"chat_id":9,"text":"json","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`)
	if status != 200 || !strings.Contains(body, `"text":"json"`) {
		t.Fatalf("json = %d %s", status, body)
	}
	if c, _ := srv.LastCall("sendMessage"); c.Encoding != "json" || c.ChatID != 9 || c.Params.Get("chat_id") != "9" {
		t.Errorf("call = %+v", c)
	}
	if err := srv.User(9).Tap("A"); err != nil {
		t.Error(err)
	}
	resp, err := srv.Client().Get(fmt.Sprintf(srv.APIEndpoint(), srv.Token(), "sendMessage") + "?" + url.Values{"chat_id": {"9"}, "text": {"query"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if last, _ := srv.LastMessage(9); resp.StatusCode != 200 || last.Text != "query" {
		t.Errorf("query = %d %+v", resp.StatusCode, last)
	}
}

func TestWaitForDeadline(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.WaitFor(ctx, func(*telegramtest.Server) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor = %v", err)
	}
}

// TestConcurrentBot runs an echo bot on the real client while users send
// and tests inspect concurrently; run with -race.
func TestConcurrentBot(t *testing.T) {
	ctx := deadline(t)
	srv, bot := start(t, telegramtest.Options{})
	const users, each = 8, 15

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // echo bot
		defer wg.Done()
		offset := 0
		for {
			select {
			case <-stop:
				return
			default:
			}
			ups, err := bot.GetUpdates(tgbotapi.UpdateConfig{Offset: offset, Timeout: 5})
			if err != nil {
				return // server closed
			}
			for _, u := range ups {
				offset = u.UpdateID + 1
				if u.Message != nil {
					_, _ = bot.Send(tgbotapi.NewMessage(u.Message.Chat.ID, "echo: "+u.Message.Text))
				}
			}
		}
	}()
	var senders sync.WaitGroup
	for i := range users {
		senders.Add(1)
		go func() {
			defer senders.Done()
			u := srv.User(int64(100 + i))
			for j := range each {
				u.SendText(fmt.Sprintf("m%d", j))
				_ = srv.Messages(u.ID())
				_ = srv.Calls("")
			}
		}()
	}
	senders.Wait()
	err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool {
		for i := range users {
			if len(s.BotMessages(int64(100+i))) != each {
				return false
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	close(stop)
	srv.Close() // releases the bot's pending long poll
	wg.Wait()
	for i := range users {
		msgs := srv.Messages(int64(100 + i))
		if len(msgs) != 2*each {
			t.Errorf("chat %d has %d messages", 100+i, len(msgs))
		}
	}
}
