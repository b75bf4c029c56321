package jobs

import (
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/site"
)

// BuildMap writes the map of the whole study in db into dir as a static
// web site (survey/report/site), counted with the digest's settings (its
// time zone and small-cell threshold) as of now: what "toolmap map" does,
// and what a scheduled rebuild (map.dir, map.every) would do each time.
func BuildMap(db *store.DB, def *survey.Definition, s DigestSettings, dir string, now time.Time) (site.Stats, error) {
	return site.Build(dir, Scan(db), def, &site.Options{
		Report:  report.Options{Location: s.Location, MinCount: s.MinCount},
		Now:     now,
		Workers: Workers,
	})
}
