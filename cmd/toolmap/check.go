package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"toolmap/bot/adminsock"
	"toolmap/store"
)

func init() {
	register(command{
		name:    "check",
		args:    "[FILE | --db FILE | --config FILE]",
		summary: "verify a database or a backup (consistency, schema, counts)",
		run:     runCheck,
	})
}

func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["check"], `Verifies a database or a backup file: bbolt's consistency check over every
page, the schema version, and that every bucket is there; then prints how
many sessions, responses and answer-log entries it holds. The file is opened
read-only and never changed.

If the bot is running on the database, the check runs on a fresh backup
taken through the bot's admin socket, so the bot keeps answering.

Exit status 0 means the file is good, 1 that it has problems.`)
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database and admin socket from this config `FILE`")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(e.stderr, "toolmap check: unexpected argument %q\n", fs.Arg(1))
		return exitError{2}
	}
	cfg, err := configForDB(fs, *configPath, *dbPath)
	if err != nil {
		return err
	}
	if fs.NArg() == 1 {
		cfg.Database = fs.Arg(0)
	}
	path := cfg.Database
	c, err := store.CheckFile(path)
	if errors.Is(err, store.ErrLocked) {
		c, err = checkLive(ctx, cfg)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "toolmap check: %s: %v\n", path, err)
		if errors.Is(err, store.ErrCorrupt) {
			fmt.Fprintln(e.stderr, "Restore the latest good backup: see \"Restore\" in docs/operations.md.")
		}
		return exitError{1}
	}
	fmt.Fprintf(e.stdout, "%s: ok: %s.\n", path, describeCounts(c))
	return nil
}

// checkLive checks the database a running bot holds, through a backup it
// streams into a temporary file.
func checkLive(ctx context.Context, cfg Config) (store.Counts, error) {
	f, err := os.CreateTemp("", ".toolmap-check-*.db")
	if err != nil {
		return store.Counts{}, err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return store.Counts{}, err
	}
	_, _, err = adminsock.NewClient(cfg.AdminSocket()).Stream(ctx, "/backup", nil, f)
	err = viaBotErr(err)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return store.Counts{}, err
	}
	return store.CheckFile(f.Name())
}

// describeCounts writes what a database holds for people.
func describeCounts(c store.Counts) string {
	return fmt.Sprintf("schema %d, %d session%s, %d response%s, %d answer-log entr%s, %d message%s waiting to be sent",
		c.Schema, c.Sessions, plural(c.Sessions), c.Responses, plural(c.Responses),
		c.AnswerLog, map[bool]string{true: "y", false: "ies"}[c.AnswerLog == 1],
		c.Outbox, plural(c.Outbox))
}
