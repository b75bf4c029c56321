package export

import (
	"testing"
	"time"
)

func TestTimeCell(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2025, 3, 1, 9, 5, 7, 999_999_999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 30, 0, 0, time.FixedZone("", -5*3600)), // the next day in UTC
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(1_700_000_000, 0),
	} {
		if got, want := timeCell(tm), tm.UTC().Format(isoSeconds); got != want {
			t.Errorf("timeCell(%v) = %q, want %q", tm, got, want)
		}
	}
	if got := timeCell(time.Time{}); got != "" {
		t.Errorf("timeCell(zero) = %q, want empty", got)
	}
}
