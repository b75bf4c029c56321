package main

import (
	"archive/zip"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/store"
	"toolmap/survey"
)

// bothVersionsDB writes a database holding responses to both versions of
// the built-in survey, as a database does after the bot moved to version
// 2: three answered version 1, three version 2, and one began version 1
// and finished it after the bot restarted on version 2. It returns the
// database's path and how many responses it holds.
func bothVersionsDB(t *testing.T, dir string) (string, int) {
	t.Helper()
	def, err := loadSurvey("")
	if err != nil {
		t.Fatal(err)
	}
	v1 := def.Earlier[0]
	path := filepath.Join(dir, "toolmap.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	in := func(k survey.InputKind, opt string) survey.Input { return survey.Input{Kind: k, Option: opt} }
	text := func(s string) survey.Input { return survey.Input{Kind: survey.InputText, Text: s} }
	choose := func(o string) survey.Input { return in(survey.InputChoose, o) }
	tick := func(o string) survey.Input { return in(survey.InputToggle, o) }
	done, skip := in(survey.InputDone, ""), in(survey.InputSkip, "")
	answer := func(id survey.RespondentID, d *survey.Definition, ins ...survey.Input) {
		t.Helper()
		for _, x := range ins {
			now = now.Add(9 * time.Second)
			if _, err := db.Step(id, func(s survey.Session) (survey.Session, []survey.Event, error) {
				return survey.Step(d, s, x, now)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := []survey.Input{{Kind: survey.InputStart}, in(survey.InputAgree, "")}
	for i := range 3 {
		id := survey.RespondentID(8_100_000_000 + i)
		answer(id, v1, start...)
		answer(id, v1, choose("community"), choose("to_30"), choose("informal"), text("Leeds, "+strconv.Itoa(i)),
			tick("announce"), tick("events"), done, tick("whatsapp"), tick(survey.OtherID), text("Mobilizon"), done,
			tick("none"), done, text("Too many chats; \"quotes\", commas"), choose("yes"))
	}
	for i := range 3 {
		id := survey.RespondentID(8_200_000_000 + i)
		answer(id, def, start...)
		answer(id, def, choose("residents"), choose("to_100"), choose("structured"), choose("london"), skip,
			tick("announce"), tick("lobby"), tick("casework"), done,
			tick("whatsapp"), tick("in_person"), done,
			in(survey.InputSame, ""),
			tick("civicrm"), tick(survey.OtherID), text("Advice Pro"), tick(survey.OtherID), text("Justice app"), done,
			choose("casework"), text("Cases get lost\nin one inbox"), choose("no"), choose("civicrm"), choose("organiser"))
	}
	// Began version 1; the bot restarted on version 2 (def) half-way.
	id := survey.RespondentID(8_300_000_000)
	answer(id, v1, start...)
	answer(id, v1, choose("faith"), choose("under_10"))
	answer(id, def, choose("informal"), skip, tick("decide"), done, tick("polls"), done, skip)
	s, _, err := db.Session(id)
	if err != nil || s.Status != survey.StatusCompleted || s.Version != 1 {
		t.Fatalf("the respondent who began version 1: %s under version %d, %v", s.Status, s.Version, err)
	}
	return path, 7
}

// readerScripts check, in pandas and in R, what a researcher relies on:
// one row per respondent in the wide table, the union of both versions'
// columns, each version's questions empty for the other's respondents, and
// the long table joining onto the wide one.
const pandasCheck = `
import sys
import pandas as pd
wide_path, long_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
opts = dict(dtype={"respondent": str}, keep_default_na=False, na_values=[""])
wide = pd.read_csv(wide_path, **opts)
long = pd.read_csv(long_path, **opts)
assert len(wide) == n, f"{len(wide)} wide rows, want {n}"
assert wide["respondent"].is_unique, "a respondent has two wide rows"
for c in ["size", "hardest", "quote_ok", "tools.events.none", "hardest_activity", "hard_why", "recommend",
          "region", "role", "tools.announce.in_person", "tools.casework.other_text", "tools.casework.civicrm"]:
    assert c in wide.columns, f"no column {c}"
v1 = wide[wide["survey_version"] == 1]
v2 = wide[wide["survey_version"] == 2]
assert len(v1) == 4 and len(v2) == 3, f"{len(v1)} v1 and {len(v2)} v2 rows"
assert v1["hardest_activity"].isna().all() and v1["region"].isna().all(), "v1 rows have v2 answers"
assert v2["hardest"].isna().all(), "v2 rows have v1's hardest"
assert (v2["hardest_activity"] == "casework").all() and (v2["recommend"] == "civicrm").all()
assert (v2["tools.casework.other_text"] == "Advice Pro; Justice app").all()
assert (v2["tools.announce.in_person"] == 1).all() and (v2["tools.announce.none"] == 0).all()
assert v1["tools.events.none"].dropna().eq(1).all()
assert wide["respondent"].str.len().eq(16).all(), "pseudonyms lost their leading zeros or letters"
joined = long.merge(wide[["respondent", "group_kind"]], on="respondent", how="left")
assert len(joined) == len(long) and joined["group_kind"].notna().all(), "long rows without a wide row"
assert set(long["respondent"]) == set(wide["respondent"])
others = long[(long["question"] == "tools") & (long["option"] == "other")]
assert sorted(others["text"].dropna().unique()) == ["Advice Pro", "Justice app", "Mobilizon"], others["text"].tolist()
print(f"pandas {pd.__version__}: {len(wide)} wide rows, {len(wide.columns)} columns, {len(long)} long rows: ok")
`

const rCheck = `
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[3])
read <- function(p) read.csv(p, na.strings = "", colClasses = c(respondent = "character"), encoding = "UTF-8", check.names = FALSE)
wide <- read(args[1])
long <- read(args[2])
stopifnot(nrow(wide) == n, !any(duplicated(wide$respondent)))
stopifnot(all(c("size", "hardest", "quote_ok", "tools.events.none", "hardest_activity", "hard_why", "recommend",
                "region", "role", "tools.announce.in_person", "tools.casework.other_text") %in% names(wide)))
v1 <- wide[wide$survey_version == 1, ]
v2 <- wide[wide$survey_version == 2, ]
stopifnot(nrow(v1) == 4, nrow(v2) == 3)
stopifnot(all(is.na(v1$hardest_activity)), all(is.na(v1$region)), all(is.na(v2$hardest)))
stopifnot(all(v2$hardest_activity == "casework"), all(v2$recommend == "civicrm"))
stopifnot(all(v2[["tools.casework.other_text"]] == "Advice Pro; Justice app"))
stopifnot(all(v2[["tools.announce.in_person"]] == 1), all(nchar(wide$respondent) == 16))
joined <- merge(long, wide[c("respondent", "group_kind")], by = "respondent", all.x = TRUE)
stopifnot(nrow(joined) == nrow(long), !any(is.na(joined$group_kind)))
cat(R.version.string, ":", nrow(wide), "wide rows,", ncol(wide), "columns,", nrow(long), "long rows: ok\n")
`

// TestExportOfBothVersionsReadsInPandasAndR exports a database holding
// both versions of the built-in survey and reads the wide and long CSV
// files in pandas and in R, when they are installed (CI installs them:
// apt-get install -y python3-pandas r-base-core). It says clearly that it
// skipped when neither is.
func TestExportOfBothVersionsReadsInPandasAndR(t *testing.T) {
	dir := t.TempDir()
	db, n := bothVersionsDB(t, dir)
	key := filepath.Join(dir, "study.key")
	if err := os.WriteFile(key, []byte(hex.EncodeToString(bytes.Repeat([]byte{7}, 32))), 0o600); err != nil {
		t.Fatal(err)
	}
	wide, long := filepath.Join(dir, "wide.csv"), filepath.Join(dir, "long.csv")
	for layout, out := range map[string]string{"wide": wide, "long": long} {
		if _, stderr, err := runCmd(t, "", "export", "--db", db, "--key-file", key, "--format", "csv", "--layout", layout, "--free-text", "--out", out); err != nil {
			t.Fatalf("export %s: %v\n%s", layout, err, stderr)
		}
	}
	ran := 0 // readers found
	if py := pythonWithPandas(); py != "" {
		ran++
		script := filepath.Join(dir, "check.py")
		if err := os.WriteFile(script, []byte(pandasCheck), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, script, wide, long, strconv.Itoa(n)).CombinedOutput()
		if err != nil {
			t.Errorf("pandas: %v\n%s", err, out)
		} else {
			t.Logf("%s", strings.TrimSpace(string(out)))
		}
	} else {
		t.Log("SKIPPED the pandas check: no python3 with pandas (apt-get install -y python3-pandas)")
	}
	if rs, err := exec.LookPath("Rscript"); err == nil {
		ran++
		script := filepath.Join(dir, "check.R")
		if err := os.WriteFile(script, []byte(rCheck), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(rs, "--vanilla", script, wide, long, strconv.Itoa(n)).CombinedOutput()
		if err != nil {
			t.Errorf("R: %v\n%s", err, out)
		} else {
			t.Logf("%s", strings.TrimSpace(string(out)))
		}
	} else {
		t.Log("SKIPPED the R check: no Rscript (apt-get install -y r-base-core)")
	}
	if ran == 0 {
		t.Skip("SKIPPED: neither pandas nor R is installed, so the exports were not read by them (apt-get install -y python3-pandas r-base-core)")
	}
}

// pythonWithPandas returns a python3 that can import pandas, or "".
func pythonWithPandas() string {
	var cands []string
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	cands = append(cands, "/usr/bin/python3") // Debian's, where python3-pandas installs
	for _, p := range cands {
		if exec.Command(p, "-c", "import pandas").Run() == nil {
			return p
		}
	}
	return ""
}

// TestExportLicence: the datapackage and README state the licence given by
// --licence, else by export.licence of --config, else none.
func TestExportLicence(t *testing.T) {
	dir := t.TempDir()
	db, _ := bothVersionsDB(t, dir)
	key := filepath.Join(dir, "study.key")
	if err := os.WriteFile(key, []byte(hex.EncodeToString(bytes.Repeat([]byte{7}, 32))), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "toolmap.yaml")
	if err := os.WriteFile(cfg, []byte("database: toolmap.db\nexport:\n  licence: ODC-BY-1.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--db", db}, ""},
		{[]string{"--config", cfg}, "ODC-BY-1.0"},
		{[]string{"--config", cfg, "--licence", "CC-BY-4.0"}, "CC-BY-4.0"},
	} {
		out := filepath.Join(dir, "export.zip")
		args := append([]string{"export", "--key-file", key, "--out", out}, tc.args...)
		if _, stderr, err := runCmd(t, "", args...); err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, stderr)
		}
		files := unzipAll(t, out)
		var dp struct {
			Licenses []struct{ Name string } `json:"licenses"`
		}
		if err := json.Unmarshal(files["datapackage.json"], &dp); err != nil {
			t.Fatal(err)
		}
		readme := string(files["README.txt"])
		switch {
		case tc.want == "" && (dp.Licenses != nil || !strings.Contains(readme, "LICENCE: none is stated")):
			t.Errorf("%v: licenses %v, README %q", tc.args, dp.Licenses, readme)
		case tc.want != "" && (len(dp.Licenses) != 1 || dp.Licenses[0].Name != tc.want || !strings.Contains(readme, "LICENCE: "+tc.want)):
			t.Errorf("%v: licenses %v, want %s", tc.args, dp.Licenses, tc.want)
		}
	}
}

func unzipAll(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	return out
}

// TestEndToEndVersion1FinishesAfterUpgrade: a respondent part-way through
// version 1 of the built-in survey when the bot restarts on version 2
// finishes version 1 with the buttons they have; a newcomer gets version 2.
func TestEndToEndVersion1FinishesAfterUpgrade(t *testing.T) {
	v1 := filepath.Join(t.TempDir(), "default_v1.yaml")
	data, err := os.ReadFile("../../cmd/surveyfile/default_v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v1, data, 0o600); err != nil {
		t.Fatal(err)
	}
	h := newHarnessWith(t, telegramtest.Options{}, func(h *harness) { h.cfg.Survey = v1 }) // the bot before the upgrade
	r := h.respondent(31)
	r.u.Start("")
	r.tap("✅ I agree")
	r.tap("🎶 Arts, music or choir")
	r.tap("10–30")
	r.waitText("How formal")
	h.stop()
	h.cfg.Survey = "" // the upgrade: the built-in survey, version 2
	h.start()
	r.tap("Informal, no legal form") // a button of version 1's message
	r.waitText("Where is your group based?")
	r.say("Glasgow")
	r.toggle("📣 Telling members news")
	r.tap("Done ▶")
	r.toggle("WhatsApp")
	r.toggle("🚫 No tool / in person") // version 1's exclusive option
	r.tap("Done ▶")
	r.waitText("What's hardest")
	r.tap("Skip")
	r.waitText("Thank you")
	newcomer := h.respondent(32)
	newcomer.u.Start("")
	newcomer.tap("✅ I agree")
	newcomer.tap("🎶 Arts, music or choir")
	newcomer.tap("10–30")
	newcomer.tap("Informal, no legal form")
	newcomer.waitText("Where is your group?") // version 2's region
	h.stop()
	db := h.openStore()
	s, _, _ := db.Session(31)
	if s.Status != survey.StatusCompleted || s.Version != 1 || len(s.Answers) != 7 {
		t.Fatalf("the respondent who began version 1: %s, version %d, %d answers", s.Status, s.Version, len(s.Answers))
	}
	for k, a := range s.Answers {
		if a.Version != 1 {
			t.Errorf("answer %s given under version %d", k, a.Version)
		}
	}
	if a := s.Answers["tools/announce"]; strings.Join(a.Values, ",") != "none" {
		t.Errorf("tools/announce = %v", a.Values)
	}
	if s, _, _ := db.Session(32); s.Version != 2 {
		t.Errorf("the newcomer runs version %d", s.Version)
	}
}
