package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// peerCounts is the aggregate behind the "groups like yours…" message:
// for each matrix row (an activity), how many responses named each
// option (a tool). It is rebuilt from the responses at start-up and every
// peersRefresh, so a completion reads a snapshot in memory and never
// scans the database; the snapshot lags by at most that long (a deletion
// included), and holds only counts.
type peerCounts struct {
	m atomic.Pointer[map[string]map[string]int]
}

var _ bot.Peers = (*peerCounts)(nil)

// peersRefresh is how often the aggregate is rebuilt.
const peersRefresh = 15 * time.Minute

// Counts returns the counts of one matrix row; nil before the first
// refresh. The map is shared: callers only read it.
func (p *peerCounts) Counts(question, item string) map[string]int {
	m := p.m.Load()
	if m == nil {
		return nil
	}
	return (*m)[question+"/"+item]
}

// refresh rebuilds the aggregate from every response.
func (p *peerCounts) refresh(db *store.DB) error {
	m := map[string]map[string]int{}
	err := db.Responses(time.Time{}, time.Time{}, func(_ survey.RespondentID, s survey.Session) error {
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
	p.m.Store(&m)
	return nil
}

// refreshPeers rebuilds the aggregate every peersRefresh until ctx is done.
func refreshPeers(ctx context.Context, p *peerCounts, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(peersRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.refresh(db); err != nil {
				log.Error("counting tools for the give-back message failed", "err", err)
			}
		}
	}
}
