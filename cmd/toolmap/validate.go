package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
)

func init() {
	register(command{
		name:    "validate",
		args:    "[--config FILE] [FILE]",
		summary: "check a survey definition file (or the built-in default), a translation (.po), or a config",
		run:     runValidate,
	})
	register(command{
		name:    "default-survey",
		args:    "",
		summary: "print the built-in default survey, to start your own from",
		run: func(ctx context.Context, e env, args []string) error {
			c := newCommand(e, "default-survey", `Prints the built-in default survey as YAML. Save it, edit it, check it with
"toolmap validate FILE" and try it with "toolmap try --survey FILE".`)
			if err := c.parse(args, -1); err != nil {
				return err
			}
			_, err := e.stdout.Write(surveyfile.DefaultYAML())
			return err
		},
	})
}

func runValidate(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "validate", `Checks a survey definition file and lists every problem at once, each with
its file, line and where in the survey it is. Without FILE, checks the
built-in default survey. Exits 0 when the file is good, 1 otherwise.

It also names, by key and language, every interface message (a button,
a hint, the digest's words…) that readers of one of the survey's
languages would see in another, because toolmap has no text for it in
theirs: these do not make the file bad.

It warns when /privacy would not say who is responsible for the
respondents' data and how to reach them (controller: name: and contact:
in the survey file).

A FILE ending in .po is a translation of toolmap's interface messages
(survey/messages/*.po): it is checked against the built-in English, and
every message it leaves untranslated is named.

With --config, the configuration file is checked too, every problem with
its line (a digest schedule that never fires, a time zone that does not
exist, an admin id that is not one, an admin socket that is not a free
path…), and its survey unless FILE is given.

The formats are described in docs/survey-format.md and docs/translating.md.`)
	configPath := c.String("config", "", "also check this configuration `FILE`, and the survey it names")
	if err := c.parse(args, -1); err != nil {
		return err
	}
	if c.NArg() > 1 {
		return c.usageErr("give at most one file")
	}
	path := c.Arg(0)
	if *configPath != "" {
		cfg, err := ReadConfigFile(*configPath)
		if err != nil {
			fmt.Fprintln(e.stdout, err)
			fmt.Fprintln(e.stdout, "The configuration has problems.")
			return exitError{1}
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", *configPath)
		if path == "" && cfg.Survey != "" {
			path = cfg.Survey
		}
	}
	if strings.HasSuffix(path, ".po") {
		return validateCatalogue(e, path)
	}
	def, err := loadSurvey(path)
	if err != nil {
		return printProblems(e, err)
	}
	name := path
	if name == "" {
		name = surveyfile.DefaultName
	}
	fmt.Fprintf(e.stdout, "%s: ok: %s\n", name, describe(def))
	if gaps := def.MessageGaps(); len(gaps) > 0 {
		printList(e, gaps)
		fmt.Fprintf(e.stdout, "%d note%s on toolmap's messages shown in another language than the reader's; the survey itself is good.\n", len(gaps), plural(len(gaps)))
	}
	if gaps := def.PrivacyGaps(); len(gaps) > 0 {
		for _, g := range gaps {
			fmt.Fprintln(e.stdout, "warning: "+g.Error())
		}
	}
	return nil
}

// validateCatalogue checks a translation of the interface messages.
func validateCatalogue(e env, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	gaps, err := survey.CheckCatalogue(path, data)
	var ps survey.Problems
	if err != nil && !errors.As(err, &ps) {
		return err
	}
	if len(ps) == 0 {
		fmt.Fprintf(e.stdout, "%s: ok\n", path)
	}
	printList(e, ps)
	printList(e, gaps)
	if len(gaps) > 0 {
		fmt.Fprintf(e.stdout, "%d message%s to translate or check; until then readers see the English.\n", len(gaps), plural(len(gaps)))
	}
	if len(ps) > 0 {
		fmt.Fprintf(e.stdout, "%d problem%s found.\n", len(ps), plural(len(ps)))
		return exitError{1}
	}
	return nil
}

// printProblems lists the problems of err, a survey.Problems, and returns
// the exit status 1; any other error is returned as it is.
func printProblems(e env, err error) error {
	var ps survey.Problems
	if !errors.As(err, &ps) {
		return err
	}
	printList(e, ps)
	fmt.Fprintf(e.stdout, "%d problem%s found.\n", len(ps), plural(len(ps)))
	return exitError{1}
}

func printList(e env, ps survey.Problems) {
	for _, p := range ps {
		fmt.Fprintln(e.stdout, p.Error())
	}
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
