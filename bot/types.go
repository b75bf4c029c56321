// Package bot is toolmap's Telegram adapter: its own update loop, the
// translation of updates into survey inputs, the rendering of the engine's
// events as messages and inline keyboards, commands, and one paced sender
// that drains a persistent outbox.
//
// It never imports the store: it declares the small interfaces it needs
// (Store, Outbox), in the types of package chat, and package store
// implements them.
package bot

import (
	"time"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// The bot's names for the types it shares with the store (package chat).
type (
	OutKind    = chat.Kind
	Button     = chat.Button
	Outgoing   = chat.Message
	Queued     = chat.Queued
	DropReason = chat.DropReason
	Update     = chat.Update
	Result     = chat.Result
	ChatState  = chat.State
	Pending    = chat.Pending
)

// The calls the sender makes from the outbox.
const (
	OutSend         = chat.Send
	OutEditText     = chat.EditText
	OutEditMarkup   = chat.EditMarkup
	OutSendDocument = chat.SendDocument
)

// Why items are dropped.
const (
	DropBlocked    = chat.DropBlocked
	DropBadRequest = chat.DropBadRequest
	DropNoTarget   = chat.DropNoTarget
	DropSuperseded = chat.DropSuperseded
)

// Outbox is what the Sender needs of the database. Every method is one
// short transaction or less; none is called while a Bot API request is in
// flight on the same item.
//
// The outbox owns the state of every delivery: once Done or Drop is
// called, Pending never returns the item again, even when writing the
// outcome fails (the outbox keeps it and writes it later; the error is
// only reported). A crash before the write means the item is sent again
// after the restart, which the delivery guarantee allows.
type Outbox interface {
	// Pending returns up to limit queued items in queue order.
	Pending(limit int) ([]Queued, error)
	// Done records a delivered item. messageID is the id Telegram gave a
	// sent message (0 for edits); when the item is a Prompt it becomes the
	// chat's prompt message.
	Done(q Queued, messageID int) error
	// Retry keeps the item for another attempt no earlier than notBefore.
	Retry(q Queued, notBefore time.Time) error
	// Drop records an item that can never be delivered. For DropBlocked it
	// also marks the chat unreachable (no more sends, no reminders).
	Drop(q Queued, why DropReason) error
	// PromptMessage returns the id of the message showing the chat's
	// current question, or 0.
	PromptMessage(chatID int64) (int, error)
	// SentMessage returns the id of the message the chat's send numbered
	// num became (chat.Message.Num), or 0 if it is not known.
	SentMessage(chatID int64, num int) (int, error)
}

// Store is what the update loop needs of the database.
type Store interface {
	// Offset returns the offset the next getUpdates should use: the last
	// committed update id + 1, or 0 when nothing was ever committed.
	Offset() (int64, error)
	// Commit handles one update in one transaction. If any of u.Keys was
	// recorded before, it only stores the offset u.ID+1 and returns
	// false: a duplicate changes nothing. Otherwise it loads the session
	// and chat state of respondent (when respondent is not 0), calls fn,
	// and stores the new session with its events (answer log, response),
	// the chat state, the outgoing messages, u.Keys and the offset
	// u.ID+1, all or nothing. fn must be pure: it runs inside the
	// transaction. When respondent is 0 (a group, a bot, an update of no
	// interest) fn gets zero values and only its Out, the keys and the
	// offset are stored. An error from fn commits nothing.
	Commit(u Update, respondent survey.RespondentID, fn func(survey.Session, ChatState) (Result, error)) (bool, error)
	// CommitBatch commits updates in order, each exactly as Commit would,
	// in as few transactions as it can (one fsync for a whole poll's worth
	// of updates). It reports for each whether it was new. On an error,
	// the updates before the one that failed are committed.
	CommitBatch(items []Pending) ([]bool, error)
}
