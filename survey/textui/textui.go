// Package textui shows a survey conversation as plain text and reads typed
// lines back as engine inputs. toolmap try uses it in a terminal, and the
// golden transcripts of the default survey (in package surveyfile) are
// written with it, so what authors try is exactly what the tests pin down.
//
// It does no I/O: it formats to strings and parses strings.
package textui

import (
	"fmt"
	"strconv"
	"strings"

	"toolmap/survey"
)

// Prompt is what the last shown event asked for, which decides how the
// next line is read.
type Prompt struct {
	Consent bool
	Ask     *survey.Ask
	Done    bool // the survey is complete
	Summary []survey.SummaryLine
}

// Update remembers what the events asked for.
func (p *Prompt) Update(events []survey.Event) {
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.AskConsent:
			*p = Prompt{Consent: true}
		case survey.Ask:
			a := ev
			*p = Prompt{Ask: &a}
		case survey.Completed:
			*p = Prompt{Done: true, Summary: ev.Summary}
		case survey.Withdrawn:
			*p = Prompt{}
		}
	}
}

// Action is what a line asks of the terminal rather than of the engine.
type Action int

// Actions.
const (
	ActionNone   Action = iota
	ActionQuit          // leave; the session is saved
	ActionHelp          // show the keys
	ActionReview        // list the answers with numbers
)

// Help explains the keys.
const Help = `Type the number of an option. In a question where you can pick several,
type several numbers ("1 3 5") to tick or untick them, then d when done.
  d  done      b  back      s  skip (optional questions)
  m  more/fewer tools       o  other… (then type the name; again for another)
  <  >  previous and next page of a long list
  =  same as the activity named (in the tools for each activity); =2, =3 the others
  r  review your answers    r N  change answer N
  restart  start again      lang CODE  switch language
  q  quit (your answers are saved: run try again to carry on)
  ?  this help
Anything else is read as a typed answer.`

// Parse reads one typed line as inputs for the engine, given the prompt
// the line answers. A line can give several inputs ("1 3 5" ticks three
// options), or an Action for the terminal.
func Parse(line string, p Prompt) ([]survey.Input, Action) {
	t := strings.TrimSpace(line)
	lower := strings.ToLower(t)
	cmd, arg, _ := strings.Cut(lower, " ")
	cmd = strings.TrimPrefix(cmd, "/")
	switch cmd {
	case "q", "quit", "exit":
		return nil, ActionQuit
	case "?", "h", "help":
		return nil, ActionHelp
	case "restart":
		return []survey.Input{{Kind: survey.InputRestart}}, ActionNone
	case "lang", "language":
		return []survey.Input{{Kind: survey.InputLanguage, Text: strings.TrimSpace(arg)}}, ActionNone
	case "start":
		return []survey.Input{{Kind: survey.InputStart, Text: strings.TrimSpace(arg)}}, ActionNone
	case "r", "review":
		if arg == "" {
			return nil, ActionReview
		}
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || n < 1 || n > len(p.Summary) {
			return nil, ActionReview
		}
		return []survey.Input{{Kind: survey.InputJump, At: p.Summary[n-1].At}}, ActionNone
	}
	if p.Consent {
		switch lower {
		case "1", "y", "yes", "agree":
			return []survey.Input{{Kind: survey.InputAgree}}, ActionNone
		case "2", "n", "no":
			return []survey.Input{{Kind: survey.InputDecline}}, ActionNone
		}
		return []survey.Input{{Kind: survey.InputText, Text: t}}, ActionNone
	}
	a := p.Ask
	if a == nil {
		if p.Done {
			return nil, ActionReview
		}
		return []survey.Input{{Kind: survey.InputStart}}, ActionNone
	}
	at := a.At
	switch strings.TrimPrefix(lower, "/") {
	case "b", "back":
		return []survey.Input{{Kind: survey.InputBack}}, ActionNone
	case "s", "skip":
		return []survey.Input{{Kind: survey.InputSkip, At: at}}, ActionNone
	case "d", "done":
		return []survey.Input{{Kind: survey.InputDone, At: at}}, ActionNone
	case "m", "more", "fewer":
		return []survey.Input{{Kind: survey.InputMore, At: at}}, ActionNone
	case "<", ">":
		if a.Pages > 1 {
			page := max(a.Page, 1)
			if lower == ">" {
				page = min(page+1, a.Pages)
			} else if page--; page < 1 && !a.More {
				page = 1
			}
			return []survey.Input{{Kind: survey.InputPage, At: at, Option: strconv.Itoa(page)}}, ActionNone
		}
	case "=", "same", "=2", "same2", "=3", "same3":
		i := 0
		if n := lower[len(lower)-1]; n == '2' || n == '3' {
			i = int(n - '1')
		}
		if i < len(a.SameAs) {
			return []survey.Input{{Kind: survey.InputSame, At: at, Option: a.SameAs[i].Item}}, ActionNone
		}
	case "o", "other":
		if a.Kind == survey.KindSingle {
			return []survey.Input{{Kind: survey.InputChoose, At: at, Option: survey.OtherID}}, ActionNone
		}
		return []survey.Input{{Kind: survey.InputToggle, At: at, Option: survey.OtherID}}, ActionNone
	}
	if a.AwaitingOther || a.Kind == survey.KindText || a.Kind == survey.KindNumber {
		return []survey.Input{{Kind: survey.InputText, Text: t}}, ActionNone
	}
	// Numbers pick options.
	fields := strings.FieldsFunc(t, func(r rune) bool { return r == ' ' || r == ',' })
	var ins []survey.Input
	for _, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > len(a.Options) {
			ins = nil
			break
		}
		kind := survey.InputToggle
		if a.Kind == survey.KindSingle {
			kind = survey.InputChoose
		}
		ins = append(ins, survey.Input{Kind: kind, At: at, Option: a.Options[n-1].ID})
		if kind == survey.InputChoose {
			break
		}
	}
	if len(ins) > 0 {
		return ins, ActionNone
	}
	return []survey.Input{{Kind: survey.InputText, Text: t}}, ActionNone
}

