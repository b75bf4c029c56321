package bot

import (
	"fmt"
	"strings"
	"time"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// Restarter is what the bot's start-up needs of the store: the private
// chats with items still queued, to put right before they are sent, and
// the taps committed lately.
type Restarter interface {
	Requeue(fn func(chat.Backlog) (chat.Rework, error)) (int, error)
	// HandledSince returns the handled-update keys with prefix marked at
	// since or later.
	HandledSince(prefix string, since time.Time) ([]string, error)
}

// tapAnswerWindow is how old a tap may be and still be answered after a
// restart: Telegram refuses answers to older ones (its deadline is not
// documented; 15 s is what clients wait).
const tapAnswerWindow = 10 * time.Second

// Restart puts right what a crash may have left in the outbox, before the
// sender runs, and returns how many chats it changed. An item queued
// before the process stopped may have been delivered already, its
// delivery not yet recorded: sent again, an edit would change nothing
// (Telegram answers "message is not modified") and a question would show
// twice. So in each such chat the queued edits, and the queued messages
// that showed the current step, are dropped, and the current step is sent
// again at the bottom as the chat's live message. The bot then knows
// nothing for sure of its earlier messages with buttons: a tap on one is
// answered at the bottom, and removes its buttons then (the tap shows it
// has some, so that edit changes something). Other messages (the thanks,
// a note) stay queued: at worst one shows twice.
//
// Taps committed in the last seconds whose answer the tap log does not
// record (the process stopped between the commit and the answer) are
// answered now, without a toast: the chat shows what they did.
func (b *Bot) Restart(r Restarter) (int, error) {
	n, err := r.Requeue(b.rework)
	if err != nil {
		return 0, fmt.Errorf("put right the messages queued before the restart: %w", err)
	}
	if b.opts.TapLog == "" {
		return n, nil
	}
	answered, err := readTapLog(b.opts.TapLog)
	if err != nil {
		return n, err
	}
	keys, err := r.HandledSince("c:", b.opts.Now().Add(-tapAnswerWindow))
	if err != nil {
		return n, fmt.Errorf("find the taps committed before the restart: %w", err)
	}
	if err := b.openTapLog(); err != nil {
		return n, err
	}
	late := 0
	for _, k := range keys {
		if id := tapKeyID(k); !answered[id] {
			b.answerTap(callbackAnswer{id: id})
			late++
		}
	}
	if late > 0 {
		b.log.Info("answered the taps a restart left unanswered", "count", late)
	}
	return n, nil
}

// openTapLog opens Options.TapLog, once.
func (b *Bot) openTapLog() error {
	if b.opts.TapLog == "" || b.taps != nil {
		return nil
	}
	l, err := openTapLog(b.opts.TapLog)
	if err != nil {
		return err
	}
	b.taps = l
	return nil
}

// rework decides what to do with one chat's backlog (see Restart).
func (b *Bot) rework(bl chat.Backlog) (chat.Rework, error) {
	s := bl.Session
	rw := chat.Rework{}
	var notes []Outgoing // edits that said something to someone who has no step to show
	screenless := s.Status == survey.StatusNew || s.Status == survey.StatusWithdrawn
	for _, q := range bl.Queued {
		o := q.Out
		switch {
		case o.Kind == OutEditText || o.Kind == OutEditMarkup:
			rw.Drop = append(rw.Drop, q.Seq)
			if screenless && o.Kind == OutEditText && o.Text != "" {
				notes = append(notes, Outgoing{Text: o.Text})
			}
		case o.Kind == OutSend && (o.Prompt || len(o.Keyboard) > 0 || o.ForceReply):
			rw.Drop = append(rw.Drop, q.Seq)
		}
	}
	if len(rw.Drop) == 0 {
		return chat.Rework{}, nil
	}
	v := newView(bl.ChatID, bl.State)
	// Nothing is known for sure of the messages sent with buttons: their
	// buttons may or may not be gone.
	v.st.Live = chat.Live{}
	kept := v.st.Keyed[:0]
	queued := map[int]bool{}
	for _, q := range bl.Queued {
		if q.Out.Num != 0 {
			queued[q.Out.Num] = true
		}
	}
	for _, k := range v.st.Keyed {
		if k.Msg == 0 && queued[k.Num] {
			continue // never sent now
		}
		k.Frozen = false
		kept = append(kept, k)
	}
	v.st.Keyed = kept
	for _, n := range notes {
		v.send(n)
	}
	if sc := b.current(s); sc != nil {
		v.showNew(*sc, "")
	}
	rw.Out, rw.State = v.out, v.st
	if s.Status == survey.StatusNew && bl.State.IsZero() {
		rw.State = chat.State{} // forgotten (/delete): keep no record
	}
	return rw, nil
}

// tapKeyID is the callback query id in a tap's handled key: "c:<chat>:<id>"
// (or "c:<id>" for a tap from no known chat).
func tapKeyID(key string) string {
	return key[strings.LastIndexByte(key, ':')+1:]
}
