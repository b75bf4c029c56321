package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/export"
)

// builtin returns the built-in survey, version 2 carrying version 1.
func builtin(t *testing.T) *survey.Definition {
	t.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// respond walks a session through def with the inputs and checks it ends.
func respond(t *testing.T, def *survey.Definition, ins ...survey.Input) survey.Session {
	t.Helper()
	var s survey.Session
	now := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	for _, in := range append([]survey.Input{{Kind: survey.InputStart}, {Kind: survey.InputAgree}}, ins...) {
		now = now.Add(7 * time.Second)
		var err error
		if s, _, err = survey.Step(def, s, in, now); err != nil {
			t.Fatal(err)
		}
	}
	if s.Status != survey.StatusCompleted {
		t.Fatalf("not completed: at %+v", s.Cursor)
	}
	return s
}

func choose(o string) survey.Input { return survey.Input{Kind: survey.InputChoose, Option: o} }
func tick(o string) survey.Input   { return survey.Input{Kind: survey.InputToggle, Option: o} }
func typed(s string) survey.Input  { return survey.Input{Kind: survey.InputText, Text: s} }

var (
	done = survey.Input{Kind: survey.InputDone}
	skip = survey.Input{Kind: survey.InputSkip}
)

// bothVersions are a response to version 1 (one name under Other…, the
// exclusive none, the free-text hardest) and one to version 2 (two names
// under Other…, in person, the coded hardest activity and recommended tool).
func bothVersions(t *testing.T) []export.Response {
	def := builtin(t)
	v1 := respond(t, def.Earlier[0], choose("community"), choose("to_30"), choose("informal"), typed("Leeds"),
		tick("announce"), tick("events"), done,
		tick("whatsapp"), tick(survey.OtherID), typed("Mobilizon"), done,
		tick("none"), done,
		typed("Too many chats"), choose("yes"))
	v2 := respond(t, def, choose("residents"), choose("to_100"), choose("structured"), choose("london"), skip,
		tick("announce"), tick("lobby"), done,
		tick("whatsapp"), tick("in_person"), done,
		tick("mysociety"), tick(survey.OtherID), typed("Advice Pro"), tick(survey.OtherID), typed("Justice app"), done,
		choose("lobby"), typed("Councillors never answer"), choose("no"), choose("mysociety"), choose("organiser"))
	return []export.Response{{Respondent: "aaaa", Session: v1}, {Respondent: "bbbb", Session: v2}}
}

func TestCodebookOfBothVersions(t *testing.T) {
	cb := export.NewCodebook(builtin(t)) // carries version 1 too
	if got := cb.Surveys[0].Versions; !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("survey versions %v", got)
	}
	for _, tc := range []struct {
		q        string
		kind     survey.Kind
		versions []int
	}{
		{"hardest", survey.KindText, []int{1}},
		{"hardest_activity", survey.KindSingle, []int{2}},
		{"hard_why", survey.KindText, []int{2}},
		{"recommend", survey.KindSingle, []int{2}},
		{"region", survey.KindSingle, []int{2}},
		{"tools", survey.KindMatrix, []int{1, 2}},
	} {
		q := cb.Question(tc.q)
		if q == nil || q.Kind != tc.kind || !slices.Equal(q.Versions, tc.versions) {
			t.Errorf("question %s: %+v, want a %s question in %v", tc.q, q, tc.kind, tc.versions)
		}
	}
	hardest := cb.Question("hardest_activity")
	if hardest.OptionsFrom != "activities" || hardest.Catalogue != "activities" || len(hardest.Options) != 14+2 ||
		hardest.Option("casework") == nil || hardest.Option("none") == nil || hardest.Option(survey.OtherID) == nil {
		t.Errorf("hardest_activity: from %q, catalogue %q, %d options", hardest.OptionsFrom, hardest.Catalogue, len(hardest.Options))
	}
	if rec := cb.Question("recommend"); rec.Catalogue != "tools" || len(rec.Options) != 40+2 || rec.Option("zetkin") == nil || rec.Option("in_person") != nil {
		t.Errorf("recommend: catalogue %q, %d options", rec.Catalogue, len(rec.Options))
	}
	tools := cb.Question("tools")
	if o := tools.Option("none"); o == nil || !o.Exclusive || !slices.Equal(o.Versions, []int{1}) {
		t.Errorf("tools none: %+v", o)
	}
	if o := tools.Option("in_person"); o == nil || o.Exclusive || !slices.Equal(o.Versions, []int{2}) {
		t.Errorf("tools in_person: %+v", o)
	}
	// What each activity showed first, per version.
	short := map[string][]*export.ShortlistEntry{}
	for _, s := range tools.Shortlists {
		short[s.Row] = append(short[s.Row], s)
	}
	// Events shows the same tools first in both versions; version 2 has
	// more behind More….
	if ev := short["events"]; len(ev) != 2 || !slices.Equal(ev[0].First, ev[1].First) || ev[0].First[0] != "facebook" {
		t.Errorf("events: %+v", ev)
	} else if len(ev[0].More) != 28-8 || len(ev[1].More) != 40-8 || !slices.Contains(ev[1].More, "zetkin") || !slices.Equal(ev[1].Versions, []int{2}) {
		t.Errorf("events behind More…: v1 %v, v2 %v", ev[0].More, ev[1].More)
	}
	if m := short["money"]; len(m) != 2 || !slices.Equal(m[0].Versions, []int{1}) || !slices.Equal(m[1].Versions, []int{2}) ||
		slices.Contains(m[0].First, "bank_app") || !slices.Contains(m[1].First, "bank_app") {
		t.Errorf("money: two shortlists, got %+v", m)
	}
	if c := short["casework"]; len(c) != 1 || !slices.Equal(c[0].Versions, []int{2}) {
		t.Errorf("casework: %+v", c)
	}
	// Version 2 shows a respondent's earlier picks on the first screen
	// too; version 1 did not.
	for row, es := range short {
		for _, e := range es {
			if want := slices.Contains(e.Versions, 2); e.EarlierPicks != want {
				t.Errorf("%s in versions %v: earlier picks first %v, want %v", row, e.Versions, e.EarlierPicks, want)
			}
		}
	}
	var out bytes.Buffer
	if err := cb.WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	_, rows := readCSV(t, out.Bytes())
	found := false
	for _, r := range rows {
		if r["kind"] == "shortlist" && r["question"] == "tools" && r["id"] == "money" && r["versions"] == "2" {
			found = strings.HasPrefix(r["shown_first"], "crowdfund;payments;bank_app;") && strings.Contains(r["behind_more"], "zetkin") &&
				r["earlier_picks_first"] == "1"
		}
		if r["kind"] == "shortlist" && r["versions"] == "1" && r["earlier_picks_first"] != "0" {
			t.Errorf("codebook.csv: version 1 showed earlier picks first: %v", r)
		}
		if r["kind"] != "shortlist" && r["earlier_picks_first"] != "" {
			t.Errorf("codebook.csv: earlier_picks_first on a %s row: %v", r["kind"], r)
		}
		if r["kind"] == "question" && r["id"] == "hardest_activity" && r["options_from"] != "activities" {
			t.Errorf("codebook.csv hardest_activity: %v", r)
		}
	}
	if !found {
		t.Errorf("codebook.csv has no shortlist row for money in version 2:\n%s", out.String())
	}
}

