package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"
	_ "time/tzdata" // digest.timezone must load on a server image without zoneinfo

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
)

func init() {
	register(command{
		name:    "digest",
		args:    "--preview | --post [--period 2026-W47] [--chart FILE.png] [--db FILE | --config FILE] [--survey FILE] [--lang CODE] [--tz ZONE] [--min-count N]",
		summary: "preview the weekly digest for coordinators, with its chart, or post it to the channel",
		run:     runDigest,
	})
}

// DigestConfig is the digest section of the configuration file.
type DigestConfig struct {
	// Timezone is the zone the weeks are counted in, such as
	// Europe/London. Default UTC.
	Timezone string `yaml:"timezone"`
	// Language is the digest's language, one of the survey's; default the
	// survey's default language.
	Language string `yaml:"language"`
	// MinCount is the small-cell threshold: smaller counts of groups show
	// as "fewer than N", and a week with fewer responses shows no
	// breakdown. Default 5.
	MinCount int `yaml:"min_count"`
	// Channel is where the digest is posted: "@name" or a "-100…" id.
	// Empty: nothing is posted (previews still work).
	Channel ChatRef `yaml:"channel"`
	// Schedule is when the digest of the week that just ended is posted,
	// in cron syntax, in Timezone. Default Monday 09:00.
	Schedule CronSpec `yaml:"schedule"`
	// Grace is how late a slot missed while the bot was down may still be
	// posted at start-up. Default 24 h.
	Grace Duration `yaml:"grace"`
}

// DefaultDigestSchedule is Monday at 09:00.
const DefaultDigestSchedule = "0 9 * * 1"

// DefaultDigestConfig is the digest section used when the file has none.
func DefaultDigestConfig() DigestConfig {
	return DigestConfig{Timezone: "UTC", MinCount: report.DefaultMinCount,
		Schedule: DefaultDigestSchedule, Grace: Duration(24 * time.Hour)}
}

// problems lists the settings that cannot work, as "digest.key: problem".
func (c DigestConfig) problems() []string {
	var out []string
	if _, err := time.LoadLocation(c.Timezone); err != nil || c.Timezone == "" || c.Timezone == "Local" {
		out = append(out, fmt.Sprintf("digest.timezone: %q is not a time zone such as Europe/London or UTC", c.Timezone))
	}
	if c.MinCount < 1 || c.MinCount > 1000 {
		out = append(out, "digest.min_count: must be between 1 and 1000 (5 or more protects small groups)")
	}
	return out
}

// checkLanguage reports a digest language the survey does not speak.
func (c DigestConfig) checkLanguage(def *survey.Definition) error {
	if c.Language != "" && !def.HasLanguage(c.Language) {
		return fmt.Errorf("digest.language: the survey %s speaks %s, not %q", def.ID, strings.Join(def.Languages, ", "), c.Language)
	}
	return nil
}

// digestConfigOf returns the digest section of cfg. Config has no digest
// section yet, so this is the default; once config.go gains the field
// Digest DigestConfig with the tag yaml:"digest", it returns cfg.Digest.
func digestConfigOf(cfg Config) DigestConfig { return cfg.Digest }

func runDigest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["digest"], `Builds the weekly digest that coordinators read in the channel: how many
groups finished this week and in all, what moved this week, and the study
so far: the tools groups use for each activity, where they struggle,
activities and tools typed under "Other…", quotes from respondents who
allowed them, and where respondents came from. Counts of groups under
digest.min_count (default 5) show as "fewer than 5", and a week with fewer
responses shows nothing of its own.

--preview prints the digest's messages (Telegram HTML, as they would be
posted) and, with --chart, writes its chart (the map, a heatmap of tools
by activity) as a PNG. Nothing is posted.
The week is an ISO week in digest.timezone; the default is the current one.

--post posts the digest to digest.channel now (the bot posts it by itself
on digest.schedule), unless that week's digest was posted before, or may
have been (then /digest_resend WEEK in the bot's chat re-posts it). The
default week is the last whole one, as the schedule posts.

Both work while the bot runs (through its admin endpoint, which then posts
with its own settings) and when it is stopped (opening the database; --post
then needs --config and the bot token, as "toolmap run" does).`)
	preview := fs.Bool("preview", false, "print the digest instead of posting it")
	post := fs.Bool("post", false, "post the digest to the channel now")
	periodFlag := fs.String("period", "", "the ISO week `WEEK`, such as 2026-W47 (default: the current week; with --post the last whole week)")
	chartPath := fs.String("chart", "", "write the chart to `FILE` (PNG)")
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database, survey and digest settings from this config `FILE`")
	surveyPath := fs.String("survey", "", "survey definition `FILE` (default: from --config, else the built-in survey)")
	lang := fs.String("lang", "", "the digest's language `CODE` (default: digest.language, else the survey's default)")
	tz := fs.String("tz", "", "count weeks in time `ZONE`, such as Europe/London (default: digest.timezone, else UTC)")
	minCount := fs.Int("min-count", 0, "small-cell threshold `N` (default: digest.min_count, else 5)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "toolmap digest: "+format+"\n", a...)
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *preview == *post {
		return usageErr("give either --preview or --post")
	}
	if *post && *chartPath != "" {
		return usageErr("--chart goes with --preview")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cfg := DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = ReadConfigFile(*configPath); err != nil {
			return err
		}
	}
	dc := digestConfigOf(cfg)
	if set["lang"] {
		dc.Language = *lang
	}
	if set["tz"] {
		dc.Timezone = *tz
	}
	if set["min-count"] {
		dc.MinCount = *minCount
	}
	if ps := dc.problems(); len(ps) > 0 {
		return usageErr("%s", strings.Join(ps, "; "))
	}
	if !set["survey"] {
		*surveyPath = cfg.Survey
	}
	if !set["db"] {
		*dbPath = cfg.Database
	}
	def, err := loadSurvey(*surveyPath)
	if err != nil {
		return err
	}
	if err := dc.checkLanguage(def); err != nil {
		return usageErr("%v", err)
	}
	loc, _ := time.LoadLocation(dc.Timezone) // checked by problems
	period := report.PeriodOf(time.Now(), loc)
	if *post {
		period = slotPeriod(time.Now(), loc)
	}
	if *periodFlag != "" {
		if period, err = report.ParsePeriod(*periodFlag); err != nil {
			return usageErr("--period: %v", err)
		}
	}

	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("no database to read the digest from: %w", err)
	}
	cfg.Database = *dbPath
	if *post {
		cfg.Digest = dc
		return postDigestNow(ctx, e, cfg, def, period)
	}
	var (
		d   bot.Digest
		png []byte
	)
	db, err := store.Open(*dbPath, &store.Options{ReadOnly: true})
	switch {
	case errors.Is(err, store.ErrLocked):
		// A running bot holds it: preview through its admin endpoint.
		var pv digestPreview
		req := digestRequest{Period: period.String(), Language: dc.Language, Timezone: dc.Timezone, MinCount: dc.MinCount}
		if err := digestViaAdmin(ctx, cfg.AdminSocket(), req, &pv); err != nil {
			return err
		}
		d, png = bot.Digest{Parts: pv.Parts, Caption: pv.Caption}, pv.Chart
	case err != nil:
		return err
	default:
		defer db.Close()
		if d, png, err = renderDigest(db, def, dc, loc, period); err != nil {
			return err
		}
	}
	for i, part := range d.Parts {
		if len(d.Parts) > 1 {
			fmt.Fprintf(e.stdout, "──── message %d of %d ────\n", i+1, len(d.Parts))
		}
		fmt.Fprintln(e.stdout, part)
	}
	if *chartPath != "" {
		switch {
		case png == nil:
			fmt.Fprintf(e.stderr, "No chart for %s: too few groups had finished by then to show the map.\n", period)
		default:
			if err := os.WriteFile(*chartPath, png, 0o644); err != nil {
				return fmt.Errorf("write the chart: %w", err)
			}
			fmt.Fprintf(e.stderr, "Chart written to %s. Its caption: %s\n", *chartPath, d.Caption)
		}
	}
	return nil
}

