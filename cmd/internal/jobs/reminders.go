package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// Reminders is the reminder job: it nudges respondents who agreed but did
// not finish, by its policy (bot.ReminderPolicy: when, how often, in which
// waking hours), as bulk sends spread apart so a round never arrives as a
// burst.
type Reminders struct {
	db     *store.DB
	def    *survey.Definition
	policy bot.ReminderPolicy
	spread time.Duration
	waker  bot.Waker // the sender, woken when reminders are queued; may be nil
	log    *slog.Logger
	now    func() time.Time
}

// NewReminders returns the reminder job over db. spread is the gap between
// two reminders of one round; log and now may be nil (discard, time.Now).
func NewReminders(db *store.DB, def *survey.Definition, p bot.ReminderPolicy, spread time.Duration, waker bot.Waker, log *slog.Logger, now func() time.Time) *Reminders {
	if now == nil {
		now = time.Now
	}
	return &Reminders{db: db, def: def, policy: p, spread: spread, waker: waker, log: logOf(log), now: now}
}

// Run queues the reminders due now.
func (r *Reminders) Run(ctx context.Context) error {
	n, err := r.Queue(r.now())
	if n > 0 {
		r.log.Info("queued reminders", "count", n)
	}
	return err
}

// remindBatch bounds the reminders queued in one transaction.
const remindBatch = 500

// Queue queues a reminder for every respondent due one at now, wakes the
// sender, and returns how many. Candidates are found in a read
// transaction; each is checked again, and its reminder queued with its
// chat state, in a write transaction, so a respondent who answered
// meanwhile is not reminded.
func (r *Reminders) Queue(now time.Time) (int, error) {
	p := r.policy
	if p.Max <= 0 || !p.Awake(now) {
		return 0, nil
	}
	ids, err := r.db.Unfinished(now.Add(-p.After))
	if err != nil {
		return 0, fmt.Errorf("queue reminders: %w", err)
	}
	n := 0
	defer func() {
		if n > 0 && r.waker != nil {
			r.waker.Wake()
		}
	}()
	for len(ids) > 0 {
		batch := ids[:min(len(ids), remindBatch)]
		ids = ids[len(batch):]
		err := r.db.Update(func(tx *store.Tx) error {
			for _, id := range batch {
				s, ok, err := tx.Session(id)
				if err != nil {
					return err
				}
				if !ok {
					continue // forgotten meanwhile
				}
				cs, _, err := tx.ChatState(int64(id))
				if err != nil {
					return err
				}
				if !p.Due(s, cs, now) {
					continue
				}
				out, cs := bot.Reminder(r.def, int64(id), s, cs, now)
				var at time.Time
				if n > 0 && r.spread > 0 {
					at = now.Add(time.Duration(n) * r.spread)
				}
				for _, o := range out {
					if err := tx.Enqueue(o, at); err != nil {
						return err
					}
				}
				if err := tx.PutChatState(int64(id), cs); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("queue reminders: %w", err)
		}
	}
	return n, nil
}
