package adminsock

import (
	"path/filepath"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
)

// TestHealthReportsAStuckOutbox: an outbox that holds messages and
// delivers none for over two minutes makes /healthz fail, as does a bot
// that has not polled; an empty outbox is never stuck.
func TestHealthReportsAStuckOutbox(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "toolmap.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := NewHealth(bot.New(nil, nil, db, nil, nil), bot.NewSender(nil, db, nil), db, 30*time.Second)
	t0 := time.Now()
	rep, err := h.Report(t0)
	if err != nil || rep.OutboxStuck || rep.Polling || rep.OK {
		t.Fatalf("before any poll, empty outbox: %+v %v", rep, err)
	}
	if err := db.Enqueue(bot.Outgoing{Kind: bot.OutSend, ChatID: 1, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if rep, _ := h.Report(t0.Add(time.Minute)); rep.OutboxStuck || rep.OutboxDepth != 1 {
		t.Errorf("one minute with a queued message: %+v", rep)
	}
	if rep, _ := h.Report(t0.Add(4 * time.Minute)); !rep.OutboxStuck {
		t.Errorf("three minutes without a delivery: %+v", rep)
	}
}
