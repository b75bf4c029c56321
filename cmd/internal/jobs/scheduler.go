// Package jobs is the running bot's background work: each job a named
// type with a Run method, on one shared scheduler. The jobs are digest
// posting (and its catch-up), reminders, retention, compaction, pruning
// of handled update ids, scheduled backups and the give-back counts;
// Office serves the privileged chat commands from the same parts.
//
// It is the one room that imports both the store and the Telegram
// adapter (bot, which never imports the store); it lives under bot/
// because its jobs run inside the bot's process, beside the update loop,
// and several are Telegram-facing (the digest posts to a channel, the
// reminders are chat messages). The store stays free of Telegram and of
// cron.
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// A Job is one background job. Run does one round of its work: the
// scheduler calls it at each time of the job's schedule, never twice at
// once, and logs its error under the job's name. ctx ends when the
// scheduler stops.
type Job interface {
	Run(ctx context.Context) error
}

// Func makes a function a Job.
type Func func(ctx context.Context) error

// Run calls f.
func (f Func) Run(ctx context.Context) error { return f(ctx) }

// Every is the schedule of a job run every d (at least a second) from
// when the scheduler starts; with d <= 0, never (only at start, with
// AtStart).
func Every(d time.Duration) cron.Schedule {
	if d <= 0 {
		return nil
	}
	return cron.Every(d)
}

// Option changes how a job is scheduled.
type Option func(*entry)

// AtStart also runs the job once when the scheduler starts, before Start
// returns: work the bot should do before it answers anyone.
func AtStart() Option { return func(e *entry) { e.atStart = startNow } }

// AtStartInBackground also runs the job once when the scheduler starts,
// beside everything else (Start does not wait for it).
func AtStartInBackground() Option { return func(e *entry) { e.atStart = startBackground } }

const (
	startNever = iota
	startNow
	startBackground
)

type entry struct {
	name    string
	when    cron.Schedule // nil: only at start
	job     cron.Job      // the Job, wrapped: logged, recovered, never twice at once
	atStart int
}

// Scheduler runs jobs on their schedules: one robfig/cron scheduler for
// all of them, in one time zone (that of cron specs such as the digest's).
type Scheduler struct {
	log     *slog.Logger
	loc     *time.Location
	entries []*entry

	cron   *cron.Cron
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewScheduler returns a scheduler whose cron specs are read in loc (nil:
// UTC), logging to log (nil: discarded).
func NewScheduler(log *slog.Logger, loc *time.Location) *Scheduler {
	log = logOf(log)
	if loc == nil {
		loc = time.UTC
	}
	return &Scheduler{log: log, loc: loc}
}

// Add schedules job under name: at each time of when (nil: only at start,
// with AtStart or AtStartInBackground). Add jobs before Start.
func (s *Scheduler) Add(name string, when cron.Schedule, job Job, opts ...Option) {
	e := &entry{name: name, when: when}
	for _, o := range opts {
		o(e)
	}
	l := cronLogger{s.log.With("job", name)}
	// Recover inside SkipIfStillRunning, so that a panic does not leave
	// the job marked as running for ever.
	e.job = cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() { s.run(e, job) }))
	s.entries = append(s.entries, e)
}

// run runs job once, logging how it went.
func (s *Scheduler) run(e *entry, job Job) {
	start := time.Now()
	err := job.Run(s.ctx)
	if err != nil && s.ctx.Err() == nil {
		s.log.Error("job failed", "job", e.name, "err", err)
		return
	}
	s.log.Debug("job done", "job", e.name, "took", time.Since(start).Round(time.Millisecond))
}

// Start runs the AtStart jobs, in the order they were added, starts the
// AtStartInBackground ones, and then the schedule. The jobs' ctx is a
// child of ctx.
func (s *Scheduler) Start(ctx context.Context) {
	s.ctx, s.cancel = context.WithCancel(ctx)
	for _, e := range s.entries {
		switch e.atStart {
		case startNow:
			e.job.Run()
		case startBackground:
			s.wg.Go(e.job.Run)
		}
	}
	l := cronLogger{s.log}
	s.cron = cron.New(cron.WithLocation(s.loc), cron.WithLogger(l))
	for _, e := range s.entries {
		if e.when != nil {
			s.cron.Schedule(e.when, e.job)
		}
	}
	s.cron.Start()
}

// Stop cancels the jobs' ctx, stops the schedule and waits for the jobs
// in flight to return.
func (s *Scheduler) Stop() {
	if s.cron == nil {
		return
	}
	s.cancel()
	<-s.cron.Stop().Done()
	s.wg.Wait()
}

// cronLogger adapts slog to cron.Logger. cron's own messages at Info are
// chatty (every wake-up), so they go to Debug.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{"err", err}, kv...)...)
}

// logOf is l, or a logger that discards.
func logOf(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
