package main

import "io"

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
