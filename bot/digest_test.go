package bot

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the tests name a zone; a bare CI image may have none

	"github.com/google/go-cmp/cmp"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

var week47 = report.Period{Year: 2026, Week: 47}

func digestDef(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// digestReport builds the report on week 47 of responses given through the
// engine, in Europe/London; by default the study so far counts every
// response (Step 1).
func digestReport(t testing.TB, def *survey.Definition, rs []reporttest.Response, c report.Counts, opts *report.Options) report.Report {
	t.Helper()
	ss, err := reporttest.RespondAll(def, rs)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &report.Options{Step: 1}
	}
	opts.Location = loc
	r, err := report.Compute(def, week47, ss, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const typicalDigest = `📊 <b>Community groups and their tools</b>
Weekly digest · Week 47 · 16–22 Nov 2026

✅ Finished this week: <b>8 groups</b> (the week before: 6)
✍️ Started this week: 11
📈 Finished in total: <b>40</b>

<b>↕️ This week, against the weeks before</b>
▼ Facebook for 📣 Telling members news: 63% of this week's groups (before: 100%)

<b>🗺️ The map so far</b> · 14 groups
<i>Each tool's share is of the groups doing the activity.</i>

<b>📣 Telling members news</b> · 14 groups
Facebook 11 (79%), WhatsApp 8 (57%)

<b>🧩 Organisers coordinating</b> · 11 groups
WhatsApp 6 (55%), Mastodon 5 (45%), Signal 5 (45%)

Also named, by fewer than 5 groups each: 📅 Organising events.

<b>⚠️ Where groups struggle</b>
Hardest to do with the tools they have: 📣 Telling members news 14 (100%)
Done with a tool they typed in, not on our list: 🧩 Organisers coordinating 5 (45%)

<b>🆕 Typed in under “Other…”</b>
Tools: Mastodon (8 groups)
Other names came up too, each from fewer than 5 groups.

👍 <b>Worth knowing about</b>, say groups: WhatsApp (14 groups)

<b>💬 In their words</b>
<i>“Keeping the member list up to date by hand takes hours every month.”</i> (on 📣 Telling members news)
<i>“We can&#39;t afford the paid plans, and the free ones keep changing.”</i> (on 📣 Telling members news)
<i>“Everyone is on a different app, so messages get lost.”</i> (on 📣 Telling members news)

<b>🔗 Where they came from</b>
other links: 14

<i>Numbers under 5 show as “fewer than 5”, so that no group can be singled out.</i>`

// TestDigestTypicalWeek: the whole text of a typical week (see
// reporttest.Typical, answered through version 2 of the built-in survey,
// whose hardest activity and recommended tool it answers with the first
// offered): what moved this week, the map so far ("WA" typed under Other…
// counts as WhatsApp, "Mastodon" typed in by enough groups is a tool of
// its own), the quotes, about the activity named hardest, without the two
// who did not allow them, and the sources all in "other links", since the
// flyer's eleven would give away the three others.
func TestDigestTypicalWeek(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, nil)
	d := RenderDigest(def, r, nil)
	if diff := cmp.Diff([]string{typicalDigest}, d.Parts); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	if d.Shortened {
		t.Error("shortened")
	}
	if want := "🗺️ Which tools groups use for each activity: the study so far, 14 groups, to week 47."; d.Caption != want {
		t.Errorf("caption = %q, want %q", d.Caption, want)
	}
	for _, q := range reporttest.Quotes[3:] {
		if strings.Contains(d.Parts[0], esc(q)) {
			t.Errorf("quoted someone who did not allow it: %q", q)
		}
	}
	checkHTML(t, d.Parts)
}

func TestDigestSpanish(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 12345, Started: -1}, nil)
	d := RenderDigest(def, r, &DigestOptions{Language: "es-419"})
	text := strings.Join(d.Parts, "\n\n")
	for _, want := range []string{
		"Resumen semanal · Semana 47 · 16–22 nov 2026",
		"✅ Terminaron esta semana: <b>8 grupos</b> (la semana anterior: 6)",
		"📈 Terminaron en total: <b>12\u00a0345</b>",
		"▼ Facebook para 📣 Dar noticias al grupo: 63\u00a0% de los grupos de esta semana (antes: 100\u00a0%)",
		"<b>📣 Dar noticias al grupo</b> · 14 grupos\nFacebook 11 (79\u00a0%), WhatsApp 8 (57\u00a0%)",
		"<b>🆕 Escrito en «Otra…»</b>\nHerramientas: Mastodon (8 grupos)",
		"otros enlaces: 14",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the Spanish digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Empezaron") {
		t.Error("shows an unknown started count")
	}
	checkHTML(t, d.Parts)
}

