package telegramtest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Limits configures flood-limit accounting. Zero fields take the defaults
// in brackets. All times come from Options.Now.
//
// Counted as "messages": sendMessage, sendPhoto, sendDocument,
// editMessageText, editMessageCaption and editMessageReplyMarkup calls
// that name a chat and got past auth, decoding, retry windows and scripted
// faults (whether or not the method then succeeds). Nothing else counts
// (answerCallbackQuery, getUpdates, sendChatAction, getChat, ... do not).
//
// Rules, each checked when a message arrives at time t:
//   - global: more than GlobalPerSecond [30] messages in the window
//     (t-1s, t], counting this one, is a BreachGlobal;
//   - private chats (type "private"; unknown chats with positive ids): a
//     token bucket per chat holding at most PrivateBurst [3] tokens, full
//     at first, refilled at PrivatePerSecond [1] tokens/s; a message takes
//     a token; arriving with less than one token is a BreachPrivateChat
//     (the bucket then stays at its current level, it does not go
//     negative);
//   - groups, supergroups and channels (unknown chats with negative ids):
//     more than GroupPerMinute [20] messages in (t-60s, t], counting this
//     one, is a BreachGroupChat.
//
// Without Enforce the message is processed anyway and counts against the
// limits. With Enforce it is answered 429 "Too Many Requests: retry after
// N" (N = whole seconds until the violated rule would admit it, at least
// 1), does not count, and opens a retry window for that chat. A call
// inside any retry window (opened by an enforced limit or a scripted 429)
// is answered 429 with the remaining seconds and recorded as a
// BreachRetryTooSoon. Windows are per chat for counted methods and per
// (method, chat) for other calls.
type Limits struct {
	GlobalPerSecond  int
	PrivatePerSecond float64
	PrivateBurst     int
	GroupPerMinute   int
	Enforce          bool
}

func (l Limits) withDefaults() Limits {
	if l.GlobalPerSecond <= 0 {
		l.GlobalPerSecond = 30
	}
	if l.PrivatePerSecond <= 0 {
		l.PrivatePerSecond = 1
	}
	if l.PrivateBurst <= 0 {
		l.PrivateBurst = 3
	}
	if l.GroupPerMinute <= 0 {
		l.GroupPerMinute = 20
	}
	return l
}

// BreachKind classifies a limit breach.
type BreachKind string

// Breach kinds.
const (
	BreachGlobal       BreachKind = "global_rate"
	BreachPrivateChat  BreachKind = "private_chat_rate"
	BreachGroupChat    BreachKind = "group_chat_rate"
	BreachRetryTooSoon BreachKind = "retry_too_soon"
)

// Breach is one counted violation of Telegram's limits.
type Breach struct {
	Kind     BreachKind
	Method   string
	ChatID   int64
	Time     time.Time
	Detail   string
	Rejected bool // answered 429 (enforcing, or inside a retry window)
}

func (b Breach) String() string {
	return fmt.Sprintf("%s %s chat=%d at %s: %s", b.Kind, b.Method, b.ChatID, b.Time.Format(time.RFC3339Nano), b.Detail)
}

// Breaches returns all breaches so far, oldest first.
func (s *Server) Breaches() []Breach {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.breaches)
}

// BreachCount returns how many breaches were counted: len(Breaches()),
// except in Lean mode, which keeps only the first LeanBreaches of them.
func (s *Server) BreachCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.breachTotal
}

// ClearBreaches forgets recorded breaches (not the rate state).
func (s *Server) ClearBreaches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.breaches = nil
	s.st.breachTotal = 0
}

var countedMethods = map[string]bool{
	"sendMessage": true, "sendPhoto": true, "sendDocument": true,
	"editMessageText": true, "editMessageCaption": true, "editMessageReplyMarkup": true,
}

type bucket struct {
	tokens float64
	last   time.Time
}

type limiter struct {
	l       Limits
	global  []time.Time
	private map[int64]*bucket
	group   map[int64][]time.Time
}

func (lm *limiter) init(l Limits) {
	lm.l = l
	lm.private = map[int64]*bucket{}
	lm.group = map[int64][]time.Time{}
}

func prune(ts []time.Time, after time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(after) {
		i++
	}
	return ts[i:]
}

func retryKey(r *request) string {
	if countedMethods[r.method] && r.chatID != 0 {
		return "chat:" + strconv.FormatInt(r.chatID, 10)
	}
	return "method:" + r.method + "|chat:" + strconv.FormatInt(r.chatID, 10)
}

