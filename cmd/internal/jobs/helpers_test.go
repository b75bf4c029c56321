package jobs

import (
	"path/filepath"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// jDef is a tiny survey: one single question.
func jDef(t *testing.T) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "bs", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thank you!"),
		Questions: []*survey.Question{
			{ID: "role", Kind: survey.KindSingle, Text: en("Your role?"), Options: []*survey.Item{
				{ID: "dev", Label: en("Developer")}, {ID: "ops", Label: en("Operations")},
			}},
		},
	}
	if err := survey.Validate(def); err != nil {
		t.Fatal(err)
	}
	return def
}

var jNow = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// jOpen opens a new database on a fixed clock, closed at cleanup.
func jOpen(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "jobs.db"), &store.Options{Now: func() time.Time { return jNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// jStep is a Commit function like the bot's: it steps the survey and
// queues one prompt per question asked, with the question id as text.
func jStep(def *survey.Definition, chatID int64, in survey.Input) func(survey.Session, bot.ChatState) (bot.Result, error) {
	return func(s survey.Session, c bot.ChatState) (bot.Result, error) {
		next, events, err := survey.Step(def, s, in, jNow)
		if err != nil {
			return bot.Result{}, err
		}
		var out []bot.Outgoing
		for _, ev := range events {
			switch ev := ev.(type) {
			case survey.AskConsent:
				out = append(out, bot.Outgoing{Kind: bot.OutSend, ChatID: chatID, Text: "consent", Prompt: true})
			case survey.Ask:
				out = append(out, bot.Outgoing{Kind: bot.OutSend, ChatID: chatID, Text: ev.At.Key(), Prompt: true})
			}
		}
		return bot.Result{Session: next, Events: events, Out: out, Chat: c}, nil
	}
}

func mustCommit(t *testing.T, db *store.DB, u bot.Update, id survey.RespondentID, fn func(survey.Session, bot.ChatState) (bot.Result, error)) bool {
	t.Helper()
	ok, err := db.Commit(u, id, fn)
	if err != nil {
		t.Fatalf("Commit(%d): %v", u.ID, err)
	}
	return ok
}

func pending(t *testing.T, db *store.DB) []bot.Queued {
	t.Helper()
	q, err := db.Pending(0)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return q
}
