// Package store keeps toolmap's data in one bbolt file: respondents'
// sessions, completed responses, an append-only answer log, a few counters,
// and the Telegram adapter's update offset, dedup keys and outbox, under a
// schema version that is migrated forward on open.
//
// It imports package survey and bbolt only; it knows nothing of Telegram or
// cron.
//
// # Basics
//
// [Open] opens (or creates, mode 0600) the file and takes bbolt's exclusive
// file lock. Each conversation step is one transaction:
//
//	events, err := db.Step(id, func(s survey.Session) (survey.Session, []survey.Event, error) {
//		return survey.Step(def, s, in, now)
//	})
//
// Step loads the session, runs the pure engine, and in the same
// transaction saves the new session, logs each new or changed answer,
// writes the response when the survey is completed, and forgets a
// respondent who declines consent. Only after Step returns nil may the
// events be shown: nothing acknowledged is lost. [DB.Update] and
// [Tx.ApplyStep] are the same pieces for a caller that must write more in
// that transaction.
//
// Reads: [DB.Session], [DB.Responses] (a range scan in completion order),
// [DB.CountResponses], [DB.AnswerLog], [DB.Counter], and [DB.Check], bbolt's
// consistency check.
//
// # Updates and the outbox
//
// For the Telegram adapter the store keeps, in the same file and so in the
// same transaction as a step: the offset of the next getUpdates
// ([Tx.Offset], [Tx.SetOffset]; it may go down, as update ids restart at
// random after a quiet week), the keys of handled updates ([Tx.Seen],
// [Tx.MarkSeen]; [DB.PruneSeen] forgets old ones), an outbox of messages
// to send ([Tx.Enqueue]; [DB.Outbox] in queue order, [DB.OutboxRetry],
// [DB.OutboxDone]) and a record per chat ([ChatRecord]: the adapter's state
// and the id of the message showing the current question).
// [DB.OutboxDoneAsPrompt] removes a delivered item and records its message
// as the chat's prompt in one transaction. Payloads and chat state are
// opaque bytes: the store knows nothing of their format.
//
// A handler of one update does it all in one [DB.Update]:
//
//	err := db.Update(func(tx *store.Tx) error {
//		before, _, err := tx.Session(id)
//		// … step the engine, then tx.ApplyStep(id, before, after, events),
//		// tx.Enqueue(chat, payload) for each message, tx.MarkSeen(key, now)
//		// for each key, and tx.SetOffset(updateID + 1).
//	})
//
// Layout (schema 3): bucket meta holds "schema"; sessions and
// response_keys are keyed by the respondent id (8 bytes, big-endian);
// responses by completion time (UnixNano) and respondent id, 16 bytes;
// answer_log by respondent id and a sequence number, so one person's
// entries share a prefix; counters by name. Values are JSON; counters and
// the schema are 8-byte big-endian numbers. Schema 2 adds updates
// ("offset": the 8-byte big-endian bits of an int64), seen (the dedup key →
// UnixNano when first handled), outbox (an 8-byte big-endian sequence →
// chat id, not-before UnixNano, attempts, then the payload) and chats (chat
// id → prompt message id, then the state bytes). Schema 3 adds digests
// (an ISO week such as "2026-W47" → the JSON record of that week's digest:
// pending, sent with its message ids, failed or ambiguous).
//
// # Caveats
//
// bbolt's lock is exclusive: a second Open of a file in use, from another
// process or this one, fails after [Options.Timeout] with an error matching
// [ErrLocked]. A database written by a newer toolmap is refused
// ([ErrNewerSchema]); one written by an older toolmap is migrated, in one
// transaction, unless opened read-only. A file that is not a bbolt database
// is refused ([ErrCorrupt]) and never written to; an empty file is treated
// as new.
//
// Write transactions run one at a time and, unless [Options.NoSync], each
// waits for fsync. Step uses Update, not bbolt's Batch: Batch may run a
// function twice and delays a lone writer.
//
// The function given to Step runs inside the write transaction: it must do
// no I/O. Functions given to the read methods run inside a read transaction;
// a long one delays the growth of the file. Values are decoded or copied
// before they are passed on: no byte slice outlives its transaction.
//
// The outbox gives at-least-once delivery: an item is removed only after it
// was sent, so after a crash between the send and [DB.OutboxDone] it is
// sent again. Seen keys grow with traffic until [DB.PruneSeen] runs: run it
// daily with a horizon of a week (Telegram keeps an update for 24 hours).
//
// Withdrawing consent deletes the session only. Responses and answer-log
// entries stored under an earlier consent stay until they are deleted
// explicitly. Errors never include answers.
package store
