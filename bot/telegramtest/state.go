package telegramtest

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// state is everything guarded by Server.mu.
type state struct {
	bot UserInfo

	calls    []Call
	users    map[int64]*UserInfo
	chats    map[int64]*chatState
	byHandle map[string]int64 // lower-case "@username" -> chat id

	pending      []*queuedUpdate // unconfirmed updates, delivery order
	history      []*queuedUpdate // every update ever enqueued
	nextUpdateID int
	allowed      []string // nil: Telegram's default set
	poller       *poller
	pollers      int

	callbacks map[string]*callbackState
	cbOrder   []string
	commands  map[string][]tgbotapi.BotCommand
	files     map[string]*File
	seq       int
	members   map[[2]int64]string
	noPost    map[[2]int64]bool // channel admins without the right to post

	faults     []*scriptedFault
	chaos      *chaosState
	lim        limiter
	retryUntil map[string]time.Time
	breaches   []Breach

	lean        bool
	counts      map[string]map[int]int // method -> HTTP status -> calls
	ncalls      int                    // calls recorded, lean or not
	breachTotal int
}

func (st *state) init(o Options) {
	st.bot = UserInfo{ID: o.BotID, IsBot: true, FirstName: o.BotName, UserName: o.BotUsername}
	st.users = map[int64]*UserInfo{}
	st.chats = map[int64]*chatState{}
	st.byHandle = map[string]int64{}
	st.nextUpdateID = o.FirstUpdateID
	st.callbacks = map[string]*callbackState{}
	st.commands = map[string][]tgbotapi.BotCommand{}
	st.files = map[string]*File{}
	st.members = map[[2]int64]string{}
	st.noPost = map[[2]int64]bool{}
	st.retryUntil = map[string]time.Time{}
	st.lim.init(o.Limits)
	st.lean = o.Lean
	st.counts = map[string]map[int]int{}
}

func (st *state) nextSeq() int { st.seq++; return st.seq }

type chatState struct {
	info      ChatInfo
	nextMsgID int
	msgs      []*msgState
	byID      map[int]*msgState
	blocked   bool

	// For ChatView: the newest user update, the first call after it, and
	// the newest callback query.
	calls    int
	updateAt time.Time
	replyAt  time.Time
	shownAt  time.Time
	lastCB   CallbackQuery
}

type msgState struct {
	id        int
	chatID    int64
	fromBot   bool
	fromID    int64 // 0 for channel posts
	date      time.Time
	editDate  time.Time
	edits     int
	kind      string
	text      string // raw, as sent
	caption   string
	parseMode string
	rendered  string // text or caption with markup removed
	markup    string // canonical JSON reply_markup, "" if none
	replyTo   int
	file      *File
	media     map[string]any // extra wire fields (sticker, location, ...)
	entities  []entity
	params    url.Values
	deleted   bool
	protected bool

	// parsed caches parseMarkup(parsedOf), for snapshots.
	parsedOf string
	parsed   [][]Button
	force    bool
	isParsed bool
}

// keyboard returns the message's inline keyboard (a copy) and whether it
// asks for a reply, parsing the markup once per change.
func (m *msgState) keyboard() ([][]Button, bool) {
	if !m.isParsed || m.parsedOf != m.markup {
		m.parsed, m.force = parseMarkup(m.markup)
		m.parsedOf, m.isParsed = m.markup, true
	}
	if m.parsed == nil {
		return nil, m.force
	}
	kb := make([][]Button, len(m.parsed))
	for i, row := range m.parsed {
		kb[i] = slices.Clone(row)
	}
	return kb, m.force
}

type queuedUpdate struct {
	id        int
	kind      string
	payload   json.RawMessage
	forced    bool // injected duplicate: survives offset confirmation until delivered once
	delivered int
	confirmed bool
	enqueued  time.Time
}

func (q *queuedUpdate) json() json.RawMessage {
	b := []byte(`{"update_id":` + strconv.Itoa(q.id) + `,"` + q.kind + `":`)
	b = append(b, q.payload...)
	return append(b, '}')
}

type callbackState struct {
	info     CallbackQuery
	created  time.Time
	answered bool
}

