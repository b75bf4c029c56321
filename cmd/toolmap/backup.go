package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"toolmap/bot/adminsock"
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
	fs := newFlags(e, commands["backup"], `Writes a consistent copy of the database to FILE, then checks the copy
(as "toolmap check" does). It works whether the bot is stopped (it opens the
database) or running (it asks the bot through its admin socket); the bot
keeps answering meanwhile.

The copy is written with mode 0600 through a temporary file in FILE's
directory, synced and renamed into place, so an interrupted backup leaves no
half file behind. To restore, stop the bot and put the copy in the
database's place: see docs/operations.md.`)
	out := fs.String("out", "", "write the backup to `FILE` (required)")
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database and admin socket from this config `FILE`")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "toolmap backup: unexpected argument %q\n", fs.Arg(0))
		return exitError{2}
	}
	if *out == "" {
		fmt.Fprintln(e.stderr, "toolmap backup: --out FILE is required")
		return exitError{2}
	}
	cfg, err := configForDB(fs, *configPath, *dbPath)
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(*out); err == nil {
		if db, err := filepath.Abs(cfg.Database); err == nil && abs == db {
			return fmt.Errorf("--out %s is the database itself: choose another file", *out)
		}
	}
	n, via, err := backupTo(ctx, cfg, *out)
	if err != nil {
		return err
	}
	c, err := store.CheckFile(*out)
	if err != nil {
		return fmt.Errorf("the backup %s was written but fails its check: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "Backed up %s to %s (%s%s): %s.\n", cfg.Database, *out, byteSize(n), via, describeCounts(c))
	return nil
}

// configForDB returns the configuration a command that reads the database
// works with: the --config file's, with --db (when given) overriding its
// database.
func configForDB(fs *flag.FlagSet, configPath, dbPath string) (Config, error) {
	cfg := DefaultConfig()
	if configPath != "" {
		var err error
		if cfg, err = ReadConfigFile(configPath); err != nil {
			return cfg, err
		}
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "db" })
	if set {
		cfg.Database = dbPath
	}
	return cfg, nil
}

// backupTo writes a backup of cfg's database to path: directly when no
// process holds the database, else through the running bot's admin
// endpoint. via says which, for the message.
func backupTo(ctx context.Context, cfg Config, path string) (n int64, via string, err error) {
	if _, err := os.Stat(cfg.Database); err != nil {
		return 0, "", fmt.Errorf("no database to back up: %w", err)
	}
	db, err := store.Open(cfg.Database, &store.Options{ReadOnly: true})
	switch {
	case errors.Is(err, store.ErrLocked):
		err = store.WriteFileAtomic(path, func(w io.Writer) error {
			var err error
			n, _, err = adminsock.NewClient(cfg.AdminSocket()).Stream(ctx, "/backup", nil, w)
			return viaBotErr(err)
		})
		via = ", through the running bot"
	case err != nil:
		return 0, "", err
	default:
		defer db.Close()
		err = store.WriteFileAtomic(path, func(w io.Writer) error {
			var err error
			n, err = db.WriteBackup(w)
			return err
		})
	}
	if err != nil {
		return 0, "", fmt.Errorf("back up to %s: %w", path, err)
	}
	return n, via, nil
}

// viaBotErr says that the database is in use when the running bot that
// holds it does not answer.
func viaBotErr(err error) error {
	if errors.Is(err, adminsock.ErrNoAnswer) {
		return fmt.Errorf("the database is in use and %w", err)
	}
	return err
}

// byteSize writes n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
