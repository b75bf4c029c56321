package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"

	"toolmap/survey"
)

// migrate4to5 adds the referred index and clears what earlier versions
// left computable from a Telegram id (see referral.go):
//
//   - the index is built from every session's and response's source; a
//     source naming no recorded code (its referrer deleted their data)
//     becomes ReferralUnknown;
//   - a surrogate (given by retention) whose code is still the one of the
//     Telegram id it replaced gets its own code, in the sources of the
//     people it referred too;
//   - the records of a respondent who has no session are forgotten. Only
//     declining a new consent notice left such records (a response, the
//     answer log, a chat record, a code) while telling the person that
//     nothing was stored: this makes that true.
func migrate4to5(tx *Tx) error {
	if _, err := tx.tx.CreateBucketIfNotExists(bucketReferred); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketReferred, err)
	}
	secret := tx.tx.Bucket(bucketMeta).Get(keyReferralSecret)
	if len(secret) != 32 {
		return tx.db.corrupt("the referral secret", fmt.Errorf("%d bytes, want 32", len(secret)))
	}
	tx.db.referralSecret = append([]byte(nil), secret...)

	// The index, from every source.
	sources := map[survey.RespondentID]string{}
	for _, b := range []struct {
		name     []byte
		response bool
	}{{bucketSessions, false}, {bucketResponses, true}} {
		err := tx.tx.Bucket(b.name).ForEach(func(k, v []byte) error {
			if len(k) < 8 {
				return tx.db.corrupt(fmt.Sprintf("a key of bucket %s", b.name), fmt.Errorf("%d bytes", len(k)))
			}
			id := survey.RespondentID(binary.BigEndian.Uint64(k[len(k)-8:]))
			s, err := tx.db.decodeSession(v, partDigest, id, b.response)
			if err != nil {
				return err
			}
			if strings.HasPrefix(s.Source, "r-") && s.Source != ReferralUnknown {
				sources[id] = s.Source
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for id, src := range sources {
		_, known, err := tx.Referrer(src)
		if err != nil {
			return err
		}
		if !known {
			if err := tx.setSource(id, ReferralUnknown); err != nil {
				return err
			}
			continue
		}
		if err := tx.tx.Bucket(bucketReferred).Put(referredKey(src, id), nil); err != nil {
			return err
		}
	}

	// Surrogates keeping the code of their Telegram id.
	type owned struct {
		id   survey.RespondentID
		code string
	}
	var stale []owned
	err := tx.tx.Bucket(bucketReferralOf).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return tx.db.corrupt("a referral code's owner", fmt.Errorf("%d bytes, want 8", len(k)))
		}
		id := survey.RespondentID(binary.BigEndian.Uint64(k))
		if Anonymous(id) && string(v) != tx.db.ReferralCode(id) {
			stale = append(stale, owned{id, string(v)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range stale {
		code := tx.db.ReferralCode(o.id)
		if err := tx.retireCode(o.code, code); err != nil {
			return err
		}
		if err := tx.tx.Bucket(bucketReferrals).Delete([]byte(o.code)); err != nil {
			return err
		}
		if err := tx.tx.Bucket(bucketReferralOf).Delete(idKey(o.id)); err != nil {
			return err
		}
		if err := tx.putReferral(o.id, code); err != nil {
			return err
		}
	}

	// Records of no one: a respondent without a session.
	orphans := map[survey.RespondentID]bool{}
	sessions := tx.tx.Bucket(bucketSessions)
	for _, name := range [][]byte{bucketResponseKeys, bucketAnswerLog, bucketChats, bucketReferralOf} {
		c := tx.tx.Bucket(name).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 8 {
				return tx.db.corrupt(fmt.Sprintf("a key of bucket %s", name), fmt.Errorf("%d bytes", len(k)))
			}
			id := survey.RespondentID(binary.BigEndian.Uint64(k[:8]))
			if sessions.Get(k[:8]) == nil && (id > 0 || !bytes.Equal(name, bucketChats)) {
				orphans[id] = true
			}
		}
	}
	for id := range orphans {
		if _, err := tx.Forget(id); err != nil {
			return err
		}
	}
	return nil
}
