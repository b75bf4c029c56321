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
	"toolmap/bot/jobs"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report/reporttest"
	"toolmap/survey/surveyfile"
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

<b>🧰 Tools by activity</b>

<b>📣 Telling members news</b> · 8 groups
WhatsApp 8 (100%), Facebook 5 (63%)

<b>🧩 Organisers coordinating</b> · 5 groups
Signal 5 (100%)

Also named, by fewer than 5 groups each: 📅 Organising events.

<b>↕️ Since last week</b>
▼ Facebook: 63% of groups (was 100%)

<b>🆕 New names under “Other…”</b>
• Mastodon · 8 groups
Other names came up too, each from fewer than 5 groups.

<b>💬 In their words</b>
<i>“Keeping the member list up to date by hand takes hours every month.”</i>
<i>“We can&#39;t afford the paid plans, and the free ones keep changing.”</i>
<i>“Everyone is on a different app, so messages get lost.”</i>

<b>🔗 Where they came from</b>
flyer: 5 · other links: fewer than 5

<i>Numbers under 5 show as “fewer than 5”, so that no group can be singled out.</i>
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

	// In Spanish, and with a threshold of 10 the week is suppressed.
	out, stderr, err = runCmd(t, "", "digest", "--preview", "--db", path, "--period", "2026-W47", "--lang", "es", "--min-count", "10", "--chart", chart)
	if err != nil {
		t.Fatalf("digest: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Semana 47") || !strings.Contains(out, "🔒 Esta semana terminaron menos de 10 grupos") || strings.Contains(out, "Mastodon") {
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
