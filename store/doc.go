// Package store keeps toolmap's data in one bbolt file: respondents'
// sessions, completed responses, an append-only answer log, a few counters,
// the Telegram adapter's update offset, dedup keys, outbox and chat
// records, digest records and referral codes, under a schema version that
// is migrated forward on open. It writes exports (through survey/export)
// and backups, compacts the file, and applies retention.
//
// It imports package survey (and survey/export), bot/chat (the types it
// shares with the adapter) and bbolt; it knows nothing of Telegram or
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
// writes the response when the survey is completed, and forgets (as
// Forget does) a respondent who declines consent. Only after Step returns nil may the
// events be shown: nothing acknowledged is lost. [DB.Update] and
// [Tx.ApplyStep] are the same pieces for a caller that must write more in
// that transaction.
//
// Reads: [DB.Session], [DB.Responses] (a range scan in completion order),
// [DB.CountResponses], [DB.AnswerLog], [DB.Counter], and [DB.Check], bbolt's
// consistency check.
//
// # The bot's store, and the outbox
//
// DB implements the Telegram adapter's interfaces itself, in the types of
// package bot/chat (bot.go): the update loop's Store ([DB.Offset],
// [DB.Commit], [DB.CommitBatch]) and the sender's Outbox ([DB.Pending],
// [DB.Done], [DB.Drop], [DB.Retry], [DB.PromptMessage], [DB.Flush]).
// CommitBatch commits a poll's worth of updates in one transaction: for
// each, the session and answer log (as ApplyStep), the chat's state, the
// messages it queues, the keys that make a repeat a no-op, the next
// getUpdates offset (which may go down: update ids restart at random after
// a quiet week), and the respondent's referral code when they finish
// ([DB.ReferralCode]). The keys name the chat, so they are recorded only
// while its person has a session; otherwise the update is recorded as
// "u:<update id>", which names no one. The deliveries are the one record of what became of
// each queued message: an outcome is kept in memory, left out of Pending
// at once, and written with the next commit or flush, so that a delivery
// costs no fsync of its own; one whose write fails is kept and written
// later. Jobs queue messages with [Tx.Enqueue] beside their own writes
// (reminders with the chat's state, digest alerts with the digest record).
//
// Layout (schema 6): bucket meta holds "schema" and "referral_secret" (32
// random bytes); sessions and response_keys are keyed by the respondent id
// (8 bytes, big-endian); responses by completion time (UnixNano) and
// respondent id, 16 bytes; answer_log by respondent id and a sequence
// number, so one person's entries share a prefix; counters by name. Values
// are JSON; counters and the schema are 8-byte big-endian numbers. Schema 2
// adds updates ("offset": the 8-byte big-endian bits of an int64), seen
// (the dedup key → UnixNano when first handled), outbox (an 8-byte
// big-endian sequence → chat id, not-before UnixNano, attempts, then the
// JSON of a chat.Message) and chats (chat id → the id of the message
// showing the current question, then the JSON of a chat.State). Schema 3
// adds digests (an ISO week such as "2026-W47" → the JSON record of that
// week's digest: pending, sent with its message ids, failed or ambiguous).
// Schema 4 adds referrals (code → referrer id) and referral_of (referrer
// id → code). Schema 5 adds referred (code, a zero byte, the 8-byte id of
// a respondent whose source is that code → empty), so that a code leaves
// every source when its owner is forgotten or anonymised (referral.go);
// its migration also clears what earlier versions left computable from a
// Telegram id (migrate5.go). Schema 6 adds digest_index (a response's key
// → the binary record of what a digest reads of it, digest_record.go),
// written, moved and deleted with the response. The JSON field names of chat.Message and
// chat.State are part of the format: a rename needs a migration.
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
// was sent, so after a crash between the send and the write of its
// delivery it is sent again. Seen keys grow with traffic until [DB.PruneSeen] runs: run it
// daily with a horizon of a week (Telegram keeps an update for 24 hours).
//
// Declining consent forgets the respondent entirely, what they gave under
// an earlier notice included (they are warned, then told). A session still
// waiting for a first agreement is forgotten a day after its last change
// by [DB.ExpireUnconsented]. Errors never include answers.
package store
