package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestValidateMessageGaps: validate names the interface messages readers
// of a survey's language would see in another one; they do not make the
// file bad. The default survey has none.
func TestValidateMessageGaps(t *testing.T) {
	out, _, err := runCmd(t, "", "validate")
	if err != nil || strings.Count(out, "\n") != 1 {
		t.Errorf("the default survey: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "", "validate", "testdata/french.yaml")
	if err != nil {
		t.Fatalf("a survey in French: %v\n%s", err, out)
	}
	en, err := os.ReadFile("../../survey/messages/en.po")
	if err != nil {
		t.Fatal(err)
	}
	n := strings.Count(string(en), "\nmsgctxt \"")
	want := `testdata/french.yaml: ok: survey choir-tools version 1, languages en, es, fr, 1 questions
testdata/french.yaml: language "fr": toolmap has no built-in messages in fr (buttons, hints, corrections, /help, the digest…), and the survey words 1 of the ` +
		strconv.Itoa(n) + ` under messages:; the other ` + strconv.Itoa(n-1) + ` show in en. Translate survey/messages/en.po into fr.po (docs/translating.md), or give them under messages:
testdata/french.yaml: messages: "done": your wording has no es text: es readers see the built-in "Listo ▶" instead
2 notes on toolmap's messages shown in another language than the reader's; the survey itself is good.
`
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestValidateCatalogue: validate checks a translator's .po file against
// the built-in English.
func TestValidateCatalogue(t *testing.T) {
	es, err := os.ReadFile("../../survey/messages/es.po")
	if err != nil {
		t.Fatal(err)
	}
	fr := strings.Replace(string(es), `"Language: es\n"`, `"Language: fr\n"`, 1)
	fr = strings.Replace(fr, `msgstr "⬅ Atrás"`, `msgstr ""`, 1)
	broken := strings.Replace(fr, `msgstr "Pregunta {n} de {total}"`, `msgstr "Question {n} sur {totl}"`, 1)
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	lineNo := func(text, key string) string {
		return strconv.Itoa(strings.Count(text[:strings.Index(text, `msgctxt "`+key+`"`)], "\n") + 1)
	}

	path := write("fr.po", broken)
	out, _, err := runCmd(t, "", "validate", path)
	if code := exitCode(err); code != 1 {
		t.Fatalf("a broken translation: exit %d (%v), want 1\n%s", code, err, out)
	}
	want := strings.Join([]string{
		path + ":" + (lineNo(broken, "progress")) + `: message "progress": {totl} is not filled in by toolmap, so readers would see it as it is (this message has {n}, {total})`,
		path + ":" + (lineNo(broken, "progress")) + `: message "progress": the translation leaves out {total}`,
		path + ":" + (lineNo(broken, "back")) + `: message "back": not translated yet: fr readers see the English, "⬅ Back"`,
		"2 messages to translate or check; until then readers see the English.",
		"1 problem found.",
		"",
	}, "\n")
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}

	path = write("fr.po", fr)
	out, _, err = runCmd(t, "", "validate", path)
	want = path + ": ok\n" +
		path + ":" + (lineNo(fr, "back")) + `: message "back": not translated yet: fr readers see the English, "⬅ Back"` + "\n" +
		"1 message to translate or check; until then readers see the English.\n"
	if err != nil || out != want {
		t.Errorf("a translation with a gap: %v\n%s", err, cmp.Diff(want, out))
	}

	out, _, err = runCmd(t, "", "validate", "../../survey/messages/es.po")
	if err != nil || out != "../../survey/messages/es.po: ok\n" {
		t.Errorf("the built-in Spanish: %v\n%s", err, out)
	}
}
