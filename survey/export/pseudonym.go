package export

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"toolmap/survey"
)

// MinKeyBytes is the shortest study key accepted: 256 bits.
const MinKeyBytes = 32

// ErrShortKey means a study key has fewer than MinKeyBytes bytes.
var ErrShortKey = errors.New("study key is too short")

// Pseudonym returns the pseudonymous id of a respondent under a study key:
// the first 16 hex digits (64 bits) of HMAC-SHA256(key, the decimal id). It
// is stable for as long as the key is, and cannot be turned back into the
// id without the key. Exports carry it instead of the Telegram id.
func Pseudonym(key []byte, id survey.RespondentID) string {
	m := hmac.New(sha256.New, key)
	var buf [20]byte
	m.Write(strconv.AppendInt(buf[:0], int64(id), 10))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0])[:8])
}

// ParseKey reads a study key as kept in an environment variable or a key
// file: hex digits (surrounding white space ignored), or else the raw
// bytes. Either way it must hold at least MinKeyBytes bytes.
func ParseKey(data []byte) ([]byte, error) {
	s := strings.TrimSpace(string(data))
	if s == "" {
		return nil, fmt.Errorf("%w: it is empty", ErrShortKey)
	}
	if k, err := hex.DecodeString(s); err == nil {
		if len(k) < MinKeyBytes {
			return nil, fmt.Errorf("%w: %d bytes of hex, want at least %d", ErrShortKey, len(k), MinKeyBytes)
		}
		return k, nil
	}
	if len(data) < MinKeyBytes {
		return nil, fmt.Errorf("%w: %d bytes, want at least %d (or %d hex digits)", ErrShortKey, len(data), MinKeyBytes, 2*MinKeyBytes)
	}
	return append([]byte(nil), data...), nil
}
