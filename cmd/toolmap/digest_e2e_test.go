package main

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/jobs"
	"toolmap/store"
)

const (
	e2eAdmin      = int64(7001)
	e2eResearcher = int64(7002)
	e2eStranger   = int64(7003)
	e2eChannel    = "@toolmap_coord"
)

// digestBot runs the bot on the typical week's database (responses in
// 2026-W47), with a channel it administers, an admin, a researcher and a
// study key, on a clock fixed at now. It returns the harness, the channel's
// id and the digest wiring.
func digestBot(t *testing.T, now time.Time, before func(*harness)) (*harness, int64, *digestParts) {
	t.Helper()
	path := typicalDB(t)
	var ch int64
	dw := &digestParts{}
	h := newHarnessWith(t, telegramtest.Options{}, func(h *harness) {
		h.cfg.Database = path
		c := h.srv.Channel(1, "Coordinators", e2eChannel)
		ch = c.ID()
		h.srv.SetMemberStatus(ch, h.srv.BotUser().ID, "administrator")
		// The people exist (have a private chat with the bot) before it
		// starts: a bot cannot write to someone who never opened its chat.
		for _, id := range []int64{e2eAdmin, e2eResearcher, e2eStranger} {
			h.srv.User(id)
		}
		h.cfg.Digest.Channel = e2eChannel
		h.cfg.Digest.Timezone = "Europe/London"
		h.cfg.Admin.Users = []int64{e2eAdmin}
		h.cfg.Admin.Researchers = []int64{e2eResearcher}
		h.env = map[string]string{jobs.StudyKeyEnv: hex.EncodeToString([]byte("a study key of thirty-two bytes!"))}
		h.hooks = func(hk *serveHooks) {
			hk.now = func() time.Time { return now }
			hk.fastPosts = true
			hk.digest = func(d *jobs.Digest, s *jobs.DigestSchedule) {
				dw.digest, dw.schedule, dw.caughtUp = d, s, make(chan struct{})
			}
			hk.caughtUp = func() { close(dw.caughtUp) }
		}
		if before != nil {
			before(h)
		}
	})
	return h, ch, dw
}

// digestParts are the running bot's digest job, its schedule, and a
// channel closed when its start-up catch-up is over (each start).
type digestParts struct {
	digest   *jobs.Digest
	schedule *jobs.DigestSchedule
	caughtUp chan struct{}
}

var london = func() *time.Location { l, _ := time.LoadLocation("Europe/London"); return l }()

// monday0900 is the slot that posts 2026-W47.
var monday0900 = time.Date(2026, 11, 23, 9, 0, 0, 0, london)

