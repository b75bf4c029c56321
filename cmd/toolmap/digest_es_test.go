package main

import (
	"strings"
	"testing"
	"time"
)

// TestDigestSpanishChannel: with digest.language: es the scheduled job
// posts the week's digest in Spanish, chart caption and text.
func TestDigestSpanishChannel(t *testing.T) {
	now := monday0900.Add(50 * time.Hour) // Wednesday: no slot to catch up
	h, ch, dw := digestBot(t, now, func(h *harness) { h.cfg.Digest.Language = "es" })
	<-dw.caughtUp
	dw.schedule.RunSlot(t.Context(), monday0900)
	msgs := h.srv.BotMessages(ch)
	if len(msgs) < 2 || msgs[0].Kind != "photo" || msgs[1].Kind != "text" {
		t.Fatalf("channel after the job: %+v", msgs)
	}
	if want := "🗺️ Qué herramientas usan los grupos para cada actividad: el estudio hasta ahora, 10 grupos, hasta la semana 47."; msgs[0].Caption != want {
		t.Errorf("caption %q, want %q", msgs[0].Caption, want)
	}
	var text strings.Builder
	for _, m := range msgs[1:] {
		text.WriteString(m.Rendered + "\n")
	}
	for _, want := range []string{
		"Resumen semanal · Semana 47 · 16–22 nov 2026",
		"✅ Terminaron esta semana: 8 grupos (la semana anterior: 6)",
		"El mapa hasta ahora · 10 grupos",
		"▼ Facebook para 📣 Dar noticias al grupo: 63\u00a0% de los grupos de esta semana (antes: 100\u00a0%)",
		"Las cifras menores que 5 aparecen como «menos de 5»",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the channel's digest lacks %q:\n%s", want, text.String())
		}
	}
	for _, english := range []string{"Weekly digest", "Finished", "groups", "fewer than"} {
		if strings.Contains(text.String(), english) {
			t.Errorf("English %q in the Spanish digest:\n%s", english, text.String())
		}
	}
}

// TestDigestPreviewConfigLanguage: "toolmap digest --preview" takes the
// language from the config's digest.language.
func TestDigestPreviewConfigLanguage(t *testing.T) {
	path := typicalDB(t)
	cfg := writeConfig(t, "database: "+path+"\ndigest:\n  language: es\n  timezone: Europe/London\n")
	out, stderr, err := runCmd(t, "", "digest", "--preview", "--config", cfg, "--period", "2026-W47")
	if err != nil {
		t.Fatalf("digest: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(out, "📊 <b>Los grupos comunitarios y sus herramientas</b>\nResumen semanal · Semana 47 · 16–22 nov 2026\n") ||
		!strings.Contains(out, "<b>📣 Dar noticias al grupo</b> · 10 grupos\nFacebook 10 (100\u00a0%)") {
		t.Errorf("preview with digest.language: es:\n%s", out)
	}
}
