package main

import (
	"context"
	"encoding/hex"
	"fmt"

	"toolmap/cmd/internal/adminsock"
	"toolmap/store"
)

func init() {
	register(command{
		name:    "compact",
		args:    "[--db FILE | --config FILE]",
		summary: "rewrite the database without the bytes of deleted records",
		run:     runCompact,
	})
	register(command{
		name:    "forget",
		args:    "[--db FILE | --config FILE] [--key-file FILE] PSEUDONYM",
		summary: "delete everything stored about one respondent, by export pseudonym",
		run:     runForget,
	})
}

func runCompact(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "compact", `Rewrites the database into a fresh file holding only live records and
swaps it in (write a copy beside it, sync it, rename it over the file), so
that the bytes of deleted records (/delete, toolmap forget) are gone from
the file. The file keeps its permissions.

The running bot does this itself at start-up and every
retention.compact_every (default 24h). While it runs it holds the database,
so this command asks it, through its admin endpoint, to compact now.`)
	c.dbFlags("database")
	if err := c.parse(args, 0); err != nil {
		return err
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	var res adminsock.CompactResult
	err = onDB(cfg, "", true, func(db *store.DB) error {
		st, err := db.Compact()
		res.Before, res.After = st.Before, st.After
		return err
	}, func(admin *adminsock.Client) error {
		if err := admin.Call(ctx, "/compact", struct{}{}, &res); err != nil {
			return fmt.Errorf("database %s is in use by a running bot, and %w; stop the bot and try again", cfg.Database, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Compacted %s: %s before, %s after.\n", cfg.Database, byteSize(res.Before), byteSize(res.After))
	return nil
}

func runForget(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "forget", `Deletes everything stored about one respondent, found by the pseudonym
their rows carry in exports (the study key is needed to find them): their
session, response, answer log, the messages queued to them and their chat
record, exactly as /delete in the chat does; then compacts the database so
the bytes are gone from the file. For requests that arrive by email. The
respondent is not messaged.

While the bot runs, this goes through its admin endpoint.`)
	c.dbFlags("database")
	c.keyFile = c.String("key-file", "", keyFileUsage)
	if err := c.parse(args, -1); err != nil {
		return err
	}
	if c.NArg() != 1 || !adminsock.PseudonymPattern.MatchString(c.Arg(0)) {
		return c.usageErr("give one pseudonym, the 16 hex digits (0-9, a-f) of the respondent column of an export")
	}
	pseudonym := c.Arg(0)
	key, err := c.studyKey()
	if err != nil {
		return err
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	var res adminsock.CompactResult
	err = onDB(cfg, "", true, func(db *store.DB) (err error) {
		res, err = adminsock.ForgetAndCompact(db, key, pseudonym)
		return err
	}, func(admin *adminsock.Client) error {
		req := adminsock.ForgetRequest{Pseudonym: pseudonym, Key: hex.EncodeToString(key)}
		if err := admin.Call(ctx, "/forget", req, &res); err != nil {
			return fmt.Errorf("database %s is in use by a running bot, and %w", cfg.Database, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !res.Found {
		return fmt.Errorf("no respondent has pseudonym %s under this study key: nothing deleted (check the key is the one the export was made with)", pseudonym)
	}
	fmt.Fprintf(e.stdout, "Deleted everything stored about %s (%d answer-log entries), and compacted the database.\n", pseudonym, res.LogEntries)
	return nil
}
