package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Referrals: each respondent who finishes is offered a personal link,
// https://t.me/<bot>?start=r-<code>, to pass to another group. The code is
// derived from their id with a secret kept in the database (so the bot can
// show it without a write, and it reveals nothing without the secret), and
// recorded at their completion, so that a respondent who starts from it
// (Session.Source "r-<code>") can be traced to who referred them.
//
// Because the secret is in the same file, a code is computable from the
// id by anyone holding the file; so a code never outlives the Telegram id
// it was derived from:
//
//   - When a referrer is forgotten (/delete, toolmap forget, declining a
//     notice), their code goes, and so does every copy of it: the sources
//     of the people they referred become ReferralUnknown.
//   - When retention drops a referrer's Telegram id, their code is
//     replaced by the code of their surrogate id, in the sources of the
//     people they referred too: links handed out before then no longer
//     trace to anyone.
//   - A source naming a code that is recorded for no one (its owner was
//     forgotten, or it was made up) is stored as ReferralUnknown.
//
// The referred bucket indexes who started from each recorded code, so
// that none of this scans the sessions.

// ReferralUnknown is the source stored for a respondent who started from
// a personal link that traces to no one: its owner deleted their data, or
// it was never a code. It still counts as a referral (its prefix is
// "r-"), and is never a code (codes have 12 characters after the prefix).
const ReferralUnknown = "r-unknown"

// Buckets added in schema 4.
var (
	bucketReferrals  = []byte("referrals")   // code → 8-byte referrer id
	bucketReferralOf = []byte("referral_of") // referrer id → code

	keyReferralSecret = []byte("referral_secret") // in meta: 32 random bytes
)

// Bucket added in schema 5.
var bucketReferred = []byte("referred") // code, 0, 8-byte id of a respondent whose source it is → empty

// migrate3to4 adds the referral buckets and the referral secret. What
// exists is kept.
func migrate3to4(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketReferrals, bucketReferralOf} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketMeta, err)
	}
	if meta.Get(keyReferralSecret) != nil {
		return nil
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("make the referral secret: %w", err)
	}
	return meta.Put(keyReferralSecret, secret)
}

// loadReferralSecret reads the secret referral codes are derived with,
// once, at Open.
func (db *DB) loadReferralSecret() error {
	return db.view(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyReferralSecret)
		if len(v) != 32 {
			return db.corrupt("the referral secret", fmt.Errorf("%d bytes, want 32", len(v)))
		}
		db.referralSecret = append([]byte(nil), v...)
		return nil
	})
}

// ReferralCode returns a respondent's personal referral payload: "r-" and
// 12 base64url characters of an HMAC of their id under the database's
// secret, so it cannot be turned back into the id without the secret. It
// is recorded for them (and traced back to them by Referrer) when they
// complete the survey through Commit.
func (db *DB) ReferralCode(id survey.RespondentID) string {
	return referralCode(db.referralSecret, id)
}

func referralCode(secret []byte, id survey.RespondentID) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, int64(id), 10))
	return "r-" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:12]
}

// putReferral records code as the personal referral code of id. A
// respondent keeps their first code; a code already given to someone else
// keeps its first owner.
func (tx *Tx) putReferral(id survey.RespondentID, code string) error {
	of, refs := tx.tx.Bucket(bucketReferralOf), tx.tx.Bucket(bucketReferrals)
	if of.Get(idKey(id)) != nil || refs.Get([]byte(code)) != nil || code == "" {
		return nil
	}
	if err := refs.Put([]byte(code), idKey(id)); err != nil {
		return fmt.Errorf("record the referral code of respondent %d: %w", id, err)
	}
	if err := of.Put(idKey(id), []byte(code)); err != nil {
		return fmt.Errorf("record the referral code of respondent %d: %w", id, err)
	}
	return nil
}

