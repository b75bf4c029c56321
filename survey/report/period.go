package report

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is one ISO 8601 week, written "2026-W47": weeks start on Monday,
// and week 1 is the week with the year's first Thursday, so the first days
// of January may belong to the previous year's last week.
//
// A Period names calendar days, not instants: where it starts and ends
// depends on the time zone, see [Period.Bounds].
type Period struct {
	Year int // the ISO week-numbering year
	Week int // 1 to 52 or 53
}

// ErrPeriod is matched by errors from ParsePeriod.
var ErrPeriod = errors.New("not an ISO week such as 2026-W47")

// PeriodOf returns the ISO week that t falls in, in the time zone loc (nil
// means UTC).
func PeriodOf(t time.Time, loc *time.Location) Period {
	y, w := t.In(orUTC(loc)).ISOWeek()
	return Period{Year: y, Week: w}
}

// ParsePeriod reads a week written as "2026-W47" (also "2026-w47" and
// "2026W47"). The week must exist in that year.
func ParsePeriod(s string) (Period, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	y, w, ok := strings.Cut(t, "W")
	y = strings.TrimSuffix(y, "-")
	if !ok || len(y) != 4 || len(w) < 1 || len(w) > 2 {
		return Period{}, fmt.Errorf("%q: %w", s, ErrPeriod)
	}
	year, err1 := strconv.Atoi(y)
	week, err2 := strconv.Atoi(w)
	if err1 != nil || err2 != nil || year < 1 || week < 1 || week > WeeksIn(year) || w[0] == '+' || w[0] == '-' {
		return Period{}, fmt.Errorf("%q: %w", s, ErrPeriod)
	}
	return Period{Year: year, Week: week}, nil
}

// WeeksIn returns the number of ISO weeks in year: 52 or 53.
func WeeksIn(year int) int {
	_, w := time.Date(year, time.December, 28, 12, 0, 0, 0, time.UTC).ISOWeek()
	return w
}

// String writes the week as "2026-W47".
func (p Period) String() string { return fmt.Sprintf("%04d-W%02d", p.Year, p.Week) }

// IsZero reports whether p is the zero Period, which names no week.
func (p Period) IsZero() bool { return p == Period{} }

// monday returns the date of the week's Monday as a UTC midnight; only its
// year, month and day are meaningful.
func (p Period) monday() time.Time {
	jan4 := time.Date(p.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	return jan4.AddDate(0, 0, 7*(p.Week-1)-offset)
}

// Days returns the first and last day of the week, Monday and Sunday, as
// dates (midnight UTC; only year, month and day are meaningful). They are
// what a reader calls the week, whatever the time zone.
func (p Period) Days() (monday, sunday time.Time) {
	m := p.monday()
	return m, m.AddDate(0, 0, 6)
}

// Bounds returns the instants the week starts and ends in the time zone loc
// (nil means UTC): Monday 00:00 local time, and the next Monday 00:00, which
// is excluded. The two are computed from the calendar, never by adding 7×24
// hours, so a week with a daylight-saving change is 167 or 169 hours long.
// Where midnight does not exist (a zone that changes its clocks at
// midnight), the day starts at the first instant it does.
func (p Period) Bounds(loc *time.Location) (from, to time.Time) {
	loc = orUTC(loc)
	m := p.monday()
	return midnight(m, loc), midnight(m.AddDate(0, 0, 7), loc)
}

// midnight returns the first instant of date d's day in loc.
func midnight(d time.Time, loc *time.Location) time.Time {
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	// time.Date moves a midnight that does not exist by the size of the
	// gap, forward or back; back lands on the previous day.
	if t.Day() != d.Day() {
		t = time.Date(d.Year(), d.Month(), d.Day(), 1, 0, 0, 0, loc)
	}
	return t
}

// Dates writes the week's days for people, with the given month names
// (January first): "16–22 Nov 2026", "30 Nov – 6 Dec 2026",
// "28 Dec 2026 – 3 Jan 2027". Without twelve names, English ones.
func (p Period) Dates(months []string) string {
	month := func(t time.Time) string {
		if len(months) == 12 {
			return months[t.Month()-1]
		}
		return t.Month().String()[:3]
	}
	mon, sun := p.Days()
	switch {
	case mon.Year() != sun.Year():
		return mon.Format("2") + " " + month(mon) + " " + mon.Format("2006") + " – " + sun.Format("2") + " " + month(sun) + " " + sun.Format("2006")
	case mon.Month() != sun.Month():
		return mon.Format("2") + " " + month(mon) + " – " + sun.Format("2") + " " + month(sun) + " " + sun.Format("2006")
	}
	return mon.Format("2") + "–" + sun.Format("2") + " " + month(sun) + " " + sun.Format("2006")
}

// Prev returns the week before p.
func (p Period) Prev() Period {
	m, _ := p.Days()
	return PeriodOf(m.AddDate(0, 0, -7), time.UTC)
}

// Next returns the week after p.
func (p Period) Next() Period {
	m, _ := p.Days()
	return PeriodOf(m.AddDate(0, 0, 7), time.UTC)
}

// Contains reports whether instant t falls in the week in loc.
func (p Period) Contains(t time.Time, loc *time.Location) bool {
	from, to := p.Bounds(loc)
	return !t.Before(from) && t.Before(to)
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
