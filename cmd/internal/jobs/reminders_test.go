package jobs

import (
	"strings"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// TestRemindDue: a reminder goes once, at a waking local hour, only to
// those who agreed and did not finish; never to finishers, the blocked,
// those who asked for no more, those who never agreed, or the deleted.
func TestRemindDue(t *testing.T) {
	def := jDef(t)
	db := jOpen(t)
	upd := int64(0)
	step := func(id int64, in survey.Input) {
		t.Helper()
		upd++
		mustCommit(t, db, bot.Update{ID: upd}, survey.RespondentID(id), jStep(def, id, in))
	}
	start, agree := survey.Input{Kind: survey.InputStart}, survey.Input{Kind: survey.InputAgree}
	for _, id := range []int64{1, 2, 4, 5, 6, 7} {
		step(id, start)
		step(id, agree)
	}
	step(2, survey.Input{Kind: survey.InputChoose, Option: "dev"}) // 2 finished
	step(3, start)                                                 // 3 never agreed
	setChat := func(id int64, f func(*bot.ChatState)) {
		t.Helper()
		mustCommit(t, db, bot.Update{ID: upd + 1}, survey.RespondentID(id), func(s survey.Session, c bot.ChatState) (bot.Result, error) {
			f(&c)
			return bot.Result{Session: s, Chat: c}, nil
		})
		upd++
	}
	setChat(4, func(c *bot.ChatState) { c.Unreachable = true })
	setChat(5, func(c *bot.ChatState) { c.NoReminders = true })
	if _, err := db.Forget(6); err != nil {
		t.Fatal(err)
	}
	// Drain the conversation's own messages, to see only reminders.
	for _, q := range pending(t, db) {
		if err := db.Done(q, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pol := bot.ReminderPolicy{After: 24 * time.Hour, Max: 1, Location: ny, From: 9 * 60, To: 20 * 60}
	const spread = 2 * time.Second
	remind := func(now time.Time) (int, error) {
		return NewReminders(db, def, pol, spread, nil, nil, nil).Queue(now)
	}
	// jNow is 09:00 UTC, 04:00 in New York.
	for _, c := range []struct {
		name  string
		after time.Duration
		want  int
	}{
		{"not yet due", 23 * time.Hour, 0},
		{"due, but 05:00 in New York", 25 * time.Hour, 0},
		{"due at 10:00 in New York", 30 * time.Hour, 2},
		{"reminded once already", 60 * time.Hour, 0},
	} {
		n, err := remind(jNow.Add(c.after))
		if err != nil || n != c.want {
			t.Fatalf("%s: %d reminders, %v; want %d", c.name, n, err, c.want)
		}
	}
	q := pending(t, db)
	if len(q) != 2 || q[0].Out.ChatID != 1 || q[1].Out.ChatID != 7 {
		t.Fatalf("queued %+v, want reminders to 1 and 7", q)
	}
	at := jNow.Add(30 * time.Hour)
	if !q[0].NotBefore.IsZero() || !q[1].NotBefore.Equal(at.Add(spread)) {
		t.Errorf("not spread: not before %v and %v", q[0].NotBefore, q[1].NotBefore)
	}
	r := q[0].Out
	if !r.Bulk || !strings.Contains(r.Text, "Hello again") || len(r.Keyboard) != 2 ||
		r.Keyboard[0][0].Text != "▶ Continue" || r.Keyboard[1][0].Text != "Stop reminding me" {
		t.Errorf("reminder %+v", r)
	}
	if tap, err := survey.DecodeTap(r.Keyboard[0][0].Data); err != nil || tap.Kind != survey.InputResume {
		t.Errorf("Continue carries %q: %v", r.Keyboard[0][0].Data, err)
	}
	var cs bot.ChatState
	err = db.View(func(tx *store.Tx) error {
		var err error
		cs, _, err = tx.ChatState(1)
		return err
	})
	if err != nil || cs.Reminded != 1 || !cs.RemindedAt.Equal(at) {
		t.Errorf("chat state of 1 after its reminder: %+v %v", cs, err)
	}
	// With max 2, the second one comes a delay after the first.
	pol.Max = 2
	if n, err := remind(at.Add(23 * time.Hour)); n != 0 || err != nil {
		t.Errorf("second reminder before the delay: %d %v", n, err)
	}
	if n, err := remind(at.Add(25 * time.Hour)); n != 2 || err != nil {
		t.Errorf("second reminder: %d %v; want 2", n, err)
	}
	if n, err := remind(at.Add(100 * time.Hour)); n != 0 || err != nil {
		t.Errorf("third reminder with max 2: %d %v", n, err)
	}
}
