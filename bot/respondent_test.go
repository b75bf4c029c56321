package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// TestMyData: /mydata answers from the respondent's own session, as a
// message; one too long for a message, as Telegram counts (UTF-16 units),
// is queued in the outbox as a JSON file.
func TestMyData(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), newHTTPClient(ctx, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	st := newMemStore()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	session := func(hard string) survey.Session {
		return survey.Session{SurveyID: "t", Version: 1, Language: "en", Status: survey.StatusActive, Source: "flyer",
			Consent: &survey.Consented{Version: 1, At: at}, StartedAt: at, UpdatedAt: at,
			Answers: map[string]survey.Answer{
				"kind": {Question: "kind", Values: []string{"choir"}, Version: 1, At: at},
				"hard": {Question: "hard", Text: hard, Version: 1, At: at},
			}}
	}
	long := "LONG-" + strings.Repeat("🤝", 1703) + strings.Repeat("x", 1067)
	if n, u := utf8.RuneCountInString(long), textLen(long); n != 2775 || u != 4478 {
		t.Fatalf("the long answer has %d characters, %d units; want 2775 and 4478", n, u)
	}
	st.sessions[7] = session("short and sweet")
	st.sessions[8] = session(long)
	b := New(testConn(api), fixture(t), st, nil, &Options{PollTimeout: time.Second, MaxTextRunes: 4000})
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not stop")
		}
	})
	wait := func(what string, cond func(*telegramtest.Server) bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := srv.WaitFor(wctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	committed := func(n int) func(*telegramtest.Server) bool {
		return func(*telegramtest.Server) bool {
			off, _ := st.Offset()
			return off >= int64(n)
		}
	}

	srv.User(7).SendText("/mydata")
	wait("the short /mydata", committed(2))
	st.mu.Lock()
	out := append([]Outgoing(nil), st.out...)
	st.mu.Unlock()
	if len(out) != 1 || out[0].ChatID != 7 {
		t.Fatalf("queued %+v, want one message to 7", out)
	}
	for _, want := range []string{"Everything stored about you", "short and sweet", "Choir", "flyer", "Telegram id 7", "Not finished yet."} {
		if !strings.Contains(out[0].Text, want) {
			t.Errorf("/mydata lacks %q:\n%s", want, out[0].Text)
		}
	}

	// 8's answer is 2,775 characters of 4,478 UTF-16 units (emoji count
	// two): counted in characters it would fit a message, and Telegram
	// would refuse it. It goes as a file, queued in the outbox like any
	// message (so the sender paces it and a 429 only delays it).
	srv.User(8).SendText("/mydata")
	wait("the long /mydata", committed(3))
	st.mu.Lock()
	out = append([]Outgoing(nil), st.out...)
	st.mu.Unlock()
	if len(out) != 2 || out[1].Kind != OutSendDocument || out[1].ChatID != 8 || out[1].File == nil {
		t.Fatalf("queued %+v, want a document to 8 after 7's message", out)
	}
	doc := out[1]
	if doc.File.Name != "mydata.json" || !strings.Contains(doc.Text, "as a file") {
		t.Fatalf("document %q, caption %q", doc.File.Name, doc.Text)
	}
	var got struct {
		TelegramID int64  `json:"telegram_id"`
		Source     string `json:"source"`
		Answers    []struct {
			ID     string `json:"question_id"`
			Answer string `json:"answer"`
		} `json:"answers"`
	}
	if err := json.Unmarshal(doc.File.Data, &got); err != nil {
		t.Fatalf("the file is not JSON: %v", err)
	}
	found := false
	for _, a := range got.Answers {
		found = found || a.Answer == long
	}
	if got.TelegramID != 8 || got.Source != "flyer" || !found {
		t.Errorf("the file holds %+v", got)
	}
	if strings.Contains(string(doc.File.Data), "short and sweet") {
		t.Error("the file of 8 holds 7's answer")
	}
}

// TestPrivacyNamesTheController: /privacy ends with who is responsible
// for the data and how to reach them, when the survey names them, and
// with the retention period, when one is set.
func TestPrivacyNamesTheController(t *testing.T) {
	b, st := newTestBot(t)
	b.def.Controller = survey.Controller{Name: "Tools for Groups study", Contact: "privacy@example.org"}
	b.opts.RetentionDays = 90
	var u updates
	en := &tgbotapi.User{ID: 2002, LanguageCode: "en"}
	mustHandle(t, b, u.message(tgbotapi.Chat{ID: 2002, Type: "private"}, en, "/privacy"))
	if len(st.out) != 1 {
		t.Fatalf("out = %+v", st.out)
	}
	text := st.out[0].Text
	for _, want := range []string{"What we keep: your numeric Telegram id;",
		"Who is responsible for your data: Tools for Groups study. Contact: privacy@example.org",
		"After 90 days your Telegram id is removed"} {
		if !strings.Contains(text, want) {
			t.Errorf("/privacy lacks %q:\n%s", want, text)
		}
	}
}