type poller struct {
	preempted chan struct{}
}

// chat returns a known chat or nil.
func (st *state) chat(id int64) *chatState {
	if c, ok := st.chats[id]; ok {
		return c
	}
	return nil
}

func (st *state) addChat(info ChatInfo) *chatState {
	c, ok := st.chats[info.ID]
	if !ok {
		c = &chatState{nextMsgID: 1, byID: map[int]*msgState{}}
		st.chats[info.ID] = c
	}
	c.info = info
	if info.UserName != "" {
		st.byHandle["@"+strings.ToLower(info.UserName)] = info.ID
	}
	return c
}

func (st *state) addUser(info UserInfo) {
	u := info
	st.users[info.ID] = &u
	st.addChat(ChatInfo{ID: info.ID, Type: "private", FirstName: info.FirstName, LastName: info.LastName, UserName: info.UserName})
}

// resolveChatID finds the chat a request is about (0 if none).
func (st *state) resolveChatID(r *request) int64 {
	if v := r.param("chat_id"); v != "" {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			return id
		}
		if id, ok := st.byHandle[strings.ToLower(v)]; ok {
			return id
		}
		return 0
	}
	if r.method == "answerCallbackQuery" {
		if cb, ok := st.callbacks[r.param("callback_query_id")]; ok {
			return cb.info.ChatID
		}
	}
	return 0
}

func (st *state) addMessage(c *chatState, m *msgState) {
	m.id = c.nextMsgID
	m.chatID = c.info.ID
	c.nextMsgID++
	c.msgs = append(c.msgs, m)
	c.byID[m.id] = m
	if st.lean && len(c.msgs) > LeanMessages {
		// Forget the oldest message without an inline keyboard: one with
		// buttons may still be edited (the bot's current question).
		i := slices.IndexFunc(c.msgs, func(m *msgState) bool { return !isInline(m.markup) })
		if i < 0 || i == len(c.msgs)-1 {
			i = 0
		}
		delete(c.byID, c.msgs[i].id)
		c.msgs = slices.Delete(c.msgs, i, i+1)
	}
}

// --- wire encoding ---------------------------------------------------------

func (u UserInfo) wire() map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": u.IsBot, "first_name": u.FirstName}
	if u.LastName != "" {
		m["last_name"] = u.LastName
	}
	if u.UserName != "" {
		m["username"] = u.UserName
	}
	if u.LanguageCode != "" {
		m["language_code"] = u.LanguageCode
	}
	return m
}

func (c ChatInfo) wire() map[string]any {
	m := map[string]any{"id": c.ID, "type": c.Type}
	if c.Title != "" {
		m["title"] = c.Title
	}
	if c.UserName != "" {
		m["username"] = c.UserName
	}
	if c.FirstName != "" {
		m["first_name"] = c.FirstName
	}
	if c.LastName != "" {
		m["last_name"] = c.LastName
	}
	return m
}

type entity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// wireMessage renders a Message object as Telegram sends it.
func (st *state) wireMessage(m *msgState, withReply bool) map[string]any {
	c := st.chats[m.chatID]
	w := map[string]any{
		"message_id": m.id,
		"date":       m.date.Unix(),
		"chat":       c.info.wire(),
	}
	switch {
	case c.info.Type == "channel":
		w["sender_chat"] = c.info.wire()
	case m.fromBot:
		w["from"] = st.bot.wire()
	default:
		if u, ok := st.users[m.fromID]; ok {
			w["from"] = u.wire()
		}
	}
	if m.edits > 0 {
		w["edit_date"] = m.editDate.Unix()
	}
	if m.protected {
		w["has_protected_content"] = true
	}
	if m.kind == "text" {
		w["text"] = m.rendered
	} else if m.caption != "" {
		w["caption"] = m.rendered
	}
	if len(m.entities) > 0 {
		if m.kind == "text" {
			w["entities"] = m.entities
		} else {
			w["caption_entities"] = m.entities
		}
	}
	for k, v := range m.media {
		w[k] = v
	}
	if m.markup != "" && strings.HasPrefix(m.markup, `{"inline_keyboard"`) {
		w["reply_markup"] = json.RawMessage(m.markup)
	}
	if withReply && m.replyTo != 0 {
		if r, ok := c.byID[m.replyTo]; ok && !r.deleted {
			w["reply_to_message"] = st.wireMessage(r, false)
		}
	}
	return w
}

