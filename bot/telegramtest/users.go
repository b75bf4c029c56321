package telegramtest

import (
	"fmt"
	"strconv"
	"strings"
)

// Sent identifies what a scripted user action enqueued.
type Sent struct {
	UpdateID        int
	MessageID       int    // message actions
	CallbackQueryID string // taps
}

// User is a scriptable Telegram user. Its methods enqueue updates for the
// bot; they are safe for concurrent use. A User obtained from Server.User
// acts in its private chat with the bot; User.In binds it to a group or
// channel chat.
type User struct {
	s      *Server
	id     int64
	chatID int64
}

// User returns the user with this id, creating it (with first name
// "User<id>", username "user<id>", language "en") and its private chat if
// needed.
func (s *Server) User(id int64) *User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.users[id]; !ok {
		s.st.addUser(UserInfo{ID: id, FirstName: "User" + strconv.FormatInt(id, 10), UserName: "user" + strconv.FormatInt(id, 10), LanguageCode: "en"})
	}
	return &User{s: s, id: id, chatID: id}
}

// AddUser creates or replaces a user (e.g. with IsBot, no username, another
// language) and returns its handle.
func (s *Server) AddUser(info UserInfo) *User {
	if info.FirstName == "" {
		info.FirstName = "User" + strconv.FormatInt(info.ID, 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.addUser(info)
	return &User{s: s, id: info.ID, chatID: info.ID}
}

// ID returns the user's id.
func (u *User) ID() int64 { return u.id }

// ChatID returns the chat this handle acts in.
func (u *User) ChatID() int64 { return u.chatID }

// Info returns the user's profile.
func (u *User) Info() UserInfo {
	u.s.mu.Lock()
	defer u.s.mu.Unlock()
	return *u.s.st.users[u.id]
}

// In returns a handle for the same user acting in chat c.
func (u *User) In(c *Chat) *User { return &User{s: u.s, id: u.id, chatID: c.id} }

// Chat is a group, supergroup or channel handle.
type Chat struct {
	s  *Server
	id int64
}

// ID returns the chat id (negative for groups and channels).
func (c *Chat) ID() int64 { return c.id }

// Group creates a basic group chat (type "group"). A positive id is
// negated, as group ids are negative.
func (s *Server) Group(id int64, title string) *Chat {
	if id > 0 {
		id = -id
	}
	return s.addChatHandle(ChatInfo{ID: id, Type: "group", Title: title})
}

// Supergroup creates a supergroup; a positive id n becomes -100n (as
// Telegram's -100xxxxxxxxxx ids).
func (s *Server) Supergroup(id int64, title string) *Chat {
	if id > 0 {
		id = -(1_000_000_000_000 + id)
	}
	return s.addChatHandle(ChatInfo{ID: id, Type: "supergroup", Title: title})
}

// Channel creates a channel; ids are treated like Supergroup's. username
// may be "" (private channel); otherwise the bot may address it as
// "@username".
func (s *Server) Channel(id int64, title, username string) *Chat {
	if id > 0 {
		id = -(1_000_000_000_000 + id)
	}
	return s.addChatHandle(ChatInfo{ID: id, Type: "channel", Title: title, UserName: strings.TrimPrefix(username, "@")})
}

func (s *Server) addChatHandle(info ChatInfo) *Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.addChat(info)
	return &Chat{s: s, id: info.ID}
}

// Post publishes a channel post (a "channel_post" update, no sender user).
func (c *Chat) Post(text string) Sent {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.st.chat(c.id)
	m := &msgState{kind: "text", text: text, rendered: text, date: s.now(), entities: commandEntities(text)}
	s.st.addMessage(ch, m)
	id := s.enqueueLocked("channel_post", s.st.wireMessage(m, true))
	return Sent{UpdateID: id, MessageID: m.id}
}

// send adds a user message to the handle's chat and enqueues it.
func (u *User) send(m *msgState) Sent {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(u.chatID)
	if c == nil {
		panic(fmt.Sprintf("telegramtest: unknown chat %d", u.chatID))
	}
	m.fromID = u.id
	m.date = s.now()
	if m.rendered == "" {
		m.rendered = m.text + m.caption
	}
	s.st.addMessage(c, m)
	kind := "message"
	if c.info.Type == "channel" {
		kind = "channel_post"
	}
	id := s.enqueueLocked(kind, s.st.wireMessage(m, true))
	s.userActed(c)
	return Sent{UpdateID: id, MessageID: m.id}
}

// SendText sends a text message. Telegram marks /commands in it with
// bot_command entities, and so does this.
func (u *User) SendText(text string) Sent {
	return u.send(&msgState{kind: "text", text: text, entities: commandEntities(text)})
}

// Start sends "/start" or "/start <payload>" (what a t.me/bot?start=payload
// deep link produces), with a bot_command entity over "/start".
func (u *User) Start(payload string) Sent {
	return u.SendCommand("start", payload)
}

// SendCommand sends "/cmd" or "/cmd args". cmd may include a leading "/"
// and an "@botname" suffix.
func (u *User) SendCommand(cmd, args string) Sent {
	text := "/" + strings.TrimPrefix(cmd, "/")
	if args != "" {
		text += " " + args
	}
	return u.SendText(text)
}

// ReplyTo sends a text message replying to messageID in the handle's chat.
func (u *User) ReplyTo(messageID int, text string) Sent {
	return u.send(&msgState{kind: "text", text: text, entities: commandEntities(text), replyTo: messageID})
}

func (s *Server) fakeFileIDLocked(prefix string) (string, string) {
	n := s.st.nextSeq()
	return fmt.Sprintf("%s%08dFAKE", prefix, n), fmt.Sprintf("AQAD%06d", n)
}

// SendPhoto sends a photo message (two sizes, no real image data).
func (u *User) SendPhoto(caption string) Sent {
	u.s.mu.Lock()
	id1, uid1 := u.s.fakeFileIDLocked("AgACAgIAAxkBAAI")
	id2, uid2 := u.s.fakeFileIDLocked("AgACAgIAAxkBAAI")
	u.s.mu.Unlock()
	return u.send(&msgState{kind: "photo", caption: caption, media: map[string]any{"photo": []map[string]any{
		{"file_id": id1, "file_unique_id": uid1, "width": 90, "height": 90, "file_size": 1234},
		{"file_id": id2, "file_unique_id": uid2, "width": 800, "height": 800, "file_size": 56789},
	}}})
}

// SendSticker sends a sticker message.
func (u *User) SendSticker(emoji string) Sent {
	u.s.mu.Lock()
	id, uid := u.s.fakeFileIDLocked("CAACAgIAAxkBAAI")
	u.s.mu.Unlock()
	return u.send(&msgState{kind: "sticker", media: map[string]any{"sticker": map[string]any{
		"file_id": id, "file_unique_id": uid, "width": 512, "height": 512, "is_animated": false,
		"is_video": false, "type": "regular", "emoji": emoji, "file_size": 20000,
	}}})
}

// SendLocation sends a location message.
func (u *User) SendLocation(latitude, longitude float64) Sent {
	return u.send(&msgState{kind: "location", media: map[string]any{"location": map[string]any{
		"latitude": latitude, "longitude": longitude,
	}}})
}

// SendContact shares a contact (the user's own if firstName is "").
func (u *User) SendContact(phone, firstName string) Sent {
	c := map[string]any{"phone_number": phone, "first_name": firstName}
	if firstName == "" {
		info := u.Info()
		c["first_name"] = info.FirstName
		c["user_id"] = info.ID
	}
	return u.send(&msgState{kind: "contact", media: map[string]any{"contact": c}})
}

// SendVoice sends a voice message of the given duration in seconds.
func (u *User) SendVoice(seconds int) Sent {
	u.s.mu.Lock()
	id, uid := u.s.fakeFileIDLocked("AwACAgIAAxkBAAI")
	u.s.mu.Unlock()
	return u.send(&msgState{kind: "voice", media: map[string]any{"voice": map[string]any{
		"file_id": id, "file_unique_id": uid, "duration": seconds, "mime_type": "audio/ogg", "file_size": 4000 * seconds,
	}}})
}

// SendDocument sends a document message (the bytes are not retrievable by
// the bot; getFile is not implemented).
func (u *User) SendDocument(fileName, mimeType string, size int, caption string) Sent {
	u.s.mu.Lock()
	id, uid := u.s.fakeFileIDLocked("BQACAgIAAxkBAAI")
	u.s.mu.Unlock()
	return u.send(&msgState{kind: "document", caption: caption, media: map[string]any{"document": map[string]any{
		"file_id": id, "file_unique_id": uid, "file_name": fileName, "mime_type": mimeType, "file_size": size,
	}}})
}

// Tap presses the inline button labelled label (exact match; a leading
// "✅ " on the button is ignored) on the newest message the bot sent to
// this chat that has an inline keyboard, and enqueues the callback_query
// with that button's callback_data and the message.
func (u *User) Tap(label string) error {
	_, err := u.TapButton(label)
	return err
}

// TapButton is Tap that also reports what was enqueued.
func (u *User) TapButton(label string) (Sent, error) {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(u.chatID)
	if c == nil {
		return Sent{}, fmt.Errorf("telegramtest: Tap(%q): unknown chat %d", label, u.chatID)
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if !m.fromBot || m.deleted {
			continue
		}
		kb, _ := parseMarkup(m.markup)
		if kb == nil {
			continue
		}
		var labels []string
		for _, row := range kb {
			for _, b := range row {
				if b.Text == label || strings.TrimPrefix(b.Text, "✅ ") == label {
					if b.CallbackData == "" {
						return Sent{}, fmt.Errorf("telegramtest: Tap(%q): button in message %d has no callback_data", label, m.id)
					}
					return s.tapLocked(u, c, m.id, b.CallbackData), nil
				}
				labels = append(labels, b.Text)
			}
		}
		return Sent{}, fmt.Errorf("telegramtest: Tap(%q): no such button in message %d (chat %d); buttons: %q", label, m.id, u.chatID, labels)
	}
	return Sent{}, fmt.Errorf("telegramtest: Tap(%q): the bot sent no message with an inline keyboard to chat %d", label, u.chatID)
}

// TapData enqueues a callback_query for messageID with arbitrary data,
// whether or not such a button exists (stale or forged taps). If the
// message is unknown, the query carries a stub message with only id and
// chat.
func (u *User) TapData(messageID int, data string) Sent {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(u.chatID)
	if c == nil {
		panic(fmt.Sprintf("telegramtest: unknown chat %d", u.chatID))
	}
	return s.tapLocked(u, c, messageID, data)
}

func (s *Server) tapLocked(u *User, c *chatState, messageID int, data string) Sent {
	id := strconv.FormatInt(int64(4_000_000_000_000_000_000)+int64(s.st.nextSeq()), 10)
	var msg any
	if m, ok := c.byID[messageID]; ok && !m.deleted {
		msg = s.st.wireMessage(m, true)
	} else {
		msg = map[string]any{"message_id": messageID, "date": 0, "chat": c.info.wire()}
	}
	payload := map[string]any{
		"id":            id,
		"from":          s.st.users[u.id].wire(),
		"message":       msg,
		"chat_instance": strconv.FormatInt(-c.info.ID*7919+1_234_567, 10),
		"data":          data,
	}
	now := s.now()
	upd := s.enqueueLocked("callback_query", payload)
	cb := &callbackState{created: now, info: CallbackQuery{
		ID: id, UpdateID: upd, UserID: u.id, ChatID: c.info.ID, MessageID: messageID, Data: data, Time: now,
	}}
	s.st.callbacks[id] = cb
	if !s.st.lean {
		s.st.cbOrder = append(s.st.cbOrder, id)
	}
	c.lastCB = cb.info
	s.userActed(c)
	return Sent{UpdateID: upd, MessageID: messageID, CallbackQueryID: id}
}

// Block makes the user block the bot: sends to the private chat fail with
// 403 "Forbidden: bot was blocked by the user", and a my_chat_member update
// (member -> kicked) is enqueued.
func (u *User) Block() Sent { return u.setBlocked(true) }

// Unblock reverses Block (my_chat_member kicked -> member).
func (u *User) Unblock() Sent { return u.setBlocked(false) }

func (u *User) setBlocked(b bool) Sent {
	s := u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(u.id)
	c.blocked = b
	oldS, newS := "member", "kicked"
	if !b {
		oldS, newS = newS, oldS
	}
	bot := s.st.bot.wire()
	member := func(status string) map[string]any {
		m := map[string]any{"user": bot, "status": status}
		if status == "kicked" {
			m["until_date"] = 0
		}
		return m
	}
	id := s.enqueueLocked("my_chat_member", map[string]any{
		"chat":            c.info.wire(),
		"from":            s.st.users[u.id].wire(),
		"date":            s.now().Unix(),
		"old_chat_member": member(oldS),
		"new_chat_member": member(newS),
	})
	return Sent{UpdateID: id}
}

// SetMemberStatus sets what getChatMember reports for userID in chatID
// ("creator", "administrator", "member", "restricted", "left", "kicked").
func (s *Server) SetMemberStatus(chatID, userID int64, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.members[[2]int64{chatID, userID}] = status
	s.notify()
}

// SetAdminWithoutPosting makes userID an administrator of channel chatID
// whom getChatMember reports without can_post_messages.
func (s *Server) SetAdminWithoutPosting(chatID, userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.members[[2]int64{chatID, userID}] = "administrator"
	s.st.noPost[[2]int64{chatID, userID}] = true
	s.notify()
}

// --- update fault scripts --------------------------------------------------

// Redeliver enqueues the update with this id again, same update_id and
// payload, as Telegram does when a response carrying it was lost. The copy
// survives offset confirmation until delivered once.
func (s *Server) Redeliver(updateID int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.st.findUpdate(updateID)
	if q == nil {
		return fmt.Errorf("telegramtest: Redeliver: no update %d", updateID)
	}
	dup := &queuedUpdate{id: q.id, kind: q.kind, payload: q.payload, forced: true, enqueued: s.now()}
	s.st.pending = append(s.st.pending, dup)
	s.st.history = append(s.st.history, dup)
	s.notify()
	return nil
}

// DuplicateAsNew enqueues the payload of update updateID again under a new
// update_id (the same message delivered twice as different updates).
func (s *Server) DuplicateAsNew(updateID int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.st.findUpdate(updateID)
	if q == nil {
		return 0, fmt.Errorf("telegramtest: DuplicateAsNew: no update %d", updateID)
	}
	dup := &queuedUpdate{id: s.st.nextUpdateID, kind: q.kind, payload: q.payload, forced: true, enqueued: s.now()}
	s.st.nextUpdateID++
	s.st.pending = append(s.st.pending, dup)
	s.st.history = append(s.st.history, dup)
	s.notify()
	return dup.id, nil
}

// RestartUpdateIDs makes the next update get id next, typically lower than
// earlier ids, as when Telegram re-randomises update ids after a quiet
// week. Like Telegram, a getUpdates offset more than 10 above the next id
// is then ignored (nothing is confirmed), so a client that keeps sending
// its old offset still receives the new updates.
func (s *Server) RestartUpdateIDs(next int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.nextUpdateID = next
	s.notify()
}

// NextUpdateID returns the id the next enqueued update will get.
func (s *Server) NextUpdateID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.nextUpdateID
}

func (st *state) findUpdate(id int) *queuedUpdate {
	for i := len(st.history) - 1; i >= 0; i-- {
		if st.history[i].id == id {
			return st.history[i]
		}
	}
	return nil
}
