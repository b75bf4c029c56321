package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // digest.timezone must load on a server image without zoneinfo

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
)

func init() {
	register(command{
		name:    "digest",
		args:    "--preview [--period 2026-W47] [--chart FILE.png] [--db FILE | --config FILE] [--survey FILE] [--lang CODE] [--tz ZONE] [--min-count N]",
		summary: "preview the weekly digest for coordinators, with its chart",
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
}

// DefaultDigestConfig is the digest section used when the file has none.
func DefaultDigestConfig() DigestConfig {
	return DigestConfig{Timezone: "UTC", MinCount: report.DefaultMinCount}
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
groups finished, the tools named most for each activity, what moved since
the week before, tools named only under "Other…", quotes from respondents
who allowed them, and where respondents came from. Counts of groups under
digest.min_count (default 5) show as "fewer than 5", and a week with fewer
responses shows no breakdown at all.

--preview prints the digest's messages (Telegram HTML, as they would be
posted) and, with --chart, writes its chart as a PNG. Nothing is posted.
The week is an ISO week in digest.timezone; the default is the current one.

The bot must be stopped: previewing through a running bot (its admin
endpoint) and posting with --post come later.`)
	preview := fs.Bool("preview", false, "print the digest instead of posting it (required for now)")
	periodFlag := fs.String("period", "", "the ISO week `WEEK`, such as 2026-W47 (default: the current week)")
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
	if !*preview {
		return usageErr("give --preview: posting from the command line (--post) comes later")
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
	if *periodFlag != "" {
		if period, err = report.ParsePeriod(*periodFlag); err != nil {
			return usageErr("--period: %v", err)
		}
	}

	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("no database to read the digest from: %w", err)
	}
	db, err := store.Open(*dbPath, &store.Options{ReadOnly: true})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w\nA running toolmap bot holds it. Previewing the digest through the running bot (its admin endpoint) comes in a later version; for now, stop the bot, preview, and start it again (nothing is lost while it is stopped)", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()

	r, err := buildDigestReport(db, def, period, &report.Options{Location: loc, MinCount: dc.MinCount})
	if err != nil {
		return err
	}
	d := bot.RenderDigest(def, r, &bot.DigestOptions{Language: dc.Language})
	for i, part := range d.Parts {
		if len(d.Parts) > 1 {
			fmt.Fprintf(e.stdout, "──── message %d of %d ────\n", i+1, len(d.Parts))
		}
		fmt.Fprintln(e.stdout, part)
	}
	if *chartPath != "" {
		png, err := bot.DigestChart(def, r, dc.Language)
		switch {
		case err != nil:
			return err
		case png == nil:
			fmt.Fprintf(e.stderr, "No chart for %s: too few groups finished that week to show one.\n", period)
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
	DigestResponses(from, to time.Time, fn func(survey.RespondentID, survey.Session) error) error
	CountResponses(from, to time.Time) (int, error)
	CountStarted(from, to time.Time) (int, error)
}

var _ digestDB = (*store.DB)(nil)

// buildDigestReport reads the responses of week p and the week before, and
// the counts, and aggregates them.
func buildDigestReport(db digestDB, def *survey.Definition, p report.Period, opts *report.Options) (report.Report, error) {
	b, err := report.New(def, p, opts)
	if err != nil {
		return report.Report{}, err
	}
	from, to := b.Range()
	err = db.DigestResponses(from, to, func(_ survey.RespondentID, s survey.Session) error {
		b.Add(s)
		return nil
	})
	if err != nil {
		return report.Report{}, err
	}
	weekFrom, weekTo := p.Bounds(opts.Location)
	total, err := db.CountResponses(time.Time{}, weekTo)
	if err != nil {
		return report.Report{}, err
	}
	started, err := db.CountStarted(weekFrom, weekTo)
	if err != nil {
		return report.Report{}, err
	}
	return b.Report(report.Counts{Total: total, Started: started}), nil
}
