package surveyfile

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"toolmap/survey"
)

// The defaults of version 1, documented in docs/survey-sources.md (the
// activities, the tools and shortlists). They are written out here on
// purpose: if default_v1.yaml drifts from the documented defaults, these
// tests fail. Version 1 must not change: answers given under it are read
// with it.
var (
	wantActivities = []string{
		"announce", "coordinate", "events", "meet_online", "recruit", "promote",
		"money", "decide", "share", "mutual_aid", "records",
	}
	wantActivityLabels = map[string]string{
		"announce":    "📣 Telling members news",
		"coordinate":  "🧩 Organisers coordinating",
		"events":      "📅 Organising events",
		"meet_online": "🎥 Meeting online",
		"recruit":     "🙋 Finding new people",
		"promote":     "📢 Publicity & campaigning",
		"money":       "💷 Raising & handling money",
		"decide":      "🗳️ Deciding together",
		"share":       "📂 Sharing docs & resources",
		"mutual_aid":  "🤝 Matching offers & needs",
		"records":     "🗂️ Keeping member records",
	}
	// SURVEY.md §4 without other and none, which are the matrix question's
	// Other… and its own exclusive option.
	wantTools = []string{
		"whatsapp", "facebook", "signal", "telegram", "sms_phone", "email", "email_list",
		"newsletter", "google_ws", "ms365", "spreadsheet", "nextcloud", "zoom", "other_video",
		"calendar", "eventbrite", "meetup", "crowdfund", "payments", "loomio", "polls", "slack",
		"discord", "nextdoor", "instagram_x", "canva", "website", "paper",
	}
	wantShortlists = map[string][]string{
		"announce":    {"whatsapp", "facebook", "email_list", "newsletter", "telegram", "signal", "sms_phone", "website", "paper"},
		"coordinate":  {"whatsapp", "signal", "telegram", "slack", "discord", "google_ws", "email", "sms_phone"},
		"events":      {"facebook", "eventbrite", "meetup", "calendar", "google_ws", "whatsapp", "paper", "website"},
		"meet_online": {"zoom", "other_video", "whatsapp", "facebook", "discord"},
		"recruit":     {"facebook", "instagram_x", "google_ws", "website", "nextdoor", "paper", "whatsapp"},
		"promote":     {"facebook", "instagram_x", "website", "canva", "newsletter", "paper", "nextdoor"},
		"money":       {"crowdfund", "payments", "spreadsheet", "google_ws", "facebook", "paper"},
		"decide":      {"polls", "loomio", "whatsapp", "google_ws", "email", "paper"},
		"share":       {"google_ws", "ms365", "nextcloud", "whatsapp", "email", "paper"},
		"mutual_aid":  {"whatsapp", "facebook", "google_ws", "sms_phone", "nextdoor", "paper"},
		"records":     {"spreadsheet", "google_ws", "ms365", "paper"},
	}
	wantQuestions = []string{
		"group_kind", "size", "formality", "area", "activities", "tools", "hardest", "quote_ok",
	}
)

// Version 2 (default.yaml): version 1's activities, tools and shortlists
// with what it adds. The sources are in the file's comments.
var (
	wantActivitiesV2 = []string{
		"announce", "coordinate", "keep_in_touch", "events", "meet_online", "recruit", "promote", "lobby",
		"money", "decide", "share", "mutual_aid", "casework", "records",
	}
	wantToolsV2 = []string{
		"whatsapp", "facebook", "signal", "telegram", "sms_phone", "email", "email_list", "newsletter",
		"google_ws", "ms365", "spreadsheet", "nextcloud", "trello", "notion", "airtable", "zoom", "other_video",
		"calendar", "eventbrite", "meetup", "crowdfund", "payments", "accounting", "bank_app", "loomio", "polls",
		"slack", "discord", "nextdoor", "instagram_x", "canva", "website", "petitions", "mysociety",
		"action_network", "nationbuilder", "civicrm", "zetkin", "crm", "paper",
	}
	// The question ids other parts of toolmap (the digest's and the map's
	// "gaps") rely on.
	wantQuestionsV2 = []string{
		"group_kind", "size", "formality", "region", "area", "activities", "tools",
		"hardest_activity", "hard_why", "quote_ok", "recommend", "role",
	}
	wantRegions = []string{
		"scotland", "wales", "northern_ireland", "north_east", "north_west", "yorkshire", "east_midlands",
		"west_midlands", "east", "london", "south_east", "south_west", "outside_uk",
	}
)

// maxShortlist is how many tools fit on the first page of a matrix row.
const maxShortlist = 9

// maxConsentChars keeps the notice comfortably inside one Telegram message.
const maxConsentChars = 1200

func mustDefault(t testing.TB) *survey.Definition {
	t.Helper()
	def, err := Default()
	if err != nil {
		t.Fatalf("Default() = %v", err)
	}
	return def
}

