package main

import (
	"fmt"
	"strings"
	"testing"

	"toolmap/bot/telegramtest"
)

// TestEndToEndGiveBack: after finishing, a respondent sees the tools most
// named by everyone for the activities they named, counts under
// digest.min_count never shown. The counts come from the aggregate built
// at start-up.
func TestEndToEndGiveBack(t *testing.T) {
	h := newHarness(t, telegramtest.Options{})
	for i := range 4 {
		h.respondent(int64(61+i)).answerWith("", fmt.Sprint("answer ", i))
	}
	h.stop()
	h.start() // the aggregate now holds four responses: under 5, nothing shows
	r := h.respondent(65)
	r.answerWith("", "five")
	m := r.waitText("Groups like yours")
	if !strings.Contains(m.Rendered, "Not enough groups have answered yet") || strings.Contains(m.Rendered, "(4)") {
		t.Errorf("give-back with four responses:\n%s", m.Rendered)
	}
	h.stop()
	h.start() // five responses naming WhatsApp for news
	r = h.respondent(66)
	r.answerWith("", "six")
	m = r.waitText("Groups like yours")
	if !strings.Contains(m.Rendered, "Telling members news: WhatsApp (5)") {
		t.Errorf("give-back with five responses:\n%s", m.Rendered)
	}
}
