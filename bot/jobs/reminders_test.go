package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// TestRemindDue: a reminder goes once, at a waking local hour, only to
// those who agreed and did not finish; never to finishers, the blocked,
// those who asked for no more, those who never agreed, or the deleted.
func TestRemindDue(t *testing.T) {
	def := bsDef(t)
	bs, _ := bsCreate(t)
	db := bs.db
	upd := int64(0)
	step := func(id int64, in survey.Input) {
		t.Helper()
		upd++
		mustCommit(t, bs, bot.Update{ID: upd}, survey.RespondentID(id), bsStep(def, id, in))
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
		mustCommit(t, bs, bot.Update{ID: upd + 1}, survey.RespondentID(id), func(s survey.Session, c bot.ChatState) (bot.Result, error) {
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
	if err := bs.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range pending(t, bs) {
		if err := db.OutboxDone(q.Seq); err != nil {
			t.Fatal(err)
		}
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	pol := bot.ReminderPolicy{After: 24 * time.Hour, Max: 1, Location: ny, From: 9 * 60, To: 20 * 60}
	const spread = 2 * time.Second
	// bsNow is 09:00 UTC, 04:00 in New York.
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
		n, err := remindDue(db, def, pol, spread, bsNow.Add(c.after))
		if err != nil || n != c.want {
			t.Fatalf("%s: %d reminders, %v; want %d", c.name, n, err, c.want)
		}
	}
	q := pending(t, bs)
	if len(q) != 2 || q[0].Out.ChatID != 1 || q[1].Out.ChatID != 7 {
		t.Fatalf("queued %+v, want reminders to 1 and 7", q)
	}
	at := bsNow.Add(30 * time.Hour)
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
	rec, _, err := db.ChatRecord(1)
	var cs bot.ChatState
	if err == nil {
		err = json.Unmarshal(rec.State, &cs)
	}
	if err != nil || cs.Reminded != 1 || !cs.RemindedAt.Equal(at) {
		t.Errorf("chat state of 1 after its reminder: %+v %v", cs, err)
	}
	// With max 2, the second one comes a delay after the first.
	pol.Max = 2
	if n, err := remindDue(db, def, pol, spread, at.Add(23*time.Hour)); n != 0 || err != nil {
		t.Errorf("second reminder before the delay: %d %v", n, err)
	}
	if n, err := remindDue(db, def, pol, spread, at.Add(25*time.Hour)); n != 2 || err != nil {
		t.Errorf("second reminder: %d %v; want 2", n, err)
	}
	if n, err := remindDue(db, def, pol, spread, at.Add(100*time.Hour)); n != 0 || err != nil {
		t.Errorf("third reminder with max 2: %d %v", n, err)
	}
}

func TestReminderPolicyAwake(t *testing.T) {
	for _, c := range []struct {
		from, to, at int // minutes
		want         bool
	}{
		{9 * 60, 20 * 60, 9 * 60, true},
		{9 * 60, 20 * 60, 20 * 60, false},
		{9 * 60, 20 * 60, 8*60 + 59, false},
		{21 * 60, 7 * 60, 23 * 60, true},
		{21 * 60, 7 * 60, 3 * 60, true},
		{21 * 60, 7 * 60, 12 * 60, false},
	} {
		p := bot.ReminderPolicy{From: c.from, To: c.to}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(c.at) * time.Minute)
		if got := p.Awake(now); got != c.want {
			t.Errorf("%d–%d at %d: %v, want %v", c.from, c.to, c.at, got, c.want)
		}
	}
}

func TestRemindersConfig(t *testing.T) {
	good := DefaultRemindersConfig()
	if p := good.problems("UTC"); len(p) != 0 {
		t.Errorf("default reminders config: %v", p)
	}
	for _, c := range []struct {
		edit func(*RemindersConfig)
		want string
	}{
		{func(c *RemindersConfig) { c.Hours = "9-20" }, "reminders.hours"},
		{func(c *RemindersConfig) { c.Hours = "09:00-09:00" }, "reminders.hours"},
		{func(c *RemindersConfig) { c.Hours = "09:00-25:00" }, "reminders.hours"},
		{func(c *RemindersConfig) { c.Timezone = "Mars/Olympus" }, "reminders.timezone"},
		{func(c *RemindersConfig) { c.Max = -1 }, "reminders.max"},
		{func(c *RemindersConfig) { c.After = Duration(time.Minute) }, "reminders.after"},
	} {
		cfg := DefaultRemindersConfig()
		c.edit(&cfg)
		if p := strings.Join(cfg.problems("UTC"), "; "); !strings.Contains(p, c.want) {
			t.Errorf("%+v: problems %q, want %s", cfg, p, c.want)
		}
	}
}

// TestEndToEndReminder: the running bot's reminder reaches a respondent
// who stopped half-way; "Stop reminding me" stops them; "Continue" brings
// back the question.
func TestEndToEndReminder(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.stop()
	h.cfg.Reminders.Hours = "00:00-24:00" // any hour: the test runs at any time of day
	h.cfg.Reminders.Max = 2
	h.cfg.Reminders.Spread = 0 // spread from the test's clock, a day ahead (TestRemindDue checks the spread)
	h.start()
	a, b := h.respondent(51), h.respondent(52)
	for _, r := range []*respondent{a, b} {
		r.u.Start("")
		r.tap("✅ I agree")
		r.tap("🤝 Mutual aid / community")
		r.waitText("Roughly how many people")
	}
	n, err := h.remind(time.Now().Add(25 * time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("reminders: %d %v; want 2", n, err)
	}
	a.waitText("Hello again!")
	b.waitText("Hello again!")
	a.tap("Stop reminding me")
	a.waitText("OK, no more reminders")
	b.tap("▶ Continue")
	b.waitText("Roughly how many people")
	// b had a reminder an hour before (the delay runs from it); a asked for no more.
	if n, err := h.remind(time.Now().Add(26 * time.Hour)); err != nil || n != 0 {
		t.Errorf("reminders an hour later: %d %v; want none", n, err)
	}
	if n, err := h.remind(time.Now().Add(50 * time.Hour)); err != nil || n != 1 {
		t.Errorf("reminders a day later: %d %v; want b's second only", n, err)
	}
}
