package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"toolmap/cmd/internal/jobs"
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
		// Each problem with its line (issue 14, items 10 and 11).
		{"digest:\n  schedule: \"0 9 30 2 *\"\n", ":2: digest.schedule: \"0 9 30 2 *\" never fires within a year"},
		{"digest:\n  min_count: 5\n  timezone: Mars/Olympus\n", ":3: digest.timezone: \"Mars/Olympus\" is not a time zone"},
		{"reminders:\n  hours: 09:00-20:00\n  timezone: Nowhere/Land\n", ":3: reminders.timezone: \"Nowhere/Land\" is not a time zone"},
		{"admin:\n  users:\n    - 111\n    - -5\n", ":4: admin.users: -5 is not a Telegram user id"},
		{"admin:\n  researchers: [333, 0]\n", ":2: admin.researchers: 0 is not a Telegram user id"},
	} {
		_, err := ReadConfigFile(write(tc.body))
		if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.body, err, tc.want)
		}
	}
}

// TestConfigRefusesASocketThatIsNotOne: admin.socket may not be the
// database, the copy it is compacted into, a backup or any existing file
// that is not a socket (the endpoint replaces what is at its path); each
// is refused with the line of admin.socket.
func TestConfigRefusesASocketThatIsNotOne(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "backups"), 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(body string) string {
		p := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct{ socket, want string }{
		{"toolmap.db", "is the database"},
		{"./toolmap.db", "is the database"},
		{"toolmap.db.compact", "is the copy the database is compacted into"},
		{"backups/toolmap-20260301T000000Z.db", "is in backup.dir, among the backups"},
		{"notes.txt", "exists and is not a socket"},
		{"backups", "is in backup.dir"},
	} {
		p := write("database: toolmap.db\nbackup:\n  dir: backups\nadmin:\n  socket: " + tc.socket + "\n")
		_, err := ReadConfigFile(p)
		if err == nil || !strings.Contains(err.Error(), p+":5: admin.socket: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("socket %s: err = %v, want line 5 and %q", tc.socket, err, tc.want)
		}
	}
	if data, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(data) != "keep me" {
		t.Errorf("the file at the socket's path: %q %v", data, err)
	}
	if _, err := ReadConfigFile(write("database: toolmap.db\nadmin:\n  socket: admin.sock\n")); err != nil {
		t.Errorf("a free path: %v", err)
	}
}
