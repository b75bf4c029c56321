package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// botStore is the database as the bot sees it: bot.Store for the update
// loop and bot.Outbox for the sender. Outgoing messages and chat state are
// kept as JSON in the store's opaque outbox and chat records. A private
// chat's id is its user's id, so the chat record of a respondent is the
// one under the respondent id.
type botStore struct {
	db  *store.DB
	now func() time.Time // when keys are marked seen
	// referralCode, when set, gives the personal referral code recorded
	// for a respondent when they finish (the code in their link).
	referralCode func(survey.RespondentID) string

	// decoded caches outbox items already decoded, by sequence number:
	// the sender reads the queue again and again while items wait for
	// their pacing slot, and decoding dominated its time. Items leave the
	// cache when they leave the outbox (Done, Drop).
	mu      sync.Mutex
	decoded map[uint64]bot.Outgoing
	acks    []ack           // deliveries not yet written
	acked   map[uint64]bool // their sequence numbers
	written map[uint64]bool // deliveries written since the last Pending began
	ackedAt time.Time       // when the oldest of them was delivered
	prompts map[int64]int   // prompt message ids of those deliveries

	afterRead func() // tests: runs between Pending's read and its filtering
}

var (
	_ bot.Store  = (*botStore)(nil)
	_ bot.Outbox = (*botStore)(nil)
)

// newBotStore returns the bot's view of db, on db's clock.
func newBotStore(db *store.DB) *botStore {
	return &botStore{db: db, now: db.Now}
}

// Offset returns the offset for the next getUpdates: the last committed
// update id + 1, or 0.
func (b *botStore) Offset() (int64, error) { return b.db.Offset() }

// Commit handles one update in one transaction, as bot.Store documents.
// For a respondent who has no session, a zero Session with no events is
// not stored, and a zero ChatState creates no chat record: a command that
// does not touch the survey (/help, say) leaves no trace of the person.
func (b *botStore) Commit(u bot.Update, respondent survey.RespondentID, fn func(survey.Session, bot.ChatState) (bot.Result, error)) (bool, error) {
	var handled bool
	err := b.db.Update(func(tx *store.Tx) error {
		var err error
		handled, err = b.commitOne(tx, bot.Pending{Update: u, Respondent: respondent, Fn: fn})
		return err
	})
	if err != nil {
		return false, err
	}
	return handled, nil
}

// CommitBatch commits several updates in one transaction, one fsync for
// all, each exactly as Commit would. If the batch fails (one update's
// function returned an error), the updates are committed one by one, so
// that the others still go through and only the bad one reports its error.
func (b *botStore) CommitBatch(items []bot.Pending) ([]bool, error) {
	handled := make([]bool, len(items))
	acks := b.takeAcks()
	err := b.db.Update(func(tx *store.Tx) error {
		// Deliveries ride along: the fsync is paid anyway.
		if err := writeAcks(tx, acks); err != nil {
			return err
		}
		for i, it := range items {
			ok, err := b.commitOne(tx, it)
			if err != nil {
				return err
			}
			handled[i] = ok
		}
		return nil
	})
	b.settleAcks(acks, err == nil)
	if err == nil {
		return handled, nil
	}
	if len(items) == 1 {
		// Nothing was committed: report no update handled, so that the
		// loop neither confirms it to Telegram nor counts it.
		return handled[:0], err
	}
	for i, it := range items {
		ok, err := b.Commit(it.Update, it.Respondent, it.Fn)
		if err != nil {
			return handled[:i], err
		}
		handled[i] = ok
	}
	return handled, nil
}

// commitOne applies one update inside tx.
func (b *botStore) commitOne(tx *store.Tx, p bot.Pending) (bool, error) {
	u, respondent, fn := p.Update, p.Respondent, p.Fn
	for _, k := range u.Keys {
		if tx.Seen(k) {
			return false, tx.SetOffset(u.ID + 1)
		}
	}
	var (
		before  survey.Session
		hadSess bool
		chat    bot.ChatState
		rec     store.ChatRecord
		hadRec  bool
	)
	if respondent != 0 {
		var err error
		if before, hadSess, err = tx.Session(respondent); err != nil {
			return false, err
		}
		if rec, hadRec, chat, err = chatState(tx, int64(respondent)); err != nil {
			return false, err
		}
	}
	res, err := fn(before.Clone(), chat)
	if err != nil {
		return false, err
	}
	if respondent != 0 && res.Forget {
		if _, err := tx.Forget(respondent); err != nil {
			return false, err
		}
		b.forgetChat(int64(respondent))
	} else if respondent != 0 {
		if hadSess || len(res.Events) > 0 || !reflect.ValueOf(res.Session).IsZero() {
			if err := tx.ApplyStep(respondent, before, res.Session, res.Events); err != nil {
				return false, err
			}
			if b.referralCode != nil && completed(res.Events) {
				if err := tx.PutReferral(respondent, b.referralCode(respondent)); err != nil {
					return false, err
				}
			}
		}
		if hadRec || res.Chat != (bot.ChatState{}) {
			if rec.State, err = json.Marshal(res.Chat); err != nil {
				return false, fmt.Errorf("encode the state of chat %d: %w", respondent, err)
			}
			if err := tx.PutChatRecord(int64(respondent), rec); err != nil {
				return false, err
			}
		}
	}
	for _, o := range res.Out {
		payload, err := json.Marshal(o)
		if err != nil {
			return false, fmt.Errorf("encode a message for chat %d: %w", o.ChatID, err)
		}
		if _, err := tx.Enqueue(o.ChatID, payload); err != nil {
			return false, err
		}
	}
	now := b.now()
	for _, k := range u.Keys {
		if err := tx.MarkSeen(k, now); err != nil {
			return false, err
		}
	}
	if err := tx.SetOffset(u.ID + 1); err != nil {
		return false, err
	}
	return true, nil
}

