package bot

import (
	"hash/fnv"
	"slices"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/chat"
	"toolmap/survey"
)

// The chat rule. A person on a phone reads the bottom of the chat, so
// whatever they send, the bot's answer ends with the current step (a
// question, the consent notice, a menu) at the bottom, and that message is
// the only one with live buttons: an older live copy is frozen (its
// buttons removed, its text showing the answer given).
//
// A view is the bottom of one private chat as the bot knows it (the
// chat's State, kept with the session and crash-safe) and the messages
// that change it, in order. It numbers its sends (State.Sends); the store
// records the id Telegram gives each numbered message (State.Delivered),
// so the bot learns which message is which without waiting for the
// delivery. It knows what the live message shows (hashes of its text and
// keyboard), so it never sends an edit that changes nothing.

// What a live message shows (chat.Live.What).
const (
	liveAsk     = "ask"     // a question
	liveOther   = "other"   // a question waiting for a name typed under Other…
	liveConsent = "consent" // the consent notice
	liveMenu    = "menu"    // /review, /language, a reminder, /delete
)

// screen is what the bottom of the chat should show: the current step.
type screen struct {
	what   string // liveAsk, liveOther, liveConsent, liveMenu
	at     survey.Cursor
	header string // HTML above the text (notices, in italics), shown however it is shown
	text   string // HTML
	// extra is HTML shown only when the screen is sent anew below what
	// the person sent (a problem with their input, what a tap did): a
	// tap's is shown in its toast instead.
	extra string
	kb    [][]Button
}

// tapped is the message a tap came from, as the callback shows it.
type tapped struct {
	msg     int
	keys    uint64 // hash of its keyboard
	buttons bool   // it shows inline buttons
}

// tappedOf reads the message of a callback query.
func tappedOf(m *tgbotapi.Message) tapped {
	t := tapped{msg: m.MessageID}
	if m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0 {
		var kb [][]Button
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			var r []Button
			for _, b := range row {
				btn := Button{Text: b.Text}
				if b.CallbackData != nil {
					btn.Data = *b.CallbackData
				}
				if b.URL != nil {
					btn.URL = *b.URL
				}
				r = append(r, btn)
			}
			kb = append(kb, r)
		}
		t.keys, t.buttons = hashKeys(kb), true
	}
	return t
}

