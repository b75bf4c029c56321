package survey

import (
	"embed"
	"fmt"
	pathpkg "path"
	"slices"
	"sort"
	"strings"
)

// The interface messages: everything toolmap says beside a survey's own
// words, in one catalogue per language, survey/messages/<lang>.po (see
// catalogue.go for the format, and the top of en.po for how to add one).
// The engine, the Telegram adapter, the digest and the admin commands all
// take their words from here, through Definition.Msg, and a survey may
// reword any message under its "messages" key.

//go:embed messages/*.po
var catalogueFiles embed.FS

// builtin holds the catalogues built into toolmap.
var builtin = loadBuiltin()

type builtinCatalogues struct {
	source *catalogue            // English: every key, in order
	byLang map[string]*catalogue // every catalogue, English too
	langs  []string              // their languages, sorted
	text   map[string]Text       // key → language → text, for Msg
	keys   []string              // sorted, for suggestions
	html   map[string]bool       // keys of messages sent as HTML
}

// loadBuiltin reads the embedded catalogues. They are part of the program
// and checked by its tests, so a broken one is a programming error.
func loadBuiltin() *builtinCatalogues {
	b := &builtinCatalogues{byLang: map[string]*catalogue{}, text: map[string]Text{}, html: map[string]bool{}}
	files, err := catalogueFiles.ReadDir("messages")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		name := pathpkg.Join("messages", f.Name())
		data, err := catalogueFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		c, err := parsePO("survey/"+name, data)
		if err != nil {
			panic(fmt.Sprintf("survey: the built-in messages do not parse:\n%v", err))
		}
		if want := strings.TrimSuffix(f.Name(), ".po"); c.lang != want {
			panic(fmt.Sprintf("survey: %s says Language %q; want %q, as its name says", name, c.lang, want))
		}
		b.byLang[c.lang] = c
		b.langs = append(b.langs, c.lang)
	}
	b.source = b.byLang[SourceLanguage]
	if b.source == nil {
		panic("survey: no built-in English messages (messages/en.po)")
	}
	for _, e := range b.source.entries {
		b.keys = append(b.keys, e.key)
		b.html[e.key] = e.html
		b.text[e.key] = Text{}
	}
	for _, c := range b.byLang {
		for _, e := range c.entries {
			if t, ok := b.text[e.key]; ok && c.textOf(e) != "" {
				t[c.lang] = c.textOf(e)
			}
		}
	}
	sort.Strings(b.keys)
	return b
}

// builtinMessages are the built-in texts of every message: key → language
// → text.
var builtinMessages = builtin.text

func messageKeys() []string { return builtin.keys }

// IsHTMLMessage reports whether message key is sent as HTML (its text
// keeps tags such as <b>, and the values filled in must be escaped), as
// the digest's are; other messages are plain text.
func IsHTMLMessage(key string) bool { return builtin.html[key] }

// builtinText is the built-in text of key in lang, or in lang's primary
// subtag ("pt" for "pt-br"), or "".
func builtinText(key, lang string) string {
	t := builtinMessages[key]
	if s := t[lang]; s != "" {
		return s
	}
	if primary, _, ok := strings.Cut(lang, "-"); ok {
		return t[primary]
	}
	return ""
}

// Msg returns interface message key in lang, with {name} placeholders
// replaced by the given name, value pairs. It takes the first there is of:
// the definition's own text in lang, the built-in text in lang, the
// definition's own text in the default language, the built-in text in the
// default language, the built-in English. Values are put in as they are:
// for a message sent as HTML (IsHTMLMessage) the caller escapes them. A
// nil definition gives the built-in texts, for words said outside any
// survey (the command line's).
func (d *Definition) Msg(lang, key string, pairs ...string) string {
	var own Text
	defLang := SourceLanguage
	if d != nil {
		own, defLang = d.Messages[key], d.DefaultLanguage
	}
	s := own[lang]
	if s == "" {
		s = builtinText(key, lang)
	}
	if s == "" {
		s = own[defLang]
	}
	if s == "" {
		s = builtinText(key, defLang)
	}
	if s == "" {
		s = builtinMessages[key][SourceLanguage]
	}
	return fill(s, pairs)
}

