package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"toolmap/survey"
)

// The one reader of stored sessions (their JSON, as json.Marshal writes a
// survey.Session). Every read of a session or a response goes through
// decodeSession: the bot's (Tx.Session), exports, digests, counts,
// retention. encoding/json spends most of its time on reflection; this
// reads the same bytes several times faster.

// sessionDecoder reads the session format by hand and gives up on anything
// it is not sure to read exactly as json.Unmarshal does (a key of a field
// it does not know, or matching one only when case is ignored; null; a
// number that is not a plain integer; malformed JSON); decodeSession then
// decodes with json.Unmarshal instead. A key that is no field at all is
// skipped, as json.Unmarshal skips it. Strings that repeat (ids,
// languages, statuses) are shared. One decoder serves one goroutine.
type sessionDecoder struct {
	b    []byte
	i    int
	strs map[string]string
	part part
	stop bool // partStart has read what it wants
}

// part is how much of a session decodeSession reads.
type part uint8

const (
	// partAll is every field.
	partAll part = iota
	// partDigest is what a digest reads: Source, CompletedAt, and each
	// answer's Question, Item, Values, Other, Text and Skipped. The rest
	// is left zero.
	partDigest
	// partStart is Status and StartedAt: reading stops once it has both,
	// and does not look past the end of the object.
	partStart
)

func newSessionDecoder() *sessionDecoder {
	return &sessionDecoder{strs: make(map[string]string, 256)}
}

// sessionDecoders are pooled: every update the bot handles reads a session.
var sessionDecoders = sync.Pool{New: func() any { return newSessionDecoder() }}

// decodeSession decodes p of data into *s (which must be zero), with the
// same result as json.Unmarshal for those fields.
func (d *sessionDecoder) decodeSession(data []byte, s *survey.Session, p part) error {
	d.b, d.i, d.part, d.stop = data, 0, p, false
	ok := d.session(s) || d.stop
	d.b = nil
	if ok {
		return nil
	}
	*s = survey.Session{}
	if err := json.Unmarshal(data, s); err != nil {
		return err
	}
	if p == partDigest {
		*s = digestPart(*s)
	}
	return nil
}

// digestPart keeps of s what partDigest reads.
func digestPart(s survey.Session) survey.Session {
	out := survey.Session{Source: s.Source, CompletedAt: s.CompletedAt}
	if s.Answers != nil {
		out.Answers = make(map[string]survey.Answer, len(s.Answers))
		for k, a := range s.Answers {
			out.Answers[k] = survey.Answer{Question: a.Question, Item: a.Item, Values: a.Values, Other: a.Other, Others: a.Others, Text: a.Text, Skipped: a.Skipped}
		}
	}
	return out
}

// decodeSession decodes a stored session or response with a pooled
// decoder. An error matches ErrCorrupt: the record is a session of
// respondent id, or with response its response.
func (db *DB) decodeSession(v []byte, p part, id survey.RespondentID, response bool) (survey.Session, error) {
	var s survey.Session
	d := sessionDecoders.Get().(*sessionDecoder)
	err := d.decodeSession(v, &s, p)
	sessionDecoders.Put(d)
	if err != nil {
		what := "session"
		if response {
			what = "response"
		}
		return survey.Session{}, db.corrupt(fmt.Sprintf("the %s of respondent %d", what, id), err)
	}
	return s, nil
}

// The json names of each struct's fields, to tell a key json.Unmarshal
// would decode (perhaps ignoring case) from one it would skip.
var (
	sessionFields   = jsonNames(reflect.TypeFor[survey.Session]())
	answerFields    = jsonNames(reflect.TypeFor[survey.Answer]())
	cursorFields    = jsonNames(reflect.TypeFor[survey.Cursor]())
	consentedFields = jsonNames(reflect.TypeFor[survey.Consented]())
	draftFields     = jsonNames(reflect.TypeFor[survey.Draft]())
)

func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// unknown reports whether key names no field of fields, so that its value
// is to be skipped. Keys that are not plain ASCII are never assumed
// unknown (json.Unmarshal folds Unicode case).
func unknown(key []byte, fields []string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f, string(key)) {
			return false
		}
	}
	return true
}

