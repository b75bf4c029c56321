package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Referrals: each respondent who finishes is offered a personal link,
// https://t.me/<bot>?start=r-<code>, to pass to another group. The code is
// derived from their id with a secret kept in the database (so the bot can
// show it without a write, and it reveals nothing without the secret), and
// recorded at their completion, so that a respondent who starts from it
// (Session.Source "r-<code>") can be traced to who referred them.

// Buckets added in schema 4.
var (
	bucketReferrals  = []byte("referrals")   // code → 8-byte referrer id
	bucketReferralOf = []byte("referral_of") // referrer id → code

	keyReferralSecret = []byte("referral_secret") // in meta: 32 random bytes
)

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
	m := hmac.New(sha256.New, db.referralSecret)
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

// moveReferral moves id's referral code to nid, or deletes it when nid is
// 0. It reports whether there was one.
func (tx *Tx) moveReferral(id, nid survey.RespondentID) (bool, error) {
	of, refs := tx.tx.Bucket(bucketReferralOf), tx.tx.Bucket(bucketReferrals)
	code := of.Get(idKey(id))
	if code == nil {
		return false, nil
	}
	code = append([]byte(nil), code...)
	if err := of.Delete(idKey(id)); err != nil {
		return true, err
	}
	if nid == 0 {
		return true, refs.Delete(code)
	}
	if err := of.Put(idKey(nid), code); err != nil {
		return true, err
	}
	return true, refs.Put(code, idKey(nid))
}
