// Package storetest helps tests check what a toolmap database file holds,
// byte by byte, without going through the store: after a deletion,
// retention or a refusal, nothing derived from a person's Telegram id may
// be left anywhere in the file, free pages included.
package storetest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/bbolt"
)

// Keys returns every value of the file's meta bucket long enough to be a
// key (16 bytes or more): the secrets the file holds, such as the one
// referral codes are derived with. The file must not be open elsewhere.
func Keys(path string) ([][]byte, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var keys [][]byte
	err = db.View(func(tx *bbolt.Tx) error {
		m := tx.Bucket([]byte("meta"))
		if m == nil {
			return nil
		}
		return m.ForEach(func(k, v []byte) error {
			if len(v) >= 16 {
				keys = append(keys, append([]byte(nil), v...))
			}
			return nil
		})
	})
	return keys, err
}

// Forms returns, by a name saying how each was made, the byte strings
// derived from Telegram id id that a file must not hold once that person
// is gone: the id as 8 bytes either way round, in decimal and in hex, and
// its SHA-256 and its HMAC-SHA256 under each key (of its decimal form and
// of its 8 bytes), each raw, in hex, in base64 (both alphabets) and as a
// referral code's 12 characters, plus the 16 hex digits an export
// pseudonym has.
func Forms(id int64, keys [][]byte) map[string][]byte {
	out := map[string][]byte{}
	var be, le [8]byte
	binary.BigEndian.PutUint64(be[:], uint64(id))
	binary.LittleEndian.PutUint64(le[:], uint64(id))
	dec := []byte(strconv.FormatInt(id, 10))
	out["id as 8 big-endian bytes"] = be[:]
	out["id as 8 little-endian bytes"] = le[:]
	out["id in decimal"] = dec
	out["id in hex"] = []byte(strconv.FormatInt(id, 16))
	hashes := map[string][]byte{}
	for what, msg := range map[string][]byte{"decimal": dec, "bytes": be[:]} {
		h := sha256.Sum256(msg)
		hashes["sha256 of the "+what] = h[:]
		for i, k := range keys {
			m := hmac.New(sha256.New, k)
			m.Write(msg)
			hashes[fmt.Sprintf("hmac of the %s under key %d", what, i)] = m.Sum(nil)
		}
	}
	for name, h := range hashes {
		out[name+", raw"] = h
		out[name+", hex"] = []byte(hex.EncodeToString(h))
		out[name+", 16 hex digits"] = []byte(hex.EncodeToString(h[:8]))
		out[name+", base64"] = []byte(base64.RawStdEncoding.EncodeToString(h)[:40])
		out[name+", base64url"] = []byte(base64.RawURLEncoding.EncodeToString(h)[:40])
		out[name+", as a referral code"] = []byte(base64.RawURLEncoding.EncodeToString(h)[:12])
	}
	return out
}

// Traces reads the whole file at path and returns the name of every form
// of id (Forms, under the keys the file holds) found in it, sorted. The
// file must not be open elsewhere.
func Traces(path string, id int64) ([]string, error) {
	keys, err := Keys(path)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Find(data, Forms(id, keys)), nil
}

// Find returns the names of the forms found in data, sorted.
func Find(data []byte, forms map[string][]byte) []string {
	var found []string
	for name, f := range forms {
		if bytes.Contains(data, f) {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	return found
}
