package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"toolmap/store"
	"toolmap/survey"
)

// benchDef is a survey of 16 single questions, each with three options.
func benchDef(b *testing.B) *survey.Definition {
	b.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "bench", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thank you!"),
	}
	for i := range 16 {
		def.Questions = append(def.Questions, &survey.Question{
			ID: fmt.Sprintf("q%02d", i+1), Kind: survey.KindSingle,
			Text: en(fmt.Sprintf("Which of these best describes how your group handles task %d?", i+1)),
			Options: []*survey.Item{
				{ID: "often", Label: en("Often")}, {ID: "sometimes", Label: en("Sometimes")}, {ID: "never", Label: en("Never")},
			},
		})
	}
	if err := survey.Validate(def); err != nil {
		b.Fatal(err)
	}
	return def
}

// benchStepCommit times one Step per op, each its own transaction, on
// sessions of 15 answers. The ops alternate, per respondent, between Back
// (the session is rewritten) and choosing a different answer to question 15
// (the session is rewritten and a "set" entry logged).
func benchStepCommit(b *testing.B, noSync bool) {
	const respondents = 64
	def := benchDef(b)
	clk := newClock()
	db := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"), &store.Options{NoSync: noSync, Now: clk.Now})
	for r := range respondents {
		inputs := []survey.Input{start, agree}
		for range 15 {
			inputs = append(inputs, choose("often"))
		}
		run(b, db, def, clk, survey.RespondentID(r+1), inputs...)
	}
	s, _, err := db.Session(1)
	if err != nil || len(s.Answers) != 15 || s.Cursor.Question != "q16" {
		b.Fatalf("setup: %d answers, cursor %v, %v", len(s.Answers), s.Cursor, err)
	}

	opts := []string{"sometimes", "often"}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := i % respondents
		turn := i / respondents
		in := back
		if turn%2 == 1 {
			in = choose(opts[(turn/2)%2])
		}
		clk.Advance(time.Second)
		t0 := time.Now()
		if _, err := db.Step(survey.RespondentID(r+1), engine(def, in, clk.Now())); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Nanoseconds()), "p99-ns")
}

func BenchmarkStepCommit(b *testing.B)       { benchStepCommit(b, false) }
func BenchmarkStepCommitNoSync(b *testing.B) { benchStepCommit(b, true) }