// mustDefaultV1 returns version 1 of the built-in survey.
func mustDefaultV1(t testing.TB) *survey.Definition {
	t.Helper()
	def := mustDefault(t)
	if len(def.Earlier) != 1 || def.Earlier[0].Version != 1 {
		t.Fatalf("Default().Earlier = %v, want version 1", def.Earlier)
	}
	return def.Earlier[0]
}

func TestDefaultParses(t *testing.T) {
	def := mustDefault(t)
	if def.ID != "toolmap-default" || def.Version != 2 {
		t.Errorf("survey = %s, want toolmap-default v2", def)
	}
	if v1 := mustDefaultV1(t); v1.ID != def.ID || v1.Consent.Version != def.Consent.Version {
		t.Errorf("version 1 = %s with consent %d", v1, v1.Consent.Version)
	}
	if diff := cmp.Diff([]string{"en", "es"}, def.Languages); diff != "" {
		t.Errorf("languages (-want +got):\n%s", diff)
	}
	if def.Consent.Version != 2 { // 2: "What we keep" as /privacy says it (docs/privacy.md)
		t.Errorf("consent version = %d, want 2", def.Consent.Version)
	}
	if err := survey.Validate(def); err != nil {
		t.Errorf("Validate(Default()) = %v", err)
	}
	// The exported text is the embedded file.
	again, err := Parse("copy.yaml", DefaultYAML())
	if err != nil {
		t.Fatalf("Parse(DefaultYAML()) = %v", err)
	}
	if again.ID != def.ID {
		t.Errorf("Parse(DefaultYAML()).ID = %q, want %q", again.ID, def.ID)
	}
}

// textsOf lists every text of a definition with a name saying where it is.
func textsOf(def *survey.Definition) []namedText {
	var out []namedText
	add := func(name string, t survey.Text, required bool) {
		if t != nil || required {
			out = append(out, namedText{name, t})
		}
	}
	add("title", def.Title, true)
	add("intro", def.Intro, true)
	add("thanks", def.Thanks, true)
	add("consent text", def.Consent.Text, true)
	add("consent agree", def.Consent.Agree, true)
	add("consent decline", def.Consent.Decline, true)
	item := func(where string, it *survey.Item, wantDescription bool) {
		add(where+" label", it.Label, true)
		add(where+" description", it.Description, wantDescription)
	}
	for _, c := range def.Catalogues {
		for _, it := range c.Items {
			item(fmt.Sprintf("catalogue %s item %s", c.ID, it.ID), it, true)
		}
	}
	for _, q := range def.Questions {
		where := "question " + q.ID
		add(where+" text", q.Text, true)
		add(where+" hint", q.Hint, false)
		add(where+" short", q.Short, true)
		for _, it := range q.Options {
			item(where+" option "+it.ID, it, false)
		}
	}
	for key, t := range def.Messages {
		add("message "+key, t, true)
	}
	return out
}

type namedText struct {
	name string
	text survey.Text
}

func TestDefaultEveryTextInEveryLanguage(t *testing.T) {
	for _, def := range mustDefault(t).Versions() {
		t.Run(fmt.Sprintf("v%d", def.Version), func(t *testing.T) { everyTextInEveryLanguage(t, def) })
	}
}

func everyTextInEveryLanguage(t *testing.T, def *survey.Definition) {
	texts := textsOf(def)
	if len(texts) < 120 {
		t.Fatalf("found only %d texts: is the walk missing something?", len(texts))
	}
	for _, nt := range texts {
		for _, lang := range def.Languages {
			if strings.TrimSpace(nt.text[lang]) == "" {
				t.Errorf("%s: no %q text", nt.name, lang)
			}
		}
		for lang := range nt.text {
			if !slices.Contains(def.Languages, lang) {
				t.Errorf("%s: text in %q, which the survey does not speak", nt.name, lang)
			}
		}
	}
	// Sentences, as opposed to brand names, must really be translated.
	sentences := []namedText{{"intro", def.Intro}, {"thanks", def.Thanks}, {"consent", def.Consent.Text}}
	for _, q := range def.Questions {
		sentences = append(sentences, namedText{"question " + q.ID + " text", q.Text})
		if q.Hint != nil {
			sentences = append(sentences, namedText{"question " + q.ID + " hint", q.Hint})
		}
	}
	for _, nt := range sentences {
		if nt.text["en"] == nt.text["es"] {
			t.Errorf("%s: the Spanish is the English: %q", nt.name, nt.text["es"])
		}
	}
}

func TestDefaultThanks(t *testing.T) {
	def := mustDefault(t)
	for lang, prefix := range map[string]string{"en": "Thank you", "es": "Gracias"} {
		if got := def.Thanks[lang]; !strings.HasPrefix(got, prefix) {
			t.Errorf("thanks in %q = %q, want it to begin %q", lang, got, prefix)
		}
	}
}

