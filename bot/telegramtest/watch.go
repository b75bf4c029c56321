package telegramtest

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// ChatChanged returns a channel that is closed at the next change that
// concerns the chat: a Bot API call about it is recorded (whatever its
// outcome), a user acts in it, or a limit breach names it. It is also
// closed when the server closes. Take the channel, then check the chat
// (View), then wait: only that chat's waiters wake, so thousands of
// simulated users can wait at once without waking each other.
func (s *Server) ChatChanged(chatID int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closed:
		ch := make(chan struct{})
		close(ch)
		return ch
	default:
	}
	ch, ok := s.watch[chatID]
	if !ok {
		ch = make(chan struct{})
		s.watch[chatID] = ch
	}
	return ch
}

// notifyChat wakes the chat's waiters (s.mu held).
func (s *Server) notifyChat(chatID int64) {
	if ch, ok := s.watch[chatID]; ok {
		close(ch)
		delete(s.watch, chatID)
	}
}

// chatCalled notes a Bot API call about the request's chat (s.mu held).
// The answer to an older callback query is no reply to the newest update.
func (s *Server) chatCalled(r *request) {
	if c := s.st.chat(r.chatID); c != nil {
		c.calls++
		late := r.method == "answerCallbackQuery" && r.param("callback_query_id") != c.lastCB.ID
		if !c.updateAt.IsZero() && c.replyAt.IsZero() && !r.start.Before(c.updateAt) && !late {
			c.replyAt = r.start
		}
		if !c.updateAt.IsZero() && c.shownAt.IsZero() && !r.start.Before(c.updateAt) && changesScreen[r.method] {
			c.shownAt = r.start
		}
	}
	s.notifyChat(r.chatID)
}

// changesScreen lists the methods that change what a user sees in a chat.
var changesScreen = map[string]bool{
	"sendMessage": true, "sendPhoto": true, "sendDocument": true,
	"editMessageText": true, "editMessageReplyMarkup": true, "editMessageCaption": true, "deleteMessage": true,
}

// userActed notes that a user enqueued an update in c (s.mu held).
func (s *Server) userActed(c *chatState) {
	c.updateAt = s.now()
	c.replyAt, c.shownAt = time.Time{}, time.Time{}
	s.notifyChat(c.info.ID)
}

// ChatView is a chat as its user sees it at one moment, with when the bot
// last answered: what a program playing the user needs, in one call.
type ChatView struct {
	// Last is the newest bot message; zero (MessageID 0) if none.
	Last Message
	// Prompt is the newest bot message with a callback button: the one
	// to tap. Zero if none.
	Prompt Message
	// Calls counts the Bot API calls about the chat so far.
	Calls int
	// UpdateAt is when the user's newest update was enqueued (by the
	// server clock); ReplyAt the arrival of the first Bot API call about
	// the chat at or after it (any method, except answerCallbackQuery for
	// an older callback query), zero while there is none.
	// ReplyAt-UpdateAt is the bot's reply latency for that update.
	UpdateAt, ReplyAt time.Time
	// ShownAt is the arrival of the first call at or after UpdateAt that
	// changes what the user sees in the chat (a message sent, edited or
	// deleted; not a callback answer's toast), zero while there is none.
	// For a tap, ShownAt-UpdateAt is how long the user waits for the next
	// question or the tick.
	ShownAt time.Time
	// Callback is the chat's newest callback query, with its answer.
	Callback CallbackQuery
}

// View returns the chat as its user sees it. It costs the same whatever
// the number of chats.
func (s *Server) View(chatID int64) ChatView {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.chat(chatID)
	if c == nil {
		return ChatView{}
	}
	v := ChatView{Calls: c.calls, UpdateAt: c.updateAt, ReplyAt: c.replyAt, ShownAt: c.shownAt, Callback: c.lastCB}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		if !m.fromBot || m.deleted {
			continue
		}
		if v.Last.MessageID == 0 {
			v.Last = s.st.snapshot(m)
		}
		if strings.Contains(m.markup, `"callback_data"`) {
			if v.Last.MessageID == m.id {
				v.Prompt = v.Last
			} else {
				v.Prompt = s.st.snapshot(m)
			}
			break
		}
	}
	return v
}

// StatusCounts returns, for calls of method ("" = any; case-insensitive),
// how many got each HTTP status (0: no response delivered). It works in
// Lean mode too.
func (s *Server) StatusCounts(method string) map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for m, byStatus := range s.st.counts {
		if method == "" || strings.EqualFold(m, method) {
			for st, n := range byStatus {
				out[st] += n
			}
		}
	}
	return out
}

// leanCallbacks lists the callback queries still held (unanswered, in Lean
// mode), oldest first.
func (st *state) leanCallbacks() []CallbackQuery {
	var out []CallbackQuery
	for cb := range maps.Values(st.callbacks) {
		out = append(out, cb.info)
	}
	slices.SortFunc(out, func(a, b CallbackQuery) int { return a.UpdateID - b.UpdateID })
	return out
}

// ForgetChats forgets every chat, user, message and callback query, and
// the per-chat limit state, keeping the counts (CallCount, StatusCounts,
// BreachCount, Breaches) and pending updates. Handles made before must not
// be used afterwards; the bot's calls about forgotten chats fail with
// "chat not found". A load test calls it once its simulated users are done,
// to measure the bot's memory without the fake server's.
func (s *Server) ForgetChats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	st.users = map[int64]*UserInfo{}
	st.chats = map[int64]*chatState{}
	st.byHandle = map[string]int64{}
	st.callbacks = map[string]*callbackState{}
	st.cbOrder = nil
	st.files = map[string]*File{}
	st.members = map[[2]int64]string{}
	st.retryUntil = map[string]time.Time{}
	st.lim.private = map[int64]*bucket{}
	st.lim.group = map[int64][]time.Time{}
	for id, ch := range s.watch {
		close(ch)
		delete(s.watch, id)
	}
	s.notify()
}
