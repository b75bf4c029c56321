package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// The digest index: beside each response, what a digest reads of it (the
// source, the completion time, and each answer's values, names given
// under Other…, text and whether it was skipped), under the same key, in a
// binary record (digest_record.go) without the rest: no history, no times
// of each answer. A digest of the whole study reads it (ScanDigest)
// instead of the responses, about a fifth of their bytes and much faster
// to decode. It is written in the same transaction as the response (and
// moved, and deleted, with it), so the two never disagree; Check says so
// if they do.

// Buckets added in schema 6.
var bucketDigestIndex = []byte("digest_index") // response key → digest record

// putDigestRecord indexes the response stored under key.
func (tx *Tx) putDigestRecord(key []byte, s *survey.Session) error {
	return tx.tx.Bucket(bucketDigestIndex).Put(key, encodeDigestRecord(s))
}

// migrate5to6 adds the digest index and fills it from the responses.
func migrate5to6(tx *bbolt.Tx) error {
	index, err := tx.CreateBucketIfNotExists(bucketDigestIndex)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketDigestIndex, err)
	}
	responses := tx.Bucket(bucketResponses)
	if responses == nil {
		return nil
	}
	d := newSessionDecoder()
	return responses.ForEach(func(k, v []byte) error {
		var s survey.Session
		if err := d.decodeSession(v, &s, partDigest); err != nil {
			return fmt.Errorf("index the response under key %x: %w", k, err)
		}
		return index.Put(append([]byte(nil), k...), encodeDigestRecord(&s))
	})
}

// checkDigestIndex reports a response without its record in the digest
// index, or a record without its response: keys only, no record decoded.
func checkDigestIndex(tx *bbolt.Tx) error {
	responses, index := tx.Bucket(bucketResponses).Cursor(), tx.Bucket(bucketDigestIndex).Cursor()
	rk, _ := responses.First()
	ik, _ := index.First()
	for rk != nil || ik != nil {
		switch c := compareKeys(rk, ik); {
		case c < 0:
			return fmt.Errorf("the response under key %x is missing from the digest index", rk)
		case c > 0:
			return fmt.Errorf("the digest index has a record under key %x with no response", ik)
		}
		rk, _ = responses.Next()
		ik, _ = index.Next()
	}
	return nil
}

// compareKeys orders two keys, nil (the end) last.
func compareKeys(a, b []byte) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}
