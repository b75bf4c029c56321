package export_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"toolmap/survey"
	"toolmap/survey/export"
)

func en(s string) survey.Text { return survey.Text{"en": s} }

func item(id, label string) *survey.Item { return &survey.Item{ID: id, Label: en(label)} }

func ptr[T any](v T) *T { return &v }

// fixture returns version v of a small survey with every kind of question.
// Version 1 has a question "old" that version 2 drops; version 2 adds the
// tool "zoom".
func fixture(t testing.TB, v int) *survey.Definition {
	t.Helper()
	tools := []*survey.Item{item("whatsapp", "WhatsApp"), item("paper", "Paper")}
	if v >= 2 {
		tools = append(tools, item("zoom", "Zoom"))
	}
	def := &survey.Definition{
		ID: "fixture", Version: v, DefaultLanguage: "en", Languages: []string{"en", "es"},
		Title:   survey.Text{"en": "Fixture", "es": "Prueba"},
		Consent: survey.Consent{Version: 1, Text: en("We store your answers."), Agree: en("I agree"), Decline: en("No thanks")},
		Thanks:  en("Thank you!"),
		Catalogues: []*survey.Catalogue{
			{ID: "activities", Set: "v1-test", Items: []*survey.Item{
				{ID: "announce", Label: survey.Text{"en": "Announcing", "es": "Anunciar"}}, item("events", "Events")}},
			{ID: "tools", Set: "v1-test", Items: tools},
		},
		Questions: []*survey.Question{
			{ID: "kind", Kind: survey.KindSingle, Text: en("What kind of group?"), Short: en("Kind"), Other: true,
				Options: []*survey.Item{item("choir", "Choir"), item("union", "Union")}},
			{ID: "size", Kind: survey.KindNumber, Text: en("How many people?"), MinValue: ptr(-100.0), MaxValue: ptr(10000.0)},
			{ID: "acts", Kind: survey.KindMulti, Text: en("Which activities?"), From: "activities", Other: true},
			{ID: "tools", Kind: survey.KindMatrix, Text: en("Tools for {item}?"), Rows: "acts", Columns: "tools", Other: true,
				Options: []*survey.Item{{ID: "none", Label: en("None"), Exclusive: true}}},
			{ID: "hard", Kind: survey.KindText, Text: en("What is hard?"), Optional: true},
		},
	}
	if v == 1 {
		def.Questions = append(def.Questions, &survey.Question{ID: "old", Kind: survey.KindMulti, Text: en("Old question"),
			Options: []*survey.Item{item("x", "X"), item("y", "Y")}})
	}
	if err := survey.Validate(def); err != nil {
		t.Fatalf("fixture v%d: %v", v, err)
	}
	return def
}

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func ans(q, item string, version int, values ...string) survey.Answer {
	return survey.Answer{Question: q, Item: item, Values: values, Version: version, At: t0.Add(time.Minute)}
}

