package bot

import "testing"

func TestParseWakingHours(t *testing.T) {
	for _, tc := range []struct {
		in       string
		from, to int
		ok       bool
	}{
		{"09:00-20:00", 9 * 60, 20 * 60, true},
		{" 21:30 - 07:00 ", 21*60 + 30, 7 * 60, true},
		{"00:00-24:00", 0, 24 * 60, true},
		{"09:00-09:00", 0, 0, false},
		{"9:00-20:00", 0, 0, false},
		{"09:00", 0, 0, false},
		{"09:60-20:00", 0, 0, false},
		{"24:01-08:00", 0, 0, false},
		{"aa:bb-cc:dd", 0, 0, false},
	} {
		from, to, ok := ParseWakingHours(tc.in)
		if ok != tc.ok || (ok && (from != tc.from || to != tc.to)) {
			t.Errorf("ParseWakingHours(%q) = %d, %d, %v; want %d, %d, %v", tc.in, from, to, ok, tc.from, tc.to, tc.ok)
		}
	}
}
