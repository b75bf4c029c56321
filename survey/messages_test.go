package survey

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuiltinCatalogues: every built-in catalogue is clean against the
// English (no problems, no gaps), has its entries in the English order (so
// that merges and translators line them up), and Spanish is really
// translated.
func TestBuiltinCatalogues(t *testing.T) {
	if len(builtin.source.entries) < 150 {
		t.Fatalf("only %d English messages: is en.po read whole?", len(builtin.source.entries))
	}
	if !slices.Contains(builtin.langs, "es") {
		t.Fatalf("built-in languages %v, want es among them", builtin.langs)
	}
	var order []string
	for _, e := range builtin.source.entries {
		order = append(order, e.key)
	}
	for _, lang := range builtin.langs {
		c := builtin.byLang[lang]
		t.Run(lang, func(t *testing.T) {
			gaps, err := c.check(builtin.source)
			if err != nil {
				t.Errorf("problems:\n%v", err)
			}
			if len(gaps) > 0 {
				t.Errorf("gaps:\n%v", gaps)
			}
			var got []string
			for _, e := range c.entries {
				got = append(got, e.key)
			}
			if diff := cmp.Diff(order, got); diff != "" {
				t.Errorf("entries not in en.po's order (-en.po +%s.po):\n%s", lang, diff)
			}
		})
	}
	// Sentences must be translated; names, symbols and numbers may not be.
	same := 0
	for _, e := range builtin.source.entries {
		if builtinMessages[e.key]["es"] == e.source && len(words.FindAllString(placeholderPattern.ReplaceAllString(e.source, ""), -1)) >= 3 {
			t.Errorf("message %q: the Spanish is the English: %q", e.key, e.source)
		}
		if builtinMessages[e.key]["es"] == e.source {
			same++
		}
	}
	if same > 10 {
		t.Errorf("%d Spanish messages are the English", same)
	}
}

var words = regexp.MustCompile(`\pL{2,}`)

