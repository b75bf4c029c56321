package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"toolmap/cmd/internal/adminsock"
	"toolmap/cmd/internal/jobs"
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

func runExport(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "export", `Exports the responses for analysis, pseudonymised: each respondent is a
keyed hash of their Telegram id (HMAC-SHA256 under the study key, 16 hex
digits), the same in every export made with the same key; the Telegram id is
never written. The key comes from `+jobs.StudyKeyEnv+` or --key-file (at least
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
	format := c.String("format", "zip", "`FORMAT`: csv, jsonl, xlsx or zip")
	layout := c.String("layout", "long", "for --format csv: `LAYOUT` long or wide")
	out := c.String("out", "", "write the export to `PATH` (required)")
	since := c.String("since", "", "only responses completed on or after `DATE`")
	until := c.String("until", "", "only responses completed up to `DATE`")
	partial := c.Bool("include-partial", false, "add the sessions not finished (status active)")
	freeText := c.Bool("free-text", false, "include free-text answers and Other… texts")
	c.dbFlags("database and survey")
	c.survey = c.String("survey", "", "survey definition `FILE` for labels and columns (default: from --config, else the built-in survey)")
	c.keyFile = c.String("key-file", "", keyFileUsage)
	licence := c.String("licence", "", "state the data's `LICENCE` (e.g. CC-BY-4.0, or a URL) in datapackage.json and the README (default: export.licence of --config; none)")
	if err := c.parse(args, 0); err != nil {
		return err
	}
	if *out == "" {
		return c.usageErr("--out PATH is required")
	}
	var f export.Format
	switch *format {
	case "csv":
		switch *layout {
		case "long":
			f = export.FormatLong
		case "wide":
			f = export.FormatWide
		default:
			return c.usageErr("--layout must be long or wide, not %q", *layout)
		}
	case "jsonl", "xlsx", "zip":
		if c.given("layout") {
			return c.usageErr("--layout applies to --format csv only")
		}
		f = export.Format(*format)
	default:
		return c.usageErr("--format must be csv, jsonl, xlsx or zip, not %q", *format)
	}
	o := store.ExportFile{Format: f, Partial: *partial, FreeText: *freeText}
	var err error
	if o.From, err = parseExportTime(*since, false); err != nil {
		return c.usageErr("--since: %v", err)
	}
	if o.To, err = parseExportTime(*until, true); err != nil {
		return c.usageErr("--until: %v", err)
	}
	if !o.From.IsZero() && !o.To.IsZero() && !o.From.Before(o.To) {
		return c.usageErr("--since must be before --until")
	}

	if o.Key, err = c.studyKey(); err != nil {
		return err
	}
	cfg, def, err := c.settingsAndSurvey()
	if err != nil {
		return err
	}
	o.Defs, o.Licence = []*survey.Definition{def}, cfg.Export.Licence
	if c.given("licence") {
		o.Licence = strings.TrimSpace(*licence)
	}

	o.SpoolDir = filepath.Dir(*out)
	o.Now = time.Now().UTC()
	var progress *exportProgress
	if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
		progress = &exportProgress{w: e.stderr}
		o.Progress = progress.show
	}
	var stats store.ExportCounts
	write := func(export func(io.Writer) error) error {
		err := store.WriteFileAtomic(*out, export)
		progress.done()
		if err != nil {
			return fmt.Errorf("export to %s: %w", *out, err)
		}
		return nil
	}
	err = onDB(cfg, " to export", false, func(db *store.DB) error {
		return write(func(w io.Writer) (err error) {
			stats, err = db.WriteExport(ctx, w, o)
			return err
		})
	}, func(admin *adminsock.Client) error {
		return write(func(w io.Writer) error {
			if progress != nil { // the bot counts responses: show bytes received
				w = &progressWriter{w: w, p: progress}
			}
			req := adminsock.ExportRequest{Format: o.Format, From: o.From, To: o.To, Partial: o.Partial,
				FreeText: o.FreeText, Key: hex.EncodeToString(o.Key)}
			_, trailer, err := admin.Stream(ctx, "/export", req, w)
			if err != nil {
				return viaBotErr(err)
			}
			stats, err = adminsock.ExportCounts(trailer)
			return err
		})
	})
	if err != nil {
		return err
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
