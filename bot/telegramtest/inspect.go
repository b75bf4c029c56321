package telegramtest

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// UserInfo describes a Telegram user (or bot).
type UserInfo struct {
	ID           int64
	IsBot        bool
	FirstName    string
	LastName     string
	UserName     string
	LanguageCode string
}

// ChatInfo describes a chat. Type is "private", "group", "supergroup" or
// "channel".
type ChatInfo struct {
	ID        int64
	Type      string
	Title     string
	UserName  string
	FirstName string
	LastName  string
}

// Button is one inline keyboard button.
type Button struct {
	Text         string
	CallbackData string // empty for URL and other non-callback buttons
	URL          string
}

// File is a file attached to a message: uploaded bytes (Data) or a
// reference (Source: the file_id or URL the bot passed).
type File struct {
	FileID       string
	FileUniqueID string
	Field        string // multipart field / parameter name: "photo", "document", ...
	FileName     string
	MimeType     string
	Size         int
	Data         []byte
	Source       string
}

// Message is what a chat shows for one message.
type Message struct {
	ChatID    int64
	MessageID int
	FromBot   bool
	FromID    int64  // sender's user id; 0 for channel posts
	Kind      string // "text", "photo", "document", "sticker", "location", "contact", "voice"
	// Text and Caption are exactly as sent (markup not removed);
	// Rendered is the text or caption with parse_mode markup removed.
	Text      string
	Caption   string
	ParseMode string
	Rendered  string
	// Keyboard is the inline keyboard (nil if none). ReplyMarkup is the
	// canonical JSON of whatever reply_markup was last set (inline
	// keyboard, force_reply, reply keyboard, remove), "" if none.
	Keyboard    [][]Button
	ReplyMarkup string
	ForceReply  bool
	ReplyTo     int
	Date        time.Time
	EditDate    time.Time
	Edits       int
	Protected   bool
	Deleted     bool
	File        *File
	// Params are the parameters of the request that created the message
	// (nil for user messages).
	Params url.Values
}

// Upload is a file part of a multipart request.
type Upload struct {
	FileName    string
	ContentType string
	Data        []byte
}

// Call is one recorded API request.
type Call struct {
	Seq      int
	Method   string // canonical name, e.g. "sendMessage"
	ChatID   int64  // 0 when the call has no chat
	Params   url.Values
	Uploads  map[string]Upload
	Encoding string    // "form", "multipart", "json" or "query"
	Time     time.Time // arrival, by the server clock
	// Status is the HTTP status sent; 0 if no response was delivered
	// (connection reset, client went away, server closed).
	Status      int
	Description string // error description when not ok
	RetryAfter  int
	// Fault names the injected fault, "retry_window" (retried during a
	// 429 window), "flood_limit" (enforced limit) or "" for normal calls.
	Fault string
	Note  string
}

// CallbackQuery is a callback query the fake user created.
type CallbackQuery struct {
	ID         string
	UpdateID   int
	UserID     int64
	ChatID     int64
	MessageID  int
	Data       string
	Time       time.Time
	Answered   bool
	AnswerText string
}

// UpdateRecord is an update as enqueued.
type UpdateRecord struct {
	ID         int
	Type       string // "message", "callback_query", "channel_post", "my_chat_member"
	JSON       json.RawMessage
	Deliveries int  // times returned by getUpdates
	Confirmed  bool // confirmed by offset (or dropped by allowed_updates)
	Injected   bool // created by a fault script (duplicate)
}

func (s *Server) record(r *request, status int, ae *apiError, fault string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recordLocked(r, status, ae, fault)
}

func (s *Server) recordLocked(r *request, status int, ae *apiError, fault string) *Call {
	s.st.ncalls++
	byStatus := s.st.counts[r.method]
	if byStatus == nil {
		byStatus = map[int]int{}
		s.st.counts[r.method] = byStatus
	}
	byStatus[status]++
	if r.chatID != 0 {
		s.chatCalled(r)
	}
	c := Call{
		Seq:      s.st.ncalls,
		Method:   r.method,
		ChatID:   r.chatID,
		Params:   r.params,
		Encoding: r.encoding,
		Time:     r.start,
		Status:   status,
		Fault:    fault,
	}
	if len(r.uploads) > 0 {
		c.Uploads = map[string]Upload{}
		for k, u := range r.uploads {
			c.Uploads[k] = Upload{FileName: u.FileName, ContentType: u.ContentType, Data: u.Data}
		}
	}
	if ae != nil {
		c.Description = ae.Description
		c.RetryAfter = ae.RetryAfter
	}
	s.notify()
	if s.st.lean {
		c.Params, c.Uploads = nil, nil
		return &c // not kept
	}
	s.st.calls = append(s.st.calls, c)
	return &s.st.calls[len(s.st.calls)-1]
}