// TestDigestEndToEnd: the scheduled job posts the week's digest, chart and
// text, to the channel; a second run posts nothing; previews and --post
// work through the running bot; admins' commands work and others' do not.
func TestDigestEndToEnd(t *testing.T) {
	now := monday0900.Add(50 * time.Hour) // Wednesday: no slot to catch up
	h, ch, dw := digestBot(t, now, nil)
	ctx := t.Context()
	<-dw.caughtUp
	if n := len(h.srv.BotMessages(ch)); n != 0 {
		t.Fatalf("%d messages in the channel before the job ran", n)
	}

	dw.schedule.RunSlot(ctx, monday0900)
	msgs := h.srv.BotMessages(ch)
	if len(msgs) < 2 || msgs[0].Kind != "photo" || !strings.Contains(msgs[0].Caption, "week 47") || msgs[1].Kind != "text" ||
		!strings.Contains(msgs[1].Rendered, "Week 47 · 16–22 Nov 2026") {
		t.Fatalf("channel after the job: %+v", msgs)
	}
	posted := len(msgs)

	// The same period again, by the job and by the command line through
	// the running bot: nothing more.
	dw.schedule.RunSlot(ctx, monday0900.Add(time.Hour))
	out, stderr, err := runCmd(t, "", "digest", "--post", "--db", h.cfg.Database, "--period", "2026-W47")
	if err != nil || !strings.Contains(out, "posted before") {
		t.Errorf("digest --post: %v %q %q", err, out, stderr)
	}
	if n := len(h.srv.BotMessages(ch)); n != posted {
		t.Errorf("%d messages in the channel after a second run, want %d", n, posted)
	}
	// Previewing while the bot holds the database.
	out, stderr, err = runCmd(t, "", "digest", "--preview", "--db", h.cfg.Database, "--period", "2026-W47", "--tz", "Europe/London")
	if err != nil || !strings.Contains(out, "Week 47 · 16–22 Nov 2026") {
		t.Errorf("digest --preview through the bot: %v\n%s\n%s", err, out, stderr)
	}

	// A stranger's admin command gets the unknown-command answer; their
	// /export a neutral refusal, logged without the text.
	stranger := h.respondent(e2eStranger)
	stranger.u.SendCommand("frobnicate", "")
	unknown := stranger.waitText("I don't know that command").Rendered
	for _, c := range []string{"digest", "stats", "digest_resend"} {
		before := len(h.srv.BotMessages(e2eStranger))
		stranger.u.SendCommand(c, "2026-W47 secret-words")
		h.waitFor("an answer to /"+c, func(s *telegramtest.Server) bool { return len(s.BotMessages(e2eStranger)) > before })
		if got := stranger.last(); got.Rendered != unknown || got.Kind != "text" {
			t.Errorf("stranger's /%s: %q, want %q", c, got.Rendered, unknown)
		}
	}
	stranger.u.SendCommand("export", "secret-words")
	stranger.waitText("not available")
	for _, m := range h.srv.BotMessages(e2eStranger) {
		if m.Kind != "text" {
			t.Errorf("the stranger got a %s", m.Kind)
		}
	}
	if n := len(h.srv.BotMessages(ch)); n != posted {
		t.Errorf("a stranger's command changed the channel")
	}
	if l := h.logs.String(); !strings.Contains(l, "refused a privileged command") || !strings.Contains(l, "user_id=7003") || strings.Contains(l, "secret-words") {
		t.Errorf("refusal log:\n%s", l)
	}

	// The admin's commands.
	admin := h.respondent(e2eAdmin)
	sent := admin.u.SendCommand("stats", "")
	m := admin.waitText("Finished: 14")
	if !strings.Contains(m.Rendered, "Messages waiting to be sent:") {
		t.Errorf("/stats: %q", m.Rendered)
	}
	// The same update again does nothing: admin commands are committed
	// (deduplicated) like any other update. The next command's answer
	// comes after anything the repeat could have caused.
	if err := h.srv.Redeliver(sent.UpdateID); err != nil {
		t.Fatal(err)
	}
	admin.u.SendCommand("digest_resend", "")
	admin.waitText("Which week?")
	stats := 0
	for _, m := range h.srv.BotMessages(e2eAdmin) {
		if strings.Contains(m.Rendered, "Finished: 14") {
			stats++
		}
	}
	if stats != 1 {
		t.Errorf("%d answers to one /stats delivered twice", stats)
	}
	admin.u.SendCommand("digest", "")
	admin.waitText("Preview of the digest for 2026-W48")
	if n := len(h.srv.BotMessages(ch)); n != posted {
		t.Errorf("/digest posted to the channel")
	}
	cmds := h.srv.Commands(&tgbotapi.BotCommandScope{Type: "chat", ChatID: e2eAdmin}, "")
	if !hasCommand(cmds, "digest_resend") || hasCommand(cmds, "export") {
		t.Errorf("admin menu: %v", cmds)
	}
	if cmds := h.srv.Commands(&tgbotapi.BotCommandScope{Type: "chat", ChatID: e2eResearcher}, ""); !hasCommand(cmds, "export") || hasCommand(cmds, "stats") {
		t.Errorf("researcher menu: %v", cmds)
	}

	// The researcher's /export: a protected ZIP.
	researcher := h.respondent(e2eResearcher)
	researcher.u.SendCommand("export", "")
	h.waitFor("the export", func(s *telegramtest.Server) bool {
		m, ok := s.LastMessage(e2eResearcher)
		return ok && m.Kind == "document"
	})
	doc := researcher.last()
	if !doc.Protected || doc.File == nil || !strings.HasSuffix(doc.File.FileName, ".zip") || len(doc.File.Data) < 100 || string(doc.File.Data[:2]) != "PK" {
		t.Errorf("export document: protected %v, file %+v", doc.Protected, doc.File)
	}
}

func hasCommand(cmds []tgbotapi.BotCommand, name string) bool {
	for _, c := range cmds {
		if c.Command == name {
			return true
		}
	}
	return false
}

