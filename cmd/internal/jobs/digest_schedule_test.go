package jobs

import (
	"testing"
	"time"

	"toolmap/survey/report"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestScheduleNextDST checks the schedule's slots across daylight-saving
// changes with Schedule.Next, never by waiting: a weekly slot stays at
// 09:00 local time whether the clocks went forward or back, and a daily
// slot inside the spring-forward gap is skipped that day (robfig/cron#541),
// and one in the repeated autumn hour fires twice (harmless: the week's
// record is sent after the first).
func TestScheduleNextDST(t *testing.T) {
	for _, tc := range []struct {
		name, zone, spec string
		from             string // local, 2006-01-02 15:04
		want             []string
	}{
		{"London spring forward, weekly", "Europe/London", DefaultDigestSchedule, "2026-03-23 09:00",
			[]string{"2026-03-30 09:00 BST", "2026-04-06 09:00 BST"}},
		{"London fall back, weekly", "Europe/London", DefaultDigestSchedule, "2026-10-19 09:00",
			[]string{"2026-10-26 09:00 GMT", "2026-11-02 09:00 GMT"}},
		{"Berlin spring forward, Sunday 02:30 in the gap", "Europe/Berlin", "30 2 * * 0", "2026-03-22 03:00",
			[]string{"2026-04-05 02:30 CEST"}},
		{"Berlin fall back, daily 02:30 repeated hour", "Europe/Berlin", "30 2 * * *", "2026-10-24 03:00",
			// The repeated hour fires twice; the digest record makes the second a no-op.
			[]string{"2026-10-25 02:30 CEST", "2026-10-25 02:30 CET", "2026-10-26 02:30 CET"}},
		{"New York spring forward, weekly", "America/New_York", DefaultDigestSchedule, "2026-03-02 09:00",
			[]string{"2026-03-09 09:00 EDT", "2026-03-16 09:00 EDT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoc(t, tc.zone)
			sched, err := ParseCron(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			at, err := time.ParseInLocation("2006-01-02 15:04", tc.from, loc)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tc.want {
				at = sched.Next(at)
				if got := at.In(loc).Format("2006-01-02 15:04 MST"); got != want {
					t.Errorf("slot %d: %s, want %s", i+1, got, want)
				}
			}
		})
	}
}

// TestSlotPeriod: a slot posts the last whole ISO week before it, in the
// digest's time zone.
func TestSlotPeriod(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	auckland := mustLoc(t, "Pacific/Auckland")
	for _, tc := range []struct {
		at   time.Time
		loc  *time.Location
		want string
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, london), london, "2026-W47"},
		{time.Date(2026, 11, 29, 23, 59, 0, 0, london), london, "2026-W47"},
		{time.Date(2027, 1, 4, 9, 0, 0, 0, london), london, "2026-W53"},
		// Monday 09:00 in Auckland is still Sunday in UTC: the week is Auckland's.
		{time.Date(2026, 11, 23, 9, 0, 0, 0, auckland), auckland, "2026-W47"},
	} {
		if got := SlotPeriod(tc.at, tc.loc).String(); got != tc.want {
			t.Errorf("SlotPeriod(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

// TestMissedSlot: the latest slot within the grace window, if any.
func TestMissedSlot(t *testing.T) {
	london := mustLoc(t, "Europe/London")
	sched, err := ParseCron(DefaultDigestSchedule)
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 11, 23, 9, 0, 0, 0, london)
	for _, tc := range []struct {
		name  string
		now   time.Time
		grace time.Duration
		ok    bool
	}{
		{"at the slot", slot, time.Hour, true},
		{"an hour late, grace a day", slot.Add(time.Hour), 24 * time.Hour, true},
		{"two days late, grace a day", slot.Add(48 * time.Hour), 24 * time.Hour, false},
		{"just before the slot", slot.Add(-time.Minute), 24 * time.Hour, false},
		{"zero grace, a second late", slot.Add(time.Second), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := missedSlot(sched, tc.now, tc.grace, london)
			if ok != tc.ok || ok && !got.Equal(slot) {
				t.Errorf("missedSlot = %v, %v; want %v, %v", got, ok, slot, tc.ok)
			}
		})
	}
	// Several slots in the window: the latest.
	daily, _ := ParseCron("0 9 * * *")
	got, ok := missedSlot(daily, slot.Add(50*time.Hour), 72*time.Hour, london)
	if want := slot.Add(48 * time.Hour); !ok || !got.Equal(want) {
		t.Errorf("daily: %v, %v; want %v", got, ok, want)
	}
	if p := SlotPeriod(got, london); p != (report.Period{Year: 2026, Week: 47}) {
		t.Errorf("period of the Wednesday slot: %v", p)
	}
}

// TestCheckFires: a schedule whose date does not exist (30 February, 31
// April) or comes round less than once a year is refused; real ones pass,
// a monthly one on the 31st included.
func TestCheckFires(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for spec, ok := range map[string]bool{
		"0 9 30 2 *": false, "0 9 31 4 *": false, "0 0 31 11 *": false, "0 9 29 2 *": false, // next leap day is 2028
		"0 9 * * 1": true, "0 9 31 * *": true, "0 9 28 2 *": true, "@weekly": true,
	} {
		sched, err := ParseCron(spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckFires(spec, sched, now); (err == nil) != ok {
			t.Errorf("CheckFires(%q) = %v, want ok %v", spec, err, ok)
		}
	}
}
