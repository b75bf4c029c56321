package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"toolmap/bot"
	"toolmap/cmd/internal/jobs"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
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
Hardest to do with the tools they have: 📣 Telling members news 10 (100%)

<b>🆕 Typed in under “Other…”</b>
Other names came up too, each from fewer than 5 groups.

👍 <b>Worth knowing about</b>, say groups: WhatsApp (10 groups)

<b>💬 In their words</b>
<i>“Keeping the member list up to date by hand takes hours every month.”</i> (on 📣 Telling members news)
<i>“We can&#39;t afford the paid plans, and the free ones keep changing.”</i> (on 📣 Telling members news)
<i>“Everyone is on a different app, so messages get lost.”</i> (on 📣 Telling members news)

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
	want := DigestConfig{Timezone: "Europe/London", Language: "es", MinCount: 5, Schedule: jobs.DefaultDigestSchedule, Grace: Duration(24 * time.Hour)}
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
