package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"toolmap/survey"
)

// A record of the digest index is binary, written and read only here: a
// digest reads 100,000 of them, and reading JSON (a scan of every byte
// for quotes, the fields' names matched, the times parsed) was most of its
// time. Layout, every count and length an unsigned varint:
//
//	format byte (recordFormat)
//	source: length, bytes
//	completion time: 0, or 1 then seconds since 1970 (a signed varint) and nanoseconds
//	answers: count, then for each, in the order of their keys (each
//	  greater than the one before):
//	  key: length, bytes (the answer's key in the session: "tools/events")
//	  flags byte: skipped, has Other… text, has text
//	  values: count, then length and bytes of each
//	  Other… text (when flagged): length, bytes
//	  names given under Other…: count, then length and bytes of each
//	  text (when flagged): length, bytes
//
// Strings are written as UTF-8, as json.Marshal writes the response, so
// that the two read the same. Any other first byte is a format
// this version does not know: reading stops with the database reported
// corrupt rather than miscounting.

const recordFormat = 1

const (
	flagSkipped = 1 << iota
	flagOther
	flagText
	flagsKnown = flagSkipped | flagOther | flagText
)

// encodeDigestRecord encodes what the digest index keeps of s.
func encodeDigestRecord(s *survey.Session) []byte {
	b := make([]byte, 0, 256)
	b = append(b, recordFormat)
	b = appendString(b, s.Source)
	if s.CompletedAt.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, s.CompletedAt.Unix())
		b = binary.AppendUvarint(b, uint64(s.CompletedAt.Nanosecond()))
	}
	keys := make([]string, 0, len(s.Answers))
	for k := range s.Answers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		a := s.Answers[k]
		b = appendString(b, k)
		var flags byte
		if a.Skipped {
			flags |= flagSkipped
		}
		if a.Other != "" {
			flags |= flagOther
		}
		if a.Text != "" {
			flags |= flagText
		}
		b = append(b, flags)
		b = appendStrings(b, a.Values)
		if a.Other != "" {
			b = appendString(b, a.Other)
		}
		b = appendStrings(b, a.Others)
		if a.Text != "" {
			b = appendString(b, a.Text)
		}
	}
	return b
}

// appendString appends s with its length, each byte of it that is not
// UTF-8 replaced by U+FFFD, as json.Marshal writes the response.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		var v []byte
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				v = utf8.AppendRune(v, utf8.RuneError)
			} else {
				v = append(v, s[i:i+n]...)
			}
			i += n
		}
		s = string(v)
	}
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// recordReader reads records of the digest index, one goroutine's: it
// shares the strings it reads often and reuses the backing store of the
// answers' values.
type recordReader struct {
	// intern holds short strings read before (ids, mostly), so that each
	// is allocated once per scan rather than once per response: a table of
	// internWays strings for each hash of the bytes, the oldest replaced.
	intern *internTable
	values []string // backing store of the answers' Values and Others
	seen   []string // keys of the answers read
	before []string // keys of the answers of the record before
}

func newRecordReader() *recordReader { return &recordReader{intern: new(internTable)} }

// Interning: strings up to maxInternLen bytes, internWays for each of
// internSets hashes.
const (
	maxInternLen = 40
	internSets   = 512
	internWays   = 4
)

type internTable struct {
	sets [internSets]struct {
		s    [internWays]string
		next uint8 // the way to replace next
	}
}

// string reads a string, from the intern table when it is there; one
// that is not UTF-8 is an error.
func (r *recordReader) string(c *cursor) string {
	raw := c.bytes()
	if len(raw) > maxInternLen || len(raw) == 0 {
		return r.valid(c, raw)
	}
	// A cheap hash of the length and the ends: ids differ there.
	n := len(raw)
	h := uint32(n)*2654435761 ^ uint32(raw[0])<<16 ^ uint32(raw[n-1])<<8 ^ uint32(raw[n/2]) ^ uint32(raw[max(n-2, 0)])<<24
	set := &r.intern.sets[(h^h>>15)%internSets]
	for i := range set.s {
		if set.s[i] == string(raw) {
			return set.s[i]
		}
	}
	s := r.valid(c, raw)
	set.s[set.next] = s
	set.next = (set.next + 1) % internWays
	return s
}

func (r *recordReader) valid(c *cursor, raw []byte) string {
	if !utf8.Valid(raw) {
		c.fail(errors.New("a string that is not UTF-8"))
		return ""
	}
	return string(raw)
}

var errRecordShort = errors.New("the record ends too soon")