// responses are three: a v1 response with the old question and Other…
// texts carrying injection payloads, a v2 response, and an unfinished one.
func responses() []export.Response {
	mk := func(id string, v int, status survey.Status, answers ...survey.Answer) export.Response {
		s := survey.Session{
			SurveyID: "fixture", Version: v, Language: "en", Status: status, Source: "-src",
			Consent: &survey.Consented{Version: 1, At: t0}, StartedAt: t0, UpdatedAt: t0.Add(3 * time.Minute),
			Answers: map[string]survey.Answer{},
		}
		if status == survey.StatusCompleted {
			s.CompletedAt = t0.Add(3 * time.Minute)
		}
		for _, a := range answers {
			s.Answers[a.Key()] = a
		}
		return export.Response{Respondent: id, Session: s}
	}
	kind := ans("kind", "", 1, "other")
	kind.Other = "=HYPERLINK(\"http://x\")"
	acts := ans("acts", "", 1, "announce", "other")
	acts.Other = "@SUM(1+1)"
	tools := ans("tools", "announce", 1, "whatsapp", "other")
	tools.Other = "+cmd|' /C calc'!A0"
	size := survey.Answer{Question: "size", Number: ptr(-12.5), Version: 1, At: t0}
	hard := survey.Answer{Question: "hard", Text: "\tTab first, then \"quotes\", commas, and\nnew lines", Version: 1, At: t0}
	r1 := mk("aaaaaaaaaaaaaaaa", 1, survey.StatusCompleted, kind, size, acts, tools,
		ans("tools", "other", 1, "paper"), hard, ans("old", "", 1, "y"))

	size2 := survey.Answer{Question: "size", Number: ptr(40.0), Version: 2, At: t0}
	r2 := mk("bbbbbbbbbbbbbbbb", 2, survey.StatusCompleted, ans("kind", "", 2, "choir"), size2,
		ans("acts", "", 2, "events"), ans("tools", "events", 2, "zoom", "paper"),
		survey.Answer{Question: "hard", Skipped: true, Version: 2, At: t0})

	r3 := mk("cccccccccccccccc", 2, survey.StatusActive, ans("kind", "", 2, "union"))
	return []export.Response{r1, r2, r3}
}

// encode runs an encoder over responses into a buffer.
func encode(t *testing.T, f export.Format, cb *export.Codebook, opts *export.Options, rs []export.Response) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := export.New(f, &buf, cb, opts)
	if err != nil {
		t.Fatalf("new %s: %v", f, err)
	}
	for _, r := range rs {
		if err := enc.Add(r); err != nil {
			t.Fatalf("add to %s: %v", f, err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatalf("close %s: %v", f, err)
	}
	return buf.Bytes()
}

// observed returns the codebook of the definitions, having observed rs.
func observed(rs []export.Response, defs ...*survey.Definition) *export.Codebook {
	cb := export.NewCodebook(defs...)
	for i := range rs {
		cb.Observe(&rs[i].Session)
	}
	return cb
}

func readCSV(t *testing.T, data []byte) (header []string, rows []map[string]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	header = recs[0]
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		rows = append(rows, m)
	}
	return header, rows
}

