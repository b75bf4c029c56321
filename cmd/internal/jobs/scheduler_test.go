package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestScheduler runs the scheduler on synctest's fake clock: jobs at
// start (before Start returns, or beside it), at each time of their
// schedules, never twice at once, a panic recovered and an error logged
// with the job's name; Stop cancels the jobs' context and waits for them.
func TestScheduler(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs syncBuf
		s := NewScheduler(slog.New(slog.NewTextHandler(&logs, nil)), nil)
		var atStart, hourly, panicky, failing, slow atomic.Int32
		s.Add("at-start", Every(24*time.Hour), Func(func(ctx context.Context) error { atStart.Add(1); return nil }), AtStart())
		s.Add("hourly", Every(time.Hour), Func(func(ctx context.Context) error { hourly.Add(1); return nil }))
		s.Add("panicky", Every(time.Hour), Func(func(ctx context.Context) error {
			if panicky.Add(1) == 1 {
				panic("boom")
			}
			return nil
		}))
		s.Add("failing", Every(time.Hour), Func(func(ctx context.Context) error { failing.Add(1); return errors.New("disk on fire") }))
		// Runs for 90 minutes from its first start: the run at 2h is skipped.
		s.Add("slow", Every(time.Hour), Func(func(ctx context.Context) error {
			slow.Add(1)
			select {
			case <-time.After(90 * time.Minute):
			case <-ctx.Done():
			}
			return nil
		}))
		stopped := make(chan struct{})
		s.Add("background", nil, Func(func(ctx context.Context) error {
			<-ctx.Done() // runs until Stop
			close(stopped)
			return ctx.Err()
		}), AtStartInBackground())

		s.Start(t.Context())
		if atStart.Load() != 1 || hourly.Load() != 0 {
			t.Fatalf("after Start: at-start ran %d times, hourly %d; want 1, 0", atStart.Load(), hourly.Load())
		}
		time.Sleep(3*time.Hour + time.Second)
		synctest.Wait()
		if got := [...]int32{atStart.Load(), hourly.Load(), panicky.Load(), failing.Load(), slow.Load()}; got != [...]int32{1, 3, 3, 3, 2} {
			t.Errorf("runs after 3 hours (at-start, hourly, panicky, failing, slow) = %v, want [1 3 3 3 2]", got)
		}
		s.Stop()
		select {
		case <-stopped:
		default:
			t.Error("Stop returned before the background job ended")
		}
		out := logs.String()
		for _, want := range []string{`job=failing err="disk on fire"`, "boom"} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "job=background err") {
			t.Errorf("a job cancelled by Stop was logged as failed:\n%s", out)
		}
	})
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
