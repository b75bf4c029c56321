package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// Unfinished returns the respondents whose session is active (consent
// given, not finished) and was last changed before before, in id order.
// It reads in one read transaction, which does not hold up the writers.
func (db *DB) Unfinished(before time.Time) ([]survey.RespondentID, error) {
	return db.sessionsWhere(func(s survey.Session) bool {
		return s.Status == survey.StatusActive && s.Consent != nil && s.UpdatedAt.Before(before)
	})
}

// sessionsWhere returns, in id order, the respondents whose session keep
// reports true for, reading every session in one read transaction.
func (db *DB) sessionsWhere(keep func(survey.Session) bool) ([]survey.RespondentID, error) {
	var out []survey.RespondentID
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return db.corrupt("a session key", fmt.Errorf("%d bytes, want 8", len(k)))
			}
			id := survey.RespondentID(binary.BigEndian.Uint64(k))
			s, err := db.decodeSession(v, partAll, id, false)
			if err != nil {
				return err
			}
			if keep(s) {
				out = append(out, id)
			}
			return nil
		})
	})
	return out, err
}
