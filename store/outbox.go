package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// OutboxItem is one message waiting in the outbox. The store does not
// read Payload: the adapter that queued it decodes it.
type OutboxItem struct {
	Seq       uint64    // queue order; unique, never reused
	ChatID    int64     // the chat it goes to
	NotBefore time.Time // do not try before this; zero for at once
	Attempts  int       // failed attempts so far
	Payload   []byte    // opaque; a copy, safe to keep
}

// ChatRecord is what the adapter keeps about one chat: its own state,
// opaque to the store, and the id of the message showing the chat's
// current question (0 if none).
type ChatRecord struct {
	State           []byte
	PromptMessageID int
}

// Outbox envelope: chat id, NotBefore (UnixNano, 0 for zero), attempts,
// then the payload.
const (
	envChat      = 0
	envNotBefore = 8
	envAttempts  = 16
	envHeader    = 20
)

func encodeItem(chatID int64, notBefore time.Time, attempts int, payload []byte) []byte {
	v := make([]byte, envHeader+len(payload))
	binary.BigEndian.PutUint64(v[envChat:], uint64(chatID))
	if !notBefore.IsZero() {
		binary.BigEndian.PutUint64(v[envNotBefore:], uint64(notBefore.UnixNano()))
	}
	binary.BigEndian.PutUint32(v[envAttempts:], uint32(attempts))
	copy(v[envHeader:], payload)
	return v
}

// decodeItem copies the item out of v, which belongs to the transaction.
func (tx *Tx) decodeItem(k, v []byte) (OutboxItem, error) {
	if len(k) != 8 {
		return OutboxItem{}, tx.db.corrupt("an outbox key", fmt.Errorf("%d bytes, want 8", len(k)))
	}
	seq := binary.BigEndian.Uint64(k)
	if len(v) < envHeader {
		return OutboxItem{}, tx.db.corrupt(fmt.Sprintf("outbox item %d", seq), fmt.Errorf("%d bytes, want at least %d", len(v), envHeader))
	}
	it := OutboxItem{
		Seq:      seq,
		ChatID:   int64(binary.BigEndian.Uint64(v[envChat:])),
		Attempts: int(binary.BigEndian.Uint32(v[envAttempts:])),
		Payload:  append([]byte(nil), v[envHeader:]...),
	}
	if nb := int64(binary.BigEndian.Uint64(v[envNotBefore:])); nb != 0 {
		it.NotBefore = time.Unix(0, nb).UTC()
	}
	return it, nil
}

// Enqueue appends a message for chatID to the outbox and returns its
// sequence number. The payload is copied.
func (tx *Tx) Enqueue(chatID int64, payload []byte) (uint64, error) {
	b := tx.tx.Bucket(bucketOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("queue a message for chat %d: %w", chatID, err)
	}
	if err := b.Put(u64(seq), encodeItem(chatID, time.Time{}, 0, payload)); err != nil {
		return 0, fmt.Errorf("queue a message for chat %d: %w", chatID, err)
	}
	return seq, nil
}

