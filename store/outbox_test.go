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

	"toolmap/bot/chat"
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
		if err := tx.Enqueue(chat.Message{Kind: chat.Send, ChatID: 5, Text: "hi"}, time.Time{}); err != nil {
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
		"referrals": 0, "referral_of": 0, "referred": 0, "digest_index": 1, // the response, indexed by the migration
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
		if err := tx.Enqueue(chat.Message{Kind: chat.Send, ChatID: 1, Text: "x"}, time.Time{}); err != nil {
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
