package jobs

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/store/storetest"
	"toolmap/survey"
)

// TestPreConsentForgetsWithinADay: the job, on the database's clock,
// keeps someone who sent /start but did not answer the notice for
// PreConsentFor, and forgets them after; run every PreConsentEvery, that
// is within a day.
func TestPreConsentForgetsWithinADay(t *testing.T) {
	now := jNow
	db, err := store.Open(filepath.Join(t.TempDir(), "jobs.db"), &store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustCommit(t, db, bot.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, jStep(jDef(t), 7, survey.Input{Kind: survey.InputStart, Text: "s-x"}))
	job := PreConsent{DB: db}
	for _, tc := range []struct {
		after time.Duration
		kept  bool
	}{{0, true}, {PreConsentFor - time.Minute, true}, {PreConsentFor + time.Minute, false}} {
		now = jNow.Add(tc.after)
		if err := job.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db.Session(7); ok != tc.kept {
			t.Errorf("%v after /start: session kept %v, want %v", tc.after, ok, tc.kept)
		}
	}
	if PreConsentFor+PreConsentEvery > 24*time.Hour {
		t.Errorf("someone who never answers may be kept %v, more than a day", PreConsentFor+PreConsentEvery)
	}
}

// TestRetentionCompacts: when retention drops Telegram ids it compacts
// the database itself, so that the ids leave the file with it (without
// waiting for the next compaction).
func TestRetentionCompacts(t *testing.T) {
	now := jNow
	path := filepath.Join(t.TempDir(), "jobs.db")
	db, err := store.Open(path, &store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	const id = 7_391_024_586
	def := jDef(t)
	for i, in := range []survey.Input{{Kind: survey.InputStart}, {Kind: survey.InputAgree}, {Kind: survey.InputChoose, Option: "dev"}} {
		mustCommit(t, db, bot.Update{ID: int64(i + 1), Keys: []string{fmt.Sprintf("m:%d:%d", id, i)}}, id, jStep(def, id, in))
	}
	now = jNow.Add(3 * 24 * time.Hour)
	if err := (Retention{DB: db, Days: 1}).Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if left, err := storetest.Traces(path, id); err != nil || len(left) > 0 {
		t.Errorf("after retention the file still holds %v (%v)", left, err)
	}
}