func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

func (s *Server) breach(b Breach) {
	s.st.breachTotal++
	if !s.st.lean || len(s.st.breaches) < LeanBreaches {
		s.st.breaches = append(s.st.breaches, b)
	}
	s.notify()
	if b.ChatID != 0 {
		s.notifyChat(b.ChatID)
	}
}

// checkRetryWindow answers calls made inside a 429 retry window (s.mu held).
func (s *Server) checkRetryWindow(r *request) *apiError {
	key := retryKey(r)
	until, ok := s.st.retryUntil[key]
	if !ok {
		return nil
	}
	now := s.now()
	if !now.Before(until) {
		delete(s.st.retryUntil, key)
		return nil
	}
	left := until.Sub(now)
	s.breach(Breach{Kind: BreachRetryTooSoon, Method: r.method, ChatID: r.chatID, Time: now, Rejected: true,
		Detail: fmt.Sprintf("called %v before the retry_after window ends", left)})
	ra := ceilSeconds(left)
	return &apiError{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", ra), RetryAfter: ra}
}

func (st *state) isPrivate(chatID int64) bool {
	if c, ok := st.chats[chatID]; ok {
		return c.info.Type == "private"
	}
	return chatID > 0
}

// accountLimits counts a message against the limits (s.mu held).
func (s *Server) accountLimits(r *request) *apiError {
	if !countedMethods[r.method] || r.chatID == 0 {
		return nil
	}
	lm := &s.st.lim
	L := lm.l
	now := s.now()
	var breaches []Breach
	var wait time.Duration

	lm.global = prune(lm.global, now.Add(-time.Second))
	if n := len(lm.global) + 1; n > L.GlobalPerSecond {
		breaches = append(breaches, Breach{Kind: BreachGlobal,
			Detail: fmt.Sprintf("%d messages within 1s (limit %d/s)", n, L.GlobalPerSecond)})
		wait = max(wait, lm.global[len(lm.global)-L.GlobalPerSecond].Add(time.Second).Sub(now))
	}
	private := s.st.isPrivate(r.chatID)
	var b *bucket
	if private {
		b = lm.private[r.chatID]
		if b == nil {
			b = &bucket{tokens: float64(L.PrivateBurst), last: now}
			lm.private[r.chatID] = b
		}
		if el := now.Sub(b.last); el > 0 {
			b.tokens = math.Min(float64(L.PrivateBurst), b.tokens+el.Seconds()*L.PrivatePerSecond)
		}
		b.last = now
		if b.tokens < 1 {
			breaches = append(breaches, Breach{Kind: BreachPrivateChat,
				Detail: fmt.Sprintf("private chat over %g msg/s (burst %d): %.2f tokens left", L.PrivatePerSecond, L.PrivateBurst, b.tokens)})
			wait = max(wait, time.Duration((1-b.tokens)/L.PrivatePerSecond*float64(time.Second)))
		}
	} else {
		ts := prune(lm.group[r.chatID], now.Add(-time.Minute))
		lm.group[r.chatID] = ts
		if n := len(ts) + 1; n > L.GroupPerMinute {
			breaches = append(breaches, Breach{Kind: BreachGroupChat,
				Detail: fmt.Sprintf("%d messages to the group within 60s (limit %d/min)", n, L.GroupPerMinute)})
			wait = max(wait, ts[len(ts)-L.GroupPerMinute].Add(time.Minute).Sub(now))
		}
	}
	for _, br := range breaches {
		br.Method, br.ChatID, br.Time, br.Rejected = r.method, r.chatID, now, L.Enforce
		s.breach(br)
	}
	if len(breaches) > 0 && L.Enforce {
		ra := ceilSeconds(wait)
		s.st.retryUntil[retryKey(r)] = now.Add(time.Duration(ra) * time.Second)
		return &apiError{Code: 429, Description: fmt.Sprintf("Too Many Requests: retry after %d", ra), RetryAfter: ra}
	}
	lm.global = append(lm.global, now)
	if private {
		if b.tokens >= 1 {
			b.tokens--
		}
	} else {
		lm.group[r.chatID] = append(lm.group[r.chatID], now)
	}
	return nil
}

// FakeClock is a manually advanced clock for Options.Now. It is safe for
// concurrent use.
type FakeClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{t: t} }

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
