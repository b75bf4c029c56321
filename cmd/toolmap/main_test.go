package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/store"
	"toolmap/survey"
)

// runCmd runs toolmap with args and stdin, returning stdout, stderr and the error.
func runCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func exitCode(err error) int {
	var ex exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ex):
		return ex.code
	}
	return 1
}

// completeDefault answers the whole default survey: agree, the profile
// (Yorkshire, Leeds), three activities with tools (one from the full list),
// the hardest (coordinating) and what makes it hard, quotation allowed,
// WhatsApp recommended, and the role.
const completeDefault = "1\n1\n2\n1\n6\nLeeds\n1 2 5\nd\n1 3\nd\n1\nm\n3\nd\n2\nd\n2\nKeeping everyone in the loop\n2\n1\n1\n"

func TestTryCompletesFromPipedInput(t *testing.T) {
	db := filepath.Join(t.TempDir(), "try.db")
	out, stderr, err := runCmd(t, completeDefault, "try", "--db", db)
	if err != nil {
		t.Fatalf("try: %v\nstderr: %s\nstdout:\n%s", err, stderr, out)
	}
	for _, want := range []string{"> 1 2 5", "Thank you", "Your response is stored in", "Leeds", "Keeping everyone in the loop"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	s := openStore(t, db)
	n, err := s.CountResponses(time.Time{}, time.Time{})
	if err != nil || n != 1 {
		t.Fatalf("responses: %d, %v; want 1", n, err)
	}
	sess, ok, err := s.Session(tryRespondent)
	if err != nil || !ok || sess.Status != survey.StatusCompleted {
		t.Fatalf("session: %+v %v %v", sess, ok, err)
	}
	if got := sess.Answers["tools/coordinate"].Values; strings.Join(got, ",") != "whatsapp,signal" {
		t.Errorf("tools/coordinate = %v, want whatsapp,signal (Signal picked from the full list)", got)
	}
	s.Close()

	// Running it again shows the answers and offers to change them or restart.
	out, _, err = runCmd(t, "q\n", "try", "--db", db)
	if err != nil || !strings.Contains(out, "You finished this survey") || !strings.Contains(out, "restart") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
}

func TestTryResumesOrRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "try.db")
	if _, _, err := runCmd(t, "1\n1\n2\nq\n", "try", "--db", db); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "c\nq\n", "try", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "You have an unfinished survey") || !strings.Contains(out, "c) carry on   r) start again") {
		t.Fatalf("no offer to resume or restart:\n%s", out)
	}
	if !strings.Contains(out, "Question 3 of") || !strings.Contains(out, "How formal") {
		t.Fatalf("did not carry on at question 3:\n%s", out)
	}
	out, _, err = runCmd(t, "r\nq\n", "try", "--db", db)
	if err != nil || !strings.Contains(out, "Starting again") || !strings.Contains(out, "Question 1 of") {
		t.Fatalf("restart: %v\n%s", err, out)
	}
	s := openStore(t, db)
	defer s.Close()
	sess, _, _ := s.Session(tryRespondent)
	if len(sess.Answers) != 0 {
		t.Fatalf("restart kept answers: %v", sess.Answers)
	}
}

func TestTrySpanish(t *testing.T) {
	db := filepath.Join(t.TempDir(), "try.db")
	out, _, err := runCmd(t, "1\nq\n", "try", "--db", db, "--lang", "es")
	if err != nil || !strings.Contains(out, "Pregunta 1 de") {
		t.Fatalf("Spanish: %v\n%s", err, out)
	}
	_, _, err = runCmd(t, "", "try", "--db", db, "--lang", "xx")
	if err == nil || !strings.Contains(err.Error(), `no language "xx"`) {
		t.Fatalf("unknown language: %v", err)
	}
}

func TestTryRefusesALockedDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "try.db")
	s := openStore(t, db)
	defer s.Close()
	_, _, err := runCmd(t, "", "try", "--db", db)
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "in use by another toolmap process") {
		t.Fatalf("locked database: %v", err)
	}
}

func TestValidate(t *testing.T) {
	out, _, err := runCmd(t, "", "validate")
	if err != nil || !strings.Contains(out, "ok: survey toolmap-default version 2") {
		t.Fatalf("default survey: %v\n%s", err, out)
	}
	out, _, err = runCmd(t, "", "validate", "testdata/broken.yaml")
	if code := exitCode(err); code != 1 {
		t.Fatalf("broken file: exit %d (%v), want 1\n%s", code, err, out)
	}
	for _, want := range []string{
		`testdata/broken.yaml:27: question "tools": unknown key "colour"`,
		`testdata/broken.yaml:31: question "tools": shortlist "events": unknown tool "zoomm" (did you mean "zoom"?)`,
		`testdata/broken.yaml:32: question "acts": duplicate question id "acts": it is already used on line 20`,
		"3 problems found.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, _, err = runCmd(t, "", "validate", "testdata/missing.yaml")
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestHelp(t *testing.T) {
	out, _, err := runCmd(t, "", "help")
	if err != nil {
		t.Fatal(err)
	}
	for name := range commands {
		if !strings.Contains(out, "  "+name) {
			t.Errorf("help does not list %s", name)
		}
		cmdOut, _, err := runCmd(t, "", "help", name)
		if err != nil || !strings.Contains(cmdOut, "Usage: toolmap "+name) {
			t.Errorf("help %s: %v\n%s", name, err, cmdOut)
		}
		dashH, _, _ := runCmd(t, "", name, "-h")
		if dashH != cmdOut {
			t.Errorf("%s -h differs from help %s", name, name)
		}
	}
	if _, _, err := runCmd(t, "", "frobnicate"); exitCode(err) != 2 {
		t.Errorf("unknown command: %v", err)
	}
}

func TestConfigUnknownKeyHasItsLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "toolmap.yaml")
	if err := os.WriteFile(path, []byte("database: x.db\nsurvey: s.yaml\ncolour: blue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadConfigFile(path)
	if err == nil || err.Error() != path+`:3: unknown key "colour"` {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte("database: x.db\nsurvey: s.yaml\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadConfigFile(path)
	if err != nil || cfg.Database != filepath.Join(dir, "x.db") || cfg.Survey != filepath.Join(dir, "s.yaml") {
		t.Fatalf("paths relative to the config file: %+v %v", cfg, err)
	}
}

func TestConfigExampleIsValid(t *testing.T) {
	cfg, err := ReadConfigFile("../../config.example.yaml")
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if _, err := loadSurvey(cfg.Survey); err != nil {
		t.Fatalf("its survey: %v", err)
	}
}

func openStore(t *testing.T, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