func TestExportsOfBothVersions(t *testing.T) {
	rs := bothVersions(t)
	def := builtin(t)
	for _, free := range []bool{false, true} {
		cb := observed(rs, def)
		opts := &export.Options{FreeText: free}
		header, wide := readCSV(t, encode(t, export.FormatWide, cb, opts, rs))
		if len(wide) != 2 {
			t.Fatalf("%d wide rows, want one per respondent", len(wide))
		}
		v1, v2 := wide[0], wide[1]
		// Coded answers export without free text.
		if v2["hardest_activity"] != "lobby" || v2["recommend"] != "mysociety" || v2["region"] != "london" || v2["role"] != "organiser" {
			t.Errorf("free=%v: coded answers of v2: %v", free, v2)
		}
		if v1["hardest_activity"] != "" || v2["tools.announce.in_person"] != "1" || v1["tools.events.none"] != "1" || v2["tools.announce.none"] != "0" {
			t.Errorf("free=%v: tools columns: v1 none %q, v2 in_person %q none %q", free, v1["tools.events.none"], v2["tools.announce.in_person"], v2["tools.announce.none"])
		}
		hasCol := func(c string) bool { return slices.Contains(header, c) }
		if hasCol("hardest") != free || hasCol("hard_why") != free || hasCol("tools.lobby.other_text") != free {
			t.Errorf("free=%v: free-text columns in the header: %v", free, header)
		}
		if free {
			if v2["tools.lobby.other_text"] != "Advice Pro; Justice app" || v1["tools.announce.other_text"] != "Mobilizon" || v1["hardest"] != "Too many chats" {
				t.Errorf("other_text: v2 %q, v1 %q", v2["tools.lobby.other_text"], v1["tools.announce.other_text"])
			}
		}
		// Long: a row for each name typed under Other….
		_, long := readCSV(t, encode(t, export.FormatLong, cb, opts, rs))
		var names []string
		for _, r := range long {
			if r["question"] == "tools" && r["option"] == survey.OtherID {
				names = append(names, r["item"]+":"+r["text"])
			}
		}
		want := []string{"announce:", "lobby:", "lobby:"}
		if free {
			want = []string{"announce:Mobilizon", "lobby:Advice Pro", "lobby:Justice app"}
		}
		if !slices.Equal(names, want) {
			t.Errorf("free=%v: long rows for Other…: %v, want %v", free, names, want)
		}
		// JSON Lines: every name, as stored.
		lines := bytes.Split(bytes.TrimSpace(encode(t, export.FormatJSONL, cb, opts, rs)), []byte("\n"))
		var one, two struct {
			Answers []struct {
				Question, Item, Other string
				Others                []string
			}
		}
		if err := json.Unmarshal(lines[0], &one); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(lines[1], &two); err != nil {
			t.Fatal(err)
		}
		for _, a := range two.Answers {
			if a.Item == "lobby" {
				if free && (a.Other != "Advice Pro" || !slices.Equal(a.Others, []string{"Advice Pro", "Justice app"})) || !free && (a.Other != "" || a.Others != nil) {
					t.Errorf("free=%v: JSONL lobby: %+v", free, a)
				}
			}
		}
		for _, a := range one.Answers {
			if a.Item == "announce" && (a.Others != nil || (free && a.Other != "Mobilizon")) {
				t.Errorf("free=%v: JSONL of a one-name answer changed: %+v", free, a)
			}
		}
	}
}

