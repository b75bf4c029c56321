package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"toolmap/bot/adminsock"
	"toolmap/bot/jobs"
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
	fs := newFlags(e, commands["map"], `Writes the map of the whole study so far into DIR as a web site: one page
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
	out := fs.String("out", "", "write the site into `DIR` (required)")
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database, survey and digest settings from this config `FILE`")
	surveyPath := fs.String("survey", "", "survey definition `FILE` (default: from --config, else the built-in survey)")
	tz := fs.String("tz", "", "count weeks in time `ZONE` (default: digest.timezone, else UTC)")
	minCount := fs.Int("min-count", 0, "small-cell threshold `N` (default: digest.min_count, else 5)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "toolmap map: "+format+"\n", a...)
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usageErr("--out DIR is required")
	}
	cfg, err := configForDB(fs, *configPath, *dbPath)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	dc := cfg.Digest
	if set["tz"] {
		dc.Timezone = *tz
	}
	if set["min-count"] {
		dc.MinCount = *minCount
	}
	if ps := dc.problems(); len(ps) > 0 {
		return usageErr("%s", strings.Join(ps, "; "))
	}
	if set["survey"] {
		cfg.Survey = *surveyPath
	}
	def, err := loadSurvey(cfg.Survey)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.Database); err != nil {
		return fmt.Errorf("no database to read the map from: %w", err)
	}

	start := time.Now()
	db, via, cleanup, err := openForMap(ctx, cfg)
	if err != nil {
		return err
	}
	defer cleanup()
	stats, err := jobs.BuildMap(db, def, dc.settings(), *out, time.Now())
	if err != nil {
		return fmt.Errorf("write the map to %s: %w", *out, err)
	}
	if stats.Groups == 0 {
		fmt.Fprintf(e.stdout, "Fewer than %d groups have finished so far (%d responses): the page in %s says so, and shows the map once more have answered.\n", dc.MinCount, stats.Responses, *out)
	} else {
		fmt.Fprintf(e.stdout, "Wrote the map of %d groups (of %d responses%s) to %s: %d files, %s, in %v.\n",
			stats.Groups, stats.Responses, via, *out, stats.Files, byteSize(stats.Bytes), time.Since(start).Round(time.Millisecond))
	}
	fmt.Fprintf(e.stdout, "Open %s, or publish the folder as it is.\n", filepath.Join(*out, site.PageName(def, def.DefaultLanguage)))
	return nil
}

// openForMap opens cfg's database to read: directly, or, when the running
// bot holds it, a backup taken through its admin endpoint into a private
// temporary folder that cleanup removes.
func openForMap(ctx context.Context, cfg Config) (db *store.DB, via string, cleanup func(), err error) {
	db, err = store.Open(cfg.Database, &store.Options{ReadOnly: true})
	switch {
	case err == nil:
		return db, "", func() { db.Close() }, nil
	case !errors.Is(err, store.ErrLocked):
		return nil, "", nil, err
	}
	dir, err := os.MkdirTemp("", "toolmap-map-")
	if err != nil {
		return nil, "", nil, err
	}
	remove := func() { os.RemoveAll(dir) }
	copyPath := filepath.Join(dir, "toolmap.db")
	if err := store.WriteFileAtomic(copyPath, func(w io.Writer) error {
		_, _, err := adminsock.NewClient(cfg.AdminSocket()).Stream(ctx, "/backup", nil, w)
		return viaBotErr(err)
	}); err != nil {
		remove()
		return nil, "", nil, err
	}
	if db, err = store.Open(copyPath, &store.Options{ReadOnly: true}); err != nil {
		remove()
		return nil, "", nil, err
	}
	return db, ", read from a copy taken through the running bot", func() { db.Close(); remove() }, nil
}
