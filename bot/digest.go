package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"toolmap/survey"
	"toolmap/survey/report"
)

// Telegram's limits on a digest (TELEGRAM.md §6).
const (
	MaxDigestMessage = 4096 // characters in one message; counted here in UTF-16 units of the HTML, tags included
	MaxDigestParts   = 3    // messages in one digest
)

// DigestOptions configure RenderDigest. A nil *DigestOptions, and each zero
// field, means the default.
type DigestOptions struct {
	// Language is the digest's language; default the survey's default.
	Language string
	// MaxMessage and MaxParts bound the messages; default
	// MaxDigestMessage and MaxDigestParts.
	MaxMessage, MaxParts int
}

// Digest is a report rendered for Telegram.
type Digest struct {
	// Parts are the messages, in order: HTML, every user-supplied text
	// escaped, each under MaxMessage, at most MaxParts.
	Parts []string
	// Shortened is set when the digest did not fit and its end was cut.
	Shortened bool
	// Caption goes with the chart (under Telegram's 1024).
	Caption string
}

// RenderDigest renders r as Telegram messages in the digest's language:
// a header with the week in words, the counts of the week and of the
// study, what moved this week (unless the week is suppressed), then the
// study so far (unless it is): the tools by activity, the gaps, names
// typed under "Other…", tools worth knowing about, quotes and sources,
// split at paragraphs.
func RenderDigest(def *survey.Definition, r report.Report, opts *DigestOptions) Digest {
	var o DigestOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = MaxDigestMessage
	}
	if o.MaxParts <= 0 {
		o.MaxParts = MaxDigestParts
	}
	d := &digestText{def: def, r: r, lang: def.PickLanguage(o.Language)}
	paras := d.paragraphs()
	parts, cut := splitMessages(paras, o.MaxMessage, o.MaxParts, d.msg("digest_shortened"))
	caption := ""
	if n, ok := r.Study.Groups.Value(); ok && hasMap(r) {
		caption = d.msg("digest_map_caption", "week", strconv.Itoa(r.Period.Week), "n", d.number(n))
	}
	return Digest{Parts: parts, Shortened: cut, Caption: caption}
}

type digestText struct {
	def  *survey.Definition
	r    report.Report
	lang string
}

// msg returns digest message key (survey/messages/*.po) in the digest's
// language. The digest's messages are HTML: values put in must be escaped
// already.
func (d *digestText) msg(key string, pairs ...string) string {
	return d.def.Msg(d.lang, key, pairs...)
}

func (d *digestText) paragraphs() []string {
	r := d.r
	var out []string
	title := d.def.Text(d.def.Title, d.lang)
	if title == "" {
		title = d.def.ID
	}
	out = append(out, d.msg("digest_heading", "title", esc(title), "period", esc(PeriodWords(d.def, d.lang, r.Period))))

	counts := []string{d.msg("digest_finished", "groups", d.groups(r.Finished), "prev", d.count(r.PreviousFinished))}
	if r.HasStarted {
		counts = append(counts, d.msg("digest_started", "n", d.count(r.Started)))
	}
	counts = append(counts, d.msg("digest_total", "n", d.count(r.Total)))
	out = append(out, strings.Join(counts, "\n"))

	if r.Suppressed {
		if n, ok := r.Finished.Value(); ok && n == 0 {
			out = append(out, d.msg("digest_week_empty"))
		} else {
			out = append(out, d.msg("digest_week_few", "n", strconv.Itoa(r.MinCount)))
		}
	}
	minN := strconv.Itoa(r.MinCount)
	if p := d.moves(); p != "" {
		out = append(out, p)
	}
	out = append(out, d.mapParagraphs()...)

	if len(r.Study.Sources) > 0 {
		items := make([]string, len(r.Study.Sources))
		for i, s := range r.Study.Sources {
			items[i] = d.msg("digest_source", "name", d.source(s), "n", d.count(s.Groups))
		}
		out = append(out, d.msg("digest_sources_title")+"\n"+strings.Join(items, " · "))
	}

	var foot []string
	if r.MinCount > 1 && !r.Study.Suppressed {
		foot = append(foot, d.msg("digest_footer", "n", minN))
	}
	if p := d.stepNote(); p != "" {
		foot = append(foot, p)
	}
	if len(foot) > 0 {
		out = append(out, strings.Join(foot, "\n"))
	}
	return out
}

func (d *digestText) activity(id string) string {
	return d.def.Label(d.def.Question(d.r.RowsQuestion), id, d.lang)
}

func (d *digestText) tool(id string) string {
	return d.def.Label(d.def.Question(d.r.ToolsQuestion), id, d.lang)
}

// source names a kind of link; the name of a named source is escaped.
func (d *digestText) source(s report.Source) string {
	switch s.Kind {
	case report.SourceNamed:
		return esc(s.Name)
	case report.SourceDirect:
		return d.msg("digest_src_direct")
	case report.SourceReferral:
		return d.msg("digest_src_passed")
	}
	return d.msg("digest_src_other")
}