// TestMsgFallback: the definition's text in the language, the built-in in
// the language (or its primary subtag), the definition's in the default
// language, the built-in in the default language, the English.
func TestMsgFallback(t *testing.T) {
	def := &Definition{DefaultLanguage: "es", Languages: []string{"es", "en", "pt-br", "fr"}, Messages: map[string]Text{
		"done": {"fr": "Fini ▶"},
		"skip": {"es": "Pasar"},
		"yes":  {"en": "Yep"},
	}}
	for _, tt := range []struct{ lang, key, want string }{
		{"fr", "done", "Fini ▶"},     // the survey's, in the language
		{"en", "done", "Done ▶"},     // built in, in the language
		{"es", "done", "Listo ▶"},    // built in, in the language
		{"fr", "skip", "Pasar"},      // no fr: the survey's in the default language
		{"fr", "back", "⬅ Atrás"},    // no fr: the built-in in the default language
		{"en", "yes", "Yep"},         // the survey's
		{"es", "yes", "Sí"},          // the built-in beats the survey's in another language
		{"pt-br", "back", "⬅ Atrás"}, // no pt, no pt-br: the default language
		{"es", "no_such_key", ""},    //
		{"fr", "progress", "Pregunta {n} de {total}"},
	} {
		if got := def.Msg(tt.lang, tt.key); got != tt.want {
			t.Errorf("Msg(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	// English is the last resort: a default language with no catalogue.
	fr := &Definition{DefaultLanguage: "fr", Languages: []string{"fr"}}
	if got := fr.Msg("fr", "back"); got != "⬅ Back" {
		t.Errorf("Msg in a survey of fr only = %q, want the English", got)
	}
	// Outside any survey, the built-in texts.
	var none *Definition
	if got := none.Msg("es", "admin_posted", "period", "2026-W47", "n", "2"); got != "El resumen de 2026-W47 se ha publicado (2 mensajes)." {
		t.Errorf("Msg of a nil definition = %q", got)
	}
	if got := none.Msg("", "back"); got != "⬅ Back" {
		t.Errorf("Msg of a nil definition in no language = %q", got)
	}
	// A primary subtag's catalogue serves a regional language.
	saved := builtinMessages["back"]["es"]
	t.Cleanup(func() { builtinMessages["back"]["es"] = saved })
	es419 := &Definition{DefaultLanguage: "en", Languages: []string{"en", "es-419"}}
	if got := es419.Msg("es-419", "back"); got != saved {
		t.Errorf("Msg(es-419) = %q, want the es text %q", got, saved)
	}
}

func TestFill(t *testing.T) {
	for _, tt := range []struct {
		s     string
		pairs []string
		want  string
	}{
		{"Question {n} of {total}", []string{"n", "3", "total", "9"}, "Question 3 of 9"},
		{"{n} and {n}", []string{"n", "2"}, "2 and 2"},
		{"Other: {text}", []string{"text", "{text} {n}"}, "Other: {text} {n}"}, // values are not searched
		{"{unknown} {n}", []string{"n", "1"}, "{unknown} 1"},
		{"{ {n}} {", []string{"n", "1"}, "{ 1} {"},
		{"no placeholders", []string{"n", "1"}, "no placeholders"},
		{"{n}", nil, "{n}"},
		{"{n}", []string{"n"}, "{n}"}, // an odd pair is ignored
	} {
		if got := fill(tt.s, tt.pairs); got != tt.want {
			t.Errorf("fill(%q, %q) = %q, want %q", tt.s, tt.pairs, got, tt.want)
		}
	}
}

func TestParsePO(t *testing.T) {
	good := "# remark\nmsgid \"\"\nmsgstr \"\"\n\"Language: fr\\n\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\n" +
		"#. a note\n#, fuzzy, html\nmsgctxt \"a\"\nmsgid \"A <b>{n}</b>\"\nmsgstr \"\"\n\"Un \\\"<b>{n}</b>\\\"\\n\"\n\"deux\"\n" +
		"msgctxt \"b\"\nmsgid \"B\"\nmsgstr \"Bé\"\n\n#~ msgctxt \"old\"\n#~ msgid \"Old\"\n#~ msgstr \"Vieux\"\n"
	c, err := parsePO("x.po", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if c.lang != "fr" || len(c.entries) != 2 {
		t.Fatalf("lang %q, %d entries", c.lang, len(c.entries))
	}
	want := []catEntry{
		{key: "a", source: "A <b>{n}</b>", text: "Un \"<b>{n}</b>\"\ndeux", html: true, fuzzy: true, line: 9},
		{key: "b", source: "B", text: "Bé", line: 14},
	}
	for i, e := range c.entries {
		if *e != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, *e, want[i])
		}
	}
	// Without a header, the language is the file's name.
	if c, err := parsePO("messages/pt-br.po", []byte("msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"Á\"\n")); err != nil || c.lang != "pt-br" {
		t.Errorf("lang from the name: %v %v", c, err)
	}

	for _, tt := range []struct {
		name, text string
		want       string // the problems, one per line
	}{
		{"not utf-8", "msgctxt \"a\"\nmsgid \"\xff\"\nmsgstr \"\"\n", "fr.po: the file is not UTF-8 text: save it as UTF-8"},
		{"empty", "# nothing\n", "fr.po: no messages: each entry is msgctxt, msgid and msgstr"},
		{"no msgctxt", "msgid \"A\"\nmsgstr \"\"\n", `fr.po:1: an entry without msgctxt: toolmap names each message by its msgctxt, e.g. msgctxt "done"`},
		{"no msgstr", "msgctxt \"a\"\nmsgid \"A\"\n\nmsgctxt \"b\"\nmsgid \"B\"\nmsgstr \"\"\n", "fr.po:1: an entry without msgstr: each entry has msgctxt, msgid and msgstr"},
		{"no msgid", "msgctxt \"a\"\nmsgstr \"A\"\n", "fr.po:1: an entry without msgid: each entry has msgctxt, msgid and msgstr"},
		{"duplicate", "msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n\nmsgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n", `fr.po:5: message "a": given twice: it is already on line 1`},
		{"bad key", "msgctxt \"A b\"\nmsgid \"A\"\nmsgstr \"\"\n", `fr.po:1: message "A b": not a message key: lowercase letters, digits and _`},
		{"plural", "msgctxt \"a\"\nmsgid \"A\"\nmsgid_plural \"As\"\nmsgstr[0] \"\"\n", "fr.po:1: an entry without msgstr: each entry has msgctxt, msgid and msgstr\n" +
			"fr.po:3: plural forms (msgid_plural) are not used: toolmap has a message per form, such as digest_groups_one and digest_groups\n" +
			"fr.po:4: plural forms (msgstr[0]) are not used: toolmap has a message per form, such as digest_groups_one and digest_groups"},
		{"bad name", "msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n", "french.po: \"french\" is not a language code such as en, es or pt-br: set the header's \"Language: xx\\n\" to the code the survey's languages: use"},
		{"unknown escape", "msgctxt \"a\"\nmsgid \"A\\u00a0\"\nmsgstr \"\"\n", `fr.po:2: unknown escape \u: the escapes are \n (a new line), \t, \" and \\`},
		{"inner quote", "msgctxt \"a\"\nmsgid \"say \"hi\"\"\nmsgstr \"\"\n", `fr.po:2: a quote inside a text: write it as \"`},
		{"unquoted", "msgctxt \"a\"\nmsgid A\nmsgstr \"\"\n", "fr.po:2: want a text in double quotes, got A"},
		{"stray line", "msgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\nhello\n", `fr.po:4: unknown line "hello": an entry is msgctxt, msgid and msgstr, each with a quoted text`},
		{"stray string", "\"A\"\nmsgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n", "fr.po:1: a quoted line that continues nothing: it must follow msgctxt, msgid or msgstr"},
		{"charset", "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=ISO-8859-1\\n\"\n\nmsgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n", "fr.po:1: the header says charset=iso-8859-1: toolmap reads UTF-8 only; save the file as UTF-8 and say charset=UTF-8"},
		{"language", "msgid \"\"\nmsgstr \"Language: Français\\n\"\n\nmsgctxt \"a\"\nmsgid \"A\"\nmsgstr \"\"\n", `fr.po:1: "français" is not a language code such as en, es or pt-br: set the header's "Language: xx\n" to the code the survey's languages: use`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "fr.po"
			if tt.name == "bad name" {
				name = "french.po"
			}
			_, err := parsePO(name, []byte(tt.text))
			var ps Problems
			if err == nil {
				t.Fatalf("no error, want:\n%s", tt.want)
			}
			ps = err.(Problems)
			if diff := cmp.Diff(tt.want, ps.Error()); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckCatalogue checks a translator's file against the built-in
// English: what would show wrongly is a problem; what readers would see
// in English (or was translated from older English) is a gap.
func TestCheckCatalogue(t *testing.T) {
	// Start from the Spanish, as a translator would, and break it.
	es, err := catalogueFiles.ReadFile("messages/es.po")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(es), "Language: es", "Language: fr", 1)
	edit := func(key, from, to string) {
		t.Helper()
		i := strings.Index(text, "msgctxt \""+key+"\"\n")
		j := strings.Index(text[i:], from)
		if i < 0 || j < 0 {
			t.Fatalf("no %q in entry %s", from, key)
		}
		text = text[:i+j] + to + text[i+j+len(from):]
	}
	edit("done", `msgstr "Listo ▶"`, `msgstr ""`)                                                             // not translated
	edit("back", `msgctxt "back"`, "#, fuzzy\nmsgctxt \"back\"")                                              // fuzzy
	edit("skip", `msgid "Skip"`, `msgid "Skip it"`)                                                           // stale
	edit("progress", `msgstr "Pregunta {n} de {total}"`, `msgstr "Pregunta {n} de {totl}"`)                   // unknown placeholder
	edit("row_progress", `msgstr "{label} ({n} de {total})"`, `msgstr "{label} ({n})"`)                       // dropped placeholder
	edit("digest_gaps_title", `msgstr "<b>⚠️ Dónde les cuesta a los grupos</b>"`, `msgstr "⚠️ Dónde cuesta"`) // lost tags
	edit("digest_footer", `msgstr "<i>Las cifras`, `msgstr "<i>Cifras & Las cifras`)                          // bare &
	edit("digest_months", `msgstr "ene feb mar abr may jun jul ago sep oct nov dic"`, `msgstr "ene feb"`)
	edit("digest_thousands_from", `msgstr "5"`, `msgstr "cinco"`)
	i := strings.Index(text, "msgctxt \"hint_text\"")
	j := strings.Index(text[i:], "\n\n")
	text = text[:i] + text[i+j+2:] // an entry left out
	text += "\nmsgctxt \"dne\"\nmsgid \"Done ▶\"\nmsgstr \"Fini\"\n"

	line := func(key string) string {
		i := strings.Index(text, "msgctxt \""+key+"\"")
		return strconv.Itoa(strings.Count(text[:i], "\n") + 1)
	}
	gaps, err := CheckCatalogue("fr.po", []byte(text))
	wantProblems := strings.Join([]string{
		"fr.po:" + line("progress") + `: message "progress": {totl} is not filled in by toolmap, so readers would see it as it is (this message has {n}, {total})`,
		"fr.po:" + line("digest_months") + `: message "digest_months": want the 12 months separated by spaces, found 2`,
		"fr.po:" + line("digest_thousands_from") + `: message "digest_thousands_from": want a digit from 1 to 9, got "cinco"`,
		"fr.po:" + line("digest_footer") + `: message "digest_footer": this message is HTML: an "&" that begins no entity: write it as &amp;`,
		"fr.po:" + line("digest_gaps_title") + `: message "digest_gaps_title": this message is HTML and must keep the English's tags, </b> <b>; it has none`,
		"fr.po:" + line("dne") + `: message "dne": toolmap has no such message (did you mean "done"?)`,
	}, "\n")
	if err == nil {
		t.Fatalf("no problems, want:\n%s", wantProblems)
	}
	if diff := cmp.Diff(wantProblems, err.Error()); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	wantGaps := strings.Join([]string{
		`fr.po: message "hint_text": not in the file: fr readers see the English, "Type your answer."`,
		"fr.po:" + line("progress") + `: message "progress": the translation leaves out {total}`,
		"fr.po:" + line("row_progress") + `: message "row_progress": the translation leaves out {total}`,
		"fr.po:" + line("done") + `: message "done": not translated yet: fr readers see the English, "Done ▶"`,
		"fr.po:" + line("back") + `: message "back": marked fuzzy, so not used: fr readers see the English until a translator checks it and removes the flag`,
		"fr.po:" + line("skip") + `: message "skip": translated from an older English text, "Skip it"; it is now "Skip": check the translation, then copy the new msgid`,
	}, "\n")
	if diff := cmp.Diff(wantGaps, gaps.Error()); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}

	// The English itself is the source: a text in its msgstr is a mistake.
	en, _ := catalogueFiles.ReadFile("messages/en.po")
	broken := strings.Replace(string(en), "msgid \"Done ▶\"\nmsgstr \"\"", "msgid \"Done ▶\"\nmsgstr \"Done!\"", 1)
	if _, err := CheckCatalogue("en.po", []byte(broken)); err == nil || !strings.Contains(err.Error(), `message "done": en.po is the source`) {
		t.Errorf("an English msgstr: %v", err)
	}
	if gaps, err := CheckCatalogue("es.po", es); err != nil || len(gaps) > 0 {
		t.Errorf("the built-in Spanish: gaps %v, err %v", gaps, err)
	}
}

// TestMessageGaps: a survey in a language toolmap does not speak gets one
// line for it; a missing message in a built-in language is named; a
// survey's wording given in some languages only is named.
func TestMessageGaps(t *testing.T) {
	def := &Definition{File: "s.yaml", DefaultLanguage: "en", Languages: []string{"en", "es", "fr"}, Messages: map[string]Text{
		"done":     {"en": "That's all ▶", "fr": "C'est tout ▶"},
		"progress": {"fr": "Question {n} sur {total}"},
	}}
	saved := builtinMessages["skip"]["es"]
	delete(builtinMessages["skip"], "es")
	t.Cleanup(func() { builtinMessages["skip"]["es"] = saved })
	n := len(builtin.source.entries)
	want := strings.Join([]string{
		`s.yaml: message "skip": no es text, built in or under messages:; es readers see the en one`,
		`s.yaml: language "fr": toolmap has no built-in messages in fr (buttons, hints, corrections, /help, the digest…), and the survey words 2 of the ` +
			strconv.Itoa(n) + ` under messages:; the other ` + strconv.Itoa(n-2) + ` show in en. Translate survey/messages/en.po into fr.po (docs/translating.md), or give them under messages:`,
		`s.yaml: messages: "done": your wording has no es text: es readers see the built-in "Listo ▶" instead`,
		`s.yaml: messages: "progress": your wording has no en text: en readers see the built-in "Question {n} of {total}" instead`,
		`s.yaml: messages: "progress": your wording has no es text: es readers see the built-in "Pregunta {n} de {total}" instead`,
	}, "\n")
	if diff := cmp.Diff(want, def.MessageGaps().Error()); diff != "" {
		t.Errorf("gaps (-want +got):\n%s", diff)
	}
	builtinMessages["skip"]["es"] = saved
	if gaps := (&Definition{DefaultLanguage: "es", Languages: []string{"es", "en"}}).MessageGaps(); len(gaps) > 0 {
		t.Errorf("a survey in built-in languages: %v", gaps)
	}
}

// TestHTMLMessages: the digest's messages and the admins' HTML replies are
// flagged html; the chart's texts, its caption and plain replies are not.
func TestHTMLMessages(t *testing.T) {
	for key, want := range map[string]bool{
		"digest_heading": true, "digest_groups": true, "admin_stats": true, "admin_alert_ambiguous": true,
		"digest_week": false, "digest_map_caption": false, "digest_chart2_title": false, "admin_export_caption": false,
		"admin_posted": false, "done": false, "help": false,
	} {
		if got := IsHTMLMessage(key); got != want {
			t.Errorf("IsHTMLMessage(%q) = %v, want %v", key, got, want)
		}
	}
	// Every message with a tag in English is flagged, or its tags would be
	// escaped and shown.
	for _, e := range builtin.source.entries {
		if strings.Contains(e.source, "</") && !e.html {
			t.Errorf("message %q has tags but is not flagged html", e.key)
		}
	}
}

// TestMessageKeysInCode finds every message key written in toolmap's Go
// code (the literal key of a Msg, msg or HTMLMsg call) and checks that
// the English catalogue has it: a key misspelt in the code would show an
// empty message.
func TestMessageKeysInCode(t *testing.T) {
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			var arg int
			switch name {
			case "Msg":
				arg = 1 // def.Msg(lang, key, …)
			case "msg":
				arg = 0 // a renderer's or digest's msg(key, …)
			case "HTMLMsg":
				arg = 2 // bot.HTMLMsg(def, lang, key, …)
			default:
				return true
			}
			if len(call.Args) <= arg {
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			found++
			if _, ok := builtinMessages[key]; !ok {
				t.Errorf("%s: message %q is not in survey/messages/en.po", fset.Position(lit.Pos()), key)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 80 {
		t.Errorf("found only %d message keys in the code: is the walk missing something?", found)
	}
}

const docPath = "../docs/survey-format.md"

// TestDocListsEveryMessage checks the guide's table of built-in messages
// against the English catalogue: every message a survey author may reword
// (all but the digest's and the admins', which en.po lists) has a row
// with its current English text, and the longer ones are named.
func TestDocListsEveryMessage(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| ([^|]*) \\|").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = strings.TrimSpace(m[2])
	}
	for _, e := range builtin.source.entries {
		switch {
		case strings.HasPrefix(e.key, "digest_") || strings.HasPrefix(e.key, "admin_"):
			continue
		case strings.Contains(e.source, "\n"):
			if !strings.Contains(string(doc), "`"+e.key+"`") {
				t.Errorf("message %q is not named in %s", e.key, docPath)
			}
			continue
		}
		got, ok := rows[e.key]
		if !ok {
			t.Errorf("message %q is missing from the table in %s", e.key, docPath)
			continue
		}
		if got != e.source {
			t.Errorf("message %q: the guide says %q, en.po says %q", e.key, got, e.source)
		}
	}
}

func FuzzParsePO(f *testing.F) {
	for _, name := range []string{"messages/en.po", "messages/es.po"} {
		data, err := catalogueFiles.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("msgctxt \"a\"\nmsgid \"A\\n\"\n\"B\"\nmsgstr \"\"\n"))
	f.Add([]byte("#, fuzzy\nmsgid \"\"\nmsgstr \"Language: fr\\n\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parsePO("fuzz.po", data)
		if err != nil {
			if c != nil {
				t.Fatal("a catalogue and an error")
			}
			if ps, ok := err.(Problems); !ok || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty Problems", err, err)
			}
			return
		}
		if len(c.entries) == 0 || !validLanguage(c.lang) {
			t.Fatalf("accepted a catalogue with %d entries in %q", len(c.entries), c.lang)
		}
		c.check(builtin.source) // must not panic
	})
}

// TestValidateMessages: a survey's own wording of a message may use only
// the words in braces toolmap fills in, and an HTML message must stay
// HTML Telegram accepts.
func TestValidateMessages(t *testing.T) {
	def := fixture(t)
	def.File = "s.yaml"
	def.textPos = map[string]Pos{"messages": {Line: 7}}
	def.Messages = map[string]Text{
		"progress":       {"en": "Step {n} of {totl}", "es": "Paso {n} de {total}"},
		"digest_heading": {"en": "<b>{title}</b> & co", "es": "<b>{title}\n{period}"},
		"digest_footer":  {"en": "<i>Under {n}: hidden.</i>"},
		"done":           {"en": "Done <now>"}, // plain text: escaped when sent
	}
	ps := &problems{file: def.File}
	validate(def, ps)
	want := strings.Join([]string{
		`s.yaml:7: messages: "digest_heading": en: this message is HTML: an "&" that begins no entity: write it as &amp;`,
		`s.yaml:7: messages: "digest_heading": es: this message is HTML: a tag opened and not closed, or closed and not opened: <b>`,
		`s.yaml:7: messages: "progress": en: {totl} is not filled in by toolmap, so readers would see it as it is (this message has {n}, {total})`,
	}, "\n")
	got := ""
	if err := ps.err(); err != nil {
		lines := strings.Split(err.Error(), "\n")
		slices.Sort(lines)
		got = strings.Join(lines, "\n")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
