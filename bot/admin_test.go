package bot

import (
	"context"
	"strconv"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// roles is an Admin for tests: fixed roles; Do is never called here (the
// commands are read from the bot's queue).
type roles map[int64]Role

func (r roles) Role(id int64) Role               { return r[id] }
func (r roles) Do(context.Context, AdminCommand) {}

// TestPrivilegedCommands: admins' and researchers' commands are committed
// like any update (a repeat does nothing) and handed over once; others get
// the unknown-command answer, or for /export a neutral refusal.
func TestPrivilegedCommands(t *testing.T) {
	b, st := newTestBot(t)
	admin := &tgbotapi.User{ID: 2001}
	researcher := &tgbotapi.User{ID: 2002, LanguageCode: "es-419"}
	b.opts.Admin = roles{2001: {Admin: true}, 2002: {Researcher: true}}
	chat := func(u *tgbotapi.User) tgbotapi.Chat { return tgbotapi.Chat{ID: u.ID, Type: "private"} }
	var u updates
	unknown := esc(b.def.Msg("es", "unknown_command"))
	unknownEN := esc(b.def.Msg("en", "unknown_command"))
	refused := HTMLMsg(b.def, "es", "admin_refused")
	refusedEN := HTMLMsg(b.def, "en", "admin_refused")
	if refused == refusedEN || refused == "" {
		t.Fatalf("the refusal in Spanish is %q", refused)
	}

	for _, tc := range []struct {
		name    string
		from    *tgbotapi.User
		text    string
		handed  string // the command handed to Admin, or ""
		replied string // the committed reply, or ""
	}{
		{"admin /stats", admin, "/stats", "stats", ""},
		{"admin /digest_resend", admin, "/digest_resend  2026-W47 ", "digest_resend", ""},
		{"admin /export", admin, "/export", "", refusedEN},
		{"researcher /export", researcher, "/export", "export", ""},
		{"researcher /digest", researcher, "/digest", "", unknown},
		{"stranger /digest", alice, "/digest", "", unknown},
		{"stranger /stats", alice, "/stats", "", unknown},
		{"stranger /export", alice, "/export please", "", refused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(st.out)
			upd := u.message(chat(tc.from), tc.from, tc.text)
			mustHandle(t, b, upd)
			mustHandle(t, b, upd) // a repeat
			var handed []AdminCommand
			for len(b.admin) > 0 {
				handed = append(handed, <-b.admin)
			}
			switch {
			case tc.handed == "" && len(handed) > 0:
				t.Errorf("handed over %+v", handed)
			case tc.handed != "" && (len(handed) != 1 || handed[0].Name != tc.handed || handed[0].UserID != tc.from.ID || handed[0].ChatID != tc.from.ID):
				t.Errorf("handed over %+v, want one %s", handed, tc.handed)
			}
			if tc.handed == "digest_resend" && handed[0].Arg != "2026-W47" {
				t.Errorf("arg %q", handed[0].Arg)
			}
			// The answer's language: the user's (the researcher's Telegram
			// speaks Spanish; the admin's says nothing, so the default).
			if wantLang := map[string]string{"stats": "en", "digest_resend": "en", "export": "es"}[tc.handed]; tc.handed != "" && handed[0].Lang != wantLang {
				t.Errorf("handed over in language %q, want %q", handed[0].Lang, wantLang)
			}
			out := st.out[before:]
			switch {
			case tc.replied == "" && len(out) > 0:
				t.Errorf("replied %+v", out)
			case tc.replied != "" && (len(out) != 1 || out[0].Text != tc.replied):
				t.Errorf("replied %+v, want %q", out, tc.replied)
			}
			if !st.seen["m:"+itoa(tc.from.ID)+":"+itoa(int64(upd.Message.MessageID))] {
				t.Errorf("the update was not committed")
			}
		})
	}

	// A language chosen in the chat (/language) beats Telegram's.
	st.sessions[survey.RespondentID(admin.ID)] = survey.Session{Language: "es"}
	mustHandle(t, b, u.message(chat(admin), admin, "/stats"))
	if cmd := <-b.admin; cmd.Lang != "es" {
		t.Errorf("/stats from an admin who chose Spanish: language %q", cmd.Lang)
	}
	delete(st.sessions, survey.RespondentID(admin.ID))

	// Without an Admin, the commands are unknown.
	b.opts.Admin = nil
	before := len(st.out)
	mustHandle(t, b, u.message(chat(admin), admin, "/stats"))
	if out := st.out[before:]; len(out) != 1 || out[0].Text != unknownEN || len(b.admin) != 0 {
		t.Errorf("no Admin: %+v", out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
