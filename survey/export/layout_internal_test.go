package export

import (
	"strings"
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

// The fast path of sheetWriter.text writes what escapeText would.
func textOut(s string) string {
	var b strings.Builder
	sw := &sheetWriter{w: &b}
	sw.text(s)
	return b.String()
}

var textSeeds = []string{
	"", "plain", "google_ws", "to_30", "_x0041_", "a_x00e9_b", "_x00G1_", "_", "x_", "Anunciar ñ é", "🙂 emoji",
	"\uFFFE", "\uFFFF", "a\uFFFDb", "\xff invalid", "\xef\xbf", "<b>&amp;</b>", "tab\there", "line\nbreak", "\x01ctl",
	strings.Repeat("a", maxCellChars), strings.Repeat("a", maxCellChars+1), strings.Repeat("é", maxCellChars/2+1),
}

func TestTextFastPath(t *testing.T) {
	for _, s := range textSeeds {
		if got, want := textOut(s), escapeText(s); got != want {
			t.Errorf("text(%.40q) = %.60q, want %.60q", s, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := textOut(s), escapeText(s); got != want {
			t.Fatalf("text(%q) = %q, want %q", s, got, want)
		}
	})
}
