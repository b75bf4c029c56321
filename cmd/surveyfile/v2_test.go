package surveyfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"toolmap/survey"
)

// surveyWith returns a small survey whose questions are qs (YAML, indented
// as list entries under questions:).
func surveyWith(qs string) string {
	return `survey: s
version: 1
languages: [en]
consent:
  version: 1
  text: We keep your answers.
  agree: OK
  decline: No thanks
thanks: Thank you!
catalogues:
  - id: activities
    items:
      - id: events
        label: Events
      - id: money
        label: Money
questions:
` + qs
}

func problemsOf(t *testing.T, text string) survey.Problems {
	t.Helper()
	_, err := Parse("s.yaml", []byte(text))
	var ps survey.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse = %v, want problems", err)
	}
	return ps
}

func TestOptionsFromProblemsHaveLines(t *testing.T) {
	tests := []struct {
		name, qs, at, msg string
	}{
		{
			name: "forward",
			qs: `  - id: hardest
    kind: single
    options_from: acts
    text: Which is hardest?
  - id: acts
    kind: multi
    from: activities
    text: What do you do?
`,
			at:  "  - id: hardest",
			msg: `question "hardest": options_from: question "acts" comes later in the survey (or is this one): refer only to earlier questions`,
		},
		{
			name: "not multi",
			qs: `  - id: kind
    kind: single
    text: Kind?
    options:
      - id: a
        label: A
  - id: hardest
    kind: single
    options_from: kind
    text: Which is hardest?
`,
			at:  "  - id: hardest",
			msg: `question "hardest": options_from: question "kind" is a single question; options_from must name a multi or matrix question`,
		},
		{
			name: "unknown",
			qs: `  - id: acts
    kind: multi
    from: activities
    text: What do you do?
  - id: hardest
    kind: single
    options_from: actz
    text: Which is hardest?
`,
			at:  "  - id: hardest",
			msg: `question "hardest": options_from: unknown question "actz" (did you mean "acts"?)`,
		},
		{
			name: "with other",
			qs: `  - id: acts
    kind: multi
    from: activities
    text: What do you do?
  - id: hardest
    kind: single
    options_from: acts
    other: true
    text: Which is hardest?
`,
			at:  "  - id: hardest",
			msg: `question "hardest": other does not apply to an options_from question: what was typed under Other… in "acts" is offered already`,
		},
		{
			name: "naming a later answer",
			qs: `  - id: why
    kind: text
    text: Why is {acts} hard?
  - id: acts
    kind: multi
    from: activities
    text: What do you do?
`,
			at:  "  - id: why",
			msg: `question "why": {acts}: question "acts" comes later in the survey (or is this one): refer only to earlier questions`,
		},
		{
			name: "naming a text answer",
			qs: `  - id: area
    kind: text
    text: Where?
  - id: why
    kind: text
    text: Why is {area} hard?
`,
			at:  "  - id: why",
			msg: `question "why": {area}: question "area" is a text question; a question's wording can name the answer to an earlier single or multi question`,
		},
		{
			name: "show_earlier_picks outside a matrix",
			qs: `  - id: acts
    kind: multi
    from: activities
    show_earlier_picks: true
    text: What do you do?
`,
			at:  "  - id: acts",
			msg: `question "acts": "show_earlier_picks" does not apply to a multi question`,
		},
		{
			name: "item outside a matrix",
			qs: `  - id: why
    kind: text
    text: Why is {item} hard?
`,
			at:  "  - id: why",
			msg: `question "why": {item}: {item} names the row of a matrix question; this is a text question`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := surveyWith(tt.qs)
			ps := problemsOf(t, text)
			want := fmt.Sprintf("s.yaml:%d: %s", lineOf(t, text, tt.at, 1), tt.msg)
			found := false
			for _, p := range ps {
				found = found || p.Error() == want
			}
			if !found {
				t.Errorf("problems:\n%v\nwant:\n%s", ps, want)
			}
		})
	}
}

func TestKeyboardsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("  - id: huge\n    kind: multi\n    text: Pick\n    options:\n")
	for i := range 10001 {
		fmt.Fprintf(&b, "      - id: o%d\n        label: Option %d\n", i, i)
	}
	text := surveyWith(b.String())
	ps := problemsOf(t, text)
	want := fmt.Sprintf("s.yaml:%d: question \"huge\": 10001 options; at most 300 (10 pages of 30 buttons): split the list, or ask for a typed answer", lineOf(t, text, "  - id: huge", 1))
	if len(ps) != 1 || ps[0].Error() != want {
		t.Errorf("problems:\n%v\nwant:\n%s", ps, want)
	}

	// Long lists are fine in pages; own options beside a catalogue are on
	// every page, so too many of them make a keyboard too big.
	b.Reset()
	b.WriteString("  - id: many\n    kind: multi\n    from: activities\n    other: true\n    text: Pick\n    options:\n")
	for i := range 80 {
		fmt.Fprintf(&b, "      - id: o%d\n        label: Option %d\n", i, i)
	}
	text = surveyWith(b.String())
	ps = problemsOf(t, text)
	if len(ps) != 1 || !strings.Contains(ps[0].Error(), "its keyboard could have 94 buttons at once") || ps[0].Line != lineOf(t, text, "  - id: many", 1) {
		t.Errorf("problems: %v", ps)
	}
	b.Reset()
	b.WriteString("  - id: paged\n    kind: single\n    text: Pick\n    options:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "      - id: o%d\n        label: Option %d\n", i, i)
	}
	if _, err := Parse("s.yaml", []byte(surveyWith(b.String()))); err != nil {
		t.Errorf("300 options in pages: %v", err)
	}
}