func cloneCall(c Call) Call {
	c.Params = cloneValues(c.Params)
	c.Uploads = maps.Clone(c.Uploads)
	return c
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Calls returns the recorded calls of a method (case-insensitive), or all
// calls if method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.st.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			out = append(out, cloneCall(c))
		}
	}
	return out
}

// CallCount returns how many calls of method ("" = any) were recorded
// (counted, in Lean mode).
func (s *Server) CallCount(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for m, byStatus := range s.st.counts {
		if method == "" || strings.EqualFold(m, method) {
			for _, k := range byStatus {
				n += k
			}
		}
	}
	return n
}

// LastCall returns the most recent call of method ("" = any).
func (s *Server) LastCall(method string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.st.calls) - 1; i >= 0; i-- {
		if c := s.st.calls[i]; method == "" || strings.EqualFold(c.Method, method) {
			return cloneCall(c), true
		}
	}
	return Call{}, false
}

func (st *state) snapshot(m *msgState) Message {
	out := Message{
		ChatID: m.chatID, MessageID: m.id, FromBot: m.fromBot, FromID: m.fromID,
		Kind: m.kind, Text: m.text, Caption: m.caption, ParseMode: m.parseMode, Rendered: m.rendered,
		ReplyMarkup: m.markup, ReplyTo: m.replyTo, Date: m.date, EditDate: m.editDate, Edits: m.edits,
		Protected: m.protected, Deleted: m.deleted, Params: cloneValues(m.params),
	}
	if m.fromBot {
		out.FromID = st.bot.ID
	}
	out.Keyboard, out.ForceReply = m.keyboard()
	if m.file != nil {
		f := *m.file
		out.File = &f
	}
	return out
}

// Messages returns what the chat currently shows, oldest first: messages of
// both the users and the bot, without deleted ones, with current text and
// keyboard.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(chatID)
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.msgs {
		if !m.deleted {
			out = append(out, s.st.snapshot(m))
		}
	}
	return out
}

// BotMessages is Messages restricted to messages the bot sent.
func (s *Server) BotMessages(chatID int64) []Message {
	var out []Message
	for _, m := range s.Messages(chatID) {
		if m.FromBot {
			out = append(out, m)
		}
	}
	return out
}

// LastMessage returns the newest non-deleted message the bot sent to the
// chat.
func (s *Server) LastMessage(chatID int64) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(chatID)
	if c == nil {
		return Message{}, false
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		if m := c.msgs[i]; m.fromBot && !m.deleted {
			return s.st.snapshot(m), true
		}
	}
	return Message{}, false
}

// MessageByID returns one message, including deleted ones (Deleted set).
func (s *Server) MessageByID(chatID int64, messageID int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(chatID)
	if c == nil {
		return Message{}, false
	}
	m, ok := c.byID[messageID]
	if !ok {
		return Message{}, false
	}
	return s.st.snapshot(m), true
}

// UnansweredCallbacks returns callback queries that never got a successful
// answerCallbackQuery, oldest first.
func (s *Server) UnansweredCallbacks() []CallbackQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CallbackQuery
	if s.st.lean {
		return s.st.leanCallbacks()
	}
	for _, id := range s.st.cbOrder {
		if cb := s.st.callbacks[id]; !cb.answered {
			out = append(out, cb.info)
		}
	}
	return out
}

// Callbacks returns all callback queries, oldest first (in Lean mode, only
// the unanswered ones).
func (s *Server) Callbacks() []CallbackQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CallbackQuery
	if s.st.lean {
		return s.st.leanCallbacks()
	}
	for _, id := range s.st.cbOrder {
		out = append(out, s.st.callbacks[id].info)
	}
	return out
}

// Updates returns every update ever enqueued, in enqueue order.
func (s *Server) Updates() []UpdateRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UpdateRecord, 0, len(s.st.history))
	for _, q := range s.st.history {
		out = append(out, UpdateRecord{ID: q.id, Type: q.kind, JSON: q.json(), Deliveries: q.delivered, Confirmed: q.confirmed, Injected: q.forced})
	}
	return out
}

// PendingUpdates returns how many updates are not yet confirmed.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.pending)
}

// PendingPolls returns how many getUpdates requests are currently blocked
// in a long poll.
func (s *Server) PendingPolls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.pollers
}

// AllowedUpdates returns the allowed_updates last set by getUpdates (nil =
// Telegram's default set).
func (s *Server) AllowedUpdates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.allowed)
}

// Commands returns the commands set with setMyCommands for a scope (nil =
// default scope) and language code.
func (s *Server) Commands(scope *tgbotapi.BotCommandScope, languageCode string) []tgbotapi.BotCommand {
	key := commandsKey(scopeJSON(scope), languageCode)
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.commands[key])
}

func scopeJSON(scope *tgbotapi.BotCommandScope) string {
	if scope == nil {
		return ""
	}
	b, _ := json.Marshal(scope)
	return string(b)
}
