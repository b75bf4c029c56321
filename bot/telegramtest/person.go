package telegramtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// A Person is a simulated person in a private chat with the bot who
// behaves as people on phones do: they read only the newest message the
// bot sent and tap only buttons on it; and now and then they type
// something that answers nothing, send an emoji or a sticker, scroll up
// and tap a button on an older message, or leave and come back later
// (/start). What to answer is the Mind's business (it knows the
// survey); how often the person strays is their Habits'. Their choices
// come from a generator seeded by the caller, so a run repeats.
//
// A Person waits for the bot's reply to each action: a new message, an
// edit of the newest one, or the toast of a tap. They act on the newest
// message once the Mind finds something to do on it; until then they
// wait for the next change. If the chat stays quiet for Patience, they
// leave and come back with /start, as a person whose screen seems stuck
// would.
type Person struct {
	s      *Server
	u      *User
	mind   Mind
	habits Habits
	rng    *rand.Rand
	stats  PersonStats
	seen   map[int]Message // older messages as they showed buttons
}

// Habits say how a Person strays from answering, each as the chance per
// action, and how patient they are.
type Habits struct {
	Stray    float64 // types a few words that answer nothing ("hello?")
	Emoji    float64 // sends an emoji, as text
	Sticker  float64 // sends a sticker, a photo or a voice note
	ScrollUp float64 // taps a button on an older message, if one still shows buttons
	Leave    float64 // leaves and comes back with /start
	// Think is how long they read before each action: between Think/2
	// and 3·Think/2. Zero acts at once.
	Think time.Duration
	// Patience is how long they wait in a quiet chat before they leave
	// and come back (/start). Zero: 30 s.
	Patience time.Duration
	// MaxActions bounds a run (zero: 500): a person still not done by
	// then is an error.
	MaxActions int
	// Words are what they type when they stray; nil: a few stock
	// phrases ("hello?", "sorry, what?"…).
	Words []string
}

// Scene is what a Person sees when they act.
type Scene struct {
	Newest Message // the newest message the bot sent
	// On is the message they act on: the newest, or an older one with
	// buttons when they scrolled up.
	On Message
	// Toast is the text their last tap showed, if any.
	Toast string
}

// Action is what a Mind decides. The zero Action means nothing to do on
// this message yet: the person waits for the bot.
type Action struct {
	Tap  string // the callback data of a button on Scene.On, to tap
	Text string // a text to send
	Done bool   // the conversation is over
}

// Mind decides what a Person answers; it knows the survey.
type Mind interface {
	// Ready reports whether the reply to the person's last action has
	// arrived (sc.Toast is its toast, if any): until then they wait,
	// without straying either.
	Ready(sc Scene) bool
	// Act returns what to do in the scene; the person does it (a tap or
	// a text) at once. The person strays on their own before asking.
	Act(Scene) Action
	// Strayed tells the mind what the person did of their own accord
	// while sc.Newest was the newest message: typed text (a few words,
	// an emoji: where the bot takes text, that is an answer), "" for a
	// sticker, a photo or a voice note, or "/start" when they left and
	// came back.
	Strayed(sc Scene, text string)
}

// PersonStats counts what a Person did.
type PersonStats struct {
	Actions, Taps, Texts  int // every action; taps; texts (answers and stray)
	Stray, Emoji, Sticker int // strays
	ScrollUps, Leaves     int // taps on older messages; /start after leaving
	Impatient             int // /start after the chat stayed quiet for Patience
	// Replies are the bot's reply times to the person's actions.
	Replies []Reply
}

// Reply is how long the bot took to answer one action.
type Reply struct {
	Tap bool // the action was a tap (else a text, a command, a sticker…)
	// Shown is from the update to the first call that changed what the
	// chat shows (a message sent, edited); Ack, for a tap, to the first
	// call about the chat at all (usually answerCallbackQuery, which
	// stops the button's spinner).
	Shown, Ack time.Duration
}

// Person returns a simulated person in the private chat of user id
// (created if needed), answering with mind, straying by habits, with
// choices seeded by seed.
func (s *Server) Person(id int64, mind Mind, habits Habits, seed uint64) *Person {
	if habits.Patience <= 0 {
		habits.Patience = 30 * time.Second
	}
	if habits.MaxActions <= 0 {
		habits.MaxActions = 500
	}
	return &Person{s: s, u: s.User(id), mind: mind, habits: habits, rng: rand.New(rand.NewPCG(seed, uint64(id)))}
}

