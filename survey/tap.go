package survey

import (
	"errors"
	"strconv"
	"strings"
)

// MaxTapBytes is Telegram's limit on a button's callback data.
const MaxTapBytes = 64

// Tap is what a button carries: the operation, the survey version and the
// question it was shown for, and the option. Adapters put the encoded form
// in a button and decode it when the button is pressed; because it names the
// question and version, a tap on an old button can be recognised as stale.
type Tap struct {
	Kind    InputKind
	Version int
	At      Cursor
	Option  string
}

// tapCodes maps the input kinds a button can carry to one-letter codes.
var tapCodes = map[InputKind]byte{
	InputAgree:    'a',
	InputDecline:  'n',
	InputChoose:   'c',
	InputToggle:   't',
	InputDone:     'd',
	InputBack:     'b',
	InputSkip:     's',
	InputMore:     'm',
	InputJump:     'j',
	InputRestart:  'r',
	InputResume:   'u',
	InputLanguage: 'l',
	InputSame:     'p',
	InputPage:     'g',
}

var tapKinds = func() map[byte]InputKind {
	m := make(map[byte]InputKind, len(tapCodes))
	for k, c := range tapCodes {
		m[c] = k
	}
	return m
}()

// ErrBadTap means callback data was not made by Encode: forged, truncated or
// from another program.
var ErrBadTap = errors.New("not a toolmap button")

// Encode returns the compact callback data for t:
// "kind:version:question:item:option", e.g. "t:1:tools:events:whatsapp".
func (t Tap) Encode() string {
	c, ok := tapCodes[t.Kind]
	if !ok {
		c = '?'
	}
	var b strings.Builder
	b.Grow(8 + len(t.At.Question) + len(t.At.Item) + len(t.Option))
	b.WriteByte(c)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(t.Version))
	b.WriteByte(':')
	b.WriteString(t.At.Question)
	b.WriteByte(':')
	b.WriteString(t.At.Item)
	b.WriteByte(':')
	b.WriteString(t.Option)
	return b.String()
}

// DecodeTap parses callback data made by Encode. Anything else, including
// data longer than Telegram allows or ids with characters ids cannot have,
// is ErrBadTap.
func DecodeTap(s string) (Tap, error) {
	if len(s) == 0 || len(s) > MaxTapBytes {
		return Tap{}, ErrBadTap
	}
	parts := strings.Split(s, ":")
	if len(parts) != 5 || len(parts[0]) != 1 {
		return Tap{}, ErrBadTap
	}
	kind, ok := tapKinds[parts[0][0]]
	if !ok {
		return Tap{}, ErrBadTap
	}
	v, err := strconv.Atoi(parts[1])
	if err != nil || v < 0 || strconv.Itoa(v) != parts[1] {
		return Tap{}, ErrBadTap
	}
	for i, id := range parts[2:] {
		if id == "" || validID(id) || (i == 2 && validOption(kind, id)) {
			continue
		}
		return Tap{}, ErrBadTap
	}
	return Tap{Kind: kind, Version: v, At: Cursor{Question: parts[2], Item: parts[3]}, Option: parts[4]}, nil
}

// Input turns the tap into the engine's input.
func (t Tap) Input() Input {
	if t.Kind == InputLanguage {
		return Input{Kind: t.Kind, Text: t.Option}
	}
	return Input{Kind: t.Kind, At: t.At, Option: t.Option}
}

// validID reports whether s can be a question, option, catalogue or item id:
// a lowercase letter, then lowercase letters, digits and underscores, at most
// MaxIDLength bytes.
func validID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
		case (c >= '0' && c <= '9' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// MaxIDLength is the longest id allowed.
const MaxIDLength = 32

// validOption reports whether an option that is not an id fits the kind
// of input: a language code, a page number, or a name given under Other….
func validOption(kind InputKind, s string) bool {
	switch kind {
	case InputLanguage:
		return validLanguage(s)
	case InputPage:
		return len(s) <= 3 && strings.Trim(s, "0123456789") == "" && (s == "0" || s[0] != '0')
	case InputToggle, InputChoose:
		return isOtherRef(s)
	}
	return false
}

// validLanguage reports whether s looks like a language code such as "es"
// or "pt-br".
func validLanguage(s string) bool { return langPattern.MatchString(s) }
