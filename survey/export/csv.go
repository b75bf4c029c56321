package export

import (
	"bufio"
	"io"
	"strings"

	"toolmap/survey"
)

// Encoder is fed one response at a time and writes it out at once, so an
// export of any size holds one response in memory. Close finishes the
// output (it does not close the underlying writer). After an error from
// Add, call Close to release what the encoder holds and discard the output.
type Encoder interface {
	Add(r Response) error
	Close() error
}

// CSV writes the long or the wide layout as CSV (RFC 4180, UTF-8 without a
// byte-order mark, "\n" line ends). Text cells are neutralised (see
// Neutralise); number cells never are.
type CSV struct {
	l       *layout
	cols    []column
	bw      *bufio.Writer
	row     []string
	answers []survey.Answer
	wide    bool
	started bool
	buf     []byte
	prefix  []byte // the encoded common cells of the response being added
	fresh   bool   // prefix is to be encoded from the next row
}

var _ Encoder = (*CSV)(nil)

// NewLongCSV returns an encoder of the long layout: one row per answer
// cell (a question's pick; for a matrix, row item × option picked; a
// number; a skip; with FreeText, a text), each starting with the common
// columns.
func NewLongCSV(w io.Writer, cb *Codebook, opts *Options) *CSV {
	l := newLayout(cb, opts.orDefault())
	return newCSV(w, l, l.long, false)
}

// NewWideCSV returns an encoder of the wide layout: one row per response,
// one column per single, number or text question, and for each multi
// question (and each matrix row) a ;-joined column and a 0/1 column per
// option. Its columns come from the codebook, which must have observed
// every response (see Codebook.Observe): Add fails with ErrNotInCodebook
// otherwise.
func NewWideCSV(w io.Writer, cb *Codebook, opts *Options) *CSV {
	l := newLayout(cb, opts.orDefault())
	return newCSV(w, l, l.wide, true)
}

func newCSV(w io.Writer, l *layout, cols []column, wide bool) *CSV {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &CSV{l: l, cols: cols, bw: bw, row: make([]string, len(cols)), wide: wide}
}

// Columns returns the names of the columns, in order.
func (c *CSV) Columns() []string { return names(c.cols) }

func (c *CSV) header() error {
	if c.started {
		return nil
	}
	c.started = true
	c.buf = c.buf[:0]
	for i, n := range names(c.cols) {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendField(c.buf, n)
	}
	c.buf = append(c.buf, '\n')
	_, err := c.bw.Write(c.buf)
	return err
}

// Add writes the rows of one response.
func (c *CSV) Add(r Response) error {
	if err := c.header(); err != nil {
		return err
	}
	c.answers = c.l.sorted(&r.Session, c.answers)
	c.fresh = true
	if c.wide {
		if err := c.l.wideRow(&r, c.answers, c.row); err != nil {
			return err
		}
		return c.write(c.row)
	}
	return c.l.longRows(&r, c.answers, c.row, c.write)
}

// write writes a row. The common cells are the same for every row of a
// response: they are neutralised and encoded once.
func (c *CSV) write(row []string) error {
	if c.fresh {
		c.fresh = false
		c.prefix = c.prefix[:0]
		for i := range nCommon {
			if i > 0 {
				c.prefix = append(c.prefix, ',')
			}
			c.prefix = appendField(c.prefix, Neutralise(row[i]))
		}
	}
	c.buf = append(c.buf[:0], c.prefix...)
	for i := nCommon; i < len(row); i++ {
		c.buf = append(c.buf, ',')
		v := row[i]
		if !c.cols[i].numeric() {
			v = Neutralise(v)
		}
		c.buf = appendField(c.buf, v)
	}
	c.buf = append(c.buf, '\n')
	_, err := c.bw.Write(c.buf)
	return err
}

// appendField appends one CSV field as encoding/csv writes it (RFC 4180):
// quoted if it holds a comma, a quote, a line break, or starts with a
// space, with quotes doubled.
func appendField(b []byte, s string) []byte {
	quote := s == `\.`
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote && s != "" && (s[0] == ' ' || s[0] == '\t') {
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// Close writes the header if no response was added, and flushes.
func (c *CSV) Close() error {
	if err := c.header(); err != nil {
		return err
	}
	return c.bw.Flush()
}
