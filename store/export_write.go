package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"toolmap/survey"
	"toolmap/survey/export"
)

// ExportFile configures WriteExport.
type ExportFile struct {
	Defs   []*survey.Definition // the survey definitions known: labels, column order
	Key    []byte               // the study key (export.MinKeyBytes or more)
	Format export.Format
	// From, To and Partial select the records, as in ExportOptions.
	From, To time.Time
	Partial  bool
	FreeText bool   // include free-text answers and Other… texts
	Licence  string // the data package's licence (see export.Options); "" states none
	Now      time.Time
	// SpoolDir holds the parts of XLSX and ZIP exports, in temporary files
	// removed at once; "" keeps them in memory.
	SpoolDir string
	// Progress, if set, is told how far a phase ("reading" for the first
	// pass, "writing") has come: done responses of total (0: not known).
	Progress func(phase string, done, total int)
}

// ExportCounts count what an export wrote.
type ExportCounts struct {
	Completed, Partial int
}

// WriteExport writes a pseudonymised export of the database to w: each
// respondent as export.Pseudonym under the study key, with the pseudonym
// of who referred them. Formats with the wide layout read the data twice:
// a first pass finds every question, option and row the answers use (so
// that columns of older survey versions are kept), the second writes. The
// database stays open for the bot in between: each pass reads in short
// transactions (Export).
func (db *DB) WriteExport(ctx context.Context, w io.Writer, o ExportFile) (ExportCounts, error) {
	var counts ExportCounts
	if len(o.Key) < export.MinKeyBytes {
		return counts, fmt.Errorf("no study key (or one too short): %w", export.ErrShortKey)
	}
	cb := export.NewCodebook(o.Defs...)
	so := ExportOptions{From: o.From, To: o.To, Partial: o.Partial}
	total := 0
	switch {
	case o.Format.NeedsColumns():
		err := db.Export(ctx, so, func(_ survey.RespondentID, s survey.Session) error {
			cb.Observe(&s)
			if total++; o.Progress != nil && total%1024 == 0 {
				o.Progress("reading", total, 0)
			}
			return nil
		})
		if err != nil {
			return counts, err
		}
	case o.Progress != nil && !o.Partial:
		n, err := db.CountResponses(o.From, o.To) // cheap: no decoding
		if err != nil {
			return counts, err
		}
		total = n
	}
	var spool func() (export.Spool, error)
	if o.SpoolDir != "" {
		spool = tempSpool(o.SpoolDir)
	}
	aw := newAsyncWriter(w)
	enc, err := export.New(o.Format, aw, cb, &export.Options{FreeText: o.FreeText, Licence: o.Licence, Now: o.Now, Spool: spool})
	if err != nil {
		return counts, errors.Join(err, aw.Close())
	}
	refCache := map[string]string{}
	err = db.Export(ctx, so, func(id survey.RespondentID, s survey.Session) error {
		if s.Status == survey.StatusCompleted {
			counts.Completed++
		} else {
			counts.Partial++
		}
		ref, err := db.referrer(o.Key, s.Source, refCache)
		if err != nil {
			return err
		}
		if err := enc.Add(export.Response{Respondent: export.Pseudonym(o.Key, id), Session: s, ReferredBy: ref}); err != nil {
			return err
		}
		if o.Progress != nil {
			o.Progress("writing", counts.Completed+counts.Partial, total)
		}
		return nil
	})
	if cerr := enc.Close(); err == nil {
		err = cerr
	}
	if cerr := aw.Close(); err == nil {
		err = cerr
	}
	return counts, err
}

// referrer returns the pseudonym of the respondent whose personal link
// (source "r-<code>") a respondent started from; "" for another source or
// a code that traces to no one (its owner deleted their data). Answers are
// cached by code for the export.
func (db *DB) referrer(key []byte, source string, cache map[string]string) (string, error) {
	if !strings.HasPrefix(source, "r-") {
		return "", nil
	}
	if p, ok := cache[source]; ok {
		return p, nil
	}
	id, ok, err := db.Referrer(source)
	if err != nil {
		return "", err
	}
	p := ""
	if ok {
		p = export.Pseudonym(key, id)
	}
	cache[source] = p
	return p, nil
}

// tempSpool returns a Spool maker of temporary files in dir, each removed
// at once (it lives while open), or when closed where that is not allowed.
func tempSpool(dir string) func() (export.Spool, error) {
	return func() (export.Spool, error) {
		f, err := os.CreateTemp(dir, ".toolmap-export-*.part")
		if err != nil {
			return nil, err
		}
		if os.Remove(f.Name()) == nil {
			return f, nil
		}
		return removeOnClose{f}, nil
	}
}

type removeOnClose struct{ *os.File }

func (r removeOnClose) Close() error {
	err := r.File.Close()
	if rerr := os.Remove(r.Name()); err == nil {
		err = rerr
	}
	return err
}

// WriteFileAtomic writes path through a temporary file (mode 0600) in the
// same directory, synced and renamed into place only if write succeeds:
// a failed or interrupted export or backup leaves no file behind, and
// never half of one.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename is durable once the directory is; the file is complete either way
		d.Close()
	}
	return nil
}

// asyncBlock is the size of the blocks an asyncWriter passes on.
const asyncBlock = 256 << 10

// asyncWriter passes what is written to it on to w from a goroutine of its
// own, a block at a time, so that an export goes on encoding while the
// last block is written out: writing to a file or a socket is a system
// call, and costs about as much as encoding the CSV. It holds two blocks.
// Close must be called, after an error too: it writes what is left and
// returns the first error of w. It is not safe for concurrent use.
type asyncWriter struct {
	buf  []byte
	full chan []byte
	free chan block
	done chan struct{}
	err  error // w's first error, as far as known to the writing side
	last error // w's first error, set by the goroutine before done closes
}

// block is a block handed back for reuse, with w's first error so far.
type block struct {
	buf []byte
	err error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{
		buf:  make([]byte, 0, asyncBlock),
		full: make(chan []byte),
		free: make(chan block, 1),
		done: make(chan struct{}),
	}
	a.free <- block{buf: make([]byte, 0, asyncBlock)}
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- block{b[:0], err}
		}
		a.last = err
		close(a.done)
	}()
	return a
}

// Write copies p into the current block, handing full blocks on. It
// returns w's error once a block has failed.
func (a *asyncWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), asyncBlock-len(a.buf))
		a.buf = append(a.buf, p[:k]...)
		n += k
		p = p[k:]
		if len(a.buf) == asyncBlock {
			a.full <- a.buf
			a.next()
			if a.err != nil {
				return n, a.err
			}
		}
	}
	return n, nil
}

// Close writes the last block, waits for the goroutine to finish and
// returns w's first error.
func (a *asyncWriter) Close() error {
	if a.full == nil {
		return a.err
	}
	if len(a.buf) > 0 {
		a.full <- a.buf
		a.next()
	}
	close(a.full)
	<-a.done
	a.full = nil
	a.err = a.last
	return a.err
}

// next takes the block handed back, and the error so far.
func (a *asyncWriter) next() {
	b := <-a.free
	a.buf = b.buf
	if a.err == nil {
		a.err = b.err
	}
}
