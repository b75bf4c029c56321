package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"toolmap/cmd/internal/adminsock"
	"toolmap/store"
)

func init() {
	register(command{
		name:    "backup",
		args:    "--out FILE [--db FILE | --config FILE]",
		summary: "copy the database, consistently, even while the bot runs",
		run:     runBackup,
	})
}

func runBackup(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "backup", `Writes a consistent copy of the database to FILE, then checks the copy
(as "toolmap check" does). It works whether the bot is stopped (it opens the
database) or running (it asks the bot through its admin socket); the bot
keeps answering meanwhile.

The copy is written with mode 0600 through a temporary file in FILE's
directory, synced and renamed into place, so an interrupted backup leaves no
half file behind. To restore, stop the bot and put the copy in the
database's place: see docs/operations.md.`)
	out := c.String("out", "", "write the backup to `FILE` (required)")
	c.dbFlags("database and admin socket")
	if err := c.parse(args, 0); err != nil {
		return err
	}
	if *out == "" {
		return c.usageErr("--out FILE is required")
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(*out); err == nil {
		if db, err := filepath.Abs(cfg.Database); err == nil && abs == db {
			return fmt.Errorf("--out %s is the database itself: choose another file", *out)
		}
	}
	var (
		n   int64
		via string
	)
	write := func(backup func(io.Writer) (int64, error)) error {
		err := store.WriteFileAtomic(*out, func(w io.Writer) (err error) {
			n, err = backup(w)
			return err
		})
		if err != nil {
			return fmt.Errorf("back up to %s: %w", *out, err)
		}
		return nil
	}
	err = onDB(cfg, " to back up", false, func(db *store.DB) error { return write(db.WriteBackup) },
		func(admin *adminsock.Client) error {
			via = ", through the running bot"
			return write(func(w io.Writer) (int64, error) { return streamBackup(ctx, admin, w) })
		})
	if err != nil {
		return err
	}
	st, err := store.CheckFile(*out)
	if err != nil {
		return fmt.Errorf("the backup %s was written but fails its check: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "Backed up %s to %s (%s%s): %s.\n", cfg.Database, *out, byteSize(n), via, describeCounts(st))
	return nil
}
