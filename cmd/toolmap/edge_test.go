package main

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/store"
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
	conflicts := func() []time.Time {
		var out []time.Time
		for _, c := range h.srv.Calls("getUpdates")[before:] {
			if c.Status == 409 {
				out = append(out, c.Time)
			}
		}
		return out
	}
	// The conflict first (a message sent now could be taken by the poll
	// already waiting, before any 409), then a message, answered once the
	// conflict is over.
	h.waitFor("three polls answered 409", func(*telegramtest.Server) bool { return len(conflicts()) >= 3 })
	r := h.respondent(81)
	r.u.Start("")
	r.waitText("Before we start")

	got := conflicts()
	if len(got) != 3 {
		t.Fatalf("%d polls answered 409, want 3", len(got))
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].Sub(got[i-1]); gap < 400*time.Millisecond {
			t.Errorf("poll %d came %v after a 409: the bot fights for the token", i+1, gap)
		}
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "another bot instance is using this token") {
		t.Errorf("no clear alert about the other instance in the log:\n%s", logs)
	}
}

// TestFullDiskDuringACommit: while commits fail (as on a full disk),
// nothing of the update is stored, it is not confirmed to Telegram, the
// respondent is asked to try again once (not on every retry), and when
// the disk has room again the update goes through, recorded once.
func TestFullDiskDuringACommit(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.stop()
	var failing atomic.Bool
	failed := make(chan struct{}, 1000)
	h.storeOptions = &store.Options{CommitFault: func() error {
		if !failing.Load() {
			return nil
		}
		failed <- struct{}{}
		return errors.New("write toolmap.db: no space left on device (simulated)")
	}}
	h.start()
	r := h.respondent(82)
	r.u.Start("")
	r.tap("✅ I agree")
	r.waitButton("✊ Campaign or protest")

	failing.Store(true)
	r.tap("✊ Campaign or protest")
	r.waitText("Please try again in a minute")
	// The bot keeps retrying the update: let it fail a few more times.
	deadline := time.After(15 * time.Second)
	for range 4 {
		select {
		case <-failed:
		case <-deadline:
			t.Fatalf("the update was not retried\n%s", h.logs.String())
		}
	}
	sorry := 0
	for _, m := range h.srv.BotMessages(r.u.ChatID()) {
		if strings.Contains(m.Rendered, "could not save that") {
			sorry++
		}
	}
	if sorry != 1 {
		t.Errorf("asked to try again %d times, want once a minute", sorry)
	}
	if !strings.Contains(h.logs.String(), "no space left on device") {
		t.Errorf("the failed commit is not in the log")
	}

	failing.Store(false)
	// The tapped message turns into the next question (above the apology).
	h.waitFor("the next question", func(srv *telegramtest.Server) bool {
		for _, m := range srv.BotMessages(r.u.ChatID()) {
			if strings.Contains(m.Rendered, "Roughly how many people") {
				return true
			}
		}
		return false
	})
	h.stop()
	sets := 0
	if err := h.openStore().AnswerLog(func(e store.LogEntry) error {
		if e.Kind == store.LogSet && e.Cursor == "group_kind" {
			sets++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sets != 1 {
		t.Errorf("the answer was recorded %d times, want once", sets)
	}
}
