package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/store"
	"toolmap/store/storetest"
)

// The promises of docs/privacy.md, end to end: the real bot against the
// fake Telegram, then every byte of the database file searched for
// anything derived from a person's Telegram id (store/storetest: the id
// raw either way round, in decimal and hex, and hashed, plain or keyed
// with any key the file holds, in every encoding the file could use).
// The survey is testdata/privacy.yaml, so that changes to the built-in
// survey leave these tests alone.

// Telegram ids as real ones are: large, so that their bytes do not turn
// up by chance.
const (
	pvAlice int64 = 7_391_024_586
	pvBob   int64 = 6_102_337_941
	pvCarol int64 = 5_880_412_773
)

// privacyHarness runs the bot on the privacy test survey.
func privacyHarness(t *testing.T, setup func(*harness)) *harness {
	t.Helper()
	survey, err := filepath.Abs(filepath.Join("testdata", "privacy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return newHarnessWith(t, telegramtest.Options{}, func(h *harness) {
		h.cfg.Survey = survey
		if setup != nil {
			setup(h)
		}
	})
}

// finishPrivacy answers the privacy test survey, with source and the text
// answer hard, and returns the personal code offered at the end.
func (r *respondent) finishPrivacy(source, hard string) string {
	r.h.t.Helper()
	r.u.Start(source)
	r.tap("✅ I agree")
	r.tap("Choir")
	r.waitText("What is hard?")
	r.say(hard)
	m := r.waitText("Pass them your personal link")
	got := personalLink.FindStringSubmatch(m.Rendered)
	if got == nil {
		r.h.t.Fatalf("no personal link in:\n%s", m.Rendered)
	}
	return got[1]
}

// traces stops the bot (its last deliveries are written as it closes),
// compacts the database when compact is set (as the bot does daily, and
// at start-up), and returns what of each id's forms is left in the file.
func (h *harness) traces(compact bool, ids ...int64) map[int64][]string {
	h.t.Helper()
	h.stop()
	if compact {
		db, err := store.Open(h.cfg.Database, nil)
		if err != nil {
			h.t.Fatal(err)
		}
		if _, err := db.Compact(); err != nil {
			h.t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			h.t.Fatal(err)
		}
	}
	out := map[int64][]string{}
	for _, id := range ids {
		found, err := storetest.Traces(h.cfg.Database, id)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(found) > 0 {
			out[id] = found
		}
	}
	return out
}

// fileHolds reports whether the database file holds s: a check that the
// scans have something to find.
func (h *harness) fileHolds(s string) bool {
	h.t.Helper()
	data, err := os.ReadFile(h.cfg.Database)
	if err != nil {
		h.t.Fatal(err)
	}
	return bytes.Contains(data, []byte(s))
}

// TestWholeFileScanAfterDelete: after /delete (and the compaction that
// follows within a day), nothing in the file derives from the person's
// Telegram id: not their records, not their personal code in the rows of
// the person they referred, not the keys of their messages and taps.
func TestWholeFileScanAfterDelete(t *testing.T) {
	h := privacyHarness(t, nil)
	alice, bob := h.respondent(pvAlice), h.respondent(pvBob)
	code := alice.finishPrivacy("s-flyer", "MARKER-alice")
	bob.finishPrivacy(code, "MARKER-bob")
	// The scan finds alice while she is there: her id raw and in decimal,
	// her code (a keyed hash of it).
	found := strings.Join(h.traces(false, pvAlice)[pvAlice], "; ")
	for _, want := range []string{"id as 8 big-endian bytes", "id in decimal", "hmac of the decimal under key 0, as a referral code"} {
		if !strings.Contains(found, want) {
			t.Errorf("before /delete the scan does not find %q of alice: %s", want, found)
		}
	}
	h.start()
	alice.say("/mydata")
	alice.waitText("Everything stored about you")
	alice.say("/delete")
	alice.tap("🗑 Yes, delete everything")
	alice.waitText("everything stored about you has been deleted")
	if left := h.traces(true, pvAlice); len(left) > 0 {
		t.Errorf("after /delete the file still holds, of alice's id: %v", left)
	}
	if h.fileHolds("MARKER-alice") || h.fileHolds(code) {
		t.Error("after /delete the file still holds alice's answer or code")
	}
	if !h.fileHolds("MARKER-bob") {
		t.Error("bob's answer is gone too: the scan proves nothing")
	}
	// Answers never reach the log.
	if strings.Contains(h.logs.String(), "MARKER-") {
		t.Errorf("an answer is in the log:\n%s", h.logs.String())
	}
}

