package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"toolmap/survey"
	"toolmap/survey/surveyfile"
)

func init() {
	register(command{
		name:    "validate",
		args:    "[FILE]",
		summary: "check a survey definition file (or the built-in default)",
		run:     runValidate,
	})
	register(command{
		name:    "default-survey",
		args:    "",
		summary: "print the built-in default survey, to start your own from",
		run: func(ctx context.Context, e env, args []string) error {
			fs := newFlags(e, commands["default-survey"], `Prints the built-in default survey as YAML. Save it, edit it, check it with
"toolmap validate FILE" and try it with "toolmap try --survey FILE".`)
			if err := parseFlags(fs, e, args); err != nil {
				return err
			}
			_, err := e.stdout.Write(surveyfile.DefaultYAML())
			return err
		},
	})
}

func runValidate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["validate"], `Checks a survey definition file and lists every problem at once, each with
its file, line and where in the survey it is. Without FILE, checks the
built-in default survey. Exits 0 when the file is good, 1 otherwise.

The format is described in docs/survey-format.md.`)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(e.stderr, "toolmap validate: give at most one file")
		return exitError{2}
	}
	path := fs.Arg(0)
	def, err := loadSurvey(path)
	if err != nil {
		var ps survey.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				fmt.Fprintln(e.stdout, p.Error())
			}
			n := len(ps)
			fmt.Fprintf(e.stdout, "%d problem%s found.\n", n, plural(n))
			return exitError{1}
		}
		return err
	}
	name := path
	if name == "" {
		name = surveyfile.DefaultName
	}
	fmt.Fprintf(e.stdout, "%s: ok: %s\n", name, describe(def))
	return nil
}

// describe summarises a definition in one line.
func describe(def *survey.Definition) string {
	parts := []string{
		fmt.Sprintf("survey %s version %d", def.ID, def.Version),
		fmt.Sprintf("languages %s", strings.Join(def.Languages, ", ")),
		fmt.Sprintf("%d questions", len(def.Questions)),
	}
	for _, c := range def.Catalogues {
		parts = append(parts, fmt.Sprintf("%d %s", len(c.Items), c.ID))
	}
	return strings.Join(parts, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