func TestDefaultConsentFitsOneMessage(t *testing.T) {
	def := mustDefault(t)
	for _, lang := range def.Languages {
		s := def.Consent.Text[lang]
		if n := len(utf16.Encode([]rune(s))); n >= maxConsentChars {
			t.Errorf("consent text in %q is %d characters, want under %d", lang, n, maxConsentChars)
		}
		for _, cmd := range []string{"/review", "/privacy", "/mydata", "/delete"} { // commands the bot has
			if !strings.Contains(s, cmd) {
				t.Errorf("consent text in %q does not mention %s", lang, cmd)
			}
		}
	}
}

func TestDefaultCataloguesMatchSurveyMD(t *testing.T) {
	def := mustDefaultV1(t)
	ids := func(c *survey.Catalogue) []string {
		var out []string
		for _, it := range c.Items {
			out = append(out, it.ID)
		}
		return out
	}
	acts, tools := def.Catalogue("activities"), def.Catalogue("tools")
	if acts == nil || tools == nil {
		t.Fatalf("catalogues activities and tools: got %v, %v", acts, tools)
	}
	if diff := cmp.Diff(wantActivities, ids(acts)); diff != "" {
		t.Errorf("activity ids (-SURVEY.md +default.yaml):\n%s", diff)
	}
	if diff := cmp.Diff(wantTools, ids(tools)); diff != "" {
		t.Errorf("tool ids (-SURVEY.md +default.yaml):\n%s", diff)
	}
	for id, want := range wantActivityLabels {
		if got := acts.Item(id).Label["en"]; got != want {
			t.Errorf("activity %s label = %q, want %q as in SURVEY.md", id, got, want)
		}
	}
	for _, c := range []*survey.Catalogue{acts, tools} {
		if c.Set != "v1-default" {
			t.Errorf("catalogue %s set = %q, want v1-default", c.ID, c.Set)
		}
	}

	q := def.Question("tools")
	if q == nil || q.Kind != survey.KindMatrix || q.Rows != "activities" || q.Columns != "tools" || !q.Other {
		t.Fatalf("question tools = %+v, want a matrix over activities × tools with Other…", q)
	}
	if diff := cmp.Diff(wantShortlists, q.Shortlist); diff != "" {
		t.Errorf("shortlists (-SURVEY.md +default.yaml):\n%s", diff)
	}
	for row, list := range q.Shortlist {
		if len(list) > maxShortlist {
			t.Errorf("shortlist %s has %d tools, want at most %d", row, len(list), maxShortlist)
		}
	}
	if len(q.Options) != 1 || q.Options[0].ID != "none" || !q.Options[0].Exclusive {
		t.Errorf("tools options = %+v, want one exclusive none", q.Options)
	}
}

func TestDefaultV2Catalogues(t *testing.T) {
	def := mustDefault(t)
	ids := func(c *survey.Catalogue) []string {
		var out []string
		for _, it := range c.Items {
			out = append(out, it.ID)
		}
		return out
	}
	acts, tools := def.Catalogue("activities"), def.Catalogue("tools")
	if diff := cmp.Diff(wantActivitiesV2, ids(acts)); diff != "" {
		t.Errorf("activity ids (-want +default.yaml):\n%s", diff)
	}
	if diff := cmp.Diff(wantToolsV2, ids(tools)); diff != "" {
		t.Errorf("tool ids (-want +default.yaml):\n%s", diff)
	}
	// Version 1's ids keep their meaning: every one is still there, with
	// the same English label.
	v1 := mustDefaultV1(t)
	for _, c := range v1.Catalogues {
		for _, it := range c.Items {
			if now := def.Catalogue(c.ID).Item(it.ID); now == nil || now.Label["en"] != it.Label["en"] {
				t.Errorf("catalogue %s: %s was %q in version 1, now %+v", c.ID, it.ID, it.Label["en"], now)
			}
		}
		if c.Set != "v1-default" || def.Catalogue(c.ID).Set != "v2-default" {
			t.Errorf("catalogue %s: sets %q and %q, want v1-default and v2-default", c.ID, c.Set, def.Catalogue(c.ID).Set)
		}
	}
	q := def.Question("tools")
	for _, row := range wantActivitiesV2 {
		list, ok := q.Shortlist[row]
		if !ok || len(list) == 0 || len(list) > maxShortlist {
			t.Errorf("shortlist %s = %v, want 1 to %d tools", row, list, maxShortlist)
		}
	}
	// Every tool version 2 adds is on some shortlist; version 1's stay
	// where they were, unless a new tool took a place at the end.
	for _, id := range wantToolsV2 {
		if slices.Contains(wantTools, id) {
			continue
		}
		found := false
		for _, list := range q.Shortlist {
			found = found || slices.Contains(list, id)
		}
		if !found {
			t.Errorf("tool %s (new in version 2) is on no shortlist", id)
		}
	}
	for row, old := range wantShortlists {
		for _, id := range old {
			if !slices.Contains(q.Shortlist[row], id) {
				t.Errorf("shortlist %s lost %s, which version 1 showed first", row, id)
			}
		}
	}
	// In person sits beside tools; version 1's exclusive none is gone.
	if len(q.Options) != 1 || q.Options[0].ID != "in_person" || q.Options[0].Exclusive {
		t.Errorf("tools options = %+v, want one in_person, not exclusive", q.Options)
	}
	// Every label fits two to a row or one to a row on a phone: checked by
	// Validate; every new tool has aliases so that typed names merge.
	for _, it := range tools.Items {
		if len(it.Aliases) == 0 {
			t.Errorf("tool %s has no aliases", it.ID)
		}
	}
}

