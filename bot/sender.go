package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// SenderOptions tune a Sender. Zero fields (or a nil *SenderOptions) take
// the defaults in brackets, which are Telegram's documented limits.
type SenderOptions struct {
	Now    func() time.Time // [time.Now]
	Logger *slog.Logger     // [discard]

	GlobalPerSecond  float64       // messages per second over all chats [30]
	PrivatePerSecond float64       // token bucket rate per private chat [1]
	PrivateBurst     int           // token bucket size per private chat [3]
	GroupPerMinute   int           // messages per rolling minute per group or channel [20]
	MaxBackoff       time.Duration // cap of the retry backoff after transient errors [1 min]

	// Workers is how many requests may be in flight at once, each for a
	// different chat [8]. Telegram answers in tens of milliseconds, more
	// from far away, so one request at a time could not reach its 30
	// messages a second.
	Workers int

	// IdleFlush is how long the sender must have been idle before it calls
	// the Outbox's Flush (see Flusher) [1 s]. Flushing at every pause cost
	// a transaction and an fsync per reply at low load.
	IdleFlush time.Duration

	// Unlimited turns pacing off (for load tests against the fake server).
	// retry_after, NotBefore and backoff are still honoured.
	Unlimited bool
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	Sent           int64 // messages delivered (sendMessage or sendDocument succeeded)
	Edits          int64 // edits that changed a message
	NotModified    int64 // edits Telegram found identical: counted as delivered
	Unneeded       int64 // edits not sent: the message already shows what they would set
	RateLimited429 int64 // 429 answers
	Blocked        int64 // 403 answers: chats that blocked the bot
	Dropped        int64 // items given up, for any DropReason
	Retries        int64 // items put back for a later attempt
	// ByMethod counts requests made per Bot API method, failed ones included.
	ByMethod map[string]int64
}

// Sender is the one goroutine that drains the outbox into the Bot API.
//
// Items of one chat go strictly in queue order; a chat waiting for its
// rate-limit slot, a retry_after window or a backoff never holds up other
// chats. Among the chats that may send now, one with a non-bulk item goes
// first, then the oldest head of queue.
//
// Pacing is conservative towards Telegram's counting at arrival: a request
// is counted when its answer comes back (never earlier than it arrived) and
// checked when it leaves (never later than it arrives), against
//   - all chats: at most GlobalPerSecond requests in any rolling second;
//   - a private chat (id > 0): a token bucket of PrivateBurst tokens refilled
//     at PrivatePerSecond, one token a request;
//   - a group or channel (id < 0): at most GroupPerMinute requests in any
//     rolling minute.
//
// Every sendMessage, sendDocument, editMessageText and
// editMessageReplyMarkup attempt counts, failed or not.
type Sender struct {
	api  *tgbotapi.BotAPI
	ob   Outbox
	o    SenderOptions
	log  *slog.Logger
	wake chan struct{}

	running atomic.Bool

	statsMu sync.Mutex
	stats   SenderStats

	// Owned by the Run goroutine.
	globalN      int           // requests allowed per globalWindow
	globalWindow time.Duration //
	global       []time.Time   // completion times of the latest globalN requests
	chats        map[int64]*chatPace
	limit        int       // Pending batch size
	streak       int       // transient failures in a row, any chat
	pausedUntil  time.Time // all chats, after a streak of transient failures
	storeFails   int       // Pending failures in a row
	lastSweep    time.Time
	results      chan flight      // answers of requests in flight
	shows        shows            // what the messages sent or edited lately show
	inflight     map[int64]uint64 // chat -> the item whose request is in flight
	queues       []*chatQueue     // the batch in hand, by chat
	served       int              // requests started from the batch
	stale        bool             // something changed since the batch was read
	more         bool             // the batch did not hold the whole queue
	idle         bool             // flushed since the last request started
	idleAt       time.Time        // when the sender fell idle, while it has not flushed
}

// Flusher is an Outbox that keeps some writes in memory (say, deliveries,
// to write many in one transaction). The Sender calls Flush once it has
// been idle for SenderOptions.IdleFlush, so none waits long.
type Flusher interface {
	Flush() error
}

