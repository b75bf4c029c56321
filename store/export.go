package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/survey"
)

// ExportOptions configure DB.Export. The zero value exports every
// completed response in chunks of DefaultExportChunk.
type ExportOptions struct {
	// From and To bound the responses by their first completion, [From,
	// To); and unfinished sessions by their last activity. Zero leaves that
	// end open.
	From, To time.Time
	// Partial adds, after the responses, the sessions not finished: those
	// with consent given (status active) whose respondent has no response.
	// Sessions waiting for consent hold nothing and are never exported.
	Partial bool
	// Chunk is the number of records read in one read transaction; zero
	// means DefaultExportChunk.
	Chunk int
	// MaxTxTime ends a chunk early once a read transaction has been open
	// this long; zero means DefaultExportTxTime.
	MaxTxTime time.Duration
	// MaxResident bounds (on Linux) how many bytes of records are read
	// before the database's pages are dropped from the process's resident
	// memory (they stay in the page cache); zero means
	// DefaultExportResident. Otherwise an export of a large file leaves
	// all of it mapped in, which counts as the process's memory.
	MaxResident int
}

// Defaults of ExportOptions.
const (
	DefaultExportChunk    = 256
	DefaultExportTxTime   = 20 * time.Millisecond
	DefaultExportResident = 16 << 20
)

// Export calls fn for each completed response in [From, To) in completion
// order, then, with Partial, for each unfinished session in respondent
// order. It reads in chunks, each its own short read transaction that
// decodes its records and ends before fn sees them, and resumes after the
// last key read; so fn may take as long as it likes (write to a file, a
// network) without holding a transaction, and memory stays bounded by one
// chunk. Each respondent is seen at most once (a response changed after
// review keeps its key); one who completes while Export runs may be missed
// by this export. An error from fn, or ctx ending, stops it.
func (db *DB) Export(ctx context.Context, opts ExportOptions, fn func(survey.RespondentID, survey.Session) error) error {
	if opts.Chunk <= 0 {
		opts.Chunk = DefaultExportChunk
	}
	if opts.MaxTxTime <= 0 {
		opts.MaxTxTime = DefaultExportTxTime
	}
	if opts.MaxResident <= 0 {
		opts.MaxResident = DefaultExportResident
	}
	var from, to []byte
	if !opts.From.IsZero() {
		from = u64(uint64(opts.From.UnixNano()))
	}
	if !opts.To.IsZero() {
		to = u64(uint64(opts.To.UnixNano()))
	}
	responses := scan{
		bucket: bucketResponses, start: from,
		pick: func(tx *bbolt.Tx, k []byte) (survey.RespondentID, bool, bool, error) {
			if len(k) != 16 {
				return 0, false, false, db.corrupt("a response key", fmt.Errorf("%d bytes, want 16", len(k)))
			}
			if to != nil && bytes.Compare(k[:8], to) >= 0 {
				return 0, false, true, nil
			}
			return survey.RespondentID(binary.BigEndian.Uint64(k[8:])), true, false, nil
		},
		what: "the response of respondent %d",
	}
	if err := db.exportBucket(ctx, responses, opts, fn); err != nil || !opts.Partial {
		return err
	}
	sessions := scan{
		bucket: bucketSessions,
		pick: func(tx *bbolt.Tx, k []byte) (survey.RespondentID, bool, bool, error) {
			if len(k) != 8 {
				return 0, false, false, db.corrupt("a session key", fmt.Errorf("%d bytes, want 8", len(k)))
			}
			// A respondent with a response is exported as that response.
			return survey.RespondentID(binary.BigEndian.Uint64(k)), tx.Bucket(bucketResponseKeys).Get(k) == nil, false, nil
		},
		keep: func(s *survey.Session) bool {
			if s.Status != survey.StatusActive || s.Consent == nil {
				return false
			}
			return (opts.From.IsZero() || !s.UpdatedAt.Before(opts.From)) && (opts.To.IsZero() || s.UpdatedAt.Before(opts.To))
		},
		what: "the session of respondent %d",
	}
	return db.exportBucket(ctx, sessions, opts, fn)
}