// --- updates ---------------------------------------------------------------

func (s *Server) enqueueLocked(kind string, payload any) int {
	b, err := json.Marshal(payload)
	if err != nil {
		panic("telegramtest: marshal update: " + err.Error())
	}
	q := &queuedUpdate{id: s.st.nextUpdateID, kind: kind, payload: b, enqueued: s.now()}
	s.st.nextUpdateID++
	s.st.pending = append(s.st.pending, q)
	if !s.st.lean {
		s.st.history = append(s.st.history, q)
	}
	s.notify()
	return q.id
}

var defaultAllowed = []string{
	"message", "edited_message", "channel_post", "edited_channel_post",
	"inline_query", "chosen_inline_result", "callback_query", "shipping_query",
	"pre_checkout_query", "poll", "poll_answer", "my_chat_member", "chat_join_request",
}

func (st *state) isAllowed(kind string) bool {
	list := st.allowed
	if list == nil {
		list = defaultAllowed
	}
	for _, k := range list {
		if k == kind {
			return true
		}
	}
	return false
}

// confirm applies getUpdates' offset. It reports whether the offset was
// ignored as lying "in the future".
func (st *state) confirm(offset int) bool {
	switch {
	case offset == 0:
		return false
	case offset < 0:
		keep := -offset
		if len(st.pending) > keep {
			for _, q := range st.pending[:len(st.pending)-keep] {
				q.confirmed = true
			}
			st.pending = append([]*queuedUpdate(nil), st.pending[len(st.pending)-keep:]...)
		}
		return false
	case offset > st.nextUpdateID+10:
		// telegram-bot-api's TQueue rejects a from_id far beyond its tail
		// and falls back to the queue head: nothing is confirmed.
		return true
	}
	kept := st.pending[:0]
	for _, q := range st.pending {
		if q.id < offset && !(q.forced && q.delivered == 0) {
			q.confirmed = true
			continue
		}
		kept = append(kept, q)
	}
	for i := len(kept); i < len(st.pending); i++ {
		st.pending[i] = nil
	}
	st.pending = kept
	return false
}

// deliverable returns up to limit updates, dropping (confirming) updates
// whose type is not in allowed_updates.
func (st *state) deliverable(limit int) []*queuedUpdate {
	var out []*queuedUpdate
	kept := st.pending[:0]
	for _, q := range st.pending {
		if !st.isAllowed(q.kind) {
			q.confirmed = true
			continue
		}
		kept = append(kept, q)
		if len(out) < limit {
			out = append(out, q)
		}
	}
	for i := len(kept); i < len(st.pending); i++ {
		st.pending[i] = nil
	}
	st.pending = kept
	for _, q := range out {
		q.delivered++
	}
	return out
}

// --- text helpers ----------------------------------------------------------

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// commandEntities marks /commands the way Telegram does: a "/" at the start
// or after whitespace, followed by [A-Za-z0-9_] (max 32) and an optional
// @botname, ending at whitespace or end of text.
func commandEntities(text string) []entity {
	var out []entity
	rs := []rune(text)
	off := 0 // UTF-16 offset of rs[i]
	for i := 0; i < len(rs); i++ {
		if rs[i] == '/' && (i == 0 || isSpace(rs[i-1])) {
			j := i + 1
			for j < len(rs) && j-i-1 < 32 && isCmdRune(rs[j]) {
				j++
			}
			if j > i+1 {
				if j < len(rs) && rs[j] == '@' {
					k := j + 1
					for k < len(rs) && isCmdRune(rs[k]) {
						k++
					}
					if k-j-1 >= 3 {
						j = k
					}
				}
				if j == len(rs) || isSpace(rs[j]) {
					out = append(out, entity{Type: "bot_command", Offset: off, Length: utf16Len(string(rs[i:j]))})
				}
			}
		}
		off += utf16Len(string(rs[i]))
	}
	return out
}

func isSpace(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\r' }

func isCmdRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
