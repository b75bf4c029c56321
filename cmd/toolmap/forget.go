package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sync"
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
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

// RetentionConfig is the retention section of the configuration file.
type RetentionConfig struct {
	// CompactEvery is how often the running bot compacts the database, so
	// that deleted records (/delete, toolmap forget) leave the file. It
	// also compacts at start-up. Zero turns the schedule off.
	CompactEvery Duration `yaml:"compact_every"`
	// Days, when above 0, is how long a finished respondent's Telegram id
	// is kept: after it, their answers stay under a random surrogate id
	// and everything naming their chat goes; sessions not finished by
	// then are deleted. Applied at start-up and daily; told in /privacy.
	Days int `yaml:"days"`
}

// DefaultRetentionConfig is the retention section used when the file has
// none.
func DefaultRetentionConfig() RetentionConfig {
	return RetentionConfig{CompactEvery: Duration(24 * time.Hour)}
}

func (c RetentionConfig) problems() []string {
	var out []string
	if c.CompactEvery != 0 && c.CompactEvery < Duration(time.Minute) {
		out = append(out, "retention.compact_every: must be at least 1m, or 0 to turn it off")
	}
	if c.Days < 0 || c.Days > 36500 {
		out = append(out, "retention.days: must be between 0 (keep until the study ends) and 36500")
	}
	return out
}

// retainOnce applies retention.days at now.
func retainOnce(db *store.DB, days int, now time.Time, log *slog.Logger) {
	if days <= 0 {
		return
	}
	st, err := db.Retain(now.Add(-time.Duration(days) * 24 * time.Hour))
	if err != nil {
		log.Error("applying retention failed", "err", err)
		return
	}
	if st.Anonymised > 0 || st.Purged > 0 {
		log.Info("applied retention", "ids_dropped", st.Anonymised, "unfinished_deleted", st.Purged)
	}
}

// retainDaily applies retention.days every day until ctx is done.
func retainDaily(ctx context.Context, db *store.DB, days int, log *slog.Logger) {
	if days <= 0 {
		return
	}
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			retainOnce(db, days, now, log)
		}
	}
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
	var res adminResult
	db, err := store.Open(cfg.Database, nil)
	switch {
	case errors.Is(err, store.ErrLocked):
		if err := callAdmin(ctx, cfg.AdminSocket(), "/compact", nil, &res); err != nil {
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

var pseudonymPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

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
	if fs.NArg() != 1 || !pseudonymPattern.MatchString(fs.Arg(0)) {
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
	var res adminResult
	db, err := store.Open(cfg.Database, nil)
	switch {
	case errors.Is(err, store.ErrLocked):
		req := forgetRequest{Pseudonym: pseudonym, Key: hex.EncodeToString(key)}
		if err := callAdmin(ctx, cfg.AdminSocket(), "/forget", req, &res); err != nil {
			return fmt.Errorf("database %s is in use by a running bot, and %w", cfg.Database, err)
		}
	case err != nil:
		return err
	default:
		res, err = forget(db, key, pseudonym)
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

// forget finds the respondent with the pseudonym, forgets them and
// compacts the database.
func forget(db *store.DB, key []byte, pseudonym string) (adminResult, error) {
	var res adminResult
	id, ok, err := db.FindRespondent(func(id survey.RespondentID) bool { return export.Pseudonym(key, id) == pseudonym })
	if err != nil || !ok {
		return res, err
	}
	f, err := db.Forget(id)
	if err != nil {
		return res, err
	}
	res.Found, res.LogEntries = true, f.LogEntries
	st, err := db.Compact()
	res.Before, res.After = st.Before, st.After
	return res, err
}

// forgetRequest is POST /forget on the admin endpoint. The study key
// travels over the 0600 socket and is kept only for the request.
type forgetRequest struct {
	Pseudonym string `json:"pseudonym"`
	Key       string `json:"key"` // hex
}

// adminResult answers POST /compact and POST /forget.
type adminResult struct {
	Found      bool  `json:"found,omitempty"`
	LogEntries int   `json:"log_entries,omitempty"`
	Before     int64 `json:"before"` // file size before compacting
	After      int64 `json:"after"`
}

// compactHandler serves POST /compact and POST /forget on the admin
// endpoint. One at a time: a second waits for the first.
type compactHandler struct {
	db  *store.DB
	log *slog.Logger
	mu  *sync.Mutex
}

func (h compactHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var (
		res adminResult
		err error
	)
	switch r.URL.Path {
	case "/compact":
		var st store.CompactStats
		st, err = h.db.Compact()
		res.Before, res.After = st.Before, st.After
	case "/forget":
		var req forgetRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || !pseudonymPattern.MatchString(req.Pseudonym) {
			http.Error(w, "bad forget request", http.StatusBadRequest)
			return
		}
		key, kerr := hex.DecodeString(req.Key)
		if kerr != nil || len(key) < export.MinKeyBytes {
			http.Error(w, "bad study key", http.StatusBadRequest)
			return
		}
		res, err = forget(h.db, key, req.Pseudonym)
		if res.Found {
			h.log.Info("forgot a respondent on an admin's request", "log_entries", res.LogEntries)
		}
	}
	if err != nil {
		h.log.Error("admin "+r.URL.Path+" failed", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res) // the client reports a broken answer
}

// callAdmin posts req (JSON; nil for none) to the running bot's admin
// endpoint and decodes its JSON answer into res.
func callAdmin(ctx context.Context, socket, path string, req, res any) error {
	var body io.Reader = http.NoBody
	if req != nil {
		data, err := json.Marshal(req)
		if err != nil {
			return err
		}
		body = bytes.NewReader(data)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+path, body)
	if err != nil {
		return err
	}
	resp, err := adminClient(socket).Do(hr)
	if err != nil {
		return fmt.Errorf("its admin endpoint (%s) does not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the running bot refused: %s", bytes.TrimSpace(msg))
	}
	if err := json.NewDecoder(resp.Body).Decode(res); err != nil {
		return fmt.Errorf("the running bot's answer: %w", err)
	}
	return nil
}

// compactOnSchedule compacts the database every interval until ctx is
// done. Each compaction pauses commits for the moment of the swap.
func compactOnSchedule(ctx context.Context, db *store.DB, every time.Duration, mu *sync.Mutex, log *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			compactOnce(db, mu, log)
		}
	}
}

func compactOnce(db *store.DB, mu *sync.Mutex, log *slog.Logger) {
	mu.Lock()
	defer mu.Unlock()
	start := time.Now()
	st, err := db.Compact()
	if err != nil {
		log.Error("compacting the database failed", "err", err)
		return
	}
	log.Info("compacted the database", "before", st.Before, "after", st.After, "took", time.Since(start).Round(time.Millisecond))
}