func TestDataPackageLicenceAndCodes(t *testing.T) {
	rs := bothVersions(t)
	cb := observed(rs, builtin(t))
	var dp struct {
		Licenses  []map[string]string `json:"licenses"`
		Resources []struct {
			Name   string
			Schema struct {
				Fields []struct {
					Name        string
					Constraints *struct{ Enum []string }
				}
			}
		}
	}
	read := func(opts *export.Options) {
		t.Helper()
		var buf bytes.Buffer
		enc, err := export.New(export.FormatZip, &buf, cb, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.Close(); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		f, err := zr.Open(export.FileDataPackage)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dp.Licenses = nil
		if err := json.NewDecoder(f).Decode(&dp); err != nil {
			t.Fatal(err)
		}
	}
	read(nil)
	if dp.Licenses != nil {
		t.Errorf("a licence stated by default: %v", dp.Licenses)
	}
	read(&export.Options{Licence: "CC-BY-4.0"})
	if len(dp.Licenses) != 1 || dp.Licenses[0]["name"] != "CC-BY-4.0" {
		t.Errorf("licenses = %v", dp.Licenses)
	}
	read(&export.Options{Licence: "https://example.org/licence"})
	if len(dp.Licenses) != 1 || dp.Licenses[0]["path"] != "https://example.org/licence" {
		t.Errorf("licenses = %v", dp.Licenses)
	}
	enum := func(table, col string) []string {
		for _, r := range dp.Resources {
			if r.Name != table {
				continue
			}
			for _, f := range r.Schema.Fields {
				if f.Name == col && f.Constraints != nil {
					return f.Constraints.Enum
				}
			}
		}
		return nil
	}
	if e := enum("wide", "region"); !slices.Contains(e, "outside_uk") || !slices.Contains(e, "scotland") || len(e) != 13 {
		t.Errorf("wide.region enum: %v", e)
	}
	if e := enum("wide", "hardest_activity"); !slices.Contains(e, "casework") || !slices.Contains(e, "none") || !slices.Contains(e, survey.OtherID) {
		t.Errorf("wide.hardest_activity enum: %v", e)
	}
	if e := enum("long", "option"); !slices.Contains(e, "in_person") || !slices.Contains(e, "none") || !slices.Contains(e, "zetkin") {
		t.Errorf("long.option enum: %v", e)
	}
	if e := enum("wide", "status"); !slices.Equal(e, []string{"completed", "active"}) {
		t.Errorf("wide.status enum: %v", e)
	}
	if e := enum("codebook", "kind"); !slices.Contains(e, "shortlist") {
		t.Errorf("codebook.kind enum: %v", e)
	}
	if e := enum("wide", "area"); e != nil {
		t.Errorf("a free-text column has codes: %v", e)
	}
}
