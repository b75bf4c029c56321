package bot

import (
	"context"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// TestCommandMenus registers the menus over the real client with the fake
// Bot API: the respondents' in every language of the survey (the default
// for everyone else), and each admin's and researcher's with their own
// commands, in the same languages.
func TestCommandMenus(t *testing.T) {
	srv := telegramtest.NewServer(telegramtest.Options{})
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	api, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), newHTTPClient(ctx, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	def := fixture(t)
	def.DefaultLanguage, def.Languages = "es", []string{"es", "en", "pt-br"}
	b := New(testConn(api), def, newMemStore(), nil, nil)
	if err := b.SetCommands(); err != nil {
		t.Fatal(err)
	}
	if err := b.SetAdminCommands([]int64{501}, []int64{502}); err != nil {
		t.Fatal(err)
	}
	describe := func(cmds []tgbotapi.BotCommand) []string {
		var out []string
		for _, c := range cmds {
			out = append(out, c.Command+" "+c.Description)
		}
		return out
	}
	private := tgbotapi.NewBotCommandScopeAllPrivateChats()
	for _, tt := range []struct {
		scope    tgbotapi.BotCommandScope
		code     string
		lang     string // the survey language of the descriptions
		first    string
		last     string
		commands int
	}{
		{private, "", "es", "start Empezar, o seguir donde lo dejaste", "help Cómo funciona", 10},
		{private, "en", "en", "start Begin, or carry on where you left off", "help How this works", 10},
		{private, "pt", "pt-br", "start Empezar, o seguir donde lo dejaste", "help Cómo funciona", 10}, // no Portuguese: the default
		{tgbotapi.NewBotCommandScopeChat(501), "", "es", "start Empezar, o seguir donde lo dejaste", "digest_resend Volver a publicar el resumen de una semana: /digest_resend 2026-W47", 13},
		{tgbotapi.NewBotCommandScopeChat(501), "en", "en", "start Begin, or carry on where you left off", "digest_resend Post a week's digest again: /digest_resend 2026-W47", 13},
		{tgbotapi.NewBotCommandScopeChat(502), "en", "en", "start Begin, or carry on where you left off", "export The pseudonymised data (ZIP)", 11},
		{tgbotapi.NewBotCommandScopeChat(502), "", "es", "start Empezar, o seguir donde lo dejaste", "export Los datos seudonimizados (ZIP)", 11},
	} {
		got := describe(srv.Commands(&tt.scope, tt.code))
		if len(got) != tt.commands || got[0] != tt.first || got[len(got)-1] != tt.last {
			t.Errorf("menu of %s in %q: %q", tt.scope.Type, tt.code, got)
		}
		for i, name := range respondentCommands {
			if want := name + " " + def.Msg(tt.lang, "command_"+name); i < len(got) && got[i] != want {
				t.Errorf("menu of %s in %q: %q, want %q", tt.scope.Type, tt.code, got[i], want)
			}
		}
	}
	if got := srv.Commands(&private, "es"); got != nil {
		t.Errorf("a menu in es, the default, as well as for everyone: %v", got)
	}
}

func TestHTMLMsg(t *testing.T) {
	def := fixture(t)
	for _, tt := range []struct {
		lang, key string
		pairs     []string
		want      string
	}{
		// An HTML message keeps its tags; the values are escaped.
		{"en", "admin_resend_which", []string{"period", "<2026-W47>"}, "Which week? For example: <code>/digest_resend &lt;2026-W47&gt;</code>"},
		{"es", "admin_preview", []string{"period", "2026-W47"}, "👀 <i>Vista previa del resumen de 2026-W47, con lo que hay hasta ahora; no se ha publicado nada.</i>"},
		// A plain message is escaped whole.
		{"en", "admin_failed", []string{"error", `open "a&b": denied`}, "⚠️ That did not work: open &#34;a&amp;b&#34;: denied"},
		{"en", "admin_refused", nil, "Sorry, this command is not available in this chat."},
	} {
		if got := HTMLMsg(def, tt.lang, tt.key, tt.pairs...); got != tt.want {
			t.Errorf("HTMLMsg(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	// A survey's wording of an HTML message is HTML too.
	def.Messages = map[string]survey.Text{"admin_stats": {"en": "<b>Now</b> {started}"}}
	if diff := cmp.Diff("<b>Now</b> 1&lt;2", HTMLMsg(def, "en", "admin_stats", "started", "1<2")); diff != "" {
		t.Error(diff)
	}
}
