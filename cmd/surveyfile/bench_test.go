package surveyfile_test

import (
	"testing"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
)

// script is a whole default survey (version 2) by buttons: 30 inputs.
var script = []survey.Input{
	{Kind: survey.InputStart, Text: "flyer"},
	{Kind: survey.InputAgree},
	{Kind: survey.InputChoose, Option: "community"},
	{Kind: survey.InputChoose, Option: "to_30"},
	{Kind: survey.InputChoose, Option: "informal"},
	{Kind: survey.InputChoose, Option: "yorkshire"},
	{Kind: survey.InputText, Text: "Leeds"},
	{Kind: survey.InputToggle, Option: "announce"},
	{Kind: survey.InputToggle, Option: "coordinate"},
	{Kind: survey.InputToggle, Option: "events"},
	{Kind: survey.InputDone},
	{Kind: survey.InputToggle, Option: "whatsapp"},
	{Kind: survey.InputToggle, Option: "email_list"},
	{Kind: survey.InputDone},
	{Kind: survey.InputToggle, Option: "whatsapp"},
	{Kind: survey.InputMore},
	{Kind: survey.InputPage, Option: "2"},
	{Kind: survey.InputToggle, Option: "zetkin"},
	{Kind: survey.InputDone},
	{Kind: survey.InputToggle, Option: "facebook"},
	{Kind: survey.InputToggle, Option: survey.OtherID},
	{Kind: survey.InputText, Text: "Mobilizon"},
	{Kind: survey.InputDone},
	{Kind: survey.InputBack},
	{Kind: survey.InputDone},
	{Kind: survey.InputChoose, Option: "events"},
	{Kind: survey.InputText, Text: "Keeping everyone in the loop"},
	{Kind: survey.InputChoose, Option: "yes"},
	{Kind: survey.InputChoose, Option: "whatsapp"},
	{Kind: survey.InputChoose, Option: "organiser"},
}

func defaultSurvey(tb testing.TB) *survey.Definition {
	tb.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return def
}

// TestScriptCompletes keeps the benchmark honest: its script must really
// complete the default survey.
func TestScriptCompletes(t *testing.T) {
	def := defaultSurvey(t)
	var s survey.Session
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	for _, in := range script {
		var err error
		if s, _, err = survey.Step(def, s, in, now); err != nil {
			t.Fatal(err)
		}
	}
	if s.Status != survey.StatusCompleted || len(s.Answers) != 14 {
		t.Fatalf("status %s with %d answers", s.Status, len(s.Answers))
	}
}

// BenchmarkStep measures one engine step, averaged over a whole default
// survey answered by buttons (30 steps, including the matrix with its full
// tool list in pages, Other… and Back).
func BenchmarkStep(b *testing.B) {
	def := defaultSurvey(b)
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	var s survey.Session
	i := 0
	for b.Loop() {
		if i%len(script) == 0 {
			s = survey.Session{}
		}
		var err error
		s, _, err = survey.Step(def, s, script[i%len(script)], now)
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkStepMatrixToggle measures the heaviest common step: ticking a
// tool on the full list of a matrix row.
func BenchmarkStepMatrixToggle(b *testing.B) {
	def := defaultSurvey(b)
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	var s survey.Session
	for _, in := range script[:17] {
		s, _, _ = survey.Step(def, s, in, now)
	}
	toggle := survey.Input{Kind: survey.InputToggle, Option: "slack"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := survey.Step(def, s, toggle, now); err != nil {
			b.Fatal(err)
		}
	}
}
