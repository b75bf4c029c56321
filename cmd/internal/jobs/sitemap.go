package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/site"
)

// BuildMap writes the map of the whole study in db into dir as a static
// web site (survey/report/site), counted with the digest's settings (its
// time zone and small-cell threshold) as of now: what "toolmap map" does,
// and what the Map job does on its schedule (map.dir, map.every).
func BuildMap(db *store.DB, def *survey.Definition, s DigestSettings, dir string, now time.Time) (site.Stats, error) {
	return site.Build(dir, Scan(db), def, &site.Options{
		Report:  report.Options{Location: s.Location, MinCount: s.MinCount},
		Now:     now,
		Workers: Workers,
	})
}

// Map rebuilds the map site in Dir on a schedule (map.dir, map.every), so
// that a coordinator can serve the folder as it is: each file is replaced
// whole, so a web server never serves half of one.
type Map struct {
	DB       *store.DB
	Def      *survey.Definition
	Settings DigestSettings
	Dir      string
	Log      *slog.Logger
	Now      func() time.Time // default time.Now
	// Done, if set, is told of each rebuild: what it wrote, or the error.
	Done func(site.Stats, error)
}

// Run rebuilds the site.
func (m Map) Run(context.Context) error {
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	st, err := BuildMap(m.DB, m.Def, m.Settings, m.Dir, now)
	if m.Done != nil {
		m.Done(st, err)
	}
	if err != nil {
		return fmt.Errorf("rebuild the map in %s: %w", m.Dir, err)
	}
	if m.Log != nil {
		m.Log.Info("map rebuilt", "dir", m.Dir, "files", st.Files, "bytes", st.Bytes)
	}
	return nil
}
