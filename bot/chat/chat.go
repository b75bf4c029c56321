// Package chat holds what the bot and the store say to each other about a
// private chat: the messages, buttons and files the bot queues in the
// outbox, how each delivery ends, the chat's state, and the update a
// commit records. Package bot produces and sends them; package store
// keeps them, in the same transaction as the answer that caused them.
//
// It imports the standard library and package survey only, so that the
// store can speak it without knowing Telegram.
//
// Messages and chat states are stored as the JSON these types encode to:
// a field's name is part of the database format (see store/doc.go).
package chat

import (
	"reflect"
	"time"

	"toolmap/survey"
)

// Kind is the Bot API call a Message makes.
type Kind string

// The calls the sender makes from the outbox.
const (
	Send         Kind = "send"          // sendMessage
	EditText     Kind = "edit_text"     // editMessageText; without a Keyboard it removes the keyboard
	EditMarkup   Kind = "edit_markup"   // editMessageReplyMarkup
	SendDocument Kind = "send_document" // sendDocument: File, with Text as its caption
)

// Button is one inline keyboard button: callback Data, or a URL.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
}

// File is a document to send: a name and its bytes.
type File struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// Message is one message, edit or document waiting in the outbox. It is
// written in the same transaction as the step that caused it and sent
// afterwards, in order for each chat, by the bot's Sender.
type Message struct {
	Kind   Kind  `json:"kind"`
	ChatID int64 `json:"chat"`

	// The message an edit changes: MessageID, or with ToPrompt a message
	// the bot sent, looked up when the edit is sent (so it is right even
	// if that message was still in the outbox when the edit was queued):
	// the send numbered Num, or without Num (items queued by earlier
	// versions) the newest Prompt. An edit whose target is unknown is
	// dropped.
	MessageID int  `json:"msg,omitempty"`
	ToPrompt  bool `json:"to_prompt,omitempty"`
	// Num numbers the sends of the survey's conversation in a private
	// chat (State.Sends counts them): a delivery records the message id
	// Telegram gave the send under its number (State.Keyed), so the bot
	// learns which message is which. On a ToPrompt edit, the send whose
	// message to edit.
	Num int `json:"num,omitempty"`

	Text        string     `json:"text,omitempty"` // HTML; everything user-supplied escaped. A document's caption.
	Keyboard    [][]Button `json:"kb,omitempty"`   // inline keyboard
	ForceReply  bool       `json:"force_reply,omitempty"`
	Placeholder string     `json:"placeholder,omitempty"` // for ForceReply
	File        *File      `json:"file,omitempty"`        // SendDocument

	// Prompt marks a sent message as the chat's current question, the
	// target of later ToPrompt edits.
	Prompt bool `json:"prompt,omitempty"`
	// Bulk marks sends that may wait behind live conversations
	// (reminders, digests): the sender serves them last.
	Bulk bool `json:"bulk,omitempty"`
}

