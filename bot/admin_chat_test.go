package main

import (
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot"
)

// Without a study key, a researcher's /export gets a clear answer saying
// what to do, and no file is made or sent (api is nil: any upload would
// panic).
func TestChatExportWithoutStudyKey(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "toolmap.db"))
	defer db.Close()
	_, keyErr := loadStudyKey("", func(string) string { return "" }, nil)
	a := &chatAdmin{db: db, researchers: []int64{42}, keyErr: keyErr,
		log: slog.New(slog.DiscardHandler), now: time.Now}
	a.Do(t.Context(), bot.AdminCommand{Name: "export", ChatID: 42, UserID: 42})
	items, err := db.Outbox(10)
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox: %d items, %v; want the one reply", len(items), err)
	}
	var out bot.Outgoing
	if err := json.Unmarshal(items[0].Payload, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No export: the bot has no study key", StudyKeyEnv, "toolmap export"} {
		if !strings.Contains(out.Text, want) || out.ChatID != 42 {
			t.Errorf("reply to chat %d: %q lacks %q", out.ChatID, out.Text, want)
		}
	}
}
