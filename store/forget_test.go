package store_test

import (
	"bytes"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"toolmap/bot/chat"
	"toolmap/store"
	"toolmap/survey"
)

// TestForgetAndCompact: after Forget and Compact, not one byte of the
// forgotten respondent's free text is left in the file, and everyone
// else's data is as it was.
func TestForgetAndCompact(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	const marker = "MARKER-7f3a9c-unique"
	// Several versions of the marker in the answer log: changed, then changed back.
	run(t, db, def, clk, 5, start, agree, choose("dev"), toggle("git"), done, text(marker+" first"))
	run(t, db, def, clk, 5, jump("note"), text(marker+" second"))
	run(t, db, def, clk, 6, opsRun...)
	run(t, db, def, clk, 7, start, agree, choose("dev"), toggle("git"), done, text("keep me"))
	err := db.Update(func(tx *store.Tx) error {
		if err := tx.Enqueue(chat.Message{Kind: chat.Send, ChatID: 5, Text: marker + " queued"}, time.Time{}); err != nil {
			return err
		}
		if err := tx.Enqueue(chat.Message{Kind: chat.Send, ChatID: 6, Text: "for six"}, time.Time{}); err != nil {
			return err
		}
		if err := tx.MarkSeen("m:5:10", clk.Now()); err != nil {
			return err
		}
		if err := tx.MarkSeen("m:55:10", clk.Now()); err != nil { // another chat, same prefix digits
			return err
		}
		return tx.PutChatState(5, chat.State{Reminded: 1, RemindedAt: clk.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if !fileHas(t, path, marker) {
		t.Fatal("the marker is not in the file to begin with: the test proves nothing")
	}

	f, err := db.Forget(5)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Forgotten{Session: true, Response: true, LogEntries: f.LogEntries, Outbox: 1, Seen: 1, Chat: true}
	if f != want || f.LogEntries < 5 {
		t.Errorf("forgot %+v, want %+v with at least 5 log entries", f, want)
	}
	if again, err := db.Forget(5); err != nil || again != (store.Forgotten{}) {
		t.Errorf("forgetting again: %+v, %v; want nothing", again, err)
	}
	if _, ok, _ := db.Session(5); ok {
		t.Error("the session is still there")
	}
	got := responses(t, db, time.Time{}, time.Time{})
	if len(got) != 2 || got[0].ID != 6 || got[1].ID != 7 {
		t.Errorf("responses after forgetting 5: %+v, want 6 and 7", got)
	}
	for _, l := range answerLog(t, db) {
		if l.Respondent == 5 {
			t.Errorf("answer-log entry of 5 left: %+v", l)
		}
	}
	items, err := db.Pending(0)
	if err != nil || len(items) != 1 || items[0].Out.ChatID != 6 {
		t.Errorf("outbox after forgetting 5: %+v %v", items, err)
	}

	// bbolt frees the pages but does not clear them: without Compact the
	// marker would stay (this is what makes the last check meaningful).
	if !fileHas(t, path, marker) {
		t.Fatal("the marker left the file without compaction: the check after Compact proves nothing")
	}
	st, err := db.Compact()
	if err != nil {
		t.Fatal(err)
	}
	if st.Before <= 0 || st.After <= 0 {
		t.Errorf("compact stats %+v", st)
	}
	// The database is still usable, and sees the others' data.
	run(t, db, def, clk, 8, opsRun...)
	if got := responses(t, db, time.Time{}, time.Time{}); len(got) != 3 {
		t.Errorf("%d responses after compacting and another completion, want 3", len(got))
	}
	if s, ok, err := db.Session(7); err != nil || !ok || s.Answers["note"].Text != "keep me" {
		t.Errorf("respondent 7 after compacting: %+v %v %v", s.Answers, ok, err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, db)
	if fileHas(t, path, marker) {
		t.Error("the marker is still somewhere in the database file after forget and compact")
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Errorf("the compaction copy was left behind: %v", err)
	}
	// The file reopens, at the current schema, with everyone but 5.
	db2 := mustOpen(t, path, nil)
	if _, ok, _ := db2.Session(6); !ok {
		t.Error("respondent 6 lost after reopening")
	}
	if seen := seenKeys(t, db2); seen["m:55:10"] != true || seen["m:5:10"] {
		t.Errorf("seen keys after forgetting 5: %v", seen)
	}
}

func seenKeys(t *testing.T, db *store.DB) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, k := range []string{"m:5:10", "m:55:10"} {
		_ = db.View(func(tx *store.Tx) error {
			out[k] = tx.Seen(k)
			return nil
		})
	}
	return out
}

// TestCompactKeepsPermissions: the compacted file has the old one's mode.
func TestCompactKeepsPermissions(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 5, devRun...)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode after compacting %04o, want 0640", fi.Mode().Perm())
	}
}

// TestCompactWhileSteps: steps running while Compact swaps the file all
// commit, and all are in the compacted file.
func TestCompactWhileSteps(t *testing.T) {
	def := testDef(t)
	db, path := mustCreate(t, nil)
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				id := survey.RespondentID(1000*(w+1) + i)
				for _, in := range opsRun {
					if _, err := db.Step(id, engine(def, in, now)); err != nil {
						t.Errorf("step: %v", err)
						return
					}
				}
			}
		})
	}
	for range 3 {
		if _, err := db.Compact(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	if n, err := db.CountResponses(time.Time{}, time.Time{}); err != nil || n != 80 {
		t.Errorf("%d responses, %v; want 80", n, err)
	}
	mustClose(t, db)
	db2 := mustOpen(t, path, nil)
	if n, err := db2.CountResponses(time.Time{}, time.Time{}); err != nil || n != 80 {
		t.Errorf("after reopening: %d responses, %v; want 80", n, err)
	}
}

func TestFindRespondent(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 5, devRun...)
	run(t, db, def, clk, 6, start, agree)
	for _, want := range []survey.RespondentID{5, 6} {
		got, ok, err := db.FindRespondent(func(id survey.RespondentID) bool { return fmt.Sprint(id) == fmt.Sprint(want) })
		if err != nil || !ok || got != want {
			t.Errorf("find %d: %d %v %v", want, got, ok, err)
		}
	}
	if _, ok, err := db.FindRespondent(func(survey.RespondentID) bool { return false }); ok || err != nil {
		t.Errorf("find nothing: %v %v", ok, err)
	}
}

func fileHas(t *testing.T, path, s string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(data, []byte(s))
}