// chatPace is what the Sender remembers of one chat.
type chatPace struct {
	tokens      float64     // private chats: bucket level at last
	last        time.Time   //
	recent      []time.Time // groups: completion times of the latest GroupPerMinute requests
	pausedUntil time.Time   // retry_after window or backoff
}

const (
	senderMinBackoff = 500 * time.Millisecond
	senderBatch      = 256     // items read from the outbox at a time
	senderMaxBatch   = 1 << 16 // grown to when nothing in a batch may be sent
	senderStreak     = 3       // transient failures in a row before all chats back off
	senderPerBatch   = 64      // requests served from one batch at most
)

// NewSender returns a Sender sending through c (Dial, Connect) from ob.
func NewSender(c *Conn, ob Outbox, opts *SenderOptions) *Sender {
	api := c.sender()
	o := SenderOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.GlobalPerSecond <= 0 {
		o.GlobalPerSecond = 30
	}
	if o.PrivatePerSecond <= 0 {
		o.PrivatePerSecond = 1
	}
	if o.PrivateBurst <= 0 {
		o.PrivateBurst = 3
	}
	if o.GroupPerMinute <= 0 {
		o.GroupPerMinute = 20
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.IdleFlush <= 0 {
		o.IdleFlush = time.Second
	}
	n := max(1, int(math.Floor(o.GlobalPerSecond)))
	return &Sender{
		api: api, ob: ob, o: o, log: o.Logger,
		wake:         make(chan struct{}, 1),
		stats:        SenderStats{ByMethod: map[string]int64{}},
		globalN:      n,
		globalWindow: ceilDuration(float64(n) / o.GlobalPerSecond),
		chats:        map[int64]*chatPace{},
		limit:        senderBatch,
		results:      make(chan flight, o.Workers),
		inflight:     map[int64]uint64{},
	}
}

// Wake tells the Sender that items were queued. It never blocks; the update
// loop calls it after each commit.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters so far. It is safe for concurrent use.
func (s *Sender) Stats() SenderStats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	st := s.stats
	st.ByMethod = make(map[string]int64, len(s.stats.ByMethod))
	for k, v := range s.stats.ByMethod {
		st.ByMethod[k] = v
	}
	return st
}

func (s *Sender) count(f func(*SenderStats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

// Run sends outbox items until ctx is done, then returns nil once the
// requests in flight have finished and their outcomes are recorded.
// Outbox and Bot API errors are logged and retried, never returned; the
// only error is a second concurrent Run. When nothing may be sent, Run
// sleeps until Wake, ctx, a request's answer, or the earliest NotBefore,
// retry_after or rate-limit slot.
//
// All decisions and every outbox call are made on Run's goroutine; only
// the HTTP requests run beside it, at most Workers at once and at most one
// per chat, so each chat's items still go strictly in queue order.
func (s *Sender) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("bot: Sender.Run is already running")
	}
	defer s.running.Store(false)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	s.queues, s.served, s.stale, s.more = nil, 0, false, false
	for ctx.Err() == nil {
		next := s.pump(ctx)
		var tc <-chan time.Time
		if !next.IsZero() {
			d := next.Sub(s.o.Now())
			if d <= 0 {
				s.stale = true
				continue
			}
			timer.Reset(d)
			tc = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
			s.stale = true
		case f := <-s.results:
			s.finish(ctx, f)
		case <-tc:
			s.stale = true
		}
		timer.Stop()
	}
	for len(s.inflight) > 0 {
		s.finish(ctx, <-s.results)
	}
	s.queues = nil
	return nil
}

// chatQueue is one chat's items in a batch, in queue order.
type chatQueue struct {
	chatID int64
	items  []Queued
	urgent bool // holds a non-bulk item
}

// flight is a request in flight and, once back, its outcome.
type flight struct {
	q      Queued
	method string
	target int // the message an edit changes
	resp   *tgbotapi.APIResponse
	err    error
	done   time.Time
}

