package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"toolmap/bot/telegramtest"
)

// showRespondentFeatures plays two more people after the run, to show
// what the summary cannot: a respondent who stopped after the first
// question gets a reminder (the reminder job run as if a day had passed),
// and an organiser who finishes after the give-back counts are rebuilt
// from everyone's answers sees "groups like yours…". It returns the lines
// to print.
func (d *demoRun) showRespondentFeatures(ctx context.Context, bot Running) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	lang := d.def.PickLanguage("en")
	var b strings.Builder
	wait := func(id int64, what string, cond func(telegramtest.ChatView) bool) (telegramtest.ChatView, error) {
		for {
			ch := d.srv.ChatChanged(id)
			if v := d.srv.View(id); cond(v) {
				return v, nil
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return telegramtest.ChatView{}, fmt.Errorf("waiting for %s: %w", what, ctx.Err())
			}
		}
	}

	// A straggler: agrees, then stops.
	const stragglerID = 90_000
	u := d.srv.User(stragglerID)
	u.Start("")
	agree := d.def.Text(d.def.Consent.Agree, lang)
	if _, err := wait(stragglerID, "the consent notice", func(v telegramtest.ChatView) bool { return hasButton(v.Prompt, agree) }); err != nil {
		return "", err
	}
	if err := u.Tap(agree); err != nil {
		return "", err
	}
	if _, err := wait(stragglerID, "the first question", func(v telegramtest.ChatView) bool {
		return v.Prompt.MessageID != 0 && !hasButton(v.Prompt, agree)
	}); err != nil {
		return "", err
	}
	if _, err := bot.Reminders.Queue(time.Now().Add(25 * time.Hour)); err != nil {
		return "", err
	}
	hello := firstWords(d.def.Msg(lang, "reminder"))
	v, err := wait(stragglerID, "the reminder", func(v telegramtest.ChatView) bool { return strings.HasPrefix(v.Last.Rendered, hello) })
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "reminder (to someone who stopped after agreeing, a day later):\n  %s\n  %s\n", v.Last.Rendered, buttonRow(v.Last))

	// One more organiser, after the counts are rebuilt.
	if err := bot.GiveBack.Run(ctx); err != nil {
		return "", err
	}
	o := newOrganiser(d, 1<<40)
	if err := d.srv.Person(stragglerID+1, o, telegramtest.Habits{Patience: demoStall}, d.o.Seed).Run(ctx, ""); err != nil || o.status != "completed" {
		return "", fmt.Errorf("one more organiser: %s %v", o.status, err)
	}
	thanks := d.srv.View(stragglerID + 1).Last.Rendered
	head := d.def.Msg(lang, "giveback_title")
	i := strings.Index(thanks, head)
	if i < 0 {
		return "", fmt.Errorf("no give-back in the thanks: %q", firstWords(thanks))
	}
	give := thanks[i:]
	if j := strings.Index(give, "\n\n"); j >= 0 {
		give = give[:j]
	}
	fmt.Fprintf(&b, "give-back (to one more organiser who finished):\n  %s\n", strings.ReplaceAll(give, "\n", "\n  "))
	return b.String(), nil
}

func hasButton(m telegramtest.Message, label string) bool {
	for _, row := range m.Keyboard {
		for _, btn := range row {
			if btn.Text == label {
				return true
			}
		}
	}
	return false
}

func buttonRow(m telegramtest.Message) string {
	var labels []string
	for _, row := range m.Keyboard {
		for _, btn := range row {
			labels = append(labels, "["+btn.Text+"]")
		}
	}
	return strings.Join(labels, " ")
}