func TestDefaultV2Questions(t *testing.T) {
	def := mustDefault(t)
	var got []string
	for _, q := range def.Questions {
		got = append(got, q.ID)
	}
	if diff := cmp.Diff(wantQuestionsV2, got); diff != "" {
		t.Fatalf("questions (-want +got):\n%s", diff)
	}
	optIDs := func(q *survey.Question) []string {
		var out []string
		for _, o := range q.Options {
			out = append(out, o.ID)
		}
		return out
	}
	hardest := def.Question("hardest_activity")
	if hardest.Kind != survey.KindSingle || hardest.OptionsFrom != "activities" || hardest.Optional || !slices.Equal(optIDs(hardest), []string{"none"}) {
		t.Errorf("hardest_activity = %+v, want a required single over activities with none", hardest)
	}
	why := def.Question("hard_why")
	if why.Kind != survey.KindText || !why.Optional || !strings.Contains(why.Text["en"], "{hardest_activity}") || !strings.Contains(why.Text["es"], "{hardest_activity}") {
		t.Errorf("hard_why = %+v, want optional text naming {hardest_activity} in every language", why)
	}
	if w := why.When; w == nil || w.Question != "hardest_activity" || !slices.Equal(w.NoneOf, []string{"none"}) {
		t.Errorf("hard_why when = %+v", w)
	}
	rec := def.Question("recommend")
	if rec.Kind != survey.KindSingle || rec.OptionsFrom != "tools" || !rec.Optional || !slices.Equal(optIDs(rec), []string{"not_really"}) {
		t.Errorf("recommend = %+v", rec)
	}
	region := def.Question("region")
	if region.Kind != survey.KindSingle || !region.Optional || !slices.Equal(optIDs(region), wantRegions) {
		t.Errorf("region = %v, want optional %v", optIDs(region), wantRegions)
	}
	role := def.Question("role")
	if role.Kind != survey.KindSingle || !role.Optional || !slices.Equal(optIDs(role), []string{"organiser", "committee", "volunteer", "staff", "other_role"}) {
		t.Errorf("role = %v", optIDs(role))
	}
	if !def.Question("area").Optional {
		t.Error("area is not optional")
	}
	if w := def.Question("quote_ok").When; w == nil || w.Question != "hard_why" || w.Answered == nil || !*w.Answered {
		t.Errorf("quote_ok when = %+v, want hard_why answered", w)
	}
	// Ids are forever: no version 2 question reuses a version 1 id with
	// another kind, and version 1's hardest (free text) is not reused.
	for _, q1 := range mustDefaultV1(t).Questions {
		if q2 := def.Question(q1.ID); q2 != nil && q2.Kind != q1.Kind {
			t.Errorf("question %s was a %s question in version 1, is a %s question in version 2", q1.ID, q1.Kind, q2.Kind)
		}
	}
	if def.Question("hardest") != nil {
		t.Error("version 2 reuses version 1's id hardest")
	}
}

func TestDefaultQuestions(t *testing.T) {
	def := mustDefaultV1(t)
	var got []string
	for _, q := range def.Questions {
		got = append(got, q.ID)
	}
	if diff := cmp.Diff(wantQuestions, got); diff != "" {
		t.Fatalf("questions (-want +got):\n%s", diff)
	}
	acts := def.Question("activities")
	if acts.Kind != survey.KindMulti || acts.From != "activities" || acts.MinPicks != 1 || !acts.Other {
		t.Errorf("activities = %+v, want a multi from the catalogue, min 1, with Other…", acts)
	}
	for _, it := range acts.Options {
		if it.Exclusive {
			t.Errorf("activities has an exclusive option %q; a group does at least one thing", it.ID)
		}
	}
	for _, id := range []string{"area", "hardest"} {
		if !def.Question(id).Optional {
			t.Errorf("question %s is not optional", id)
		}
	}
	quote := def.Question("quote_ok")
	if len(quote.Options) != 2 || quote.Options[0].ID != "no" || quote.Options[1].ID != "yes" {
		t.Errorf("quote_ok options = %v, want no first, then yes", quote.Options)
	}
	if w := quote.When; w == nil || w.Question != "hardest" || w.Answered == nil || !*w.Answered {
		t.Errorf("quote_ok when = %+v, want question hardest answered", w)
	}
}

