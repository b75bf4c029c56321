package store

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// TestSchema4DatabaseFromMainDrains: a database written by main at
// 7e70430 (schema 4, before the outbox was typed; testdata holds the
// file that code wrote: one respondent part-way, a delivered prompt, a
// chat state, and an outbox of every kind of item that code queued) opens
// (migrating to schema 5, which adds the digest index and nothing else),
// hands out its outbox as typed messages, and drains.
func TestSchema4DatabaseFromMainDrains(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	copyFile(t, filepath.Join("testdata", "schema4-main-7e70430.db"), path)
	db := bsOpen(t, path)
	c, err := db.Counts()
	if err != nil || c.Schema != Schema {
		t.Fatalf("Counts = %+v, %v; want schema %d", c, err, Schema)
	}
	now := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	want := []chat.Queued{
		{Seq: 2, Out: chat.Message{Kind: chat.Send, ChatID: 7, Text: "role", Prompt: true}},
		{Seq: 3, Out: chat.Message{Kind: chat.EditMarkup, ChatID: 7, MessageID: 501}, Attempts: 1, NotBefore: now.Add(time.Minute)},
		{Seq: 4, Out: chat.Message{Kind: chat.Send, ChatID: 7, Text: "Your <i>name</i>?", ForceReply: true, Placeholder: "name"}},
		{Seq: 5, Out: chat.Message{Kind: chat.Send, ChatID: 7, Bulk: true, Text: "reminder",
			Keyboard: [][]chat.Button{{{Text: "Go", Data: "r:1"}, {Text: "Docs", URL: "https://example.org"}}}}},
		{Seq: 6, Out: chat.Message{Kind: chat.Send, ChatID: -1001, Text: "to a group"}},
	}
	q := pending(t, db)
	if diff := cmp.Diff(want, q); diff != "" {
		t.Fatalf("outbox (-want +got):\n%s", diff)
	}
	if id, err := db.PromptMessage(7); err != nil || id != 501 {
		t.Errorf("PromptMessage(7) = %d, %v; want 501", id, err)
	}
	var st chat.State
	if err := db.View(func(tx *Tx) error { st, _, err = tx.ChatState(7); return err }); err != nil {
		t.Fatal(err)
	}
	if wantSt := (chat.State{Reminded: 1, RemindedAt: now, SlowUntil: now.Add(time.Minute)}); !cmp.Equal(wantSt, st) {
		t.Errorf("chat state = %+v, want %+v", st, wantSt)
	}
	// Drain it as the sender would, and carry on the conversation.
	for i, it := range q {
		if err := db.Done(it, 600+i); err != nil {
			t.Fatal(err)
		}
	}
	mustCommit(t, db, chat.Update{ID: 102, Keys: []string{"c:b"}}, 7, bsStep(bsDef(t), 7, survey.Input{Kind: survey.InputChoose, Option: "dev"}))
	bsClose(t, db)
	db = bsOpen(t, path)
	if got := pending(t, db); len(got) != 1 || got[0].Out.Kind != chat.EditText || !got[0].Out.ToPrompt {
		t.Errorf("outbox after draining and one more answer = %+v, want the completion's edit", got)
	}
	if id, err := db.PromptMessage(7); err != nil || id != 600 {
		t.Errorf("PromptMessage(7) = %d, %v; want 600, the prompt delivered last", id, err)
	}
	if s, ok, err := db.Session(7); err != nil || !ok || s.Status != survey.StatusCompleted {
		t.Errorf("session = %+v, %v, %v; want completed", s, ok, err)
	}
}

// TestOutboxCarriesADocument: a document and its bytes go through the
// outbox like any message, across a reopening.
func TestOutboxCarriesADocument(t *testing.T) {
	db, path := bsCreate(t)
	doc := chat.Message{Kind: chat.SendDocument, ChatID: 7, Text: "Your data",
		File: &chat.File{Name: "mydata.json", Data: []byte("{\"a\": \"\x00\xff binary\"}")}}
	if err := db.Enqueue(chat.Message{Kind: chat.Send, ChatID: 7, Text: "first"}, doc); err != nil {
		t.Fatal(err)
	}
	bsClose(t, db)
	db = bsOpen(t, path)
	q := pending(t, db)
	if len(q) != 2 || !cmp.Equal(doc, q[1].Out) {
		t.Fatalf("outbox = %+v, want the message then %+v", q, doc)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
