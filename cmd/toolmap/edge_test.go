package main

import (
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
)

// Edge cases of issue 7 not covered elsewhere. Already covered:
// a second toolmap run on the same database (TestRunRefusesALockedDatabase),
// Telegram unreachable at start-up (TestStartupWaitsForTelegram), a corrupt
// database (TestRunRefusesACorruptDatabase, TestCheckFindsProblems).

// TestConflictIsAlertedWithoutAFight: while another instance holds the
// token (409 on getUpdates), the bot says so clearly in its log, backs off
// between polls instead of fighting for the token, and carries on once
// the other instance is gone.
func TestConflictIsAlertedWithoutAFight(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	before := h.srv.CallCount("getUpdates")
	h.srv.Fail("getUpdates", telegramtest.Conflict(), 3)
	r := h.respondent(81)
	r.u.Start("")
	r.waitText("Before we start") // answered once the conflict is over

	var conflicts []time.Time
	for _, c := range h.srv.Calls("getUpdates")[before:] {
		if c.Status == 409 {
			conflicts = append(conflicts, c.Time)
		}
	}
	if len(conflicts) != 3 {
		t.Fatalf("%d polls answered 409, want 3", len(conflicts))
	}
	for i := 1; i < len(conflicts); i++ {
		if gap := conflicts[i].Sub(conflicts[i-1]); gap < 400*time.Millisecond {
			t.Errorf("poll %d came %v after a 409: the bot fights for the token", i+1, gap)
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "another bot instance is using this token") {
		t.Errorf("no clear alert about the other instance in the log:\n%s", logs)
	}
}
