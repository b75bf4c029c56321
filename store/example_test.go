package store_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"toolmap/store"
	"toolmap/survey"
)

func ExampleDB_Step() {
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "demo", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thank you!"),
		Questions: []*survey.Question{
			{ID: "editor", Kind: survey.KindSingle, Text: en("Your editor?"), Options: []*survey.Item{
				{ID: "vim", Label: en("Vim")}, {ID: "emacs", Label: en("Emacs")},
			}},
		},
	}
	if err := survey.Validate(def); err != nil {
		log.Fatal(err)
	}

	dir, err := os.MkdirTemp("", "toolmap-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	db, err := store.Open(filepath.Join(dir, "toolmap.db"), &store.Options{Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	const alice survey.RespondentID = 1001
	for _, in := range []survey.Input{
		{Kind: survey.InputStart},
		{Kind: survey.InputAgree},
		{Kind: survey.InputChoose, Option: "vim"},
	} {
		// One transaction: load the session, step the engine, store the result.
		events, err := db.Step(alice, func(s survey.Session) (survey.Session, []survey.Event, error) {
			return survey.Step(def, s, in, now)
		})
		if err != nil {
			log.Fatal(err)
		}
		// Committed: now the events may be shown.
		for _, ev := range events {
			switch ev := ev.(type) {
			case survey.AskConsent:
				fmt.Println("consent:", ev.Text)
			case survey.Ask:
				fmt.Println("ask:", ev.Text)
			case survey.Completed:
				fmt.Println("completed:", ev.Thanks)
			}
		}
	}

	n, err := db.CountResponses(time.Time{}, time.Time{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("responses:", n)
	err = db.AnswerLog(func(e store.LogEntry) error {
		if e.Cursor == "" {
			fmt.Println("log:", e.Respondent, e.Kind)
			return nil
		}
		fmt.Println("log:", e.Respondent, e.Kind, e.Cursor)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// consent: We keep your answers.
	// ask: Your editor?
	// completed: Thank you!
	// responses: 1
	// log: 1001 consented
	// log: 1001 set editor
	// log: 1001 completed
}
