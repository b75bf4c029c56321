package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"toolmap/bot"
	"toolmap/cmd/internal/demo"
)

func init() {
	register(command{
		name:    "demo",
		args:    "[--respondents N] [--unlimited] [--think D] [--partway] [--bot-process] [--seed S] [--db FILE] [--survey FILE] [--out DIR]",
		summary: "run the bot against a fake Telegram with simulated respondents, and measure it",
		run:     runDemo,
	})
}

func runDemo(ctx context.Context, e env, args []string) error {
	fs := newCommand(e, "demo", demo.Help)
	var o demo.Options
	fs.IntVar(&o.Respondents, "respondents", 20, "how many simulated organisers answer at once")
	fs.BoolVar(&o.Unlimited, "unlimited", false, "no flood limits: the fake server does not enforce them and the bot does not pace")
	fs.BoolVar(&o.Partway, "partway", false, "stop every organiser after the activities question (surveys left in progress)")
	fs.BoolVar(&o.BotProcess, "bot-process", false, "run the bot as a separate process (\"toolmap run\"), to measure its CPU and memory apart")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the organisers' random choices")
	fs.StringVar(&o.DB, "db", "", "keep the database in `FILE` (default: a temporary file, removed at the end)")
	fs.StringVar(&o.Survey, "survey", "", "survey definition `FILE` (default: the built-in survey)")
	fs.DurationVar(&o.Think, "think", 0, "each organiser pauses about `D` (between D/2 and 3D/2) before each action, as a person reading would; 0: none")
	strays := fs.Bool("strays", true, "organisers now and then type, send emoji or stickers, tap an older message, or leave and come back, as people do; false: they only answer")
	fs.StringVar(&o.Out, "out", "", "leave the digest's chart and an export in `DIR` (default: a new temporary directory, kept)")
	args, o.CPUProfile, o.MemProfile = hiddenProfileFlags(args)
	if err := fs.parse(args, -1); err != nil {
		return err
	}
	o.Plain = !*strays
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "toolmap demo: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	if o.Think < 0 || o.Think > 10*time.Second {
		fmt.Fprintln(e.stderr, "toolmap demo: --think must be between 0 and 10s")
		return exitError{2}
	}
	if o.Respondents < 1 || o.Respondents > 1_000_000 {
		fmt.Fprintln(e.stderr, "toolmap demo: --respondents must be between 1 and 1000000")
		return exitError{2}
	}
	if !o.BotProcess {
		tuneGCPercent(os.Getenv)
	}
	var err error
	if o.Def, err = loadSurvey(o.Survey); err != nil {
		return err
	}
	if o.BotProcess {
		if o.BotBinary, err = demoBotBinary(); err != nil {
			return err
		}
	}
	o.Serve = serveDemo
	err = demo.Run(ctx, o, e.stdout, e.stderr)
	if errors.Is(err, demo.ErrFailed) {
		return exitError{1}
	}
	return err
}

// demoBotBinaryEnv names the toolmap binary "demo --bot-process" runs as
// the bot, instead of os.Executable(): tests set it, as a test binary
// cannot run "toolmap run".
const demoBotBinaryEnv = "TOOLMAP_DEMO_BOT_BINARY"

// demoBotBinary is the toolmap binary "demo --bot-process" runs.
func demoBotBinary() (string, error) {
	if exe := os.Getenv(demoBotBinaryEnv); exe != "" {
		return exe, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the toolmap binary to run the bot: %w", err)
	}
	if strings.HasSuffix(exe, ".test") {
		return "", fmt.Errorf("%s is a test binary: set %s to a toolmap binary", exe, demoBotBinaryEnv)
	}
	return exe, nil
}

// serveDemo runs the bot in this process for the demo, as serve does with
// the settings the demo asks for.
func serveDemo(ctx context.Context, s demo.Setup, started func(demo.Running)) error {
	cfg := DefaultConfig()
	cfg.Database, cfg.Survey = s.Database, s.Survey
	cfg.Telegram.APIURL = s.APIURL
	cfg.Reminders.Hours, cfg.Reminders.Spread = "00:00-24:00", 0
	getenv := func(k string) string {
		if k == TokenEnv {
			return s.Token
		}
		return ""
	}
	return serve(ctx, cfg, getenv, s.Log, &serveHooks{
		started: func(r running) {
			started(demo.Running{Bot: r.bot, Sender: r.sender, Reminders: r.reminders, GiveBack: r.giveBack})
		},
		tune: func(so *bot.SenderOptions, bo *bot.Options) {
			so.Unlimited = s.Unlimited
			bo.FloodRate, bo.FloodBurst = 1e6, 1_000_000
		},
	})
}

// hiddenProfileFlags removes --cpuprofile FILE and --memprofile FILE (not
// in the help: they are for developers) from args.
func hiddenProfileFlags(args []string) (rest []string, cpu, mem string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || (name != "cpuprofile" && name != "memprofile") {
			rest = append(rest, a)
			continue
		}
		if !hasVal && i+1 < len(args) {
			i++
			val = args[i]
		}
		if name == "cpuprofile" {
			cpu = val
		} else {
			mem = val
		}
	}
	return rest, cpu, mem
}