func (d *sessionDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// eat consumes c, after white space, if it comes next.
func (d *sessionDecoder) eat(c byte) bool {
	d.ws()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

// object reads an object, calling field for each key (without escapes)
// after its colon; field reads the value.
func (d *sessionDecoder) object(field func(key []byte) bool) bool {
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	for {
		d.ws()
		key, ok := d.rawString()
		if !ok || !d.eat(':') || !field(key) {
			return false
		}
		if d.eat(',') {
			continue
		}
		return d.eat('}')
	}
}

// seen marks field bit n of an object as read; false for a second time
// (json.Unmarshal's handling of repeated keys is left to it).
func seen(mask *uint32, n uint) bool {
	if *mask&(1<<n) != 0 {
		return false
	}
	*mask |= 1 << n
	return true
}

// rawString reads a string without escapes, control characters or
// invalid UTF-8 and returns its bytes (aliasing the input).
func (d *sessionDecoder) rawString() ([]byte, bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false
	}
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			raw := d.b[start:j]
			if !ascii && !utf8.Valid(raw) {
				return nil, false
			}
			d.i = j + 1
			return raw, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// str reads a string; one with escapes is unquoted by encoding/json.
func (d *sessionDecoder) str(out *string) bool {
	d.ws()
	start := d.i
	if raw, ok := d.rawString(); ok {
		*out = d.intern(raw)
		return true
	}
	d.i = start
	if !d.skipString() {
		return false
	}
	return json.Unmarshal(d.b[start:d.i], out) == nil
}

func (d *sessionDecoder) intern(raw []byte) string {
	if s, ok := d.strs[string(raw)]; ok {
		return s
	}
	s := string(raw)
	if len(raw) <= 40 && len(d.strs) < 4096 {
		d.strs[s] = s
	}
	return s
}

// stringList reads an array of strings (empty, not nil, for []).
func (d *sessionDecoder) stringList(out *[]string) bool {
	if !d.eat('[') {
		return false
	}
	vs := make([]string, 0, 4)
	if !d.eat(']') {
		for {
			var s string
			if !d.str(&s) {
				return false
			}
			vs = append(vs, s)
			if d.eat(',') {
				continue
			}
			if !d.eat(']') {
				return false
			}
			break
		}
	}
	*out = vs
	return true
}

// integer reads an integer without fraction or exponent.
func (d *sessionDecoder) integer(out *int) bool {
	d.ws()
	start := d.i
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	digits := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	n := d.i - digits
	if n == 0 || n > 18 || (n > 1 && d.b[digits] == '0') {
		return false
	}
	if d.i < len(d.b) {
		if c := d.b[d.i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	v, err := strconv.Atoi(string(d.b[start:d.i]))
	*out = v
	return err == nil
}

// number reads any JSON number as a float64.
func (d *sessionDecoder) number(out **float64) bool {
	d.ws()
	start := d.i
	if !d.skipNumber() {
		return false
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return false
	}
	*out = &f
	return true
}

func (d *sessionDecoder) boolean(out *bool) bool {
	d.ws()
	switch {
	case d.literal("true"):
		*out = true
	case d.literal("false"):
		*out = false
	default:
		return false
	}
	return true
}

func (d *sessionDecoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// timestamp reads a time as time.Time.UnmarshalJSON does.
func (d *sessionDecoder) timestamp(out *time.Time) bool {
	d.ws()
	start := d.i
	if _, ok := d.rawString(); !ok {
		return false
	}
	return out.UnmarshalJSON(d.b[start:d.i]) == nil
}

func (d *sessionDecoder) session(s *survey.Session) bool {
	var mask uint32
	ok := d.object(func(key []byte) bool {
		if d.part == partStart && mask&(1<<3|1<<6) == 1<<3|1<<6 {
			d.stop = true // status and started_at are read
			return false
		}
		if d.part != partAll && !d.wanted(key) {
			return d.skipValue(0)
		}
		switch string(key) {
		case "survey":
			return seen(&mask, 0) && d.str(&s.SurveyID)
		case "version":
			return seen(&mask, 1) && d.integer(&s.Version)
		case "lang":
			return seen(&mask, 2) && d.str(&s.Language)
		case "status":
			var st string
			ok := seen(&mask, 3) && d.str(&st)
			s.Status = survey.Status(st)
			return ok
		case "source":
			return seen(&mask, 4) && d.str(&s.Source)
		case "consent":
			if !seen(&mask, 5) {
				return false
			}
			c := &survey.Consented{}
			s.Consent = c
			return d.consented(c)
		case "started_at":
			return seen(&mask, 6) && d.timestamp(&s.StartedAt)
		case "updated_at":
			return seen(&mask, 7) && d.timestamp(&s.UpdatedAt)
		case "completed_at":
			return seen(&mask, 8) && d.timestamp(&s.CompletedAt)
		case "cursor":
			return seen(&mask, 9) && d.cursor(&s.Cursor)
		case "answers":
			return seen(&mask, 10) && d.answers(&s.Answers)
		case "history":
			return seen(&mask, 11) && d.history(&s.History)
		case "draft":
			if !seen(&mask, 12) {
				return false
			}
			dr := &survey.Draft{}
			s.Draft = dr
			return d.draft(dr)
		case "review":
			return seen(&mask, 13) && d.boolean(&s.Review)
		}
		return unknown(key, sessionFields) && d.skipValue(0)
	})
	if !ok {
		return false
	}
	if d.part == partStart {
		return true
	}
	d.ws()
	return d.i == len(d.b) // nothing may follow
}

// wanted reports whether the part read wants the session field key; keys
// that are no field's exact name are wanted (the decoder then checks them
// as for partAll).
func (d *sessionDecoder) wanted(key []byte) bool {
	switch string(key) {
	case "survey", "version", "lang", "consent", "updated_at", "cursor", "history", "draft", "review":
		return false
	case "source", "completed_at", "answers":
		return d.part == partDigest
	case "status", "started_at":
		return d.part == partStart
	}
	return true
}

func (d *sessionDecoder) consented(c *survey.Consented) bool {
	var mask uint32
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "version":
			return seen(&mask, 0) && d.integer(&c.Version)
		case "at":
			return seen(&mask, 1) && d.timestamp(&c.At)
		}
		return unknown(key, consentedFields) && d.skipValue(0)
	})
}

func (d *sessionDecoder) cursor(c *survey.Cursor) bool {
	var mask uint32
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "q":
			return seen(&mask, 0) && d.str(&c.Question)
		case "item":
			return seen(&mask, 1) && d.str(&c.Item)
		}
		return unknown(key, cursorFields) && d.skipValue(0)
	})
}

