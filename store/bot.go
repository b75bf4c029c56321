package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"time"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// The database as the Telegram adapter sees it: DB implements the bot's
// Store (Offset, Commit, CommitBatch) for the update loop and its Outbox
// (Pending, Done, Retry, Drop, PromptMessage, Flush) for the sender, in
// the types of package chat. Messages and chat states are stored as their
// JSON; a private chat's id is its user's id, so the chat record of a
// respondent is the one under the respondent id.

// Commit handles one update in one transaction, as the bot's Store
// documents. For a respondent who has no session, a zero Session with no
// events is not stored, no chat record is created and the update's keys
// (which name the chat) are not recorded, only "u:<update id>": a command
// that does not touch the survey (/help, say) leaves no trace of the
// person. The same holds after an update that forgets them (/delete,
// declining consent).
func (db *DB) Commit(u chat.Update, respondent survey.RespondentID, fn func(survey.Session, chat.State) (chat.Result, error)) (bool, error) {
	var handled bool
	err := db.Update(func(tx *Tx) error {
		var err error
		handled, err = tx.commitOne(chat.Pending{Update: u, Respondent: respondent, Fn: fn})
		return err
	})
	if err != nil {
		return false, err
	}
	return handled, nil
}

// CommitBatch commits several updates in one transaction, one fsync for
// all, each exactly as Commit would. The deliveries the sender reported
// since the last write ride along. If the batch fails (one update's
// function returned an error), the updates are committed one by one, so
// that the others still go through and only the bad one reports its error.
func (db *DB) CommitBatch(items []chat.Pending) ([]bool, error) {
	handled := make([]bool, len(items))
	acks := db.del.take()
	err := db.Update(func(tx *Tx) error {
		// Deliveries ride along: the fsync is paid anyway.
		if err := tx.writeAcks(acks); err != nil {
			return err
		}
		for i, it := range items {
			ok, err := tx.commitOne(it)
			if err != nil {
				return err
			}
			handled[i] = ok
		}
		return nil
	})
	db.del.settle(acks, err == nil, db.now())
	if err == nil {
		return handled, nil
	}
	if len(items) == 1 {
		// Nothing was committed: report no update handled, so that the
		// loop neither confirms it to Telegram nor counts it.
		return handled[:0], err
	}
	for i, it := range items {
		ok, err := db.Commit(it.Update, it.Respondent, it.Fn)
		if err != nil {
			return handled[:i], err
		}
		handled[i] = ok
	}
	return handled, nil
}

// commitOne applies one update inside tx.
func (tx *Tx) commitOne(p chat.Pending) (bool, error) {
	u, respondent, fn := p.Update, p.Respondent, p.Fn
	for _, k := range append(u.Keys, updateKey(u.ID)) {
		if tx.Seen(k) {
			return false, tx.SetOffset(u.ID + 1)
		}
	}
	var (
		before  survey.Session
		hadSess bool
		state   chat.State
		rec     chatRecord
		hadRec  bool
	)
	if respondent != 0 {
		var err error
		if before, hadSess, err = tx.Session(respondent); err != nil {
			return false, err
		}
		if rec, hadRec, state, err = tx.chatState(int64(respondent)); err != nil {
			return false, err
		}
	}
	res, err := fn(before.Clone(), state)
	if err != nil {
		return false, err
	}
	forgot := respondent != 0 && (res.Forget || withdrawn(res.Events))
	switch {
	case forgot && res.Forget:
		if _, err := tx.Forget(respondent); err != nil {
			return false, err
		}
	case respondent != 0:
		if hadSess || len(res.Events) > 0 || !reflect.ValueOf(res.Session).IsZero() {
			if err := tx.ApplyStep(respondent, before, res.Session, res.Events); err != nil {
				return false, err
			}
			if completed(res.Events) {
				if err := tx.putReferral(respondent, tx.db.ReferralCode(respondent)); err != nil {
					return false, err
				}
			}
		}
		// A chat record is kept only beside a session: someone who never
		// agreed, or who is forgotten, has none.
		if (hadRec || !res.Chat.IsZero()) && !forgot && tx.HasSession(respondent) {
			if err := tx.putChatState(int64(respondent), rec, res.Chat); err != nil {
				return false, err
			}
		}
	}
	if forgot {
		tx.db.del.forgetChat(int64(respondent))
	}
	for _, o := range res.Out {
		if err := tx.Enqueue(o, time.Time{}); err != nil {
			return false, err
		}
	}
	// The keys name the chat: they are kept only while the person has a
	// session. For everyone else the update is recorded by its id, which
	// names no one and still makes the same update, delivered again, a
	// no-op.
	keys := u.Keys
	if respondent != 0 && !u.Keep && (forgot || !tx.HasSession(respondent)) {
		keys = []string{updateKey(u.ID)}
	}
	now := tx.db.now()
	for _, k := range keys {
		if err := tx.MarkSeen(k, now); err != nil {
			return false, err
		}
	}
	if err := tx.SetOffset(u.ID + 1); err != nil {
		return false, err
	}
	return true, nil
}

