package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Retention: after a set time, a finished respondent's Telegram id is
// dropped and their records are kept under a random surrogate id instead,
// and unfinished sessions are deleted.
//
// Surrogate ids are negative (Telegram's user ids are positive), drawn at
// random, and recorded nowhere with the id they replace: nothing in the
// database links the answers back to the person. Exports pseudonymise the
// surrogate like any id, so such a respondent's pseudonym is stable from
// then on, but differs from the one in exports made before. (A pseudonym
// that never changed would need the study key inside the bot, which is
// kept outside the database on purpose.)

// Anonymous reports whether id is a surrogate given by Retain.
func Anonymous(id survey.RespondentID) bool { return id < 0 }

// RetainStats counts what Retain did.
type RetainStats struct {
	Anonymised int // finished respondents moved to a surrogate id
	Purged     int // unfinished sessions deleted
}

// retainBatch bounds the respondents handled in one write transaction.
const retainBatch = 200

// Retain applies retention at cut: every finished respondent whose
// response was first completed before cut is moved to a new surrogate id
// (session, response, answer log), and their chat record, queued messages
// and handled-message keys, which name the chat, are deleted; every
// session not finished and last changed before cut is deleted with all
// the respondent's records (as Forget). Candidates are found in a read
// transaction and handled in short write transactions, each checking
// again, so steps carry on meanwhile.
func (db *DB) Retain(cut time.Time) (RetainStats, error) {
	var st RetainStats
	type cand struct {
		id       survey.RespondentID
		finished bool
	}
	var cands []cand
	err := db.view(func(tx *bbolt.Tx) error {
		keys := tx.Bucket(bucketResponseKeys)
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return db.corrupt("a session key", fmt.Errorf("%d bytes, want 8", len(k)))
			}
			id := survey.RespondentID(binary.BigEndian.Uint64(k))
			if Anonymous(id) {
				return nil
			}
			if rk := keys.Get(k); rk != nil {
				if len(rk) == 16 && binary.BigEndian.Uint64(rk) < uint64(cut.UnixNano()) {
					cands = append(cands, cand{id, true})
				}
				return nil
			}
			s, err := db.decodeSession(v, partAll, id, false)
			if err != nil {
				return err
			}
			if s.UpdatedAt.Before(cut) {
				cands = append(cands, cand{id, false})
			}
			return nil
		})
	})
	if err != nil {
		return st, err
	}
	for len(cands) > 0 {
		batch := cands[:min(len(cands), retainBatch)]
		cands = cands[len(batch):]
		var done RetainStats
		err := db.Update(func(tx *Tx) error {
			done = RetainStats{}
			for _, c := range batch {
				s, ok, err := tx.Session(c.id)
				if err != nil {
					return err
				}
				if !ok {
					continue // forgotten meanwhile
				}
				rk := tx.tx.Bucket(bucketResponseKeys).Get(idKey(c.id))
				switch {
				case rk != nil && len(rk) == 16 && binary.BigEndian.Uint64(rk) < uint64(cut.UnixNano()):
					if err := tx.anonymise(c.id); err != nil {
						return err
					}
					done.Anonymised++
				case rk == nil && s.UpdatedAt.Before(cut):
					if _, err := tx.Forget(c.id); err != nil {
						return err
					}
					done.Purged++
				}
			}
			return nil
		})
		if err != nil {
			return st, err
		}
		st.Anonymised += done.Anonymised
		st.Purged += done.Purged
	}
	return st, nil
}

// newSurrogate draws an unused negative id.
func (tx *Tx) newSurrogate() (survey.RespondentID, error) {
	for range 16 {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, err
		}
		id := -survey.RespondentID(binary.BigEndian.Uint64(b[:]) >> 1) // in [-(2^63-1), 0]
		if id == 0 {
			continue
		}
		if tx.tx.Bucket(bucketSessions).Get(idKey(id)) == nil && tx.tx.Bucket(bucketResponseKeys).Get(idKey(id)) == nil {
			return id, nil
		}
	}
	return 0, fmt.Errorf("draw a surrogate id: no free one found")
}

