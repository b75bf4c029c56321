package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"go.etcd.io/bbolt"

	"toolmap/cmd/internal/jobs"
	"toolmap/cmd/surveyfile"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
)

// persona answers version 1 of the default survey.
type persona struct {
	id         survey.RespondentID
	source     string
	kind       string // or "other" with kindOther
	kindOther  string
	acts       []string // may include "other" with actOther
	actOther   string
	tools      map[string][]string // per activity; "other" with toolOther
	toolOther  string
	area       string // "" skips
	hardest    string // "" skips
	stopBefore string // leave the survey unfinished at this question
}

func (p persona) inputs() []survey.Input {
	in := func(k survey.InputKind, opt string) survey.Input { return survey.Input{Kind: k, Option: opt} }
	text := func(s string) survey.Input { return survey.Input{Kind: survey.InputText, Text: s} }
	ins := []survey.Input{{Kind: survey.InputStart, Text: p.source}, in(survey.InputAgree, "")}
	add := func(q string, more ...survey.Input) bool {
		if q == p.stopBefore {
			return false
		}
		ins = append(ins, more...)
		return true
	}
	kind := []survey.Input{in(survey.InputChoose, p.kind)}
	if p.kind == survey.OtherID {
		kind = append(kind, text(p.kindOther))
	}
	if !add("group_kind", kind...) || !add("size", in(survey.InputChoose, "to_30")) || !add("formality", in(survey.InputChoose, "informal")) {
		return ins
	}
	area := in(survey.InputSkip, "")
	if p.area != "" {
		area = text(p.area)
	}
	if !add("area", area) {
		return ins
	}
	var acts []survey.Input
	for _, a := range p.acts {
		acts = append(acts, in(survey.InputToggle, a))
		if a == survey.OtherID {
			acts = append(acts, text(p.actOther))
		}
	}
	if !add("activities", append(acts, in(survey.InputDone, ""))...) {
		return ins
	}
	for _, a := range p.acts {
		var tools []survey.Input
		for _, tool := range p.tools[a] {
			tools = append(tools, in(survey.InputToggle, tool))
			if tool == survey.OtherID {
				tools = append(tools, text(p.toolOther))
			}
		}
		if !add("tools", append(tools, in(survey.InputDone, ""))...) {
			return ins
		}
	}
	if p.hardest == "" {
		add("hardest", in(survey.InputSkip, ""))
		return ins
	}
	if add("hardest", text(p.hardest)) {
		add("quote_ok", in(survey.InputChoose, "yes"))
	}
	return ins
}

// Ids large enough never to turn up in an export by chance.
const idBase = 7_310_000_000_000

var personas = []persona{
	{id: idBase + 1, source: "-payload", kind: survey.OtherID, kindOther: "=HYPERLINK(\"http://evil\")",
		acts: []string{"announce", "events", survey.OtherID}, actOther: "@Allotment",
		tools:     map[string][]string{"announce": {"whatsapp", "paper"}, "events": {"facebook", survey.OtherID}, survey.OtherID: {"none"}},
		toolOther: "+Bandcamp", area: "-Leeds", hardest: "=cmd|' /C calc'!A0 Everything lives in someone's head"},
	{id: idBase + 2, kind: "union", acts: []string{"coordinate"}, tools: map[string][]string{"coordinate": {"signal", "discord"}}},
	{id: idBase + 3, source: "r-abc", kind: "arts", acts: []string{"money", "records"},
		tools: map[string][]string{"money": {"crowdfund"}, "records": {"spreadsheet", "paper"}}, area: "Bristol", hardest: "Keeping the list up to date"},
	{id: idBase + 4, kind: "faith", stopBefore: "activities"}, // unfinished
}

// awaitingConsent starts the survey and stops at the consent notice.
const awaitingConsent = idBase + 5

type exportFixture struct {
	dir, db, key string
	def          *survey.Definition
	keyBytes     []byte
}

