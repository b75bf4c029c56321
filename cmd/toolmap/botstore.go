package main

import (
	"encoding/json"
	"fmt"
	"reflect"
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
		handled = false
		for _, k := range u.Keys {
			if tx.Seen(k) {
				return tx.SetOffset(u.ID + 1)
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
				return err
			}
			if rec, hadRec, chat, err = chatState(tx, int64(respondent)); err != nil {
				return err
			}
		}
		res, err := fn(before.Clone(), chat)
		if err != nil {
			return err
		}
		if respondent != 0 {
			if hadSess || len(res.Events) > 0 || !reflect.ValueOf(res.Session).IsZero() {
				if err := tx.ApplyStep(respondent, before, res.Session, res.Events); err != nil {
					return err
				}
			}
			if hadRec || res.Chat != (bot.ChatState{}) {
				if rec.State, err = json.Marshal(res.Chat); err != nil {
					return fmt.Errorf("encode the state of chat %d: %w", respondent, err)
				}
				if err := tx.PutChatRecord(int64(respondent), rec); err != nil {
					return err
				}
			}
		}
		for _, o := range res.Out {
			payload, err := json.Marshal(o)
			if err != nil {
				return fmt.Errorf("encode a message for chat %d: %w", o.ChatID, err)
			}
			if _, err := tx.Enqueue(o.ChatID, payload); err != nil {
				return err
			}
		}
		now := b.now()
		for _, k := range u.Keys {
			if err := tx.MarkSeen(k, now); err != nil {
				return err
			}
		}
		if err := tx.SetOffset(u.ID + 1); err != nil {
			return err
		}
		handled = true
		return nil
	})
	if err != nil {
		return false, err
	}
	return handled, nil
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

// Pending returns up to limit queued items in queue order. An item that
// cannot be decoded is an error naming it; it stays queued.
func (b *botStore) Pending(limit int) ([]bot.Queued, error) {
	items, err := b.db.Outbox(limit)
	if err != nil {
		return nil, err
	}
	out := make([]bot.Queued, 0, len(items))
	for _, it := range items {
		var o bot.Outgoing
		if err := json.Unmarshal(it.Payload, &o); err != nil {
			return nil, fmt.Errorf("decode outbox item %d: %w", it.Seq, err)
		}
		out = append(out, bot.Queued{Seq: it.Seq, Out: o, Attempts: it.Attempts, NotBefore: it.NotBefore})
	}
	return out, nil
}

// Done removes a delivered item and, for a prompt with a message id,
// records that message as the chat's prompt, in one transaction.
func (b *botStore) Done(q bot.Queued, messageID int) error {
	if q.Out.Prompt && messageID != 0 {
		return b.db.OutboxDoneAsPrompt(q.Seq, q.Out.ChatID, messageID)
	}
	return b.db.OutboxDone(q.Seq)
}

// Retry counts one more failed attempt of the item (from the stored count,
// not q's) and keeps it until notBefore.
func (b *botStore) Retry(q bot.Queued, notBefore time.Time) error {
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
	return b.db.Update(func(tx *store.Tx) error {
		if err := tx.OutboxDone(q.Seq); err != nil {
			return err
		}
		if why != bot.DropBlocked {
			return nil
		}
		rec, _, st, err := chatState(tx, q.Out.ChatID)
		if err != nil {
			return err
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
	rec, _, err := b.db.ChatRecord(chatID)
	if err != nil {
		return 0, err
	}
	return rec.PromptMessageID, nil
}
