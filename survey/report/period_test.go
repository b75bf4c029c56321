package report

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the tests name zones; a bare CI image may have none
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Period
		bad  bool
	}{
		{in: "2026-W47", want: Period{2026, 47}},
		{in: "2026-w07", want: Period{2026, 7}},
		{in: "2026W7", want: Period{2026, 7}},
		{in: " 2026-W01 ", want: Period{2026, 1}},
		{in: "2026-W53", want: Period{2026, 53}}, // 2026 begins on a Thursday
		{in: "2025-W53", bad: true},              // 2025 has 52 weeks
		{in: "2026-W00", bad: true},
		{in: "2026-W+1", bad: true},
		{in: "2026-47", bad: true},
		{in: "26-W47", bad: true},
		{in: "", bad: true},
		{in: "2026-W147", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePeriod(tc.in)
			if tc.bad {
				if !errors.Is(err, ErrPeriod) {
					t.Fatalf("ParsePeriod(%q) = %v, %v; want ErrPeriod", tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back, err := ParsePeriod(got.String()); err != nil || back != got {
				t.Errorf("round trip of %v: %v, %v", got, back, err)
			}
		})
	}
	if got := (Period{2026, 7}).String(); got != "2026-W07" {
		t.Errorf("String = %q, want 2026-W07", got)
	}
}

func TestPeriodDaysAndNeighbours(t *testing.T) {
	for _, tc := range []struct {
		p              Period
		monday, sunday string
		prev, next     Period
	}{
		{Period{2026, 47}, "2026-11-16", "2026-11-22", Period{2026, 46}, Period{2026, 48}},
		{Period{2026, 1}, "2025-12-29", "2026-01-04", Period{2025, 52}, Period{2026, 2}},
		{Period{2026, 53}, "2026-12-28", "2027-01-03", Period{2026, 52}, Period{2027, 1}},
		{Period{2027, 1}, "2027-01-04", "2027-01-10", Period{2026, 53}, Period{2027, 2}},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			m, s := tc.p.Days()
			if got := m.Format(time.DateOnly); got != tc.monday {
				t.Errorf("Monday = %s, want %s", got, tc.monday)
			}
			if got := s.Format(time.DateOnly); got != tc.sunday {
				t.Errorf("Sunday = %s, want %s", got, tc.sunday)
			}
			if got := tc.p.Prev(); got != tc.prev {
				t.Errorf("Prev = %v, want %v", got, tc.prev)
			}
			if got := tc.p.Next(); got != tc.next {
				t.Errorf("Next = %v, want %v", got, tc.next)
			}
		})
	}
}

// TestBoundsAcrossDST: the weeks of both clock changes in Europe/London in
// 2026 (29 March, 25 October) start and end at local midnight, so they are
// an hour shorter and longer than 7×24 hours, and instants either side of
// the bounds fall in the right week.
func TestBoundsAcrossDST(t *testing.T) {
	london := mustZone(t, "Europe/London")
	for _, tc := range []struct {
		name     string
		p        Period
		from, to string // UTC
		hours    float64
	}{
		{"spring forward", Period{2026, 13}, "2026-03-23T00:00:00Z", "2026-03-30T00:00:00+01:00", 167},
		{"fall back", Period{2026, 43}, "2026-10-19T00:00:00+01:00", "2026-10-26T00:00:00Z", 169},
		{"winter", Period{2026, 47}, "2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z", 168},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to := tc.p.Bounds(london)
			wantFrom, _ := time.Parse(time.RFC3339, tc.from)
			wantTo, _ := time.Parse(time.RFC3339, tc.to)
			if !from.Equal(wantFrom) || !to.Equal(wantTo) {
				t.Fatalf("Bounds = %v, %v; want %v, %v", from, to, wantFrom, wantTo)
			}
			if got := to.Sub(from).Hours(); got != tc.hours {
				t.Errorf("the week lasts %vh, want %vh", got, tc.hours)
			}
			for _, c := range []struct {
				at   time.Time
				want Period
			}{
				{from.Add(-time.Nanosecond), tc.p.Prev()},
				{from, tc.p},
				{to.Add(-time.Nanosecond), tc.p},
				{to, tc.p.Next()},
			} {
				if got := PeriodOf(c.at, london); got != c.want {
					t.Errorf("PeriodOf(%v) = %v, want %v", c.at, got, c.want)
				}
				if got := tc.p.Contains(c.at, london); got != (c.want == tc.p) {
					t.Errorf("Contains(%v) = %v", c.at, got)
				}
			}
		})
	}
	// In October, 23:30 UTC on Sunday 18th is already Monday in London.
	at := time.Date(2026, 10, 18, 23, 30, 0, 0, time.UTC)
	if got := PeriodOf(at, london); got != (Period{2026, 43}) {
		t.Errorf("PeriodOf(%v, London) = %v, want 2026-W43", at, got)
	}
	if got := PeriodOf(at, nil); got != (Period{2026, 42}) {
		t.Errorf("PeriodOf(%v, UTC) = %v, want 2026-W42", at, got)
	}
}

// TestMidnightGap: in a zone that moved its clocks at midnight (São Paulo
// until 2019), the day starts at the first instant that exists.
func TestMidnightGap(t *testing.T) {
	sp := mustZone(t, "America/Sao_Paulo")
	got := midnight(time.Date(2018, 11, 4, 0, 0, 0, 0, time.UTC), sp)
	if got.Day() != 4 || got.Hour() != 1 {
		t.Errorf("midnight of 4 Nov 2018 in São Paulo = %v, want 01:00 that day", got)
	}
}
