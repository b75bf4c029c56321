package main

import (
	"archive/zip"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// demoLine returns the value of the report line starting with label.
func demoLine(t *testing.T, out, label string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(line, label+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no %q line in the output:\n%s", label, out)
	return ""
}

// checkQuiet fails if the bot's log leaked into the output.
func checkQuiet(t *testing.T, out, stderr string) {
	t.Helper()
	for _, s := range []string{out, stderr} {
		if strings.Contains(s, "level=") || strings.Contains(s, telegramtest.DefaultToken) {
			t.Errorf("log or token in the output:\n%s", s)
		}
	}
}

// With Telegram's limits enforced, five organisers finish without one
// breach. The bot paces each chat at about a message a second, so this
// takes some 25 s; it runs in parallel with the other demo tests.
func TestDemoWithLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, stderr, err := runCmd(t, "", "demo", "--respondents", "5", "--seed", "1", "--out", dir)
	if err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout:\n%s", err, stderr, out)
	}
	checkQuiet(t, out, stderr)
	if got := demoLine(t, out, "completed surveys"); got != "5 of 5" {
		t.Errorf("completed surveys: %s\n%s", got, out)
	}
	if got := demoLine(t, out, "limit breaches"); got != "0" {
		t.Errorf("limit breaches: %s\n%s", got, out)
	}
	if got := demoLine(t, out, "sustained send rate"); !strings.Contains(got, "of Telegram's 30/s") {
		t.Errorf("sustained send rate: %s", got)
	}
	if !strings.Contains(demoLine(t, out, "database"), "removed") {
		t.Errorf("the temporary database is not reported removed:\n%s", out)
	}
	// It ends with a digest in the fake channel, and leaves its chart and
	// an export that opens.
	if !strings.Contains(out, "posted to the fake channel @toolmap_demo") || !strings.Contains(out, "Finished this week: 6 groups") { // the five, and the one more who sees the give-back
		t.Errorf("no digest at the end:\n%s", out)
	}
	zipPath := filepath.Join(dir, "toolmap-export.zip")
	zr, err := zip.OpenReader(zipPath)
	if err != nil || !strings.Contains(out, zipPath) {
		t.Fatalf("export: %v", err)
	}
	defer zr.Close()
	if len(zr.File) < 4 {
		t.Errorf("export holds %d files", len(zr.File))
	}
}

func TestDemoUnlimited(t *testing.T) {
	t.Parallel()
	start := time.Now()
	dir := t.TempDir()
	out, stderr, err := runCmd(t, "", "demo", "--respondents", "100", "--unlimited", "--seed", "1", "--out", dir)
	if err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout:\n%s", err, stderr, out)
	}
	// 100 groups name tools often enough for the digest's chart. With seed 1, two
	// organisers went back and unticked a tool the next activity had offered
	// among the earlier picks: they must look under More…, not give up.
	charts, _ := filepath.Glob(filepath.Join(dir, "digest-*.png"))
	if len(charts) != 1 || !strings.Contains(out, "[chart: "+charts[0]) {
		t.Errorf("chart: %v\n%s", charts, out)
	}
	checkQuiet(t, out, stderr)
	if got := demoLine(t, out, "completed surveys"); got != "100 of 100" {
		t.Errorf("completed surveys: %s\n%s", got, out)
	}
	for _, label := range []string{"updates processed", "messages + edits", "  per completed survey", "  per tap", "reply latency", "resident memory", "429s seen"} {
		demoLine(t, out, label)
	}
	// A reminder, and a give-back message with counts of 5 or more only.
	if !strings.Contains(out, "reminder (to someone who stopped after agreeing, a day later):\n  Hello again!") ||
		!strings.Contains(out, "[▶ Continue] [Stop reminding me]") {
		t.Errorf("no reminder in the demo's output:\n%s", out)
	}
	_, give, ok := strings.Cut(out, "give-back (to one more organiser who finished):\n  Groups like yours…\n")
	if !ok || !strings.Contains(give, "• ") {
		t.Errorf("no give-back with counts in the demo's output:\n%s", out)
	}
	for _, n := range regexp.MustCompile(`\((\d+)\)`).FindAllStringSubmatch(give, -1) {
		if len(n[1]) == 1 && n[1] < "5" {
			t.Errorf("the give-back shows a count under 5: %s", n[0])
		}
	}
	if !regexp.MustCompile(`^p50 [0-9.]+ [mµ]?s, p99 [0-9.]+ [mµ]?s`).MatchString(demoLine(t, out, "reply latency")) {
		t.Errorf("reply latency: %s", demoLine(t, out, "reply latency"))
	}
	t.Logf("50 organisers in %v:\n%s", time.Since(start).Round(time.Millisecond), out)
}

