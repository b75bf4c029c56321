package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"

	"toolmap/survey"
	"toolmap/survey/export"
)

// Forgotten counts what Forget deleted.
type Forgotten struct {
	Session, Response bool
	LogEntries        int // answer-log entries
	Outbox            int // queued messages to their chat
	Seen              int // handled-message keys of their chat
	Chat              bool
	Referral          bool // their personal referral code
}

// Forget deletes every record keyed to a respondent, whose private chat
// has the same id: the session, the response and its key, the answer-log
// entries, the messages queued to the chat, the keys of the chat's handled
// messages, the chat record and their personal referral code, with its
// copies in the sources of those they referred (which become
// ReferralUnknown), so that nothing left is computable from their id.
// Aggregates that name no one (counters, digest records) stay. The deleted
// bytes remain in free pages of the file until Compact rewrites it.
func (tx *Tx) Forget(id survey.RespondentID) (Forgotten, error) {
	var f Forgotten
	k := idKey(id)
	fail := func(what string, err error) (Forgotten, error) {
		return f, fmt.Errorf("forget respondent %d: %s: %w", id, what, err)
	}
	// First the referral records: they read the session's source.
	var err error
	if f.Referral, err = tx.dropReferrals(id); err != nil {
		return fail("referral code", err)
	}
	sessions := tx.tx.Bucket(bucketSessions)
	if sessions.Get(k) != nil {
		f.Session = true
		if err := sessions.Delete(k); err != nil {
			return fail("session", err)
		}
	}
	keys := tx.tx.Bucket(bucketResponseKeys)
	if rk := keys.Get(k); rk != nil {
		rk = append([]byte(nil), rk...)
		f.Response = true
		if err := tx.tx.Bucket(bucketResponses).Delete(rk); err != nil {
			return fail("response", err)
		}
		if idx := tx.tx.Bucket(bucketDigestIndex); idx != nil { // nil while migrating from before schema 6
			if err := idx.Delete(rk); err != nil {
				return fail("response", err)
			}
		}
		if err := keys.Delete(k); err != nil {
			return fail("response key", err)
		}
	}
	f.LogEntries, err = deletePrefix(tx.tx.Bucket(bucketAnswerLog), k)
	if err != nil {
		return fail("answer log", err)
	}
	if f.Seen, f.Outbox, err = tx.dropChatTraces(id); err != nil {
		return fail("its chat", err)
	}
	chats := tx.tx.Bucket(bucketChats)
	if chats.Get(k) != nil {
		f.Chat = true
		if err := chats.Delete(k); err != nil {
			return fail("chat record", err)
		}
	}
	return f, nil
}

// deletePrefix deletes every key of b starting with prefix.
func deletePrefix(b *bbolt.Bucket, prefix []byte) (int, error) {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// Forget deletes every record keyed to a respondent, in one transaction;
// see Tx.Forget.
func (db *DB) Forget(id survey.RespondentID) (Forgotten, error) {
	var f Forgotten
	err := db.Update(func(tx *Tx) error {
		var err error
		f, err = tx.Forget(id)
		return err
	})
	return f, err
}

// FindRespondent calls match with the id of every respondent the database holds
// anything of (a session, a response, or a chat record), each once, in one
// read transaction, until fn returns true; it returns that id, and whether
// fn matched one. It is for finding a respondent by a derived id, such as
// an export pseudonym.
func (db *DB) FindRespondent(match func(survey.RespondentID) bool) (survey.RespondentID, bool, error) {
	var (
		found survey.RespondentID
		ok    bool
	)
	err := db.view(func(tx *bbolt.Tx) error {
		seen := map[survey.RespondentID]bool{}
		for _, name := range [][]byte{bucketSessions, bucketResponseKeys, bucketChats} {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if len(k) != 8 {
					return db.corrupt(fmt.Sprintf("a key of bucket %s", name), fmt.Errorf("%d bytes, want 8", len(k)))
				}
				id := survey.RespondentID(binary.BigEndian.Uint64(k))
				if seen[id] {
					continue
				}
				seen[id] = true
				if match(id) {
					found, ok = id, true
					return nil
				}
			}
		}
		return nil
	})
	return found, ok, err
}

// dropChatTraces deletes what names the private chat of respondent id
// (its id is the user's): the keys of its handled messages and taps
// ("m:<chat>:…" and "c:<chat>:…", see chat.Update) and the messages
// queued to it. It returns how many of each went.
func (tx *Tx) dropChatTraces(id survey.RespondentID) (seen, queued int, err error) {
	for _, kind := range []string{"m:", "c:"} {
		n, err := deletePrefix(tx.tx.Bucket(bucketSeen), []byte(kind+strconv.FormatInt(int64(id), 10)+":"))
		seen += n
		if err != nil {
			return seen, 0, fmt.Errorf("handled-message keys: %w", err)
		}
	}
	out := tx.tx.Bucket(bucketOutbox)
	var keys [][]byte
	if err := out.ForEach(func(key, v []byte) error {
		if len(v) >= envHeader && int64(binary.BigEndian.Uint64(v[envChat:])) == int64(id) {
			keys = append(keys, append([]byte(nil), key...))
		}
		return nil
	}); err != nil {
		return seen, 0, fmt.Errorf("outbox: %w", err)
	}
	for _, key := range keys {
		if err := out.Delete(key); err != nil {
			return seen, 0, fmt.Errorf("outbox: %w", err)
		}
	}
	return seen, len(keys), nil
}

// ForgetPseudonym forgets, as Forget does, the respondent whose export
// pseudonym under the study key is pseudonym (export.Pseudonym): how a
// request that arrives by email is met. found is false when no one has
// it.
func (db *DB) ForgetPseudonym(key []byte, pseudonym string) (f Forgotten, found bool, err error) {
	id, ok, err := db.FindRespondent(func(id survey.RespondentID) bool { return export.Pseudonym(key, id) == pseudonym })
	if err != nil || !ok {
		return f, false, err
	}
	f, err = db.Forget(id)
	return f, err == nil, err
}