// pump starts requests while it may, reading the outbox when the batch in
// hand is used up or out of date. It returns when nothing more may start
// now, with the time to wake up (zero: only on Wake or an answer).
//
// The batch is read again after senderPerBatch requests, or when nothing
// in it may be sent, and only if something happened since it was read
// (stale: Wake, an answer that left a chat's items in doubt, a timer) or
// it did not hold the whole queue (more). Reading after every request
// (each commit wakes the sender) cost a queue read and a delivery write
// per message, and capped throughput at a few hundred messages a second.
func (s *Sender) pump(ctx context.Context) time.Time {
	force := s.queues == nil
	for ctx.Err() == nil {
		now := s.o.Now()
		var pick *chatQueue
		var next time.Time
		var anyReady bool
		if !force {
			pick, next, anyReady = s.choose(s.queues, now)
		}
		exhausted := pick == nil || s.served >= senderPerBatch
		if force || (exhausted && (s.stale || (s.more && s.served > 0))) {
			force = false
			if retryAt, ok := s.read(ctx, now); !ok {
				return retryAt
			}
			continue
		}
		if pick == nil {
			if !anyReady && s.more && len(s.inflight) == 0 && s.limit < senderMaxBatch {
				s.limit *= 2 // everything here waits: look further down the queue
				force = true
				continue
			}
			if f, ok := s.ob.(Flusher); ok && len(s.inflight) == 0 && !s.idle {
				if s.idleAt.IsZero() {
					s.idleAt = now
				}
				if flushAt := s.idleAt.Add(s.o.IdleFlush); now.Before(flushAt) {
					next = earliest(next, flushAt)
				} else if err := f.Flush(); err != nil {
					// The outbox keeps what it could not write: try again
					// after another IdleFlush.
					s.log.LogAttrs(ctx, slog.LevelError, "outbox write failed", slog.String("class", "store"), slog.Any("err", err))
					s.idleAt = now
					next = earliest(next, now.Add(s.o.IdleFlush))
				} else {
					s.idle = true
				}
			}
			return next
		}
		if len(s.inflight) >= s.o.Workers {
			return time.Time{} // an answer frees a worker
		}
		s.served++
		s.idle, s.idleAt = false, time.Time{}
		s.start(ctx, pick)
	}
	return time.Time{}
}

// read replaces the batch with the head of the outbox. ok is false when
// the outbox could not be read; retryAt is then when to try again.
func (s *Sender) read(ctx context.Context, now time.Time) (retryAt time.Time, ok bool) {
	items, err := s.ob.Pending(s.limit)
	if err != nil {
		s.storeFails++
		s.log.LogAttrs(ctx, slog.LevelError, "outbox read failed",
			slog.String("class", "store"), slog.Int("attempt", s.storeFails), slog.Any("err", err))
		s.queues, s.served, s.stale = []*chatQueue{}, 0, true
		return now.Add(s.backoff(s.storeFails - 1)), false
	}
	s.storeFails = 0
	full := len(items) >= s.limit
	if !full && len(items) < s.limit/4 {
		s.limit = max(senderBatch, s.limit/2)
	}
	s.sweep(now)
	s.queues = s.group(ctx, items)
	s.served, s.stale, s.more = 0, false, full
	return time.Time{}, true
}

func hasUrgent(items []Queued) bool {
	for _, q := range items {
		if !q.Out.Bulk {
			return true
		}
	}
	return false
}

// group splits a batch by chat and drops superseded edits.
func (s *Sender) group(ctx context.Context, items []Queued) (queues []*chatQueue) {
	idx := map[int64]int{}
	for _, q := range items {
		if seq, busy := s.inflight[q.Out.ChatID]; busy && seq == q.Seq {
			continue // its answer is on the way
		}
		i, ok := idx[q.Out.ChatID]
		if !ok {
			i = len(queues)
			idx[q.Out.ChatID] = i
			queues = append(queues, &chatQueue{chatID: q.Out.ChatID})
		}
		queues[i].items = append(queues[i].items, q)
	}
	for _, cq := range queues {
		cq.items = s.coalesce(ctx, cq.items)
		cq.urgent = hasUrgent(cq.items)
	}
	return queues
}