// TestWholeFileScanAfterRetention: once retention has run (it compacts
// by itself), nothing in the file derives from the Telegram ids of those
// it anonymised, the referrer's code included; their answers stay.
func TestWholeFileScanAfterRetention(t *testing.T) {
	h := privacyHarness(t, func(h *harness) { h.cfg.Retention.Days = 1 })
	alice, bob := h.respondent(pvAlice), h.respondent(pvBob)
	code := alice.finishPrivacy("", "MARKER-alice")
	bob.finishPrivacy(code, "MARKER-bob")
	alice.say("/privacy")
	alice.waitText("After 1 days your Telegram id is removed")
	h.stop()
	// Two days on: the start-up retention drops both ids.
	h.storeOptions = &store.Options{Now: func() time.Time { return time.Now().Add(48 * time.Hour) }}
	h.start()
	if left := h.traces(false, pvAlice, pvBob); len(left) > 0 {
		t.Errorf("after retention the file still holds: %v", left)
	}
	if h.fileHolds(code) {
		t.Errorf("after retention the file still holds alice's old code %s", code)
	}
	if !h.fileHolds("MARKER-alice") || !h.fileHolds("MARKER-bob") {
		t.Error("retention lost the answers")
	}
}

// TestWholeFileScanAfterDeclining: declining the notice leaves only the
// refusal count. Someone who finished, started again (/mydata then shows
// the answers kept from when they finished) and declines a new version of
// the notice is warned, told everything was deleted, and is: nothing in
// the file derives from either id.
func TestWholeFileScanAfterDeclining(t *testing.T) {
	h := privacyHarness(t, nil)
	alice, bob, carol := h.respondent(pvAlice), h.respondent(pvBob), h.respondent(pvCarol)
	bob.finishPrivacy("s-flyer", "MARKER-bob")
	alice.u.Start("s-flyer")
	alice.tap("No thanks")
	alice.waitText("nothing about you is kept")
	carol.finishPrivacy("", "MARKER-carol")
	carol.say("/restart")
	carol.waitText("What kind of group is it?")
	carol.say("/mydata")
	m := carol.waitText("Everything stored about you")
	if !strings.Contains(m.Rendered, "Your answers as they were when you finished") || !strings.Contains(m.Rendered, "MARKER-carol") {
		t.Errorf("/mydata after /restart does not show the answers kept from the finish:\n%s", m.Rendered)
	}

	// A new version of the notice.
	h.stop()
	data, err := os.ReadFile(h.cfg.Survey)
	if err != nil {
		t.Fatal(err)
	}
	v2 := filepath.Join(t.TempDir(), "privacy-v2.yaml")
	if err := os.WriteFile(v2, bytes.Replace(data, []byte("consent:\n  version: 1"), []byte("consent:\n  version: 2"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cfg.Survey = v2
	h.start()
	carol.u.Start("")
	carol.waitText("If you tap “No thanks”, everything stored about you, including your earlier answers, is deleted.")
	carol.tap("No thanks")
	carol.waitText("everything stored about you has been deleted, including your earlier answers")
	carol.say("/mydata")
	carol.waitText("Nothing is stored about you.")

	if left := h.traces(true, pvAlice, pvCarol); len(left) > 0 {
		t.Errorf("after declining the file still holds: %v", left)
	}
	if h.fileHolds("MARKER-carol") || !h.fileHolds("MARKER-bob") {
		t.Error("carol's answer is kept, or bob's is gone")
	}
	db := h.openStore()
	if n, err := db.Counter(store.CounterConsentDeclined); n != 2 || err != nil {
		t.Errorf("refusals counted: %d %v, want 2", n, err)
	}
}