// Referrer returns the respondent whose referral code is code.
func (tx *Tx) Referrer(code string) (survey.RespondentID, bool, error) {
	v := tx.tx.Bucket(bucketReferrals).Get([]byte(code))
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, tx.db.corrupt(fmt.Sprintf("referral code %q", code), fmt.Errorf("%d bytes, want 8", len(v)))
	}
	return survey.RespondentID(binary.BigEndian.Uint64(v)), true, nil
}

// Referrer returns the respondent whose referral code is code.
func (db *DB) Referrer(code string) (survey.RespondentID, bool, error) {
	var (
		id survey.RespondentID
		ok bool
	)
	err := db.View(func(tx *Tx) error {
		var err error
		id, ok, err = tx.Referrer(code)
		return err
	})
	return id, ok, err
}

// referredKey is the key of the referred bucket for a respondent whose
// source is code.
func referredKey(code string, id survey.RespondentID) []byte {
	k := make([]byte, 0, len(code)+9)
	k = append(append(k, code...), 0)
	return append(k, idKey(id)...)
}

// referredBy returns the respondents whose source is code, in id order.
func (tx *Tx) referredBy(code string) ([]survey.RespondentID, error) {
	prefix := append([]byte(code), 0)
	var out []survey.RespondentID
	c := tx.tx.Bucket(bucketReferred).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) != len(prefix)+8 {
			return nil, tx.db.corrupt(fmt.Sprintf("a referral of code %q", code), fmt.Errorf("%d bytes, want %d", len(k), len(prefix)+8))
		}
		out = append(out, survey.RespondentID(binary.BigEndian.Uint64(k[len(prefix):])))
	}
	return out, nil
}

// noteSource keeps the referred index in step with a session whose source
// goes from before to *after, and stores a source naming no recorded code
// as ReferralUnknown. It runs before the session is saved.
func (tx *Tx) noteSource(id survey.RespondentID, before string, after *string) error {
	if before == *after {
		return nil
	}
	refs := tx.tx.Bucket(bucketReferred)
	if strings.HasPrefix(before, "r-") {
		if err := refs.Delete(referredKey(before, id)); err != nil {
			return fmt.Errorf("record the source of respondent %d: %w", id, err)
		}
	}
	if !strings.HasPrefix(*after, "r-") || *after == ReferralUnknown {
		return nil
	}
	if _, ok, err := tx.Referrer(*after); err != nil {
		return err
	} else if !ok {
		*after = ReferralUnknown
		return nil
	}
	if err := refs.Put(referredKey(*after, id), nil); err != nil {
		return fmt.Errorf("record the source of respondent %d: %w", id, err)
	}
	return nil
}

// setSource replaces the source in the stored session and response of
// respondent id (those it has), without touching anything else of them.
func (tx *Tx) setSource(id survey.RespondentID, source string) error {
	sessions := tx.tx.Bucket(bucketSessions)
	if v := sessions.Get(idKey(id)); v != nil {
		if err := tx.rewriteSource(sessions, idKey(id), v, id, false, source); err != nil {
			return err
		}
	}
	if rk := tx.tx.Bucket(bucketResponseKeys).Get(idKey(id)); rk != nil {
		rk = append([]byte(nil), rk...)
		responses := tx.tx.Bucket(bucketResponses)
		if v := responses.Get(rk); v != nil {
			if err := tx.rewriteSource(responses, rk, v, id, true, source); err != nil {
				return err
			}
		}
	}
	return nil
}

func (tx *Tx) rewriteSource(b *bbolt.Bucket, k, v []byte, id survey.RespondentID, response bool, source string) error {
	s, err := tx.db.decodeSession(v, partAll, id, response)
	if err != nil {
		return err
	}
	s.Source = source
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode the session of respondent %d: %w", id, err)
	}
	if err := b.Put(append([]byte(nil), k...), data); err != nil {
		return fmt.Errorf("rewrite the source of respondent %d: %w", id, err)
	}
	if idx := tx.tx.Bucket(bucketDigestIndex); response && idx != nil { // nil while migrating from before schema 6
		if err := idx.Put(append([]byte(nil), k...), encodeDigestRecord(&s)); err != nil {
			return fmt.Errorf("rewrite the source of respondent %d: %w", id, err)
		}
	}
	return nil
}

