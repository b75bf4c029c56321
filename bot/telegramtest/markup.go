package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"sync"
)

// canonicalJSON re-encodes a JSON value with sorted object keys so that
// equal markups compare equal.
func canonicalJSON(raw string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

type wireButton struct {
	Text                         string          `json:"text"`
	URL                          *string         `json:"url"`
	CallbackData                 *string         `json:"callback_data"`
	LoginURL                     json.RawMessage `json:"login_url"`
	SwitchInlineQuery            *string         `json:"switch_inline_query"`
	SwitchInlineQueryCurrentChat *string         `json:"switch_inline_query_current_chat"`
	CallbackGame                 json.RawMessage `json:"callback_game"`
	Pay                          bool            `json:"pay"`
	WebApp                       json.RawMessage `json:"web_app"`
	CopyText                     json.RawMessage `json:"copy_text"`
}

type wireMarkup struct {
	InlineKeyboard *[][]wireButton `json:"inline_keyboard"`
	ForceReply     bool            `json:"force_reply"`
	Keyboard       json.RawMessage `json:"keyboard"`
	RemoveKeyboard bool            `json:"remove_keyboard"`
}

// normalizeMarkup validates a reply_markup parameter like Telegram and
// returns its canonical JSON ("" for none).
func normalizeMarkup(raw string, inlineOnly bool) (string, *apiError) {
	mp, ae := normalizeMarkupParsed(raw, inlineOnly)
	return mp.canon, ae
}

// markupParsed is a normalized reply_markup with its parse (what
// parseMarkup(canon) returns), so that it is decoded once.
type markupParsed struct {
	canon string // canonical JSON, "" for none
	kb    [][]Button
	force bool
}

// setMarkup stores a normalized markup, and its parse, in m.
func (m *msgState) setMarkup(mp markupParsed) {
	m.markup = mp.canon
	m.parsedOf, m.parsed, m.force, m.isParsed = mp.canon, mp.kb, mp.force, true
}

// markupCache remembers normalized markups by their raw JSON and kind: a
// bot sends the same keyboards over and over (each question's, to every
// user), and canonicalising JSON was a tenth of a load test's time. Its
// parses are shared: nobody may change them (msgState.keyboard copies).
var markupCache = struct {
	sync.Mutex
	m map[markupKey]markupParsed
}{m: map[markupKey]markupParsed{}}

type markupKey struct {
	raw        string
	inlineOnly bool
}

// markupCacheMax bounds markupCache; it is emptied when full.
const markupCacheMax = 4096

// normalizeMarkupParsed is normalizeMarkup, with the parse.
func normalizeMarkupParsed(raw string, inlineOnly bool) (markupParsed, *apiError) {
	key := markupKey{raw, inlineOnly}
	markupCache.Lock()
	mp, ok := markupCache.m[key]
	markupCache.Unlock()
	if ok {
		return mp, nil
	}
	mp, ae := normalizeMarkupUncached(raw, inlineOnly)
	if ae == nil {
		markupCache.Lock()
		if len(markupCache.m) >= markupCacheMax {
			clear(markupCache.m)
		}
		markupCache.m[markupKey{strings.Clone(raw), inlineOnly}] = mp
		markupCache.Unlock()
	}
	return mp, ae
}

func normalizeMarkupUncached(raw string, inlineOnly bool) (markupParsed, *apiError) {
	if strings.TrimSpace(raw) == "" {
		return markupParsed{}, nil
	}
	var m wireMarkup
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return markupParsed{}, badRequest("can't parse reply keyboard markup JSON object")
	}
	canon, ae := checkMarkup(raw, &m, inlineOnly)
	if ae != nil || canon == "" {
		return markupParsed{}, ae
	}
	mp := markupParsed{canon: canon, force: m.InlineKeyboard == nil && m.ForceReply}
	if m.InlineKeyboard != nil {
		mp.kb = buttonsOf(*m.InlineKeyboard)
	}
	return mp, nil
}