// digestDB is what a digest reads from the store.
type digestDB interface {
	ScanDigest(sc store.DigestScan, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error
	CountStarted(from, to time.Time) (int, error)
}

var _ digestDB = (*store.DB)(nil)

// digestWorkers is how many goroutines decode responses for a digest.
var digestWorkers = max(1, min(runtime.GOMAXPROCS(0), 4))

// buildDigestReport reads the responses of the study up to the end of
// week p, and the count of sessions started that week, and aggregates
// them.
func buildDigestReport(db digestDB, def *survey.Definition, p report.Period, opts *report.Options) (report.Report, error) {
	b, err := report.New(def, p, opts)
	if err != nil {
		return report.Report{}, err
	}
	// The starts are counted from other records (every session) than the
	// responses the report decodes: beside it, in their own read
	// transaction.
	weekFrom, weekTo := p.Bounds(opts.Location)
	var started int
	var countErr error
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		started, countErr = db.CountStarted(weekFrom, weekTo)
	}()
	err = b.Collect(scanOf(db), digestWorkers)
	<-counted
	if err != nil {
		return report.Report{}, err
	}
	if countErr != nil {
		return report.Report{}, countErr
	}
	return b.Report(report.Counts{Started: started}), nil
}

// scanOf reads responses for report.Builder.Collect from the store.
func scanOf(db interface {
	ScanDigest(store.DigestScan, func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error
}) report.Scan {
	return func(from, to time.Time, workers int, count func(int), fn func(worker, seq int, s *survey.Session) error) error {
		return db.ScanDigest(store.DigestScan{From: from, To: to, Workers: workers, Count: count},
			func(w, seq int, _ survey.RespondentID, s *survey.Session) error { return fn(w, seq, s) })
	}
}

// postDigestNow posts period's digest: through the running bot when it
// holds the database, else directly, connecting to Telegram with the bot's
// token.
func postDigestNow(ctx context.Context, e env, cfg Config, def *survey.Definition, period report.Period) error {
	var out postOutcome
	db, err := store.Open(cfg.Database, nil)
	switch {
	case errors.Is(err, store.ErrLocked):
		if err := digestViaAdmin(ctx, cfg.AdminSocket(), digestRequest{Period: period.String(), Post: true}, &out); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		defer db.Close()
		if cfg.Digest.Channel == "" {
			return errors.New("no channel to post to: set digest.channel in the config (and give --config)")
		}
		token, err := cfg.Token(os.Getenv)
		if err != nil {
			return err
		}
		client := bot.NewHTTPClient(ctx, time.Duration(cfg.Telegram.RequestTimeout))
		endpoint := strings.TrimRight(cfg.Telegram.APIURL, "/") + "/bot%s/%s"
		api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
		if err != nil {
			return fmt.Errorf("connect to Telegram: %w", bot.Redact(err, token))
		}
		if err := checkChannel(api, cfg.Digest.Channel); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		p := newDigestPoster(db, api, def, cfg, nil, log, nil)
		if out, err = p.Post(ctx, period, false); err != nil {
			return err
		}
		if out.Outcome == outcomeAmbiguous {
			fmt.Fprintln(e.stderr, "The admins' alert waits in the outbox until the bot runs again.")
		}
	}
	fmt.Fprintln(e.stdout, out.String())
	if out.Outcome == outcomeFailed || out.Outcome == outcomeAmbiguous {
		return exitError{1}
	}
	return nil
}