// read decodes record v into s as the session decoder does a response for
// partDigest, less each answer's question and item: the source, the
// completion time (in UTC) and the answers. It reuses s's answers map and
// r's values: an answer stored under a key it had before overwrites it in
// place, where a new entry puts its value on the heap (an Answer is too
// big to be kept in the map itself). What s holds is valid until the next
// read; its answers may be an empty map rather than nil.
func (r *recordReader) read(v []byte, s *survey.Session) error {
	answers := s.Answers
	*s = survey.Session{}
	r.values = r.values[:0]
	r.seen, r.before = r.before[:0], r.seen
	err := r.record(v, s, &answers)
	if err != nil {
		clear(answers)
		r.seen = r.seen[:0]
	} else {
		// The keys of the record before that this one does not have go.
		// Both lists are in order. (Walking the map would visit all its
		// room, which is more than its keys.)
		i := 0
		for _, k := range r.before {
			for i < len(r.seen) && r.seen[i] < k {
				i++
			}
			if i == len(r.seen) || r.seen[i] != k {
				delete(answers, k)
			}
		}
	}
	s.Answers = answers
	return err
}

func (r *recordReader) record(v []byte, s *survey.Session, answers *map[string]survey.Answer) error {
	if len(v) == 0 {
		return errRecordShort
	}
	if v[0] != recordFormat {
		return fmt.Errorf("a record of format %d, which this version of toolmap does not read", v[0])
	}
	c := cursor{b: v, i: 1}
	s.Source = r.string(&c)
	switch c.byte() {
	case 0:
	case 1:
		sec, nsec := c.varint(), c.uvarint()
		if nsec >= 1e9 || sec < minUnix || sec > maxUnix {
			return fmt.Errorf("a completion time out of range")
		}
		s.CompletedAt = time.Unix(sec, int64(nsec)).UTC()
	default:
		return fmt.Errorf("a completion time of kind %d", v[c.i-1])
	}
	n := c.count(2)
	if n > 0 && *answers == nil {
		*answers = make(map[string]survey.Answer, max(n, 16))
	}
	for range n {
		k := r.string(&c)
		if len(r.seen) > 0 && k <= r.seen[len(r.seen)-1] && c.err == nil {
			c.fail(errors.New("answers out of order"))
		}
		flags := c.byte()
		if flags&^flagsKnown != 0 {
			return fmt.Errorf("an answer with flags %#x", flags)
		}
		a := survey.Answer{Skipped: flags&flagSkipped != 0, Values: r.strings(&c)}
		if flags&flagOther != 0 {
			a.Other = r.string(&c)
		}
		a.Others = r.strings(&c)
		if flags&flagText != 0 {
			a.Text = r.string(&c)
		}
		if c.err != nil {
			break
		}
		(*answers)[k] = a
		r.seen = append(r.seen, k)
	}
	switch {
	case c.err != nil:
		return c.err
	case c.i != len(v):
		return fmt.Errorf("%d bytes after the record", len(v)-c.i)
	}
	return nil
}

// strings reads a count and as many strings, in r.values; nil for none.
func (r *recordReader) strings(c *cursor) []string {
	n := c.count(1)
	if n == 0 {
		return nil
	}
	first := len(r.values)
	for range n {
		r.values = append(r.values, r.string(c))
	}
	return r.values[first:len(r.values):len(r.values)]
}

// The completion times a record may hold: years 1 to 9999, as JSON does.
var (
	minUnix = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxUnix = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

// cursor reads a record; after the first error every read gives zero.
type cursor struct {
	b   []byte
	i   int
	err error
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.i = len(c.b)
}

func (c *cursor) byte() byte {
	if c.i >= len(c.b) {
		c.fail(errRecordShort)
		return 0
	}
	c.i++
	return c.b[c.i-1]
}

func (c *cursor) uvarint() uint64 {
	if c.i < len(c.b) && c.b[c.i] < 0x80 { // most are under 128
		c.i++
		return uint64(c.b[c.i-1])
	}
	x, n := binary.Uvarint(c.b[c.i:])
	if n <= 0 {
		c.fail(errRecordShort)
		return 0
	}
	c.i += n
	return x
}

func (c *cursor) varint() int64 {
	x, n := binary.Varint(c.b[c.i:])
	if n <= 0 {
		c.fail(errRecordShort)
		return 0
	}
	c.i += n
	return x
}

// count reads a count of things that take at least size bytes each, and
// refuses one the rest of the record cannot hold.
func (c *cursor) count(size int) int {
	n := c.uvarint()
	if n > uint64(len(c.b)-c.i)/uint64(size) {
		c.fail(errRecordShort)
		return 0
	}
	return int(n)
}

// bytes reads a length and as many bytes.
func (c *cursor) bytes() []byte {
	n := c.uvarint()
	if n > uint64(len(c.b)-c.i) {
		c.fail(errRecordShort)
		return nil
	}
	c.i += int(n)
	return c.b[c.i-int(n) : c.i]
}
