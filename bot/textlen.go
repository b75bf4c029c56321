package bot

import (
	"strings"
)

// Telegram measures text in UTF-16 code units: a character outside the
// Basic Multilingual Plane (most emoji, 🤝 📣) counts two. Every limit on
// what the bot sends is checked here, in those units, never in bytes or
// runes: a message of 2,775 characters can be 4,478 units, over the 4,096
// Telegram accepts.

// Telegram's limits, in UTF-16 code units.
const (
	maxMessage  = 4000 // a message's text (Telegram's limit: 4096; a margin for entities)
	maxCaption  = 1000 // a document's or photo's caption (1024)
	maxCallback = 190  // the text of a callback query's answer (200)
)

// textLen is the length of s as Telegram counts it: UTF-16 code units.
// For HTML it over-estimates, counting tags and entities, which Telegram
// counts after parsing them.
func textLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// prefixLen returns the byte length of the longest prefix of s of at most
// n UTF-16 code units, cut between characters.
func prefixLen(s string, n int) int {
	units := 0
	for i, r := range s {
		w := 1
		if r > 0xFFFF {
			w = 2
		}
		if units+w > n {
			return i
		}
		units += w
	}
	return len(s)
}

// truncate cuts s to at most n UTF-16 code units, ending with an
// ellipsis when it cut.
func truncate(s string, n int) string {
	if textLen(s) <= n {
		return s
	}
	return s[:prefixLen(s, n-1)] + "…"
}

// limitHTML cuts an over-long message at a line boundary so that it fits
// in one message (maxMessage). Only the summary of a very long survey can
// get there.
func limitHTML(s string) string {
	if textLen(s) <= maxMessage {
		return s
	}
	head := s[:prefixLen(s, maxMessage-2)]
	cut := strings.LastIndex(head, "\n")
	if cut < 0 {
		cut = len(head)
	}
	return head[:cut] + "\n…"
}
