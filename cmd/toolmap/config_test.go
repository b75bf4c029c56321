package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"toolmap/bot/jobs"
)

// TestConfigDigestAndAdmin reads the new keys, and reports bad ones with
// the file and line.
func TestConfigDigestAndAdmin(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write("admin:\n  users: [111, 222]\n  researchers: [333]\ndigest:\n  channel: \"@toolmap_coord\"\n  schedule: \"30 8 * * 2\"\n  grace: 6h\n")
	cfg, err := ReadConfigFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Digest.Channel.Name() != "@toolmap_coord" || cfg.Digest.Channel.ID() != 0 || cfg.Digest.Schedule != "30 8 * * 2" ||
		cfg.Digest.Grace != Duration(6*time.Hour) || len(cfg.Admin.Users) != 2 || cfg.Admin.Researchers[0] != 333 {
		t.Errorf("config: %+v %+v", cfg.Digest, cfg.Admin)
	}
	cfg, err = ReadConfigFile(write("digest:\n  channel: -1001234567890\n"))
	if err != nil || cfg.Digest.Channel.ID() != -1001234567890 || cfg.Digest.Channel.Name() != "" {
		t.Errorf("numeric channel: %v %v", cfg.Digest.Channel, err)
	}
	if cfg.Digest.Schedule != jobs.DefaultDigestSchedule {
		t.Errorf("default schedule %q", cfg.Digest.Schedule)
	}
	for _, tc := range []struct{ body, want string }{
		{"digest:\n  schedule: \"every monday\"\n", ":2: digest.schedule: \"every monday\" is not a cron schedule"},
		{"digest:\n  timezone: UTC\n  schedule: \"0 25 * * 1\"\n", ":3: digest.schedule:"},
		{"digest:\n  channel: toolmap\n", ":2: digest.channel: \"toolmap\" is neither @channelname nor a channel id"},
		{"digest:\n  channel: \"@ab\"\n", ":2: digest.channel: \"@ab\" is not a channel name"},
		{"digest:\n  grace: soon\n", ":2: \"soon\" is not a duration"},
		{"admin:\n  users: [alice]\n", ":2: cannot unmarshal"},
		{"admin:\n  users: [-5]\n", "admin.users: -5 is not a Telegram user id"},
		{"admin:\n  researcher: [1]\n", ":2: unknown key \"researcher\""},
	} {
		_, err := ReadConfigFile(write(tc.body))
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.body, err, tc.want)
		}
	}
}
