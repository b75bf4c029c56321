package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"toolmap/bot/adminsock"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
)

func init() {
	register(command{
		name:    "export",
		args:    "--out PATH [--format csv|jsonl|xlsx|zip] [--layout long|wide] [--since DATE] [--until DATE] [--include-partial] [--free-text] [--licence LICENCE] [--db FILE | --config FILE] [--survey FILE] [--key-file FILE]",
		summary: "export the responses, pseudonymised, as CSV, JSON Lines, XLSX or a ZIP of all",
		run:     runExport,
	})
}

// StudyKeyEnv is the environment variable holding the study key.
const StudyKeyEnv = "TOOLMAP_STUDY_KEY"

// makeKeyHint says how to make a study key.
const makeKeyHint = `make one once per study, keep it outside the database and the exports, and keep it as long as the study (pseudonyms change with the key):
  head -c 32 /dev/urandom | xxd -p -c 64 > study.key; chmod 600 study.key`

func runExport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["export"], `Exports the responses for analysis, pseudonymised: each respondent is a
keyed hash of their Telegram id (HMAC-SHA256 under the study key, 16 hex
digits), the same in every export made with the same key; the Telegram id is
never written. The key comes from `+StudyKeyEnv+` or --key-file (at least
32 bytes, hex or raw). Make one once per study and keep it, outside the
database and the exports, for as long as the study: pseudonyms change with
the key.
  head -c 32 /dev/urandom | xxd -p -c 64 > study.key; chmod 600 study.key

Formats:
  csv    one CSV table; --layout long (the default): one row per answer cell,
         e.g. respondent x activity x tool; --layout wide: one row per response,
         multi-selects as a ;-joined column and 0/1 columns per option
  jsonl  JSON Lines: one response per line, with all its answers
  xlsx   an Excel workbook with the sheets README, wide, long and codebook
  zip    all of these, with the codebook (CSV and JSON), datapackage.json
         (Frictionless) and README.txt

Every row carries the respondent, survey id and version, language, status,
source, start and completion times (UTC, ISO 8601) and the duration. Only
completed responses are exported unless --include-partial. Free text (text
answers, the text typed with Other…) is left out unless --free-text.

--since and --until take a date (2025-03-01; --until includes that day) or a
time (2025-03-01T12:00:00Z; --until excludes it), and select responses by
completion time, unfinished sessions by their last activity.

The file is written with mode 0600 through a temporary file in the same
directory, so a failed export leaves nothing behind. While the bot runs, the
export is made by the bot and received through its admin socket (admin.socket
of --config, else the database's name with .sock added); the bot goes on
answering meanwhile. On a terminal, progress is shown.`)
	format := fs.String("format", "zip", "`FORMAT`: csv, jsonl, xlsx or zip")
	layout := fs.String("layout", "long", "for --format csv: `LAYOUT` long or wide")
	out := fs.String("out", "", "write the export to `PATH` (required)")
	since := fs.String("since", "", "only responses completed on or after `DATE`")
	until := fs.String("until", "", "only responses completed up to `DATE`")
	partial := fs.Bool("include-partial", false, "add the sessions not finished (status active)")
	freeText := fs.Bool("free-text", false, "include free-text answers and Other… texts")
	dbPath := fs.String("db", "", "database `FILE` (default: from --config, else toolmap.db)")
	configPath := fs.String("config", "", "read the database and survey from this config `FILE`")
	surveyPath := fs.String("survey", "", "survey definition `FILE` for labels and columns (default: from --config, else the built-in survey)")
	keyFile := fs.String("key-file", "", "read the study key from `FILE` instead of "+StudyKeyEnv)
	licence := fs.String("licence", "", "state the data's `LICENCE` (e.g. CC-BY-4.0, or a URL) in datapackage.json and the README (default: export.licence of --config; none)")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	usageErr := func(format string, a ...any) error {
		fmt.Fprintf(e.stderr, "toolmap export: "+format+"\n", a...)
		return exitError{2}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return usageErr("--out PATH is required")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var f export.Format
	switch *format {
	case "csv":
		switch *layout {
		case "long":
			f = export.FormatLong
		case "wide":
			f = export.FormatWide
		default:
			return usageErr("--layout must be long or wide, not %q", *layout)
		}
	case "jsonl", "xlsx", "zip":
		if set["layout"] {
			return usageErr("--layout applies to --format csv only")
		}
		f = export.Format(*format)
	default:
		return usageErr("--format must be csv, jsonl, xlsx or zip, not %q", *format)
	}
	o := store.ExportFile{Format: f, Partial: *partial, FreeText: *freeText}
	var err error
	if o.From, err = parseExportTime(*since, false); err != nil {
		return usageErr("--since: %v", err)
	}
	if o.To, err = parseExportTime(*until, true); err != nil {
		return usageErr("--until: %v", err)
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return usageErr("--since must be before --until")
	}

	if o.Key, err = loadStudyKey(*keyFile, os.Getenv, e.stderr); err != nil {
		return err
	}
	cfg := DefaultConfig()
	if *configPath != "" {
		if cfg, err = ReadConfigFile(*configPath); err != nil {
			return err
		}
	}
	if !set["survey"] {
		*surveyPath = cfg.Survey
	}
	if !set["db"] {
		*dbPath = cfg.Database
	}
	o.Licence = cfg.Export.Licence
	if set["licence"] {
		o.Licence = strings.TrimSpace(*licence)
	}
	def, err := loadSurvey(*surveyPath)
	if err != nil {
		return err
	}
	o.Defs = []*survey.Definition{def}

	if _, err := os.Stat(*dbPath); err != nil {
		return fmt.Errorf("no database to export: %w", err)
	}
	cfg.Database = *dbPath
	db, err := store.Open(*dbPath, &store.Options{ReadOnly: true})
	switch {
	case errors.Is(err, store.ErrLocked):
		db = nil // a running bot holds the database: export through its admin endpoint
	case err != nil:
		return err
	default:
		defer db.Close()
	}

	o.SpoolDir = filepath.Dir(*out)
	o.Now = time.Now().UTC()
	var progress *exportProgress
	if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
		progress = &exportProgress{w: e.stderr}
		o.Progress = progress.show
	}
	var stats store.ExportCounts
	err = store.WriteFileAtomic(*out, func(w io.Writer) error {
		var err error
		if db != nil {
			stats, err = db.WriteExport(ctx, w, o)
			return err
		}
		if progress != nil { // the bot counts responses: show bytes received
			w = &progressWriter{w: w, p: progress}
		}
		req := adminsock.ExportRequest{Format: o.Format, From: o.From, To: o.To, Partial: o.Partial,
			FreeText: o.FreeText, Key: hex.EncodeToString(o.Key)}
		_, trailer, err := adminsock.NewClient(cfg.AdminSocket()).Stream(ctx, "/export", req, w)
		if err != nil {
			return viaBotErr(err)
		}
		stats, err = adminsock.ExportCounts(trailer)
		return err
	})
	progress.done()
	if err != nil {
		return fmt.Errorf("export to %s: %w", *out, err)
	}
	what := fmt.Sprintf("%d response%s", stats.Completed, plural(stats.Completed))
	if o.Partial {
		what += fmt.Sprintf(" and %d unfinished session%s", stats.Partial, plural(stats.Partial))
	}
	free := "free text left out"
	if o.FreeText {
		free = "free text included"
	}
	fmt.Fprintf(e.stdout, "Exported %s to %s (%s, %s).\n", what, *out, describeFormat(f), free)
	return nil
}

