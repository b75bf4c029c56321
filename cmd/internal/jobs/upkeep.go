package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"toolmap/store"
)

// Retention applies retention.days: a finished respondent's Telegram id
// is kept that long, then their answers stay under a random surrogate id
// and everything naming their chat goes; sessions not finished by then
// are deleted (store.DB.Retain). When it changed anything it compacts the
// database at once, so that the dropped ids leave the file with it. Run
// it at start-up and daily.
type Retention struct {
	DB   *store.DB
	Days int // 0: keep until the study ends (Run does nothing)
	Log  *slog.Logger
}

// RetentionEvery is how often retention is applied.
const RetentionEvery = 24 * time.Hour

// Run applies retention now.
func (r Retention) Run(ctx context.Context) error {
	if r.Days <= 0 {
		return nil
	}
	st, err := r.DB.Retain(r.DB.Now().Add(-time.Duration(r.Days) * 24 * time.Hour))
	if err != nil {
		return fmt.Errorf("apply retention: %w", err)
	}
	if st.Anonymised > 0 || st.Purged > 0 {
		logOf(r.Log).Info("applied retention", "ids_dropped", st.Anonymised, "unfinished_deleted", st.Purged)
		return Compaction{DB: r.DB, Log: r.Log}.Run(ctx)
	}
	return nil
}

// PreConsent forgets everyone who sent /start but has neither agreed to
// the consent notice nor declined it within PreConsentFor of their last
// message (store.DB.ExpireUnconsented): what /start stores is kept only
// while they decide. Run it at start-up and every PreConsentEvery, so
// that nothing of theirs is kept a day after their last message.
type PreConsent struct {
	DB  *store.DB
	Log *slog.Logger
}

// PreConsentFor and PreConsentEvery: waiting at most 23 hours, looked at
// hourly, so gone within 24 hours.
const (
	PreConsentFor   = 23 * time.Hour
	PreConsentEvery = time.Hour
)

// Run forgets those who have waited too long.
func (p PreConsent) Run(ctx context.Context) error {
	n, err := p.DB.ExpireUnconsented(p.DB.Now().Add(-PreConsentFor))
	if err != nil {
		return fmt.Errorf("forget people who did not answer the consent notice: %w", err)
	}
	if n > 0 {
		logOf(p.Log).Info("forgot people who did not answer the consent notice within a day", "count", n)
	}
	return nil
}

// Compaction rewrites the database without the bytes of deleted records
// (/delete, toolmap forget, retention), so that they leave the file
// (store.DB.Compact). Commits pause for the moment of the swap. Run it at
// start-up and every retention.compact_every.
type Compaction struct {
	DB  *store.DB
	Log *slog.Logger
}

// Run compacts the database now.
func (c Compaction) Run(ctx context.Context) error {
	start := time.Now()
	st, err := c.DB.Compact()
	if err != nil {
		return fmt.Errorf("compact the database: %w", err)
	}
	logOf(c.Log).Info("compacted the database", "before", st.Before, "after", st.After, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// PruneSeen forgets handled update ids older than SeenFor, by which
// Telegram can no longer deliver them again. Run it at start-up and every
// PruneSeenEvery.
type PruneSeen struct {
	DB  *store.DB
	Log *slog.Logger
}

// SeenFor is how long handled update ids are kept to recognise repeats:
// Telegram keeps an undelivered update for at most a day.
const SeenFor = 7 * 24 * time.Hour

// PruneSeenEvery is how often they are pruned.
const PruneSeenEvery = 6 * time.Hour

// Run prunes now.
func (p PruneSeen) Run(ctx context.Context) error {
	n, err := p.DB.PruneSeen(p.DB.Now().Add(-SeenFor))
	if err != nil {
		return fmt.Errorf("prune handled update ids: %w", err)
	}
	if n > 0 {
		logOf(p.Log).Info("pruned handled update ids", "count", n)
	}
	return nil
}