func TestLongCSVMatchesResponses(t *testing.T) {
	rs := responses()
	for _, free := range []bool{false, true} {
		t.Run(fmt.Sprintf("free-text=%v", free), func(t *testing.T) {
			cb := export.NewCodebook(fixture(t, 2))
			data := encode(t, export.FormatLong, cb, &export.Options{FreeText: free}, rs)
			header, rows := readCSV(t, data)
			if got := slices.Contains(header, "text"); got != free {
				t.Errorf("text column present = %v, want %v", got, free)
			}
			var got, want []string
			for _, r := range rows {
				got = append(got, strings.Join([]string{r["respondent"], r["status"], r["question"], r["item"], r["option"], r["number"], r["text"], r["skipped"]}, "|"))
			}
			for _, r := range rs {
				for _, a := range r.Session.Answers {
					row := func(opt, num, text, skipped string) {
						if !free {
							text = ""
						}
						want = append(want, strings.Join([]string{r.Respondent, string(r.Session.Status), a.Question, a.Item, opt, num, export.Neutralise(text), skipped}, "|"))
					}
					switch {
					case a.Skipped:
						row("", "", "", "1")
					case a.Number != nil:
						row("", strconv.FormatFloat(*a.Number, 'f', -1, 64), "", "0")
					case len(a.Values) == 0:
						if free {
							row("", "", a.Text, "0")
						}
					default:
						for _, v := range a.Values {
							text := ""
							if v == survey.OtherID {
								text = a.Other
							}
							row(v, "", text, "0")
						}
					}
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("long rows (-want +got):\n%s", d)
			}
			// Every row carries the common columns.
			for _, r := range rows {
				if r["survey"] != "fixture" || r["started_at"] != "2025-03-01T09:00:00Z" || r["duration_s"] != "180" || r["language"] != "en" || r["source"] != "'-src" {
					t.Errorf("common columns wrong: %v", r)
				}
			}
			if rows[0]["survey_version"] != "1" || rows[0]["completed_at"] != "2025-03-01T09:03:00Z" {
				t.Errorf("first row: %v", rows[0])
			}
			if !free && bytes.Contains(data, []byte("HYPERLINK")) {
				t.Error("free text in an export without --free-text")
			}
		})
	}
}

func TestWideCSVMatchesResponses(t *testing.T) {
	rs := responses()
	cb := observed(rs, fixture(t, 2)) // v2 only: "old" is known from the answers
	data := encode(t, export.FormatWide, cb, &export.Options{FreeText: true}, rs)
	header, rows := readCSV(t, data)
	if len(rows) != len(rs) {
		t.Fatalf("%d rows, want %d", len(rows), len(rs))
	}
	for _, col := range []string{"old", "old.y", "tools.announce.zoom", "tools.other.other_text", "acts.other_text", "kind.other_text", "hard"} {
		if !slices.Contains(header, col) {
			t.Errorf("no column %s in %v", col, header)
		}
	}
	for i, r := range rs {
		row := rows[i]
		if row["respondent"] != r.Respondent || row["status"] != string(r.Session.Status) {
			t.Errorf("row %d: respondent %s status %s", i, row["respondent"], row["status"])
		}
		for _, a := range r.Session.Answers {
			col := a.Key()
			col = strings.ReplaceAll(col, "/", ".")
			q := cb.Question(a.Question)
			switch {
			case a.Skipped:
				if !strings.Contains(row["skipped"], a.Key()) {
					t.Errorf("row %d: skipped = %q, want %s in it", i, row["skipped"], a.Key())
				}
			case a.Number != nil:
				if got, want := row[col], strconv.FormatFloat(*a.Number, 'f', -1, 64); got != want {
					t.Errorf("row %d %s = %q, want %q", i, col, got, want)
				}
			case len(a.Values) == 0:
				if got, want := row[col], export.Neutralise(a.Text); got != want {
					t.Errorf("row %d %s = %q, want %q", i, col, got, want)
				}
			default:
				if got, want := row[col], strings.Join(a.Values, ";"); got != want {
					t.Errorf("row %d %s = %q, want %q", i, col, got, want)
				}
				if q.Kind == survey.KindSingle {
					continue
				}
				for _, o := range q.Options {
					want := "0"
					if a.Has(o.ID) {
						want = "1"
					}
					if got := row[col+"."+o.ID]; got != want {
						t.Errorf("row %d %s.%s = %q, want %q", i, col, o.ID, got, want)
					}
				}
				if a.Has(survey.OtherID) {
					if got, want := row[col+".other_text"], export.Neutralise(a.Other); got != want {
						t.Errorf("row %d %s.other_text = %q, want %q", i, col, got, want)
					}
				}
			}
		}
	}
	// Not answered: empty, not 0.
	if got := rows[2]["acts.announce"]; got != "" {
		t.Errorf("unanswered 0/1 cell = %q, want empty", got)
	}
}

func TestWideNeedsObservedCodebook(t *testing.T) {
	rs := responses()
	enc := export.NewWideCSV(io.Discard, export.NewCodebook(fixture(t, 2)), nil)
	err := enc.Add(rs[0])
	if !errors.Is(err, export.ErrNotInCodebook) {
		t.Fatalf("Add of an unobserved question: %v, want ErrNotInCodebook", err)
	}
	enc.Close()
}

func TestJSONLinesMatchResponses(t *testing.T) {
	rs := responses()
	for _, free := range []bool{false, true} {
		t.Run(fmt.Sprintf("free-text=%v", free), func(t *testing.T) {
			data := encode(t, export.FormatJSONL, export.NewCodebook(fixture(t, 2)), &export.Options{FreeText: free}, rs)
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != len(rs) {
				t.Fatalf("%d lines, want %d", len(lines), len(rs))
			}
			type answer struct {
				Question, Item, Other, Text string
				Values                      []string
				Number                      *float64
				Skipped                     bool
				Version                     int
				At                          time.Time
			}
			for i, line := range lines {
				var got struct {
					Respondent, Survey, Status, Source, Language string
					SurveyVersion                                int       `json:"survey_version"`
					StartedAt                                    time.Time `json:"started_at"`
					DurationS                                    int       `json:"duration_s"`
					Answers                                      []answer
				}
				if err := json.Unmarshal([]byte(line), &got); err != nil {
					t.Fatalf("line %d: %v", i, err)
				}
				r := rs[i]
				s := r.Session
				if got.Respondent != r.Respondent || got.Survey != s.SurveyID || got.SurveyVersion != s.Version ||
					got.Status != string(s.Status) || got.Source != s.Source || !got.StartedAt.Equal(s.StartedAt) || got.DurationS != 180 {
					t.Errorf("line %d header: %+v", i, got)
				}
				want := []answer{}
				for _, a := range fixture(t, 2).SortedAnswers(&s) {
					if !free && a.Text != "" {
						continue
					}
					w := answer{Question: a.Question, Item: a.Item, Values: a.Values, Number: a.Number, Skipped: a.Skipped, Version: a.Version, At: a.At}
					if free {
						w.Other, w.Text = a.Other, a.Text
					}
					want = append(want, w)
				}
				if d := cmp.Diff(want, got.Answers); d != "" {
					t.Errorf("line %d answers (-want +got):\n%s", i, d)
				}
			}
		})
	}
}

// unneutralise undoes Neutralise, to compare CSV cells with XLSX ones.
func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && export.Neutralise(s[1:]) == s {
		return s[1:]
	}
	return s
}