// TestDigestStep: the map counts the first responses, five at a time, and
// the digest says so.
func TestDigestStep(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{}, &report.Options{})
	text := strings.Join(RenderDigest(def, r, nil).Parts, "\n\n")
	for _, want := range []string{
		"<b>🗺️ The map so far</b> · 10 groups",
		"<i>The map counts the first 10 of the 14 groups that finished. It grows 5 at a time, so that no single answer can be read off a change.</i>",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest lacks %q:\n%s", want, text)
		}
	}
}

func TestDigestEmptyWeek(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, nil, report.Counts{Total: 0, Started: 0}, nil)
	d := RenderDigest(def, r, nil)
	want := `📊 <b>Community groups and their tools</b>
Weekly digest · Week 47 · 16–22 Nov 2026

✅ Finished this week: <b>none</b> (the week before: 0)
✍️ Started this week: 0
📈 Finished in total: <b>0</b>

💤 No one finished the survey this week.

🔒 Fewer than 5 groups have finished so far: the map shows once more have answered.`
	if diff := cmp.Diff([]string{want}, d.Parts); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	if d.Caption != "" {
		t.Errorf("caption for an empty week: %q", d.Caption)
	}
}

// TestDigestUnderThreshold: four groups from one union branch's link, all
// allowing quotes: the digest says only that fewer than five finished.
func TestDigestUnderThreshold(t *testing.T) {
	def := digestDef(t)
	var rs []reporttest.Response
	for i := range 4 {
		rs = append(rs, reporttest.Response{
			At: reporttest.Monday.Add(time.Duration(i+1) * time.Hour), Source: "s-union_branch",
			Tools: map[string][]string{"announce": {"signal"}, "coordinate": {"other:Branch App"}},
			Hard:  "Our secretary does everything", Quote: true,
		})
	}
	r := digestReport(t, def, rs, report.Counts{Total: 30, Started: 4}, nil)
	d := RenderDigest(def, r, nil)
	want := `📊 <b>Community groups and their tools</b>
Weekly digest · Week 47 · 16–22 Nov 2026

✅ Finished this week: <b>fewer than 5 groups</b> (the week before: 0)
✍️ Started this week: fewer than 5
📈 Finished in total: <b>30</b>

🔒 Fewer than 5 groups finished this week, so nothing is shown about this week on its own.

🔒 Fewer than 5 groups have finished so far: the map shows once more have answered.`
	if diff := cmp.Diff([]string{want}, d.Parts); diff != "" {
		t.Errorf("digest (-want +got):\n%s", diff)
	}
	png, err := DigestChart(def, r, "en")
	if err != nil || png != nil {
		t.Errorf("chart of a suppressed week: %d bytes, %v", len(png), err)
	}
}

// TestDigestHostileText: whatever respondents typed is escaped: a name
// given under Other… by five groups, quotes, and a source name.
func TestDigestHostileText(t *testing.T) {
	def := digestDef(t)
	var rs []reporttest.Response
	for i := range 5 {
		rs = append(rs, reporttest.Response{
			At:     reporttest.Monday.Add(time.Duration(i+1) * time.Hour),
			Source: "s-a_b",
			Tools:  map[string][]string{"announce": {"other:<b>evil</b>"}},
			Hard:   fmt.Sprintf(`</i><a href="https://x.example">click</a> & <script>%d`, i), Quote: true,
		})
	}
	r := digestReport(t, def, rs, report.Counts{Total: 5, Started: 5}, nil)
	r.Study.Sources = append(r.Study.Sources, report.Source{Kind: report.SourceNamed, Name: "<i>x</i>", Groups: r.Finished})
	d := RenderDigest(def, r, nil)
	text := strings.Join(d.Parts, "\n\n")
	for _, want := range []string{
		"Tools: &lt;b&gt;evil&lt;/b&gt; (5 groups)",
		`<i>“&lt;/i&gt;&lt;a href=&#34;https://x.example&#34;&gt;click&lt;/a&gt; &amp; &lt;script&gt;4”</i>`,
		"&lt;i&gt;x&lt;/i&gt;: 5",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<b>evil") || strings.Contains(text, "<a ") || strings.Contains(text, "<script") {
		t.Errorf("unescaped text:\n%s", text)
	}
	checkHTML(t, d.Parts)
}