// fold matches the engine's comparison of typed text with labels and
// aliases: lowercase letters and digits, separated by single spaces.
func fold(s string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

func TestDefaultAliasesAreUnambiguous(t *testing.T) {
	for _, def := range mustDefault(t).Versions() {
		aliasesAreUnambiguous(t, def)
	}
}

func aliasesAreUnambiguous(t *testing.T, def *survey.Definition) {
	for _, c := range def.Catalogues {
		owner := map[string]string{}
		claim := func(name, id string) {
			k := fold(name)
			if k == "" {
				t.Errorf("catalogue %s item %s: name %q is empty once folded", c.ID, id, name)
				return
			}
			if o, ok := owner[k]; ok && o != id {
				t.Errorf("catalogue %s: %q names both %s and %s", c.ID, name, o, id)
			}
			owner[k] = id
		}
		for _, it := range c.Items {
			for _, l := range it.Label {
				claim(l, it.ID)
			}
		}
		for _, it := range c.Items {
			for _, a := range it.Aliases {
				claim(a, it.ID)
			}
		}
	}
	for _, it := range def.Catalogue("tools").Items {
		if len(it.Aliases) == 0 {
			t.Errorf("tool %s has no aliases", it.ID)
		}
	}
}

// respondent drives the engine through the default survey.
type respondent struct {
	t    *testing.T
	def  *survey.Definition
	sess survey.Session
	now  time.Time
	taps int
	ask  *survey.Ask
	done *survey.Completed
}

func (r *respondent) do(in survey.Input) {
	r.t.Helper()
	r.now = r.now.Add(5 * time.Second)
	s, events, err := survey.Step(r.def, r.sess, in, r.now)
	if err != nil {
		r.t.Fatalf("Step(%+v) = %v", in, err)
	}
	r.sess = s
	r.taps++
	r.ask = nil
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.Ask:
			if ev.Problem != "" {
				r.t.Fatalf("Step(%+v): problem %q at %v", in, ev.Problem, ev.At)
			}
			r.ask = &ev
		case survey.Completed:
			r.done = &ev
		}
	}
}

func (r *respondent) at(question, item string) {
	r.t.Helper()
	if r.ask == nil || r.ask.At != (survey.Cursor{Question: question, Item: item}) {
		r.t.Fatalf("asked %+v, want %s %s", r.ask, question, item)
	}
}

