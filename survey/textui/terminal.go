package textui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"toolmap/survey"
)

// Store is what a terminal conversation needs of the database: the
// respondent's session, and one durable commit per step. *store.DB
// implements it.
type Store interface {
	Session(id survey.RespondentID) (survey.Session, bool, error)
	Step(id survey.RespondentID, fn func(survey.Session) (survey.Session, []survey.Event, error)) ([]survey.Event, error)
	Path() string
}

// Terminal answers a survey in a terminal ("toolmap try"): it reads lines
// from In, steps the engine through each input with one durable commit in
// Store, and writes what the engine says to Out.
type Terminal struct {
	Def   *survey.Definition
	Store Store
	ID    survey.RespondentID // the respondent answering
	In    *bufio.Scanner
	Out   io.Writer
	Echo  bool // In is piped: echo each line, so the output reads as a transcript
	Now   func() time.Time

	prompt Prompt
}

// Run carries on the respondent's survey, or starts it, in lang ("" for
// the survey's default), until the input ends or the person quits.
func (t *Terminal) Run(ctx context.Context, lang string) error {
	fmt.Fprintf(t.Out, "toolmap try · %s · answers are stored in %s\n", t.Def, t.Store.Path())
	fmt.Fprintln(t.Out, `Type "?" for help, "q" to stop (you can carry on later).`)
	fmt.Fprintln(t.Out)

	s, ok, err := t.Store.Session(t.ID)
	if err != nil {
		return err
	}
	first := []survey.Input{{Kind: survey.InputStart}}
	if lang != "" {
		first = []survey.Input{{Kind: survey.InputLanguage, Text: lang}}
	}
	if ok {
		switch s.Status {
		case survey.StatusActive, survey.StatusAwaitingConsent:
			where := "at the consent notice"
			if a, ok := t.Def.AskAt(&s); ok {
				where = "at " + strings.ToLower(a.Title[:1]) + a.Title[1:]
			}
			fmt.Fprintf(t.Out, "You have an unfinished survey, started %s, %s.\n", s.StartedAt.Local().Format("2 Jan 2006 15:04"), where)
			fmt.Fprintln(t.Out, "  c) carry on   r) start again   q) quit")
			switch t.choice("c", "r", "q") {
			case "r":
				if s.Status == survey.StatusActive {
					first = []survey.Input{{Kind: survey.InputRestart}}
				}
			case "q", "":
				return nil
			default:
				first = []survey.Input{{Kind: survey.InputResume}}
			}
			if lang != "" {
				first = append([]survey.Input{{Kind: survey.InputLanguage, Text: lang}}, first...)
			}
		case survey.StatusCompleted:
			fmt.Fprintf(t.Out, "You finished this survey on %s. Your answers:\n", s.CompletedAt.Local().Format("2 Jan 2006 15:04"))
			summary := t.Def.Summary(&s)
			fmt.Fprint(t.Out, FormatSummary(summary))
			fmt.Fprintln(t.Out, "  r N) change answer N   restart) start again   q) quit")
			t.prompt = Prompt{Done: true, Summary: summary}
			first = nil
			if lang != "" {
				first = []survey.Input{{Kind: survey.InputLanguage, Text: lang}}
			}
		}
	}
	if err := t.apply(first...); err != nil {
		return err
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		line, ok := t.readLine()
		if !ok {
			fmt.Fprintln(t.Out, "\n(end of input: your answers are saved; run try again to carry on)")
			return t.In.Err()
		}
		ins, action := Parse(line, t.prompt)
		switch action {
		case ActionQuit:
			fmt.Fprintln(t.Out, "Your answers are saved. Run toolmap try again to carry on.")
			return nil
		case ActionHelp:
			fmt.Fprintln(t.Out, Help)
			continue
		case ActionReview:
			s, _, err := t.Store.Session(t.ID)
			if err != nil {
				return err
			}
			summary := t.Def.Summary(&s)
			if len(summary) == 0 {
				fmt.Fprintln(t.Out, "No answers yet.")
				continue
			}
			fmt.Fprint(t.Out, FormatSummary(summary))
			fmt.Fprintln(t.Out, "  Type r N to change answer N.")
			t.prompt.Summary = summary
			continue
		}
		if err := t.apply(ins...); err != nil {
			return err
		}
	}
}

// apply steps the engine through inputs, each in its own durable commit,
// and shows what it says.
func (t *Terminal) apply(ins ...survey.Input) error {
	for i, in := range ins {
		events, err := t.Store.Step(t.ID, func(s survey.Session) (survey.Session, []survey.Event, error) {
			return survey.Step(t.Def, s, in, t.Now())
		})
		if err != nil {
			return err
		}
		shown := events
		if i < len(ins)-1 {
			// Several inputs at once: show the question once, after the last.
			shown = slices.DeleteFunc(slices.Clone(events), func(ev survey.Event) bool {
				switch ev := ev.(type) {
				case survey.Ask:
					return ev.Problem == ""
				case survey.AskConsent:
					return ev.Problem == ""
				}
				return false
			})
		}
		fmt.Fprint(t.Out, Format(shown))
		summary := t.prompt.Summary
		t.prompt.Update(events)
		if t.prompt.Summary == nil {
			t.prompt.Summary = summary
		}
		for _, ev := range events {
			switch ev := ev.(type) {
			case survey.Completed:
				if ev.Recorded {
					fmt.Fprintf(t.Out, "\nYour response is stored in %s.\n", t.Store.Path())
					fmt.Fprintln(t.Out, "  r N) change answer N   restart) start again   q) quit")
				}
			case survey.Withdrawn:
				return nil
			}
		}
	}
	return nil
}

func (t *Terminal) readLine() (string, bool) {
	if !t.Echo {
		fmt.Fprint(t.Out, "> ")
	}
	if !t.In.Scan() {
		return "", false
	}
	line := t.In.Text()
	if t.Echo {
		fmt.Fprintf(t.Out, "> %s\n", line)
	}
	return line, true
}

// choice reads a line until it is one of the options; "" at end of input.
func (t *Terminal) choice(options ...string) string {
	for {
		line, ok := t.readLine()
		if !ok {
			return ""
		}
		l := strings.ToLower(strings.TrimSpace(line))
		for _, o := range options {
			if l == o {
				return o
			}
		}
		fmt.Fprintf(t.Out, "Please type %s.\n", strings.Join(options, ", "))
	}
}