// hashText and hashKeys fingerprint what a message shows.
func hashText(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func hashKeys(kb [][]Button) uint64 {
	h := fnv.New64a()
	for _, row := range kb {
		for _, b := range row {
			h.Write([]byte(b.Text))
			h.Write([]byte{0x1f})
			h.Write([]byte(b.Data))
			h.Write([]byte{0x1f})
			h.Write([]byte(b.URL))
			h.Write([]byte{0x1e})
		}
		h.Write([]byte{0x1d})
	}
	return h.Sum64()
}

// view is one private chat's bottom and the messages that change it.
type view struct {
	chatID int64
	st     ChatState
	out    []Outgoing
}

func newView(chatID int64, st ChatState) *view {
	st.Keyed = slices.Clone(st.Keyed)
	return &view{chatID: chatID, st: st}
}

// wrote notes a message from the person: the live message, if any, is no
// longer the last in the chat.
func (v *view) wrote(msgID int) {
	v.st.Wrote = true
	v.st.Seen = max(v.st.Seen, msgID)
}

// hasLive reports whether a message with live buttons is known.
func (v *view) hasLive() bool { return v.st.Live.Num != 0 }

// atBottom reports whether the live message is the last in the chat:
// nothing was sent after it, and the person wrote nothing since.
func (v *view) atBottom() bool {
	return v.st.Live.Num != 0 && v.st.Live.Num == v.st.Sends && !v.st.Wrote
}

// onLive reports whether a tap came from the live message, learning its
// id if it was not known yet.
func (v *view) onLive(t tapped) bool {
	seen := v.st.Seen
	v.st.Seen = max(seen, t.msg)
	l := v.st.Live
	if l.Num == 0 {
		return false
	}
	if id := v.st.MessageOf(l.Num); id != 0 {
		return id == t.msg
	}
	// Its delivery is not recorded yet (it is on its way to the store): a
	// tap on a message newer than any known, showing the live keyboard,
	// came from it.
	if t.msg > seen && t.buttons && t.keys == l.Keys {
		v.st.Delivered(l.Num, t.msg)
		return true
	}
	return false
}

// send queues a message (a sendMessage unless o says otherwise),
// numbered, after everything else.
func (v *view) send(o Outgoing) int {
	v.st.Sends++
	if o.Kind == "" {
		o.Kind = OutSend
	}
	o.ChatID, o.Num = v.chatID, v.st.Sends
	v.st.Wrote = false
	v.out = append(v.out, o)
	return o.Num
}

// note sends a message that is not a step (HTML).
func (v *view) note(html string) { v.send(Outgoing{Text: html}) }

// target addresses an edit of the send numbered num.
func (v *view) target(o Outgoing, num int) Outgoing {
	o.ChatID = v.chatID
	if id := v.st.MessageOf(num); id != 0 {
		o.MessageID = id
	} else {
		o.ToPrompt, o.Num = true, num
	}
	return o
}

// freezeLive removes the live message's buttons; text, when not "",
// replaces its text (to show the answer given). Nothing is sent when that
// changes nothing.
func (v *view) freezeLive(text string) {
	l := v.st.Live
	if l.Num == 0 {
		return
	}
	v.st.Live = chat.Live{}
	for i := range v.st.Keyed {
		if v.st.Keyed[i].Num == l.Num {
			v.st.Keyed[i].Frozen = true
		}
	}
	empty := hashKeys(nil)
	switch {
	case text != "" && hashText(text) != l.Text:
		v.out = append(v.out, v.target(Outgoing{Kind: OutEditText, Text: text}, l.Num))
	case l.Keys != empty:
		v.out = append(v.out, v.target(Outgoing{Kind: OutEditMarkup}, l.Num))
	}
}

// freezeTapped removes the buttons of a message that was tapped but is not
// the live one (an older copy), once.
func (v *view) freezeTapped(t tapped) {
	if !t.buttons {
		return
	}
	i := slices.IndexFunc(v.st.Keyed, func(k chat.Keyed) bool { return k.Msg == t.msg })
	if i >= 0 && v.st.Keyed[i].Frozen {
		return // already frozen, or its freeze is queued
	}
	if i >= 0 {
		v.st.Keyed[i].Frozen = true
	} else {
		v.keyed(chat.Keyed{Msg: t.msg, Frozen: true})
	}
	v.out = append(v.out, Outgoing{Kind: OutEditMarkup, ChatID: v.chatID, MessageID: t.msg})
}

// keyed remembers a message with buttons, forgetting the oldest beyond
// chat.MaxKeyed.
func (v *view) keyed(k chat.Keyed) {
	v.st.Keyed = append(v.st.Keyed, k)
	if n := len(v.st.Keyed); n > chat.MaxKeyed {
		v.st.Keyed = slices.Delete(v.st.Keyed, 0, n-chat.MaxKeyed)
	}
}

// showNew sends the screen as the new live message, below everything:
// head (what the input recorded, or "") above its text.
func (v *view) showNew(sc screen, head string) {
	text := limitHTML(sc.header + head + sc.text + sc.extra)
	num := v.send(Outgoing{Text: text, Keyboard: sc.kb, Prompt: true})
	v.st.Live = chat.Live{Num: num, What: sc.what, At: atKey(sc.at), Text: hashText(text),
		Body: hashText(limitHTML(sc.header + sc.text + sc.extra)), Keys: hashKeys(sc.kb)}
	v.keyed(chat.Keyed{Num: num})
}

func atKey(c survey.Cursor) string {
	if c.IsZero() {
		return ""
	}
	return c.Key()
}

// editLive turns the live message into the screen, in place, with the
// cheapest edit that does it, or none when it already shows it. head
// (what the input recorded, or "") goes above the text; on the same step
// with nothing new recorded, the line the message has above its text
// stays.
func (v *view) editLive(sc screen, head string) {
	l := &v.st.Live
	full, body := limitHTML(sc.header+head+sc.text), limitHTML(sc.header+sc.text)
	same := head == "" && l.What == sc.what && l.At == atKey(sc.at) && hashText(body) == l.Body
	textSame := same || hashText(full) == l.Text
	kh := hashKeys(sc.kb)
	l.What, l.At = sc.what, atKey(sc.at)
	switch {
	case textSame && kh == l.Keys:
		return
	case textSame:
		v.out = append(v.out, v.target(Outgoing{Kind: OutEditMarkup, Keyboard: sc.kb}, l.Num))
	default:
		v.out = append(v.out, v.target(Outgoing{Kind: OutEditText, Text: full, Keyboard: sc.kb}, l.Num))
		l.Text, l.Body = hashText(full), hashText(body)
	}
	l.Keys = kh
}

// reply is what answering one input puts in the chat.
type reply struct {
	tap    *tapped // the input was a tap on this message; nil for typed input
	onLive bool    // the tap came from the live message
	// notes are messages sent before the screen, in order (HTML).
	notes []Outgoing
	// screen is the current step, shown at the bottom; nil when there is
	// none (not begun, finished, declined).
	screen *screen
	// head (HTML) says what the input recorded: it heads the screen
	// unless the live message is frozen showing it (freezeAs).
	head string
	// freezeAs (HTML) is the text the live message keeps when its
	// buttons go, when it shows the question just answered, with the
	// answer; "" keeps its text.
	freezeAs string
	// fresh sends the screen anew even when the live message is at the
	// bottom (after the consent notice, which stays as it was agreed to).
	fresh bool
	// keep leaves the live message as it is when it is at the bottom (a
	// tap on an older message that changes nothing).
	keep bool
}

// place puts a reply in the chat. A tap on an older message with buttons
// freezes it. When the live message is the last in the chat and nothing
// else is to be said, it becomes the screen in place (one edit, or none
// if it shows it already). Otherwise the live message is frozen, the
// notes follow, and the screen is sent anew at the bottom, with what is
// to be said about the input.
func (v *view) place(r reply) {
	if r.tap != nil && !r.onLive {
		v.freezeTapped(*r.tap)
	}
	if r.keep && v.atBottom() {
		return
	}
	if r.screen != nil && len(r.notes) == 0 && !r.fresh && v.atBottom() {
		v.editLive(*r.screen, r.head)
		return
	}
	shown := r.freezeAs != "" && v.hasLive()
	v.freezeLive(r.freezeAs)
	for _, n := range r.notes {
		v.send(n)
	}
	if r.screen == nil {
		return
	}
	head := r.head
	if shown {
		head = ""
	}
	v.showNew(*r.screen, head)
}