func TestXLSXMatchesCSV(t *testing.T) {
	rs := responses()
	cb := observed(rs, fixture(t, 1), fixture(t, 2))
	opts := &export.Options{FreeText: true, Now: t0}
	x := encode(t, export.FormatXLSX, cb, opts, rs)
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatalf("excelize: %v", err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"README", "wide", "long", "codebook"}; !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	for _, tc := range []struct {
		sheet string
		csv   []byte
	}{
		{"wide", encode(t, export.FormatWide, cb, opts, rs)},
		{"long", encode(t, export.FormatLong, cb, opts, rs)},
		{"codebook", encode(t, export.FormatCodebook, cb, opts, nil)},
	} {
		want, err := csv.NewReader(bytes.NewReader(tc.csv)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.GetRows(tc.sheet)
		if err != nil {
			t.Fatalf("sheet %s: %v", tc.sheet, err)
		}
		for i := range want {
			for j := range want[i] {
				want[i][j] = unneutralise(want[i][j])
			}
			for len(got[i]) < len(want[i]) {
				got[i] = append(got[i], "")
			}
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("sheet %s differs from the CSV (-csv +xlsx):\n%s", tc.sheet, d)
		}
	}
	// Numbers are numbers, text is never a formula.
	for _, cell := range []struct{ sheet, col string }{{"wide", "size"}, {"wide", "duration_s"}, {"wide", "acts.announce"}} {
		hdr, _ := f.GetRows(cell.sheet)
		ci := slices.Index(hdr[0], cell.col)
		name, _ := excelize.CoordinatesToCellName(ci+1, 2)
		typ, err := f.GetCellType(cell.sheet, name)
		if err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s %s (%s): type %v, %v; want a number", cell.sheet, cell.col, name, typ, err)
		}
	}
	rows, _ := f.GetRows("long")
	for i, r := range rows {
		for j := range r {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if formula, _ := f.GetCellFormula("long", name); formula != "" {
				t.Errorf("long %s is a formula: %q", name, formula)
			}
		}
	}
}