// Queued is a Message in the outbox, with its place in the queue.
type Queued struct {
	Seq       uint64    // queue order; unique
	Out       Message   //
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

// State is what the bot remembers about a private chat beyond the survey
// session: never names or usernames.
type State struct {
	Unreachable bool      `json:"unreachable,omitempty"` // 403: blocked or deactivated
	SlowUntil   time.Time `json:"slow_until,omitzero"`   // unused: older versions wrote it; the flood gate now remembers this in memory
	// Reminders: how many were queued, the last one when, and whether
	// the respondent asked for no more.
	Reminded    int       `json:"reminded,omitempty"`
	RemindedAt  time.Time `json:"reminded_at,omitzero"`
	NoReminders bool      `json:"no_reminders,omitempty"`

	// The bottom of the chat as the bot left it (see bot/view.go): the
	// sends it queued so far (which numbers them), the one message with
	// live buttons, whether the person wrote after the newest send, the
	// newest message id known in the chat, and the messages sent with
	// buttons lately, with their ids once known.
	Sends int     `json:"sends,omitempty"`
	Live  Live    `json:"live,omitzero"`
	Wrote bool    `json:"wrote,omitempty"`
	Seen  int     `json:"seen,omitempty"`
	Keyed []Keyed `json:"keyed,omitempty"`
}

// IsZero reports whether st holds nothing: a chat the bot keeps no
// record of.
func (st State) IsZero() bool { return reflect.ValueOf(st).IsZero() }

// Live is the chat's one message with live buttons: a question, the
// consent notice, a menu (/review, /language, a reminder, /delete).
type Live struct {
	Num  int    `json:"n"`              // its send number
	What string `json:"what,omitempty"` // what it shows: see bot/view.go
	At   string `json:"at,omitempty"`   // the step it asks, for a question (survey.Cursor.Key)
	Text uint64 `json:"text,omitempty"` // a hash of its text, as sent or last edited
	Body uint64 `json:"body,omitempty"` // the same without the line heading it (what the step before recorded)
	Keys uint64 `json:"kb,omitempty"`   // a hash of its keyboard
}

// Keyed is a message the bot sent with buttons.
type Keyed struct {
	Num    int  `json:"n,omitempty"` // its send number (0: known only from a tap)
	Msg    int  `json:"m,omitempty"` // its message id, once delivered
	Frozen bool `json:"f,omitempty"` // its buttons are removed, or their removal is queued
}

// MaxKeyed is how many messages with buttons a State remembers.
const MaxKeyed = 8

// Delivered records that the send numbered num became message msgID:
// what a delivery teaches the chat's state. It reports whether the state
// changed.
func (st *State) Delivered(num, msgID int) bool {
	changed := false
	if msgID > st.Seen {
		st.Seen, changed = msgID, true
	}
	for i := range st.Keyed {
		if k := &st.Keyed[i]; k.Num == num && k.Msg == 0 {
			k.Msg, changed = msgID, true
		}
	}
	return changed
}

// MessageOf returns the message id of the send numbered num, if known.
func (st *State) MessageOf(num int) int {
	for _, k := range st.Keyed {
		if k.Num == num {
			return k.Msg
		}
	}
	return 0
}

// Update is what the bot knows of one Telegram update before it is
// committed: its id and the keys that identify a repeat of it.
type Update struct {
	ID int64
	// Keys identify the same thing arriving again under another update id:
	// "m:<chat>:<message id>" for a message, "c:<chat>:<callback query
	// id>" for a tap. A key already recorded makes the update a duplicate.
	// They name the chat, so they are recorded only while its person has
	// a session (or with Keep); otherwise the update is recorded by its id
	// alone, which catches Telegram delivering the same update again.
	Keys []string
	// Keep records Keys even for someone without a session: a privileged
	// command, whose sender the config names anyway, and which must never
	// run twice.
	Keep bool
}

// Result is what handling one update produces, committed together.
type Result struct {
	Session survey.Session // the respondent's new session
	Events  []survey.Event // the engine's events (answer log, responses)
	Out     []Message      // messages to queue
	Chat    State          // the chat's new state
	// Forget deletes everything stored about the respondent (session,
	// response, answer log, chat record, messages queued to the chat)
	// before Out is queued; Session, Events and Chat are then ignored.
	Forget bool
}

// Pending is one update ready to commit: its keys, whose session it
// touches, and the pure function computing its effect (run inside the
// commit's transaction, perhaps more than once).
type Pending struct {
	Update     Update
	Respondent survey.RespondentID
	Fn         func(survey.Session, State) (Result, error)
}

// Backlog is a private chat with items still queued when the bot starts.
// Some of them may have been delivered just before the process stopped
// (their delivery was not recorded yet), so sending them again could
// repeat a message or an edit: the bot decides what to do with them
// (bot.Bot.Restart) before the sender runs.
type Backlog struct {
	ChatID  int64
	Session survey.Session // zero if the respondent has none
	State   State
	Queued  []Queued // in queue order
}

// Rework is what to do with a Backlog: drop some queued items, queue more
// after the rest, and store the chat's new state.
type Rework struct {
	Drop  []uint64  // sequence numbers of queued items to drop
	Out   []Message // queued after the items kept
	State State
}
