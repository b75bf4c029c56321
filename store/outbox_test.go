package store_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
)

// schema1File writes a database as toolmap with schema 1 left it: the six
// buckets, schema 1, and one session of respondent 5.
func schema1File(t *testing.T, path string, sess survey.Session) {
	t.Helper()
	b := rawBolt(t, path, false)
	err := b.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "sessions", "responses", "response_keys", "answer_log", "counters"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1)); err != nil {
			return err
		}
		data, err := json.Marshal(sess)
		if err != nil {
			return err
		}
		return tx.Bucket([]byte("sessions")).Put(binary.BigEndian.AppendUint64(nil, 5), data)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenMigratesSchema1(t *testing.T) {
	def, clk := testDef(t), newClock()
	path := filepath.Join(t.TempDir(), "v1.db")
	sess, _, err := survey.Step(def, survey.Session{}, start, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	schema1File(t, path, sess)

	if _, err := store.Open(path, &store.Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "has schema 1, older than this toolmap") {
		t.Errorf("read-only Open of schema 1: got %v, want an error asking to open it read-write", err)
	}

	db := mustOpen(t, path, &store.Options{Now: clk.Now})
	got, ok, err := db.Session(5)
	if err != nil || !ok {
		t.Fatalf("Session(5) after migration = %v, %v", ok, err)
	}
	if diff := cmp.Diff(sess, got); diff != "" {
		t.Errorf("session after migration (-want +got):\n%s", diff)
	}
	if off, err := db.Offset(); err != nil || off != 0 {
		t.Errorf("Offset() = %d, %v; want 0", off, err)
	}
	if n, err := db.OutboxLen(); err != nil || n != 0 {
		t.Errorf("OutboxLen() = %d, %v; want 0", n, err)
	}
	// The conversation carries on, and the new buckets take writes.
	run(t, db, def, clk, 5, agree, choose("ops"), toggle("jira"), done)
	err = db.Update(func(tx *store.Tx) error {
		if _, err := tx.Enqueue(5, []byte("hi")); err != nil {
			return err
		}
		if err := tx.MarkSeen("m:5:1", clk.Now()); err != nil {
			return err
		}
		return tx.SetOffset(10)
	})
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)

	c := contents(t, path)
	want := map[string]uint64{
		"meta": 2, "meta/schema": store.Schema, "meta/referral_secret": 32,
		"sessions": 1, "responses": 1, "response_keys": 1, "answer_log": 4, // consented, role, tools, completed
		"counters": 0, "updates": 1, "seen": 1, "outbox": 1, "chats": 0, "digests": 0,
		"referrals": 0, "referral_of": 0, "digest_index": 1, // the response, indexed by the migration
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
}

func TestOffset(t *testing.T) {
	db, path := mustCreate(t, nil)
	if off, err := db.Offset(); err != nil || off != 0 {
		t.Fatalf("Offset() of a new database = %d, %v; want 0", off, err)
	}
	// After a week of silence Telegram picks update ids at random: the
	// offset must be allowed to go down.
	for _, want := range []int64{100, 987654321012, 5, 6, -1, 1 << 62} {
		if err := db.Update(func(tx *store.Tx) error { return tx.SetOffset(want) }); err != nil {
			t.Fatal(err)
		}
		if got, err := db.Offset(); err != nil || got != want {
			t.Errorf("Offset() after SetOffset(%d) = %d, %v", want, got, err)
		}
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.SetOffset(42) }); err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	db = mustOpen(t, path, nil)
	if got, err := db.Offset(); err != nil || got != 42 {
		t.Errorf("Offset() after reopening = %d, %v; want 42", got, err)
	}
}

func TestOffsetRolledBack(t *testing.T) {
	db, _ := mustCreate(t, nil)
	if err := db.Update(func(tx *store.Tx) error { return tx.SetOffset(7) }); err != nil {
		t.Fatal(err)
	}
	errStop := errors.New("stop")
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.SetOffset(8); err != nil {
			return err
		}
		if _, err := tx.Enqueue(1, []byte("x")); err != nil {
			return err
		}
		if err := tx.MarkSeen("c:1", newClock().Now()); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update = %v, want errStop", err)
	}
	if got, err := db.Offset(); err != nil || got != 7 {
		t.Errorf("Offset() = %d, %v; want 7", got, err)
	}
	if n, err := db.OutboxLen(); err != nil || n != 0 {
		t.Errorf("OutboxLen() = %d, %v; want 0", n, err)
	}
	_ = db.View(func(tx *store.Tx) error {
		if tx.Seen("c:1") {
			t.Error("a rolled-back key is seen")
		}
		return nil
	})
}

// item is the part of an OutboxItem the tests compare.
type item struct {
	Seq       uint64
	Chat      int64
	NotBefore time.Time
	Attempts  int
	Payload   string
}

func outbox(t *testing.T, db *store.DB, limit int) []item {
	t.Helper()
	items, err := db.Outbox(limit)
	if err != nil {
		t.Fatalf("Outbox(%d): %v", limit, err)
	}
	var out []item
	for _, it := range items {
		out = append(out, item{it.Seq, it.ChatID, it.NotBefore, it.Attempts, string(it.Payload)})
	}
	return out
}

