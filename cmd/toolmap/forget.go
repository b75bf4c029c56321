package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"

	"toolmap/bot/adminsock"
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

// dbFlags adds --db and --config and returns a function giving the
// configuration with the database path they name.
func dbFlags(fs *flag.FlagSet) func() (Config, error) {
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database from this config `FILE`")
	return func() (Config, error) {
		cfg := DefaultConfig()
		if *configPath != "" {
			var err error
			if cfg, err = ReadConfigFile(*configPath); err != nil {
				return cfg, err
			}
		}
		if *dbPath != "" {
			cfg.Database = *dbPath
			cfg.Admin.Socket = ""
		}
		if _, err := os.Stat(cfg.Database); err != nil {
			return cfg, fmt.Errorf("no database: %w", err)
		}
		return cfg, nil
	}
}

func runCompact(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["compact"], `Rewrites the database into a fresh file holding only live records and
swaps it in (write a copy beside it, sync it, rename it over the file), so
that the bytes of deleted records (/delete, toolmap forget) are gone from
the file. The file keeps its permissions.

The running bot does this itself at start-up and every
retention.compact_every (default 24h). While it runs it holds the database,
so this command asks it, through its admin endpoint, to compact now.`)
	config := dbFlags(fs)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "toolmap compact: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	cfg, err := config()
	if err != nil {
		return err
	}
	var res adminsock.CompactResult
	db, err := store.Open(cfg.Database, nil)
	switch {
	case errors.Is(err, store.ErrLocked):
		if err := adminsock.NewClient(cfg.AdminSocket()).Call(ctx, "/compact", struct{}{}, &res); err != nil {
			return fmt.Errorf("database %s is in use by a running bot, and %w; stop the bot and try again", cfg.Database, err)
		}
	case err != nil:
		return err
	default:
		st, err := db.Compact()
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		res.Before, res.After = st.Before, st.After
	}
	fmt.Fprintf(e.stdout, "Compacted %s: %s before, %s after.\n", cfg.Database, byteSize(res.Before), byteSize(res.After))
	return nil
}

func runForget(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["forget"], `Deletes everything stored about one respondent, found by the pseudonym
their rows carry in exports (the study key is needed to find them): their
session, response, answer log, the messages queued to them and their chat
record, exactly as /delete in the chat does; then compacts the database so
the bytes are gone from the file. For requests that arrive by email. The
respondent is not messaged.

While the bot runs, this goes through its admin endpoint.`)
	config := dbFlags(fs)
	keyFile := fs.String("key-file", "", "read the study key from `FILE` instead of "+StudyKeyEnv)
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || !adminsock.PseudonymPattern.MatchString(fs.Arg(0)) {
		fmt.Fprintln(e.stderr, "toolmap forget: give one pseudonym, the 16 hex digits (0-9, a-f) of the respondent column of an export")
		return exitError{2}
	}
	pseudonym := fs.Arg(0)
	key, err := loadStudyKey(*keyFile, os.Getenv, e.stderr)
	if err != nil {
		return err
	}
	cfg, err := config()
	if err != nil {
		return err
	}
	var res adminsock.CompactResult
	db, err := store.Open(cfg.Database, nil)
	switch {
	case errors.Is(err, store.ErrLocked):
		req := adminsock.ForgetRequest{Pseudonym: pseudonym, Key: hex.EncodeToString(key)}
		if err := adminsock.NewClient(cfg.AdminSocket()).Call(ctx, "/forget", req, &res); err != nil {
			return fmt.Errorf("database %s is in use by a running bot, and %w", cfg.Database, err)
		}
	case err != nil:
		return err
	default:
		res, err = adminsock.ForgetAndCompact(db, key, pseudonym)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if !res.Found {
		return fmt.Errorf("no respondent has pseudonym %s under this study key: nothing deleted (check the key is the one the export was made with)", pseudonym)
	}
	fmt.Fprintf(e.stdout, "Deleted everything stored about %s (%d answer-log entries), and compacted the database.\n", pseudonym, res.LogEntries)
	return nil
}
