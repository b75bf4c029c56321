package store_test

import (
	"testing"
	"time"

	"toolmap/bot/chat"
	"toolmap/store"
	"toolmap/survey"
)

// TestRetain: finished respondents older than the cut keep their answers
// under a surrogate id, with nothing left under their Telegram id;
// unfinished sessions older than the cut go; newer ones stay as they are.
func TestRetain(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 5, start, agree, choose("dev"), toggle("git"), done, text("old finisher"))
	run(t, db, def, clk, 6, start, agree, choose("dev")) // old, unfinished
	run(t, db, def, clk, 7, start)                       // old, never agreed
	if err := db.Update(func(tx *store.Tx) error {
		if err := tx.Enqueue(chat.Message{Kind: chat.Send, ChatID: 5, Text: "late message"}, time.Time{}); err != nil {
			return err
		}
		if err := tx.MarkSeen("m:5:1", clk.Now()); err != nil {
			return err
		}
		return tx.PutChatState(5, chat.State{Reminded: 1})
	}); err != nil {
		t.Fatal(err)
	}
	cut := clk.Now().Add(time.Hour)
	clk.Advance(10 * 24 * time.Hour)
	run(t, db, def, clk, 8, start, agree, choose("ops"), toggle("jira"), done) // new finisher
	run(t, db, def, clk, 9, start, agree)                                      // new, unfinished

	st, err := db.Retain(cut)
	if err != nil {
		t.Fatal(err)
	}
	if st != (store.RetainStats{Anonymised: 1, Purged: 2}) {
		t.Errorf("retain: %+v, want 1 anonymised and 2 purged", st)
	}
	for _, id := range []survey.RespondentID{5, 6, 7} {
		if _, ok, _ := db.Session(id); ok {
			t.Errorf("a session is still kept under %d", id)
		}
		if hasChat(t, db, int64(id)) {
			t.Errorf("a chat record is still kept under %d", id)
		}
	}
	for _, id := range []survey.RespondentID{8, 9} {
		if _, ok, _ := db.Session(id); !ok {
			t.Errorf("the session of %d, newer than the cut, is gone", id)
		}
	}
	got := responses(t, db, time.Time{}, time.Time{})
	if len(got) != 2 || !store.Anonymous(got[0].ID) || got[1].ID != 8 {
		t.Fatalf("responses after retention: %+v; want a surrogate's, then 8's", got)
	}
	surrogate := got[0].ID
	s, ok, err := db.Session(surrogate)
	if err != nil || !ok || s.Answers["note"].Text != "old finisher" {
		t.Errorf("the answers under the surrogate: %+v %v %v", s.Answers, ok, err)
	}
	var logged int
	for _, l := range answerLog(t, db) {
		switch l.Respondent {
		case 5, 6, 7:
			t.Errorf("an answer-log entry is still under %d: %+v", l.Respondent, l)
		case surrogate:
			logged++
		}
	}
	if logged < 4 {
		t.Errorf("%d answer-log entries under the surrogate, want the 4 or more of respondent 5", logged)
	}
	items, err := db.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Out.ChatID == 5 {
			t.Errorf("a message to 5 is still queued")
		}
	}
	if err := db.View(func(tx *store.Tx) error {
		if tx.Seen("m:5:1") {
			t.Error("a handled-message key of chat 5 is still kept")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Again: nothing more to do; the surrogate is never anonymised again.
	if st, err := db.Retain(clk.Now().Add(time.Hour)); err != nil || st.Anonymised != 1 || st.Purged != 1 {
		t.Errorf("retain everything later: %+v %v; want 8 anonymised and 9 purged only", st, err)
	}
	if got := responses(t, db, time.Time{}, time.Time{}); len(got) != 2 || got[0].ID != surrogate || !store.Anonymous(got[1].ID) {
		t.Errorf("responses after the second retention: %+v", got)
	}
}
