package export

import (
	"bytes"
	"errors"
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

type failingWriter struct {
	ok  int // writes that succeed
	got bytes.Buffer
}

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.ok == 0 {
		return 0, errDiskFull
	}
	f.ok--
	return f.got.Write(p)
}

func TestBlockPipe(t *testing.T) {
	// Everything passes, in order.
	fw := &failingWriter{ok: 1 << 30}
	bp := newBlockPipe(fw)
	var want bytes.Buffer
	for i := range 3000 {
		b := bytes.Repeat([]byte{byte(i)}, i%900+1)
		want.Write(b)
		if n, err := bp.Write(b); n != len(b) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := bp.Close(); err != nil || !bytes.Equal(fw.got.Bytes(), want.Bytes()) {
		t.Fatalf("close: %v; passed on %d bytes of %d", err, fw.got.Len(), want.Len())
	}
	if _, err := bp.Write([]byte("late")); err == nil {
		t.Error("a write after Close succeeded")
	}
	// The writer's error comes back from a later Write, and from Close.
	bp = newBlockPipe(&failingWriter{ok: 2})
	var err error
	for i := 0; i < 10 && err == nil; i++ {
		_, err = bp.Write([]byte("block"))
	}
	if !errors.Is(err, errDiskFull) {
		t.Errorf("Write: %v, want the writer's error", err)
	}
	if err := bp.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close: %v, want the writer's error", err)
	}
	bp = newBlockPipe(&failingWriter{})
	if _, err := bp.Write([]byte("only")); err != nil {
		t.Fatal(err)
	}
	if err := bp.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close: %v, want the writer's error", err)
	}
}