func describeFormat(f export.Format) string {
	switch f {
	case export.FormatLong:
		return "CSV, long layout"
	case export.FormatWide:
		return "CSV, wide layout"
	case export.FormatJSONL:
		return "JSON Lines"
	case export.FormatXLSX:
		return "XLSX"
	}
	return "ZIP of CSV, JSON Lines, XLSX, codebook and datapackage.json"
}

// loadStudyKey reads the study key from keyFile, else from the environment.
func loadStudyKey(keyFile string, getenv func(string) string, warn io.Writer) ([]byte, error) {
	if keyFile != "" {
		fi, err := os.Stat(keyFile)
		if err != nil {
			return nil, fmt.Errorf("read the study key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(warn, "toolmap export: warning: the study key %s can be read by others (mode %04o): chmod 600 %s\n", keyFile, fi.Mode().Perm(), keyFile)
		}
		data, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("read the study key: %w", err)
		}
		k, err := export.ParseKey(data)
		if err != nil {
			return nil, fmt.Errorf("the study key in %s: %w; %s", keyFile, err, makeKeyHint)
		}
		return k, nil
	}
	v := getenv(StudyKeyEnv)
	if v == "" {
		return nil, fmt.Errorf("no study key: set %s or give --key-file FILE; %s", StudyKeyEnv, makeKeyHint)
	}
	k, err := export.ParseKey([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("the study key in %s: %w; %s", StudyKeyEnv, err, makeKeyHint)
	}
	return k, nil
}

// parseExportTime reads a date (2025-03-01, midnight UTC; as an upper
// bound, the end of that day) or an RFC 3339 time.
func parseExportTime(s string, upper bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date such as 2025-03-01 or a time such as 2025-03-01T12:00:00Z", s)
	}
	return t.UTC(), nil
}

// exportProgress shows progress on a terminal, a few times a second.
type exportProgress struct {
	w     io.Writer
	last  time.Time
	shown bool
}

func (p *exportProgress) show(phase string, done, total int) {
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond || done == total {
		p.last = now
		p.shown = true
		if total > 0 {
			fmt.Fprintf(p.w, "\rexport: %s %d of %d responses (%d%%)\x1b[K", phase, done, total, done*100/total)
		} else {
			fmt.Fprintf(p.w, "\rexport: %s %d responses\x1b[K", phase, done)
		}
	}
}

// received shows how much of an export made by the running bot has come.
func (p *exportProgress) received(n int64) {
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last = now
		p.shown = true
		fmt.Fprintf(p.w, "\rexport: receiving from the running bot, %.1f MB\x1b[K", float64(n)/1e6)
	}
}

// progressWriter counts what is written through it for an exportProgress.
type progressWriter struct {
	w io.Writer
	p *exportProgress
	n int64
}

func (pw *progressWriter) Write(b []byte) (int, error) {
	n, err := pw.w.Write(b)
	pw.n += int64(n)
	pw.p.received(pw.n)
	return n, err
}

func (p *exportProgress) done() {
	if p != nil && p.shown {
		fmt.Fprintln(p.w)
	}
}