func TestXLSXSplitsLongTables(t *testing.T) {
	old := export.MaxSheetRows
	export.MaxSheetRows = 4
	defer func() { export.MaxSheetRows = old }()
	rs := responses()
	cb := observed(rs, fixture(t, 2))
	x := encode(t, export.FormatXLSX, cb, nil, rs)
	f, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, want := f.GetSheetList(), []string{"README", "wide", "long", "long 2", "long 3", "long 4", "codebook"}; !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	long, _ := f.GetRows("long")
	long4, _ := f.GetRows("long 4")
	// 15 long rows: 4 + 4 + 4 + 3, each sheet with the header.
	if !slices.Equal(long[0], long4[0]) || len(long) != 5 || len(long4) != 4 {
		t.Errorf("long has %d rows, long 4 %d; headers %v / %v", len(long), len(long4), long[0], long4[0])
	}
}

func TestCSVInjectionIsNeutralised(t *testing.T) {
	payloads := []string{
		"=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\x00=1",
		"=HYPERLINK(\"http://evil\",\"x\")", "=cmd|' /C calc'!A0", "-2", "+44 20 7946 0000", "@handle",
	}
	for _, p := range payloads {
		t.Run(strconv.Quote(p), func(t *testing.T) {
			s := survey.Session{SurveyID: "fixture", Version: 2, Language: "en", Status: survey.StatusCompleted, Source: p,
				StartedAt: t0, UpdatedAt: t0, CompletedAt: t0, Answers: map[string]survey.Answer{}}
			for _, a := range []survey.Answer{
				{Question: "kind", Values: []string{"other"}, Other: p, Version: 2},
				{Question: "size", Number: ptr(-7.0), Version: 2},
				{Question: "hard", Text: p, Version: 2},
			} {
				s.Answers[a.Key()] = a
			}
			rs := []export.Response{{Respondent: "dddddddddddddddd", Session: s}}
			cb := observed(rs, fixture(t, 2))
			opts := &export.Options{FreeText: true}
			_, wide := readCSV(t, encode(t, export.FormatWide, cb, opts, rs))
			_, long := readCSV(t, encode(t, export.FormatLong, cb, opts, rs))
			want := "'" + p
			for _, got := range []string{wide[0]["kind.other_text"], wide[0]["hard"], wide[0]["source"], long[0]["text"], long[0]["source"], long[2]["text"]} {
				if got != want {
					t.Errorf("cell %q, want %q", got, want)
				}
			}
			if wide[0]["size"] != "-7" || long[1]["number"] != "-7" {
				t.Errorf("number cells %q, %q: want -7, never neutralised", wide[0]["size"], long[1]["number"])
			}
		})
	}
}

func TestNeutralise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""}, {"hello", "hello"}, {"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@x", "'@x"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"\x00x", "'\x00x"}, {" =1", " =1"}, {"'=1", "'=1"}, {"a=1", "a=1"},
	} {
		if got := export.Neutralise(tc.in); got != tc.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzNeutralise(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+", "-2", "@", "\t", "\r", "\x00", "plain", "'quoted", "\n=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := export.Neutralise(s)
		if got != "" && strings.ContainsRune("=+-@\t\r\x00", rune(got[0])) {
			t.Fatalf("Neutralise(%q) = %q starts with a formula character", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("Neutralise(%q) = %q: only a leading ' may be added", s, got)
		}
		if export.Neutralise(got) != got {
			t.Fatalf("Neutralise is not idempotent on %q", s)
		}
	})
}

func TestPseudonym(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	id := survey.RespondentID(123456789012)
	p := export.Pseudonym(k1, id)
	if len(p) != 16 || strings.Trim(p, "0123456789abcdef") != "" {
		t.Errorf("pseudonym %q is not 16 hex digits", p)
	}
	if export.Pseudonym(k1, id) != p {
		t.Error("pseudonym not stable")
	}
	if export.Pseudonym(k2, id) == p {
		t.Error("pseudonym does not change with the key")
	}
	if export.Pseudonym(k1, id+1) == p {
		t.Error("two ids share a pseudonym")
	}
	if strings.Contains(p, "123456789012") {
		t.Error("pseudonym holds the id")
	}
	// The documented derivation, as openssl computes it:
	//   printf 1 | openssl dgst -sha256 -hmac key
	if got, want := export.Pseudonym([]byte("key"), 1), "6da91fb91517be1f"; got != want {
		t.Errorf("Pseudonym(key, 1) = %s, want %s", got, want)
	}
}

