package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/survey/report/site"
)

// TestMapCommand writes the map of the typical week's database (14
// responses: the map counts 10) and checks the usage errors.
func TestMapCommand(t *testing.T) {
	path := typicalDB(t)
	dir := filepath.Join(t.TempDir(), "site")
	out, stderr, err := runCmd(t, "", "map", "--db", path, "--out", dir, "--tz", "Europe/London")
	if err != nil {
		t.Fatalf("map: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "Wrote the map of 10 groups (of 14 responses) to "+dir+": 6 files") || !strings.Contains(out, "Open "+filepath.Join(dir, "index.html")) {
		t.Errorf("stdout: %s", out)
	}
	for _, name := range []string{"index.html", "es.html", "assets/data.js", "assets/map.js", "assets/style.css", "assets/icon.svg"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || !strings.Contains(string(page), "10 groups so far") {
		t.Errorf("index.html: %v\n%.300s", err, page)
	}

	// A threshold above the study: the page says so.
	out, _, err = runCmd(t, "", "map", "--db", path, "--out", dir, "--min-count", "20")
	if err != nil || !strings.Contains(out, "Fewer than 20 groups have finished so far (14 responses)") {
		t.Errorf("map --min-count 20: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"map", "--db", path}, "--out DIR is required"},
		{[]string{"map", "--db", path, "--out", dir, "extra"}, `unexpected argument "extra"`},
		{[]string{"map", "--db", path, "--out", dir, "--tz", "Mars/Olympus"}, "digest.timezone"},
		{[]string{"map", "--db", path, "--out", dir, "--min-count", "0"}, "digest.min_count"},
	} {
		_, stderr, err := runCmd(t, "", tc.args...)
		if exitCode(err) != 2 || !strings.Contains(stderr, tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, exitCode(err), stderr, tc.stderr)
		}
	}
	if _, _, err := runCmd(t, "", "map", "--db", filepath.Join(t.TempDir(), "none.db"), "--out", dir); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Errorf("missing database: %v", err)
	}
}

// TestMapWhileBotRuns: with the bot holding the database, the map is read
// from a copy taken through its admin endpoint, and the copy is removed.
func TestMapWhileBotRuns(t *testing.T) {
	h, _, _ := digestBot(t, monday0900.Add(50*time.Hour), nil)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := filepath.Join(t.TempDir(), "site")
	out, stderr, err := runCmd(t, "", "map", "--db", h.cfg.Database, "--out", dir, "--tz", "Europe/London")
	if err != nil || !strings.Contains(out, "read from a copy taken through the running bot") {
		t.Fatalf("map: %v\n%s\n%s", err, out, stderr)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "toolmap-map-*")); len(left) != 0 {
		t.Errorf("the copy was left behind: %v", left)
	}
	if page, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || !strings.Contains(string(page), "10 groups so far") {
		t.Errorf("index.html: %v", err)
	}
}

// TestScheduledMap: with map.dir set, the running bot writes the map at
// start (then every map.every), so a coordinator can serve the folder.
func TestScheduledMap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "public")
	got := make(chan site.Stats, 1)
	h, _, _ := digestBot(t, monday0900.Add(50*time.Hour), func(h *harness) {
		h.cfg.Map = MapConfig{Dir: dir, Every: Duration(time.Hour)}
		h.mapped = func(st site.Stats, err error) {
			if err != nil {
				t.Errorf("scheduled map: %v", err)
			}
			got <- st
		}
	})
	select {
	case st := <-got:
		if st.Groups != 10 || st.Files != 6 {
			t.Errorf("the scheduled map counted %d groups in %d files, want 10 in 6", st.Groups, st.Files)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no map at start\n%s", h.logs.String())
	}
	if page, err := os.ReadFile(filepath.Join(dir, "index.html")); err != nil || !strings.Contains(string(page), "10 groups so far") {
		t.Errorf("index.html: %v", err)
	}
}

// TestMapConfig: map.dir is relative to the config file, and map.every
// under a minute is refused with its line.
func TestMapConfig(t *testing.T) {
	path := writeConfig(t, "map:\n  dir: public\n  every: 2h\n")
	cfg, err := ReadConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(filepath.Dir(path), "public"); cfg.Map.Dir != want || cfg.Map.Every != Duration(2*time.Hour) {
		t.Errorf("map = %+v, want dir %s every 2h", cfg.Map, want)
	}
	bad := writeConfig(t, "map:\n  dir: public\n  every: 10s\n")
	if _, err := ReadConfigFile(bad); err == nil || !strings.Contains(err.Error(), bad+":3: map.every: must be at least 1m") {
		t.Errorf("map.every 10s: %v", err)
	}
}
