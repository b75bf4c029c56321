package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"toolmap/cmd/internal/adminsock"
	"toolmap/cmd/internal/jobs"
	"toolmap/store"
	"toolmap/survey/report/site"
)

func init() {
	register(command{
		name:    "map",
		args:    "--out DIR [--db FILE | --config FILE] [--survey FILE] [--tz ZONE] [--min-count N]",
		summary: "write the map of the whole study as a static web site in DIR",
		run:     runMap,
	})
}

func runMap(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "map", `Writes the map of the whole study so far into DIR as a web site: one page
per survey language (DIR/index.html in the default one) and its assets, all
in DIR, asking for nothing outside it. Open DIR/index.html in a browser, or
publish DIR as it is on any static host.

The page shows which tools groups use for each activity (tap or point at a
cell for its numbers), filtered by one profile question at a time (kind of
group, size, region…), where groups struggle, quotes given with
permission, responses by week, and a plain table of the numbers. Like the
digest, it shows no count of groups under digest.min_count (default 5), and
withholds any count that would give one away; its source holds nothing
more. See docs/map.md.

Files of DIR the site does not write are left alone; each file is replaced
whole, so a web server serving DIR never serves half of one. It works
whether the bot is stopped (it opens the database) or running (it takes a
backup through the bot's admin socket, reads it and removes it).`)
	out := c.String("out", "", "write the site into `DIR` (required)")
	c.dbFlags("database, survey and digest settings")
	c.survey = c.String("survey", "", surveyUsage)
	c.tz = c.String("tz", "", "count weeks in time `ZONE` (default: digest.timezone, else UTC)")
	c.minCount = c.Int("min-count", 0, minCountUsage)
	if err := c.parse(args, 0); err != nil {
		return err
	}
	tuneGCPercent(os.Getenv)
	if *out == "" {
		return c.usageErr("--out DIR is required")
	}
	cfg, def, err := c.settingsAndSurvey()
	if err != nil {
		return err
	}

	start := time.Now()
	var (
		stats site.Stats
		via   string
	)
	build := func(db *store.DB) (err error) {
		if stats, err = jobs.BuildMap(db, def, cfg.Digest.settings(), *out, time.Now()); err != nil {
			return fmt.Errorf("write the map to %s: %w", *out, err)
		}
		return nil
	}
	err = onDB(cfg, " to read the map from", false, build, func(admin *adminsock.Client) error {
		via = ", read from a copy taken through the running bot"
		return onCopy(ctx, admin, "map", build)
	})
	if err != nil {
		return err
	}
	if stats.Groups == 0 {
		fmt.Fprintf(e.stdout, "Fewer than %d groups have finished so far (%d responses): the page in %s says so, and shows the map once more have answered.\n", cfg.Digest.MinCount, stats.Responses, *out)
	} else {
		fmt.Fprintf(e.stdout, "Wrote the map of %d groups (of %d responses%s) to %s: %d files, %s, in %v.\n",
			stats.Groups, stats.Responses, via, *out, stats.Files, byteSize(stats.Bytes), time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintf(e.stdout, "Open %s, or publish the folder as it is.\n", filepath.Join(*out, site.PageName(def, def.DefaultLanguage)))
	return nil
}