func TestParseKey(t *testing.T) {
	hex64 := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		in   string
		n    int
		err  bool
	}{
		{"hex", hex64 + "\n", 32, false},
		{"raw", strings.Repeat("k", 40), 40, false},
		{"short hex", "abcd", 0, true},
		{"short raw", "too short", 0, true},
		{"empty", "  \n", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := export.ParseKey([]byte(tc.in))
			if tc.err {
				if !errors.Is(err, export.ErrShortKey) {
					t.Errorf("err = %v, want ErrShortKey", err)
				}
				return
			}
			if err != nil || len(k) != tc.n {
				t.Errorf("got %d bytes, %v; want %d", len(k), err, tc.n)
			}
		})
	}
}

func TestCodebookMergesVersions(t *testing.T) {
	cb := export.NewCodebook(fixture(t, 1), fixture(t, 2))
	for _, tc := range []struct {
		q, opt   string
		versions []int
	}{
		{"kind", "", []int{1, 2}},
		{"old", "", []int{1}},
		{"tools", "zoom", []int{2}},
		{"tools", "whatsapp", []int{1, 2}},
		{"acts", "other", []int{1, 2}},
	} {
		q := cb.Question(tc.q)
		if q == nil {
			t.Fatalf("no question %s", tc.q)
		}
		got := q.Versions
		if tc.opt != "" {
			o := q.Option(tc.opt)
			if o == nil {
				t.Fatalf("no option %s of %s", tc.opt, tc.q)
			}
			got = o.Versions
		}
		if !slices.Equal(got, tc.versions) {
			t.Errorf("%s %s: versions %v, want %v", tc.q, tc.opt, got, tc.versions)
		}
	}
	if got := cb.Surveys[0].Versions; !slices.Equal(got, []int{1, 2}) {
		t.Errorf("survey versions %v", got)
	}
	if row := cb.Question("tools").Row("announce"); row == nil || row.Label["es"] != "Anunciar" {
		t.Errorf("matrix row announce: %+v", row)
	}

	// With only v2, the old question comes from the answers.
	rs := responses()
	cb2 := observed(rs, fixture(t, 2))
	old := cb2.Question("old")
	if old == nil || old.InDefinition || !slices.Equal(old.Versions, []int{1}) || old.Option("y") == nil {
		t.Fatalf("observed old question: %+v", old)
	}

	var csvOut, jsonOut bytes.Buffer
	if err := cb.WriteCSV(&csvOut); err != nil {
		t.Fatal(err)
	}
	_, rows := readCSV(t, csvOut.Bytes())
	found := false
	for _, r := range rows {
		if r["kind"] == "row" && r["question"] == "tools" && r["id"] == "announce" {
			found = r["label_es"] == "Anunciar" && r["label_en"] == "Announcing" && r["set"] == "v1-test" && r["versions"] == "1;2"
		}
	}
	if !found {
		t.Errorf("codebook.csv lacks the row announce with both labels:\n%s", csvOut.String())
	}
	if err := cb.WriteJSON(&jsonOut); err != nil {
		t.Fatal(err)
	}
	var back export.Codebook
	if err := json.Unmarshal(jsonOut.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	merged := export.NewCodebook()
	merged.Merge(&back)
	if q := merged.Question("old"); q == nil || !slices.Equal(q.Versions, []int{1}) {
		t.Errorf("codebook read back and merged: old = %+v", q)
	}
}

func TestZipHoldsEveryLayout(t *testing.T) {
	rs := responses()
	cb := observed(rs, fixture(t, 2))
	opts := &export.Options{Now: t0}
	data := encode(t, export.FormatZip, cb, opts, rs)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc) // checks the CRC
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		rc.Close()
		if !f.Modified.Equal(t0) {
			t.Errorf("%s modified %v, want %v", f.Name, f.Modified, t0)
		}
	}
	for name, f := range map[string]export.Format{export.FileLong: export.FormatLong, export.FileWide: export.FormatWide, export.FileJSONL: export.FormatJSONL} {
		if want := encode(t, f, cb, opts, rs); !bytes.Equal(files[name], want) {
			t.Errorf("%s in the ZIP differs from the %s export", name, f)
		}
	}
	if _, err := excelize.OpenReader(bytes.NewReader(files[export.FileXLSX])); err != nil {
		t.Errorf("%s: %v", export.FileXLSX, err)
	}
	for _, name := range []string{export.FileReadme, export.FileCodebookCSV, export.FileCodebookJS} {
		if len(files[name]) == 0 {
			t.Errorf("no %s", name)
		}
	}
	// datapackage.json describes each CSV's header, field by field.
	var dp struct {
		Profile   string
		Resources []struct {
			Path   string
			Schema struct{ Fields []struct{ Name, Type string } }
		}
	}
	if err := json.Unmarshal(files[export.FileDataPackage], &dp); err != nil {
		t.Fatal(err)
	}
	if dp.Profile != "tabular-data-package" || len(dp.Resources) != 3 {
		t.Fatalf("datapackage: %+v", dp)
	}
	for _, r := range dp.Resources {
		header, _ := readCSV(t, files[r.Path])
		var names []string
		for _, f := range r.Schema.Fields {
			names = append(names, f.Name)
			if r.Path == export.FileLong && f.Name == "number" && f.Type != "number" {
				t.Errorf("long.number has type %s", f.Type)
			}
		}
		if d := cmp.Diff(header, names); d != "" {
			t.Errorf("datapackage fields of %s (-csv +schema):\n%s", r.Path, d)
		}
	}
}