// TestDigestSplit: a long digest is split between paragraphs into at most
// three messages, each within the limit; what does not fit is cut, with a
// note.
func TestDigestSplit(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, nil)
	full := RenderDigest(def, r, nil).Parts[0]
	paras := strings.Split(full, "\n\n")

	t.Run("fits in three", func(t *testing.T) {
		d := RenderDigest(def, r, &DigestOptions{MaxMessage: 700})
		if d.Shortened || len(d.Parts) < 2 || len(d.Parts) > 3 {
			t.Fatalf("%d parts, shortened %v", len(d.Parts), d.Shortened)
		}
		for i, p := range d.Parts {
			if n := textLen(p); n > 700 {
				t.Errorf("part %d is %d long", i, n)
			}
		}
		if got := strings.Join(d.Parts, "\n\n"); got != full {
			t.Errorf("the parts are not the digest split between paragraphs:\n%s", got)
		}
		for _, p := range d.Parts {
			for _, para := range strings.Split(p, "\n\n") {
				if !containsString(paras, para) {
					t.Errorf("split inside a paragraph: %q", para)
				}
			}
		}
		checkHTML(t, d.Parts)
	})
	t.Run("too long", func(t *testing.T) {
		d := RenderDigest(def, r, &DigestOptions{MaxMessage: 250})
		if !d.Shortened || len(d.Parts) != 3 {
			t.Fatalf("%d parts, shortened %v", len(d.Parts), d.Shortened)
		}
		for i, p := range d.Parts {
			if n := textLen(p); n > 250 {
				t.Errorf("part %d is %d long", i, n)
			}
		}
		if last := d.Parts[2]; !strings.HasSuffix(last, "<i>(Shortened to fit in three messages.)</i>") {
			t.Errorf("no note at the end: %q", last)
		}
		checkHTML(t, d.Parts)
	})
	t.Run("at Telegram's limit", func(t *testing.T) {
		// 40 activities' worth of paragraphs: about 9,000 characters.
		var long []string
		for i := range 40 {
			long = append(long, fmt.Sprintf("<b>Activity %d 🧩</b> · 12 groups\n%s", i, strings.Repeat("WhatsApp 8 (100%), ", 10)))
		}
		parts, cut := splitMessages(long, MaxDigestMessage, MaxDigestParts, "note")
		if cut || len(parts) != 3 {
			t.Fatalf("%d parts, cut %v", len(parts), cut)
		}
		for i, p := range parts {
			if n := textLen(p); n > MaxDigestMessage || i < 2 && n < MaxDigestMessage-300 {
				t.Errorf("part %d is %d long", i, n)
			}
		}
	})
}

func TestSplitLongParagraph(t *testing.T) {
	line := strings.Repeat("x", 30)
	para := strings.Repeat(line+"\n", 9) + line // 10 lines, 309 characters
	parts, cut := splitMessages([]string{"<b>head</b>", para}, 100, 10, "note")
	if cut {
		t.Fatal("cut")
	}
	for i, p := range parts {
		if textLen(p) > 100 {
			t.Errorf("part %d is %d long", i, textLen(p))
		}
	}
	if got := strings.Join(parts, "\n"); strings.Count(got, line) != 10 {
		t.Errorf("lines lost:\n%s", got)
	}
	// A single line over the limit is cut outside tags and entities, and
	// an emoji counts two.
	got := cutLine("<b>"+strings.Repeat("😀", 10)+" &amp; more</b>", 12)
	if textLen(got) > 12 || strings.Contains(got, "<b>") || strings.Contains(got, "&am…") {
		t.Errorf("cutLine = %q", got)
	}
}

