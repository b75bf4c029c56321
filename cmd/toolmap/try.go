package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/textui"
)

func init() {
	register(command{
		name:    "try",
		args:    "[--survey FILE] [--db FILE] [--lang CODE]",
		summary: "answer the survey in this terminal, through the real engine and store",
		run:     runTry,
	})
}

// tryRespondent is the respondent id toolmap try answers as, unless --as.
const tryRespondent = 1

func runTry(ctx context.Context, e env, args []string) error {
	c := commands["try"]
	fs := newFlags(e, c, `Runs the whole survey in this terminal, through the same engine and store the
Telegram bot uses. Type an option's number; in a question where you can pick
several, type several numbers ("1 3 5") to tick them, then d for done.
b goes back, s skips an optional question, r reviews your answers, q quits.
Quitting and running try again carries on where you left off.

Standard input may be piped, so a script can drive it:
  printf '1\n1\n2\n' | toolmap try --db /tmp/t.db`)
	surveyPath := fs.String("survey", "", "survey definition `FILE` (default: the built-in survey)")
	dbPath := fs.String("db", "toolmap-try.db", "database `FILE` to store answers in")
	lang := fs.String("lang", "", "answer in language `CODE`, e.g. es (default: the survey's default)")
	as := fs.Int64("as", tryRespondent, "respondent `ID` to answer as")
	configPath := fs.String("config", "", "read the survey and database from this config `FILE`")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "toolmap try: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	if *configPath != "" {
		cfg, err := ReadConfigFile(*configPath)
		if err != nil {
			return err
		}
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["survey"] {
			*surveyPath = cfg.Survey
		}
		if !set["db"] {
			*dbPath = cfg.Database
		}
	}
	def, err := loadSurvey(*surveyPath)
	if err != nil {
		var ps survey.Problems
		if errors.As(err, &ps) {
			fmt.Fprintln(e.stderr, ps.Error())
			fmt.Fprintf(e.stderr, "The survey has %d problem%s: fix them and try again.\n", len(ps), plural(len(ps)))
			return exitError{1}
		}
		return err
	}
	if *lang != "" && !def.HasLanguage(*lang) {
		return fmt.Errorf("the survey has no language %q: it has %s", *lang, strings.Join(def.Languages, ", "))
	}
	db, err := store.Open(*dbPath, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	t := &tryer{
		def: def, db: db, id: survey.RespondentID(*as), out: e.stdout,
		in: bufio.NewScanner(e.stdin), echo: !isTerminal(e.stdin), now: time.Now,
	}
	t.in.Buffer(make([]byte, 64*1024), 1<<20)
	return t.run(ctx, *lang)
}

type tryer struct {
	def    *survey.Definition
	db     *store.DB
	id     survey.RespondentID
	in     *bufio.Scanner
	out    io.Writer
	echo   bool // stdin is piped: echo each line, so the output reads as a transcript
	now    func() time.Time
	prompt textui.Prompt
}

func (t *tryer) run(ctx context.Context, lang string) error {
	fmt.Fprintf(t.out, "toolmap try · %s · answers are stored in %s\n", t.def, t.db.Path())
	fmt.Fprintln(t.out, `Type "?" for help, "q" to stop (you can carry on later).`)
	fmt.Fprintln(t.out)

	s, ok, err := t.db.Session(t.id)
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
			if a, ok := t.def.AskAt(&s); ok {
				where = "at " + strings.ToLower(a.Title[:1]) + a.Title[1:]
			}
			fmt.Fprintf(t.out, "You have an unfinished survey, started %s, %s.\n", s.StartedAt.Local().Format("2 Jan 2006 15:04"), where)
			fmt.Fprintln(t.out, "  c) carry on   r) start again   q) quit")
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
			fmt.Fprintf(t.out, "You finished this survey on %s. Your answers:\n", s.CompletedAt.Local().Format("2 Jan 2006 15:04"))
			summary := t.def.Summary(&s)
			fmt.Fprint(t.out, textui.FormatSummary(summary))
			fmt.Fprintln(t.out, "  r N) change answer N   restart) start again   q) quit")
			t.prompt = textui.Prompt{Done: true, Summary: summary}
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
			fmt.Fprintln(t.out, "\n(end of input: your answers are saved; run try again to carry on)")
			return t.in.Err()
		}
		ins, action := textui.Parse(line, t.prompt)
		switch action {
		case textui.ActionQuit:
			fmt.Fprintln(t.out, "Your answers are saved. Run toolmap try again to carry on.")
			return nil
		case textui.ActionHelp:
			fmt.Fprintln(t.out, textui.Help)
			continue
		case textui.ActionReview:
			s, _, err := t.db.Session(t.id)
			if err != nil {
				return err
			}
			summary := t.def.Summary(&s)
			if len(summary) == 0 {
				fmt.Fprintln(t.out, "No answers yet.")
				continue
			}
			fmt.Fprint(t.out, textui.FormatSummary(summary))
			fmt.Fprintln(t.out, "  Type r N to change answer N.")
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
func (t *tryer) apply(ins ...survey.Input) error {
	for i, in := range ins {
		events, err := t.db.Step(t.id, func(s survey.Session) (survey.Session, []survey.Event, error) {
			return survey.Step(t.def, s, in, t.now())
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
		fmt.Fprint(t.out, textui.Format(shown))
		summary := t.prompt.Summary
		t.prompt.Update(events)
		if t.prompt.Summary == nil {
			t.prompt.Summary = summary
		}
		for _, ev := range events {
			switch ev := ev.(type) {
			case survey.Completed:
				if ev.Recorded {
					fmt.Fprintf(t.out, "\nYour response is stored in %s.\n", t.db.Path())
					fmt.Fprintln(t.out, "  r N) change answer N   restart) start again   q) quit")
				}
			case survey.Withdrawn:
				return nil
			}
		}
	}
	return nil
}

func (t *tryer) readLine() (string, bool) {
	if !t.echo {
		fmt.Fprint(t.out, "> ")
	}
	if !t.in.Scan() {
		return "", false
	}
	line := t.in.Text()
	if t.echo {
		fmt.Fprintf(t.out, "> %s\n", line)
	}
	return line, true
}

// choice reads a line until it is one of the options; "" at end of input.
func (t *tryer) choice(options ...string) string {
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
		fmt.Fprintf(t.out, "Please type %s.\n", strings.Join(options, ", "))
	}
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