func TestSpoolIsUsedAndClosed(t *testing.T) {
	rs := responses()
	cb := observed(rs, fixture(t, 2))
	var made, closed int
	opts := &export.Options{Spool: func() (export.Spool, error) {
		made++
		return &countingSpool{closed: &closed}, nil
	}}
	encode(t, export.FormatZip, cb, opts, rs)
	if made == 0 || closed != made {
		t.Errorf("spools made %d, closed %d", made, closed)
	}
}

type countingSpool struct {
	bytes.Buffer
	data   []byte
	off    int
	closed *int
}

func (c *countingSpool) Write(p []byte) (int, error) {
	c.data = append(c.data, p...)
	return len(p), nil
}
func (c *countingSpool) Read(p []byte) (int, error) {
	if c.off >= len(c.data) {
		return 0, io.EOF
	}
	n := copy(p, c.data[c.off:])
	c.off += n
	return n, nil
}
func (c *countingSpool) Seek(off int64, whence int) (int64, error) { c.off = int(off); return off, nil }
func (c *countingSpool) Close() error                              { *c.closed++; return nil }

// TestPersonalCodesNeverLeave: a respondent who came by another's personal
// link ("r-<code>") has source "referral" in every format, and the code is
// in no file: whoever was given the link knows its owner.
func TestPersonalCodesNeverLeave(t *testing.T) {
	rs := responses()
	const code = "r-Q3x9_kLm2AbZ"
	rs[1].Session.Source, rs[1].ReferredBy = code, "aaaaaaaaaaaaaaaa"
	// (XLSX and the ZIP write the same rows, compressed.)
	for _, f := range []export.Format{export.FormatLong, export.FormatWide, export.FormatJSONL} {
		cb := observed(rs, fixture(t, 1), fixture(t, 2))
		data := encode(t, f, cb, &export.Options{FreeText: true}, rs)
		if bytes.Contains(data, []byte(code[2:])) {
			t.Errorf("%s: the personal code is in the export", f)
		}
		if !bytes.Contains(data, []byte("referral")) {
			t.Errorf("%s: no source \"referral\"", f)
		}
	}
	if got := export.SourceOf("s-flyer"); got != "s-flyer" {
		t.Errorf("SourceOf(s-flyer) = %q", got)
	}
}
