package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	c := newCommand(e, "try", `Runs the whole survey in this terminal, through the same engine and store the
Telegram bot uses. Type an option's number; in a question where you can pick
several, type several numbers ("1 3 5") to tick them, then d for done.
b goes back, s skips an optional question, r reviews your answers, q quits.
Quitting and running try again carries on where you left off.

Standard input may be piped, so a script can drive it:
  printf '1\n1\n2\n' | toolmap try --db /tmp/t.db`)
	c.survey = c.String("survey", "", "survey definition `FILE` (default: the built-in survey)")
	c.db = c.String("db", "toolmap-try.db", "database `FILE` to store answers in")
	lang := c.String("lang", "", "answer in language `CODE`, e.g. es (default: the survey's default)")
	as := c.Int64("as", tryRespondent, "respondent `ID` to answer as")
	c.config = c.String("config", "", "read the survey and database from this config `FILE`")
	if err := c.parse(args, 0); err != nil {
		return err
	}
	cfg, def, err := c.settingsAndSurvey()
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
	db, err := store.Open(cfg.Database, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	t := &textui.Terminal{
		Def: def, Store: db, ID: survey.RespondentID(*as), Out: e.stdout,
		In: bufio.NewScanner(e.stdin), Echo: !isTerminal(e.stdin), Now: time.Now,
	}
	t.In.Buffer(make([]byte, 64*1024), 1<<20)
	return t.Run(ctx, *lang)
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