func (d *sessionDecoder) history(out *[]survey.Cursor) bool {
	if !d.eat('[') {
		return false
	}
	h := make([]survey.Cursor, 0, 16)
	if !d.eat(']') {
		for {
			var c survey.Cursor
			if !d.cursor(&c) {
				return false
			}
			h = append(h, c)
			if d.eat(',') {
				continue
			}
			if !d.eat(']') {
				return false
			}
			break
		}
	}
	*out = h
	return true
}

func (d *sessionDecoder) draft(dr *survey.Draft) bool {
	var mask uint32
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "values":
			return seen(&mask, 0) && d.stringList(&dr.Values)
		case "other":
			return seen(&mask, 1) && d.str(&dr.Other)
		case "others":
			return seen(&mask, 4) && d.stringList(&dr.Others)
		case "page":
			return seen(&mask, 2) && d.integer(&dr.Page)
		case "awaiting_other":
			return seen(&mask, 3) && d.boolean(&dr.AwaitingOther)
		}
		return unknown(key, draftFields) && d.skipValue(0)
	})
}

// answers reads the map of answers. A repeated key replaces the answer,
// as with json.Unmarshal.
func (d *sessionDecoder) answers(out *map[string]survey.Answer) bool {
	m := make(map[string]survey.Answer, 16)
	*out = m
	if !d.eat('{') {
		return false
	}
	if d.eat('}') {
		return true
	}
	for {
		var k string
		if !d.str(&k) || !d.eat(':') {
			return false
		}
		var a survey.Answer
		if !d.answer(&a) {
			return false
		}
		m[k] = a
		if d.eat(',') {
			continue
		}
		return d.eat('}')
	}
}

func (d *sessionDecoder) answer(a *survey.Answer) bool {
	var mask uint32
	return d.object(func(key []byte) bool {
		if d.part == partDigest {
			switch string(key) {
			case "number", "version", "at":
				return d.skipValue(0)
			}
		}
		switch string(key) {
		case "q":
			return seen(&mask, 0) && d.str(&a.Question)
		case "item":
			return seen(&mask, 1) && d.str(&a.Item)
		case "values":
			return seen(&mask, 2) && d.stringList(&a.Values)
		case "other":
			return seen(&mask, 3) && d.str(&a.Other)
		case "others":
			return seen(&mask, 9) && d.stringList(&a.Others)
		case "text":
			return seen(&mask, 4) && d.str(&a.Text)
		case "number":
			return seen(&mask, 5) && d.number(&a.Number)
		case "skipped":
			return seen(&mask, 6) && d.boolean(&a.Skipped)
		case "version":
			return seen(&mask, 7) && d.integer(&a.Version)
		case "at":
			return seen(&mask, 8) && d.timestamp(&a.At)
		}
		return unknown(key, answerFields) && d.skipValue(0)
	})
}

// skipString passes over a valid JSON string.
func (d *sessionDecoder) skipString() bool {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return false
	}
	for j := d.i + 1; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			d.i = j + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			j++
			if j >= len(d.b) {
				return false
			}
			switch d.b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d.b) {
					return false
				}
				for _, h := range d.b[j+1 : j+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				j += 4
			default:
				return false
			}
		}
	}
	return false
}

// skipNumber passes over a number as JSON defines it.
func (d *sessionDecoder) skipNumber() bool {
	digits := func() int {
		n := 0
		for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.i < len(d.b) && d.b[d.i] == '-' {
		d.i++
	}
	first := d.i
	n := digits()
	if n == 0 || (n > 1 && d.b[first] == '0') {
		return false
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return false
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// skipValue passes over any valid JSON value.
func (d *sessionDecoder) skipValue(depth int) bool {
	if depth > 64 {
		return false
	}
	d.ws()
	if d.i >= len(d.b) {
		return false
	}
	switch c := d.b[d.i]; {
	case c == '"':
		return d.skipString()
	case c == '-' || c >= '0' && c <= '9':
		return d.skipNumber()
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '[':
		d.i++
		if d.eat(']') {
			return true
		}
		for {
			if !d.skipValue(depth + 1) {
				return false
			}
			if d.eat(',') {
				continue
			}
			return d.eat(']')
		}
	case c == '{':
		d.i++
		if d.eat('}') {
			return true
		}
		for {
			d.ws()
			if !d.skipString() || !d.eat(':') || !d.skipValue(depth+1) {
				return false
			}
			if d.eat(',') {
				continue
			}
			return d.eat('}')
		}
	}
	return false
}