// newExportFixture answers the default survey as the personas, through
// the real engine and store, and writes a study key file.
func newExportFixture(t testing.TB) *exportFixture {
	t.Helper()
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := &exportFixture{dir: t.TempDir(), def: def}
	f.db = filepath.Join(f.dir, "toolmap.db")
	db, err := store.Open(f.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	// The personas answered version 1 of the built-in survey, as people
	// did before version 2: exports read them with the codebook of both.
	v1 := def.Earlier[0]
	step := func(id survey.RespondentID, in survey.Input) {
		now = now.Add(7 * time.Second)
		if _, err := db.Step(id, func(s survey.Session) (survey.Session, []survey.Event, error) {
			return survey.Step(v1, s, in, now)
		}); err != nil {
			t.Fatalf("respondent %d, %s: %v", id, in.Kind, err)
		}
	}
	for _, p := range personas {
		for _, in := range p.inputs() {
			step(p.id, in)
		}
		s, _, _ := db.Session(p.id)
		if want := p.stopBefore == ""; (s.Status == survey.StatusCompleted) != want {
			t.Fatalf("respondent %d: status %s, cursor %v", p.id, s.Status, s.Cursor)
		}
	}
	step(awaitingConsent, survey.Input{Kind: survey.InputStart})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	f.keyBytes = bytes.Repeat([]byte{0x5a}, 32)
	f.key = f.writeKey(t, "study.key", f.keyBytes)
	return f
}

func (f *exportFixture) writeKey(t testing.TB, name string, key []byte) string {
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sessions returns the stored completed responses (and with partial, the
// unfinished sessions) by pseudonym.
func (f *exportFixture) sessions(t testing.TB, partial bool) map[string]survey.Session {
	t.Helper()
	db, err := store.Open(f.db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]survey.Session{}
	err = db.Export(context.Background(), store.ExportOptions{Partial: partial}, func(id survey.RespondentID, s survey.Session) error {
		out[export.Pseudonym(f.keyBytes, id)] = s
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// export runs toolmap export into out (in the fixture's directory) and
// returns the file.
func (f *exportFixture) export(t *testing.T, out string, args ...string) []byte {
	t.Helper()
	path := filepath.Join(f.dir, out)
	args = append([]string{"export", "--db", f.db, "--key-file", f.key, "--out", path}, args...)
	stdout, stderr, err := runCmd(t, "", args...)
	if err != nil {
		t.Fatalf("toolmap %s: %v\n%s%s", strings.Join(args, " "), err, stdout, stderr)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", out, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []survey.RespondentID{personas[0].id, personas[1].id, personas[2].id, personas[3].id, awaitingConsent} {
		if bytes.Contains(data, []byte(strconv.FormatInt(int64(id), 10))) {
			t.Errorf("%s holds the raw id %d", out, id)
		}
	}
	f.noLeftovers(t)
	return data
}

// noLeftovers checks that no temporary file is left in the directory.
func (f *exportFixture) noLeftovers(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func csvRows(t *testing.T, data []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// cells lists an answer's long rows as "respondent question item option text".
func longCells(pid string, s survey.Session, freeText bool) []string {
	var out []string
	for _, a := range s.Answers {
		row := func(opt, text string) {
			if !freeText {
				text = ""
			}
			out = append(out, strings.Join([]string{pid, a.Question, a.Item, opt, export.Neutralise(text)}, "|"))
		}
		switch {
		case a.Skipped:
			row("", "")
		case len(a.Values) == 0:
			if freeText {
				row("", a.Text)
			}
		default:
			for _, v := range a.Values {
				other := ""
				if v == survey.OtherID {
					other = a.Other
				}
				row(v, other)
			}
		}
	}
	return out
}

func TestExportLongCSVMatchesTheStore(t *testing.T) {
	f := newExportFixture(t)
	for _, tc := range []struct {
		name          string
		args          []string
		free, partial bool
	}{
		{"default", nil, false, false},
		{"free text", []string{"--free-text"}, true, false},
		{"partial", []string{"--include-partial"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := f.export(t, "long.csv", append([]string{"--format", "csv"}, tc.args...)...)
			stored := f.sessions(t, tc.partial)
			var got, want []string
			statuses := map[string]string{}
			for _, r := range csvRows(t, data) {
				got = append(got, strings.Join([]string{r["respondent"], r["question"], r["item"], r["option"], r["text"]}, "|"))
				statuses[r["respondent"]] = r["status"]
				if s := stored[r["respondent"]]; r["survey_version"] != "1" || r["language"] != s.Language || r["started_at"] != s.StartedAt.UTC().Format(time.RFC3339) || r["source"] != export.Neutralise(export.SourceOf(s.Source)) {
					t.Errorf("common columns of %v", r)
				}
			}
			for pid, s := range stored {
				want = append(want, longCells(pid, s, tc.free)...)
				if statuses[pid] != string(s.Status) {
					t.Errorf("%s: status %q, want %q", pid, statuses[pid], s.Status)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("long rows:\n got %q\nwant %q", got, want)
			}
			if tc.partial != slices.Contains(slices.Collect(mapValues(statuses)), "active") {
				t.Errorf("statuses %v with include-partial %v", statuses, tc.partial)
			}
			for _, secret := range []string{"Everything lives", "Leeds", "Bristol", "Bandcamp", "Allotment", "HYPERLINK"} {
				if bytes.Contains(data, []byte(secret)) != tc.free {
					t.Errorf("free text %q present = %v, want %v", secret, !tc.free, tc.free)
				}
			}
		})
	}
}

func mapValues[K comparable, V any](m map[K]V) func(func(V) bool) {
	return func(yield func(V) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}

func TestExportInjectionIsNeutralised(t *testing.T) {
	f := newExportFixture(t)
	pid := export.Pseudonym(f.keyBytes, personas[0].id)
	long := csvRows(t, f.export(t, "long.csv", "--format", "csv", "--free-text"))
	wide := csvRows(t, f.export(t, "wide.csv", "--format", "csv", "--layout", "wide", "--free-text"))
	var texts []string
	for _, r := range long {
		if r["respondent"] == pid && r["text"] != "" {
			texts = append(texts, r["question"]+"/"+r["item"]+": "+r["text"])
		}
		if r["respondent"] == pid && r["source"] != "'-payload" {
			t.Errorf("source %q, want '-payload", r["source"])
		}
	}
	slices.Sort(texts)
	want := []string{
		"activities/: '@Allotment",
		"area/: '-Leeds",
		"group_kind/: '=HYPERLINK(\"http://evil\")",
		"hardest/: '=cmd|' /C calc'!A0 Everything lives in someone's head",
		"tools/events: '+Bandcamp",
	}
	if !slices.Equal(texts, want) {
		t.Errorf("long text cells:\n got %q\nwant %q", texts, want)
	}
	for _, r := range wide {
		if r["respondent"] != pid {
			continue
		}
		for col, want := range map[string]string{
			"group_kind.other_text": "'=HYPERLINK(\"http://evil\")", "area": "'-Leeds", "activities.other_text": "'@Allotment",
			"tools.events.other_text": "'+Bandcamp", "tools.other": "none", "tools.other.none": "1", "duration_s": r["duration_s"],
		} {
			if r[col] != want {
				t.Errorf("wide %s = %q, want %q", col, r[col], want)
			}
		}
		if _, err := strconv.Atoi(r["duration_s"]); err != nil {
			t.Errorf("duration_s %q is not a number", r["duration_s"])
		}
	}
}

func TestExportEveryFormatAgrees(t *testing.T) {
	f := newExportFixture(t)
	long := f.export(t, "long.csv", "--format", "csv", "--include-partial")
	wide := f.export(t, "wide.csv", "--format", "csv", "--layout", "wide", "--include-partial")
	jsonl := f.export(t, "responses.jsonl", "--format", "jsonl", "--include-partial")
	xlsx := f.export(t, "responses.xlsx", "--format", "xlsx", "--include-partial")
	zipped := f.export(t, "export.zip", "--include-partial")
	stored := f.sessions(t, true)

	// JSON Lines, line by line, against the store.
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	lines := 0
	for sc.Scan() {
		lines++
		var got struct {
			Respondent string
			Status     string
			Answers    []struct {
				Question, Item string
				Values         []string
				Skipped        bool
				Version        int
			}
		}
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", lines, err)
		}
		s, ok := stored[got.Respondent]
		if !ok || got.Status != string(s.Status) {
			t.Fatalf("line %d: respondent %s status %s not stored", lines, got.Respondent, got.Status)
		}
		n := 0
		for _, a := range got.Answers {
			st, ok := s.Answers[survey.Cursor{Question: a.Question, Item: a.Item}.Key()]
			if !ok || !slices.Equal(a.Values, st.Values) || a.Skipped != st.Skipped || a.Version != st.Version {
				t.Errorf("line %d: answer %+v, stored %+v", lines, a, st)
			}
			n++
		}
		texts := 0
		for _, a := range s.Answers {
			if a.Text != "" {
				texts++
			}
		}
		if n != len(s.Answers)-texts {
			t.Errorf("line %d: %d answers, stored %d (of which %d text)", lines, n, len(s.Answers), texts)
		}
	}
	if lines != len(stored) {
		t.Errorf("%d lines, want %d", lines, len(stored))
	}

	// XLSX, with a reader library, against the CSV files.
	x, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	for sheet, data := range map[string][]byte{"long": long, "wide": wide} {
		want, _ := csv.NewReader(bytes.NewReader(data)).ReadAll()
		got, err := x.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("sheet %s: %d rows, CSV %d", sheet, len(got), len(want))
		}
		for i := range want {
			for len(got[i]) < len(want[i]) {
				got[i] = append(got[i], "")
			}
			for j := range want[i] {
				if w := want[i][j]; got[i][j] != w && "'"+got[i][j] != w {
					t.Errorf("sheet %s row %d col %s: %q, CSV %q", sheet, i+1, want[0][j], got[i][j], w)
				}
			}
		}
	}

	// The ZIP holds the same files.
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		rc, _ := zf.Open()
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		switch zf.Name {
		case export.FileLong:
			if !bytes.Equal(data, long) {
				t.Error("long.csv in the ZIP differs")
			}
		case export.FileWide:
			if !bytes.Equal(data, wide) {
				t.Error("wide.csv in the ZIP differs")
			}
		case export.FileJSONL:
			if !bytes.Equal(data, jsonl) {
				t.Error("responses.jsonl in the ZIP differs")
			}
		}
	}
	slices.Sort(names)
	if want := []string{"README.txt", "codebook.csv", "codebook.json", "datapackage.json", "long.csv", "responses.jsonl", "responses.xlsx", "wide.csv"}; !slices.Equal(names, want) {
		t.Errorf("ZIP entries %v, want %v", names, want)
	}
}

func TestExportPseudonymsStableAndKeyed(t *testing.T) {
	f := newExportFixture(t)
	ids := func(data []byte) []string {
		var out []string
		for _, r := range csvRows(t, data) {
			out = append(out, r["respondent"])
		}
		return out
	}
	a := ids(f.export(t, "a.csv", "--format", "csv", "--layout", "wide"))
	b := ids(f.export(t, "b.csv", "--format", "csv", "--layout", "wide"))
	f.key = f.writeKey(t, "other.key", bytes.Repeat([]byte{0x33}, 32))
	c := ids(f.export(t, "c.csv", "--format", "csv", "--layout", "wide"))
	if len(a) != 3 || !slices.Equal(a, b) {
		t.Errorf("two exports with one key: %v and %v", a, b)
	}
	for i := range a {
		if a[i] == c[i] || len(c[i]) != 16 {
			t.Errorf("pseudonym %s under another key: %s", a[i], c[i])
		}
	}
	// The key from the environment gives the same pseudonyms as the file.
	t.Setenv(jobs.StudyKeyEnv, hex.EncodeToString(f.keyBytes))
	out := filepath.Join(f.dir, "env.csv")
	if _, stderr, err := runCmd(t, "", "export", "--db", f.db, "--out", out, "--format", "csv", "--layout", "wide"); err != nil {
		t.Fatalf("export with %s: %v %s", jobs.StudyKeyEnv, err, stderr)
	}
	data, _ := os.ReadFile(out)
	if got := ids(data); !slices.Equal(got, a) {
		t.Errorf("key from the environment: %v, want %v", got, a)
	}
}

func TestExportTwoSurveyVersions(t *testing.T) {
	f := newExportFixture(t) // version 1 responses
	def, err := surveyfile.Default()
	if err != nil {
		t.Fatal(err)
	}
	// A made-up version 2 of version 1, without size and with formality
	// reworded, given alone: version 1's definition is not at hand.
	v2 := def.Earlier[0]
	v2.Version = 2
	v2.Questions = slices.DeleteFunc(v2.Questions, func(q *survey.Question) bool { return q.ID == "size" })
	// formality is reworded: the same id, so the same column.
	for _, q := range v2.Questions {
		if q.ID == "formality" {
			q.Text = survey.Text{"en": "How formal is your group now?", "es": "¿Qué tan formal es tu grupo ahora?"}
		}
	}
	if err := survey.Validate(v2); err != nil {
		t.Fatal(err)
	}
	// One respondent answers version 2.
	db, err := store.Open(f.db, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
	p := persona{id: idBase + 9, kind: "sport", acts: []string{"events"}, tools: map[string][]string{"events": {"meetup"}}}
	for _, in := range p.inputs() {
		if in.Kind == survey.InputChoose && in.Option == "to_30" {
			continue // no size question in v2
		}
		now = now.Add(time.Second)
		if _, err := db.Step(p.id, func(s survey.Session) (survey.Session, []survey.Event, error) { return survey.Step(v2, s, in, now) }); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	stats, err := db.WriteExport(t.Context(), &buf, store.ExportFile{Defs: []*survey.Definition{v2}, Key: f.keyBytes, Format: export.FormatZip})
	db.Close()
	if err != nil || stats.Completed != 4 {
		t.Fatalf("export: %+v, %v", stats, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []map[string]string {
		rc, err := zr.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		data, _ := io.ReadAll(rc)
		return csvRows(t, data)
	}
	versions := map[string]string{}
	for _, r := range read(export.FileWide) {
		versions[r["survey_version"]] += r["size"] + "/" + r["formality"] + ","
	}
	if versions["1"] != "to_30/informal,to_30/informal,to_30/informal," || versions["2"] != "/informal," {
		t.Errorf("size/formality columns by version: %q", versions)
	}
	found, reworded := false, false
	for _, r := range read(export.FileCodebookCSV) {
		if r["kind"] == "question" && r["id"] == "size" {
			found = r["in_definition"] == "0" && r["versions"] == "1"
		}
		if r["kind"] == "question" && r["id"] == "formality" {
			reworded = r["text_en"] == "How formal is your group now?" && r["in_definition"] == "1" && r["versions"] == "1;2"
		}
	}
	if !found {
		t.Error("codebook: size should be listed, found only in answers of version 1")
	}
	if !reworded {
		t.Error("codebook: formality should have the wording of version 2, and the versions 1 (from the answers) and 2")
	}
	long := read(export.FileLong)
	byVersion := map[string]int{}
	for _, r := range long {
		if r["question"] == "formality" {
			byVersion[r["answer_version"]]++
		}
	}
	if byVersion["1"] != 3 || byVersion["2"] != 1 {
		t.Errorf("long rows of formality by answer version: %v", byVersion)
	}
}

func TestExportFailureLeavesNothing(t *testing.T) {
	f := newExportFixture(t)
	out := filepath.Join(f.dir, "export.zip")
	t.Run("corrupt record", func(t *testing.T) {
		b, err := bbolt.Open(f.db, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = b.Update(func(tx *bbolt.Tx) error {
			k, _ := tx.Bucket([]byte("responses")).Cursor().Last()
			return tx.Bucket([]byte("responses")).Put(k, []byte("{broken"))
		})
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range []string{"csv", "jsonl", "xlsx", "zip"} {
			_, _, err := runCmd(t, "", "export", "--db", f.db, "--key-file", f.key, "--out", out, "--format", format)
			if !errors.Is(err, store.ErrCorrupt) {
				t.Errorf("%s: %v, want ErrCorrupt", format, err)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s: a failed export left %s", format, out)
			}
			f.noLeftovers(t)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var o, e bytes.Buffer
		err := run(ctx, []string{"export", "--db", f.db, "--key-file", f.key, "--out", out}, strings.NewReader(""), &o, &e)
		if err == nil {
			t.Fatal("a cancelled export succeeded")
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("a cancelled export left %s", out)
		}
		f.noLeftovers(t)
	})
}

func TestExportErrors(t *testing.T) {
	f := newExportFixture(t)
	out := filepath.Join(f.dir, "x.csv")
	t.Run("no key", func(t *testing.T) {
		t.Setenv(jobs.StudyKeyEnv, "")
		_, _, err := runCmd(t, "", "export", "--db", f.db, "--out", out)
		if err == nil || !strings.Contains(err.Error(), jobs.StudyKeyEnv) || !strings.Contains(err.Error(), "head -c 32 /dev/urandom") {
			t.Errorf("no key: %v", err)
		}
	})
	t.Run("short key", func(t *testing.T) {
		t.Setenv(jobs.StudyKeyEnv, "0123abcd")
		_, _, err := runCmd(t, "", "export", "--db", f.db, "--out", out)
		if !errors.Is(err, export.ErrShortKey) {
			t.Errorf("short key: %v", err)
		}
	})
	t.Run("locked by a running bot", func(t *testing.T) {
		db := openStore(t, f.db)
		defer db.Close()
		_, _, err := runCmd(t, "", "export", "--db", f.db, "--key-file", f.key, "--out", out)
		// Locked, and no admin endpoint answering: a clear error, no file.
		if err == nil || !strings.Contains(err.Error(), "admin endpoint") {
			t.Errorf("locked: %v", err)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed export left %s: %v", out, err)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"--format", "pdf"}, {"--format", "csv", "--layout", "tall"}, {"--format", "zip", "--layout", "wide"},
			{"--since", "yesterday"}, {"--since", "2025-03-02", "--until", "2025-03-01"},
		} {
			_, _, err := runCmd(t, "", append([]string{"export", "--db", f.db, "--key-file", f.key, "--out", out}, args...)...)
			if exitCode(err) != 2 {
				t.Errorf("%v: %v, want exit status 2", args, err)
			}
		}
		if _, _, err := runCmd(t, "", "export", "--db", f.db); exitCode(err) != 2 {
			t.Errorf("without --out: %v", err)
		}
	})
	t.Run("no database", func(t *testing.T) {
		_, _, err := runCmd(t, "", "export", "--db", filepath.Join(f.dir, "missing.db"), "--key-file", f.key, "--out", out)
		if err == nil || !strings.Contains(err.Error(), "no database") {
			t.Errorf("missing database: %v", err)
		}
		if _, err := os.Stat(filepath.Join(f.dir, "missing.db")); !os.IsNotExist(err) {
			t.Error("export created a database")
		}
	})
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s", out)
	}
}

func TestExportSinceUntil(t *testing.T) {
	f := newExportFixture(t) // all answered on 2025-03-01
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--since", "2025-03-01"}, 3},
		{[]string{"--until", "2025-03-01"}, 3},
		{[]string{"--until", "2025-02-28"}, 0},
		{[]string{"--since", "2025-03-02"}, 0},
		{[]string{"--since", "2025-03-01T00:00:00Z", "--until", "2025-03-01T23:59:59Z"}, 3},
	} {
		data := f.export(t, "r.csv", append([]string{"--format", "csv", "--layout", "wide"}, tc.args...)...)
		if got := len(csvRows(t, data)); got != tc.want {
			t.Errorf("%v: %d responses, want %d", tc.args, got, tc.want)
		}
	}
}

// Benchmarks: 100,000 realistic responses to the default survey, written
// straight into a bbolt file (NoSync) once per benchmark, then exported
// with exportTo as the command does (two passes for the wide columns;
// spooled to temporary files). Set TOOLMAP_BENCH_DB=FILE to keep (and
// reuse) the database, e.g. to time the command itself:
//
//	TOOLMAP_BENCH_DB=/tmp/bench.db go test ./cmd/toolmap -run '^$' -bench Export -benchtime 1x
//	/usr/bin/time -v toolmap export --db /tmp/bench.db --key-file k --format csv --out /tmp/x.csv

const benchResponses = 100_000

func BenchmarkExportCSV(b *testing.B)  { benchExport(b, export.FormatLong) }
func BenchmarkExportWide(b *testing.B) { benchExport(b, export.FormatWide) }
func BenchmarkExportXLSX(b *testing.B) { benchExport(b, export.FormatXLSX) }
func BenchmarkExportZip(b *testing.B)  { benchExport(b, export.FormatZip) }

func benchExport(b *testing.B, format export.Format) {
	def, err := surveyfile.Default()
	if err != nil {
		b.Fatal(err)
	}
	path := os.Getenv("TOOLMAP_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	if _, err := os.Stat(path); err != nil {
		writeBenchResponses(b, path, def, benchResponses)
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	dir := b.TempDir()
	key := bytes.Repeat([]byte{7}, 32)
	runtime.GC()
	debug.FreeOSMemory()
	base := rssAnon()
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if v := rssAnon(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	var size int64
	b.ResetTimer()
	for b.Loop() {
		out, err := os.Create(filepath.Join(dir, "out"))
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(out, 1<<20)
		stats, err := db.WriteExport(b.Context(), bw, store.ExportFile{
			Defs: []*survey.Definition{def}, Key: key, Format: format, SpoolDir: dir, Now: time.Now(),
		})
		if err == nil {
			err = bw.Flush()
		}
		if err != nil || stats.Completed != benchResponses {
			b.Fatalf("export: %+v, %v", stats, err)
		}
		fi, _ := out.Stat()
		size = fi.Size()
		out.Close()
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(size)/1e6, "out-MB")
	b.ReportMetric(float64(base)/1e6, "rss-anon-before-MB")
	b.ReportMetric(float64(peak.Load())/1e6, "rss-anon-peak-MB")
}

// rssAnon returns the process's resident anonymous memory (heap, stacks:
// not the database's file pages, which the kernel can drop at any time).
func rssAnon() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "RssAnon:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// writeBenchResponses writes n completed responses to the default survey,
// shaped like real ones: one to five activities, one to four tools each
// (sometimes None, sometimes Other…), optional area and free text, in
// English or Spanish, through the store's own ApplyStep, 1,000 per commit.
func writeBenchResponses(tb testing.TB, path string, def *survey.Definition, n int) {
	tb.Helper()
	db, err := store.Open(path, &store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	ids := func(q string) []string {
		var out []string
		for _, c := range def.Catalogues {
			if (q == "activities" && c.ID == "activities") || (q == "tools" && c.ID == "tools") {
				for _, it := range c.Items {
					out = append(out, it.ID)
				}
			}
		}
		if qq := def.Question(q); qq != nil {
			for _, it := range qq.Options {
				out = append(out, it.ID)
			}
		}
		return out
	}
	kinds, sizes, forms := ids("group_kind"), ids("size"), ids("formality")
	acts, tools := ids("activities"), ids("tools")
	tools = slices.DeleteFunc(tools, func(s string) bool { return s == "none" })
	shortlist := def.Question("tools").Shortlist
	areas := []string{"Leeds", "Bristol", "Glasgow", "Cardiff", "Hackney, London", "Madrid", "Sevilla", "Belfast"}
	hards := []string{
		"Everyone uses a different app and nobody reads the email.",
		"Keeping the member list up to date when people move on.",
		"Money: we never know who has paid, and the bank app is awful.",
		"Finding a time that suits everyone; half of us are on shifts.",
	}
	pick := func(from []string, k int) []string {
		idx := rng.Perm(len(from))[:k]
		slices.Sort(idx)
		out := make([]string, k)
		for i, j := range idx {
			out[i] = from[j]
		}
		return out
	}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	const batch = 1000
	for first := 0; first < n; first += batch {
		err := db.Update(func(tx *store.Tx) error {
			for i := first; i < min(first+batch, n); i++ {
				id := survey.RespondentID(idBase + int64(i))
				t := start.Add(time.Duration(i) * 37 * time.Second)
				at := t
				next := func() time.Time { at = at.Add(time.Duration(3+rng.IntN(20)) * time.Second); return at }
				s := survey.Session{
					SurveyID: def.ID, Version: def.Version, Language: "en", Status: survey.StatusCompleted,
					Consent: &survey.Consented{Version: 1, At: t}, StartedAt: t, Answers: map[string]survey.Answer{},
				}
				if rng.IntN(4) == 0 {
					s.Language = "es"
				}
				if rng.IntN(5) == 0 {
					s.Source = fmt.Sprintf("r-%05d", rng.IntN(20000))
				}
				put := func(a survey.Answer) {
					a.Version, a.At = def.Version, next()
					s.Answers[a.Key()] = a
					s.History = append(s.History, a.Cursor())
				}
				kind := survey.Answer{Question: "group_kind", Values: []string{kinds[rng.IntN(len(kinds))]}}
				if rng.IntN(20) == 0 {
					kind.Values, kind.Other = []string{survey.OtherID}, "Allotment society"
				}
				put(kind)
				put(survey.Answer{Question: "size", Values: []string{sizes[rng.IntN(len(sizes))]}})
				put(survey.Answer{Question: "formality", Values: []string{forms[rng.IntN(len(forms))]}})
				if rng.IntN(10) < 7 {
					put(survey.Answer{Question: "area", Text: areas[rng.IntN(len(areas))]})
				} else {
					put(survey.Answer{Question: "area", Skipped: true})
				}
				picked := pick(acts, 1+rng.IntN(5))
				act := survey.Answer{Question: "activities", Values: picked}
				if rng.IntN(20) == 0 {
					act.Values, act.Other = append(slices.Clone(picked), survey.OtherID), "Litter picks"
					picked = append(picked, survey.OtherID)
				}
				put(act)
				for _, a := range picked {
					row := survey.Answer{Question: "tools", Item: a}
					switch r := rng.IntN(20); {
					case r == 0:
						row.Values = []string{"none"}
					default:
						from := shortlist[a]
						if len(from) == 0 || rng.IntN(8) == 0 {
							from = tools
						}
						row.Values = pick(from, 1+rng.IntN(min(4, len(from))))
						if r == 1 {
							row.Values, row.Other = append(row.Values, survey.OtherID), "Bandcamp"
						}
					}
					put(row)
				}
				if rng.IntN(10) < 4 {
					put(survey.Answer{Question: "hardest", Text: hards[rng.IntN(len(hards))]})
					put(survey.Answer{Question: "quote_ok", Values: []string{[]string{"no", "yes"}[rng.IntN(2)]}})
				} else {
					put(survey.Answer{Question: "hardest", Skipped: true})
				}
				s.UpdatedAt, s.CompletedAt = at, at
				if err := tx.ApplyStep(id, survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func TestExportProgress(t *testing.T) {
	f := newExportFixture(t)
	db, err := store.Open(f.db, &store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	p := &exportProgress{w: &buf}
	_, err = db.WriteExport(t.Context(), io.Discard, store.ExportFile{Defs: []*survey.Definition{f.def}, Key: f.keyBytes, Format: export.FormatLong, Progress: p.show})
	p.done()
	if err != nil || !strings.Contains(buf.String(), "writing 3 of 3 responses (100%)") {
		t.Errorf("progress %q, %v", buf.String(), err)
	}

	// Through the running bot: what has come, in MB.
	buf.Reset()
	p = &exportProgress{w: &buf}
	var got bytes.Buffer
	pw := &progressWriter{w: &got, p: p}
	if _, err := pw.Write(bytes.Repeat([]byte("x"), 2_500_000)); err != nil {
		t.Fatal(err)
	}
	p.done()
	if got.Len() != 2_500_000 || buf.String() != "\rexport: receiving from the running bot, 2.5 MB\x1b[K\n" {
		t.Errorf("progress %q after writing %d bytes", buf.String(), got.Len())
	}
}

// BenchmarkExportCommitLatency measures what an export does to the bot:
// on a copy of the benchmark database, opened for writing as the running
// bot has it, respondents start the survey one fsync'd commit after
// another (the bot's answer commits, as fast as the disk allows), first
// for a second alone, then while the CSV export of the 100,000 responses
// runs, as the admin endpoint would run it. It reports the commits'
// median, 99th percentile and slowest latency in both phases, and how much
// the file grew.
func BenchmarkExportCommitLatency(b *testing.B) {
	def, err := surveyfile.Default()
	if err != nil {
		b.Fatal(err)
	}
	src := os.Getenv("TOOLMAP_BENCH_DB")
	if src == "" {
		src = filepath.Join(b.TempDir(), "bench.db")
	}
	if _, err := os.Stat(src); err != nil {
		writeBenchResponses(b, src, def, benchResponses)
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "live.db")
	if err := copyFile(src, path); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	next := survey.RespondentID(idBase + 10*benchResponses)
	// commitUntil commits steps until done is closed; it returns their
	// latencies.
	commitUntil := func(done <-chan struct{}) []time.Duration {
		var lat []time.Duration
		for {
			id := next
			next++
			for _, in := range []survey.Input{{Kind: survey.InputStart}, {Kind: survey.InputAgree}} {
				select {
				case <-done:
					return lat
				default:
				}
				t0 := time.Now()
				if _, err := db.Step(id, func(s survey.Session) (survey.Session, []survey.Event, error) {
					return survey.Step(def, s, in, time.Now())
				}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
		}
	}
	report := func(b *testing.B, phase string, lat []time.Duration) {
		slices.Sort(lat)
		ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
		b.ReportMetric(float64(len(lat)), phase+"-commits")
		b.ReportMetric(ms(lat[len(lat)/2]), phase+"-p50-ms")
		b.ReportMetric(ms(lat[len(lat)*99/100]), phase+"-p99-ms")
		b.ReportMetric(ms(lat[len(lat)-1]), phase+"-max-ms")
	}
	measure := func(b *testing.B, toFile bool) {
		alone := make(chan struct{})
		timer := time.AfterFunc(time.Second, func() { close(alone) })
		report(b, "alone", commitUntil(alone))
		timer.Stop()
		before := size()
		exporting := make(chan struct{})
		var exportErr error
		var stats store.ExportCounts
		go func() {
			defer close(exporting)
			var out io.Writer = io.Discard
			if toFile {
				f, err := os.Create(filepath.Join(dir, "out.csv"))
				if err != nil {
					exportErr = err
					return
				}
				defer f.Close()
				out = f
			}
			stats, exportErr = db.WriteExport(context.Background(), out, store.ExportFile{
				Defs: []*survey.Definition{def}, Key: bytes.Repeat([]byte{7}, 32), Format: export.FormatLong,
			})
		}()
		lat := commitUntil(exporting)
		if exportErr != nil || stats.Completed != benchResponses {
			b.Fatalf("export: %+v, %v", stats, exportErr)
		}
		report(b, "exporting", lat)
		b.ReportMetric(float64(size()-before)/1e6, "file-growth-MB")
	}
	// The CSV written to a file on the same disk, and thrown away: disk
	// and processor contention, or the processor only.
	for _, to := range []string{"file", "discard"} {
		b.Run("to-"+to, func(b *testing.B) {
			for b.Loop() {
				measure(b, to == "file")
			}
		})
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
