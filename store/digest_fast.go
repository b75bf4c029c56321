package store

import (
	"encoding/binary"
	"slices"
	"time"
	"unicode/utf8"

	"toolmap/survey"
)

// A faster way through the digest index's records for ScanDigest, for the
// bytes as json.Marshal writes them: only the fields of a record (see
// digest_index.go), no white space, no escapes (text with quotes, line
// breaks or <, > and & has some), valid UTF-8, no nulls. It reads what
// partDigest reads but each answer's question and item, into a session it
// reuses, with
// loops over a local index rather than a method call per token, and gives
// up (false) at the first thing it does not expect, so that the session
// decoder (decode.go) reads the record instead, and reports it if it is
// corrupt. Tests check the two agree wherever this one reads a record.

// fastReader is the fast reader's state, one per goroutine: the strings
// it shares, and the backing stores it reuses.
type fastReader struct {
	// intern holds short strings read before (ids, mostly), so that each
	// is allocated once per scan rather than once per response: a table of
	// internWays strings for each hash of the bytes, the oldest replaced.
	intern *internTable
	values []string // backing store of the answers' Values and Others
	seen   []string // keys of the answers read
}

func newFastReader() *fastReader { return &fastReader{intern: new(internTable)} }

// maxDepth bounds the nesting fastSkip follows.
const maxDepth = 1000

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

// plainByte marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// string returns raw as a string, from the intern table when it is there.
func (r *fastReader) string(raw []byte) string {
	if r.intern == nil || len(raw) > maxInternLen || len(raw) == 0 {
		return string(raw)
	}
	// A cheap hash of the length and the ends: ids differ there.
	n := len(raw)
	h := uint32(n)*2654435761 ^ uint32(raw[0])<<16 ^ uint32(raw[n-1])<<8 ^ uint32(raw[n/2]) ^ uint32(raw[n-2+n/n])<<24
	set := &r.intern.sets[(h^h>>15)%internSets]
	for _, s := range set.s {
		if s == string(raw) {
			return s
		}
	}
	s := string(raw)
	set.s[set.next] = s
	set.next = (set.next + 1) % internWays
	return s
}

// validLiteral reports whether b is a JSON number, true, false or null.
func validLiteral(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// SWAR (SIMD within a register): eight bytes at a time, plain unless one
// is a quote, a backslash, a control character or not ASCII.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special reports whether any of the eight bytes in v is not plain.
func special(v uint64) bool {
	zero := func(x uint64) uint64 { return (x - ones) & ^x & highs }
	return (zero(v^(ones*'"')) | zero(v^(ones*'\\')) | ((v - ones*0x20) &^ v & highs) | v&highs) != 0
}

// fastString scans the string at b[i] and returns where its content
// starts and ends, and the index after it.
func fastString(b []byte, i int) (start, end, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, 0, 0, false
	}
	i++
	start = i
	high := false
	for i < len(b) {
		if i+8 <= len(b) && !special(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			continue
		}
		c := b[i]
		switch {
		case plainByte[c]:
			i++
		case c == '"':
			if high && !utf8.Valid(b[start:i]) {
				return 0, 0, 0, false
			}
			return start, i, i + 1, true
		case c >= 0x80:
			high = true
			i++
		default: // a backslash or a control character
			return 0, 0, 0, false
		}
	}
	return 0, 0, 0, false
}

// fastSkip scans the value at b[i] and returns the index after it.
func fastSkip(b []byte, i, depth int) (int, bool) {
	if i >= len(b) || depth > maxDepth {
		return 0, false
	}
	switch c := b[i]; c {
	case '"':
		_, _, next, ok := fastString(b, i)
		return next, ok
	case '{', '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i++
		if i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			if c == '{' {
				_, _, next, ok := fastString(b, i)
				if !ok || next >= len(b) || b[next] != ':' {
					return 0, false
				}
				i = next + 1
			}
			var ok bool
			if i, ok = fastSkip(b, i, depth+1); !ok || i >= len(b) {
				return 0, false
			}
			switch b[i] {
			case ',':
				i++
			case end:
				return i + 1, true
			default:
				return 0, false
			}
		}
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']':
			return i, validLiteral(b[start:i])
		case ' ', '\t', '\n', '\r':
			return 0, false
		}
		i++
	}
	return i, validLiteral(b[start:i])
}

// fastSession reads v into s as the session decoder does for partDigest,
// but each answer's question and item, reusing s's answers map and
// Values: an answer stored under a key it had before overwrites it in
// place, where a new entry would put its value on the heap (Answer is too
// big to be stored in the map itself).
func (r *fastReader) fastSession(v []byte, s *survey.Session) bool {
	answers := s.Answers
	r.values, r.seen = r.values[:0], r.seen[:0]
	*s = survey.Session{}
	ok := r.fastTop(v, s, &answers)
	if ok {
		for k := range answers {
			if !slices.Contains(r.seen, k) {
				delete(answers, k)
			}
		}
	}
	s.Answers = answers
	return ok
}