// TestDefaultTypicalRespondent walks typical respondents through version 1
// of the default survey in each language, counting taps and checking what
// they see.
func TestDefaultTypicalRespondent(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		for _, writes := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/writes=%v", lang, writes), func(t *testing.T) {
				def := mustDefaultV1(t)
				r := &respondent{t: t, def: def, now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
				r.do(survey.Input{Kind: survey.InputLanguage, Text: lang})
				r.taps = 0 // choosing the language and /start are not survey taps
				r.do(survey.Input{Kind: survey.InputAgree})
				r.at("group_kind", "")
				r.do(survey.Input{Kind: survey.InputChoose, Option: "arts"})
				r.at("size", "")
				r.do(survey.Input{Kind: survey.InputChoose, Option: "to_30"})
				r.at("formality", "")
				r.do(survey.Input{Kind: survey.InputChoose, Option: "informal"})
				r.at("area", "")
				r.do(survey.Input{Kind: survey.InputSkip})
				r.at("activities", "")
				for _, a := range []string{"announce", "events", "meet_online"} {
					r.do(survey.Input{Kind: survey.InputToggle, Option: a})
				}
				r.do(survey.Input{Kind: survey.InputDone})

				r.at("tools", "announce")
				label := def.Catalogue("activities").Item("announce").Label[lang]
				if !strings.Contains(r.ask.Text, label) || strings.Contains(r.ask.Text, "{item}") {
					t.Errorf("tools text = %q, want it to name %q", r.ask.Text, label)
				}
				var shown []string
				for _, c := range r.ask.Options {
					shown = append(shown, c.ID)
				}
				want := append(slices.Clone(wantShortlists["announce"]), "none", survey.OtherID)
				if diff := cmp.Diff(want, shown); diff != "" || !r.ask.More {
					t.Errorf("first page of tools for announce (-want +got), More=%v:\n%s", r.ask.More, diff)
				}
				r.do(survey.Input{Kind: survey.InputToggle, Option: "whatsapp"})
				r.do(survey.Input{Kind: survey.InputToggle, Option: "email_list"})
				r.do(survey.Input{Kind: survey.InputDone})
				r.at("tools", "events")
				r.do(survey.Input{Kind: survey.InputToggle, Option: "facebook"})
				r.do(survey.Input{Kind: survey.InputDone})
				r.at("tools", "meet_online")
				r.do(survey.Input{Kind: survey.InputToggle, Option: "zoom"})
				r.do(survey.Input{Kind: survey.InputToggle, Option: "none"}) // clears zoom
				r.do(survey.Input{Kind: survey.InputDone})
				if a, _ := r.sess.Answer(survey.Cursor{Question: "tools", Item: "meet_online"}); !slices.Equal(a.Values, []string{"none"}) {
					t.Errorf("tools for meet_online = %v, want [none]", a.Values)
				}

				r.at("hardest", "")
				wantLines := 9
				if writes {
					r.do(survey.Input{Kind: survey.InputText, Text: "Everything is spread over too many apps."})
					r.at("quote_ok", "")
					if r.ask.Options[0].ID != "no" {
						t.Errorf("quote_ok first option = %q, want no", r.ask.Options[0].ID)
					}
					r.do(survey.Input{Kind: survey.InputChoose, Option: "no"})
					wantLines++
				} else {
					r.do(survey.Input{Kind: survey.InputSkip})
				}
				if r.done == nil || !r.done.First {
					t.Fatalf("not completed; last ask %+v", r.ask)
				}
				if !strings.HasPrefix(r.done.Thanks, def.Thanks[lang][:5]) {
					t.Errorf("thanks = %q, want the %s thanks", r.done.Thanks, lang)
				}
				// group_kind, size, formality, area (skipped), activities,
				// three tool rows, hardest, and quote_ok when asked.
				if len(r.done.Summary) != wantLines {
					t.Errorf("summary has %d lines, want %d: %+v", len(r.done.Summary), wantLines, r.done.Summary)
				}
				if r.taps > 25 {
					t.Errorf("a typical respondent needed %d taps, want at most 25", r.taps)
				}
				t.Logf("%d taps", r.taps)
			})
		}
	}
}

// TestDefaultV2TypicalRespondent walks a tenants' union organiser through
// version 2 in each language: In person beside WhatsApp, Same as, the
// hardest activity named in the next question, a recommended tool.
func TestDefaultV2TypicalRespondent(t *testing.T) {
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			def := mustDefault(t)
			r := &respondent{t: t, def: def, now: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
			r.do(survey.Input{Kind: survey.InputLanguage, Text: lang})
			r.taps = 0
			r.do(survey.Input{Kind: survey.InputAgree})
			r.at("group_kind", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "residents"})
			r.at("size", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "to_100"})
			r.at("formality", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "constituted"})
			r.at("region", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "london"})
			r.at("area", "")
			r.do(survey.Input{Kind: survey.InputSkip})
			r.at("activities", "")
			for _, a := range []string{"announce", "coordinate", "casework"} {
				r.do(survey.Input{Kind: survey.InputToggle, Option: a})
			}
			r.do(survey.Input{Kind: survey.InputDone})
			r.at("tools", "announce")
			if len(r.ask.SameAs) != 0 {
				t.Errorf("Same as on the first row: %v", r.ask.SameAs)
			}
			r.do(survey.Input{Kind: survey.InputToggle, Option: "whatsapp"})
			r.do(survey.Input{Kind: survey.InputToggle, Option: "in_person"}) // beside WhatsApp
			if r.ask.Note != "" || !slices.Contains(r.ask.Selection, "whatsapp") {
				t.Errorf("In person unticked WhatsApp: %+v", r.ask)
			}
			r.do(survey.Input{Kind: survey.InputDone})
			r.at("tools", "coordinate")
			if want := def.Catalogue("activities").Item("announce").Label[lang]; len(r.ask.SameAs) != 1 || r.ask.SameAs[0] != (survey.SameOffer{Item: "announce", Label: want}) {
				t.Errorf("Same as = %v, want %q", r.ask.SameAs, want)
			}
			r.do(survey.Input{Kind: survey.InputSame, At: r.ask.At, Option: "announce"})
			r.at("tools", "casework")
			r.do(survey.Input{Kind: survey.InputToggle, Option: "civicrm"})
			r.do(survey.Input{Kind: survey.InputDone})
			if a, _ := r.sess.Answer(survey.Cursor{Question: "tools", Item: "coordinate"}); !slices.Equal(a.Values, []string{"whatsapp", "in_person"}) {
				t.Errorf("coordinate = %v", a.Values)
			}
			r.at("hardest_activity", "")
			var offered []string
			for _, c := range r.ask.Options {
				offered = append(offered, c.ID)
			}
			if want := []string{"announce", "coordinate", "casework", "none"}; !slices.Equal(offered, want) {
				t.Errorf("hardest_activity offers %v, want %v", offered, want)
			}
			r.do(survey.Input{Kind: survey.InputChoose, Option: "casework"})
			r.at("hard_why", "")
			if want := def.Catalogue("activities").Item("casework").Label[lang]; !strings.Contains(r.ask.Text, want) || strings.Contains(r.ask.Text, "{") {
				t.Errorf("hard_why text %q does not name %q", r.ask.Text, want)
			}
			r.do(survey.Input{Kind: survey.InputText, Text: "Cases live in one person's inbox."})
			r.at("quote_ok", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "yes"})
			r.at("recommend", "")
			offered = nil
			for _, c := range r.ask.Options {
				offered = append(offered, c.ID)
			}
			if want := []string{"whatsapp", "civicrm", "not_really"}; !slices.Equal(offered, want) {
				t.Errorf("recommend offers %v, want %v (tools ticked, not In person)", offered, want)
			}
			r.do(survey.Input{Kind: survey.InputChoose, Option: "civicrm"})
			r.at("role", "")
			r.do(survey.Input{Kind: survey.InputChoose, Option: "committee"})
			if r.done == nil || !r.done.First {
				t.Fatalf("not completed; last ask %+v", r.ask)
			}
			if len(r.done.Summary) != 14 {
				t.Errorf("summary has %d lines, want 14: %+v", len(r.done.Summary), r.done.Summary)
			}
			t.Logf("%d taps", r.taps)
		})
	}
}

