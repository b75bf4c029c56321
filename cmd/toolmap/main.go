// Command toolmap maps which digital tools grassroots groups use for each
// thing they do, by asking their organisers a short survey in a chat.
//
// Run "toolmap help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"toolmap/cmd/internal/jobs"
	"toolmap/survey"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	var ex exitError
	switch {
	case err == nil:
	case errors.As(err, &ex):
		os.Exit(ex.code)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "toolmap:", err)
		os.Exit(1)
	}
}

// exitError ends the program with a code after the command has already said
// what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// env is what a command may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return exitError{2}
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				return fmt.Errorf("unknown command %q: run \"toolmap help\" for the list", args[1])
			}
			if err := c.run(ctx, e, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
				return err
			}
			return nil
		}
		usage(stdout)
		return nil
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "toolmap: unknown command %q\n\n", name)
		usage(stderr)
		return exitError{2}
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `toolmap maps which digital tools grassroots groups use for each thing they do,
by asking their organisers a short survey in a chat.

Usage: toolmap COMMAND [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-16s %s\n", n, c.summary)
	}
	fmt.Fprint(w, `
Run "toolmap help COMMAND" or "toolmap COMMAND -h" for a command's flags.
`)
}

// cmdline is one run of a command: its flags, the settings they and the
// --config file give, and how it says what is wrong with its command line.
type cmdline struct {
	*flag.FlagSet
	env
	name string

	// The flags commands share, each nil where the command has none.
	// settings reads --config and lays the others over it.
	config, db, survey, lang, tz, keyFile *string
	minCount                              *int
}

// Usage of the flags several commands share.
const (
	surveyUsage   = "survey definition `FILE` (default: from --config, else the built-in survey)"
	minCountUsage = "small-cell threshold `N` (default: digest.min_count, else 5)"
	keyFileUsage  = "read the study key from `FILE` instead of " + jobs.StudyKeyEnv
)

// newCommand starts a run of the command name; long is its help, which
// -h prints with the flags.
func newCommand(e env, name, long string) *cmdline {
	c := &cmdline{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), env: e, name: name}
	c.SetOutput(e.stderr)
	c.Usage = func() {
		w := c.Output()
		fmt.Fprintf(w, "Usage: toolmap %s %s\n\n%s\n", name, commands[name].args, strings.TrimSpace(long))
		hasFlags := false
		c.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(w, "\nFlags:\n")
			c.PrintDefaults()
		}
	}
	return c
}

// dbFlags adds --db and --config, which reads the database and what
// else the command says (reads) from a config file.
func (c *cmdline) dbFlags(reads string) {
	c.db = c.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	c.config = c.String("config", "", "read the "+reads+" from this config `FILE`")
}

// parse parses args, and refuses more than most arguments (-1: the
// command checks them itself). -h prints the usage to stdout and ends the
// command.
func (c *cmdline) parse(args []string, most int) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			c.SetOutput(c.stdout)
			c.Usage()
			return flag.ErrHelp
		}
		if a == "--" {
			break
		}
	}
	if err := c.Parse(args); err != nil {
		return exitError{2}
	}
	if most >= 0 && c.NArg() > most {
		return c.usageErr("unexpected argument %q", c.Arg(most))
	}
	return nil
}

// usageErr says what is wrong with the command line; the exit status is 2.
func (c *cmdline) usageErr(format string, a ...any) error {
	fmt.Fprintf(c.stderr, "toolmap %s: %s\n", c.name, fmt.Sprintf(format, a...))
	return exitError{2}
}

// given reports whether the command line sets the flag name.
func (c *cmdline) given(name string) bool {
	set := false
	c.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// settings reads the --config file (without one, the built-in settings)
// and lays over it the flags given: --db, --survey, and the digest's
// --lang, --tz and --min-count. Without --config a flag's own default
// counts too (try keeps its answers in toolmap-try.db). Digest settings
// that cannot work are a usage error.
func (c *cmdline) settings() (Config, error) {
	cfg := DefaultConfig()
	noConfig := c.config == nil || *c.config == ""
	if !noConfig {
		var err error
		if cfg, err = ReadConfigFile(*c.config); err != nil {
			return cfg, err
		}
	}
	over := func(name string, v *string) bool { return v != nil && (c.given(name) || noConfig && *v != "") }
	if over("db", c.db) {
		cfg = cfg.withDatabase(*c.db)
	}
	if over("survey", c.survey) {
		cfg.Survey = *c.survey
	}
	if over("lang", c.lang) {
		cfg.Digest.Language = *c.lang
	}
	if over("tz", c.tz) {
		cfg.Digest.Timezone = *c.tz
	}
	if c.given("min-count") {
		cfg.Digest.MinCount = *c.minCount
	}
	if c.tz != nil {
		if ps := cfg.Digest.problems(); len(ps) > 0 {
			return cfg, c.usageErr("%s", strings.Join(ps, "; "))
		}
	}
	return cfg, nil
}

// settingsAndSurvey returns the settings and the survey they name.
func (c *cmdline) settingsAndSurvey() (Config, *survey.Definition, error) {
	cfg, err := c.settings()
	if err != nil {
		return cfg, nil, err
	}
	def, err := loadSurvey(cfg.Survey)
	return cfg, def, err
}

// studyKey reads the study key from --key-file, else from the environment.
func (c *cmdline) studyKey() ([]byte, error) {
	key, warning, err := jobs.LoadStudyKey(*c.keyFile, os.Getenv)
	if warning != "" {
		fmt.Fprintf(c.stderr, "toolmap %s: warning: %s\n", c.name, warning)
	}
	return key, err
}