func enqueue(t *testing.T, db *store.DB, chat int64, payloads ...string) []uint64 {
	t.Helper()
	var seqs []uint64
	err := db.Update(func(tx *store.Tx) error {
		seqs = seqs[:0]
		for _, p := range payloads {
			seq, err := tx.Enqueue(chat, []byte(p))
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
	db, path := mustCreate(t, nil)
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
	if err := db.OutboxRetry(2, later, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxRetry(2, later.Add(time.Minute), 2); err != nil {
		t.Fatal(err)
	}
	want[1].NotBefore, want[1].Attempts = later.Add(time.Minute), 2
	// Done removes; removing twice is harmless.
	for _, seq := range []uint64{1, 4, 4} {
		if err := db.OutboxDone(seq); err != nil {
			t.Fatal(err)
		}
	}
	want = []item{want[1], want[2], want[4]}
	if diff := cmp.Diff(want, outbox(t, db, 0)); diff != "" {
		t.Errorf("after retry and done (-want +got):\n%s", diff)
	}
	if err := db.OutboxRetry(1, later, 1); err == nil || !strings.Contains(err.Error(), "outbox item 1") {
		t.Errorf("OutboxRetry of a removed item = %v, want an error naming it", err)
	}
	if err := db.OutboxRetry(2, later, -1); err == nil {
		t.Error("OutboxRetry with -1 attempts succeeded")
	}
	if n, err := db.OutboxLen(); err != nil || n != 3 {
		t.Errorf("OutboxLen() = %d, %v; want 3", n, err)
	}

	mustClose(t, db)
	db = mustOpen(t, path, nil)
	if diff := cmp.Diff(want, outbox(t, db, 0)); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
	// Sequence numbers are never reused, even after the tail was removed.
	if err := db.OutboxDone(5); err != nil {
		t.Fatal(err)
	}
	if got := enqueue(t, db, 10, "a3"); got[0] != 6 {
		t.Errorf("next sequence = %d, want 6", got[0])
	}
	err := db.View(func(tx *store.Tx) error {
		it, ok, err := tx.OutboxItem(6)
		if err != nil || !ok || string(it.Payload) != "a3" || it.ChatID != 10 {
			t.Errorf("OutboxItem(6) = %+v, %v, %v", it, ok, err)
		}
		if _, ok, err := tx.OutboxItem(1); ok || err != nil {
			t.Errorf("OutboxItem(1) = found %v, %v; want nothing", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestChatRecord(t *testing.T) {
	db, path := mustCreate(t, nil)
	if r, ok, err := db.ChatRecord(7); err != nil || ok || r.State != nil || r.PromptMessageID != 0 {
		t.Fatalf("ChatRecord of a new chat = %+v, %v, %v", r, ok, err)
	}
	if err := db.PutChatRecord(7, store.ChatRecord{State: []byte(`{"unreachable":true}`)}); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *store.Tx) error { return tx.SetPromptMessage(7, 555) })
	if err != nil {
		t.Fatal(err)
	}
	// A prompt id without state.
	if err := db.Update(func(tx *store.Tx) error { return tx.SetPromptMessage(8, 9) }); err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	db = mustOpen(t, path, nil)
	for _, tt := range []struct {
		chat int64
		want store.ChatRecord
	}{
		{7, store.ChatRecord{State: []byte(`{"unreachable":true}`), PromptMessageID: 555}},
		{8, store.ChatRecord{PromptMessageID: 9}},
	} {
		got, ok, err := db.ChatRecord(tt.chat)
		if err != nil || !ok {
			t.Errorf("ChatRecord(%d) = %v, %v", tt.chat, ok, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ChatRecord(%d) (-want +got):\n%s", tt.chat, diff)
		}
	}
	if err := db.Update(func(tx *store.Tx) error { return tx.DeleteChatRecord(8) }); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.ChatRecord(8); ok || err != nil {
		t.Errorf("ChatRecord(8) after delete = found %v, %v", ok, err)
	}
}

func TestOutboxDoneAsPrompt(t *testing.T) {
	db, path := mustCreate(t, nil)
	seqs := enqueue(t, db, 7, "question 1", "question 2")
	if err := db.PutChatRecord(7, store.ChatRecord{State: []byte("{}"), PromptMessageID: 100}); err != nil {
		t.Fatal(err)
	}
	if err := db.OutboxDoneAsPrompt(seqs[0], 7, 101); err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	db = mustOpen(t, path, nil)
	if diff := cmp.Diff([]item{{Seq: seqs[1], Chat: 7, Payload: "question 2"}}, outbox(t, db, 0)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	want := store.ChatRecord{State: []byte("{}"), PromptMessageID: 101}
	if got, _, err := db.ChatRecord(7); err != nil || !cmp.Equal(want, got) {
		t.Errorf("ChatRecord(7) = %+v, %v; want %+v", got, err, want)
	}

	// The same pieces in a failing transaction change nothing.
	errStop := errors.New("stop")
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.OutboxDone(seqs[1]); err != nil {
			return err
		}
		if err := tx.SetPromptMessage(7, 102); err != nil {
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
	if got, _, err := db.ChatRecord(7); err != nil || got.PromptMessageID != 101 {
		t.Errorf("prompt = %d, %v; want 101", got.PromptMessageID, err)
	}
}

func TestSeenAndPrune(t *testing.T) {
	db, path := mustCreate(t, nil)
	day0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	marks := map[string]time.Time{
		"m:1:10":     day0,
		"c:abc":      day0.Add(24 * time.Hour),
		"m:-100:5":   day0.Add(6 * 24 * time.Hour),
		"m:1:11":     day0.Add(7 * 24 * time.Hour),
		"c:öü-emoji": day0.Add(8 * 24 * time.Hour),
	}
	err := db.Update(func(tx *store.Tx) error {
		for k, at := range marks {
			if err := tx.MarkSeen(k, at); err != nil {
				return err
			}
		}
		if err := tx.MarkSeen("", day0); err == nil {
			t.Error("MarkSeen of an empty key succeeded")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(t *testing.T, db *store.DB) map[string]bool {
		t.Helper()
		got := map[string]bool{}
		_ = db.View(func(tx *store.Tx) error {
			for _, k := range []string{"m:1:10", "c:abc", "m:-100:5", "m:1:11", "c:öü-emoji", "m:1:12", ""} {
				if tx.Seen(k) {
					got[k] = true
				}
			}
			return nil
		})
		return got
	}
	want := map[string]bool{"m:1:10": true, "c:abc": true, "m:-100:5": true, "m:1:11": true, "c:öü-emoji": true}
	if diff := cmp.Diff(want, seen(t, db)); diff != "" {
		t.Errorf("seen (-want +got):\n%s", diff)
	}

	// Keep a week back from day 8: the first two go.
	n, err := db.PruneSeen(day0.Add(8*24*time.Hour - 7*24*time.Hour + time.Nanosecond))
	if err != nil || n != 2 {
		t.Errorf("PruneSeen = %d, %v; want 2", n, err)
	}
	delete(want, "m:1:10")
	delete(want, "c:abc")
	if n, err := db.PruneSeen(day0); err != nil || n != 0 {
		t.Errorf("PruneSeen again = %d, %v; want 0", n, err)
	}
	mustClose(t, db)
	db = mustOpen(t, path, nil)
	if diff := cmp.Diff(want, seen(t, db)); diff != "" {
		t.Errorf("seen after pruning and reopening (-want +got):\n%s", diff)
	}
}

func TestPruneSeenManyBatches(t *testing.T) {
	db, _ := mustCreate(t, nil)
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const stale, fresh = 25000, 10
	err := db.Update(func(tx *store.Tx) error {
		for i := range stale + fresh {
			at := old
			if i%(stale/fresh+1) == 0 && i/(stale/fresh+1) < fresh {
				at = old.Add(30 * 24 * time.Hour)
			}
			if err := tx.MarkSeen(fmt.Sprintf("m:%d:%d", i%97, i), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneSeen(old.Add(time.Hour))
	if err != nil || n != stale {
		t.Errorf("PruneSeen = %d, %v; want %d", n, err, stale)
	}
	left := 0
	_ = db.View(func(tx *store.Tx) error {
		for i := range stale + fresh {
			if tx.Seen(fmt.Sprintf("m:%d:%d", i%97, i)) {
				left++
			}
		}
		return nil
	})
	if left != fresh {
		t.Errorf("%d keys left, want %d", left, fresh)
	}
}

// Everything read is a copy: it stays valid, and unchanged, after the
// transaction, after more writes, and after the database is closed. bbolt's
// own slices point into its read-only memory map, which Close unmaps: had
// the store passed one on, the writes and reads below would crash the test
// (values over a quarter page, so that the buckets are not inline: bbolt
// copies small inline buckets to the heap).
func TestBytesOutliveNoTransaction(t *testing.T) {
	db, _ := mustCreate(t, nil)
	payload := []byte(strings.Repeat("payload ", 600))
	err := db.Update(func(tx *store.Tx) error {
		if _, err := tx.Enqueue(1, payload); err != nil {
			return err
		}
		return tx.PutChatRecord(1, store.ChatRecord{State: payload, PromptMessageID: 3})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := string(payload)
	payload[0] = 'X' // the caller's slice is not kept either

	items, err := db.Outbox(0)
	if err != nil || len(items) != 1 {
		t.Fatalf("Outbox = %v, %v", items, err)
	}
	var inTx []byte
	_ = db.View(func(tx *store.Tx) error {
		items, err := tx.Outbox(0)
		if err == nil && len(items) == 1 {
			inTx = items[0].Payload
		}
		return nil
	})
	rec, _, err := db.ChatRecord(1)
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
		if err := db.OutboxDone(seq); err != nil {
			t.Fatal(err)
		}
	}
	again, err := db.Outbox(0)
	if err != nil || len(again) != 1 || string(again[0].Payload) != want {
		t.Errorf("stored payload changed: %d items, %v", len(again), err)
	}
	mustClose(t, db)

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