// coalesce drops an edit when a later edit in the same run of consecutive
// edits rewrites everything it changes on the same message: an
// editMessageText supersedes any edit, an editMessageReplyMarkup only
// another editMessageReplyMarkup. Within a run no message is sent, so the
// chat's prompt message cannot change and ToPrompt edits share one target.
func (s *Sender) coalesce(ctx context.Context, items []Queued) []Queued {
	type cover struct{ text, markup bool }
	var superseded map[uint64]bool
	var later map[editKey]cover // edits after items[i] in the same run
	for i := len(items) - 1; i >= 0; i-- {
		out := items[i].Out
		key, ok := editTarget(out)
		if !ok {
			clear(later) // a send (or an edit without target) ends the run
			continue
		}
		if later == nil {
			later = map[editKey]cover{}
		}
		c := later[key]
		if c.text || (c.markup && out.Kind == OutEditMarkup) {
			if superseded == nil {
				superseded = map[uint64]bool{}
			}
			superseded[items[i].Seq] = true
			continue
		}
		if out.Kind == OutEditText {
			c.text = true
		} else {
			c.markup = true
		}
		later[key] = c
	}
	if superseded == nil {
		return items
	}
	kept := items[:0:0]
	for _, q := range items {
		if superseded[q.Seq] {
			s.drop(ctx, q, DropSuperseded, "superseded")
			continue
		}
		kept = append(kept, q)
	}
	return kept
}

// editKey names the message an edit changes.
type editKey struct {
	prompt    bool
	messageID int
}

// editTarget returns the message an edit changes; ok is false for sends
// and edits without a target.
func editTarget(out Outgoing) (k editKey, ok bool) {
	if out.Kind != OutEditText && out.Kind != OutEditMarkup {
		return k, false
	}
	switch {
	case out.ToPrompt:
		return editKey{prompt: true}, true
	case out.MessageID != 0:
		return editKey{messageID: out.MessageID}, true
	}
	return k, false
}

// choose picks the chat to serve now: urgent before bulk, then the oldest
// head. Otherwise next is when something may become sendable and
// anyReady reports whether a chat waits only for the global slot.
func (s *Sender) choose(queues []*chatQueue, now time.Time) (pick *chatQueue, next time.Time, anyReady bool) {
	for _, cq := range queues {
		if len(cq.items) == 0 {
			continue
		}
		if _, busy := s.inflight[cq.chatID]; busy {
			continue // one request per chat at a time keeps its order
		}
		head := cq.items[0]
		at := head.NotBefore
		if p := s.chats[cq.chatID]; p != nil {
			at = latest(at, p.pausedUntil)
			at = latest(at, s.chatSlot(cq.chatID, p, now))
		}
		if at.After(now) {
			next = earliest(next, at)
			continue
		}
		anyReady = true
		if pick == nil || (cq.urgent && !pick.urgent) ||
			(cq.urgent == pick.urgent && head.Seq < pick.items[0].Seq) {
			pick = cq
		}
	}
	if g := latest(s.pausedUntil, s.globalSlot()); g.After(now) {
		if pick != nil {
			return nil, g, true
		}
		if !next.IsZero() {
			next = latest(next, g)
		}
	}
	return pick, next, anyReady
}

// globalSlot is when one more request fits the global window. Requests
// in flight count as if they arrived now: each may still be counted by
// Telegram at any moment until its answer comes back.
func (s *Sender) globalSlot() time.Time {
	k := s.globalN - len(s.inflight)
	switch {
	case s.o.Unlimited || len(s.global) < k:
		return time.Time{}
	case k <= 0:
		return s.o.Now().Add(s.globalWindow) // an answer comes first, and wakes Run
	}
	return s.global[len(s.global)-k].Add(s.globalWindow)
}

// chatSlot is when one more request fits the chat's limit.
func (s *Sender) chatSlot(chatID int64, p *chatPace, now time.Time) time.Time {
	if s.o.Unlimited {
		return time.Time{}
	}
	if chatID > 0 {
		if s.tokens(p, now) >= 1-1e-9 {
			return time.Time{}
		}
		return p.last.Add(ceilDuration((1 - p.tokens) / s.o.PrivatePerSecond))
	}
	if len(p.recent) < s.o.GroupPerMinute {
		return time.Time{}
	}
	return p.recent[len(p.recent)-s.o.GroupPerMinute].Add(time.Minute)
}

