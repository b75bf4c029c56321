package bot

import (
	"strconv"
	"strings"
)

// ParseWakingHours reads a range of local times such as "09:00-20:00" as
// minutes after midnight, for ReminderPolicy's From and To. A range like
// "21:00-07:00" spans midnight; an empty range (equal ends) is refused.
func ParseWakingHours(s string) (from, to int, ok bool) {
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	if from, ok = clockMinutes(a); !ok {
		return 0, 0, false
	}
	if to, ok = clockMinutes(b); !ok || from == to {
		return 0, 0, false
	}
	return from, to, true
}

// clockMinutes reads "09:30" as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	h, m, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, false
	}
	return hh*60 + mm, true
}
