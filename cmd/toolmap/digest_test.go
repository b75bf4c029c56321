package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"toolmap/bot"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

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

func typicalDB(t *testing.T) string {
	t.Helper()
	ss, err := reporttest.RespondAll(defaultDef(t), reporttest.Typical())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "toolmap.db")
	seedDB(t, path, ss)
	return path
}

// TestDigestPreview previews week 47 of a database holding the typical
// week (reporttest.Typical): 14 responses in all, 8 of them started and
// finished in week 47.
func TestDigestPreview(t *testing.T) {
	path := typicalDB(t)
	chart := filepath.Join(t.TempDir(), "chart.png")
	out, stderr, err := runCmd(t, "", "digest", "--preview", "--db", path, "--period", "2026-W47", "--tz", "Europe/London", "--chart", chart)
	if err != nil {
		t.Fatalf("digest: %v\n%s", err, stderr)
	}
	want := `📊 <b>Community groups and their tools</b>
Weekly digest · Week 47 · 16–22 Nov 2026

✅ Finished this week: <b>8 groups</b> (the week before: 6)
✍️ Started this week: 8
📈 Finished in total: <b>14</b>

<b>↕️ This week, against the weeks before</b>
▼ Facebook for 📣 Telling members news: 63% of this week's groups (before: 100%)

<b>🗺️ The map so far</b> · 10 groups
<i>Each tool's share is of the groups doing the activity.</i>

<b>📣 Telling members news</b> · 10 groups
Facebook 10 (100%)

<b>🧩 Organisers coordinating</b> · 10 groups
WhatsApp 6 (60%)

<b>⚠️ Where groups struggle</b>
No activity yet where 5 or more groups say so.

<b>🆕 Typed in under “Other…”</b>
Other names came up too, each from fewer than 5 groups.

<b>💬 In their words</b>
<i>“Keeping the member list up to date by hand takes hours every month.”</i>
<i>“We can&#39;t afford the paid plans, and the free ones keep changing.”</i>
<i>“Everyone is on a different app, so messages get lost.”</i>

<b>🔗 Where they came from</b>
flyer: 10

<i>Numbers under 5 show as “fewer than 5”, so that no group can be singled out.</i>
<i>The map counts the first 10 of the 14 groups that finished. It grows 5 at a time, so that no single answer can be read off a change.</i>
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "Chart written to "+chart) {
		t.Errorf("stderr: %s", stderr)
	}
	data, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != bot.ChartWidth {
		t.Fatalf("chart: %v, %v", err, img)
	}

	// In Spanish, and with a threshold of 15 the week and the study so far
	// are both suppressed: no map.
	out, stderr, err = runCmd(t, "", "digest", "--preview", "--db", path, "--period", "2026-W47", "--lang", "es", "--min-count", "15", "--chart", chart)
	if err != nil {
		t.Fatalf("digest: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Semana 47") || !strings.Contains(out, "🔒 Esta semana terminaron menos de 15 grupos") ||
		!strings.Contains(out, "🔒 Hasta ahora han terminado menos de 15 grupos") || strings.Contains(out, "Mastodon") {
		t.Errorf("Spanish, suppressed:\n%s", out)
	}
	if !strings.Contains(stderr, "No chart for 2026-W47") {
		t.Errorf("stderr: %s", stderr)
	}
}

// TestDigestPreviewLockedNoEndpoint: the database is locked by another
// process that serves no admin endpoint; the message says so. (Previewing
// through a running bot is TestDigestEndToEnd's.)
func TestDigestPreviewLockedNoEndpoint(t *testing.T) {
	path := typicalDB(t)
	db := openStore(t, path)
	defer db.Close()
	_, _, err := runCmd(t, "", "digest", "--preview", "--db", path)
	if err == nil || !strings.Contains(err.Error(), "running bot's admin endpoint") {
		t.Errorf("err = %v", err)
	}
}

func TestDigestUsage(t *testing.T) {
	path := typicalDB(t)
	for _, tc := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no preview", []string{"digest", "--db", path}, "give either --preview or --post"},
		{"both", []string{"digest", "--db", path, "--preview", "--post"}, "give either --preview or --post"},
		{"bad period", []string{"digest", "--preview", "--db", path, "--period", "2025-W53"}, "not an ISO week"},
		{"bad zone", []string{"digest", "--preview", "--db", path, "--tz", "Mars/Olympus"}, "digest.timezone"},
		{"bad threshold", []string{"digest", "--preview", "--db", path, "--min-count", "-1"}, "digest.min_count"},
		{"bad language", []string{"digest", "--preview", "--db", path, "--lang", "fr"}, `not "fr"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, err := runCmd(t, "", tc.args...)
			if exitCode(err) != 2 || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", exitCode(err), stderr, tc.stderr)
			}
		})
	}
	_, _, err := runCmd(t, "", "digest", "--preview", "--db", filepath.Join(t.TempDir(), "none.db"))
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("missing database: %v", err)
	}
}

// TestDigestConfigSection: the digest section as config.yaml writes it.
func TestDigestConfigSection(t *testing.T) {
	var got struct {
		Digest DigestConfig `yaml:"digest"`
	}
	got.Digest = DefaultDigestConfig()
	dec := yaml.NewDecoder(strings.NewReader("digest:\n  timezone: Europe/London\n  language: es\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := DigestConfig{Timezone: "Europe/London", Language: "es", MinCount: 5, Schedule: DefaultDigestSchedule, Grace: Duration(24 * time.Hour)}
	if got.Digest != want {
		t.Errorf("digest = %+v, want %+v", got.Digest, want)
	}
	if ps := got.Digest.problems(); ps != nil {
		t.Errorf("problems: %v", ps)
	}
	if ps := (DigestConfig{Timezone: "Local", MinCount: 0}).problems(); len(ps) != 2 {
		t.Errorf("problems of a bad section: %v", ps)
	}
}

// BenchmarkDigest100k computes the digest of one week from a database of
// 100,000 responses (and their sessions): every response up to the end of
// the week is read and decoded for the study so far, every session
// scanned for the week's starts, then the text and the chart (the map)
// are made. cpu-ms/op is the processor time of the whole process (on all
// cores) per digest: on a machine shared with other work it varies less
// than the wall time.
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
			span := time.Duration(bc.weeks) * 7 * 24 * time.Hour
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
			defer db.Close()
			runtime.GC() // the seeding's garbage is not the digest's
			cpu := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				r, err := buildDigestReport(db, def, week, &report.Options{Location: loc, Filters: []string{}})
				if err != nil || r.Suppressed || r.Study.Suppressed {
					b.Fatal(err, r.Suppressed)
				}
				d := bot.RenderDigest(def, r, nil)
				png, err := bot.DigestChart(def, r, "en")
				if err != nil || len(d.Parts) == 0 || png == nil {
					b.Fatal(err, len(d.Parts), len(png))
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the processor time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
