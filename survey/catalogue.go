package survey

import (
	"fmt"
	pathpkg "path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A catalogue is one language's interface messages, read from a file in
// gettext's PO format (survey/messages/*.po). Each entry is a message:
// its key is the entry's msgctxt, its English text the msgid, and its text
// in the catalogue's language the msgstr. English is the source language:
// in en.po the msgstr is empty and the text is the msgid.
//
// Only what toolmap needs of PO is read: comments (a "#, " line's flags
// fuzzy and html matter; others are kept by PO tools and ignored here),
// msgctxt, msgid and msgstr with their continuation lines, and the
// header's Language. Plural forms are refused: toolmap has a message per
// form instead.
type catalogue struct {
	name    string // the file's name, in problems
	lang    string
	entries []*catEntry // in file order
	byKey   map[string]*catEntry
}

type catEntry struct {
	key    string // msgctxt
	source string // msgid: the English it translates
	text   string // msgstr
	html   bool   // "#, html": sent as HTML
	fuzzy  bool   // "#, fuzzy": a draft, not used
	line   int    // of the entry's first keyword
}

// text returns the entry's text in the catalogue's language, or "" when it
// has none (not translated, or marked fuzzy).
func (c *catalogue) textOf(e *catEntry) string {
	if e.fuzzy {
		return ""
	}
	if c.lang == SourceLanguage {
		return e.source
	}
	return e.text
}

// SourceLanguage is the language the interface messages are written in
// and the last fallback for every message: English.
const SourceLanguage = "en"

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// poEntry is an entry being read.
type poEntry struct {
	line            int // first line of the entry
	flags           []string
	ctx, id, str    *string
	ctxLine, idLine int
	field           *string // where continuation lines go
	strings         bool    // a keyword has been read
}

// parsePO reads a catalogue. name is used in problems; the language is the
// header's "Language:", else the file name without ".po". Every problem
// found is reported, as a Problems error.
func parsePO(name string, data []byte) (*catalogue, error) {
	ps := &problems{file: name}
	c := &catalogue{name: name, byKey: map[string]*catEntry{}}
	if !utf8.Valid(data) {
		ps.add(Pos{}, "", "the file is not UTF-8 text: save it as UTF-8")
		return nil, ps.err()
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	var (
		cur        poEntry
		headerLang string
		headerLine int
	)
	flush := func() {
		e := cur
		cur = poEntry{}
		if e.id == nil && e.str == nil && e.ctx == nil {
			return // comments alone
		}
		switch {
		case e.id == nil:
			ps.add(Pos{Line: e.line}, "", "an entry without msgid: each entry has msgctxt, msgid and msgstr")
			return
		case e.str == nil:
			ps.add(Pos{Line: e.line}, "", "an entry without msgstr: each entry has msgctxt, msgid and msgstr")
			return
		}
		if e.ctx == nil {
			if *e.id != "" {
				ps.add(Pos{Line: e.idLine}, "", "an entry without msgctxt: toolmap names each message by its msgctxt, e.g. msgctxt \"done\"")
				return
			}
			if headerLine != 0 {
				ps.add(Pos{Line: e.idLine}, "", "a second header (msgid \"\"): the first is on line %d", headerLine)
				return
			}
			headerLine = e.idLine
			headerLang = readHeader(*e.str, e.idLine, ps)
			return
		}
		key := *e.ctx
		where := fmt.Sprintf("message %q", key)
		if !keyPattern.MatchString(key) {
			ps.add(Pos{Line: e.ctxLine}, where, "not a message key: lowercase letters, digits and _")
			return
		}
		if prev, dup := c.byKey[key]; dup {
			ps.add(Pos{Line: e.ctxLine}, where, "given twice: it is already on line %d", prev.line)
			return
		}
		ce := &catEntry{key: key, source: *e.id, text: *e.str, line: e.ctxLine,
			html: slices.Contains(e.flags, "html"), fuzzy: slices.Contains(e.flags, "fuzzy")}
		c.entries = append(c.entries, ce)
		c.byKey[key] = ce
	}

	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		line := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "#"):
			if cur.strings {
				flush() // a comment after the strings begins the next entry
			}
			if cur.line == 0 {
				cur.line = n
			}
			if rest, ok := strings.CutPrefix(line, "#,"); ok {
				for f := range strings.SplitSeq(rest, ",") {
					cur.flags = append(cur.flags, strings.TrimSpace(f))
				}
			}
			// "#." notes, "#:" references, "#|" earlier texts, "#~"
			// obsolete entries and "# " remarks are for people and tools.
		case strings.HasPrefix(line, `"`):
			s, ok := poUnquote(line, n, ps)
			if cur.field == nil {
				ps.add(Pos{Line: n}, "", "a quoted line that continues nothing: it must follow msgctxt, msgid or msgstr")
				continue
			}
			if ok {
				*cur.field += s
			}
		default:
			kw, rest, _ := strings.Cut(line, " ")
			if strings.HasPrefix(kw, "msgid_plural") || strings.HasPrefix(kw, "msgstr[") {
				ps.add(Pos{Line: n}, "", "plural forms (%s) are not used: toolmap has a message per form, such as digest_groups_one and digest_groups", kw)
				cur.field = nil
				continue
			}
			var slot **string
			switch kw {
			case "msgctxt":
				slot = &cur.ctx
			case "msgid":
				slot = &cur.id
			case "msgstr":
				slot = &cur.str
			default:
				ps.add(Pos{Line: n}, "", "unknown line %q: an entry is msgctxt, msgid and msgstr, each with a quoted text", truncateRunes(line, 40))
				cur.field = nil
				continue
			}
			// A keyword already given, or one that belongs before the
			// strings read so far, begins the next entry.
			if *slot != nil || (kw != "msgstr" && cur.str != nil) {
				flush() // slot points into cur, which is now empty
			}
			if cur.line == 0 {
				cur.line = n
			}
			cur.strings = true
			s, _ := poUnquote(strings.TrimSpace(rest), n, ps)
			*slot = &s
			cur.field = *slot
			switch kw {
			case "msgctxt":
				cur.ctxLine = n
			case "msgid":
				cur.idLine = n
			}
		}
	}
	flush()

	c.lang = headerLang
	if c.lang == "" {
		c.lang = strings.TrimSuffix(pathpkg.Base(name), ".po")
	}
	if !validLanguage(c.lang) {
		ps.add(Pos{Line: headerLine}, "", "%q is not a language code such as en, es or pt-br: set the header's \"Language: xx\\n\" to the code the survey's languages: use", c.lang)
	}
	if len(c.entries) == 0 && len(ps.list) == 0 {
		ps.add(Pos{}, "", "no messages: each entry is msgctxt, msgid and msgstr")
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// readHeader reads the header entry's fields: it returns the Language and
// checks the charset.
func readHeader(s string, line int, ps *problems) (lang string) {
	for f := range strings.SplitSeq(s, "\n") {
		name, value, ok := strings.Cut(f, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "language":
			lang = strings.ToLower(strings.ReplaceAll(value, "_", "-"))
		case "content-type":
			if _, cs, ok := strings.Cut(strings.ToLower(value), "charset="); ok && strings.TrimSpace(cs) != "utf-8" {
				ps.add(Pos{Line: line}, "", "the header says charset=%s: toolmap reads UTF-8 only; save the file as UTF-8 and say charset=UTF-8", strings.TrimSpace(cs))
			}
		}
	}
	return lang
}

// poUnquote reads a PO string: "text" with the escapes \n \t \" \\.
func poUnquote(s string, line int, ps *problems) (string, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		ps.add(Pos{Line: line}, "", "want a text in double quotes, got %s", truncateRunes(s, 40))
		return "", false
	}
	s = s[1 : len(s)-1]
	if !strings.ContainsAny(s, `\"`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			ps.add(Pos{Line: line}, "", `a quote inside a text: write it as \"`)
			return "", false
		case '\\':
			if i+1 == len(s) {
				ps.add(Pos{Line: line}, "", `a text ending in a lone \: write a backslash as \\`)
				return "", false
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(s[i])
			default:
				ps.add(Pos{Line: line}, "", `unknown escape \%c: the escapes are \n (a new line), \t, \" and \\`, s[i])
				return "", false
			}
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), true
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

var placeholderPattern = regexp.MustCompile(`\{[a-z_]+\}`)

// placeholders lists the {names} in s, each once, in order.
func placeholders(s string) []string {
	var out []string
	for _, p := range placeholderPattern.FindAllString(s, -1) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// unfilled describes each placeholder of text that is not among want,
// the placeholders toolmap fills in for its message.
func unfilled(text string, want []string) []string {
	var out []string
	for _, p := range placeholders(text) {
		if !slices.Contains(want, p) {
			fills := "none"
			if len(want) > 0 {
				fills = strings.Join(want, ", ")
			}
			out = append(out, fmt.Sprintf("%s is not filled in by toolmap, so readers would see it as it is (this message has %s)", p, fills))
		}
	}
	return out
}

// htmlTags lists the tags of an HTML message, sorted, and reports text
// Telegram would refuse: a "<" that begins no tag it knows, or an "&"
// that begins no entity.
func htmlTags(s string) (tags []string, bad string) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 || !allowedTag.MatchString(s[i:i+j+1]) {
				return nil, `a "<" that is not one of the tags <b>, <i>, <u>, <s>, <code>: write it as &lt;`
			}
			tags = append(tags, s[i:i+j+1])
			i += j
		case '>':
			return nil, `a ">" outside a tag: write it as &gt;`
		case '&':
			if !entityPattern.MatchString(s[i:]) {
				return nil, `an "&" that begins no entity: write it as &amp;`
			}
		}
	}
	slices.Sort(tags)
	return tags, ""
}

