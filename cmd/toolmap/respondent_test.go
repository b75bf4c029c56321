package main

import (
	"bytes"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot/telegramtest"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
)

// answerWith completes the default survey by tapping, with hard as the
// free-text answer to what makes the hardest activity hard.
func (r *respondent) answerWith(source, hard string) {
	r.h.t.Helper()
	r.u.Start(source)
	r.tap("✅ I agree")
	r.tap("🤝 Mutual aid / community")
	r.tap("10–30")
	r.tap("Informal, no legal form")
	r.tap("Skip") // region
	r.waitText("Which town, city or area")
	r.say("Leeds")
	r.waitText("Which of these does your group do?")
	r.toggle("📣 Telling members news")
	r.tap("Done ▶")
	r.waitText("Telling members news")
	r.toggle("WhatsApp")
	r.tap("Done ▶")
	r.waitText("Which of these is hardest")
	r.tap("📣 Telling members news")
	r.waitText("What makes")
	r.say(hard)
	r.tap("Yes, anonymously")
	r.tap("Not really") // a tool to recommend
	r.waitText("your role in the group")
	r.tap("Skip")
	r.waitText("Thank you")
}

// TestEndToEndMyData: /mydata shows the person's own answers, source and
// survey version, and nothing of anyone else's.
func TestEndToEndMyData(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	// Ids that no clock time or date can contain, so that the other's id
	// is found only if it is really shown.
	a, b := h.respondent(970021), h.respondent(970022)
	a.answerWith("flyerA", "MARKER-alpha too many chats")
	b.answerWith("flyerB", "MARKER-bravo no time")
	a.say("/mydata")
	m := a.waitText("Everything stored about you")
	for _, want := range []string{"MARKER-alpha too many chats", "flyerA", "Telegram id 970021", "version", "Leeds", "WhatsApp", "Finished:"} {
		if !strings.Contains(m.Rendered, want) {
			t.Errorf("/mydata lacks %q:\n%s", want, m.Rendered)
		}
	}
	for _, other := range []string{"MARKER-bravo", "flyerB", "970022"} {
		if strings.Contains(m.Rendered, other) {
			t.Errorf("/mydata of 970021 shows %q of someone else:\n%s", other, m.Rendered)
		}
	}
	// Someone with nothing stored is told so.
	c := h.respondent(23)
	c.say("/mydata")
	c.waitText("Nothing is stored about you.")
}

// TestEndToEndDeleteThenCompact: after /delete and a compaction, the
// person's free-text marker is in no byte of the database file; the others
// stay, and exports count only them.
func TestEndToEndDeleteThenCompact(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	const marker = "MARKER-9d1e-delete-me"
	a, b := h.respondent(31), h.respondent(32)
	a.answerWith("flyerA", marker+" too many chats")
	b.answerWith("flyerB", "keep this one")

	// Cancelling keeps everything.
	a.say("/delete")
	a.tap("No, keep it")
	a.waitText("Nothing was deleted.")
	a.say("/delete")
	a.tap("🗑 Yes, delete everything")
	a.waitText("everything stored about you has been deleted")
	a.say("/mydata")
	a.waitText("Nothing is stored about you.")
	h.stop()

	data, err := os.ReadFile(h.cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("keep this one")) {
		t.Fatal("the other respondent's answer is not in the file: the check below proves nothing")
	}
	out, stderr, err := runCmd(t, "", "compact", "--db", h.cfg.Database)
	if err != nil || !strings.Contains(out, "Compacted") {
		t.Fatalf("toolmap compact: %v\n%s%s", err, out, stderr)
	}
	data, err = os.ReadFile(h.cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(marker)) {
		t.Error("the deleted respondent's marker is still in the database file")
	}
	if fi, err := os.Stat(h.cfg.Database); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database mode after compacting: %v %v", fi.Mode(), err)
	}
	db := h.openStore()
	if _, ok, _ := db.Session(31); ok {
		t.Error("the session of 31 is still there")
	}
	if hasChat(t, db, 31) {
		t.Error("the chat record of 31 is still there")
	}
	if n, err := db.CountResponses(time.Time{}, time.Time{}); err != nil || n != 1 {
		t.Errorf("%d responses, %v; want only 32's", n, err)
	}
	items, _ := db.Pending(0)
	for _, it := range items {
		if it.Out.ChatID == 31 {
			t.Errorf("a message to 31 is still queued: %+v", it.Out)
		}
	}
}

