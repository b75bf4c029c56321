package surveyfile

import (
	"os"
	"strings"
	"testing"

	"toolmap/survey"
)

// TestPrivacyPromisesAgree: the consent notice of each built-in survey
// version, /privacy and docs/privacy.md say what is kept in the same
// words, in every language: the notice's "What we keep" bullet is the
// first line of /privacy, quoted in docs/privacy.md.
func TestPrivacyPromisesAgree(t *testing.T) {
	doc, err := os.ReadFile("../../docs/privacy.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []*survey.Definition{mustDefault(t), mustDefaultV1(t)} {
		for _, lang := range def.Languages {
			kept, _, _ := strings.Cut(def.Msg(lang, "privacy"), "\n")
			if !strings.Contains(kept, ": ") || len(kept) < 200 {
				t.Fatalf("%s, %s: the first line of /privacy does not say what is kept: %q", def, lang, kept)
			}
			if notice := def.Consent.Text[lang]; !strings.Contains(notice, "\n• "+kept+"\n") {
				t.Errorf("%s, %s: the notice does not say what is kept as /privacy does:\n/privacy: %s\nnotice:\n%s", def, lang, kept, notice)
			}
			if !strings.Contains(string(doc), "\n> "+kept+"\n") {
				t.Errorf("docs/privacy.md does not quote what is kept, in %s, as /privacy says it:\n%s", lang, kept)
			}
		}
	}
}
