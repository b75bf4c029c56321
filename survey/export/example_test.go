package export_test

import (
	"fmt"
	"os"
	"time"

	"toolmap/survey"
	"toolmap/survey/export"
)

func ExampleNewLongCSV() {
	def := &survey.Definition{
		ID: "demo", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thank you!"),
		Questions: []*survey.Question{{ID: "tools", Kind: survey.KindMulti, Text: en("Which tools?"),
			Options: []*survey.Item{item("whatsapp", "WhatsApp"), item("paper", "Paper")}}},
	}
	if err := survey.Validate(def); err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	s := survey.Session{
		SurveyID: "demo", Version: 1, Language: "en", Status: survey.StatusCompleted, Source: "=1+1",
		StartedAt: at, UpdatedAt: at.Add(time.Minute), CompletedAt: at.Add(time.Minute),
		Answers: map[string]survey.Answer{"tools": {Question: "tools", Values: []string{"whatsapp", "paper"}, Version: 1, At: at}},
	}
	key := []byte("an example key of at least 32 bytes!")
	enc := export.NewLongCSV(os.Stdout, export.NewCodebook(def), nil)
	if err := enc.Add(export.Response{Respondent: export.Pseudonym(key, 42), Session: s}); err != nil {
		fmt.Println(err)
	}
	if err := enc.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// respondent,survey,survey_version,language,status,source,started_at,completed_at,duration_s,referred_by,question,item,item_label,option,option_label,number,skipped,answer_version,answered_at
	// dfd3ee32351adc22,demo,1,en,completed,'=1+1,2025-03-01T09:00:00Z,2025-03-01T09:01:00Z,60,,tools,,,whatsapp,WhatsApp,,0,1,2025-03-01T09:00:00Z
	// dfd3ee32351adc22,demo,1,en,completed,'=1+1,2025-03-01T09:00:00Z,2025-03-01T09:01:00Z,60,,tools,,,paper,Paper,,0,1,2025-03-01T09:00:00Z
}