// anonymise moves a finished respondent's session, response and answer
// log to a new surrogate id, and deletes what names their chat.
func (tx *Tx) anonymise(id survey.RespondentID) error {
	nid, err := tx.newSurrogate()
	if err != nil {
		return err
	}
	fail := func(what string, err error) error {
		return fmt.Errorf("anonymise respondent %d: %s: %w", id, what, err)
	}
	// First the referral records: they rewrite sessions about to move.
	if err := tx.rekeyReferrals(id, nid); err != nil {
		return fail("referral code", err)
	}
	k, nk := idKey(id), idKey(nid)
	sessions := tx.tx.Bucket(bucketSessions)
	if v := sessions.Get(k); v != nil {
		if err := sessions.Put(nk, append([]byte(nil), v...)); err != nil {
			return fail("session", err)
		}
		if err := sessions.Delete(k); err != nil {
			return fail("session", err)
		}
	}
	keys, responses := tx.tx.Bucket(bucketResponseKeys), tx.tx.Bucket(bucketResponses)
	if rk := keys.Get(k); rk != nil {
		rk = append([]byte(nil), rk...)
		nrk := append(append([]byte(nil), rk[:8]...), nk...)
		for _, b := range []*bbolt.Bucket{responses, tx.tx.Bucket(bucketDigestIndex)} {
			if b == nil {
				continue // the digest index, while migrating from before schema 6
			}
			if v := b.Get(rk); v != nil {
				if err := b.Put(nrk, append([]byte(nil), v...)); err != nil {
					return fail("response", err)
				}
				if err := b.Delete(rk); err != nil {
					return fail("response", err)
				}
			}
		}
		if err := keys.Put(nk, nrk); err != nil {
			return fail("response key", err)
		}
		if err := keys.Delete(k); err != nil {
			return fail("response key", err)
		}
	}
	log := tx.tx.Bucket(bucketAnswerLog)
	type entry struct{ k, v []byte }
	var entries []entry
	c := log.Cursor()
	for lk, v := c.Seek(k); lk != nil && len(lk) == 16 && string(lk[:8]) == string(k); lk, v = c.Next() {
		entries = append(entries, entry{append([]byte(nil), lk...), append([]byte(nil), v...)})
	}
	for _, e := range entries {
		var le LogEntry
		if err := json.Unmarshal(e.v, &le); err != nil {
			return tx.db.corrupt(fmt.Sprintf("answer-log entry %d", binary.BigEndian.Uint64(e.k[8:])), err)
		}
		le.Respondent = nid
		data, err := json.Marshal(le)
		if err != nil {
			return fail("answer log", err)
		}
		if err := log.Put(append(append([]byte(nil), nk...), e.k[8:]...), data); err != nil {
			return fail("answer log", err)
		}
		if err := log.Delete(e.k); err != nil {
			return fail("answer log", err)
		}
	}
	// What names the chat goes: its record, queued messages, handled keys.
	if _, _, err := tx.dropChatTraces(id); err != nil {
		return fail("its chat", err)
	}
	if err := tx.tx.Bucket(bucketChats).Delete(k); err != nil {
		return fail("chat record", err)
	}
	return nil
}

// ExpireUnconsented forgets, as Forget does, everyone whose session still
// waits for their first agreement to the consent notice and was last
// changed before cut: what /start stores (the Telegram id, the source,
// the language, when they started) is kept only while they decide.
// Someone waiting on a new version of the notice, having agreed to an
// earlier one, is left alone. It returns how many it forgot. Candidates
// are found in a read transaction and forgotten in short write
// transactions, each checking again.
func (db *DB) ExpireUnconsented(cut time.Time) (int, error) {
	cands, err := db.sessionsWhere(func(s survey.Session) bool { return unconsented(s, cut) })
	if err != nil {
		return 0, err
	}
	n := 0
	for len(cands) > 0 {
		batch := cands[:min(len(cands), retainBatch)]
		cands = cands[len(batch):]
		var done []survey.RespondentID
		err := db.Update(func(tx *Tx) error {
			done = done[:0]
			for _, id := range batch {
				s, ok, err := tx.Session(id)
				if err != nil {
					return err
				}
				if !ok || !unconsented(s, cut) {
					continue // agreed, or gone, meanwhile
				}
				if _, err := tx.Forget(id); err != nil {
					return err
				}
				done = append(done, id)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		for _, id := range done {
			db.del.forgetChat(int64(id))
		}
		n += len(done)
	}
	return n, nil
}

// unconsented reports whether s waits for a first agreement and was last
// changed before cut.
func unconsented(s survey.Session, cut time.Time) bool {
	return s.Consent == nil && s.Status != survey.StatusActive && s.Status != survey.StatusCompleted && s.UpdatedAt.Before(cut)
}
