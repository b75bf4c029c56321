package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"toolmap/cmd/surveyfile"
)

// TestValidateWarnsWhenPrivacyNamesNoOne: a survey that leaves /privacy
// without the controller's name and a contact gets a warning (the file
// is still good); one that names them gets none.
func TestValidateWarnsWhenPrivacyNamesNoOne(t *testing.T) {
	dir := t.TempDir()
	write := func(name, extra string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(surveyfile.DefaultYAML(), extra...), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, extra, want string
	}{
		{"none.yaml", "", "/privacy names no one responsible for the respondents' data"},
		{"name.yaml", "\ncontroller:\n  name: Tools for Groups study\n", "/privacy names Tools for Groups study but gives no way to reach them"},
		{"contact.yaml", "\ncontroller:\n  contact: privacy@example.org\n", "/privacy gives a contact but no name"},
	} {
		p := write(tc.name, tc.extra)
		out, _, err := runCmd(t, "", "validate", p)
		if err != nil || !strings.Contains(out, p+":") || !strings.Contains(out, "warning: ") || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %v\n%s", tc.name, err, out)
		}
	}
	p := write("both.yaml", "\ncontroller:\n  name: Tools for Groups study\n  contact: privacy@example.org\n")
	out, _, err := runCmd(t, "", "validate", p)
	if err != nil || strings.Contains(out, "warning") || !strings.Contains(out, ": ok: ") {
		t.Errorf("a survey naming its controller: %v\n%s", err, out)
	}
}

// TestValidateChecksTheConfig: validate --config reports each problem of
// the config with its line (a digest schedule that never fires, a time
// zone that does not exist, an admin id that is not one) and exits 1.
func TestValidateChecksTheConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "toolmap.yaml")
	body := "database: toolmap.db\ndigest:\n  timezone: Europe/Atlantis\n  schedule: \"0 9 30 2 *\"\nadmin:\n  users: [42, -7]\n"
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "", "validate", "--config", p)
	if exitCode(err) != 1 || !strings.Contains(out, p+":4: digest.schedule: \"0 9 30 2 *\" never fires") {
		t.Fatalf("validate --config: %v\n%s", err, out)
	}
	if err := os.WriteFile(p, []byte("database: toolmap.db\ndigest:\n  timezone: Europe/Atlantis\nadmin:\n  users: [42, -7]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, "", "validate", "--config", p)
	for _, want := range []string{p + ":3: digest.timezone: \"Europe/Atlantis\" is not a time zone", p + ":5: admin.users: -7 is not a Telegram user id"} {
		if exitCode(err) != 1 || !strings.Contains(out, want) {
			t.Errorf("validate --config: %v, want %q in\n%s", err, want, out)
		}
	}
	if err := os.WriteFile(p, []byte("database: toolmap.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _, err := runCmd(t, "", "validate", "--config", p); err != nil || !strings.Contains(out, p+": ok") {
		t.Errorf("a good config: %v\n%s", err, out)
	}
}