// ownSource returns the source in the session (else the response) of id.
func (tx *Tx) ownSource(id survey.RespondentID) (string, error) {
	if v := tx.tx.Bucket(bucketSessions).Get(idKey(id)); v != nil {
		s, err := tx.db.decodeSession(v, partDigest, id, false)
		return s.Source, err
	}
	if rk := tx.tx.Bucket(bucketResponseKeys).Get(idKey(id)); rk != nil {
		if v := tx.tx.Bucket(bucketResponses).Get(rk); v != nil {
			s, err := tx.db.decodeSession(v, partDigest, id, true)
			return s.Source, err
		}
	}
	return "", nil
}

// retireCode ends code, the personal code of a referrer: each respondent
// referred by it gets source to instead (ReferralUnknown, or the code that
// replaces it), and the index follows. The code's own records
// (referrals, referral_of) are the caller's.
func (tx *Tx) retireCode(code, to string) error {
	ids, err := tx.referredBy(code)
	if err != nil {
		return err
	}
	refs := tx.tx.Bucket(bucketReferred)
	for _, rid := range ids {
		if err := tx.setSource(rid, to); err != nil {
			return err
		}
		if err := refs.Delete(referredKey(code, rid)); err != nil {
			return fmt.Errorf("retire a referral code: %w", err)
		}
		if to != ReferralUnknown {
			if err := refs.Put(referredKey(to, rid), nil); err != nil {
				return fmt.Errorf("retire a referral code: %w", err)
			}
		}
	}
	return nil
}

// dropReferrals removes every referral record naming respondent id, as
// Forget does: their own code and its copies in the sources of those they
// referred, and the index entry of their own source. It reports whether
// they had a code.
func (tx *Tx) dropReferrals(id survey.RespondentID) (bool, error) {
	of, codes := tx.tx.Bucket(bucketReferralOf), tx.tx.Bucket(bucketReferrals)
	had := false
	if v := of.Get(idKey(id)); v != nil {
		had = true
		code := string(v)
		if err := tx.retireCode(code, ReferralUnknown); err != nil {
			return had, err
		}
		if err := of.Delete(idKey(id)); err != nil {
			return had, err
		}
		if err := codes.Delete([]byte(code)); err != nil {
			return had, err
		}
	}
	src, err := tx.ownSource(id)
	if err != nil {
		return had, err
	}
	if strings.HasPrefix(src, "r-") {
		if err := tx.tx.Bucket(bucketReferred).Delete(referredKey(src, id)); err != nil {
			return had, err
		}
	}
	return had, nil
}

// rekeyReferrals moves every referral record of respondent id to nid, its
// surrogate, as retention does: their code is replaced by nid's, in the
// sources of those they referred too, and the index entry of their own
// source follows them. Run it before the session moves.
func (tx *Tx) rekeyReferrals(id, nid survey.RespondentID) error {
	of, codes := tx.tx.Bucket(bucketReferralOf), tx.tx.Bucket(bucketReferrals)
	if v := of.Get(idKey(id)); v != nil {
		old, code := string(v), tx.db.ReferralCode(nid)
		if err := tx.retireCode(old, code); err != nil {
			return err
		}
		if err := of.Delete(idKey(id)); err != nil {
			return err
		}
		if err := codes.Delete([]byte(old)); err != nil {
			return err
		}
		if err := tx.putReferral(nid, code); err != nil {
			return err
		}
	}
	src, err := tx.ownSource(id)
	if err != nil {
		return err
	}
	if strings.HasPrefix(src, "r-") && src != ReferralUnknown {
		refs := tx.tx.Bucket(bucketReferred)
		if err := refs.Delete(referredKey(src, id)); err != nil {
			return err
		}
		if err := refs.Put(referredKey(src, nid), nil); err != nil {
			return err
		}
	}
	return nil
}