// --partway leaves the surveys in progress, and --db keeps the database
// (with the log beside it).
func TestDemoPartwayKeepsTheDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	out, stderr, err := runCmd(t, "", "demo", "--respondents", "8", "--unlimited", "--partway", "--db", db, "--out", t.TempDir())
	if err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout:\n%s", err, stderr, out)
	}
	checkQuiet(t, out, stderr)
	if got := demoLine(t, out, "part-way surveys"); !strings.HasPrefix(got, "8 of 8") {
		t.Errorf("part-way: %s", got)
	}
	if got := demoLine(t, out, "database"); !strings.HasPrefix(got, db+" (kept") {
		t.Errorf("database: %s", got)
	}
	logData, err := os.ReadFile(db + ".log")
	if err != nil || !strings.Contains(string(logData), "connected to Telegram") || strings.Contains(string(logData), telegramtest.DefaultToken) {
		t.Errorf("log: %v\n%s", err, logData)
	}
	s := openStore(t, db)
	for i := range 8 {
		sess, ok, err := s.Session(survey.RespondentID(100_000 + i))
		if err != nil || !ok || sess.Status != survey.StatusActive || sess.Cursor.Item == "" {
			t.Errorf("respondent %d: %+v %v %v", i, sess.Cursor, ok, err)
		}
		if _, done := sess.Answers["activities"]; !done {
			t.Errorf("respondent %d has not answered the activities", i)
		}
	}
}

func TestDemoRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{{"demo", "--respondents", "0"}, {"demo", "extra"}} {
		if _, _, err := runCmd(t, "", args...); exitCode(err) != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
	}
	out, _, err := runCmd(t, "", "demo", "-h")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out, "--respondents") && !strings.Contains(out, "-respondents") || strings.Contains(out, "cpuprofile") {
		t.Errorf("help: %v\n%s", err, out)
	}
}

func TestHiddenProfileFlags(t *testing.T) {
	rest, cpu, mem := hiddenProfileFlags([]string{"--respondents", "3", "--cpuprofile", "c.prof", "-memprofile=m.prof", "--unlimited"})
	if strings.Join(rest, " ") != "--respondents 3 --unlimited" || cpu != "c.prof" || mem != "m.prof" {
		t.Errorf("rest %q, cpu %q, mem %q", rest, cpu, mem)
	}
}

// --bot-process runs the bot as a child "toolmap run" (built here: the
// test binary cannot be it), with the organisers' flood gate and pacing
// from its config, and reports the child's own CPU time and memory. The
// child stops cleanly on SIGTERM, leaving its log.
func TestDemoBotProcess(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(demoBotBinaryEnv, "")
	if _, stderr, err := runCmd(t, "", "demo", "--respondents", "1", "--bot-process", "--out", dir); err == nil || !strings.Contains(err.Error(), demoBotBinaryEnv) {
		t.Fatalf("from a test binary without %s: %v %s", demoBotBinaryEnv, err, stderr)
	}
	bin := filepath.Join(dir, "toolmap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Setenv(demoBotBinaryEnv, bin)
	db := filepath.Join(dir, "demo.db")
	out, stderr, err := runCmd(t, "", "demo", "--respondents", "6", "--unlimited", "--bot-process", "--db", db, "--out", dir)
	if err != nil {
		t.Fatalf("demo: %v\nstderr: %s\nstdout:\n%s", err, stderr, out)
	}
	checkQuiet(t, out, stderr)
	if got := demoLine(t, out, "completed surveys"); got != "6 of 6" {
		t.Errorf("completed surveys: %s\n%s", got, out)
	}
	// 6 organisers tapping at once would be slowed down by the default
	// flood gate (2 a second): the child has it raised from its config.
	if strings.Contains(out+stderr, "a lot at once") {
		t.Errorf("flood gate:\n%s\n%s", out, stderr)
	}
	m := regexp.MustCompile(`^(\d+) \(\d+/s\) by the bot's /healthz; (\d+) confirmed to the fake server of (\d+) it queued`).FindStringSubmatch(demoLine(t, out, "updates processed"))
	if m == nil || m[1] == "0" || m[1] != m[2] || m[2] != m[3] {
		t.Errorf("updates processed: %q\n%s", m, out)
	}
	if !regexp.MustCompile(`^\d+\.\d\d s \(\d+% of one core`).MatchString(demoLine(t, out, "bot process CPU")) {
		t.Errorf("bot process CPU: %s", demoLine(t, out, "bot process CPU"))
	}
	if !regexp.MustCompile(`^\d+$`).MatchString(demoLine(t, out, "  updates per CPU-s")) {
		t.Errorf("updates per CPU-s: %s", demoLine(t, out, "  updates per CPU-s"))
	}
	if !regexp.MustCompile(`^VmHWM [0-9.]+ MB \(its peak\), VmRSS [0-9.]+ MB at the end \(anonymous [0-9.]+ MB, mapped files: program and database [0-9.]+ MB\)$`).MatchString(demoLine(t, out, "bot process memory")) {
		t.Errorf("bot process memory: %s", demoLine(t, out, "bot process memory"))
	}
	if got := demoLine(t, out, "  database"); !regexp.MustCompile(`^[0-9.]+ MB resident in the bot process`).MatchString(got) {
		t.Errorf("database pages: %s", got)
	}
	if !strings.Contains(demoLine(t, out, "reminder and give-back"), "skipped") || !strings.Contains(out, "posted to the fake channel @toolmap_demo") {
		t.Errorf("ending:\n%s", out)
	}
	// The child's log: it connected, and stopped on SIGTERM by itself.
	logData, err := os.ReadFile(db + ".log")
	if err != nil || !strings.Contains(string(logData), "connected to Telegram") || !strings.Contains(string(logData), "msg=stopped") || strings.Contains(string(logData), telegramtest.DefaultToken) {
		t.Errorf("log: %v\n%s", err, logData)
	}
	if _, err := os.Stat(db + ".sock"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the default admin socket was used: %v", err)
	}
}
