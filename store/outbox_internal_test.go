package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
)

// item is the part of an outboxItem the tests compare.
type item struct {
	Seq       uint64
	Chat      int64
	NotBefore time.Time
	Attempts  int
	Payload   string
}

func outbox(t *testing.T, db *DB, limit int) []item {
	t.Helper()
	items, err := db.outbox(limit)
	if err != nil {
		t.Fatalf("Outbox(%d): %v", limit, err)
	}
	var out []item
	for _, it := range items {
		out = append(out, item{it.Seq, it.ChatID, it.NotBefore, it.Attempts, string(it.Payload)})
	}
	return out
}

func enqueue(t *testing.T, db *DB, chatID int64, payloads ...string) []uint64 {
	t.Helper()
	var seqs []uint64
	err := db.Update(func(tx *Tx) error {
		seqs = seqs[:0]
		for _, p := range payloads {
			seq, err := tx.enqueue(chatID, []byte(p))
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return seqs
}

func TestOutbox(t *testing.T) {
	db, path := bsCreate(t)
	if got := outbox(t, db, 0); got != nil {
		t.Fatalf("Outbox of a new database = %v", got)
	}
	enqueue(t, db, 10, "a1", "a2")
	enqueue(t, db, -1001234, "group")
	enqueue(t, db, 20, "b1", "")
	want := []item{
		{Seq: 1, Chat: 10, Payload: "a1"},
		{Seq: 2, Chat: 10, Payload: "a2"},
		{Seq: 3, Chat: -1001234, Payload: "group"},
		{Seq: 4, Chat: 20, Payload: "b1"},
		{Seq: 5, Chat: 20, Payload: ""},
	}
	if diff := cmp.Diff(want, outbox(t, db, 0)); diff != "" {
		t.Fatalf("outbox (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[:2], outbox(t, db, 2)); diff != "" {
		t.Errorf("Outbox(2) (-want +got):\n%s", diff)
	}

	// Retry keeps the place in the queue.
	later := time.Date(2025, 3, 1, 9, 0, 30, 0, time.UTC)
	if err := db.outboxRetry(2, later, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.outboxRetry(2, later.Add(time.Minute), 2); err != nil {
		t.Fatal(err)
	}
	want[1].NotBefore, want[1].Attempts = later.Add(time.Minute), 2
	// Done removes; removing twice is harmless.
	for _, seq := range []uint64{1, 4, 4} {
		if err := db.outboxDone(seq); err != nil {
			t.Fatal(err)
		}
	}
	want = []item{want[1], want[2], want[4]}
	if diff := cmp.Diff(want, outbox(t, db, 0)); diff != "" {
		t.Errorf("after retry and done (-want +got):\n%s", diff)
	}
	if err := db.outboxRetry(1, later, 1); err == nil || !strings.Contains(err.Error(), "outbox item 1") {
		t.Errorf("OutboxRetry of a removed item = %v, want an error naming it", err)
	}
	if err := db.outboxRetry(2, later, -1); err == nil {
		t.Error("OutboxRetry with -1 attempts succeeded")
	}
	if n, err := db.OutboxLen(); err != nil || n != 3 {
		t.Errorf("OutboxLen() = %d, %v; want 3", n, err)
	}

	bsClose(t, db)
	db = bsOpen(t, path)
	if diff := cmp.Diff(want, outbox(t, db, 0)); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
	// Sequence numbers are never reused, even after the tail was removed.
	if err := db.outboxDone(5); err != nil {
		t.Fatal(err)
	}
	if got := enqueue(t, db, 10, "a3"); got[0] != 6 {
		t.Errorf("next sequence = %d, want 6", got[0])
	}
	err := db.View(func(tx *Tx) error {
		it, ok, err := tx.outboxItem(6)
		if err != nil || !ok || string(it.Payload) != "a3" || it.ChatID != 10 {
			t.Errorf("OutboxItem(6) = %+v, %v, %v", it, ok, err)
		}
		if _, ok, err := tx.outboxItem(1); ok || err != nil {
			t.Errorf("OutboxItem(1) = found %v, %v; want nothing", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChatRecord(t *testing.T) {
	db, path := bsCreate(t)
	if r, ok, err := chatRecordOf(t, db, 7); err != nil || ok || r.State != nil || r.PromptMessageID != 0 {
		t.Fatalf("ChatRecord of a new chat = %+v, %v, %v", r, ok, err)
	}
	if err := db.putChatRecord(7, chatRecord{State: []byte(`{"unreachable":true}`)}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error { return tx.setPromptMessage(7, 555) })
	if err != nil {
		t.Fatal(err)
	}
	// A prompt id without state.
	if err := db.Update(func(tx *Tx) error { return tx.setPromptMessage(8, 9) }); err != nil {
		t.Fatal(err)
	}
	bsClose(t, db)
	db = bsOpen(t, path)
	for _, tt := range []struct {
		chatID int64
		want   chatRecord
	}{
		{7, chatRecord{State: []byte(`{"unreachable":true}`), PromptMessageID: 555}},
		{8, chatRecord{PromptMessageID: 9}},
	} {
		got, ok, err := chatRecordOf(t, db, tt.chatID)
		if err != nil || !ok {
			t.Errorf("ChatRecord(%d) = %v, %v", tt.chatID, ok, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ChatRecord(%d) (-want +got):\n%s", tt.chatID, diff)
		}
	}
}

// TestDeliveredPromptIsWrittenAtOnce: writing a delivered prompt removes
// the item and records its message as the chat's prompt in one
// transaction: after a crash both have happened or neither has.
func TestDeliveredPromptIsWrittenAtOnce(t *testing.T) {
	db, path := bsCreate(t)
	seqs := enqueue(t, db, 7, "question 1", "question 2")
	if err := db.putChatRecord(7, chatRecord{State: []byte("{}"), PromptMessageID: 100}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *Tx) error {
		// The prompt is recorded only for a chat with a session.
		s := survey.Session{SurveyID: "bs", Version: 1, Status: survey.StatusActive}
		if err := tx.ApplyStep(7, survey.Session{}, s, nil); err != nil {
			return err
		}
		return tx.writeAcks([]ack{{seq: seqs[0], chat: 7, prompt: true, msg: 101}})
	})
	if err != nil {
		t.Fatal(err)
	}
	bsClose(t, db)
	db = bsOpen(t, path)
	if diff := cmp.Diff([]item{{Seq: seqs[1], Chat: 7, Payload: "question 2"}}, outbox(t, db, 0)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	want := chatRecord{State: []byte("{}"), PromptMessageID: 101}
	if got, _, err := chatRecordOf(t, db, 7); err != nil || !cmp.Equal(want, got) {
		t.Errorf("ChatRecord(7) = %+v, %v; want %+v", got, err, want)
	}

	// The same in a failing transaction changes nothing.
	errStop := errors.New("stop")
	err = db.Update(func(tx *Tx) error {
		if err := tx.writeAcks([]ack{{seq: seqs[1], chat: 7, prompt: true, msg: 102}}); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update = %v", err)
	}
	if n, err := db.OutboxLen(); err != nil || n != 1 {
		t.Errorf("OutboxLen() = %d, %v; want 1", n, err)
	}
	if got, _, err := chatRecordOf(t, db, 7); err != nil || got.PromptMessageID != 101 {
		t.Errorf("prompt = %d, %v; want 101", got.PromptMessageID, err)
	}
}

// Everything read is a copy: it stays valid, and unchanged, after the
// transaction, after more writes, and after the database is closed. bbolt's
// own slices point into its read-only memory map, which Close unmaps: had
// the store passed one on, the writes and reads below would crash the test
// (values over a quarter page, so that the buckets are not inline: bbolt
// copies small inline buckets to the heap).
func TestBytesOutliveNoTransaction(t *testing.T) {
	db, _ := bsCreate(t)
	payload := []byte(strings.Repeat("payload ", 600))
	err := db.Update(func(tx *Tx) error {
		if _, err := tx.enqueue(1, payload); err != nil {
			return err
		}
		return tx.putChatRecord(1, chatRecord{State: payload, PromptMessageID: 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := string(payload)
	payload[0] = 'X' // the caller's slice is not kept either

	items, err := db.outbox(0)
	if err != nil || len(items) != 1 {
		t.Fatalf("Outbox = %v, %v", items, err)
	}
	var inTx []byte
	_ = db.View(func(tx *Tx) error {
		items, err := tx.outbox(0)
		if err == nil && len(items) == 1 {
			inTx = items[0].Payload
		}
		return nil
	})
	rec, _, err := chatRecordOf(t, db, 1)
	if err != nil {
		t.Fatal(err)
	}
	items[0].Payload[1] = 'Y' // changing a copy changes nothing stored

	// Grow and rewrite the file so that its pages move and are reused.
	big := make([]byte, 64<<10)
	for i := range 64 {
		enqueue(t, db, int64(i), string(big))
	}
	for seq := uint64(2); seq <= 65; seq++ {
		if err := db.outboxDone(seq); err != nil {
			t.Fatal(err)
		}
	}
	again, err := db.outbox(0)
	if err != nil || len(again) != 1 || string(again[0].Payload) != want {
		t.Errorf("stored payload changed: %d items, %v", len(again), err)
	}
	bsClose(t, db)

	if got := string(items[0].Payload[2:]); got != want[2:] {
		t.Errorf("payload read by DB.Outbox changed after close")
	}
	if string(inTx) != want {
		t.Errorf("payload read by Tx.Outbox changed after close")
	}
	if string(rec.State) != want || rec.PromptMessageID != 3 {
		t.Errorf("chat record changed after close")
	}
}

// The DB-level wrappers the tests above use.

func (db *DB) outboxRetry(seq uint64, notBefore time.Time, attempts int) error {
	return db.Update(func(tx *Tx) error { return tx.outboxRetry(seq, notBefore, attempts) })
}

func (db *DB) outboxDone(seq uint64) error {
	return db.Update(func(tx *Tx) error { return tx.outboxDone(seq) })
}

func (db *DB) putChatRecord(chatID int64, r chatRecord) error {
	return db.Update(func(tx *Tx) error { return tx.putChatRecord(chatID, r) })
}
