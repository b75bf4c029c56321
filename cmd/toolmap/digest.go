package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"toolmap/bot"
	"toolmap/cmd/internal/adminsock"
	"toolmap/cmd/internal/jobs"
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

func runDigest(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "digest", `Builds the weekly digest that coordinators read in the channel: how many
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
	preview := c.Bool("preview", false, "print the digest instead of posting it")
	post := c.Bool("post", false, "post the digest to the channel now")
	periodFlag := c.String("period", "", "the ISO week `WEEK`, such as 2026-W47 (default: the current week; with --post the last whole week)")
	chartPath := c.String("chart", "", "write the chart to `FILE` (PNG)")
	c.dbFlags("database, survey and digest settings")
	c.survey = c.String("survey", "", surveyUsage)
	c.lang = c.String("lang", "", "the digest's language `CODE` (default: digest.language, else the survey's default)")
	c.tz = c.String("tz", "", "count weeks in time `ZONE`, such as Europe/London (default: digest.timezone, else UTC)")
	c.minCount = c.Int("min-count", 0, minCountUsage)
	if err := c.parse(args, 0); err != nil {
		return err
	}
	tuneGCPercent(os.Getenv)
	if *preview == *post {
		return c.usageErr("give either --preview or --post")
	}
	if *post && *chartPath != "" {
		return c.usageErr("--chart goes with --preview")
	}
	cfg, def, err := c.settingsAndSurvey()
	if err != nil {
		return err
	}
	if err := jobs.CheckDigestLanguage(def, cfg.Digest.Language); err != nil {
		return c.usageErr("%v", err)
	}
	settings := cfg.Digest.settings()
	period := report.PeriodOf(time.Now(), settings.Location)
	if *post {
		period = jobs.SlotPeriod(time.Now(), settings.Location)
	}
	if *periodFlag != "" {
		if period, err = report.ParsePeriod(*periodFlag); err != nil {
			return c.usageErr("--period: %v", err)
		}
	}

	if *post {
		return postDigestNow(ctx, e, cfg, def, period)
	}
	var (
		d   bot.Digest
		png []byte
	)
	err = onDB(cfg, " to read the digest from", false, func(db *store.DB) (err error) {
		d, png, err = jobs.BuildDigest(db, def, settings, period)
		return err
	}, func(admin *adminsock.Client) error { // preview through the running bot
		var pv adminsock.DigestPreview
		dc := cfg.Digest
		req := adminsock.DigestRequest{Period: period.String(), Language: dc.Language, Timezone: dc.Timezone, MinCount: dc.MinCount}
		if err := admin.Call(ctx, "/digest", req, &pv); err != nil {
			return viaBotErr(err)
		}
		d.Parts, d.Caption, png = pv.Parts, pv.Caption, pv.Chart
		return nil
	})
	if err != nil {
		return err
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

// postDigestNow posts period's digest: through the running bot when it
// holds the database, else directly, connecting to Telegram with the bot's
// token.
func postDigestNow(ctx context.Context, e env, cfg Config, def *survey.Definition, period report.Period) error {
	var out jobs.PostOutcome
	err := onDB(cfg, " to read the digest from", true, func(db *store.DB) error {
		if cfg.Digest.Channel == "" {
			return errors.New("no channel to post to: set digest.channel in the config (and give --config)")
		}
		token, err := bot.LoadToken(cfg.Telegram.TokenFile, os.Getenv)
		if err != nil {
			return err
		}
		conn, err := bot.Dial(ctx, token, bot.ConnectOptions{APIURL: cfg.Telegram.APIURL, RequestTimeout: time.Duration(cfg.Telegram.RequestTimeout)})
		if err != nil {
			return fmt.Errorf("connect to Telegram: %w", bot.Redact(err, string(token)))
		}
		channel := bot.Channel(cfg.Digest.Channel)
		if err := bot.CheckChannel(conn, channel); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		d := jobs.NewDigest(db, def, cfg.Digest.settings(), bot.NewChannelPoster(conn, channel, time.Second),
			jobs.DigestOptions{Admins: cfg.Admin.Users, Logger: log})
		if out, err = d.Post(ctx, period, false); err != nil {
			return err
		}
		if out.Outcome == jobs.OutcomeAmbiguous {
			fmt.Fprintln(e.stderr, "The admins' alert waits in the outbox until the bot runs again.")
		}
		return nil
	}, func(admin *adminsock.Client) error {
		req := adminsock.DigestRequest{Period: period.String(), Post: true}
		return viaBotErr(admin.Call(ctx, "/digest", req, &out))
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, out.String())
	if out.Outcome == jobs.OutcomeFailed || out.Outcome == jobs.OutcomeAmbiguous {
		return exitError{1}
	}
	return nil
}