// User returns the person's user handle.
func (p *Person) User() *User { return p.u }

// Stats returns what the person did so far.
func (p *Person) Stats() PersonStats { return p.stats }

// ErrNotDone means a Person gave up: MaxActions passed before the Mind
// said the conversation was over.
var ErrNotDone = errors.New("telegramtest: the person is not done")

var (
	strayTexts = []string{"hello?", "sorry, what?", "hmm", "wait", "is this working", "hi there"}
	emojis     = []string{"👍", "🙂", "🙏", "❤️", "😅", "👋"}
	stickers   = []string{"👍", "😂", "🎉"}
)

// Run plays the person from /start (with payload) until the Mind says
// the conversation is over, ctx ends, or MaxActions pass.
func (p *Person) Run(ctx context.Context, payload string) error {
	if !p.pause(ctx) {
		return ctx.Err()
	}
	before := p.s.View(p.u.ChatID())
	p.u.Start(payload)
	p.stats.Actions++
	tapID := ""
	for {
		v, quiet, err := p.await(ctx, before, tapID)
		if err != nil {
			return err
		}
		if quiet {
			// Nothing for a long while: leave, and come back.
			p.stats.Impatient++
			before, tapID = v, ""
			p.mind.Strayed(Scene{Newest: v.Last, On: v.Last}, "/start")
			p.u.Start("")
			p.stats.Actions++
			continue
		}
		if p.stats.Actions >= p.habits.MaxActions {
			return fmt.Errorf("%w after %d actions; the newest message: %q", ErrNotDone, p.stats.Actions, firstLine(v.Last.Rendered))
		}
		sc := Scene{Newest: v.Last, On: v.Last}
		if tapID != "" && v.Callback.ID == tapID && v.Callback.Answered {
			// The tap's answer is read once: its toast, if any, now.
			sc.Toast, tapID = v.Callback.AnswerText, ""
		}
		if !p.pause(ctx) {
			return ctx.Err()
		}
		if now := p.s.View(p.u.ChatID()); now.Last.MessageID != v.Last.MessageID || now.Last.Edits != v.Last.Edits {
			before = v // the chat changed while they read: read again (the toast stays)
			continue
		}
		id, acted, done := p.act(sc)
		if done {
			return nil
		}
		before = v
		if !acted {
			continue // nothing to do yet: wait for the bot (and a toast still to come)
		}
		tapID = id
		p.stats.Actions++
	}
}

// act does one thing: by the person's habits something of their own, on
// a message with buttons; otherwise what the mind decides. It returns the
// id of a tap's callback query, whether it did anything, and whether the
// conversation is over.
func (p *Person) act(sc Scene) (tapID string, acted, done bool) {
	p.remember(sc.Newest)
	if !p.mind.Ready(sc) {
		return "", false, false
	}
	sc.Toast = "" // read
	if hasCallbackButton(sc.Newest) {
		h, x := p.habits, p.rng.Float64()
		switch {
		case x < h.Stray:
			p.stats.Stray++
			words := h.Words
			if len(words) == 0 {
				words = strayTexts
			}
			return p.typeOwn(sc, words[p.rng.IntN(len(words))]), true, false
		case x < h.Stray+h.Emoji:
			p.stats.Emoji++
			return p.typeOwn(sc, emojis[p.rng.IntN(len(emojis))]), true, false
		case x < h.Stray+h.Emoji+h.Sticker:
			p.stats.Sticker++
			p.mind.Strayed(sc, "")
			switch p.rng.IntN(3) {
			case 0:
				p.u.SendSticker(stickers[p.rng.IntN(len(stickers))])
			case 1:
				p.u.SendPhoto("")
			default:
				p.u.SendVoice(1 + p.rng.IntN(9))
			}
			return "", true, false
		case x < h.Stray+h.Emoji+h.Sticker+h.Leave:
			p.stats.Leaves++
			p.mind.Strayed(sc, "/start")
			p.u.Start("")
			return "", true, false
		case x < h.Stray+h.Emoji+h.Sticker+h.Leave+h.ScrollUp:
			if id, ok := p.scrollUp(sc); ok {
				return id, true, false
			}
		}
	}
	act := p.mind.Act(sc)
	switch {
	case act.Done:
		return "", false, true
	case act.Text != "":
		p.stats.Texts++
		p.u.SendText(act.Text)
		return "", true, false
	case act.Tap != "":
		p.stats.Taps++
		return p.u.TapData(sc.On.MessageID, act.Tap).CallbackQueryID, true, false
	}
	return "", false, false
}

