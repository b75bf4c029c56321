package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Now returns the time by the database's clock, Options.Now.
func (db *DB) Now() time.Time { return db.now() }

// Offset returns the stored offset for the next getUpdates: 0 if none was
// ever stored.
func (tx *Tx) Offset() (int64, error) {
	v := tx.tx.Bucket(bucketUpdates).Get(keyOffset)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, tx.db.corrupt("the update offset", fmt.Errorf("%d bytes, want 8", len(v)))
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

// SetOffset stores the offset for the next getUpdates. It may be lower than
// the stored one: Telegram restarts update ids at random after a week
// without updates.
func (tx *Tx) SetOffset(offset int64) error {
	if err := tx.tx.Bucket(bucketUpdates).Put(keyOffset, u64(uint64(offset))); err != nil {
		return fmt.Errorf("save the update offset: %w", err)
	}
	return nil
}

// Seen reports whether key was marked seen (and not pruned since).
func (tx *Tx) Seen(key string) bool {
	if key == "" {
		return false
	}
	return tx.tx.Bucket(bucketSeen).Get([]byte(key)) != nil
}

// MarkSeen records key as handled at the time at. A key marked again keeps
// the later time. The key must not be empty.
func (tx *Tx) MarkSeen(key string, at time.Time) error {
	if key == "" {
		return fmt.Errorf("mark an update seen: empty key")
	}
	if err := tx.tx.Bucket(bucketSeen).Put([]byte(key), u64(uint64(at.UnixNano()))); err != nil {
		return fmt.Errorf("mark an update seen: %w", err)
	}
	return nil
}

// Offset returns the stored offset for the next getUpdates: 0 if none was
// ever stored.
func (db *DB) Offset() (int64, error) {
	var off int64
	err := db.View(func(tx *Tx) error {
		var err error
		off, err = tx.Offset()
		return err
	})
	return off, err
}

// pruneBatch bounds the deletions of one PruneSeen transaction, so that
// steps never wait long for the writer lock.
const pruneBatch = 10000

// PruneSeen deletes the seen keys marked before before and returns how many
// it deleted. Telegram redelivers an update for at most 24 hours, so a
// week is a generous horizon. It finds the keys in a read transaction and
// deletes them in write transactions of at most pruneBatch keys each, so
// steps continue meanwhile; a key marked again since the scan is kept.
func (db *DB) PruneSeen(before time.Time) (int, error) {
	cut := uint64(before.UnixNano())
	var stale [][]byte
	err := db.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSeen).ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return db.corrupt(fmt.Sprintf("seen key %q", k), fmt.Errorf("%d bytes, want 8", len(v)))
			}
			if binary.BigEndian.Uint64(v) < cut {
				stale = append(stale, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for len(stale) > 0 {
		batch := stale[:min(len(stale), pruneBatch)]
		stale = stale[len(batch):]
		deleted := 0
		err := db.update(func(tx *bbolt.Tx) error {
			deleted = 0
			b := tx.Bucket(bucketSeen)
			for _, k := range batch {
				v := b.Get(k)
				if len(v) != 8 || binary.BigEndian.Uint64(v) >= cut {
					continue // gone, or marked again since the scan
				}
				if err := b.Delete(k); err != nil {
					return fmt.Errorf("prune seen keys: %w", err)
				}
				deleted++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += deleted
	}
	return n, nil
}

// HandledSince returns the seen keys that begin with prefix and were
// marked at since or later, in key order. The bot uses it at start-up to
// find the taps it committed just before a crash ("c:" keys), whose
// answers may not have gone out.
func (db *DB) HandledSince(prefix string, since time.Time) ([]string, error) {
	cut := uint64(since.UnixNano())
	var out []string
	err := db.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSeen).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			if len(v) != 8 {
				return db.corrupt(fmt.Sprintf("seen key %q", k), fmt.Errorf("%d bytes, want 8", len(v)))
			}
			if binary.BigEndian.Uint64(v) >= cut {
				out = append(out, string(k))
			}
		}
		return nil
	})
	return out, err
}
