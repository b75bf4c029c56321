// Package bot is toolmap's Telegram adapter: its own update loop, the
// translation of updates into survey inputs, the rendering of the engine's
// events as messages and inline keyboards, commands, and one paced sender
// that drains a persistent outbox.
//
// It never imports the store: it declares the small interfaces it needs
// (Store, Outbox) and cmd/toolmap wires them to package store.
package bot

import (
	"time"

	"toolmap/survey"
)

// OutKind is the Bot API call an Outgoing makes.
type OutKind string

// The calls the sender makes from the outbox.
const (
	OutSend       OutKind = "send"        // sendMessage
	OutEditText   OutKind = "edit_text"   // editMessageText; without a Keyboard it removes the keyboard
	OutEditMarkup OutKind = "edit_markup" // editMessageReplyMarkup
)

// Button is one inline keyboard button: callback Data, or a URL.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Outgoing is one message or edit waiting in the outbox. It is written in
// the same transaction as the step that caused it and sent afterwards, in
// order for each chat, by the Sender.
type Outgoing struct {
	Kind   OutKind `json:"kind"`
	ChatID int64   `json:"chat"`

	// The message an edit changes: MessageID, or with ToPrompt the message
	// that shows the chat's current question, looked up when the edit is
	// sent (so it is right even if that message was still in the outbox
	// when the edit was queued). An edit whose target is unknown is dropped.
	MessageID int  `json:"msg,omitempty"`
	ToPrompt  bool `json:"to_prompt,omitempty"`

	Text        string     `json:"text,omitempty"` // HTML; everything user-supplied escaped
	Keyboard    [][]Button `json:"kb,omitempty"`   // inline keyboard
	ForceReply  bool       `json:"force_reply,omitempty"`
	Placeholder string     `json:"placeholder,omitempty"` // for ForceReply

	// Prompt marks a sent message as the chat's current question, the
	// target of later ToPrompt edits.
	Prompt bool `json:"prompt,omitempty"`
	// Bulk marks sends that may wait behind live conversations
	// (reminders, digests): the sender serves them last.
	Bulk bool `json:"bulk,omitempty"`
}

// Queued is an Outgoing in the outbox, with its place in the queue.
type Queued struct {
	Seq       uint64    // queue order; unique
	Out       Outgoing  //
	Attempts  int       // failed attempts so far
	NotBefore time.Time // do not try before this (backoff)
}

// DropReason says why an outbox item was given up.
type DropReason string

// Why items are dropped.
const (
	DropBlocked    DropReason = "blocked"     // 403: the user blocked the bot or is deactivated; the chat is now unreachable
	DropBadRequest DropReason = "bad_request" // 400 other than "message is not modified": retrying cannot help
	DropNoTarget   DropReason = "no_target"   // an edit whose message is unknown
	DropSuperseded DropReason = "superseded"  // a later edit of the same message replaced it
)

// Outbox is what the Sender needs of the database. Every method is one
// short transaction; none is called while a Bot API request is in flight
// on the same item.
type Outbox interface {
	// Pending returns up to limit queued items in queue order.
	Pending(limit int) ([]Queued, error)
	// Done removes a delivered item. messageID is the id Telegram gave a
	// sent message (0 for edits); when the item is a Prompt it becomes the
	// chat's prompt message.
	Done(q Queued, messageID int) error
	// Retry keeps the item for another attempt no earlier than notBefore.
	Retry(q Queued, notBefore time.Time) error
	// Drop removes an item that can never be delivered. For DropBlocked it
	// also marks the chat unreachable (no more sends, no reminders).
	Drop(q Queued, why DropReason) error
	// PromptMessage returns the id of the message showing the chat's
	// current question, or 0.
	PromptMessage(chatID int64) (int, error)
}

// Update is what the loop knows of one Telegram update before it is
// committed: its id and the keys that identify a repeat of it.
type Update struct {
	ID int64
	// Keys identify the same thing arriving again under another update id:
	// "m:<chat>:<message id>" for a message, "c:<callback query id>" for a
	// tap. A key already recorded makes the update a duplicate.
	Keys []string
}

// Result is what handling one update produces, committed together.
type Result struct {
	Session survey.Session // the respondent's new session
	Events  []survey.Event // the engine's events (answer log, responses)
	Out     []Outgoing     // messages to queue
	Chat    ChatState      // the chat's new state
	// Forget deletes everything stored about the respondent (session,
	// response, answer log, chat record, messages queued to the chat)
	// before Out is queued; Session, Events and Chat are then ignored.
	Forget bool
}

// ChatState is what the bot remembers about a private chat beyond the
// survey session: never names or usernames.
type ChatState struct {
	Unreachable bool      `json:"unreachable,omitempty"` // 403: blocked or deactivated
	SlowUntil   time.Time `json:"slow_until,omitzero"`   // told to slow down; quiet until then
	// Reminders: how many were queued, the last one when, and whether
	// the respondent asked for no more.
	Reminded    int       `json:"reminded,omitempty"`
	RemindedAt  time.Time `json:"reminded_at,omitzero"`
	NoReminders bool      `json:"no_reminders,omitempty"`
}

// Pending is one update ready to commit: its keys, whose session it
// touches, and the pure function computing its effect.
type Pending struct {
	Update     Update
	Respondent survey.RespondentID
	Fn         func(survey.Session, ChatState) (Result, error)
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