func (s *Sender) tokens(p *chatPace, now time.Time) float64 {
	t := p.tokens
	if el := now.Sub(p.last); el > 0 {
		t += el.Seconds() * s.o.PrivatePerSecond
	}
	return math.Min(float64(s.o.PrivateBurst), t)
}

func (s *Sender) pace(chatID int64) *chatPace {
	p := s.chats[chatID]
	if p == nil {
		p = &chatPace{tokens: float64(s.o.PrivateBurst), last: s.o.Now()}
		s.chats[chatID] = p
	}
	return p
}

// account counts a request whose answer came back at t.
func (s *Sender) account(chatID int64, t time.Time) {
	if s.o.Unlimited {
		return
	}
	s.global = appendBounded(s.global, t, s.globalN)
	p := s.pace(chatID)
	if chatID > 0 {
		p.tokens = math.Max(0, s.tokens(p, t)-1)
		p.last = t
	} else {
		p.recent = appendBounded(p.recent, t, s.o.GroupPerMinute)
	}
}

func appendBounded(ts []time.Time, t time.Time, n int) []time.Time {
	ts = append(ts, t)
	if len(ts) > n {
		ts = append(ts[:0], ts[len(ts)-n:]...)
	}
	return ts
}

// sweep forgets chats whose limits have fully recovered, once a minute.
func (s *Sender) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < time.Minute {
		return
	}
	s.lastSweep = now
	for id, p := range s.chats {
		if p.pausedUntil.After(now) {
			continue
		}
		if id > 0 && s.tokens(p, now) < float64(s.o.PrivateBurst) {
			continue
		}
		if n := len(p.recent); n > 0 && p.recent[n-1].Add(time.Minute).After(now) {
			continue
		}
		delete(s.chats, id)
	}
}

// start takes the head of cq and starts its request, or settles it at
// once when it needs none (an edit without a target) or cannot be built.
func (s *Sender) start(ctx context.Context, cq *chatQueue) {
	q := cq.items[0]
	cq.items = cq.items[1:]
	cq.urgent = hasUrgent(cq.items)
	out := q.Out
	var req tgbotapi.Chattable
	target := 0 // the message an edit changes
	switch out.Kind {
	case OutSend:
		m := tgbotapi.NewMessage(out.ChatID, out.Text)
		m.ParseMode = tgbotapi.ModeHTML
		switch {
		case len(out.Keyboard) > 0:
			m.ReplyMarkup = senderKeyboard(out.Keyboard)
		case out.ForceReply:
			m.ReplyMarkup = tgbotapi.ForceReply{ForceReply: true, InputFieldPlaceholder: out.Placeholder}
		}
		req = m
	case OutSendDocument:
		if out.File == nil {
			s.drop(ctx, q, DropBadRequest, "no_file")
			return
		}
		d := tgbotapi.NewDocument(out.ChatID, tgbotapi.FileBytes{Name: out.File.Name, Bytes: out.File.Data})
		d.Caption = out.Text
		d.ParseMode = tgbotapi.ModeHTML
		req = d
	case OutEditText, OutEditMarkup:
		target = out.MessageID
		if out.ToPrompt {
			var id int
			var err error
			if out.Num != 0 {
				id, err = s.ob.SentMessage(out.ChatID, out.Num)
			} else {
				id, err = s.ob.PromptMessage(out.ChatID)
			}
			if err != nil {
				s.log.LogAttrs(ctx, slog.LevelError, "prompt lookup failed", slog.Int64("chat_id", out.ChatID),
					slog.String("class", "store"), slog.Int("attempt", q.Attempts+1), slog.Any("err", err))
				until := s.o.Now().Add(s.backoff(q.Attempts))
				s.pace(out.ChatID).pausedUntil = until
				s.retry(ctx, q, until)
				s.unsure(cq)
				return
			}
			target = id
		}
		if target == 0 {
			s.drop(ctx, q, DropNoTarget, "no_target")
			return
		}
		if s.shows.unneeded(out, target) {
			// Coalesced or racing edits can come to change nothing:
			// Telegram would answer "message is not modified".
			s.count(func(st *SenderStats) { st.Unneeded++ })
			s.done(ctx, q, 0)
			return
		}
		if out.Kind == OutEditText {
			e := tgbotapi.NewEditMessageText(out.ChatID, target, out.Text)
			if len(out.Keyboard) > 0 {
				e = tgbotapi.NewEditMessageTextAndMarkup(out.ChatID, target, out.Text, senderKeyboard(out.Keyboard))
			}
			e.ParseMode = tgbotapi.ModeHTML
			req = e
		} else {
			req = tgbotapi.NewEditMessageReplyMarkup(out.ChatID, target, senderKeyboard(out.Keyboard))
		}
	default:
		s.drop(ctx, q, DropBadRequest, "unknown_kind")
		return
	}

	method := senderMethod(out.Kind)
	s.inflight[out.ChatID] = q.Seq
	go func() {
		resp, err := s.api.Request(req)
		s.results <- flight{q: q, method: method, target: target, resp: resp, err: err, done: s.o.Now()}
	}()
}

