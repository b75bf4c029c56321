package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// Buckets of schema 1.
var (
	bucketMeta         = []byte("meta")          // "schema" → 8-byte big-endian schema version
	bucketSessions     = []byte("sessions")      // respondent id → survey.Session JSON
	bucketResponses    = []byte("responses")     // completion time UnixNano + respondent id → survey.Session JSON
	bucketResponseKeys = []byte("response_keys") // respondent id → its key in responses
	bucketAnswerLog    = []byte("answer_log")    // respondent id + sequence → LogEntry JSON
	bucketCounters     = []byte("counters")      // name → 8-byte big-endian count

	keySchema = []byte("schema")
)

// Buckets added in schema 2, for the Telegram adapter. The store keeps the
// adapter's payloads opaque.
var (
	bucketUpdates = []byte("updates") // "offset" → 8-byte big-endian bits of the next getUpdates offset
	bucketSeen    = []byte("seen")    // dedup key → 8-byte big-endian UnixNano when it was first handled
	bucketOutbox  = []byte("outbox")  // 8-byte big-endian sequence → outbox envelope (see outbox.go)
	bucketChats   = []byte("chats")   // chat id (8 bytes, big-endian) → chat record (see outbox.go)

	keyOffset = []byte("offset")
)

// A migration moves a database from schema i (its index in migrations) to
// schema i+1. Migrations run in order, all in one transaction.
type migration func(tx *Tx) error

// bare adapts a migration that needs only bbolt's transaction.
func bare(m func(*bbolt.Tx) error) migration { return func(tx *Tx) error { return m(tx.tx) } }

// migrations is the ordered list of migrations, one for each schema before
// Schema. Append only; never edit a released one.
var migrations = []migration{
	0: bare(migrate0to1),
	1: bare(migrate1to2),
	2: bare(createDigestBuckets),
	3: bare(migrate3to4),
	4: migrate4to5,
	5: bare(migrate5to6),
}

// Schema is the schema version this toolmap reads and writes: the number of
// migrations.
const Schema = 6

// migrate0to1 turns a bare bbolt file (no meta bucket, or no schema key)
// into schema 1 by creating the buckets. Buckets that exist are kept.
func migrate0to1(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketMeta, bucketSessions, bucketResponses, bucketResponseKeys, bucketAnswerLog, bucketCounters} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrate1to2 adds the buckets of the Telegram adapter: the update offset,
// the keys of handled updates, the outbox and per-chat records. Buckets
// that exist are kept.
func migrate1to2(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketUpdates, bucketSeen, bucketOutbox, bucketChats} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// schemaBuckets are the buckets a database at the current schema has.
var schemaBuckets = [][]byte{
	bucketMeta, bucketSessions, bucketResponses, bucketResponseKeys, bucketAnswerLog, bucketCounters,
	bucketUpdates, bucketSeen, bucketOutbox, bucketChats,
	bucketDigests,
	bucketReferrals, bucketReferralOf,
	bucketReferred,
	bucketDigestIndex,
}

// readSchema returns the schema version: 0 for a file without one.
func (db *DB) readSchema(tx *bbolt.Tx) (uint64, error) {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return 0, nil
	}
	v := m.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, db.corrupt("the schema version", fmt.Errorf("%d bytes, want 8", len(v)))
	}
	return binary.BigEndian.Uint64(v), nil
}

// prepare checks the schema version and migrates an older one.
func (db *DB) prepare() error {
	var schema uint64
	err := db.view(func(tx *bbolt.Tx) error {
		var err error
		schema, err = db.readSchema(tx)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case schema > Schema:
		return &storeError{
			msg:  fmt.Sprintf("database %s has schema %d, newer than this toolmap (schema %d): upgrade toolmap", db.path, schema, Schema),
			errs: []error{ErrNewerSchema},
		}
	case schema < Schema && db.readOnly:
		return fmt.Errorf("database %s has schema %d, older than this toolmap (schema %d): open it once without read-only to upgrade it", db.path, schema, Schema)
	case schema < Schema:
		if err := db.update(db.migrate); err != nil {
			return err
		}
	}
	return db.view(func(tx *bbolt.Tx) error {
		for _, name := range schemaBuckets {
			if tx.Bucket(name) == nil {
				return db.corrupt("the schema", fmt.Errorf("bucket %s is missing", name))
			}
		}
		return nil
	})
}

// migrate runs every migration from the stored schema to the current one
// and records the new schema, in one transaction.
func (db *DB) migrate(tx *bbolt.Tx) error {
	from, err := db.readSchema(tx)
	if err != nil {
		return err
	}
	for v := from; v < Schema; v++ {
		if err := migrations[v](&Tx{db: db, tx: tx}); err != nil {
			return fmt.Errorf("migrate database %s from schema %d to %d: %w", db.path, v, v+1, err)
		}
	}
	m, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return fmt.Errorf("migrate database %s: %w", db.path, err)
	}
	if err := m.Put(keySchema, u64(Schema)); err != nil {
		return fmt.Errorf("migrate database %s: %w", db.path, err)
	}
	return nil
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}