// completed reports whether events record a completion.
func completed(events []survey.Event) bool {
	for _, ev := range events {
		if c, ok := ev.(survey.Completed); ok && c.Recorded {
			return true
		}
	}
	return false
}

// chatState loads the record of a chat and decodes its state: zero values
// if there is none.
func chatState(tx *store.Tx, chatID int64) (store.ChatRecord, bool, bot.ChatState, error) {
	var st bot.ChatState
	rec, ok, err := tx.ChatRecord(chatID)
	if err != nil || !ok {
		return rec, ok, st, err
	}
	if len(rec.State) > 0 {
		if err := json.Unmarshal(rec.State, &st); err != nil {
			return rec, ok, st, fmt.Errorf("decode the state of chat %d: %w", chatID, err)
		}
	}
	return rec, ok, st, nil
}

// Pending returns up to limit queued items in queue order, leaving out
// those delivered but not yet written. An item that cannot be decoded is
// an error naming it; it stays queued.
func (b *botStore) Pending(limit int) ([]bot.Queued, error) {
	b.mu.Lock()
	stale := len(b.acks) > 0 && b.now().Sub(b.ackedAt) >= ackMaxAge
	// A delivery written from now on may still show in the read below,
	// which can start before the write commits: written keeps it out.
	// Those written before are not in the read.
	b.written = nil
	skip := len(b.acked)
	b.mu.Unlock()
	if stale {
		if err := b.flush(); err != nil {
			return nil, err
		}
		skip = 0
	}
	if limit <= 0 {
		skip = 0 // all of them
	}
	items, err := b.db.Outbox(limit + skip)
	if err != nil {
		return nil, err
	}
	if b.afterRead != nil {
		b.afterRead()
	}
	out := make([]bot.Queued, 0, len(items))
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.decoded == nil {
		b.decoded = map[uint64]bot.Outgoing{}
	}
	for _, it := range items {
		if b.acked[it.Seq] || b.written[it.Seq] || (limit > 0 && len(out) == limit) {
			continue
		}
		o, ok := b.decoded[it.Seq]
		if !ok {
			if err := json.Unmarshal(it.Payload, &o); err != nil {
				return nil, fmt.Errorf("decode outbox item %d: %w", it.Seq, err)
			}
			b.decoded[it.Seq] = o
		}
		out = append(out, bot.Queued{Seq: it.Seq, Out: o, Attempts: it.Attempts, NotBefore: it.NotBefore})
	}
	return out, nil
}

// forgetChat drops a chat's items from the decoded cache and its prompt
// from memory: Forget removed them from the outbox. (If the transaction
// then fails, they are decoded again on the next read.)
func (b *botStore) forgetChat(chatID int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for seq, o := range b.decoded {
		if o.ChatID == chatID {
			delete(b.decoded, seq)
		}
	}
	delete(b.prompts, chatID)
}

// forget drops an item that left the outbox from the decoded cache.
func (b *botStore) forget(seq uint64) {
	b.mu.Lock()
	delete(b.decoded, seq)
	b.mu.Unlock()
}

// Done records a delivered item. Deliveries are kept in memory and
// written in groups: with the update loop's next commit (whose fsync is
// paid anyway), when ackBatch of them are waiting, when the sender falls
// idle (Flush), or when the oldest has waited ackMaxAge, instead of one
// fsync each, or one on every read of the queue (which also made each
// reply wait for a second fsync behind the update's). A crash before the
// write only means those messages are sent again after the restart, which
// the delivery guarantee allows (a prompt may be repeated; answers are
// never recorded twice). Until it is written, a delivered item is left
// out of Pending and a delivered prompt's message id is served from
// memory to PromptMessage.
func (b *botStore) Done(q bot.Queued, messageID int) error {
	b.mu.Lock()
	delete(b.decoded, q.Seq)
	if len(b.acks) == 0 {
		b.ackedAt = b.now()
	}
	b.acks = append(b.acks, ack{seq: q.Seq, chat: q.Out.ChatID, prompt: q.Out.Prompt, msg: messageID})
	if b.acked == nil {
		b.acked = map[uint64]bool{}
	}
	b.acked[q.Seq] = true
	if q.Out.Prompt && messageID != 0 {
		if b.prompts == nil {
			b.prompts = map[int64]int{}
		}
		b.prompts[q.Out.ChatID] = messageID
	}
	full := len(b.acks) >= ackBatch
	b.mu.Unlock()
	if full {
		return b.flush()
	}
	return nil
}