// unsure forgets the rest of cq's items in this batch: after a failure
// their state is read again from the outbox.
func (s *Sender) unsure(cq *chatQueue) {
	if cq != nil {
		cq.items, cq.urgent = nil, false
	}
	s.stale = true
}

// finish records the outcome of a request that came back.
func (s *Sender) finish(ctx context.Context, f flight) {
	q, out, method, resp, err, done := f.q, f.q.Out, f.method, f.resp, f.err, f.done
	delete(s.inflight, out.ChatID)
	var cq *chatQueue
	for _, c := range s.queues {
		if c.chatID == out.ChatID {
			cq = c
			break
		}
	}
	s.account(out.ChatID, done)
	s.count(func(st *SenderStats) { st.ByMethod[method]++ })
	attrs := func(class string, extra ...slog.Attr) []slog.Attr {
		return append([]slog.Attr{slog.Int64("chat_id", out.ChatID), slog.String("method", method),
			slog.String("class", class), slog.Int("attempt", q.Attempts+1)}, extra...)
	}

	var te *tgbotapi.Error
	if errors.As(err, &te) && te.Code == 0 && resp != nil {
		// tgbotapi's UploadFiles (sendDocument) leaves the code out of
		// its error: without it a 429 would be retried before retry_after
		// and a 400 for ever.
		te.Code = resp.ErrorCode
	}
	switch {
	case err == nil:
		s.streak = 0
		msgID := 0
		if out.Kind == OutSend || out.Kind == OutSendDocument {
			var m struct {
				MessageID int `json:"message_id"`
			}
			if resp == nil || json.Unmarshal(resp.Result, &m) != nil {
				s.log.LogAttrs(ctx, slog.LevelWarn, "sent, but the answer has no message id", attrs("bad_response")...)
			}
			msgID = m.MessageID
			s.count(func(st *SenderStats) { st.Sent++ })
			if out.Kind == OutSend {
				s.shows.set(out.ChatID, msgID, out)
			}
		} else {
			s.count(func(st *SenderStats) { st.Edits++ })
			s.shows.set(out.ChatID, f.target, out)
		}
		s.log.LogAttrs(ctx, slog.LevelDebug, "delivered", attrs("ok")...)
		s.done(ctx, q, msgID)

	case errors.As(err, &te) && te.Code == 400 && strings.Contains(te.Message, "message is not modified"):
		s.streak = 0
		s.count(func(st *SenderStats) { st.NotModified++ })
		s.shows.set(out.ChatID, f.target, out)
		s.log.LogAttrs(ctx, slog.LevelDebug, "delivered", attrs("not_modified")...)
		s.done(ctx, q, 0)

	case te != nil && te.Code == 429:
		s.streak = 0
		s.count(func(st *SenderStats) { st.RateLimited429++ })
		wait := time.Duration(te.RetryAfter) * time.Second
		if wait <= 0 {
			wait = s.backoff(q.Attempts)
		}
		until := done.Add(wait)
		p := s.pace(out.ChatID)
		p.pausedUntil = latest(p.pausedUntil, until)
		s.log.LogAttrs(ctx, slog.LevelWarn, "rate limited: chat paused", attrs("429", slog.Duration("retry_after", wait))...)
		s.retry(ctx, q, until)
		s.unsure(cq)

	case te != nil && te.Code == 403:
		s.streak = 0
		s.count(func(st *SenderStats) { st.Blocked++ })
		s.log.LogAttrs(ctx, slog.LevelInfo, "chat unreachable: dropping its items",
			attrs("403", slog.String("reason", apiReason(te.Message)))...)
		s.drop(ctx, q, DropBlocked, "")
		if cq != nil {
			for _, other := range cq.items {
				s.drop(ctx, other, DropBlocked, "")
			}
		}
		s.unsure(cq)

	case te != nil && te.Code == 400:
		s.streak = 0
		s.log.LogAttrs(ctx, slog.LevelWarn, "bad request: dropped", attrs("400", slog.String("reason", apiReason(te.Message)))...)
		s.drop(ctx, q, DropBadRequest, "")

	default: // 409, 5xx and other codes, HTML error pages, transport errors, timeouts
		class := transientClass(err, te)
		s.streak++
		until := done.Add(s.backoff(q.Attempts))
		p := s.pace(out.ChatID)
		p.pausedUntil = latest(p.pausedUntil, until)
		if s.streak >= senderStreak {
			s.pausedUntil = done.Add(s.backoff(s.streak - senderStreak))
		}
		level := slog.LevelWarn
		if ctx.Err() != nil {
			level = slog.LevelDebug // shutting down
		}
		extra := []slog.Attr{slog.Duration("retry_in", until.Sub(done).Round(time.Millisecond))}
		if te != nil {
			extra = append(extra, slog.String("reason", apiReason(te.Message)))
		} else {
			extra = append(extra, slog.String("err", Redact(err, s.api.Token).Error()))
		}
		s.log.LogAttrs(ctx, level, "request failed: will retry", attrs(class, extra...)...)
		s.retry(ctx, q, until)
		s.unsure(cq)
	}
}

