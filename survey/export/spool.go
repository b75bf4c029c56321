package export

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"time"
)

// Spool is storage for one part of an export until it can be copied into
// place, such as a temporary file (an *os.File fits).
type Spool interface {
	io.ReadWriteSeeker
	io.Closer
}

// memSpool is the default Spool: memory.
type memSpool struct {
	buf []byte
	off int
}

func (m *memSpool) Write(p []byte) (int, error) {
	m.buf = append(m.buf, p...)
	return len(p), nil
}

func (m *memSpool) Read(p []byte) (int, error) {
	if m.off >= len(m.buf) {
		return 0, io.EOF
	}
	n := copy(p, m.buf[m.off:])
	m.off += n
	return n, nil
}

func (m *memSpool) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = int64(m.off) + offset
	case io.SeekEnd:
		abs = int64(len(m.buf)) + offset
	}
	if abs < 0 {
		return 0, errors.New("seek before the start")
	}
	m.off = int(abs)
	return abs, nil
}

func (m *memSpool) Close() error { m.buf = nil; return nil }

func newSpool(opts Options) (Spool, error) {
	if opts.Spool == nil {
		return &memSpool{}, nil
	}
	return opts.Spool()
}

// part is one file of a ZIP archive, written ahead of time into a spool,
// deflated or stored, and copied into the archive with CreateRaw.
type part struct {
	name     string
	method   uint16
	spool    Spool
	crc      hash.Hash32
	size     int64 // uncompressed
	counted  countWriter
	fw       *flate.Writer
	bw       *bufio.Writer
	pipe     *blockPipe // to a goroutine that deflates, for a deflated part
	finished bool
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// newPart starts a part: deflated unless the content is compressed already.
func newPart(opts Options, name string, deflate bool) (*part, error) {
	sp, err := newSpool(opts)
	if err != nil {
		return nil, err
	}
	p := &part{name: name, method: zip.Store, spool: sp, crc: crc32.NewIEEE()}
	p.counted.w = sp
	if deflate {
		p.method = zip.Deflate
		// BestSpeed: exports are large and this is their slowest step; the
		// files still shrink about tenfold.
		p.fw, _ = flate.NewWriter(&p.counted, flate.BestSpeed)
		// Deflating costs about as much as making the content: it runs
		// on a goroutine of its own, one per part.
		p.pipe = newBlockPipe(sink{p})
		p.bw = bufio.NewWriterSize(p.pipe, 64<<10)
		return p, nil
	}
	p.bw = bufio.NewWriterSize(sink{p}, 64<<10)
	return p, nil
}

type sink struct{ p *part }

func (s sink) Write(b []byte) (int, error) {
	s.p.crc.Write(b)
	s.p.size += int64(len(b))
	if s.p.fw != nil {
		return s.p.fw.Write(b)
	}
	return s.p.counted.Write(b)
}

// Write adds to the part's content.
func (p *part) Write(b []byte) (int, error) { return p.bw.Write(b) }

// WriteString adds to the part's content.
func (p *part) WriteString(s string) (int, error) { return p.bw.WriteString(s) }

func (p *part) finish() error {
	if p.finished {
		return nil
	}
	p.finished = true
	err := p.bw.Flush()
	if p.pipe != nil {
		if perr := p.pipe.Close(); err == nil {
			err = perr
		}
	}
	if err != nil {
		return err
	}
	if p.fw != nil {
		return p.fw.Close()
	}
	return nil
}

// copyTo finishes the part and copies it into the archive.
func (p *part) copyTo(zw *zip.Writer, modified time.Time) error {
	if err := p.finish(); err != nil {
		return err
	}
	h := &zip.FileHeader{
		Name: p.name, Method: p.method,
		CRC32: p.crc.Sum32(), CompressedSize64: uint64(p.counted.n), UncompressedSize64: uint64(p.size),
	}
	// CreateRaw, unlike CreateHeader, does not turn Modified into the
	// MS-DOS time fields: SetModTime sets both.
	h.SetModTime(zipTime(modified)) //nolint:staticcheck // SA1019: the deprecated setter is the one that fills both
	w, err := zw.CreateRaw(h)
	if err != nil {
		return err
	}
	if _, err := p.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(w, p.spool, p.counted.n); err != nil {
		return err
	}
	return nil
}

// close releases the part: its goroutine, if it was never finished, and
// its spool.
func (p *part) close() error {
	if p.pipe != nil {
		_ = p.pipe.Close() // an unfinished part is discarded: its error does not matter
	}
	return p.spool.Close()
}

// blockPipe passes what is written to it on to w from a goroutine of its
// own, a block at a time. Close must be called: it waits for the goroutine
// to finish and returns w's first error, which Write also returns once it
// is known. It is not safe for concurrent use.
type blockPipe struct {
	full   chan []byte
	free   chan pipeBlock
	done   chan struct{}
	err    error // w's first error, as known to the writing side
	last   error // w's first error, set by the goroutine before done closes
	closed bool
}

// pipeBlock is a block handed back for reuse, with w's first error so far.
type pipeBlock struct {
	buf []byte
	err error
}

func newBlockPipe(w io.Writer) *blockPipe {
	bp := &blockPipe{full: make(chan []byte), free: make(chan pipeBlock, 2), done: make(chan struct{})}
	bp.free <- pipeBlock{}
	bp.free <- pipeBlock{}
	go func() {
		var err error
		for b := range bp.full {
			if err == nil {
				_, err = w.Write(b)
			}
			bp.free <- pipeBlock{b[:0], err}
		}
		bp.last = err
		close(bp.done)
	}()
	return bp
}

// Write hands a copy of b to the goroutine.
func (bp *blockPipe) Write(b []byte) (int, error) {
	if bp.closed {
		return 0, errors.New("write to a closed pipe")
	}
	blk := <-bp.free
	if bp.err == nil {
		bp.err = blk.err
	}
	if bp.err != nil {
		bp.free <- blk
		return 0, bp.err
	}
	bp.full <- append(blk.buf, b...)
	return len(b), nil
}

// Close waits for what was written to be passed on.
func (bp *blockPipe) Close() error {
	if !bp.closed {
		bp.closed = true
		close(bp.full)
		<-bp.done
		if bp.err == nil {
			bp.err = bp.last
		}
	}
	return bp.err
}

// zipTime is the time stamped on ZIP entries: the export's, or the ZIP
// epoch when there is none.
func zipTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return t.UTC()
}

// addFile writes a small file, built in memory, to the archive.
func addFile(zw *zip.Writer, name string, modified time.Time, data []byte) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime(modified)})
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}
