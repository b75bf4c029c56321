package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
	c, err := checkFile(*out)
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
		err = writeFileAtomic(path, func(w io.Writer) error {
			var err error
			n, err = backupViaAdmin(ctx, cfg.AdminSocket(), w)
			return err
		})
		via = ", through the running bot"
	case err != nil:
		return 0, "", err
	default:
		defer db.Close()
		err = writeFileAtomic(path, func(w io.Writer) error {
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

// Trailers carrying a backup's outcome after the streamed body.
const (
	trailerBackupError = "X-Toolmap-Error"
	trailerBackupBytes = "X-Toolmap-Bytes"
)

// backupHandler serves GET /backup on the admin endpoint: the database as
// of one read transaction, streamed, while the bot goes on committing.
type backupHandler struct{ db *store.DB }

func (h backupHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Trailer", trailerBackupError+", "+trailerBackupBytes)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	n, err := h.db.WriteBackup(w)
	if err != nil {
		w.Header().Set(trailerBackupError, err.Error())
	}
	w.Header().Set(trailerBackupBytes, strconv.FormatInt(n, 10))
}

// backupViaAdmin asks the running bot at socket for a backup and writes it
// to w, returning its size.
func backupViaAdmin(ctx context.Context, socket string, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/backup", nil)
	if err != nil {
		return 0, err
	}
	resp, err := adminClient(socket).Do(req)
	if err != nil {
		return 0, fmt.Errorf("the database is in use and the running bot's admin endpoint (%s) does not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, fmt.Errorf("the running bot refused the backup (%s): %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("receive the backup from the running bot: %w", err)
	}
	if msg := resp.Trailer.Get(trailerBackupError); msg != "" {
		return n, errors.New(msg)
	}
	if want := resp.Trailer.Get(trailerBackupBytes); want != strconv.FormatInt(n, 10) {
		return n, fmt.Errorf("the running bot's backup ended early (%d bytes received, %q sent)", n, want)
	}
	return n, nil
}

// BackupConfig is the backup section of the configuration file: backups
// the running bot takes on its own.
type BackupConfig struct {
	// Dir is where scheduled backups go; empty turns them off.
	Dir string `yaml:"dir"`
	// Every is the time between two backups. Default 24h.
	Every Duration `yaml:"every"`
	// Keep is how many scheduled backups are kept; older ones are
	// removed. Default 7.
	Keep int `yaml:"keep"`
}

// DefaultBackupConfig is the backup section used when the file has none.
func DefaultBackupConfig() BackupConfig {
	return BackupConfig{Every: Duration(24 * time.Hour), Keep: 7}
}

// problems lists the settings that cannot work, as "backup.key: problem".
func (c BackupConfig) problems() []string {
	var out []string
	if c.Every < Duration(time.Minute) {
		out = append(out, "backup.every: must be at least 1m, e.g. 24h")
	}
	if c.Keep < 1 {
		out = append(out, "backup.keep: must be at least 1")
	}
	return out
}

// Scheduled backups are named for the time they were taken, in UTC, so
// that their names sort in time order.
const (
	backupPrefix     = "toolmap-"
	backupSuffix     = ".db"
	backupTimeLayout = "20060102T150405Z"
)

// scheduledBackups takes a backup of db into c.Dir every c.Every until ctx
// is done, keeping the newest c.Keep. The first is due c.Every after the
// newest backup already in the directory (at once if there is none), so
// restarts do not postpone backups. done, if not nil, is called after each
// attempt with the file written or the error.
func scheduledBackups(ctx context.Context, db *store.DB, c BackupConfig, log *slog.Logger, done func(string, error)) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		log.Error("scheduled backups are off: cannot create their directory", "dir", c.Dir, "err", err)
		return
	}
	next := time.Now()
	if names, err := listBackups(c.Dir); err == nil && len(names) > 0 {
		if t, err := backupTime(names[len(names)-1]); err == nil {
			next = t.Add(time.Duration(c.Every))
		}
	}
	for {
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		path, err := backupOnce(db, c, time.Now())
		if err != nil {
			log.Error("scheduled backup failed", "dir", c.Dir, "err", err)
			next = time.Now().Add(min(time.Duration(c.Every), 10*time.Minute))
		} else {
			log.Info("scheduled backup written", "file", path)
			next = time.Now().Add(time.Duration(c.Every))
		}
		if done != nil {
			done(path, err)
		}
	}
}

// backupOnce writes one scheduled backup named for now, checks it, and
// removes the oldest so that c.Keep remain.
func backupOnce(db *store.DB, c BackupConfig, now time.Time) (string, error) {
	path := filepath.Join(c.Dir, backupPrefix+now.UTC().Format(backupTimeLayout)+backupSuffix)
	if err := writeFileAtomic(path, func(w io.Writer) error {
		_, err := db.WriteBackup(w)
		return err
	}); err != nil {
		return "", err
	}
	if _, err := checkFile(path); err != nil {
		return path, fmt.Errorf("the backup %s fails its check: %w", path, err)
	}
	names, err := listBackups(c.Dir)
	if err != nil {
		return path, err
	}
	for len(names) > c.Keep {
		if err := os.Remove(filepath.Join(c.Dir, names[0])); err != nil {
			return path, fmt.Errorf("remove an old backup: %w", err)
		}
		names = names[1:]
	}
	return path, nil
}

// listBackups returns the names of the scheduled backups in dir, oldest
// first. Other files are left alone.
func listBackups(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := backupTime(e.Name()); err == nil && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// backupTime parses the time out of a scheduled backup's name.
func backupTime(name string) (time.Time, error) {
	s, ok := strings.CutPrefix(name, backupPrefix)
	if !ok {
		return time.Time{}, errors.New("not a backup")
	}
	s, ok = strings.CutSuffix(s, backupSuffix)
	if !ok {
		return time.Time{}, errors.New("not a backup")
	}
	return time.Parse(backupTimeLayout, s)
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
