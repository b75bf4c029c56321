package textui

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
)

var multi = &survey.Ask{
	At:   survey.Cursor{Question: "tools", Item: "events"},
	Kind: survey.KindMulti,
	Options: []survey.Choice{
		{ID: "whatsapp", Label: "WhatsApp"}, {ID: "email", Label: "Email"}, {ID: "other", Label: "Other…", Other: true},
	},
}

func TestParse(t *testing.T) {
	at := multi.At
	single := &survey.Ask{At: survey.Cursor{Question: "kind"}, Kind: survey.KindSingle, Options: multi.Options}
	text := &survey.Ask{At: survey.Cursor{Question: "area"}, Kind: survey.KindText}
	summary := []survey.SummaryLine{{At: survey.Cursor{Question: "kind"}}, {At: survey.Cursor{Question: "area"}}}
	withSame := *multi
	withSame.SameAs = []survey.SameOffer{{Item: "announce", Label: "News"}, {Item: "money", Label: "Money"}}
	tests := []struct {
		name   string
		line   string
		p      Prompt
		want   []survey.Input
		action Action
	}{
		{"toggle several", "1 2", Prompt{Ask: multi}, []survey.Input{
			{Kind: survey.InputToggle, At: at, Option: "whatsapp"}, {Kind: survey.InputToggle, At: at, Option: "email"}}, ActionNone},
		{"commas", "1,2", Prompt{Ask: multi}, []survey.Input{
			{Kind: survey.InputToggle, At: at, Option: "whatsapp"}, {Kind: survey.InputToggle, At: at, Option: "email"}}, ActionNone},
		{"choose", " 2 ", Prompt{Ask: single}, []survey.Input{{Kind: survey.InputChoose, At: single.At, Option: "email"}}, ActionNone},
		{"out of range is text", "9", Prompt{Ask: single}, []survey.Input{{Kind: survey.InputText, Text: "9"}}, ActionNone},
		{"done", "D", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputDone, At: at}}, ActionNone},
		{"back", "b", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputBack}}, ActionNone},
		{"skip", "/skip", Prompt{Ask: text}, []survey.Input{{Kind: survey.InputSkip, At: text.At}}, ActionNone},
		{"more", "m", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputMore, At: at}}, ActionNone},
		{"other in multi", "o", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputToggle, At: at, Option: "other"}}, ActionNone},
		{"other in single", "o", Prompt{Ask: single}, []survey.Input{{Kind: survey.InputChoose, At: single.At, Option: "other"}}, ActionNone},
		{"text", "Leeds", Prompt{Ask: text}, []survey.Input{{Kind: survey.InputText, Text: "Leeds"}}, ActionNone},
		{"number typed in a text question is text", "12", Prompt{Ask: text}, []survey.Input{{Kind: survey.InputText, Text: "12"}}, ActionNone},
		{"agree", "1", Prompt{Consent: true}, []survey.Input{{Kind: survey.InputAgree}}, ActionNone},
		{"decline", "no", Prompt{Consent: true}, []survey.Input{{Kind: survey.InputDecline}}, ActionNone},
		{"quit", "q", Prompt{Ask: multi}, nil, ActionQuit},
		{"help", "?", Prompt{Ask: multi}, nil, ActionHelp},
		{"review", "r", Prompt{Ask: multi}, nil, ActionReview},
		{"jump", "r 2", Prompt{Done: true, Summary: summary}, []survey.Input{{Kind: survey.InputJump, At: summary[1].At}}, ActionNone},
		{"jump out of range", "r 7", Prompt{Done: true, Summary: summary}, nil, ActionReview},
		{"restart", "restart", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputRestart}}, ActionNone},
		{"language", "lang es", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputLanguage, Text: "es"}}, ActionNone},
		{"same as", "=", Prompt{Ask: &withSame}, []survey.Input{{Kind: survey.InputSame, At: at, Option: "announce"}}, ActionNone},
		{"same as the second", "=2", Prompt{Ask: &withSame}, []survey.Input{{Kind: survey.InputSame, At: at, Option: "money"}}, ActionNone},
		{"no third same as", "=3", Prompt{Ask: &withSame}, []survey.Input{{Kind: survey.InputText, Text: "=3"}}, ActionNone},
		{"no same as", "=", Prompt{Ask: multi}, []survey.Input{{Kind: survey.InputText, Text: "="}}, ActionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, action := Parse(tt.line, tt.p)
			if d := cmp.Diff(tt.want, got); d != "" || action != tt.action {
				t.Errorf("Parse(%q): action %v, want %v; inputs (-want +got):\n%s", tt.line, action, tt.action, d)
			}
		})
	}
}

// FuzzParse: any typed line parses without panic into inputs that name
// only options the question shows.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1 2 3", "r 1", "lang es", "o", "0", "-1", "99999999999999999999", "1,,2", "/start x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range []Prompt{{Ask: multi}, {Consent: true}, {Done: true}, {}} {
			ins, _ := Parse(line, p)
			for _, in := range ins {
				if (in.Kind == survey.InputToggle || in.Kind == survey.InputChoose) && in.Option != "" {
					found := false
					for _, o := range multi.Options {
						found = found || o.ID == in.Option
					}
					if !found {
						t.Fatalf("Parse(%q) picked unknown option %q", line, in.Option)
					}
				}
			}
		}
	})
}
