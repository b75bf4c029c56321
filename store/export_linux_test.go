package store_test

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"toolmap/store"
	"toolmap/survey"
)

// mappedRSS returns how much of the file at path is resident in this
// process's memory through its memory maps (/proc/self/smaps).
func mappedRSS(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer f.Close()
	var total int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) >= 6 && strings.Contains(fields[0], "-") {
			in = fields[len(fields)-1] == path
			continue
		}
		if rest, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("smaps: %q", line)
			}
			total += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total
}

// An export drops the pages it has read from the process's memory, so
// that reading a large database does not make a large process.
func TestExportDropsMappedPages(t *testing.T) {
	clk := newClock()
	db, path := mustCreate(t, clk)
	// 2,000 responses of 8 kB each: about 16 MB of records. (The kernel may
	// map a large folio of the page cache at once: a few MB.)
	text := strings.Repeat("lots to say ", 680)
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	err := db.Update(func(tx *store.Tx) error {
		for i := range 2000 {
			at := t0.Add(time.Duration(i) * time.Minute)
			s := survey.Session{SurveyID: "test", Version: 1, Language: "en", Status: survey.StatusCompleted,
				Consent: &survey.Consented{Version: 1, At: at}, StartedAt: at, UpdatedAt: at, CompletedAt: at,
				Answers: map[string]survey.Answer{"note": {Question: "note", Text: text, Version: 1, At: at}}}
			if err := tx.ApplyStep(survey.RespondentID(i+1), survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	export := func(maxResident int) int64 {
		n := 0
		err := db.Export(t.Context(), store.ExportOptions{MaxResident: maxResident}, func(survey.RespondentID, survey.Session) error {
			n++
			return nil
		})
		if err != nil || n != 2000 {
			t.Fatalf("export: %d, %v", n, err)
		}
		return mappedRSS(t, path)
	}
	kept := export(1 << 40)
	// The kernel's accounting of mapped pages moves under load (one run in
	// many, on a busy machine, kept 10 MB after dropping): the best of
	// three exports must show the drop, which without it never comes.
	dropped := export(256 << 10)
	for range 2 {
		if dropped <= kept/3 {
			break
		}
		dropped = min(dropped, export(256<<10))
	}
	t.Logf("database resident after an export: %d kB keeping every page, %d kB dropping them every 256 kB", kept>>10, dropped>>10)
	if kept < 12<<20 || dropped > kept/2 {
		t.Errorf("%d kB of the database resident after the export, %d kB keeping every page: want the records read (16 MB) to be dropped", dropped>>10, kept>>10)
	}
}