// checkMarkup validates a decoded reply_markup and returns the canonical
// JSON of raw ("" when it removes the keyboard).
func checkMarkup(raw string, m *wireMarkup, inlineOnly bool) (string, *apiError) {
	switch {
	case m.InlineKeyboard != nil:
		for _, row := range *m.InlineKeyboard {
			for _, b := range row {
				if b.Text == "" {
					return "", badRequest("can't parse inline keyboard button: Text must be non-empty")
				}
				if b.URL == nil && b.CallbackData == nil && b.LoginURL == nil && b.SwitchInlineQuery == nil &&
					b.SwitchInlineQueryCurrentChat == nil && b.CallbackGame == nil && !b.Pay && b.WebApp == nil && b.CopyText == nil {
					return "", badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
				}
				if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64) {
					return "", badRequest("BUTTON_DATA_INVALID")
				}
				if b.URL != nil && *b.URL == "" {
					return "", badRequest("BUTTON_URL_INVALID")
				}
			}
		}
		if len(*m.InlineKeyboard) == 0 || allRowsEmpty(*m.InlineKeyboard) {
			// An empty inline keyboard removes the keyboard.
			return "", nil
		}
	case inlineOnly:
		return "", badRequest("can't parse inline keyboard markup JSON object")
	case m.ForceReply, m.Keyboard != nil, m.RemoveKeyboard:
	default:
		return "", badRequest("can't find field \"inline_keyboard\"")
	}
	c, err := canonicalJSON(raw)
	if err != nil {
		return "", badRequest("can't parse reply keyboard markup JSON object")
	}
	return c, nil
}