// fill replaces each {name} in s by its value in pairs (name, value, …),
// in one pass: a value is never itself searched for placeholders.
func fill(s string, pairs []string) string {
	if len(pairs) < 2 || !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		name, value, found := s[i+1:i+j], "", false
		for k := 0; k+1 < len(pairs); k += 2 {
			if pairs[k] == name {
				value, found = pairs[k+1], true
				break
			}
		}
		if !found {
			b.WriteString(s[:i+1])
			s = s[i+1:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(value)
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return b.String()
}

// MessageGaps lists the interface messages readers of some language of d
// will see in another language: for each of d's languages, the messages
// with no text in it, neither built in nor under the survey's "messages",
// and the survey's own wordings not given in every language (readers of
// the others see the built-in text, not the survey's wording). A language
// toolmap has no built-in messages in gets one line for all of them. The
// gaps are not problems: every message falls back as Msg says.
func (d *Definition) MessageGaps() Problems {
	ps := &problems{file: d.File}
	for _, lang := range d.Languages {
		_, hasBuiltin := builtin.byLang[lang]
		if primary, _, ok := strings.Cut(lang, "-"); ok && !hasBuiltin {
			_, hasBuiltin = builtin.byLang[primary]
		}
		fallback := d.DefaultLanguage
		if lang == d.DefaultLanguage {
			fallback = SourceLanguage
		}
		var missing []string
		for _, e := range builtin.source.entries {
			if d.Messages[e.key][lang] == "" && builtinText(e.key, lang) == "" {
				missing = append(missing, e.key)
			}
		}
		if len(missing) == 0 {
			continue
		}
		shownIn := func(key string) string {
			if d.Messages[key][fallback] == "" && builtinText(key, fallback) == "" {
				return SourceLanguage
			}
			return fallback
		}
		if !hasBuiltin {
			n := len(builtin.source.entries)
			ps.add(Pos{}, fmt.Sprintf("language %q", lang),
				"toolmap has no built-in messages in %s (buttons, hints, corrections, /help, the digest…), and the survey words %d of the %d under messages:; the other %d show in %s. Translate survey/messages/en.po into %s.po (docs/translating.md), or give them under messages:",
				lang, n-len(missing), n, len(missing), shownIn(missing[0]), lang)
			continue
		}
		for _, key := range missing {
			ps.add(Pos{}, fmt.Sprintf("message %q", key), "no %s text, built in or under messages:; %s readers see the %s one", lang, lang, shownIn(key))
		}
	}
	keys := make([]string, 0, len(d.Messages))
	for key := range d.Messages {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		own := d.Messages[key]
		for _, lang := range d.Languages {
			if own[lang] != "" {
				continue
			}
			if s := builtinText(key, lang); s != "" && slices.ContainsFunc(d.Languages, func(l string) bool { return own[l] != "" }) {
				ps.add(Pos{}, fmt.Sprintf("messages: %q", key), "your wording has no %s text: %s readers see the built-in %q instead", lang, lang, truncateRunes(s, 60))
			}
		}
	}
	return ps.list
}

// message checks a survey's own wording of interface message key: it may
// use only the words in braces toolmap fills in, and a message sent as
// HTML must stay HTML Telegram accepts.
func (v *validator) message(key string, t Text, pos Pos) {
	src := builtin.source.byKey[key]
	if src == nil {
		return // an unknown key is reported when decoding
	}
	where := path("messages", fmt.Sprintf("%q", key))
	want := placeholders(src.source)
	langs := make([]string, 0, len(t))
	for lang := range t {
		langs = append(langs, lang)
	}
	sort.Strings(langs)
	for _, lang := range langs {
		s := t[lang]
		for _, msg := range unfilled(s, want) {
			v.ps.add(pos, path(where, lang), "%s", msg)
		}
		if !src.html {
			continue
		}
		tags, bad := htmlTags(s)
		if bad == "" && !balanced(tags) {
			bad = "a tag opened and not closed, or closed and not opened: " + tagList(tags)
		}
		if bad != "" {
			v.ps.add(pos, path(where, lang), "this message is HTML: %s", bad)
		}
	}
}

// balanced reports whether every tag in tags is closed as often as it is
// opened.
func balanced(tags []string) bool {
	n := map[string]int{}
	for _, t := range tags {
		if name, ok := strings.CutPrefix(t, "</"); ok {
			n[name]--
		} else {
			n[t[1:]]++
		}
	}
	for _, c := range n {
		if c != 0 {
			return false
		}
	}
	return true
}
