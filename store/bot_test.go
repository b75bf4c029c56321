package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	berrors "go.etcd.io/bbolt/errors"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// bsDef is a tiny survey: one single question.
func bsDef(t *testing.T) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	def := &survey.Definition{
		ID: "bs", Version: 1, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep your answers."), Agree: en("OK"), Decline: en("No")},
		Thanks:  en("Thank you!"),
		Questions: []*survey.Question{
			{ID: "role", Kind: survey.KindSingle, Text: en("Your role?"), Options: []*survey.Item{
				{ID: "dev", Label: en("Developer")}, {ID: "ops", Label: en("Operations")},
			}},
		},
	}
	if err := survey.Validate(def); err != nil {
		t.Fatal(err)
	}
	return def
}

var bsNow = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// bsOpen opens the database at path on a fixed clock and, at cleanup,
// checks it and closes it.
func bsOpen(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, &Options{Now: func() time.Time { return bsNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(); err != nil && !errors.Is(err, berrors.ErrDatabaseNotOpen) {
			t.Errorf("check at cleanup: %v", err)
		}
		if err := db.Close(); err != nil { // closing twice is harmless
			t.Errorf("close at cleanup: %v", err)
		}
	})
	return db
}

func bsClose(t *testing.T, db *DB) {
	t.Helper()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func bsCreate(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bot.db")
	return bsOpen(t, path), path
}

// bsStep is a Commit function like the bot's: it steps the survey and
// queues one prompt per Ask or AskConsent, with the question id as text.
func bsStep(def *survey.Definition, chatID int64, in survey.Input) func(survey.Session, chat.State) (chat.Result, error) {
	return func(s survey.Session, c chat.State) (chat.Result, error) {
		next, events, err := survey.Step(def, s, in, bsNow)
		if err != nil {
			return chat.Result{}, err
		}
		var out []chat.Message
		for _, ev := range events {
			switch ev := ev.(type) {
			case survey.AskConsent:
				out = append(out, chat.Message{Kind: chat.Send, ChatID: chatID, Text: "consent", Prompt: true,
					Keyboard: [][]chat.Button{{{Text: "OK", Data: "a"}}}})
			case survey.Ask:
				out = append(out, chat.Message{Kind: chat.Send, ChatID: chatID, Text: ev.At.Key(), Prompt: true})
			case survey.Completed:
				out = append(out, chat.Message{Kind: chat.EditText, ChatID: chatID, ToPrompt: true, Text: "done"})
			}
		}
		return chat.Result{Session: next, Events: events, Out: out, Chat: c}, nil
	}
}

func mustCommit(t *testing.T, bs *DB, u chat.Update, id survey.RespondentID, fn func(survey.Session, chat.State) (chat.Result, error)) bool {
	t.Helper()
	ok, err := bs.Commit(u, id, fn)
	if err != nil {
		t.Fatalf("Commit(%d): %v", u.ID, err)
	}
	return ok
}

func pending(t *testing.T, bs *DB) []chat.Queued {
	t.Helper()
	q, err := bs.Pending(0)
	if err != nil {
		t.Fatalf("Pending: %v", err)
	}
	return q
}

func offset(t *testing.T, bs *DB) int64 {
	t.Helper()
	off, err := bs.Offset()
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// chatRecordOf reads the record of a chat.
func chatRecordOf(t *testing.T, db *DB, chatID int64) (chatRecord, bool, error) {
	t.Helper()
	var (
		rec chatRecord
		ok  bool
	)
	err := db.View(func(tx *Tx) error {
		var err error
		rec, ok, err = tx.chatRecord(chatID)
		return err
	})
	return rec, ok, err
}

func isSeen(t *testing.T, bs *DB, key string) bool {
	t.Helper()
	var ok bool
	if err := bs.View(func(tx *Tx) error { ok = tx.Seen(key); return nil }); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestBotStoreCommit(t *testing.T) {
	def := bsDef(t)
	bs, path := bsCreate(t)
	if got := offset(t, bs); got != 0 {
		t.Fatalf("Offset of a new database = %d", got)
	}
	if !mustCommit(t, bs, chat.Update{ID: 100, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart})) {
		t.Fatal("first commit not applied")
	}
	// The chat state fn returns is stored and handed back next time.
	slow := chat.State{SlowUntil: bsNow.Add(time.Minute)}
	var gotChat chat.State
	agree := bsStep(def, 7, survey.Input{Kind: survey.InputAgree})
	fn := func(s survey.Session, c chat.State) (chat.Result, error) {
		res, err := agree(s, c)
		res.Chat = slow
		return res, err
	}
	mustCommit(t, bs, chat.Update{ID: 101, Keys: []string{"c:q1"}}, 7, fn)
	mustCommit(t, bs, chat.Update{ID: 102, Keys: []string{"m:7:3"}}, 7, func(s survey.Session, c chat.State) (chat.Result, error) {
		gotChat = c
		return chat.Result{Session: s, Chat: c}, nil
	})
	if !gotChat.SlowUntil.Equal(slow.SlowUntil) || gotChat.Unreachable {
		t.Errorf("chat state handed to fn = %+v, want %+v", gotChat, slow)
	}

	bsClose(t, bs)
	bs = bsOpen(t, path)
	sess, ok, err := bs.Session(7)
	if err != nil || !ok || sess.Status != survey.StatusActive || sess.Cursor.Question != "role" {
		t.Errorf("session after reopening = %+v, %v, %v", sess, ok, err)
	}
	want := []chat.Queued{
		{Seq: 1, Out: chat.Message{Kind: chat.Send, ChatID: 7, Text: "consent", Prompt: true, Keyboard: [][]chat.Button{{{Text: "OK", Data: "a"}}}}},
		{Seq: 2, Out: chat.Message{Kind: chat.Send, ChatID: 7, Text: "role", Prompt: true}},
	}
	if diff := cmp.Diff(want, pending(t, bs)); diff != "" {
		t.Errorf("outbox after reopening (-want +got):\n%s", diff)
	}
	if got := offset(t, bs); got != 103 {
		t.Errorf("Offset = %d, want 103", got)
	}
	for _, k := range []string{"m:7:1", "c:q1", "m:7:3"} {
		if !isSeen(t, bs, k) {
			t.Errorf("key %s not seen", k)
		}
	}
	// Keys are marked at the database clock's time.
	if n, err := bs.PruneSeen(bsNow); err != nil || n != 0 {
		t.Errorf("PruneSeen(now) = %d, %v; want 0", n, err)
	}
	if n, err := bs.PruneSeen(bsNow.Add(time.Nanosecond)); err != nil || n != 3 {
		t.Errorf("PruneSeen(now+1ns) = %d, %v; want 3", n, err)
	}
}

func TestBotStoreDuplicate(t *testing.T) {
	def := bsDef(t)
	bs, _ := bsCreate(t)
	mustCommit(t, bs, chat.Update{ID: 100, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	before, _, _ := bs.Session(7)
	wantOut := pending(t, bs)

	tests := []struct {
		name string
		u    chat.Update
	}{
		{"same update again", chat.Update{ID: 100, Keys: []string{"m:7:1"}}},
		{"same message under a new update id", chat.Update{ID: 250, Keys: []string{"m:7:1"}}},
		{"lower update id after Telegram restarted ids", chat.Update{ID: 17, Keys: []string{"x:other", "m:7:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := bs.Commit(tt.u, 7, func(survey.Session, chat.State) (chat.Result, error) {
				t.Error("fn called for a duplicate")
				return chat.Result{}, nil
			})
			if err != nil || ok {
				t.Fatalf("Commit = %v, %v; want false, nil", ok, err)
			}
			if got := offset(t, bs); got != tt.u.ID+1 {
				t.Errorf("Offset = %d, want %d", got, tt.u.ID+1)
			}
			after, _, _ := bs.Session(7)
			if diff := cmp.Diff(before, after); diff != "" {
				t.Errorf("session changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(wantOut, pending(t, bs)); diff != "" {
				t.Errorf("outbox changed (-want +got):\n%s", diff)
			}
		})
	}
	if isSeen(t, bs, "x:other") {
		t.Error("a duplicate's other keys were marked seen")
	}
	// A new update with a lower id is handled, and the offset goes down.
	if !mustCommit(t, bs, chat.Update{ID: 3, Keys: []string{"c:new"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputAgree})) {
		t.Error("a new update with a lower id was not applied")
	}
	if got := offset(t, bs); got != 4 {
		t.Errorf("Offset = %d, want 4", got)
	}
}

func TestBotStoreCommitErrorRollsBack(t *testing.T) {
	def := bsDef(t)
	bs, _ := bsCreate(t)
	mustCommit(t, bs, chat.Update{ID: 100, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	before, _, _ := bs.Session(7)
	wantOut := pending(t, bs)

	errBoom := errors.New("boom")
	agree := bsStep(def, 7, survey.Input{Kind: survey.InputAgree})
	ok, err := bs.Commit(chat.Update{ID: 101, Keys: []string{"c:q1"}}, 7, func(s survey.Session, c chat.State) (chat.Result, error) {
		// Changing what fn was given must not leak into the store either.
		s.Language = "xx"
		if _, err := agree(s, c); err != nil {
			return chat.Result{}, err
		}
		return chat.Result{}, errBoom
	})
	if !errors.Is(err, errBoom) || ok {
		t.Fatalf("Commit = %v, %v; want false, errBoom", ok, err)
	}
	if got := offset(t, bs); got != 101 {
		t.Errorf("Offset = %d, want 101 (unchanged)", got)
	}
	after, _, _ := bs.Session(7)
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("session changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantOut, pending(t, bs)); diff != "" {
		t.Errorf("outbox changed (-want +got):\n%s", diff)
	}
	if isSeen(t, bs, "c:q1") {
		t.Error("the failed update's key is seen")
	}
	// Redelivered, the update is handled.
	if !mustCommit(t, bs, chat.Update{ID: 101, Keys: []string{"c:q1"}}, 7, agree) {
		t.Error("the redelivered update was not applied")
	}
}

func TestBotStoreGroupUpdate(t *testing.T) {
	bs, _ := bsCreate(t)
	const group = -1001234567890
	reply := chat.Message{Kind: chat.Send, ChatID: group, Text: "Please talk to me in private."}
	ok := mustCommit(t, bs, chat.Update{ID: 9, Keys: []string{"m:-1001234567890:5"}}, 0, func(s survey.Session, c chat.State) (chat.Result, error) {
		if !cmp.Equal(s, survey.Session{}) || !c.IsZero() {
			t.Errorf("fn got %+v, %+v; want zero values", s, c)
		}
		// Anything but Out is ignored.
		return chat.Result{
			Session: survey.Session{SurveyID: "bs", Status: survey.StatusActive},
			Events:  []survey.Event{survey.Completed{Recorded: true}},
			Out:     []chat.Message{reply},
			Chat:    chat.State{Unreachable: true},
		}, nil
	})
	if !ok {
		t.Fatal("not applied")
	}
	if diff := cmp.Diff([]chat.Queued{{Seq: 1, Out: reply}}, pending(t, bs)); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
	if got := offset(t, bs); got != 10 {
		t.Errorf("Offset = %d, want 10", got)
	}
	if !isSeen(t, bs, "m:-1001234567890:5") {
		t.Error("key not seen")
	}
	bsClose(t, bs)
	db := bsOpen(t, bs.Path())
	err := db.View(func(tx *Tx) error {
		if _, ok, err := tx.Session(0); ok || err != nil {
			t.Errorf("a session for respondent 0: %v, %v", ok, err)
		}
		for _, chatID := range []int64{0, group} {
			if _, ok, err := tx.chatRecord(chatID); ok || err != nil {
				t.Errorf("a record for chat %d: %v, %v", chatID, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountResponses(time.Time{}, time.Time{}); err != nil || n != 0 {
		t.Errorf("CountResponses = %d, %v; want 0", n, err)
	}
}

// A reply that does not touch the survey (/help from someone new) stores
// no session and no chat record: nothing about the person.
func TestBotStoreNoTraceOfABystander(t *testing.T) {
	bs, _ := bsCreate(t)
	help := chat.Message{Kind: chat.Send, ChatID: 8, Text: "help"}
	mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:8:1"}}, 8, func(s survey.Session, c chat.State) (chat.Result, error) {
		return chat.Result{Session: s, Out: []chat.Message{help}, Chat: c}, nil
	})
	if _, ok, err := bs.Session(8); ok || err != nil {
		t.Errorf("Session(8) = found %v, %v; want nothing", ok, err)
	}
	if _, ok, err := chatRecordOf(t, bs, 8); ok || err != nil {
		t.Errorf("ChatRecord(8) = found %v, %v; want nothing", ok, err)
	}
	if got := len(pending(t, bs)); got != 1 {
		t.Errorf("%d items queued, want 1", got)
	}
}

func TestBotStoreDonePrompt(t *testing.T) {
	def := bsDef(t)
	bs, path := bsCreate(t)
	mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	mustCommit(t, bs, chat.Update{ID: 2, Keys: []string{"c:a"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputAgree}))
	mustCommit(t, bs, chat.Update{ID: 3, Keys: []string{"c:b"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputChoose, Option: "dev"}))
	q := pending(t, bs)
	if len(q) != 3 || !q[0].Out.Prompt || !q[1].Out.Prompt || q[2].Out.Prompt {
		t.Fatalf("outbox = %+v, want two prompts and an edit", q)
	}
	if got, err := bs.PromptMessage(7); err != nil || got != 0 {
		t.Errorf("PromptMessage before any send = %d, %v", got, err)
	}
	steps := []struct {
		q     chat.Queued
		msgID int
		want  int
	}{
		{q[0], 501, 501}, // the consent prompt
		{q[1], 0, 501},   // a prompt without a message id leaves the old one
		{q[2], 777, 501}, // an edit is no prompt
	}
	for _, s := range steps {
		if err := bs.Done(s.q, s.msgID); err != nil {
			t.Fatal(err)
		}
		if got, err := bs.PromptMessage(7); err != nil || got != s.want {
			t.Errorf("after Done(%d, %d): PromptMessage = %d, %v; want %d", s.q.Seq, s.msgID, got, err, s.want)
		}
	}
	if got := pending(t, bs); len(got) != 0 {
		t.Errorf("outbox after Done = %+v", got)
	}
	// The prompt id lives beside the chat state and survives a commit and
	// a reopening.
	mustCommit(t, bs, chat.Update{ID: 4, Keys: []string{"m:7:9"}}, 7, func(s survey.Session, c chat.State) (chat.Result, error) {
		c.SlowUntil = bsNow
		return chat.Result{Session: s, Chat: c}, nil
	})
	bsClose(t, bs)
	bs = bsOpen(t, path)
	if got, err := bs.PromptMessage(7); err != nil || got != 501 {
		t.Errorf("PromptMessage after reopening = %d, %v; want 501", got, err)
	}
	if got, err := bs.PromptMessage(99); err != nil || got != 0 {
		t.Errorf("PromptMessage of an unknown chat = %d, %v; want 0", got, err)
	}
}

func TestBotStoreDrop(t *testing.T) {
	tests := []struct {
		why             chat.DropReason
		wantUnreachable bool
	}{
		{chat.DropBlocked, true},
		{chat.DropBadRequest, false},
		{chat.DropNoTarget, false},
		{chat.DropSuperseded, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.why), func(t *testing.T) {
			def := bsDef(t)
			bs, _ := bsCreate(t)
			mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
			q := pending(t, bs)
			if err := bs.Done(q[0], 42); err != nil {
				t.Fatal(err)
			}
			mustCommit(t, bs, chat.Update{ID: 2, Keys: []string{"c:a"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputAgree}))
			q = pending(t, bs)
			if len(q) != 1 {
				t.Fatalf("outbox = %+v", q)
			}
			if err := bs.Drop(q[0], tt.why); err != nil {
				t.Fatal(err)
			}
			if got := pending(t, bs); len(got) != 0 {
				t.Errorf("outbox after Drop = %+v", got)
			}
			var got chat.State
			mustCommit(t, bs, chat.Update{ID: 3, Keys: []string{"m:7:5"}}, 7, func(s survey.Session, c chat.State) (chat.Result, error) {
				got = c
				return chat.Result{Session: s, Chat: c}, nil
			})
			if got.Unreachable != tt.wantUnreachable {
				t.Errorf("Unreachable = %v, want %v", got.Unreachable, tt.wantUnreachable)
			}
			if id, err := bs.PromptMessage(7); err != nil || id != 42 {
				t.Errorf("PromptMessage = %d, %v; want 42 kept", id, err)
			}
		})
	}
}

func TestBotStorePendingAfterReopen(t *testing.T) {
	bs, path := bsCreate(t)
	var outs []chat.Message
	for i := range 5 {
		chatID := int64(10 + i%2)
		o := chat.Message{Kind: chat.Send, ChatID: chatID, Text: strings.Repeat("é", i+1), Bulk: i == 4}
		outs = append(outs, o)
		mustCommit(t, bs, chat.Update{ID: int64(i + 1)}, 0, func(s survey.Session, c chat.State) (chat.Result, error) {
			return chat.Result{Out: []chat.Message{o}}, nil
		})
	}
	q := pending(t, bs)
	later := bsNow.Add(30 * time.Second)
	if err := bs.Retry(q[1], later); err != nil {
		t.Fatal(err)
	}
	// Attempts count from the store, not from a stale q.
	if err := bs.Retry(q[1], later.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := bs.Done(q[0], 0); err != nil {
		t.Fatal(err)
	}
	want := pending(t, bs)
	if len(want) != 4 || want[0].Attempts != 2 || !want[0].NotBefore.Equal(later.Add(time.Second)) {
		t.Fatalf("after Retry and Done: %+v", want)
	}
	for i, w := range want {
		if w.Seq != uint64(i+2) || !cmp.Equal(w.Out, outs[i+1]) {
			t.Errorf("item %d = %+v, want seq %d %+v", i, w, i+2, outs[i+1])
		}
	}
	if got, err := bs.Pending(2); err != nil || !cmp.Equal(got, want[:2]) {
		t.Errorf("Pending(2) = %+v, %v", got, err)
	}
	bsClose(t, bs)
	bs = bsOpen(t, path)
	if diff := cmp.Diff(want, pending(t, bs)); diff != "" {
		t.Errorf("after reopening (-want +got):\n%s", diff)
	}
	if err := bs.Retry(q[0], later); err == nil {
		t.Error("Retry of a delivered item succeeded")
	}
}

func TestBotStorePendingUndecodable(t *testing.T) {
	bs, _ := bsCreate(t)
	err := bs.Update(func(tx *Tx) error {
		if _, err := tx.enqueue(1, []byte(`{"kind":"send","chat":1,"text":"ok"}`)); err != nil {
			return err
		}
		_, err := tx.enqueue(1, []byte("not json"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bs.Pending(0); err == nil || !strings.Contains(err.Error(), "outbox item 2") || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Pending = %v, want an error naming item 2", err)
	}
	if n, err := bs.OutboxLen(); err != nil || n != 2 {
		t.Errorf("OutboxLen = %d, %v; want 2 (nothing deleted)", n, err)
	}
}

func TestBotStoreDeliveriesAreWrittenInGroups(t *testing.T) {
	def := bsDef(t)
	bs, path := bsCreate(t)
	mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	q := pending(t, bs)
	if len(q) != 1 || !q[0].Out.Prompt {
		t.Fatalf("outbox = %+v", q)
	}
	if err := bs.Done(q[0], 501); err != nil {
		t.Fatal(err)
	}
	// Not written yet: still in the database, but the prompt id is known.
	if n, err := bs.OutboxLen(); err != nil || n != 1 {
		t.Fatalf("outbox length before the write = %d, %v; want 1", n, err)
	}
	if got, err := bs.PromptMessage(7); err != nil || got != 501 {
		t.Fatalf("PromptMessage before the write = %d, %v", got, err)
	}
	// Close writes what is held.
	bsClose(t, bs)
	bs = bsOpen(t, path)
	if n, err := bs.OutboxLen(); err != nil || n != 0 {
		t.Fatalf("outbox length after Close = %d, %v; want 0", n, err)
	}
	if got, err := bs.PromptMessage(7); err != nil || got != 501 {
		t.Fatalf("PromptMessage after reopening = %d, %v", got, err)
	}
}

// TestBotStoreDeliveriesRideAlong: a delivery is left out of Pending at
// once, is written by the update loop's next batch commit without a
// transaction of its own, and otherwise by Flush.
func TestBotStoreDeliveriesRideAlong(t *testing.T) {
	bs, _ := bsCreate(t)
	q := queueTexts(t, bs, 3)
	if err := bs.Done(q[0], 0); err != nil {
		t.Fatal(err)
	}
	stored := func() int {
		t.Helper()
		n, err := bs.OutboxLen()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := pending(t, bs); len(got) != 2 || got[0].Seq != q[1].Seq {
		t.Fatalf("Pending after Done = %+v, want the other two", got)
	}
	if n := stored(); n != 3 {
		t.Fatalf("%d items stored right after Done, want 3 (written later)", n)
	}
	commitEmptyBatch(t, bs)
	if n := stored(); n != 2 {
		t.Errorf("%d items stored after a batch commit, want 2: the delivery rides along", n)
	}
	if err := bs.Done(q[1], 0); err != nil {
		t.Fatal(err)
	}
	if err := bs.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := stored(); n != 1 {
		t.Errorf("%d items stored after Flush, want 1", n)
	}
}

// TestBotStorePendingNeverReturnsADelivery: a delivery written by a batch
// commit while Pending reads the queue (from a snapshot older than that
// commit) is still left out, so it is never sent twice.
func TestBotStorePendingNeverReturnsADelivery(t *testing.T) {
	bs, _ := bsCreate(t)
	q := queueTexts(t, bs, 2)
	if err := bs.Done(q[0], 0); err != nil {
		t.Fatal(err)
	}
	bs.del.afterRead = func() {
		bs.del.afterRead = nil
		commitEmptyBatch(t, bs)
	}
	if got := pending(t, bs); len(got) != 1 || got[0].Seq != q[1].Seq {
		t.Errorf("Pending = %+v, want only item %d", got, q[1].Seq)
	}
	if got := pending(t, bs); len(got) != 1 || got[0].Seq != q[1].Seq {
		t.Errorf("Pending again = %+v, want only item %d", got, q[1].Seq)
	}
}

// queueTexts commits n updates that each queue a message to chat 10, and
// returns the queue.
func queueTexts(t *testing.T, bs *DB, n int) []chat.Queued {
	t.Helper()
	for i := range n {
		o := chat.Message{Kind: chat.Send, ChatID: 10, Text: fmt.Sprint("m", i)}
		mustCommit(t, bs, chat.Update{ID: int64(i + 1)}, 0, func(s survey.Session, c chat.State) (chat.Result, error) {
			return chat.Result{Out: []chat.Message{o}}, nil
		})
	}
	return pending(t, bs)
}

// commitEmptyBatch commits a batch of one update that changes nothing.
func commitEmptyBatch(t *testing.T, bs *DB) {
	t.Helper()
	if _, err := bs.CommitBatch([]chat.Pending{{Update: chat.Update{ID: 9}, Fn: func(s survey.Session, c chat.State) (chat.Result, error) {
		return chat.Result{}, nil
	}}}); err != nil {
		t.Error(err)
	}
}

// TestReferrals: finishing through Commit records the respondent's code,
// which traces to them; a respondent keeps their first code and a code
// keeps its first owner; Forget removes it; Retain replaces it with the
// surrogate's own code.
func TestReferrals(t *testing.T) {
	def := bsDef(t)
	db, _ := bsCreate(t)
	for i, id := range []survey.RespondentID{5, 6, 9} {
		inputs := []survey.Input{{Kind: survey.InputStart}, {Kind: survey.InputAgree}, {Kind: survey.InputChoose, Option: "dev"}}
		if id == 9 {
			inputs = inputs[:2] // not finished: no code
		}
		for j, in := range inputs {
			mustCommit(t, db, chat.Update{ID: int64(10*i + j + 1)}, id, bsStep(def, int64(id), in))
		}
	}
	code5, code6 := db.ReferralCode(5), db.ReferralCode(6)
	put := func(id survey.RespondentID, code string) {
		t.Helper()
		if err := db.Update(func(tx *Tx) error { return tx.putReferral(id, code) }); err != nil {
			t.Fatal(err)
		}
	}
	put(5, "r-other") // keeps the first
	put(9, code5)     // taken: keeps its owner
	put(9, "r-nine")
	for code, want := range map[string]survey.RespondentID{code5: 5, code6: 6, "r-nine": 9, "r-other": 0, db.ReferralCode(9): 0} {
		id, ok, err := db.Referrer(code)
		if err != nil || ok != (want != 0) || id != want {
			t.Errorf("Referrer(%s) = %d %v %v, want %d", code, id, ok, err, want)
		}
	}
	f, err := db.Forget(6)
	if err != nil || !f.Referral {
		t.Fatalf("forget 6: %+v %v", f, err)
	}
	if _, ok, _ := db.Referrer(code6); ok {
		t.Error("the code of a forgotten respondent still traces to them")
	}
	if st, err := db.Retain(bsNow.Add(time.Hour)); err != nil || st.Anonymised != 1 {
		t.Fatalf("retain: %+v %v", st, err)
	}
	if _, ok, err := db.Referrer(code5); ok || err != nil {
		t.Errorf("after retention, the code of 5's Telegram id still traces: %v %v", ok, err)
	}
	var sur survey.RespondentID
	if err := db.View(func(tx *Tx) error {
		return tx.tx.Bucket(bucketReferralOf).ForEach(func(k, v []byte) error {
			sur = survey.RespondentID(binary.BigEndian.Uint64(k))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	id, ok, err := db.Referrer(db.ReferralCode(sur))
	if err != nil || !ok || !Anonymous(id) || id != sur {
		t.Errorf("after retention the surrogate's code traces to %d %v %v, want the surrogate %d", id, ok, err, sur)
	}
}

// TestDeliveryWriteFailureKeepsTheOutcome: when writing a delivery or a
// drop fails (a full disk), the outbox keeps the outcome, never hands the
// item out again, and writes it with the next group.
func TestDeliveryWriteFailureKeepsTheOutcome(t *testing.T) {
	var failing atomic.Bool
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := Open(path, &Options{Now: func() time.Time { return bsNow }, CommitFault: func() error {
		if failing.Load() {
			return errors.New("disk full")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	def := bsDef(t)
	mustCommit(t, db, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	q := queueTexts(t, db, 2)
	if len(q) != 3 {
		t.Fatalf("outbox = %+v", q)
	}
	failing.Store(true)
	if err := db.Done(q[0], 501); err != nil {
		t.Fatalf("Done = %v; it writes nothing by itself", err)
	}
	if err := db.Flush(); err == nil {
		t.Fatal("Flush succeeded on a full disk")
	}
	if err := db.Drop(q[1], chat.DropBlocked); err == nil {
		t.Fatal("Drop's write succeeded on a full disk")
	}
	if got := pending(t, db); len(got) != 1 || got[0].Seq != q[2].Seq {
		t.Errorf("Pending after failed writes = %+v, want only item %d", got, q[2].Seq)
	}
	if got, err := db.PromptMessage(7); err != nil || got != 501 {
		t.Errorf("PromptMessage = %d, %v; want 501 from memory", got, err)
	}
	failing.Store(false)
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	bsClose(t, db)
	db = bsOpen(t, path)
	if got := pending(t, db); len(got) != 1 || got[0].Seq != q[2].Seq {
		t.Errorf("Pending after reopening = %+v, want only item %d", got, q[2].Seq)
	}
	if got, err := db.PromptMessage(7); err != nil || got != 501 {
		t.Errorf("PromptMessage after reopening = %d, %v; want 501", got, err)
	}
}
