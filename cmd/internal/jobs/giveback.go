package jobs

import (
	"context"
	"sync/atomic"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// GiveBack is the aggregate behind the "groups like yours…" message: for
// each matrix row (an activity), how many responses named each option (a
// tool). Its job (Run) rebuilds it from the responses, at start-up and
// every GiveBackEvery, so a completion reads a snapshot in memory and
// never scans the database; the snapshot lags by at most that long (a
// deletion included), and holds only counts.
type GiveBack struct {
	db *store.DB
	m  atomic.Pointer[map[string]map[string]int]
}

var _ bot.Peers = (*GiveBack)(nil)

// GiveBackEvery is how often the aggregate is rebuilt.
const GiveBackEvery = 15 * time.Minute

// NewGiveBack returns the aggregate of db's responses, empty until Run.
func NewGiveBack(db *store.DB) *GiveBack { return &GiveBack{db: db} }

// Counts returns the counts of one matrix row; nil before the first
// refresh. The map is shared: callers only read it.
func (g *GiveBack) Counts(question, item string) map[string]int {
	m := g.m.Load()
	if m == nil {
		return nil
	}
	return (*m)[question+"/"+item]
}

// Run rebuilds the aggregate from every response.
func (g *GiveBack) Run(ctx context.Context) error {
	m := map[string]map[string]int{}
	err := g.db.Responses(time.Time{}, time.Time{}, func(_ survey.RespondentID, s survey.Session) error {
		for key, a := range s.Answers {
			if a.Item == "" || a.Skipped {
				continue
			}
			row := m[key]
			if row == nil {
				row = map[string]int{}
				m[key] = row
			}
			for _, v := range a.Values {
				row[v]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	g.m.Store(&m)
	return nil
}
