package jobs

import (
	"context"
	"io"
	"os"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
	"toolmap/survey/report"
)

// Office serves the privileged chat commands (bot.ChatAdmin) from the
// store: the live counts, the digest, its re-posting, and the export.
type Office struct {
	DB       *store.DB
	Def      *survey.Definition
	Settings DigestSettings
	Channel  *Digest // posts to the channel; nil without one
	StudyKey []byte  // the study key for exports; nil without one
	KeyErr   error   // why there is no study key
}

var _ bot.Office = (*Office)(nil)

// Stats returns the live counts, the week's by now.
func (o *Office) Stats(now time.Time) (bot.OfficeStats, error) {
	var st bot.OfficeStats
	var err error
	from, to := report.PeriodOf(now, o.Settings.Location).Bounds(o.Settings.Location)
	if st.Started, err = o.DB.CountStarted(time.Time{}, time.Time{}); err != nil {
		return st, err
	}
	if st.Finished, err = o.DB.CountResponses(time.Time{}, time.Time{}); err != nil {
		return st, err
	}
	if st.FinishedThisWeek, err = o.DB.CountResponses(from, to); err != nil {
		return st, err
	}
	st.Outbox, err = o.DB.OutboxLen()
	return st, err
}

// Digest builds period's digest and its chart.
func (o *Office) Digest(period report.Period) (bot.Digest, []byte, error) {
	return BuildDigest(o.DB, o.Def, o.Settings, period)
}

// Repost posts period's digest whatever its record says, and says in
// lang what happened.
func (o *Office) Repost(ctx context.Context, period report.Period, lang string) (string, error) {
	if o.Channel == nil {
		return "", bot.ErrNoChannel
	}
	out, err := o.Channel.Post(ctx, period, true)
	if err != nil {
		return "", err
	}
	return out.Text(o.Def, lang), nil
}

// Export writes the pseudonymised ZIP of everything to w.
func (o *Office) Export(ctx context.Context, w io.Writer, now time.Time) (int, error) {
	if o.StudyKey == nil {
		return 0, noKeyError{o.KeyErr}
	}
	n, err := o.DB.WriteExport(ctx, w, store.ExportFile{Defs: []*survey.Definition{o.Def}, Key: o.StudyKey,
		Format: export.FormatZip, Now: now, SpoolDir: os.TempDir()})
	return n.Completed, err
}

// noKeyError says why there is no study key, and matches bot.ErrNoStudyKey.
type noKeyError struct{ why error }

func (e noKeyError) Error() string {
	if e.why == nil {
		return bot.ErrNoStudyKey.Error()
	}
	return e.why.Error()
}

func (e noKeyError) Is(target error) bool { return target == bot.ErrNoStudyKey }