var (
	allowedTag    = regexp.MustCompile(`^</?(b|i|u|s|code)>$`)
	entityPattern = regexp.MustCompile(`^&(amp|lt|gt|quot|#[0-9]+);`)
)

// check compares c with the source catalogue src and returns its problems
// (what would show wrongly or not at all: an unknown key, a placeholder
// toolmap does not fill, broken HTML) and its gaps (messages readers of
// c's language will see in English, or whose English has changed since
// they were translated).
func (c *catalogue) check(src *catalogue) (gaps Problems, err error) {
	ps := &problems{file: c.name}
	gs := &problems{file: c.name}
	keys := make([]string, len(src.entries))
	for i, e := range src.entries {
		keys[i] = e.key
	}
	for _, e := range c.entries {
		where := fmt.Sprintf("message %q", e.key)
		pos := Pos{Line: e.line}
		se := src.byKey[e.key]
		if se == nil {
			ps.add(pos, where, "toolmap has no such message%s", didYouMean(e.key, keys))
			continue
		}
		if c.lang == SourceLanguage {
			if e.text != "" {
				ps.add(pos, where, "en.po is the source: its text is the msgid; leave msgstr empty")
			}
			if e.source == "" {
				ps.add(pos, where, "no English text: the msgid is empty")
			}
		} else if e.source != se.source {
			gs.add(pos, where, "translated from an older English text, %q; it is now %q: check the translation, then copy the new msgid", truncateRunes(e.source, 60), truncateRunes(se.source, 60))
		}
		text := c.textOf(e)
		if text == "" {
			continue
		}
		want := placeholders(se.source)
		for _, msg := range unfilled(text, want) {
			ps.add(pos, where, "%s", msg)
		}
		if c.lang != SourceLanguage {
			for _, p := range want {
				if !strings.Contains(text, p) {
					gs.add(pos, where, "the translation leaves out %s", p)
				}
			}
		}
		if se.html {
			tags, bad := htmlTags(text)
			srcTags, _ := htmlTags(se.source)
			switch {
			case bad != "":
				ps.add(pos, where, "this message is HTML: %s", bad)
			case !slices.Equal(tags, srcTags):
				ps.add(pos, where, "this message is HTML and must keep the English's tags, %s; it has %s", tagList(srcTags), tagList(tags))
			}
		}
		switch e.key {
		case "digest_months":
			if n := len(strings.Fields(text)); n != 12 {
				ps.add(pos, where, "want the 12 months separated by spaces, found %d", n)
			}
		case "digest_thousands_from":
			if n, err := strconv.Atoi(text); err != nil || n < 1 || n > 9 {
				ps.add(pos, where, "want a digit from 1 to 9, got %q", text)
			}
		}
	}
	if c.lang != SourceLanguage {
		for _, se := range src.entries {
			e := c.byKey[se.key]
			where := fmt.Sprintf("message %q", se.key)
			switch {
			case e == nil:
				gs.add(Pos{}, where, "not in the file: %s readers see the English, %q", c.lang, truncateRunes(se.source, 60))
			case e.fuzzy:
				gs.add(Pos{Line: e.line}, where, "marked fuzzy, so not used: %s readers see the English until a translator checks it and removes the flag", c.lang)
			case e.text == "":
				gs.add(Pos{Line: e.line}, where, "not translated yet: %s readers see the English, %q", c.lang, truncateRunes(se.source, 60))
			}
		}
	}
	// Gaps without a line (entries missing from the file) come first.
	g, _ := gs.err().(Problems)
	return g, ps.err()
}

func tagList(tags []string) string {
	if len(tags) == 0 {
		return "none"
	}
	return strings.Join(tags, " ")
}

// CheckCatalogue checks a translation of toolmap's interface messages, a
// PO file such as a translator's fr.po, against the built-in English. It
// returns the problems that would make messages show wrongly (as a
// Problems error: syntax, unknown keys, placeholders toolmap does not
// fill, broken HTML) and the gaps: messages readers of its language would
// see in English, or whose English has changed since translation.
func CheckCatalogue(name string, data []byte) (gaps Problems, err error) {
	c, err := parsePO(name, data)
	if err != nil {
		return nil, err
	}
	return c.check(builtin.source)
}