// broken is a survey with exactly three mistakes: an unknown key on a
// question, a misspelt tool in a shortlist, and a question id used twice.
const broken = `survey: broken
version: 1
languages: [en]
consent:
  version: 1
  text: We keep your answers.
  agree: OK
  decline: No thanks
thanks: Thank you!
catalogues:
  - id: activities
    items:
      - id: events
        label: Events
  - id: tools
    items:
      - id: zoom
        label: Zoom
      - id: paper
        label: Paper
questions:
  - id: activities
    kind: multi
    from: activities
    text: What does your group do?
  - id: tools
    kind: matrix
    rows: activities
    columns: tools
    text: Which tools for {item}?
    colour: blue
    shortlist:
      events: [paper,
        zoomm]
  - id: tools
    kind: text
    text: Anything else?
`

// lineOf returns the 1-based number of the n-th line (from 1) of text that
// contains s.
func lineOf(t *testing.T, text, s string, n int) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			n--
			if n == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("no line %d containing %q", n, s)
	return 0
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	def, err := Parse("survey.yaml", []byte(broken))
	if def != nil {
		t.Errorf("Parse returned a definition despite problems")
	}
	var ps survey.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse error = %T %v, want survey.Problems", err, err)
	}
	want := []survey.Problem{
		{
			Line: lineOf(t, broken, "colour:", 1),
			Path: `question "tools"`,
			Msg:  `unknown key "colour" (known keys: id, kind, text, hint, short, optional, when, options, from, options_from, other, min, max, whole, rows, columns, shortlist, show_earlier_picks)`,
		},
		{
			Line: lineOf(t, broken, "zoomm", 1),
			Path: `question "tools": shortlist "events"`,
			Msg:  `unknown tool "zoomm" (did you mean "zoom"?)`,
		},
		{
			// The first "- id: tools" is the catalogue's.
			Line: lineOf(t, broken, "- id: tools", 3),
			Path: `question "tools"`,
			Msg:  fmt.Sprintf(`duplicate question id "tools": it is already used on line %d`, lineOf(t, broken, "- id: tools", 2)),
		},
	}
	for i := range want {
		want[i].File = "survey.yaml"
	}
	if diff := cmp.Diff(want, []survey.Problem(ps)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if got := ps[1].Error(); !strings.HasPrefix(got, fmt.Sprintf("survey.yaml:%d: question \"tools\": shortlist", want[1].Line)) {
		t.Errorf("problem text = %q", got)
	}
}

