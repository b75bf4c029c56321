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

// newFlags returns a flag set whose -h prints the command's usage to stdout.
func newFlags(e env, c command, long string) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: toolmap %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(long))
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; -h prints the usage to stdout and ends the command.
func parseFlags(fs *flag.FlagSet, e env, args []string) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(e.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
		if a == "--" {
			break
		}
	}
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	return nil
}