// scan says how Export reads one bucket.
type scan struct {
	bucket, start []byte // start: the first key to seek, nil for the first
	// pick checks a key: the respondent, whether to decode the record, or
	// that the scan is over. It runs inside the transaction.
	pick func(tx *bbolt.Tx, k []byte) (id survey.RespondentID, decode, stop bool, err error)
	keep func(*survey.Session) bool // nil keeps every decoded session
	what string                     // names a record in errors, with the id
}

type exported struct {
	id survey.RespondentID
	s  survey.Session
}

// exportBucket reads a bucket in chunks. One goroutine reads and decodes
// the next chunk while this one calls fn on the last: at most three chunks
// are held at once.
func (db *DB) exportBucket(ctx context.Context, sc scan, opts ExportOptions, fn func(survey.RespondentID, survey.Session) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan []exported, 1)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(chunks)
		readErr = db.readChunks(ctx, sc, opts, func(c []exported) bool {
			select {
			case chunks <- c:
				return true
			case <-ctx.Done():
				return false
			}
		})
	})
	var fnErr error
	for c := range chunks {
		if fnErr == nil {
			fnErr = ctx.Err()
		}
		for i := range c {
			if fnErr != nil {
				break
			}
			if fnErr = fn(c[i].id, c[i].s); fnErr != nil {
				cancel() // stop the reader; drain what it sent
			}
			c[i] = exported{} // let the session go
		}
	}
	wg.Wait()
	if fnErr != nil {
		return fnErr
	}
	return readErr
}

// readChunks reads the chunks and passes each to send, until the bucket
// ends, pick says stop, or send returns false. Each chunk is one read
// transaction, which decodes its records (see sessionDecoder) and ends;
// every MaxResident bytes it drops the pages read from memory.
func (db *DB) readChunks(ctx context.Context, sc scan, opts ExportOptions, send func([]exported) bool) error {
	var after []byte // the last key read; the next chunk starts past it
	raws := make([][]byte, 0, opts.Chunk)
	dec := newSessionDecoder()
	read := 0 // bytes of records read since the pages were last dropped
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf := make([]exported, 0, opts.Chunk)
		done := false
		err := db.view(func(tx *bbolt.Tx) error {
			t0 := time.Now()
			c := tx.Bucket(sc.bucket).Cursor()
			var k, v []byte
			switch {
			case after != nil:
				k, v = c.Seek(after)
				if k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			case sc.start != nil:
				k, v = c.Seek(sc.start)
			default:
				k, v = c.First()
			}
			raws = raws[:0]
			for n := 0; ; k, v = c.Next() {
				if k == nil {
					done = true
					break
				}
				if n >= opts.Chunk || (n > 0 && time.Since(t0) > opts.MaxTxTime) {
					break
				}
				n++
				after = append(after[:0], k...)
				id, decode, stop, err := sc.pick(tx, k)
				if err != nil {
					return err
				}
				if stop {
					done = true
					break
				}
				read += len(k) + len(v)
				if decode {
					buf = append(buf, exported{id: id})
					raws = append(raws, v)
				}
			}
			if err := decodeAll(dec, buf, raws); err != nil {
				var de decodeError
				errors.As(err, &de)
				return db.corrupt(fmt.Sprintf(sc.what, buf[de.i].id), de.err)
			}
			if read >= opts.MaxResident {
				read = 0
				dropMapped(tx)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if sc.keep != nil {
			buf = slices.DeleteFunc(buf, func(e exported) bool { return !sc.keep(&e.s) })
		}
		if len(buf) > 0 && !send(buf) {
			return ctx.Err()
		}
		if done {
			return nil
		}
	}
}

type decodeError struct {
	i   int
	err error
}

func (e decodeError) Error() string { return e.err.Error() }

// decodeAll decodes raws[i] into out[i].s; the first error is returned as
// a decodeError. One goroutine is enough: with the hand-written decoder,
// writing the export takes longer than reading it, and a single decoder
// leaves the other processor to the bot's own commits.
func decodeAll(d *sessionDecoder, out []exported, raws [][]byte) error {
	for i, raw := range raws {
		if err := d.decodeSession(raw, &out[i].s, partAll); err != nil {
			return decodeError{i, err}
		}
	}
	return nil
}