// TestDigestAmbiguous: a period whose post was cut off (pending when the
// bot restarted) is not posted; the admin is told how to force it, and
// /digest_resend posts it. A post that fails with an unknown outcome (an
// HTML 502) is held the same way.
func TestDigestAmbiguous(t *testing.T) {
	now := monday0900.Add(50 * time.Hour)
	h, ch, dw := digestBot(t, now, func(h *harness) {
		db := openStore(t, h.cfg.Database)
		if err := db.Update(func(tx *store.Tx) error { return tx.ForceDigest("2026-W47", time.Now()) }); err != nil { // an attempt in flight at a crash
			t.Fatal(err)
		}
		db.Close()
	})
	ctx := t.Context()
	<-dw.caughtUp
	dw.schedule.RunSlot(ctx, monday0900)
	admin := h.respondent(e2eAdmin)
	alert := admin.waitText("may or may not have reached @toolmap_coord")
	if !strings.Contains(alert.Rendered, "/digest_resend 2026-W47") {
		t.Errorf("alert: %q", alert.Rendered)
	}
	dw.schedule.RunSlot(ctx, monday0900.Add(time.Minute))
	if n := len(h.srv.BotMessages(ch)); n != 0 {
		t.Fatalf("%d messages posted for an ambiguous period", n)
	}
	if n := len(h.srv.BotMessages(e2eAdmin)); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}

	admin.u.SendCommand("digest_resend", "2026-W47")
	admin.waitText("was posted")
	msgs := h.srv.BotMessages(ch)
	if len(msgs) < 2 || msgs[0].Kind != "photo" {
		t.Fatalf("channel after /digest_resend: %+v", msgs)
	}

	// An unknown outcome: Telegram's answer to a part is lost.
	h.srv.Fail("sendMessage", telegramtest.BadGateway(), 1)
	dw.schedule.RunSlot(ctx, monday0900.Add(-7*24*time.Hour)) // 2026-W46
	admin.waitText("The digest for 2026-W46 may or may not have reached")
	after := len(h.srv.BotMessages(ch))
	dw.schedule.RunSlot(ctx, monday0900.Add(-7*24*time.Hour+time.Hour))
	if n := len(h.srv.BotMessages(ch)); n != after {
		t.Errorf("channel: %d then %d messages: an ambiguous period was posted again", after, n)
	}

	h.stop()
	db := openStore(t, h.cfg.Database)
	for _, tc := range []struct {
		period string
		state  store.DigestState
	}{{"2026-W47", store.DigestSent}, {"2026-W46", store.DigestAmbiguous}} {
		var r store.DigestRecord
		err := db.View(func(tx *store.Tx) error {
			var err error
			r, _, err = tx.Digest(tc.period)
			return err
		})
		if err != nil || r.State != tc.state {
			t.Errorf("%s: %+v %v, want %s", tc.period, r, err, tc.state)
		}
	}
}

// TestDigestFailedRetried: a refusal (400) records the period as failed,
// and the next attempt posts it.
func TestDigestFailedRetried(t *testing.T) {
	h, ch, dw := digestBot(t, monday0900.Add(50*time.Hour), nil)
	<-dw.caughtUp
	h.srv.Fail("sendPhoto", telegramtest.BadRequest("need administrator rights in the channel chat"), 1)
	out, err := dw.digest.Post(t.Context(), jobs.SlotPeriod(monday0900, london), false)
	if err != nil || out.Outcome != jobs.OutcomeFailed || !strings.Contains(out.Reason, "need administrator rights") {
		t.Fatalf("first attempt: %+v %v", out, err)
	}
	if n := len(h.srv.BotMessages(ch)); n != 0 {
		t.Fatalf("%d messages after a refusal", n)
	}
	out, err = dw.digest.Post(t.Context(), jobs.SlotPeriod(monday0900, london), false)
	if err != nil || out.Outcome != jobs.OutcomeSent || len(h.srv.BotMessages(ch)) != len(out.MessageIDs) {
		t.Fatalf("second attempt: %+v %v", out, err)
	}
	if n := len(h.srv.BotMessages(e2eAdmin)); n != 0 {
		t.Errorf("the admin was alerted %d times about a refusal", n)
	}
}

// TestDigestCatchUp: a slot missed while the bot was down is posted at
// start-up within the grace window, and not again at the next start.
func TestDigestCatchUp(t *testing.T) {
	h, ch, dw := digestBot(t, monday0900.Add(3*time.Hour), nil)
	<-dw.caughtUp
	posted := len(h.srv.BotMessages(ch))
	if posted < 2 {
		t.Fatalf("catch-up posted %d messages", posted)
	}
	h.stop()
	h.start()
	<-dw.caughtUp
	if n := len(h.srv.BotMessages(ch)); n != posted {
		t.Errorf("the restart posted again: %d messages, want %d", n, posted)
	}
}

// TestDigestCatchUpTooLate: past the grace window, nothing is posted.
func TestDigestCatchUpTooLate(t *testing.T) {
	h, ch, dw := digestBot(t, monday0900.Add(25*time.Hour), nil)
	<-dw.caughtUp
	if n := len(h.srv.BotMessages(ch)); n != 0 {
		t.Errorf("%d messages posted past the grace window", n)
	}
}