// done records a delivered item. The outbox owns the delivery from here:
// it never hands the item out again, even if writing this fails (it keeps
// the outcome and writes it later), so an error is only logged.
func (s *Sender) done(ctx context.Context, q Queued, msgID int) {
	if err := s.ob.Done(q, msgID); err != nil {
		s.writeFailed(ctx, q, err)
	}
}

func (s *Sender) writeFailed(ctx context.Context, q Queued, err error) {
	s.log.LogAttrs(ctx, slog.LevelError, "outbox write failed", slog.Int64("chat_id", q.Out.ChatID),
		slog.String("class", "store"), slog.Int("attempt", q.Attempts+1), slog.Any("err", err))
}

// drop gives an item up. class, if not empty, is logged.
func (s *Sender) drop(ctx context.Context, q Queued, why DropReason, class string) {
	s.count(func(st *SenderStats) { st.Dropped++ })
	if class != "" {
		s.log.LogAttrs(ctx, slog.LevelDebug, "dropped", slog.Int64("chat_id", q.Out.ChatID),
			slog.String("method", senderMethod(q.Out.Kind)), slog.String("class", class), slog.Int("attempt", q.Attempts+1))
	}
	if err := s.ob.Drop(q, why); err != nil { // as in done: the outbox keeps the outcome
		s.writeFailed(ctx, q, err)
	}
}

// retry puts an item back for another attempt no earlier than until.
func (s *Sender) retry(ctx context.Context, q Queued, until time.Time) {
	s.count(func(st *SenderStats) { st.Retries++ })
	if err := s.ob.Retry(q, until); err != nil {
		// The chat stays paused in memory; the item is tried again after that.
		s.log.LogAttrs(ctx, slog.LevelError, "outbox write failed", slog.Int64("chat_id", q.Out.ChatID),
			slog.String("class", "store"), slog.Int("attempt", q.Attempts+1), slog.Any("err", err))
	}
}