func allRowsEmpty(rows [][]wireButton) bool {
	for _, r := range rows {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// parseMarkup extracts the inline keyboard and force_reply flag from a
// canonical markup.
func parseMarkup(markup string) ([][]Button, bool) {
	if markup == "" {
		return nil, false
	}
	var m wireMarkup
	if err := json.Unmarshal([]byte(markup), &m); err != nil {
		return nil, false
	}
	if m.InlineKeyboard == nil {
		return nil, m.ForceReply
	}
	return buttonsOf(*m.InlineKeyboard), false
}

// buttonsOf converts an inline keyboard from the wire.
func buttonsOf(rows [][]wireButton) [][]Button {
	var out [][]Button
	for _, row := range rows {
		var r []Button
		for _, b := range row {
			btn := Button{Text: b.Text}
			if b.CallbackData != nil {
				btn.CallbackData = *b.CallbackData
			}
			if b.URL != nil {
				btn.URL = *b.URL
			}
			r = append(r, btn)
		}
		out = append(out, r)
	}
	return out
}

// isInline reports whether a canonical markup is an inline keyboard.
func isInline(markup string) bool { return strings.HasPrefix(markup, `{"inline_keyboard"`) }

// renderText applies parse_mode: it validates the markup like Telegram
// (approximately) and returns the text with markup removed.
func renderText(text, parseMode string) (string, *apiError) {
	var (
		out string
		err error
	)
	switch strings.ToLower(parseMode) {
	case "":
		return text, nil
	case "html":
		out, err = renderHTML(text)
	case "markdownv2":
		out, err = renderMarkdownV2(text)
	case "markdown":
		out, err = renderMarkdown(text)
	default:
		return "", badRequest("unsupported parse_mode")
	}
	if err != nil {
		return "", badRequest("can't parse entities: %v", err)
	}
	return out, nil
}

var htmlTags = map[string]bool{
	"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "code": true,
	"pre": true, "blockquote": true, "tg-emoji": true,
}

func renderHTML(text string) (string, error) {
	var out strings.Builder
	var stack []string
	for i := 0; i < len(text); {
		c := text[i]
		if c != '<' {
			j := strings.IndexByte(text[i:], '<')
			if j < 0 {
				j = len(text) - i
			}
			out.WriteString(html.UnescapeString(text[i : i+j]))
			i += j
			continue
		}
		end := strings.IndexByte(text[i:], '>')
		if end < 0 {
			return "", fmt.Errorf("Unclosed start tag at byte offset %d", i)
		}
		tag := text[i+1 : i+end]
		if strings.HasPrefix(tag, "/") {
			name := strings.ToLower(strings.TrimSpace(tag[1:]))
			if len(stack) == 0 {
				return "", fmt.Errorf("Unexpected end tag at byte offset %d", i)
			}
			top := stack[len(stack)-1]
			if name != "" && name != top {
				return "", fmt.Errorf("Unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top, name)
			}
			stack = stack[:len(stack)-1]
		} else {
			name := tag
			if k := strings.IndexAny(tag, " \t\n"); k >= 0 {
				name = tag[:k]
			}
			name = strings.ToLower(name)
			if !htmlTags[name] {
				return "", fmt.Errorf("Unsupported start tag \"%s\" at byte offset %d", name, i)
			}
			stack = append(stack, name)
		}
		i += end + 1
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("Can't find end tag corresponding to start tag \"%s\"", stack[len(stack)-1])
	}
	return out.String(), nil
}

// renderMarkdownV2 follows the rules of Telegram's MarkdownV2: the
// characters _*[]()~`>#+-=|{}.! must be escaped with '\' unless they are
// markup; entities must be closed.
func renderMarkdownV2(text string) (string, error) {
	type open struct {
		kind string
		pos  int
	}
	var out strings.Builder
	var stack []open
	top := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].kind
	}
	unclosed := func(pos int) error {
		return fmt.Errorf("Can't find end of the entity starting at byte offset %d", pos)
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\\' && i+1 < len(text) && text[i+1] > 0 && text[i+1] <= 126 {
			i++
			out.WriteByte(text[i])
			continue
		}
		if t := top(); t == "code" || t == "pre" {
			if c == '`' {
				if t == "pre" && strings.HasPrefix(text[i:], "```") {
					stack = stack[:len(stack)-1]
					i += 2
					continue
				}
				if t == "code" {
					stack = stack[:len(stack)-1]
					continue
				}
			}
			out.WriteByte(c)
			continue
		}
		if !strings.ContainsRune("_*[]()~`>#+-=|{}.!", rune(c)) {
			out.WriteByte(c)
			continue
		}
		switch {
		case c == '*' && top() == "bold",
			c == '~' && top() == "strike",
			c == '_' && top() == "italic" && !strings.HasPrefix(text[i:], "__"):
			stack = stack[:len(stack)-1]
		case c == '_' && top() == "underline" && strings.HasPrefix(text[i:], "__"):
			stack = stack[:len(stack)-1]
			i++
		case c == '|' && top() == "spoiler" && strings.HasPrefix(text[i:], "||"):
			stack = stack[:len(stack)-1]
			i++
		case c == ']' && top() == "link":
			stack = stack[:len(stack)-1]
			if i+1 < len(text) && text[i+1] == '(' {
				j := i + 2
				for j < len(text) && text[j] != ')' {
					if text[j] == '\\' {
						j++
					}
					j++
				}
				if j >= len(text) {
					return "", unclosed(i + 1)
				}
				i = j
			}
		case c == '*':
			stack = append(stack, open{"bold", i})
		case c == '~':
			stack = append(stack, open{"strike", i})
		case c == '_' && strings.HasPrefix(text[i:], "__"):
			stack = append(stack, open{"underline", i})
			i++
		case c == '_':
			stack = append(stack, open{"italic", i})
		case c == '|' && strings.HasPrefix(text[i:], "||"):
			stack = append(stack, open{"spoiler", i})
			i++
		case c == '[':
			stack = append(stack, open{"link", i})
		case c == '`' && strings.HasPrefix(text[i:], "```"):
			stack = append(stack, open{"pre", i})
			i += 2
			// Skip the optional language line.
			if nl := strings.IndexByte(text[i+1:], '\n'); nl >= 0 && !strings.ContainsAny(text[i+1:i+1+nl], "` ") {
				i += nl + 1
			}
		case c == '`':
			stack = append(stack, open{"code", i})
		case c == '>' && (i == 0 || text[i-1] == '\n'):
			// Block quotation at the start of a line.
		case c == '!' && strings.HasPrefix(text[i:], "!["):
			// Custom emoji: ![emoji](tg://emoji?id=...)
		default:
			return "", fmt.Errorf("Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		}
	}
	if len(stack) > 0 {
		return "", unclosed(stack[0].pos)
	}
	return out.String(), nil
}

// renderMarkdown handles legacy Markdown: *bold*, _italic_, `code`,
// ```pre```, [text](url); '\' escapes _*`[ only.
func renderMarkdown(text string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\\' && i+1 < len(text) && strings.IndexByte("_*`[", text[i+1]) >= 0 {
			i++
			out.WriteByte(text[i])
			continue
		}
		switch c {
		case '*', '_', '`':
			delim := string(c)
			if c == '`' && strings.HasPrefix(text[i:], "```") {
				delim = "```"
			}
			end := strings.Index(text[i+len(delim):], delim)
			if end < 0 {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+len(delim) : i+len(delim)+end])
			i += len(delim) + end + len(delim) - 1
		case '[':
			end := strings.Index(text[i:], "](")
			if end < 0 {
				out.WriteByte(c)
				continue
			}
			closeIdx := strings.IndexByte(text[i+end:], ')')
			if closeIdx < 0 {
				return "", fmt.Errorf("Can't find end of the entity starting at byte offset %d", i)
			}
			out.WriteString(text[i+1 : i+end])
			i += end + closeIdx
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}
