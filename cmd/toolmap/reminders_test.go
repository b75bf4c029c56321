package main

import (
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
)

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
