package main

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"toolmap/survey/report"
)

// ChatRef is a chat the bot posts to, as written in the config: "@name"
// for a public channel or group, or its numeric id ("-100…").
type ChatRef string

var chatNamePattern = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)

// parseChatRef checks s as a ChatRef.
func parseChatRef(s string) (ChatRef, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", nil
	case strings.HasPrefix(s, "@"):
		if !chatNamePattern.MatchString(s) {
			return "", fmt.Errorf("%q is not a channel name: @ then 4 to 32 letters, digits or _", s)
		}
	default:
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id >= 0 {
			return "", fmt.Errorf("%q is neither @channelname nor a channel id such as -1001234567890", s)
		}
	}
	return ChatRef(s), nil
}

// UnmarshalYAML reads and checks a chat reference.
func (c *ChatRef) UnmarshalYAML(n *yaml.Node) error {
	r, err := parseChatRef(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: digest.channel: %v", n.Line, err)
	}
	*c = r
	return nil
}

// ID returns the numeric id, or 0 for an @name.
func (c ChatRef) ID() int64 {
	id, _ := strconv.ParseInt(string(c), 10, 64)
	return id
}

// Name returns the @name, or "" for a numeric id.
func (c ChatRef) Name() string {
	if strings.HasPrefix(string(c), "@") {
		return string(c)
	}
	return ""
}

// CronSpec is a schedule in cron syntax: five fields (minute hour
// day-of-month month day-of-week) or a descriptor such as @weekly.
type CronSpec string

// parseCron parses a standard cron spec.
func parseCron(s string) (cron.Schedule, error) {
	sch, err := cron.ParseStandard(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron schedule such as \"0 9 * * 1\" (Mondays at 09:00): %v", s, err)
	}
	return sch, nil
}

// UnmarshalYAML reads and checks a cron spec.
func (c *CronSpec) UnmarshalYAML(n *yaml.Node) error {
	if _, err := parseCron(n.Value); err != nil {
		return fmt.Errorf("line %d: digest.schedule: %v", n.Line, err)
	}
	*c = CronSpec(n.Value)
	return nil
}

// cronLogger adapts slog to cron.Logger. cron's own messages at Info are
// chatty (every wake-up), so they go to Debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}

// digestSchedule runs the digest job at each slot of the schedule, in the
// digest's time zone, and catches up at start-up a slot missed within the
// grace window.
type digestSchedule struct {
	poster *digestPoster
	sched  cron.Schedule
	loc    *time.Location
	grace  time.Duration
	log    *slog.Logger
	cron   *cron.Cron
	// caughtUp is closed when the start-up catch-up is over.
	caughtUp chan struct{}
}

func newDigestSchedule(p *digestPoster, dc DigestConfig, loc *time.Location, log *slog.Logger) (*digestSchedule, error) {
	sched, err := parseCron(string(dc.Schedule))
	if err != nil {
		return nil, fmt.Errorf("digest.schedule: %w", err)
	}
	l := cronLogger{log}
	c := cron.New(cron.WithLocation(loc), cron.WithLogger(l),
		cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	return &digestSchedule{poster: p, sched: sched, loc: loc, grace: time.Duration(dc.Grace), log: log, cron: c,
		caughtUp: make(chan struct{})}, nil
}

// slotPeriod is the period the digest posted at slot covers: the last
// whole ISO week before it.
func slotPeriod(slot time.Time, loc *time.Location) report.Period {
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

// RunSlot is the digest job for a slot: post the period it covers, and
// if Telegram refused it, try again a few times within the grace window.
func (s *digestSchedule) RunSlot(ctx context.Context, slot time.Time) {
	period := slotPeriod(slot, s.loc)
	wait := time.Minute
	deadline := slot.Add(s.grace)
	for {
		out, err := s.poster.Post(ctx, period, false)
		if err != nil {
			s.log.Error("digest not posted", "period", period.String(), "err", err)
			return
		}
		s.log.Info("digest job", "period", period.String(), "outcome", out.Outcome)
		if out.Outcome != outcomeFailed || !s.poster.now().Add(wait).Before(deadline) {
			return
		}
		if !sleepCtxFor(ctx, wait) {
			return
		}
		wait *= 4
	}
}

// Start catches up a missed slot (in the background) and starts the cron.
// Stop stops both; jobs in flight finish first.
func (s *digestSchedule) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	job := func(slot func() time.Time) cron.Job {
		return cron.NewChain(cron.Recover(cronLogger{s.log})).Then(cron.FuncJob(func() { s.RunSlot(ctx, slot()) }))
	}
	go func() {
		defer close(s.caughtUp)
		if slot, ok := missedSlot(s.sched, s.poster.now(), s.grace, s.loc); ok {
			s.log.Info("catching up a digest slot missed while stopped", "slot", slot, "period", slotPeriod(slot, s.loc).String())
			job(func() time.Time { return slot }).Run()
		}
	}()
	s.cron.Schedule(s.sched, job(func() time.Time { return s.poster.now() }))
	s.cron.Start()
	return func() {
		cancel()
		<-s.cron.Stop().Done()
		<-s.caughtUp
	}
}

// sleepCtxFor waits d or until ctx is done; it reports whether d passed.
func sleepCtxFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