// remember keeps what an older message showed when it was the newest,
// buttons and all: a phone that has not caught up still shows it so.
func (p *Person) remember(m Message) {
	if m.MessageID == 0 || !hasCallbackButton(m) {
		return
	}
	if p.seen == nil {
		p.seen = map[int]Message{}
	}
	p.seen[m.MessageID] = m
	if len(p.seen) > 8 {
		oldest := m.MessageID
		for id := range p.seen {
			oldest = min(oldest, id)
		}
		delete(p.seen, oldest)
	}
}

// typeOwn sends text the person chose themselves, telling the mind.
func (p *Person) typeOwn(sc Scene, text string) string {
	p.mind.Strayed(sc, text)
	p.stats.Texts++
	p.u.SendText(text)
	return ""
}

// scrollUp taps a button on an older message: one that still shows
// buttons, or as the person's phone last showed it (the bot may have
// removed them since); what to tap is the mind's choice (Scene.On is the
// older message). It reports false when there is nothing to tap.
func (p *Person) scrollUp(sc Scene) (string, bool) {
	var older []Message
	for _, m := range p.s.BotMessages(p.u.ChatID()) {
		if m.MessageID == sc.Newest.MessageID {
			continue
		}
		if hasCallbackButton(m) {
			older = append(older, m)
		} else if old, ok := p.seen[m.MessageID]; ok {
			older = append(older, old)
		}
	}
	if len(older) == 0 {
		return "", false
	}
	on := older[p.rng.IntN(len(older))]
	act := p.mind.Act(Scene{Newest: sc.Newest, On: on})
	if act.Tap == "" {
		return "", false
	}
	p.stats.ScrollUps++
	p.stats.Taps++
	return p.u.TapData(on.MessageID, act.Tap).CallbackQueryID, true
}

func hasCallbackButton(m Message) bool {
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.CallbackData != "" {
				return true
			}
		}
	}
	return false
}

// await waits until the bot reacts to the person's last action (before is
// the chat as it was then; tapID the tap's callback query, if any): a new
// newest message, an edit of it, or a toast. quiet reports that the chat
// stayed quiet for Patience instead.
func (p *Person) await(ctx context.Context, before ChatView, tapID string) (v ChatView, quiet bool, err error) {
	id := p.u.ChatID()
	timer := time.NewTimer(p.habits.Patience)
	defer timer.Stop()
	for {
		ch := p.s.ChatChanged(id)
		v = p.s.View(id)
		toast := tapID != "" && v.Callback.ID == tapID && v.Callback.Answered && v.Callback.AnswerText != ""
		if v.Last.MessageID != 0 && (v.Last.MessageID != before.Last.MessageID || v.Last.Edits != before.Last.Edits || toast) {
			if !v.UpdateAt.IsZero() && v.UpdateAt != before.UpdateAt && !v.ReplyAt.IsZero() {
				r := Reply{Tap: tapID != "", Shown: v.ReplyAt.Sub(v.UpdateAt), Ack: v.ReplyAt.Sub(v.UpdateAt)}
				if !v.ShownAt.IsZero() {
					r.Shown = v.ShownAt.Sub(v.UpdateAt)
				}
				p.stats.Replies = append(p.stats.Replies, r)
			}
			return v, false, nil
		}
		select {
		case <-ch:
		case <-timer.C:
			return v, true, nil
		case <-ctx.Done():
			return v, false, ctx.Err()
		}
	}
}

// pause waits Think/2 to 3·Think/2, or reports false if ctx ended first.
func (p *Person) pause(ctx context.Context) bool {
	d := p.habits.Think
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d/2 + time.Duration(p.rng.Int64N(int64(d)+1)))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