func TestParseSyntaxError(t *testing.T) {
	head := "survey: x\nversion: 1\nlanguages: [en]\n"
	tests := []struct {
		name, text string
		line       int    // the line of the mistake
		exact      bool   // whether the reported line must be exactly it
		msg        string // part of the message
	}{
		{
			name: "colon in plain text",
			text: head + "questions:\n  - id: a\n    kind: text\n    text: Note: it fails\n",
			line: 7, exact: true, msg: "mapping values are not allowed",
		},
		{
			name: "tab indentation",
			text: head + "questions:\n  - id: a\n\t kind: text\n",
			line: 6, msg: "tab",
		},
		{
			name: "over-indented key",
			text: head + "consent:\n  version: 1\n    text: hello\n",
			line: 6, exact: true, msg: "mapping values are not allowed",
		},
		// yaml.v3 reports some errors at a line before the mistake: those
		// found by its parser (as opposed to its scanner) at the 0-based
		// line of the enclosing block, i.e. one line before that block
		// starts, and some scanner errors (a tab) at the line where the
		// value being read began. Accept a line up to two before the
		// mistake for those.
		{
			name: "unclosed list",
			text: head + "questions:\n  - id: a\n    kind: multi\n    options: [x, y\n  - id: b\n",
			line: 8, msg: "did not find expected",
		},
		{
			name: "list item inside a mapping",
			text: head + "consent:\n  version: 1\n  - text\n",
			line: 6, msg: "did not find expected key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.text))
			var ps survey.Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("Parse error = %v, want one problem", err)
			}
			p := ps[0]
			if p.File != "s.yaml" || !strings.HasPrefix(p.Msg, "YAML syntax: ") || !strings.Contains(p.Msg, tt.msg) {
				t.Errorf("problem = %+v, want a YAML syntax problem in s.yaml mentioning %q", p, tt.msg)
			}
			switch {
			case tt.exact && p.Line != tt.line:
				t.Errorf("reported line %d, want %d (%s)", p.Line, tt.line, p.Msg)
			case !tt.exact && (p.Line < tt.line-2 || p.Line > tt.line):
				t.Errorf("reported line %d, want %d or up to two lines before it (%s)", p.Line, tt.line, p.Msg)
			}
		})
	}
}

// docPath is the guide for survey authors, whose examples must stay valid.
const docPath = "../../docs/survey-format.md"

var fence = regexp.MustCompile("(?ms)^[ \t]*```yaml\n(.*?)^[ \t]*```")

// docExamples returns the YAML blocks of the guide: complete surveys (those
// with a top-level survey key) and fragments.
func docExamples(t *testing.T) (complete, fragments []string) {
	t.Helper()
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fence.FindAllStringSubmatch(string(data), -1) {
		if regexp.MustCompile(`(?m)^survey:`).MatchString(m[1]) {
			complete = append(complete, m[1])
		} else {
			fragments = append(fragments, m[1])
		}
	}
	return complete, fragments
}

func TestDocExamplesAreValid(t *testing.T) {
	complete, fragments := docExamples(t)
	if len(complete) < 2 {
		t.Fatalf("found %d complete examples in %s, want the minimal and the fuller one", len(complete), docPath)
	}
	for i, ex := range complete {
		def, err := Parse(fmt.Sprintf("%s example %d", docPath, i+1), []byte(ex))
		if err != nil {
			t.Errorf("example %d does not parse:\n%v\n%s", i+1, err, ex)
			continue
		}
		// The minimal example is a whole survey a respondent can finish.
		if i == 0 && (len(def.Questions) < 2 || def.Thanks == nil) {
			t.Errorf("minimal example: %d questions", len(def.Questions))
		}
	}
	if len(fragments) == 0 {
		t.Fatalf("found no fragments in %s", docPath)
	}
	for _, fr := range fragments {
		var v any
		// Fragments in the guide may be indented inside a list item.
		if err := yaml.Unmarshal([]byte(dedent(fr)), &v); err != nil {
			t.Errorf("fragment is not valid YAML: %v\n%s", err, fr)
		}
	}
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if n := len(l) - len(strings.TrimLeft(l, " ")); indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent {
			lines[i] = l[max(indent, 0):]
		}
	}
	return strings.Join(lines, "\n")
}

// TestDocErrorExample checks that the validation error shown in the guide
// is worded as toolmap words it.
func TestDocErrorExample(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("survey.yaml", []byte(broken))
	var ps survey.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse error = %v", err)
	}
	for _, p := range ps {
		if !strings.Contains(string(doc), p.Msg) && !strings.Contains(p.Msg, "already used on line") {
			t.Errorf("the guide does not show the problem %q as toolmap words it", p.Msg)
		}
	}
	want := `survey.yaml:42: question "tools": shortlist "events": unknown tool "zoomm"`
	if !strings.Contains(string(doc), want) {
		t.Errorf("the guide does not show %q", want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte(broken))
	f.Add([]byte("survey: x\nversion: 1\nlanguages: [en]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := Parse("fuzz.yaml", data)
		if err != nil {
			if def != nil {
				t.Fatalf("Parse returned a definition and an error: %v", err)
			}
			var ps survey.Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("Parse error %T %v is not a non-empty survey.Problems", err, err)
			}
			return
		}
		if def == nil {
			t.Fatal("Parse returned neither a definition nor an error")
		}
		if err := survey.Validate(def); err != nil {
			t.Fatalf("Parse accepted a definition that Validate rejects: %v", err)
		}
	})
}