const (
	ackBatch  = 64          // the most deliveries kept in memory before they are written
	ackMaxAge = time.Second // the longest a delivery waits to be written while the sender is busy
)

// ack is a delivery not yet written.
type ack struct {
	seq    uint64
	chat   int64
	prompt bool
	msg    int
}

// Flush writes the deliveries kept in memory, in one transaction. The
// sender calls it when it falls idle.
func (b *botStore) Flush() error { return b.flush() }

// flush writes the deliveries kept in memory, in one transaction.
func (b *botStore) flush() error {
	acks := b.takeAcks()
	if len(acks) == 0 {
		return nil
	}
	err := b.db.Update(func(tx *store.Tx) error { return writeAcks(tx, acks) })
	b.settleAcks(acks, err == nil)
	return err
}

// takeAcks takes the deliveries kept in memory, to be written; settleAcks
// must follow.
func (b *botStore) takeAcks() []ack {
	b.mu.Lock()
	defer b.mu.Unlock()
	acks := b.acks
	b.acks = nil
	return acks
}

// settleAcks ends takeAcks: written acks are forgotten, the others are
// kept for the next write.
func (b *botStore) settleAcks(acks []ack, written bool) {
	if len(acks) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !written {
		b.acks = append(acks, b.acks...) // try again next time
		return
	}
	if b.written == nil {
		b.written = map[uint64]bool{}
	}
	for _, a := range acks {
		delete(b.acked, a.seq)
		b.written[a.seq] = true
		if a.prompt && a.msg != 0 && b.prompts[a.chat] == a.msg {
			delete(b.prompts, a.chat)
		}
	}
	if len(b.acks) > 0 {
		b.ackedAt = b.now()
	}
}

// writeAcks writes deliveries in tx.
func writeAcks(tx *store.Tx, acks []ack) error {
	for _, a := range acks {
		if err := tx.OutboxDone(a.seq); err != nil {
			return err
		}
		if a.prompt && a.msg != 0 {
			// A chat with no session was forgotten (/delete) while the
			// message was on its way: keep no record of it.
			if !tx.HasSession(survey.RespondentID(a.chat)) {
				continue
			}
			if err := tx.SetPromptMessage(a.chat, a.msg); err != nil {
				return err
			}
		}
	}
	return nil
}

// Retry counts one more failed attempt of the item (from the stored count,
// not q's) and keeps it until notBefore.
func (b *botStore) Retry(q bot.Queued, notBefore time.Time) error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.db.Update(func(tx *store.Tx) error {
		it, ok, err := tx.OutboxItem(q.Seq)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("retry outbox item %d: it is no longer queued", q.Seq)
		}
		return tx.OutboxRetry(q.Seq, notBefore, it.Attempts+1)
	})
}

// Drop removes an item that can never be delivered; for bot.DropBlocked it
// also marks the chat unreachable, in the same transaction.
func (b *botStore) Drop(q bot.Queued, why bot.DropReason) error {
	defer b.forget(q.Seq)
	if err := b.flush(); err != nil {
		return err
	}
	return b.db.Update(func(tx *store.Tx) error {
		if err := tx.OutboxDone(q.Seq); err != nil {
			return err
		}
		if why != bot.DropBlocked {
			return nil
		}
		rec, hadRec, st, err := chatState(tx, q.Out.ChatID)
		if err != nil {
			return err
		}
		if _, ok, err := tx.Session(survey.RespondentID(q.Out.ChatID)); err != nil {
			return err
		} else if !ok && !hadRec {
			return nil // forgotten (/delete) while the message was on its way
		}
		st.Unreachable = true
		if rec.State, err = json.Marshal(st); err != nil {
			return fmt.Errorf("encode the state of chat %d: %w", q.Out.ChatID, err)
		}
		return tx.PutChatRecord(q.Out.ChatID, rec)
	})
}

// PromptMessage returns the id of the message showing the chat's current
// question, or 0.
func (b *botStore) PromptMessage(chatID int64) (int, error) {
	b.mu.Lock()
	id, ok := b.prompts[chatID]
	b.mu.Unlock()
	if ok {
		return id, nil
	}
	rec, _, err := b.db.ChatRecord(chatID)
	if err != nil {
		return 0, err
	}
	return rec.PromptMessageID, nil
}

// Close writes the deliveries kept in memory; call it before closing the
// database.
func (b *botStore) Close() error { return b.flush() }
