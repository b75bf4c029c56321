package bot

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"toolmap/survey"
	"toolmap/survey/report"
)

// digestMessages are the digest's texts. A survey definition may override
// any of them under its "messages" key, as it can the built-in interface
// texts; see digestMsg. Values are HTML: placeholders are filled with text
// already escaped.
var digestMessages = map[string]survey.Text{
	"digest_heading": {"en": "📊 <b>{title}</b>\nWeekly digest · {period}", "es": "📊 <b>{title}</b>\nResumen semanal · {period}"},
	"digest_week":    {"en": "Week {n} · {dates}", "es": "Semana {n} · {dates}"},
	"digest_months":  {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", "es": "ene feb mar abr may jun jul ago sep oct nov dic"},

	"digest_finished":      {"en": "✅ Finished this week: <b>{groups}</b> (the week before: {prev})", "es": "✅ Terminaron esta semana: <b>{groups}</b> (la semana anterior: {prev})"},
	"digest_started":       {"en": "✍️ Started this week: {n}", "es": "✍️ Empezaron esta semana: {n}"},
	"digest_total":         {"en": "📈 Finished in total: <b>{n}</b>", "es": "📈 Terminaron en total: <b>{n}</b>"},
	"digest_empty":         {"en": "💤 No one finished the survey this week, so there is nothing more to show.", "es": "💤 Esta semana nadie terminó la encuesta, así que no hay nada más que mostrar."},
	"digest_suppressed":    {"en": "🔒 Fewer than {n} groups finished this week. To keep every group anonymous, nothing more is shown until more have answered.", "es": "🔒 Esta semana terminaron menos de {n} grupos. Para que ningún grupo pueda ser identificado, no mostramos más detalles hasta que respondan más."},
	"digest_groups_one":    {"en": "{n} group", "es": "{n} grupo"},
	"digest_groups":        {"en": "{n} groups", "es": "{n} grupos"},
	"digest_groups_none":   {"en": "none", "es": "ninguno"},
	"digest_groups_fewer":  {"en": "fewer than {n} groups", "es": "menos de {n} grupos"},
	"digest_fewer":         {"en": "fewer than {n}", "es": "menos de {n}"},
	"digest_percent":       {"en": "{n}%", "es": "{n}\u00a0%"},
	"digest_tool":          {"en": "{tool} {n} ({share})", "es": "{tool} {n} ({share})"},
	"digest_tools_title":   {"en": "<b>🧰 Tools by activity</b>", "es": "<b>🧰 Herramientas por actividad</b>"},
	"digest_activity":      {"en": "<b>{activity}</b> · {groups}", "es": "<b>{activity}</b> · {groups}"},
	"digest_no_top":        {"en": "No tool named by {n} or more of them yet.", "es": "Ninguna herramienta nombrada aún por {n} o más."},
	"digest_few_acts":      {"en": "Also named, by fewer than {n} groups each: {list}.", "es": "También nombradas, por menos de {n} grupos cada una: {list}."},
	"digest_moves_title":   {"en": "<b>↕️ Since last week</b>", "es": "<b>↕️ Desde la semana pasada</b>"},
	"digest_move":          {"en": "{arrow} {tool}: {share} of groups (was {before})", "es": "{arrow} {tool}: {share} de los grupos (antes {before})"},
	"digest_new_title":     {"en": "<b>🆕 New names under “{other}”</b>", "es": "<b>🆕 Nombres nuevos en «{other}»</b>"},
	"digest_new":           {"en": "• {name} · {groups}", "es": "• {name} · {groups}"},
	"digest_new_few":       {"en": "Other names came up too, each from fewer than {n} groups.", "es": "También salieron otros nombres, cada uno de menos de {n} grupos."},
	"digest_quotes_title":  {"en": "<b>💬 In their words</b>", "es": "<b>💬 En sus palabras</b>"},
	"digest_quote":         {"en": "<i>“{text}”</i>", "es": "<i>«{text}»</i>"},
	"digest_sources_title": {"en": "<b>🔗 Where they came from</b>", "es": "<b>🔗 De dónde llegaron</b>"},
	"digest_source":        {"en": "{name}: {n}", "es": "{name}: {n}"},
	"digest_src_direct":    {"en": "no link", "es": "sin enlace"},
	"digest_src_referral":  {"en": "personal invitations", "es": "invitaciones personales"},
	"digest_src_group":     {"en": "group links", "es": "enlaces de grupo"},
	"digest_src_other":     {"en": "other links", "es": "otros enlaces"},
	"digest_footer":        {"en": "<i>Numbers under {n} show as “fewer than {n}”, so that no group can be singled out.</i>", "es": "<i>Las cifras menores que {n} aparecen como «menos de {n}», para que ningún grupo pueda ser identificado.</i>"},
	"digest_shortened":     {"en": "<i>(Shortened to fit in three messages.)</i>", "es": "<i>(Resumido para que quepa en tres mensajes.)</i>"},
	"digest_caption":       {"en": "📊 Tools named most in week {week}, as a share of the {n} groups that finished.", "es": "📊 Herramientas más nombradas en la semana {week}, en porcentaje de los {n} grupos que terminaron."},
	"digest_chart_title":   {"en": "Tools named most · Week {week}", "es": "Herramientas más nombradas · Semana {week}"},
	"digest_chart_sub":     {"en": "Share of the {n} groups that finished, for any activity", "es": "Porcentaje de los {n} grupos que terminaron, en cualquier actividad"},
	"digest_chart_foot":    {"en": "Tools named by fewer than {n} groups are not shown.", "es": "No se muestran las herramientas nombradas por menos de {n} grupos."},
}

// digestMsg returns digest text key in lang with {name} placeholders
// replaced by the given name, value pairs. It takes the first there is of:
// the definition's own text in lang, the built-in one in lang, the
// definition's own text in its default language, the built-in one in that
// language, the built-in English.
func digestMsg(def *survey.Definition, lang, key string, pairs ...string) string {
	own, builtin := def.Messages[key], digestMessages[key]
	if builtin == nil {
		builtin = digestMapMessages[key]
	}
	s := ""
	for _, cand := range []string{own[lang], builtin[lang], own[def.DefaultLanguage], builtin[def.DefaultLanguage], builtin["en"]} {
		if cand != "" {
			s = cand
			break
		}
	}
	if len(pairs) == 0 {
		return s
	}
	args := make([]string, 0, len(pairs))
	for i := 0; i+1 < len(pairs); i += 2 {
		args = append(args, "{"+pairs[i]+"}", pairs[i+1])
	}
	return strings.NewReplacer(args...).Replace(s)
}

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

func (d *digestText) msg(key string, pairs ...string) string {
	return digestMsg(d.def, d.lang, key, pairs...)
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

// number writes n with thousands separated: 12,345 in English; 12 345 in
// Spanish (from five digits, as the RAE recommends).
func (d *digestText) number(n int) string {
	s := strconv.Itoa(n)
	sep, from := ",", 4
	if d.lang == "es" {
		sep, from = "\u00a0", 5
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
	months := strings.Fields(digestMsg(def, lang, "digest_months"))
	return digestMsg(def, lang, "digest_week", "n", strconv.Itoa(p.Week), "dates", p.Dates(months))
}

// textLen is the length Telegram counts, over-estimated: UTF-16 code units
// of the HTML, tags and entities included (Telegram counts the text after
// parsing them).
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
