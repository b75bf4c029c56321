package store

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// A delivery teaches the chat's state which message a numbered send
// became, so that the bot knows its messages without waiting; SentMessage
// serves it to the sender, from memory before it is written.
func TestDeliveryRecordsTheMessageOfANumberedSend(t *testing.T) {
	bs, path := bsCreate(t)
	def := bsDef(t)
	const id = 7
	mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, id, func(s survey.Session, c chat.State) (chat.Result, error) {
		r, err := bsStep(def, id, survey.Input{Kind: survey.InputStart})(s, c)
		r.Out[0].Num = 1
		r.Chat.Sends = 1
		r.Chat.Keyed = []chat.Keyed{{Num: 1}}
		return r, err
	})
	q := pending(t, bs)
	if err := bs.Done(q[0], 501); err != nil {
		t.Fatal(err)
	}
	if got, err := bs.SentMessage(id, 1); err != nil || got != 501 {
		t.Fatalf("SentMessage from memory = %d, %v; want 501", got, err)
	}
	if err := bs.Flush(); err != nil {
		t.Fatal(err)
	}
	var st chat.State
	if err := bs.View(func(tx *Tx) error {
		var err error
		st, _, err = tx.ChatState(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if st.MessageOf(1) != 501 || st.Seen != 501 {
		t.Fatalf("state after the delivery: %+v", st)
	}
	bsClose(t, bs)
	bs = bsOpen(t, path)
	if got, err := bs.SentMessage(id, 1); err != nil || got != 501 {
		t.Fatalf("SentMessage after reopening = %d, %v; want 501", got, err)
	}
	if got, err := bs.SentMessage(id, 2); err != nil || got != 0 {
		t.Fatalf("SentMessage of a send never made = %d, %v; want 0", got, err)
	}
}

// Requeue hands each private chat with queued items to its function,
// which drops some, queues more, and stores a new state: in one
// transaction, before the sender runs.
func TestRequeue(t *testing.T) {
	bs, _ := bsCreate(t)
	def := bsDef(t)
	mustCommit(t, bs, chat.Update{ID: 1, Keys: []string{"m:7:1"}}, 7, bsStep(def, 7, survey.Input{Kind: survey.InputStart}))
	if err := bs.Enqueue(
		chat.Message{Kind: chat.EditText, ChatID: 7, MessageID: 3, Text: "edit"},
		chat.Message{Kind: chat.Send, ChatID: -100, Text: "a group's"},
		chat.Message{Kind: chat.Send, ChatID: 8, Text: "someone else's"},
	); err != nil {
		t.Fatal(err)
	}
	var seen []int64
	n, err := bs.Requeue(func(bl chat.Backlog) (chat.Rework, error) {
		seen = append(seen, bl.ChatID)
		if bl.ChatID != 7 {
			return chat.Rework{}, nil
		}
		if bl.Session.Status != survey.StatusAwaitingConsent || len(bl.Queued) != 2 {
			return chat.Rework{}, fmt.Errorf("backlog of 7: %+v", bl)
		}
		return chat.Rework{Drop: []uint64{bl.Queued[0].Seq, bl.Queued[1].Seq}, Out: []chat.Message{{Kind: chat.Send, ChatID: 7, Text: "again"}},
			State: chat.State{Sends: 9}}, nil
	})
	if err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v", n, err)
	}
	if !slices.Equal(seen, []int64{7, 8}) {
		t.Errorf("chats handed over: %v, want 7 and 8 (not the group)", seen)
	}
	var texts []string
	for _, q := range pending(t, bs) {
		texts = append(texts, q.Out.Text)
	}
	if !slices.Equal(texts, []string{"a group's", "someone else's", "again"}) {
		t.Errorf("queued after Requeue: %q", texts)
	}
	var st chat.State
	_ = bs.View(func(tx *Tx) error { st, _, err = tx.ChatState(7); return err })
	if st.Sends != 9 {
		t.Errorf("state of 7: %+v", st)
	}
}

func TestHandledSince(t *testing.T) {
	bs, _ := bsCreate(t)
	if err := bs.Update(func(tx *Tx) error {
		for _, k := range []struct {
			key string
			at  time.Time
		}{{"c:1", bsNow.Add(-time.Minute)}, {"c:2", bsNow}, {"c:3", bsNow.Add(time.Second)}, {"m:1:1", bsNow}, {"d:1", bsNow}} {
			if err := tx.MarkSeen(k.key, k.at); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := bs.HandledSince("c:", bsNow)
	if err != nil || !slices.Equal(got, []string{"c:2", "c:3"}) {
		t.Fatalf("HandledSince = %q, %v", got, err)
	}
}
