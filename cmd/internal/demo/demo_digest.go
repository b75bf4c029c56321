package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/jobs"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
	"toolmap/survey/report"
)

// demoChannel is the fake channel the demo posts its digest to.
const demoChannel bot.Channel = "@toolmap_demo"

// demoEnding is the end of the demo, once the bot has stopped and its
// figures are printed: it posts this week's digest to a fake channel, as
// "toolmap digest --post" does with the bot stopped, prints it, and leaves
// the chart and a pseudonymised export in a directory that is kept.
func demoEnding(ctx context.Context, w io.Writer, srv *telegramtest.Server, def *survey.Definition, dbPath, out string, log *slog.Logger) error {
	// The demo drops the fake server's chats to measure memory: make the
	// channel now, with the bot as an admin allowed to post.
	ch := srv.Channel(1, "toolmap demo coordinators", string(demoChannel))
	srv.SetMemberStatus(ch.ID(), srv.BotUser().ID, "administrator")
	var err error
	if out == "" {
		out, err = os.MkdirTemp("", "toolmap-demo-out-")
	} else {
		err = os.MkdirAll(out, 0o755)
	}
	if err != nil {
		return err
	}
	db, err := store.Open(dbPath, nil)
	if err != nil {
		return err
	}
	defer db.Close()

	conn, err := bot.Dial(ctx, bot.Token(srv.Token()), bot.ConnectOptions{APIURL: srv.URL, RequestTimeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("connect to the fake Bot API: %w", bot.Redact(err, srv.Token()))
	}
	if err := bot.CheckChannel(conn, demoChannel); err != nil {
		return err
	}
	period := report.PeriodOf(time.Now(), time.UTC) // this week: the demo's answers are from now
	settings := jobs.DigestSettings{Location: time.UTC, MinCount: report.DefaultMinCount}
	res, err := jobs.NewDigest(db, def, settings, bot.NewChannelPoster(conn, demoChannel, time.Second), jobs.DigestOptions{Logger: log}).Post(ctx, period, false)
	if err != nil {
		return err
	}
	if res.Outcome != jobs.OutcomeSent {
		return fmt.Errorf("the digest was not posted: %s", res)
	}
	fmt.Fprintf(w, "\nDigest for %s posted to the fake channel %s (%d messages), as coordinators would read it:\n", period, demoChannel, len(res.MessageIDs))
	for _, m := range srv.BotMessages(ch.ID()) {
		switch m.Kind {
		case "photo":
			path := filepath.Join(out, "digest-"+period.String()+".png")
			if err := os.WriteFile(path, m.File.Data, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(w, "  [chart: %s — %s]\n", path, m.Caption)
		default:
			fmt.Fprintln(w, "  │ "+strings.ReplaceAll(strings.TrimSpace(m.Rendered), "\n", "\n  │ "))
		}
	}

	// A pseudonymised export, with a study key made for the demo.
	key := make([]byte, 32)
	rand.Read(key)
	zipPath := filepath.Join(out, "toolmap-export.zip")
	var stats store.ExportCounts
	err = store.WriteFileAtomic(zipPath, func(f io.Writer) error {
		var err error
		stats, err = db.WriteExport(ctx, f, store.ExportFile{Defs: []*survey.Definition{def}, Key: key, Format: export.FormatZip,
			Now: time.Now().UTC(), SpoolDir: out})
		return err
	})
	if err != nil {
		return err
	}
	// The map of the study, as "toolmap map" writes it.
	mapDir := filepath.Join(out, "map")
	if ms, err := jobs.BuildMap(db, def, settings, mapDir, time.Now()); err != nil {
		return err
	} else if ms.Groups > 0 {
		fmt.Fprintf(w, "\nMap: %s (%d groups; open it in a browser, or publish the folder as it is).\n", filepath.Join(mapDir, "index.html"), ms.Groups)
	}
	fmt.Fprintf(w, "\nExport: %s (%d completed, %d part-way responses; CSV, JSON Lines, XLSX, codebook).\n", zipPath, stats.Completed, stats.Partial)
	fmt.Fprintf(w, "  Look inside with: unzip -l %s   (a researcher gets the same file in chat with /export)\n", zipPath)
	fmt.Fprintf(w, "Kept in %s; remove it when done.\n", out)
	return nil
}
