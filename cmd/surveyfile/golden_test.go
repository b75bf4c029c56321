package surveyfile_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/textui"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// TestTranscripts replays each testdata/transcripts/*.in script through
// the engine and the text renderer that toolmap try uses, and compares what
// a respondent would see with the .golden file beside it. A script is one
// typed line per line; lines starting with # are comments, "#lang xx"
// starts the conversation in language xx, and "#survey vN" (before the
// first line typed) answers version N of the built-in survey instead of
// the current one. Run with -update to rewrite the golden files after a
// deliberate change, and read the diff.
func TestTranscripts(t *testing.T) {
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Glob("testdata/transcripts/*.in")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts: %v", err)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".in")
		t.Run(name, func(t *testing.T) {
			got := transcript(t, def, script)
			golden := strings.TrimSuffix(script, ".in") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/surveyfile -run TestTranscripts -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("transcript %s differs from %s:\n%s\n(run with -update if the change is intended)", script, golden, firstDiff(string(want), got))
			}
		})
	}
}

func transcript(t *testing.T, current *survey.Definition, script string) string {
	t.Helper()
	def := current
	f, err := os.Open(script)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		b      strings.Builder
		s      survey.Session
		prompt textui.Prompt
		now    = time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	)
	step := func(in survey.Input) {
		now = now.Add(9 * time.Second)
		next, evs, err := survey.Step(def, s, in, now)
		if err != nil {
			t.Fatalf("%s: %v", script, err)
		}
		s = next
		for _, ev := range evs {
			switch ev := ev.(type) {
			case survey.AnswerRecorded:
				if !ev.Unchanged {
					fmt.Fprintf(&b, "[recorded %s]\n", ev.Answer.Key())
				}
			case survey.AnswerDropped:
				fmt.Fprintf(&b, "[dropped %s]\n", ev.Answer.Key())
			case survey.Completed:
				if ev.Recorded {
					fmt.Fprintf(&b, "[completed first=%v]\n", ev.First)
				}
			case survey.Withdrawn:
				fmt.Fprintf(&b, "[withdrawn %s]\n", ev.Reason)
			}
		}
		b.WriteString(textui.Format(evs))
		prompt.Update(evs)
		if c, ok := lastCompleted(evs); ok {
			prompt.Summary = c.Summary
		}
	}
	sc := bufio.NewScanner(f)
	started := false
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "#survey v"); ok && !started {
			def = nil
			for _, d := range current.Versions() {
				if strconv.Itoa(d.Version) == v {
					def = d
				}
			}
			if def == nil {
				t.Fatalf("%s: no version %s of the built-in survey", script, v)
			}
			continue
		}
		if strings.HasPrefix(line, "#lang ") {
			step(survey.Input{Kind: survey.InputLanguage, Text: strings.TrimPrefix(line, "#lang ")})
			started = true
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		if !started {
			step(survey.Input{Kind: survey.InputStart, Text: "golden"})
			started = true
		}
		b.WriteString("> " + line + "\n")
		ins, action := textui.Parse(line, prompt)
		switch action {
		case textui.ActionReview:
			summary := def.Summary(&s)
			b.WriteString(textui.FormatSummary(summary))
			prompt.Summary = summary
			continue
		case textui.ActionQuit, textui.ActionHelp:
			continue
		}
		for _, in := range ins {
			step(in)
		}
	}
	fmt.Fprintf(&b, "[status %s, %d answers]\n", s.Status, len(s.Answers))
	return b.String()
}

func lastCompleted(evs []survey.Event) (survey.Completed, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		if c, ok := evs[i].(survey.Completed); ok {
			return c, true
		}
	}
	return survey.Completed{}, false
}

// firstDiff shows the first differing line with a little context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, wl, gl)
		}
	}
	return "(no difference)"
}
