package jobs

import (
	"path/filepath"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
	"toolmap/survey/surveyfile"
)

// BenchmarkDigest100k computes the digest of one week from a database of
// 100,000 responses (and their sessions): the responses of the week and
// the week before are read and decoded, every response key and session
// scanned for the totals, then the text and the chart are made.
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
			b.ResetTimer()
			for b.Loop() {
				r, err := Report(db, def, week, &report.Options{Location: loc})
				if err != nil || r.Suppressed {
					b.Fatal(err, r.Suppressed)
				}
				d := bot.RenderDigest(def, r, nil)
				png, err := bot.DigestChart(def, r, "en")
				if err != nil || len(d.Parts) == 0 || png == nil {
					b.Fatal(err, len(d.Parts), len(png))
				}
			}
		})
	}
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