// updateKey is the seen key recording an update by its id alone.
func updateKey(id int64) string { return "u:" + strconv.FormatInt(id, 10) }

// withdrawn reports whether events withdraw the respondent (ApplyStep
// then forgets them).
func withdrawn(events []survey.Event) bool {
	for _, ev := range events {
		if _, ok := ev.(survey.Withdrawn); ok {
			return true
		}
	}
	return false
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

// Enqueue queues m for its chat, not to be sent before notBefore (zero:
// at once).
func (tx *Tx) Enqueue(m chat.Message, notBefore time.Time) error {
	payload, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode a message for chat %d: %w", m.ChatID, err)
	}
	seq, err := tx.enqueue(m.ChatID, payload)
	if err != nil {
		return err
	}
	if notBefore.IsZero() {
		return nil
	}
	return tx.outboxRetry(seq, notBefore, 0)
}

// Enqueue queues messages in one transaction, each to its chat.
func (db *DB) Enqueue(msgs ...chat.Message) error {
	return db.Update(func(tx *Tx) error {
		for _, m := range msgs {
			if err := tx.Enqueue(m, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ChatState returns the state of chatID, and whether the chat has a
// record.
func (tx *Tx) ChatState(chatID int64) (chat.State, bool, error) {
	_, ok, st, err := tx.chatState(chatID)
	return st, ok, err
}

// PutChatState replaces the state of chatID, keeping its prompt message.
func (tx *Tx) PutChatState(chatID int64, st chat.State) error {
	rec, _, err := tx.chatRecord(chatID)
	if err != nil {
		return err
	}
	return tx.putChatState(chatID, rec, st)
}

// chatState loads the record of a chat and decodes its state: zero values
// if there is none.
func (tx *Tx) chatState(chatID int64) (chatRecord, bool, chat.State, error) {
	var st chat.State
	rec, ok, err := tx.chatRecord(chatID)
	if err != nil || !ok {
		return rec, ok, st, err
	}
	if len(rec.State) > 0 {
		if err := json.Unmarshal(rec.State, &st); err != nil {
			return rec, ok, st, tx.db.corrupt(fmt.Sprintf("the state of chat %d", chatID), err)
		}
	}
	return rec, ok, st, nil
}

// putChatState stores st in rec, the record of chatID.
func (tx *Tx) putChatState(chatID int64, rec chatRecord, st chat.State) error {
	var err error
	if rec.State, err = json.Marshal(st); err != nil {
		return fmt.Errorf("encode the state of chat %d: %w", chatID, err)
	}
	return tx.putChatRecord(chatID, rec)
}

// deliveries is the one record of what became of the items the sender
// took from the outbox. An outcome (delivered, or dropped) is kept in
// memory and written in groups: with the update loop's next commit (whose
// fsync is paid anyway), when ackBatch of them are waiting, when the
// sender falls idle (Flush), or when the oldest has waited ackMaxAge,
// instead of one fsync each. Until it is written, the item is left out of
// Pending, and a delivered prompt's message id is served from memory to
// PromptMessage; an outcome whose write fails stays here and is written
// with the next group. A crash before the write only means those messages
// are sent again after the restart, which the delivery guarantee allows
// (a prompt may be repeated; answers are never recorded twice).
type deliveries struct {
	mu sync.Mutex
	// decoded caches outbox items already decoded, by sequence number:
	// the sender reads the queue again and again while items wait for
	// their pacing slot, and decoding dominated its time. Items leave the
	// cache when they leave the outbox.
	decoded map[uint64]chat.Message
	acks    []ack           // outcomes not yet written
	acked   map[uint64]bool // their sequence numbers
	written map[uint64]bool // outcomes written since the last Pending began
	ackedAt time.Time       // when the oldest of them was reported
	prompts map[int64]int   // prompt message ids of those deliveries
	sent    map[sentKey]int // message ids of those deliveries, by chat and send number

	afterRead func() // tests: runs between Pending's read and its filtering
}

// sentKey names a numbered send of a chat.
type sentKey struct {
	chat int64
	num  int
}

const (
	ackBatch  = 64          // the most outcomes kept in memory before they are written
	ackMaxAge = time.Second // the longest an outcome waits to be written while the sender is busy
)

// ack is an outcome not yet written: a delivery (drop is ""), or an item
// given up.
type ack struct {
	seq    uint64
	chat   int64
	prompt bool
	num    int // the send's number in its chat (chat.Message.Num), 0 if none
	msg    int
	drop   chat.DropReason
}

// Pending returns up to limit queued items (all with limit <= 0) in queue
// order, leaving out those whose outcome is not yet written. An item that
// cannot be decoded is an error naming it; it stays queued.
func (db *DB) Pending(limit int) ([]chat.Queued, error) {
	d := &db.del
	d.mu.Lock()
	stale := len(d.acks) > 0 && db.now().Sub(d.ackedAt) >= ackMaxAge
	// An outcome written from now on may still show in the read below,
	// which can start before the write commits: written keeps it out.
	// Those written before are not in the read.
	d.written = nil
	skip := len(d.acked)
	d.mu.Unlock()
	if stale {
		if err := db.Flush(); err != nil {
			return nil, err
		}
		d.mu.Lock()
		skip = len(d.acked) // those whose write failed
		d.mu.Unlock()
	}
	if limit <= 0 {
		skip = 0 // all of them
	}
	items, err := db.outbox(limit + skip)
	if err != nil {
		return nil, err
	}
	if d.afterRead != nil {
		d.afterRead()
	}
	out := make([]chat.Queued, 0, len(items))
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.decoded == nil {
		d.decoded = map[uint64]chat.Message{}
	}
	for _, it := range items {
		if d.acked[it.Seq] || d.written[it.Seq] || (limit > 0 && len(out) == limit) {
			continue
		}
		o, ok := d.decoded[it.Seq]
		if !ok {
			if err := json.Unmarshal(it.Payload, &o); err != nil {
				return nil, db.corrupt(fmt.Sprintf("outbox item %d", it.Seq), err)
			}
			d.decoded[it.Seq] = o
		}
		out = append(out, chat.Queued{Seq: it.Seq, Out: o, Attempts: it.Attempts, NotBefore: it.NotBefore})
	}
	return out, nil
}

// Done records a delivered item; see deliveries for when it is written.
// The error is that of a write it triggered; the outcome is kept either
// way.
func (db *DB) Done(q chat.Queued, messageID int) error {
	num := 0
	if q.Out.Kind == chat.Send || q.Out.Kind == chat.SendDocument {
		num = q.Out.Num
	}
	if db.del.add(ack{seq: q.Seq, chat: q.Out.ChatID, prompt: q.Out.Prompt, num: num, msg: messageID}, db.now()) {
		return db.Flush()
	}
	return nil
}

// Drop records an item that can never be delivered, and writes it at once
// with the outcomes waiting; for chat.DropBlocked it also marks the chat
// unreachable, in the same transaction. An error is that of the write;
// the outcome is kept and written with the next group.
func (db *DB) Drop(q chat.Queued, why chat.DropReason) error {
	db.del.add(ack{seq: q.Seq, chat: q.Out.ChatID, drop: why}, db.now())
	return db.Flush()
}

// Retry counts one more failed attempt of the item (from the stored count,
// not q's) and keeps it until notBefore.
func (db *DB) Retry(q chat.Queued, notBefore time.Time) error {
	if err := db.Flush(); err != nil {
		return err
	}
	return db.Update(func(tx *Tx) error {
		it, ok, err := tx.outboxItem(q.Seq)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("retry outbox item %d: it is no longer queued", q.Seq)
		}
		return tx.outboxRetry(q.Seq, notBefore, it.Attempts+1)
	})
}

// PromptMessage returns the id of the message showing the chat's current
// question, or 0.
func (db *DB) PromptMessage(chatID int64) (int, error) {
	db.del.mu.Lock()
	id, ok := db.del.prompts[chatID]
	db.del.mu.Unlock()
	if ok {
		return id, nil
	}
	var rec chatRecord
	err := db.View(func(tx *Tx) error {
		var err error
		rec, _, err = tx.chatRecord(chatID)
		return err
	})
	return rec.PromptMessageID, err
}

// SentMessage returns the id of the message the send numbered num became
// in chatID (see chat.Message.Num), or 0 if it is not known: not
// delivered yet, or not a message with buttons.
func (db *DB) SentMessage(chatID int64, num int) (int, error) {
	db.del.mu.Lock()
	id, ok := db.del.sent[sentKey{chatID, num}]
	db.del.mu.Unlock()
	if ok {
		return id, nil
	}
	var st chat.State
	err := db.View(func(tx *Tx) error {
		var err error
		_, _, st, err = tx.chatState(chatID)
		return err
	})
	return st.MessageOf(num), err
}

// Flush writes the outcomes kept in memory, in one transaction. The
// sender calls it when it falls idle; Close calls it too.
func (db *DB) Flush() error {
	acks := db.del.take()
	if len(acks) == 0 {
		return nil
	}
	err := db.Update(func(tx *Tx) error { return tx.writeAcks(acks) })
	db.del.settle(acks, err == nil, db.now())
	return err
}

// add keeps an outcome; it reports whether enough are waiting to write
// them.
func (d *deliveries) add(a ack, now time.Time) (full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.decoded, a.seq)
	if len(d.acks) == 0 {
		d.ackedAt = now
	}
	d.acks = append(d.acks, a)
	if d.acked == nil {
		d.acked = map[uint64]bool{}
	}
	d.acked[a.seq] = true
	if a.drop == "" && a.prompt && a.msg != 0 {
		if d.prompts == nil {
			d.prompts = map[int64]int{}
		}
		d.prompts[a.chat] = a.msg
	}
	if a.drop == "" && a.num != 0 && a.msg != 0 {
		if d.sent == nil {
			d.sent = map[sentKey]int{}
		}
		d.sent[sentKey{a.chat, a.num}] = a.msg
	}
	return len(d.acks) >= ackBatch
}

// take takes the outcomes kept in memory, to be written; settle must
// follow.
func (d *deliveries) take() []ack {
	d.mu.Lock()
	defer d.mu.Unlock()
	acks := d.acks
	d.acks = nil
	return acks
}

// settle ends take: written outcomes are forgotten, the others are kept
// for the next write.
func (d *deliveries) settle(acks []ack, written bool, now time.Time) {
	if len(acks) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !written {
		d.acks = append(acks, d.acks...) // try again next time
		return
	}
	if d.written == nil {
		d.written = map[uint64]bool{}
	}
	for _, a := range acks {
		delete(d.acked, a.seq)
		d.written[a.seq] = true
		if a.prompt && a.msg != 0 && d.prompts[a.chat] == a.msg {
			delete(d.prompts, a.chat)
		}
		if a.num != 0 {
			delete(d.sent, sentKey{a.chat, a.num})
		}
	}
	if len(d.acks) > 0 {
		d.ackedAt = now
	}
}

// forgetChat drops a chat's items from the decoded cache and its prompt
// from memory: Forget removed them from the outbox. (If the transaction
// then fails, they are decoded again on the next read.)
func (d *deliveries) forgetChat(chatID int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for seq, o := range d.decoded {
		if o.ChatID == chatID {
			delete(d.decoded, seq)
		}
	}
	delete(d.prompts, chatID)
	for k := range d.sent {
		if k.chat == chatID {
			delete(d.sent, k)
		}
	}
}

// writeAcks writes outcomes in tx.
func (tx *Tx) writeAcks(acks []ack) error {
	for _, a := range acks {
		if err := tx.outboxDone(a.seq); err != nil {
			return err
		}
		switch {
		case a.drop == chat.DropBlocked:
			rec, hadRec, st, err := tx.chatState(a.chat)
			if err != nil {
				return err
			}
			if !hadRec && !tx.HasSession(survey.RespondentID(a.chat)) {
				continue // forgotten (/delete) while the message was on its way
			}
			st.Unreachable = true
			if err := tx.putChatState(a.chat, rec, st); err != nil {
				return err
			}
		case a.drop == "" && a.msg != 0 && (a.prompt || a.num != 0):
			// A chat with no session was forgotten (/delete) while the
			// message was on its way: keep no record of it.
			if !tx.HasSession(survey.RespondentID(a.chat)) {
				continue
			}
			rec, _, st, err := tx.chatState(a.chat)
			if err != nil {
				return err
			}
			// The chat's state learns which message the send became.
			changed := a.num != 0 && st.Delivered(a.num, a.msg)
			if a.prompt {
				rec.PromptMessageID = a.msg
			}
			if changed {
				err = tx.putChatState(a.chat, rec, st)
			} else if a.prompt {
				err = tx.putChatRecord(a.chat, rec)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Requeue hands every private chat with items in the outbox to fn, with
// its session, chat state and queued items, and applies what fn returns:
// the items it drops are removed, its messages are queued after the rest,
// and its state is stored. It runs in one transaction and returns how
// many chats fn changed. The bot calls it at start-up, before the sender
// runs (bot.Bot.Restart): items queued before a crash may have been
// delivered already, their delivery unrecorded.
func (db *DB) Requeue(fn func(chat.Backlog) (chat.Rework, error)) (int, error) {
	if err := db.Flush(); err != nil {
		return 0, err
	}
	changed := 0
	err := db.Update(func(tx *Tx) error {
		changed = 0
		items, err := tx.outbox(0)
		if err != nil {
			return err
		}
		var order []int64
		byChat := map[int64][]chat.Queued{}
		for _, it := range items {
			if it.ChatID <= 0 {
				continue // groups and channels hold no conversation
			}
			var m chat.Message
			if err := json.Unmarshal(it.Payload, &m); err != nil {
				return db.corrupt(fmt.Sprintf("outbox item %d", it.Seq), err)
			}
			if _, ok := byChat[it.ChatID]; !ok {
				order = append(order, it.ChatID)
			}
			byChat[it.ChatID] = append(byChat[it.ChatID], chat.Queued{Seq: it.Seq, Out: m, Attempts: it.Attempts, NotBefore: it.NotBefore})
		}
		for _, id := range order {
			s, _, err := tx.Session(survey.RespondentID(id))
			if err != nil {
				return err
			}
			rec, hadRec, st, err := tx.chatState(id)
			if err != nil {
				return err
			}
			rw, err := fn(chat.Backlog{ChatID: id, Session: s, State: st, Queued: byChat[id]})
			if err != nil {
				return err
			}
			if len(rw.Drop) == 0 && len(rw.Out) == 0 {
				continue
			}
			changed++
			for _, seq := range rw.Drop {
				if err := tx.outboxDone(seq); err != nil {
					return err
				}
			}
			for _, o := range rw.Out {
				if err := tx.Enqueue(o, time.Time{}); err != nil {
					return err
				}
			}
			if hadRec || !rw.State.IsZero() {
				if err := tx.putChatState(id, rec, rw.State); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	db.del.mu.Lock()
	db.del.decoded = nil // dropped items may be cached
	db.del.mu.Unlock()
	return changed, nil
}
