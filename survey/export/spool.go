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
	if err := p.bw.Flush(); err != nil {
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

func (p *part) close() error { return p.spool.Close() }

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