// count writes a count: the number, or "fewer than 5".
func (d *digestText) count(c report.Count) string {
	if n, ok := c.Value(); ok {
		return d.number(n)
	}
	return d.msg("digest_fewer", "n", strconv.Itoa(c.Threshold()))
}

// groups writes a count of groups: "12 groups", "1 group", "none",
// "fewer than 5 groups".
func (d *digestText) groups(c report.Count) string {
	n, ok := c.Value()
	switch {
	case !ok:
		return d.msg("digest_groups_fewer", "n", strconv.Itoa(c.Threshold()))
	case n == 0:
		return d.msg("digest_groups_none")
	case n == 1:
		return d.msg("digest_groups_one", "n", "1")
	}
	return d.msg("digest_groups", "n", d.number(n))
}

func (d *digestText) percent(n int) string {
	return d.msg("digest_percent", "n", strconv.Itoa(n))
}

// number writes n with thousands separated as the language does
// (digest_thousands_sep and _from): 12,345 in English; 12 345 in Spanish,
// from five digits, as the RAE recommends.
func (d *digestText) number(n int) string {
	s := strconv.Itoa(n)
	sep := d.msg("digest_thousands_sep")
	from, err := strconv.Atoi(d.msg("digest_thousands_from"))
	if err != nil || from < 1 {
		from = 4
	}
	if len(s) < from || n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// PeriodWords writes a week for people, in the survey's language lang:
// "Week 47 · 16–22 Nov 2026", "Week 49 · 30 Nov – 6 Dec 2026",
// "Week 53 · 28 Dec 2026 – 3 Jan 2027".
func PeriodWords(def *survey.Definition, lang string, p report.Period) string {
	months := strings.Fields(def.Msg(lang, "digest_months"))
	return def.Msg(lang, "digest_week", "n", strconv.Itoa(p.Week), "dates", p.Dates(months))
}

// splitMessages packs paragraphs into at most maxParts messages of at most
// limit characters (textLen), joining paragraphs with a blank line and
// splitting only between them; a paragraph too long for one message is
// split between its lines, and a line too long is cut. When it all does
// not fit, the last message ends with note and cut is set.
func splitMessages(paras []string, limit, maxParts int, note string) (parts []string, cut bool) {
	var pieces []string
	for _, p := range paras {
		if textLen(p) <= limit {
			pieces = append(pieces, p)
			continue
		}
		// Too long: its lines, packed as paragraphs are but joined by one
		// line break.
		cur := ""
		for _, line := range strings.Split(p, "\n") {
			line = cutLine(line, limit)
			if cur != "" && textLen(cur)+1+textLen(line) > limit {
				pieces = append(pieces, cur)
				cur = ""
			}
			if cur == "" {
				cur = line
			} else {
				cur += "\n" + line
			}
		}
		if cur != "" {
			pieces = append(pieces, cur)
		}
	}
	var cur []string
	size := 0
	for _, p := range pieces {
		if len(cur) > 0 && size+2+textLen(p) > limit {
			parts = append(parts, strings.Join(cur, "\n\n"))
			cur, size = nil, 0
		}
		if len(cur) > 0 {
			size += 2
		}
		cur = append(cur, p)
		size += textLen(p)
	}
	if len(cur) > 0 {
		parts = append(parts, strings.Join(cur, "\n\n"))
	}
	if len(parts) <= maxParts {
		return parts, false
	}
	parts = parts[:maxParts]
	last := parts[maxParts-1]
	for last != "" && textLen(last)+2+textLen(note) > limit {
		i := strings.LastIndex(last, "\n\n")
		if i < 0 {
			i = strings.LastIndex(last, "\n")
		}
		if i < 0 {
			last = ""
			break
		}
		last = last[:i]
	}
	if last == "" {
		parts[maxParts-1] = note
	} else {
		parts[maxParts-1] = last + "\n\n" + note
	}
	return parts, true
}

// cutLine shortens an over-long line to limit characters at a rune
// boundary outside any tag or entity, with an ellipsis. Lines the digest
// makes carry their tags within them and are far shorter than a message;
// this only guards against a survey's own texts.
func cutLine(line string, limit int) string {
	if textLen(line) <= limit {
		return line
	}
	n, safe, inTag, inEnt := 0, 0, false, false
	for i, r := range line {
		switch {
		case r == '<':
			inTag = true
		case r == '>':
			inTag = false
		case r == '&':
			inEnt = true
		case r == ';':
			inEnt = false
		}
		n++
		if r > 0xFFFF {
			n++
		}
		if n > limit-1 {
			break
		}
		if !inTag && !inEnt {
			safe = i + utf8.RuneLen(r)
		}
	}
	return stripOpenTags(line[:safe]) + "…"
}

// stripOpenTags removes a trailing tag left open by a cut: "<b>text" loses
// "<b>", so that Telegram does not reject the message.
func stripOpenTags(s string) string {
	for _, tag := range []string{"b", "i", "u", "s", "code", "pre"} {
		open, end := "<"+tag+">", "</"+tag+">"
		for strings.Count(s, open) > strings.Count(s, end) {
			i := strings.LastIndex(s, open)
			s = s[:i] + s[i+len(open):]
		}
	}
	return s
}
