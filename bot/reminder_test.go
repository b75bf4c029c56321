package bot

import (
	"testing"
	"time"
)

func TestReminderPolicyAwake(t *testing.T) {
	for _, c := range []struct {
		from, to, at int // minutes
		want         bool
	}{
		{9 * 60, 20 * 60, 9 * 60, true},
		{9 * 60, 20 * 60, 20 * 60, false},
		{9 * 60, 20 * 60, 8*60 + 59, false},
		{21 * 60, 7 * 60, 23 * 60, true},
		{21 * 60, 7 * 60, 3 * 60, true},
		{21 * 60, 7 * 60, 12 * 60, false},
	} {
		p := ReminderPolicy{From: c.from, To: c.to}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.at) * time.Minute)
		if got := p.Awake(now); got != c.want {
			t.Errorf("%d–%d at %d: %v, want %v", c.from, c.to, c.at, got, c.want)
		}
	}
}
