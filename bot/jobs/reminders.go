package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// RemindersConfig is the reminders section of the configuration file.
type RemindersConfig struct {
	// After is how long after their last answer a respondent who agreed
	// but did not finish gets a reminder (and, with max above 1, how long
	// after the last reminder the next one goes). 0 turns reminders off.
	After Duration `yaml:"after"`
	// Max is the most reminders one respondent gets. 0 turns them off.
	Max int `yaml:"max"`
	// Timezone and Hours ("09:00-20:00") are when reminders may go out;
	// empty Timezone means digest.timezone.
	Timezone string `yaml:"timezone"`
	Hours    string `yaml:"hours"`
	// CheckEvery is how often the bot looks for respondents due one.
	CheckEvery Duration `yaml:"check_every"`
	// Spread is the gap between two reminders of one round, so a round
	// never arrives as a burst.
	Spread Duration `yaml:"spread"`
}

// DefaultRemindersConfig is the reminders section used when the file has
// none.
func DefaultRemindersConfig() RemindersConfig {
	return RemindersConfig{After: Duration(24 * time.Hour), Max: 1, Hours: "09:00-20:00",
		CheckEvery: Duration(10 * time.Minute), Spread: Duration(2 * time.Second)}
}

// policy returns the reminder policy; tz is used when Timezone is empty.
func (c RemindersConfig) policy(tz string) (bot.ReminderPolicy, error) {
	p := bot.ReminderPolicy{After: time.Duration(c.After), Max: c.Max}
	if c.After == 0 {
		p.Max = 0
	}
	if c.Timezone != "" {
		tz = c.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" || tz == "Local" {
		return p, fmt.Errorf("reminders.timezone: %q is not a time zone such as Europe/London or UTC", tz)
	}
	p.Location = loc
	from, to, ok := strings.Cut(c.Hours, "-")
	if p.From, ok = clockMinutes(from, ok); !ok {
		return p, fmt.Errorf("reminders.hours: %q is not a range of local times such as 09:00-20:00", c.Hours)
	}
	if p.To, ok = clockMinutes(to, ok); !ok || p.From == p.To {
		return p, fmt.Errorf("reminders.hours: %q is not a range of local times such as 09:00-20:00", c.Hours)
	}
	return p, nil
}

// clockMinutes reads "09:30" as minutes after midnight.
func clockMinutes(s string, ok bool) (int, bool) {
	h, m, found := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !found || len(h) != 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, false
	}
	return hh*60 + mm, true
}

func (c RemindersConfig) problems(digestTZ string) []string {
	var out []string
	if c.Max < 0 || c.Max > 10 {
		out = append(out, "reminders.max: must be between 0 and 10")
	}
	if c.After != 0 && c.After < Duration(time.Hour) {
		out = append(out, "reminders.after: must be at least 1h, or 0 to turn reminders off")
	}
	if c.CheckEvery < Duration(time.Minute) {
		out = append(out, "reminders.check_every: must be at least 1m")
	}
	if c.Spread > Duration(time.Minute) {
		out = append(out, "reminders.spread: must be at most 1m")
	}
	if _, err := c.policy(digestTZ); err != nil {
		out = append(out, err.Error())
	}
	return out
}

// remindBatch bounds the reminders queued in one transaction.
const remindBatch = 500

// remindDue queues a reminder for every respondent due one at now, and
// returns how many. Candidates are found in a read transaction; each is
// checked again, and its reminder queued with its chat state, in a write
// transaction, so a respondent who answered meanwhile is not reminded.
// Reminders go out as bulk sends, spread apart by spread.
func remindDue(db *store.DB, def *survey.Definition, p bot.ReminderPolicy, spread time.Duration, now time.Time) (int, error) {
	if p.Max <= 0 || !p.Awake(now) {
		return 0, nil
	}
	ids, err := db.Unfinished(now.Add(-p.After))
	if err != nil {
		return 0, err
	}
	n := 0
	for len(ids) > 0 {
		batch := ids[:min(len(ids), remindBatch)]
		ids = ids[len(batch):]
		err := db.Update(func(tx *store.Tx) error {
			for _, id := range batch {
				s, ok, err := tx.Session(id)
				if err != nil || !ok {
					if err != nil {
						return err
					}
					continue // forgotten meanwhile
				}
				cs, _, err := tx.ChatState(int64(id))
				if err != nil {
					return err
				}
				if !p.Due(s, cs, now) {
					continue
				}
				out, cs := bot.Reminder(def, int64(id), s, cs, now)
				var at time.Time
				if n > 0 && spread > 0 {
					at = now.Add(time.Duration(n) * spread)
				}
				if err := tx.Enqueue(out, at); err != nil {
					return err
				}
				if err := tx.PutChatState(int64(id), cs); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// remindOnSchedule runs remind (which wakes the sender when it queues
// reminders) every interval until ctx is done.
func remindOnSchedule(ctx context.Context, every time.Duration, remind func(time.Time) (int, error), log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n, err := remind(now)
			if err != nil {
				log.Error("queueing reminders failed", "err", err)
			}
			if n > 0 {
				log.Info("queued reminders", "count", n)
			}
		}
	}
}