func (r *fastReader) fastTop(b []byte, s *survey.Session, answers *map[string]survey.Answer) bool {
	if len(b) < 2 || b[0] != '{' {
		return false
	}
	i := 1
	if b[i] == '}' {
		return len(b) == 2
	}
	for {
		ks, ke, next, ok := fastString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return false
		}
		i = next + 1
		switch string(b[ks:ke]) {
		case "source":
			vs, ve, next, ok := fastString(b, i)
			if !ok {
				return false
			}
			s.Source, i = r.string(b[vs:ve]), next
		case "completed_at":
			vs, ve, next, ok := fastString(b, i)
			if !ok {
				return false
			}
			if s.CompletedAt, ok = fastTime(b[vs:ve]); !ok {
				return false // an empty time too: the decoder refuses it
			}
			i = next
		case "answers":
			if i, ok = r.fastAnswers(b, i, answers); !ok {
				return false
			}
		default:
			// Any other field of a session (a whole session rather than a
			// record of the index), or a field's name in another case
			// (that field, to json.Unmarshal): the decoder reads it.
			if !unknown(b[ks:ke], sessionFields) {
				return false
			}
			if i, ok = fastSkip(b, i, 1); !ok {
				return false
			}
		}
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i+1 == len(b)
		default:
			return false
		}
	}
}

func (r *fastReader) fastAnswers(b []byte, i int, m *map[string]survey.Answer) (int, bool) {
	if i+1 >= len(b) || b[i] != '{' {
		return 0, false
	}
	i++
	if b[i] == '}' {
		return i + 1, true
	}
	for {
		ks, ke, next, ok := fastString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return 0, false
		}
		k := r.string(b[ks:ke])
		var a survey.Answer
		if i, ok = r.fastAnswer(b, next+1, &a); !ok || i >= len(b) {
			return 0, false
		}
		if *m == nil {
			*m = make(map[string]survey.Answer, 16)
		}
		(*m)[k] = a
		r.seen = append(r.seen, k)
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

func (r *fastReader) fastAnswer(b []byte, i int, a *survey.Answer) (int, bool) {
	if i+1 >= len(b) || b[i] != '{' {
		return 0, false
	}
	i++
	if b[i] == '}' {
		return i + 1, true
	}
	for {
		ks, ke, next, ok := fastString(b, i)
		if !ok || next >= len(b) || b[next] != ':' {
			return 0, false
		}
		i = next + 1
		switch string(b[ks:ke]) {
		case "values":
			if i, a.Values, ok = r.fastStrings(b, i); !ok {
				return 0, false
			}
		case "others":
			if i, a.Others, ok = r.fastStrings(b, i); !ok {
				return 0, false
			}
		case "other", "text":
			vs, ve, next, ok := fastString(b, i)
			if !ok {
				return 0, false
			}
			if b[ks] == 'o' {
				a.Other = r.string(b[vs:ve])
			} else {
				a.Text = r.string(b[vs:ve])
			}
			i = next
		case "skipped":
			switch {
			case len(b)-i >= 4 && string(b[i:i+4]) == "true":
				a.Skipped, i = true, i+4
			case len(b)-i >= 5 && string(b[i:i+5]) == "false":
				a.Skipped, i = false, i+5
			default:
				return 0, false
			}
		default:
			if !unknown(b[ks:ke], answerFields) {
				return 0, false
			}
			if i, ok = fastSkip(b, i, 3); !ok {
				return 0, false
			}
		}
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// fastStrings reads a non-empty array of strings, in r.values.
func (r *fastReader) fastStrings(b []byte, i int) (int, []string, bool) {
	if i+1 >= len(b) || b[i] != '[' || b[i+1] == ']' {
		return 0, nil, false
	}
	i++
	first := len(r.values)
	for {
		vs, ve, next, ok := fastString(b, i)
		if !ok || next >= len(b) {
			return 0, nil, false
		}
		r.values = append(r.values, r.string(b[vs:ve]))
		i = next
		switch b[i] {
		case ',':
			i++
		case ']':
			return i + 1, r.values[first:len(r.values):len(r.values)], true
		default:
			return 0, nil, false
		}
	}
}

// fastTime reads a time as json.Marshal writes it,
// "2026-11-18T12:14:53.088422752Z" or with an offset, "…+01:00"; false
// for anything else, which time.Parse reads. The time is in UTC: the
// same instant time.Parse gives, not always its location.
func fastTime(b []byte) (time.Time, bool) {
	offset := 0
	switch {
	case len(b) >= 20 && b[len(b)-1] == 'Z':
		b = b[:len(b)-1]
	case len(b) >= 25 && (b[len(b)-6] == '+' || b[len(b)-6] == '-') && b[len(b)-3] == ':':
		h, ok1 := digits(b[len(b)-5 : len(b)-3])
		m, ok2 := digits(b[len(b)-2:])
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return time.Time{}, false
		}
		offset = h*3600 + m*60
		if b[len(b)-6] == '-' {
			offset = -offset
		}
		b = b[:len(b)-6]
	default:
		return time.Time{}, false
	}
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	if day > time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return time.Time{}, false
	}
	nanos := 0
	switch rest := b[19:]; {
	case len(rest) == 0:
	case len(rest) >= 2 && len(rest) <= 10 && rest[0] == '.':
		f, ok := digits(rest[1:])
		if !ok {
			return time.Time{}, false
		}
		for range 10 - len(rest) {
			f *= 10
		}
		nanos = f
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// digits reads a run of decimal digits.
func digits(s []byte) (int, bool) {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}