// Outbox returns up to limit items (all of them if limit <= 0) in queue
// order, whether due or not.
func (tx *Tx) Outbox(limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	c := tx.tx.Bucket(bucketOutbox).Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
		it, err := tx.decodeItem(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// OutboxItem returns the item seq and whether it is still queued.
func (tx *Tx) OutboxItem(seq uint64) (OutboxItem, bool, error) {
	k := u64(seq)
	v := tx.tx.Bucket(bucketOutbox).Get(k)
	if v == nil {
		return OutboxItem{}, false, nil
	}
	it, err := tx.decodeItem(k, v)
	if err != nil {
		return OutboxItem{}, false, err
	}
	return it, true, nil
}

// OutboxLen returns the number of queued items.
func (tx *Tx) OutboxLen() int { return tx.tx.Bucket(bucketOutbox).Stats().KeyN }

// OutboxDone removes item seq from the outbox. Removing an item that is
// not there does nothing.
func (tx *Tx) OutboxDone(seq uint64) error {
	if err := tx.tx.Bucket(bucketOutbox).Delete(u64(seq)); err != nil {
		return fmt.Errorf("remove outbox item %d: %w", seq, err)
	}
	return nil
}

// OutboxRetry keeps item seq in its place in the queue with the given
// attempt count, not to be tried before notBefore. The item must exist.
func (tx *Tx) OutboxRetry(seq uint64, notBefore time.Time, attempts int) error {
	if attempts < 0 || attempts > math.MaxInt32 {
		return fmt.Errorf("retry outbox item %d: %d attempts", seq, attempts)
	}
	b := tx.tx.Bucket(bucketOutbox)
	k := u64(seq)
	v := b.Get(k)
	if v == nil {
		return fmt.Errorf("retry outbox item %d: it is no longer queued", seq)
	}
	it, err := tx.decodeItem(k, v)
	if err != nil {
		return err
	}
	if err := b.Put(k, encodeItem(it.ChatID, notBefore, attempts, it.Payload)); err != nil {
		return fmt.Errorf("retry outbox item %d: %w", seq, err)
	}
	return nil
}

// ChatRecord returns the record of chatID and whether there is one.
func (tx *Tx) ChatRecord(chatID int64) (ChatRecord, bool, error) {
	v := tx.tx.Bucket(bucketChats).Get(u64(uint64(chatID)))
	if v == nil {
		return ChatRecord{}, false, nil
	}
	if len(v) < 8 {
		return ChatRecord{}, false, tx.db.corrupt(fmt.Sprintf("the record of chat %d", chatID), fmt.Errorf("%d bytes, want at least 8", len(v)))
	}
	r := ChatRecord{PromptMessageID: int(int64(binary.BigEndian.Uint64(v)))}
	if len(v) > 8 {
		r.State = append([]byte(nil), v[8:]...)
	}
	return r, true, nil
}

// PutChatRecord replaces the record of chatID. State is copied.
func (tx *Tx) PutChatRecord(chatID int64, r ChatRecord) error {
	v := make([]byte, 8+len(r.State))
	binary.BigEndian.PutUint64(v, uint64(int64(r.PromptMessageID)))
	copy(v[8:], r.State)
	if err := tx.tx.Bucket(bucketChats).Put(u64(uint64(chatID)), v); err != nil {
		return fmt.Errorf("save the record of chat %d: %w", chatID, err)
	}
	return nil
}

// DeleteChatRecord deletes the record of chatID, if there is one.
func (tx *Tx) DeleteChatRecord(chatID int64) error {
	if err := tx.tx.Bucket(bucketChats).Delete(u64(uint64(chatID))); err != nil {
		return fmt.Errorf("delete the record of chat %d: %w", chatID, err)
	}
	return nil
}

// SetPromptMessage records messageID as the message showing chatID's
// current question, keeping the chat's state.
func (tx *Tx) SetPromptMessage(chatID int64, messageID int) error {
	r, _, err := tx.ChatRecord(chatID)
	if err != nil {
		return err
	}
	r.PromptMessageID = messageID
	return tx.PutChatRecord(chatID, r)
}

// Outbox returns up to limit items (all of them if limit <= 0) in queue
// order, whether due or not.
func (db *DB) Outbox(limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := db.View(func(tx *Tx) error {
		var err error
		out, err = tx.Outbox(limit)
		return err
	})
	return out, err
}

// OutboxLen returns the number of queued items.
func (db *DB) OutboxLen() (int, error) {
	var n int
	err := db.View(func(tx *Tx) error {
		n = tx.OutboxLen()
		return nil
	})
	return n, err
}

// OutboxDone removes item seq from the outbox; removing an item that is not
// there does nothing.
func (db *DB) OutboxDone(seq uint64) error {
	return db.Update(func(tx *Tx) error { return tx.OutboxDone(seq) })
}

// OutboxDoneAsPrompt removes item seq and records messageID as chatID's
// prompt message, in one transaction: after a crash both have happened or
// neither has.
func (db *DB) OutboxDoneAsPrompt(seq uint64, chatID int64, messageID int) error {
	return db.Update(func(tx *Tx) error {
		if err := tx.OutboxDone(seq); err != nil {
			return err
		}
		return tx.SetPromptMessage(chatID, messageID)
	})
}

// OutboxRetry keeps item seq in the queue with the given attempt count, not
// to be tried before notBefore. The item must exist.
func (db *DB) OutboxRetry(seq uint64, notBefore time.Time, attempts int) error {
	return db.Update(func(tx *Tx) error { return tx.OutboxRetry(seq, notBefore, attempts) })
}

// ChatRecord returns the record of chatID and whether there is one.
func (db *DB) ChatRecord(chatID int64) (ChatRecord, bool, error) {
	var (
		r  ChatRecord
		ok bool
	)
	err := db.View(func(tx *Tx) error {
		var err error
		r, ok, err = tx.ChatRecord(chatID)
		return err
	})
	return r, ok, err
}

// PutChatRecord replaces the record of chatID.
func (db *DB) PutChatRecord(chatID int64, r ChatRecord) error {
	return db.Update(func(tx *Tx) error { return tx.PutChatRecord(chatID, r) })
}
