package jobs

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

// BenchmarkDigest100k computes the digest of one week from a database of
// 100,000 responses (and their sessions): every response up to the end of
// the week is read and decoded for the study so far, every session
// scanned for the week's starts, then the text and the chart (the map)
// are made, as BuildDigest does. cpu-ms/op is the processor time of the
// whole process (on all cores) per digest: on a machine shared with other
// work it varies less than the wall time.
//
//   - year: a year-long study, about 1,900 responses a week;
//   - wave: a twelve-week survey wave, about 8,300 a week.
func BenchmarkDigest100k(b *testing.B) {
	def := defaultDef(b)
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		b.Fatal(err)
	}
	week := report.Period{Year: 2026, Week: 47}
	_, end := week.Bounds(loc)
	for _, bc := range []struct {
		name  string
		weeks int
	}{{"year", 52}, {"wave", 12}} {
		b.Run(bc.name, func(b *testing.B) {
			db := bench100k(b, def, end, time.Duration(bc.weeks)*7*24*time.Hour)
			cpu := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				d, png, err := BuildDigest(db, def, DigestSettings{Location: loc, MinCount: report.DefaultMinCount}, week)
				if err != nil || len(d.Parts) == 0 || png == nil {
					b.Fatal(err, len(d.Parts), len(png))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkMap100k builds the map site of a database of 100,000 responses
// spread over a year, as "toolmap map" does (BuildMap), and reports the
// size of what it writes (size-KB: every file; page-KB: index.html with
// the assets it loads) and the processor time per build.
func BenchmarkMap100k(b *testing.B) {
	def := defaultDef(b)
	end := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	db := bench100k(b, def, end, 52*7*24*time.Hour)
	dir := b.TempDir()
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		stats, err := BuildMap(db, def, DigestSettings{Location: time.UTC, MinCount: report.DefaultMinCount}, dir, end)
		if err != nil || stats.Groups != 100_000 {
			b.Fatal(err, stats)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
	size := func(names ...string) float64 {
		var n int64
		for _, name := range names {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			n += fi.Size()
		}
		return float64(n) / 1024
	}
	b.ReportMetric(size("index.html", "es.html", "assets/data.js", "assets/map.js", "assets/style.css", "assets/icon.svg"), "size-KB")
	b.ReportMetric(size("index.html", "assets/data.js", "assets/map.js", "assets/style.css", "assets/icon.svg"), "page-KB")
}

// bench100k opens, read-only, a new database of 100,000 synthetic
// responses finished over span before end, and collects the garbage of
// writing it (it is not the benchmark's).
func bench100k(b *testing.B, def *survey.Definition, end time.Time, span time.Duration) *store.DB {
	b.Helper()
	ss, err := reporttest.Synthetic(def, 100_000, end.Add(-span), span)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "toolmap.db")
	seedDB(b, path, ss)
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	runtime.GC()
	return db
}

// cpuTime is the processor time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedDB writes completed sessions to a new database at path, as the bot
// stores them: the session, its response and the answer log.
func seedDB(tb testing.TB, path string, sessions []survey.Session) {
	tb.Helper()
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	const chunk = 5000
	for base := 0; base < len(sessions); base += chunk {
		err := db.Update(func(tx *store.Tx) error {
			for i, s := range sessions[base:min(base+chunk, len(sessions))] {
				id := survey.RespondentID(1000 + base + i)
				if err := tx.ApplyStep(id, survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func defaultDef(tb testing.TB) *survey.Definition {
	tb.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		tb.Fatal(err)
	}
	return def
}