// backoff is the wait after attempt+1 failures: exponential from 500 ms,
// capped at MaxBackoff, with jitter in [d/2, d].
func (s *Sender) backoff(attempt int) time.Duration {
	d := senderMinBackoff << min(max(attempt, 0), 20)
	d = min(d, s.o.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

func senderMethod(k OutKind) string {
	switch k {
	case OutSend:
		return "sendMessage"
	case OutEditText:
		return "editMessageText"
	case OutEditMarkup:
		return "editMessageReplyMarkup"
	case OutSendDocument:
		return "sendDocument"
	}
	return string(k)
}

// senderKeyboard builds an inline keyboard; no rows gives an empty one
// (`{"inline_keyboard":[]}`), which removes the keyboard of an edited
// message.
func senderKeyboard(rows [][]Button) tgbotapi.InlineKeyboardMarkup {
	kb := tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	for _, row := range rows {
		r := make([]tgbotapi.InlineKeyboardButton, 0, len(row))
		for _, b := range row {
			if b.URL != "" {
				r = append(r, tgbotapi.NewInlineKeyboardButtonURL(b.Text, b.URL))
			} else {
				r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Text, b.Data))
			}
		}
		kb.InlineKeyboard = append(kb.InlineKeyboard, r)
	}
	return kb
}

// transientClass names a retryable failure for logs.
func transientClass(err error, te *tgbotapi.Error) string {
	var ne net.Error
	var se *json.SyntaxError
	switch {
	case te != nil:
		return strconv.Itoa(te.Code)
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &se):
		return "bad_response" // e.g. a proxy's HTML 502 page
	}
	return "transport"
}

// apiReason is Telegram's description up to its second colon, e.g.
// "Bad Request: can't parse entities": the fixed part, without details
// that may quote the text sent.
func apiReason(desc string) string {
	if i := strings.Index(desc, ": "); i >= 0 {
		if j := strings.IndexByte(desc[i+2:], ':'); j >= 0 {
			desc = desc[:i+2+j]
		}
	}
	if len(desc) > 80 {
		desc = desc[:80]
	}
	return desc
}

func ceilDuration(seconds float64) time.Duration {
	return time.Duration(math.Ceil(seconds * float64(time.Second)))
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// shows remembers, for the messages the sender sent or edited lately, a
// hash of the text and of the keyboard each shows, as delivered: an edit
// that would change neither is not sent. Two generations of at most
// showsMax messages each bound the memory. After a restart it knows
// nothing, and the bot's own record (view.go) keeps edits real.
type shows struct {
	cur, old map[showKey]shown
}

type showKey struct {
	chat int64
	msg  int
}

// shown is what a message shows: hashes of its text (0: unknown) and of
// its inline keyboard.
type shown struct{ text, keys uint64 }

const showsMax = 50_000

func (sh *shows) get(k showKey) (shown, bool) {
	if v, ok := sh.cur[k]; ok {
		return v, true
	}
	v, ok := sh.old[k]
	return v, ok
}

// set records what out made message msg of chat show once delivered; an
// edit of the keyboard alone keeps the text known before.
func (sh *shows) set(chat int64, msg int, out Outgoing) {
	if msg == 0 {
		return
	}
	k := showKey{chat, msg}
	v := shown{text: hashText(out.Text), keys: hashKeys(out.Keyboard)}
	if out.Kind == OutEditMarkup {
		before, _ := sh.get(k)
		v.text = before.text
	}
	if sh.cur == nil {
		sh.cur = map[showKey]shown{}
	}
	if len(sh.cur) >= showsMax {
		sh.old, sh.cur = sh.cur, map[showKey]shown{}
	}
	sh.cur[k] = v
}

// unneeded reports whether the edit out of message target would change
// nothing that is known.
func (sh *shows) unneeded(out Outgoing, target int) bool {
	v, ok := sh.get(showKey{out.ChatID, target})
	if !ok {
		return false
	}
	switch out.Kind {
	case OutEditMarkup:
		return v.keys == hashKeys(out.Keyboard)
	case OutEditText:
		return v.text != 0 && v.text == hashText(out.Text) && v.keys == hashKeys(out.Keyboard)
	}
	return false
}