// TestForgetByPseudonym: toolmap forget finds a respondent by their export
// pseudonym, deletes them and compacts; a wrong pseudonym deletes nothing.
func TestForgetByPseudonym(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	const marker = "MARKER-forget-by-email"
	a, b := h.respondent(41), h.respondent(42)
	a.answerWith("", marker)
	b.answerWith("", "stays")
	key := bytes.Repeat([]byte{7}, 32)
	keyFile := filepath.Join(t.TempDir(), "study.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	// While the bot runs: through the admin endpoint.
	_, stderr, err := runCmd(t, "", "forget", "--db", h.cfg.Database, "--key-file", keyFile, "0123456789abcdef")
	if err == nil || !strings.Contains(err.Error(), "no respondent has pseudonym") {
		t.Errorf("forget an unknown pseudonym: %v %s", err, stderr)
	}
	_, stderr, err = runCmd(t, "", "forget", "--db", h.cfg.Database, "--key-file", keyFile, "not-hex")
	if exitCode(err) != 2 || !strings.Contains(stderr, "16 hex digits") {
		t.Errorf("forget a malformed pseudonym: %v %s", err, stderr)
	}
	out, stderr, err := runCmd(t, "", "forget", "--db", h.cfg.Database, "--key-file", keyFile, export.Pseudonym(key, 41))
	if err != nil || !strings.Contains(out, "Deleted everything stored about") {
		t.Fatalf("forget 41: %v\n%s%s", err, out, stderr)
	}
	// The bot carries on for the others.
	b.say("/mydata")
	b.waitText("stays")
	h.stop()
	data, err := os.ReadFile(h.cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(marker)) {
		t.Error("the forgotten respondent's marker is still in the database file")
	}
	db := h.openStore()
	if _, ok, _ := db.Session(41); ok {
		t.Error("41 is still there")
	}
	if _, ok, _ := db.Session(42); !ok {
		t.Error("42 was deleted too")
	}
}

// TestCompactCommand: toolmap compact on a stopped bot's database, and its
// refusal when the database is held and no admin endpoint answers.
func TestCompactCommandRefusesALockedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "toolmap.db")
	db, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Step(5, func(s survey.Session) (survey.Session, []survey.Event, error) { return s, nil, nil }); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCmd(t, "", "compact", "--db", path)
	if err == nil || !strings.Contains(err.Error(), "in use by a running bot") || !strings.Contains(err.Error(), "stop the bot") {
		t.Errorf("compact of a held database: %v", err)
	}
}

// TestEndToEndRetention: /privacy tells retention.days; the start-up
// retention drops the Telegram id of a finisher older than it (here: a
// retention run a year ahead) and their answers stay under a surrogate.
func TestEndToEndRetention(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	h.stop()
	h.cfg.Retention.Days = 90
	h.start()
	a, b := h.respondent(71), h.respondent(72)
	a.answerWith("", "kept without my id")
	b.u.Start("")
	b.tap("✅ I agree")
	b.say("/privacy")
	m := b.waitText("After 90 days your Telegram id is removed")
	if !strings.Contains(m.Rendered, "What we keep") {
		t.Errorf("/privacy:\n%s", m.Rendered)
	}
	h.stop()
	db, err := store.Open(h.cfg.Database, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Retain(time.Now().Add(365 * 24 * time.Hour).Add(-90 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.Session(71); ok {
		t.Error("the finisher is still kept under their Telegram id")
	}
	if _, ok, _ := db.Session(72); ok {
		t.Error("the unfinished session is still kept")
	}
	var kept []survey.RespondentID
	if err := db.Responses(time.Time{}, time.Time{}, func(id survey.RespondentID, s survey.Session) error {
		for _, a := range s.Answers {
			if a.Text == "kept without my id" {
				kept = append(kept, id)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(kept) != 1 || !store.Anonymous(kept[0]) {
		t.Errorf("responses after retention: %v, want one under a surrogate id", kept)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Without retention.days, /privacy says nothing of it.
	h.cfg.Retention.Days = 0
	h.start()
	c := h.respondent(73)
	c.say("/privacy")
	m = c.waitText("What we keep")
	if strings.Contains(m.Rendered, "days your Telegram id") {
		t.Errorf("/privacy tells a retention that is off:\n%s", m.Rendered)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// hasChat reports whether the store keeps a record of chatID.
func hasChat(t *testing.T, db *store.DB, chatID int64) bool {
	t.Helper()
	var ok bool
	if err := db.View(func(tx *store.Tx) error {
		var err error
		_, ok, err = tx.ChatState(chatID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}
