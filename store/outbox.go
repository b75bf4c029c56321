package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// The outbox and the chat records as bytes: the envelope of each queued
// item, and the record of each chat. bot.go encodes what they carry (the
// JSON of a chat.Message, of a chat.State).

// outboxItem is one message waiting in the outbox, its payload still
// encoded.
type outboxItem struct {
	Seq       uint64    // queue order; unique, never reused
	ChatID    int64     // the chat it goes to
	NotBefore time.Time // do not try before this; zero for at once
	Attempts  int       // failed attempts so far
	Payload   []byte    // a copy, safe to keep
}

// chatRecord is what is kept about one chat: the adapter's state (the
// JSON of a chat.State) and the id of the message showing the chat's
// current question (0 if none).
type chatRecord struct {
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
func (tx *Tx) decodeItem(k, v []byte) (outboxItem, error) {
	if len(k) != 8 {
		return outboxItem{}, tx.db.corrupt("an outbox key", fmt.Errorf("%d bytes, want 8", len(k)))
	}
	seq := binary.BigEndian.Uint64(k)
	if len(v) < envHeader {
		return outboxItem{}, tx.db.corrupt(fmt.Sprintf("outbox item %d", seq), fmt.Errorf("%d bytes, want at least %d", len(v), envHeader))
	}
	it := outboxItem{
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

// enqueue appends a payload for chatID to the outbox and returns its
// sequence number. The payload is copied.
func (tx *Tx) enqueue(chatID int64, payload []byte) (uint64, error) {
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

// outbox returns up to limit items (all of them if limit <= 0) in queue
// order, whether due or not.
func (tx *Tx) outbox(limit int) ([]outboxItem, error) {
	var out []outboxItem
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

// outboxItem returns the item seq and whether it is still queued.
func (tx *Tx) outboxItem(seq uint64) (outboxItem, bool, error) {
	k := u64(seq)
	v := tx.tx.Bucket(bucketOutbox).Get(k)
	if v == nil {
		return outboxItem{}, false, nil
	}
	it, err := tx.decodeItem(k, v)
	if err != nil {
		return outboxItem{}, false, err
	}
	return it, true, nil
}

// outboxDone removes item seq from the outbox. Removing an item that is
// not there does nothing.
func (tx *Tx) outboxDone(seq uint64) error {
	if err := tx.tx.Bucket(bucketOutbox).Delete(u64(seq)); err != nil {
		return fmt.Errorf("remove outbox item %d: %w", seq, err)
	}
	return nil
}

// outboxRetry keeps item seq in its place in the queue with the given
// attempt count, not to be tried before notBefore. The item must exist.
func (tx *Tx) outboxRetry(seq uint64, notBefore time.Time, attempts int) error {
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

// chatRecord returns the record of chatID and whether there is one.
func (tx *Tx) chatRecord(chatID int64) (chatRecord, bool, error) {
	v := tx.tx.Bucket(bucketChats).Get(u64(uint64(chatID)))
	if v == nil {
		return chatRecord{}, false, nil
	}
	if len(v) < 8 {
		return chatRecord{}, false, tx.db.corrupt(fmt.Sprintf("the record of chat %d", chatID), fmt.Errorf("%d bytes, want at least 8", len(v)))
	}
	r := chatRecord{PromptMessageID: int(int64(binary.BigEndian.Uint64(v)))}
	if len(v) > 8 {
		r.State = append([]byte(nil), v[8:]...)
	}
	return r, true, nil
}

// putChatRecord replaces the record of chatID. State is copied.
func (tx *Tx) putChatRecord(chatID int64, r chatRecord) error {
	v := make([]byte, 8+len(r.State))
	binary.BigEndian.PutUint64(v, uint64(int64(r.PromptMessageID)))
	copy(v[8:], r.State)
	if err := tx.tx.Bucket(bucketChats).Put(u64(uint64(chatID)), v); err != nil {
		return fmt.Errorf("save the record of chat %d: %w", chatID, err)
	}
	return nil
}

// setPromptMessage records messageID as the message showing chatID's
// current question, keeping the chat's state.
func (tx *Tx) setPromptMessage(chatID int64, messageID int) error {
	r, _, err := tx.chatRecord(chatID)
	if err != nil {
		return err
	}
	r.PromptMessageID = messageID
	return tx.putChatRecord(chatID, r)
}

// outbox returns up to limit items (all of them if limit <= 0) in queue
// order, whether due or not.
func (db *DB) outbox(limit int) ([]outboxItem, error) {
	var out []outboxItem
	err := db.View(func(tx *Tx) error {
		var err error
		out, err = tx.outbox(limit)
		return err
	})
	return out, err
}

// OutboxLen returns the number of queued items.
func (db *DB) OutboxLen() (int, error) {
	var n int
	err := db.View(func(tx *Tx) error {
		n = tx.tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	return n, err
}
