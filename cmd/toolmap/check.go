package main

import (
	"context"
	"errors"
	"fmt"

	"toolmap/cmd/internal/adminsock"
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
	c := newCommand(e, "check", `Verifies a database or a backup file: bbolt's consistency check over every
page, the schema version, and that every bucket is there; then prints how
many sessions, responses and answer-log entries it holds. The file is opened
read-only and never changed.

If the bot is running on the database, the check runs on a fresh backup
taken through the bot's admin socket, so the bot keeps answering.

Exit status 0 means the file is good, 1 that it has problems.`)
	c.dbFlags("database and admin socket")
	if err := c.parse(args, 1); err != nil {
		return err
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	if c.NArg() == 1 {
		cfg = cfg.withDatabase(c.Arg(0))
	}
	path := cfg.Database
	counts, err := store.CheckFile(path)
	if errors.Is(err, store.ErrLocked) {
		err = onCopy(ctx, adminsock.NewClient(cfg.AdminSocket()), "check", func(db *store.DB) (err error) {
			if err = db.Check(); err == nil {
				counts, err = db.Counts()
			}
			return err
		})
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "toolmap check: %s: %v\n", path, err)
		if errors.Is(err, store.ErrCorrupt) {
			fmt.Fprintln(e.stderr, "Restore the latest good backup: see \"Restore\" in docs/operations.md.")
		}
		return exitError{1}
	}
	fmt.Fprintf(e.stdout, "%s: ok: %s.\n", path, describeCounts(counts))
	return nil
}

// describeCounts writes what a database holds for people.
func describeCounts(c store.Counts) string {
	return fmt.Sprintf("schema %d, %d session%s, %d response%s, %d answer-log entr%s, %d message%s waiting to be sent",
		c.Schema, c.Sessions, plural(c.Sessions), c.Responses, plural(c.Responses),
		c.AnswerLog, map[bool]string{true: "y", false: "ies"}[c.AnswerLog == 1],
		c.Outbox, plural(c.Outbox))
}
