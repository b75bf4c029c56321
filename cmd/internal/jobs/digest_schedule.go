package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"toolmap/survey/report"
)

// DefaultDigestSchedule is Monday at 09:00.
const DefaultDigestSchedule = "0 9 * * 1"

// ParseCron parses a standard cron spec: five fields (minute hour
// day-of-month month day-of-week) or a descriptor such as @weekly.
func ParseCron(s string) (cron.Schedule, error) {
	sch, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule such as \"0 9 * * 1\" (Mondays at 09:00): %v", s, err)
	}
	return sch, nil
}

// CheckFires refuses a schedule that does not fire within a year of now:
// one naming a date that does not exist ("0 9 30 2 *", 30 February) would
// be accepted by cron and never post anything.
func CheckFires(spec string, sched cron.Schedule, now time.Time) error {
	next := sched.Next(now)
	if next.IsZero() || next.Sub(now) > 366*24*time.Hour {
		return fmt.Errorf("%q never fires within a year (does its date exist?): use one such as \"0 9 * * 1\" (Mondays at 09:00)", spec)
	}
	return nil
}

// DigestSchedule is the digest job: at each slot of its schedule (in the
// digest's time zone) it posts the last whole week, and at start-up it
// catches up a slot missed within the grace window (CatchUp).
type DigestSchedule struct {
	digest *Digest
	sched  cron.Schedule
	loc    *time.Location
	grace  time.Duration
	log    *slog.Logger
	now    func() time.Time
}

// NewDigestSchedule posts with d at each slot of spec (a cron spec, read
// in d's time zone); a slot missed while the bot was down is posted at
// start-up if it is at most grace old.
func NewDigestSchedule(d *Digest, spec string, grace time.Duration) (*DigestSchedule, error) {
	sched, err := ParseCron(spec)
	if err == nil {
		err = CheckFires(spec, sched, d.now().In(d.settings.Location))
	}
	if err != nil {
		return nil, fmt.Errorf("digest.schedule: %w", err)
	}
	return &DigestSchedule{digest: d, sched: sched, loc: d.settings.Location, grace: grace, log: d.log, now: d.now}, nil
}

// Schedule returns when the job runs, for the Scheduler (whose time zone
// must be the digest's).
func (s *DigestSchedule) Schedule() cron.Schedule { return s.sched }

// SlotPeriod is the period the digest posted at slot covers: the last
// whole ISO week before it.
func SlotPeriod(slot time.Time, loc *time.Location) report.Period {
	return report.PeriodOf(slot, loc).Prev()
}

// missedSlot returns the latest slot of sched in (now-grace, now], if any.
func missedSlot(sched cron.Schedule, now time.Time, grace time.Duration, loc *time.Location) (time.Time, bool) {
	var last time.Time
	t := sched.Next(now.Add(-grace).In(loc))
	for i := 0; !t.IsZero() && !t.After(now) && i < 1_000_000; i++ {
		last = t
		t = sched.Next(t)
	}
	return last, !last.IsZero()
}

// Run is the job at a slot: it posts the period of the slot now.
func (s *DigestSchedule) Run(ctx context.Context) error {
	return s.RunSlot(ctx, s.now())
}

// CatchUp posts the period of a slot missed within the grace window, if
// any: run it once at start-up.
func (s *DigestSchedule) CatchUp(ctx context.Context) error {
	slot, ok := missedSlot(s.sched, s.now(), s.grace, s.loc)
	if !ok {
		return nil
	}
	s.log.Info("catching up a digest slot missed while stopped", "slot", slot, "period", SlotPeriod(slot, s.loc).String())
	return s.RunSlot(ctx, slot)
}

// RunSlot is the digest job for a slot: post the period it covers, and
// if Telegram refused it, try again a few times within the grace window.
func (s *DigestSchedule) RunSlot(ctx context.Context, slot time.Time) error {
	period := SlotPeriod(slot, s.loc)
	wait := time.Minute
	deadline := slot.Add(s.grace)
	for {
		out, err := s.digest.Post(ctx, period, false)
		if err != nil {
			return fmt.Errorf("digest for %s not posted: %w", period, err)
		}
		s.log.Info("digest job", "period", period.String(), "outcome", out.Outcome)
		if out.Outcome != OutcomeFailed || !s.now().Add(wait).Before(deadline) {
			return nil
		}
		if !sleepCtx(ctx, wait) {
			return nil
		}
		wait *= 4
	}
}

// sleepCtx waits d or until ctx is done; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