func TestPeriodWords(t *testing.T) {
	def := digestDef(t)
	for _, tc := range []struct {
		p    report.Period
		lang string
		want string
	}{
		{report.Period{Year: 2026, Week: 47}, "en", "Week 47 · 16–22 Nov 2026"},
		{report.Period{Year: 2026, Week: 49}, "en", "Week 49 · 30 Nov – 6 Dec 2026"},
		{report.Period{Year: 2026, Week: 53}, "en", "Week 53 · 28 Dec 2026 – 3 Jan 2027"},
		{report.Period{Year: 2026, Week: 49}, "es", "Semana 49 · 30 nov – 6 dic 2026"},
		{report.Period{Year: 2026, Week: 1}, "fr", "Week 1 · 29 Dec 2025 – 4 Jan 2026"},
	} {
		if got := PeriodWords(def, def.PickLanguage(tc.lang), tc.p); got != tc.want {
			t.Errorf("PeriodWords(%v, %s) = %q, want %q", tc.p, tc.lang, got, tc.want)
		}
	}
}

// TestDigestMessageOverride: a survey may reword a digest text in one
// language; the others fall back to the built-in.
func TestDigestMessageOverride(t *testing.T) {
	def := digestDef(t)
	def.Messages = map[string]survey.Text{"digest_week_empty": {"es": "Nada esta semana."}, "digest_study_few": {"es": "Ni mapa."}}
	r := digestReport(t, def, nil, report.Counts{}, nil)
	if got := RenderDigest(def, r, &DigestOptions{Language: "es"}).Parts[0]; !strings.HasSuffix(got, "\n\nNada esta semana.\n\nNi mapa.") {
		t.Errorf("Spanish override not used:\n%s", got)
	}
	if got := RenderDigest(def, r, &DigestOptions{Language: "en"}).Parts[0]; !strings.HasSuffix(got, "once more have answered.") {
		t.Errorf("English lost its text:\n%s", got)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var (
	htmlToken = regexp.MustCompile(`<(/?)([a-z]+)>|<|>|&(lt|gt|amp|quot|#[0-9]+);|&`)
	allowed   = map[string]bool{"b": true, "i": true}
)

// checkHTML checks that each message is HTML Telegram accepts: only <b>
// and <i>, balanced and not nested in themselves, and only valid entities.
func checkHTML(t *testing.T, parts []string) {
	t.Helper()
	for i, p := range parts {
		var open []string
		for _, m := range htmlToken.FindAllStringSubmatch(p, -1) {
			switch {
			case m[2] != "" && allowed[m[2]]:
				if m[1] == "" {
					if containsString(open, m[2]) {
						t.Errorf("part %d: <%s> inside itself", i, m[2])
					}
					open = append(open, m[2])
				} else if len(open) == 0 || open[len(open)-1] != m[2] {
					t.Errorf("part %d: unbalanced </%s>", i, m[2])
				} else {
					open = open[:len(open)-1]
				}
			case m[3] != "":
			default:
				t.Errorf("part %d: stray %q", i, m[0])
			}
		}
		if len(open) > 0 {
			t.Errorf("part %d: unclosed %v", i, open)
		}
	}
}

// TestDigestThreeThisWeek: three groups finished this week, nine before:
// nothing about the week on its own, but the map so far, in the text and
// the chart, where its counts reach the threshold.
func TestDigestThreeThisWeek(t *testing.T) {
	def := digestDef(t)
	var rs []reporttest.Response
	for i := range 12 {
		at := reporttest.Monday.Add(-time.Duration(3+i) * 24 * time.Hour)
		if i < 3 {
			at = reporttest.Monday.Add(time.Duration(i+1) * time.Hour)
		}
		rs = append(rs, reporttest.Response{At: at, Tools: map[string][]string{"announce": {"whatsapp"}, "money": {"paper"}}})
	}
	r := digestReport(t, def, rs, report.Counts{Started: 3}, &report.Options{})
	d := RenderDigest(def, r, nil)
	text := strings.Join(d.Parts, "\n\n")
	for _, want := range []string{
		"✅ Finished this week: <b>fewer than 5 groups</b> (the week before: fewer than 5)",
		"🔒 Fewer than 5 groups finished this week, so nothing is shown about this week on its own.",
		"<b>🗺️ The map so far</b> · 10 groups",
		"<b>📣 Telling members news</b> · 10 groups\nWhatsApp 10 (100%)",
		"Done on paper alone: 💷 Raising &amp; handling money 10 (100%)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "This week, against") {
		t.Errorf("moves for a week of three:\n%s", text)
	}
	png, err := DigestChart(def, r, "en")
	if err != nil || png == nil {
		t.Fatalf("no chart: %v", err)
	}
	decodePNG(t, png, ChartMinHeight)
	if d.Caption == "" {
		t.Error("no caption")
	}
}
