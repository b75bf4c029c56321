package main

import (
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
)

// TestAdminCommandsInSpanish: an admin whose Telegram speaks Spanish gets
// the admin menu and the replies to /stats, /digest_resend and /digest in
// Spanish.
func TestAdminCommandsInSpanish(t *testing.T) {
	const id = int64(7004)
	now := monday0900.Add(50 * time.Hour)
	h, _, dw := digestBot(t, now, func(h *harness) {
		h.srv.AddUser(telegramtest.UserInfo{ID: id, FirstName: "Ana", LanguageCode: "es"})
		h.cfg.Admin.Users = append(h.cfg.Admin.Users, id)
	})
	<-dw.caughtUp
	admin := h.respondent(id)
	admin.u.SendCommand("stats", "")
	admin.waitText("Terminaron: 14")
	admin.u.SendCommand("digest_resend", "")
	admin.waitText("¿Qué semana? Por ejemplo: /digest_resend 2026-W47")
	admin.u.SendCommand("digest_resend", "2026-47")
	admin.waitText("«2026-47» no es una semana como 2026-W47")
	admin.u.SendCommand("digest", "")
	admin.waitText("Vista previa del resumen de 2026-W48")
	cmds := h.srv.Commands(&tgbotapi.BotCommandScope{Type: "chat", ChatID: id}, "es")
	if !hasCommand(cmds, "digest_resend") || cmds[len(cmds)-1].Description != "Volver a publicar el resumen de una semana: /digest_resend 2026-W47" {
		t.Errorf("Spanish admin menu: %v", cmds)
	}
}
