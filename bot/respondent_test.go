package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// TestMyData: /mydata answers from the respondent's own session, as a
// message; one too long for a message goes as a JSON file, sent after the
// commit, over the real client to the fake Bot API.
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
	long := "LONG-" + strings.Repeat("x", 4100)
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

	srv.User(8).SendText("/mydata")
	wait("the /mydata file", func(s *telegramtest.Server) bool {
		for _, m := range s.BotMessages(8) {
			if m.Kind == "document" {
				return true
			}
		}
		return false
	})
	var doc *telegramtest.File
	for _, m := range srv.BotMessages(8) {
		if m.Kind == "document" {
			doc = m.File
		}
	}
	if doc == nil || doc.FileName != "mydata.json" {
		t.Fatalf("document %+v", doc)
	}
	var got struct {
		TelegramID int64  `json:"telegram_id"`
		Source     string `json:"source"`
		Answers    []struct {
			ID     string `json:"question_id"`
			Answer string `json:"answer"`
		} `json:"answers"`
	}
	if err := json.Unmarshal(doc.Data, &got); err != nil {
		t.Fatalf("the file is not JSON: %v", err)
	}
	found := false
	for _, a := range got.Answers {
		found = found || a.Answer == long
	}
	if got.TelegramID != 8 || got.Source != "flyer" || !found {
		t.Errorf("the file holds %+v", got)
	}
	if strings.Contains(string(doc.Data), "short and sweet") {
		t.Error("the file of 8 holds 7's answer")
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.out) != 1 {
		t.Errorf("a message was queued for the long /mydata too: %+v", st.out[1:])
	}
}