// TestDigestStartupCheck: serve refuses to start when the channel is
// missing or the bot may not post there, saying how to fix it.
func TestDigestStartupCheck(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	member := srv.Channel(2, "Members only", "@toolmap_member")
	srv.SetMemberStatus(member.ID(), srv.BotUser().ID, "member")
	creator := srv.Channel(3, "Own channel", "@toolmap_own")
	srv.SetMemberStatus(creator.ID(), srv.BotUser().ID, "creator")
	group := srv.Supergroup(4, "Coordinators' group")
	muted := srv.Channel(5, "Admins who may not post", "@toolmap_muted")
	srv.SetAdminWithoutPosting(muted.ID(), srv.BotUser().ID)
	for _, tc := range []struct {
		channel ChatRef
		want    string // "" means it starts
	}{
		{"@toolmap_nowhere", "Telegram cannot find it"},
		{"@toolmap_member", "not an administrator"},
		{"@toolmap_own", ""},
		{"@toolmap_muted", "may not post messages"},
		{ChatRef(strconv.FormatInt(group.ID(), 10)), ""},
	} {
		t.Run(string(tc.channel), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Database = t.TempDir() + "/toolmap.db"
			cfg.Telegram.APIURL = srv.URL
			cfg.Digest.Channel = tc.channel
			ctx, cancel := context.WithCancel(t.Context())
			started := make(chan struct{})
			done := make(chan error, 1)
			getenv := func(k string) string {
				if k == TokenEnv {
					return srv.Token()
				}
				return ""
			}
			go func() {
				done <- serve(ctx, cfg, getenv, slog.New(slog.NewTextHandler(io.Discard, nil)), &serveHooks{
					started: func(running) { close(started) }})
			}()
			var err error
			select {
			case <-started:
				cancel()
				err = <-done
				if tc.want != "" {
					t.Errorf("started, want %q", tc.want)
				}
			case err = <-done:
				cancel()
				if tc.want == "" || err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "administrator") {
					t.Errorf("err = %v, want %q and how to fix it", err, tc.want)
				}
			case <-time.After(10 * time.Second):
				cancel()
				t.Fatal("serve neither started nor failed")
			}
			if tc.want == "" && err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("serve: %v", err)
			}
		})
	}
}

// TestDigestPostDirect: with the bot stopped, "toolmap digest --post"
// opens the database and posts through Telegram itself, once.
func TestDigestPostDirect(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	ch := srv.Channel(1, "Coordinators", e2eChannel)
	srv.SetMemberStatus(ch.ID(), srv.BotUser().ID, "administrator")
	path := typicalDB(t)
	cfgPath := filepath.Join(t.TempDir(), "toolmap.yaml")
	body := "database: " + path + "\ntelegram:\n  api_url: " + srv.URL + "\ndigest:\n  timezone: Europe/London\n  channel: \"" + e2eChannel + "\"\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(TokenEnv, srv.Token())
	out, stderr, err := runCmd(t, "", "digest", "--post", "--config", cfgPath, "--period", "2026-W47")
	if err != nil || !strings.Contains(out, "The digest for 2026-W47 was posted") {
		t.Fatalf("digest --post: %v\n%s\n%s", err, out, stderr)
	}
	msgs := srv.BotMessages(ch.ID())
	if len(msgs) < 2 || msgs[0].Kind != "photo" || !strings.Contains(msgs[1].Rendered, "Week 47") {
		t.Fatalf("channel: %+v", msgs)
	}
	out, _, err = runCmd(t, "", "digest", "--post", "--config", cfgPath, "--period", "2026-W47")
	if err != nil || !strings.Contains(out, "posted before") || len(srv.BotMessages(ch.ID())) != len(msgs) {
		t.Errorf("second --post: %v %q, %d messages", err, out, len(srv.BotMessages(ch.ID())))
	}
	// Without a channel, nothing to post to.
	_, _, err = runCmd(t, "", "digest", "--post", "--db", path)
	if err == nil || !strings.Contains(err.Error(), "digest.channel") {
		t.Errorf("no channel: %v", err)
	}
}

// TestServeChecksDigestLanguage: a digest language the survey does not
// speak stops the start, naming the key.
func TestServeChecksDigestLanguage(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	cfg := DefaultConfig()
	cfg.Database = filepath.Join(t.TempDir(), "toolmap.db")
	cfg.Telegram.APIURL = srv.URL
	cfg.Digest.Language = "fr"
	getenv := func(k string) string {
		if k == TokenEnv {
			return srv.Token()
		}
		return ""
	}
	err := serve(t.Context(), cfg, getenv, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err == nil || !strings.Contains(err.Error(), `digest.language`) || !strings.Contains(err.Error(), `"fr"`) {
		t.Errorf("err = %v", err)
	}
}