// Format renders events as the text a terminal shows.
func Format(events []survey.Event) string {
	var b strings.Builder
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.AskConsent:
			if ev.Intro != "" && ev.Problem == "" {
				b.WriteString(ev.Intro + "\n\n")
			}
			b.WriteString(ev.Text + "\n")
			fmt.Fprintf(&b, "  1) %s\n  2) %s\n", ev.Agree, ev.Decline)
			if ev.Problem != "" {
				b.WriteString("(!) " + ev.Problem + "\n")
			}
		case survey.Ask:
			formatAsk(&b, ev)
		case survey.Completed:
			if ev.Problem != "" {
				b.WriteString("(!) " + ev.Problem + "\n")
			}
			if ev.Problem == "" || ev.First {
				b.WriteString(ev.Thanks + "\n")
			}
			b.WriteString(FormatSummary(ev.Summary))
		case survey.Withdrawn:
			if ev.Text != "" {
				b.WriteString(ev.Text + "\n")
			}
		case survey.Notice:
			b.WriteString("· " + ev.Text + "\n")
		}
	}
	return b.String()
}

// FormatSummary lists answers with numbers, for review.
func FormatSummary(lines []survey.SummaryLine) string {
	var b strings.Builder
	for i, l := range lines {
		fmt.Fprintf(&b, "  %2d. %s: %s\n", i+1, l.Question, oneLine(l.Answer))
	}
	return b.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	if r := []rune(s); len(r) > 120 {
		return string(r[:119]) + "…"
	}
	return s
}

func formatAsk(b *strings.Builder, a survey.Ask) {
	b.WriteString("── " + a.Title)
	if a.Row != "" {
		b.WriteString(" · " + a.Row)
	}
	b.WriteString(" ──\n")
	b.WriteString(a.Text + "\n")
	if a.Hint != "" {
		b.WriteString(a.Hint + "\n")
	}
	for i, o := range a.Options {
		mark := ")"
		if a.Kind == survey.KindMulti || a.Kind == survey.KindMatrix {
			mark = ") [ ]"
			if o.Selected {
				mark = ") [x]"
			}
		} else if o.Selected {
			mark = ") *"
		}
		fmt.Fprintf(b, "  %d%s %s\n", i+1, mark, o.Label)
	}
	if a.Value != "" {
		b.WriteString("  (now: " + oneLine(a.Value) + ")\n")
	}
	for i, same := range a.SameAs {
		key := "="
		if i > 0 {
			key += strconv.Itoa(i + 1)
		}
		what := "🔁 same as "
		if same.Plus {
			what = "🔁 + same as " // keeps the ticks and adds that row's
		}
		b.WriteString("  " + key + ") " + what + same.Label + " ▶\n")
	}
	var keys []string
	if a.Pages > 1 && a.Page > 0 {
		keys = append(keys, fmt.Sprintf("page %d of %d:", a.Page, a.Pages))
		if a.Page > 1 {
			keys = append(keys, "<) previous")
		}
		if a.Page < a.Pages {
			keys = append(keys, ">) next")
		}
	}
	if a.More {
		if a.Page == 0 {
			keys = append(keys, "m) more")
		} else {
			keys = append(keys, "m) fewer")
		}
	}
	if a.CanDone {
		keys = append(keys, "d) done")
	}
	if a.CanBack {
		keys = append(keys, "b) back")
	}
	if a.CanSkip {
		keys = append(keys, "s) skip")
	}
	keys = append(keys, "q) quit", "?) help")
	b.WriteString("  " + strings.Join(keys, "  ") + "\n")
	if a.Note != "" {
		b.WriteString("(i) " + a.Note + "\n")
	}
	if a.Problem != "" {
		b.WriteString("(!) " + a.Problem + "\n")
	}
	if a.AwaitingOther {
		b.WriteString("… " + a.OtherPrompt + "\n")
	}
}
