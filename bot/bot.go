package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// Options tune the Bot. The zero value is ready to use.
type Options struct {
	Logger       *slog.Logger
	Now          func() time.Time
	PollTimeout  time.Duration // long-poll timeout; default 30 s
	MaxTextRunes int           // longest free text accepted; default 1000
	// Flood control per user: updates a second on average, and the burst
	// allowed above it. Defaults 2 and 10.
	FloodRate  float64
	FloodBurst int
	// Admin carries out privileged commands (admin.go); nil: none.
	Admin Admin
	// Peers, when set, adds a "groups like yours…" message after each
	// completion, showing only counts of at least MinCount (default 5).
	Peers    Peers
	MinCount int
	// RetentionDays, when above 0, is told in /privacy: after how long a
	// respondent's Telegram id is dropped.
	RetentionDays int
	// ReferralLink, when set, gives a respondent's personal link to pass
	// on, offered in the thanks message ("" offers none). It must be pure:
	// the store records the code in the same commit (see Store).
	ReferralLink func(survey.RespondentID) string
	// ChannelLink, when set, is the coordinators' public channel
	// (https://t.me/name), offered with "groups like yours…".
	ChannelLink string
	// OnCommit, when set, is told how long each commit of the update loop
	// took (for metrics).
	OnCommit func(time.Duration)
	// Responses, when set, gives /mydata the respondent's stored response,
	// which differs from their session after they start again.
	Responses Responses
	// TapLog, when set, is the file that records each tap about to be
	// answered, so that a restart answers those a crash left unanswered
	// (see taplog.go). "": none.
	TapLog string
}

// Responses reads a respondent's stored response: the store.
type Responses interface {
	Response(survey.RespondentID) (survey.Session, bool, error)
}

// Waker is told when new messages are queued: the Sender.
type Waker interface{ Wake() }

// Bot runs the survey in Telegram private chats.
type Bot struct {
	runDone  atomic.Value // <-chan struct{}: Run's ctx.Done(), once Run started
	api      *tgbotapi.BotAPI
	def      *survey.Definition
	store    Store
	waker    Waker
	opts     Options
	log      *slog.Logger
	flood    *floodGate
	answer   chan callbackAnswer
	admin    chan AdminCommand
	taps     *tapLog // Options.TapLog, once open
	endpoint string  // the Bot API URL pattern (Conn.endpoint)
	wg       sync.WaitGroup

	statsMu  sync.Mutex
	stats    LoopStats
	lastPoll time.Time           // when getUpdates last answered
	sorried  map[int64]time.Time // when a chat was last told to try again
}

// LoopStats counts what the update loop did, for the demo and metrics.
type LoopStats struct {
	Updates, Duplicates, Ignored, Flooded int64
	Commits                               int64
	CommitTime                            time.Duration // total time in Commit
	AnswerWaits                           int64         // times the loop waited for room to queue a tap's answer
	Answers                               int64         // answers recorded (given or changed; not unchanged ones)
	Completions                           int64         // surveys completed (first time, or again after a review)
}

type callbackAnswer struct {
	id, text string
}

// New returns a Bot polling through c (Dial, Connect).
func New(c *Conn, def *survey.Definition, st Store, waker Waker, opts *Options) *Bot {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 30 * time.Second
	}
	if o.MaxTextRunes <= 0 {
		o.MaxTextRunes = 1000
	}
	if o.FloodRate <= 0 {
		o.FloodRate = 2
	}
	if o.FloodBurst <= 0 {
		o.FloodBurst = 10
	}
	if o.MinCount <= 0 {
		o.MinCount = 5
	}
	b := &Bot{
		api: c.loop(), def: def, store: st, waker: waker, opts: o, log: o.Logger,
		flood:  newFloodGate(o.FloodRate, o.FloodBurst),
		answer: make(chan callbackAnswer, 1024),
		admin:  make(chan AdminCommand, 64),
	}
	if c != nil {
		b.endpoint = c.endpoint
	}
	return b
}

// Stats returns what the loop has done so far.
func (b *Bot) Stats() LoopStats {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	return b.stats
}

// LastPoll returns when Telegram last answered a poll: the loop is alive
// while this stays within a poll timeout or so.
func (b *Bot) LastPoll() time.Time {
	b.statsMu.Lock()
	defer b.statsMu.Unlock()
	return b.lastPoll
}

func (b *Bot) count(f func(*LoopStats)) {
	b.statsMu.Lock()
	f(&b.stats)
	b.statsMu.Unlock()
}

// AllowedUpdates is the update types the bot asks for: set explicitly,
// because Telegram remembers the last setting.
var AllowedUpdates = []string{"message", "callback_query"}

// ErrConflict means another process is polling with the same token.
var ErrConflict = errors.New("another bot instance is using this token (Telegram answered 409 Conflict): stop it, or use a separate bot for this instance")

// Run polls for updates until ctx is done. Each update is committed, with
// the offset after it, before the next poll confirms it to Telegram. It
// returns nil when ctx is cancelled, or an error that retrying cannot fix
// (a revoked token).
func (b *Bot) Run(ctx context.Context) error {
	b.runDone.Store(ctx.Done())
	if err := b.openTapLog(); err != nil {
		return err
	}
	defer b.taps.close()
	// Taps are answered as soon as they are committed, all of a poll's
	// at once: an answer waiting in line is a button spinning on, and a
	// tap left unanswered if the process dies meanwhile.
	const answerers = 32
	for range answerers {
		b.wg.Go(func() { b.answerCallbacks(ctx) })
	}
	if b.opts.Admin != nil {
		b.wg.Go(func() { b.runAdmin(ctx) })
	}
	defer b.wg.Wait()

	offset, err := b.store.Offset()
	if err != nil {
		return fmt.Errorf("read the update offset: %w", err)
	}
	backoff := time.Duration(0)
	conflicts := 0
	for ctx.Err() == nil {
		cfg := tgbotapi.UpdateConfig{
			Offset:         int(offset),
			Limit:          100,
			Timeout:        int(b.opts.PollTimeout / time.Second),
			AllowedUpdates: AllowedUpdates,
		}
		updates, err := b.api.GetUpdates(cfg)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var te *tgbotapi.Error
			if errors.As(err, &te) {
				switch te.Code {
				case 401, 404:
					return fmt.Errorf("telegram refused the token (%d %s): check TOOLMAP_TELEGRAM_TOKEN", te.Code, te.Message)
				case 409:
					conflicts++
					if conflicts == 3 {
						b.log.Error("polling conflict", "class", "409", "err", ErrConflict)
					}
				case 429:
					if d := time.Duration(te.RetryAfter) * time.Second; d > backoff {
						backoff = d
					}
				}
			}
			backoff = nextBackoff(backoff)
			b.log.Warn("getUpdates failed", "class", errClass(err), "retry_in", backoff.Round(time.Millisecond))
			if !sleepCtx(ctx, backoff) {
				return nil
			}
			continue
		}
		backoff, conflicts = 0, 0
		b.count(func(*LoopStats) { b.lastPoll = time.Now() })
		if len(updates) == 0 {
			continue
		}
		n, err := b.handleBatch(updates)
		if n > 0 {
			offset = int64(updates[n-1].UpdateID) + 1
		}
		if err != nil {
			// Not committed: poll again from the same offset, after a pause.
			b.log.Error("update not handled", "update_id", updates[n].UpdateID, "err", err)
			b.sorry(updates[n])
			if !sleepCtx(ctx, time.Second) {
				return nil
			}
		}
	}
	return nil
}

// nextBackoff doubles d with jitter, from 1 s up to 1 min.
func nextBackoff(d time.Duration) time.Duration {
	if d < time.Second {
		d = time.Second
	} else {
		d *= 2
	}
	d = min(d, time.Minute)
	return d/2 + rand.N(d/2+1)
}

// sleepCtx waits d or until ctx is done; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errClass names the kind of a Bot API error for logs, never its text.
func errClass(err error) string {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		if te.Code != 0 {
			return strconv.Itoa(te.Code)
		}
		return "api"
	}
	if strings.Contains(err.Error(), "invalid character") {
		return "bad_response"
	}
	return "transport"
}

func (b *Bot) answerCallbacks(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-b.answer:
			b.answerTap(a)
		}
	}
}

// answerTap answers a tap. With a tap log, the tap is noted in it as soon
// as the request is written to the connection (a process killed after
// that has sent it): so the request is made here rather than by tgbotapi,
// which cannot trace one.
func (b *Bot) answerTap(a callbackAnswer) {
	params := url.Values{"callback_query_id": {a.id}}
	if a.text != "" {
		params.Set("text", truncate(a.text, maxCallback))
	}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf(b.endpoint, b.api.Token, "answerCallbackQuery"), strings.NewReader(params.Encode()))
	if err != nil {
		b.log.Warn("answerCallbackQuery failed", "class", "request", "err", err)
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if b.taps != nil {
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteRequest: func(w httptrace.WroteRequestInfo) {
				if w.Err != nil {
					return
				}
				if err := b.taps.mark(a.id); err != nil {
					b.log.Error("tap log", "class", "io", "err", err)
				}
			},
		}))
	}
	if err := b.answerRequest(req); err != nil {
		b.log.Warn("answerCallbackQuery failed", "class", errClass(err))
	}
}

// answerRequest sends an answerCallbackQuery request and reads Telegram's
// answer, as tgbotapi would.
func (b *Bot) answerRequest(req *http.Request) error {
	resp, err := b.api.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r tgbotapi.APIResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if !r.Ok {
		e := &tgbotapi.Error{Code: r.ErrorCode, Message: r.Description}
		if r.Parameters != nil {
			e.ResponseParameters = *r.Parameters
		}
		return e
	}
	return nil
}

var payloadPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// handleUpdate handles one update: it works out what the user did,
// commits the effect in one transaction and wakes the sender. A duplicate
// changes nothing. It returns an error only when nothing was committed.
func (b *Bot) handleUpdate(u tgbotapi.Update) error {
	_, err := b.handleBatch([]tgbotapi.Update{u})
	return err
}

// handleBatch handles a poll's worth of updates, committed together (one
// fsync), then wakes the sender and answers the taps. It returns how many
// updates were committed: all of them unless err is set.
func (b *Bot) handleBatch(us []tgbotapi.Update) (int, error) {
	preps := make([]prepared, len(us))
	items := make([]Pending, len(us))
	// Each function keeps the events of its last run, to count answers
	// and completions of the updates applied: it may run twice when a
	// batch is retried one by one.
	events := make([][]survey.Event, len(us))
	for i, u := range us {
		preps[i] = b.prepare(u)
		items[i] = preps[i].p
		fn := items[i].Fn
		items[i].Fn = func(s survey.Session, c ChatState) (Result, error) {
			r, err := fn(s, c)
			events[i] = r.Events
			return r, err
		}
	}
	start := time.Now()
	applied, err := b.store.CommitBatch(items)
	took := time.Since(start)
	var answers, completions int64
	for i, ok := range applied {
		if ok {
			a, c := countEvents(events[i])
			answers, completions = answers+a, completions+c
		}
	}
	b.count(func(s *LoopStats) {
		s.Commits++
		s.CommitTime += took
		s.Answers += answers
		s.Completions += completions
	})
	if b.opts.OnCommit != nil {
		b.opts.OnCommit(took)
	}
	for i, ok := range applied {
		b.finish(preps[i], ok)
	}
	if len(applied) > 0 && b.waker != nil {
		b.waker.Wake()
	}
	if err != nil {
		return len(applied), fmt.Errorf("commit update %d: %w", us[len(applied)].UpdateID, err)
	}
	return len(applied), nil
}

// countEvents counts the answers recorded and the completions in events.
func countEvents(events []survey.Event) (answers, completions int64) {
	for _, ev := range events {
		switch ev := ev.(type) {
		case survey.AnswerRecorded:
			if !ev.Unchanged {
				answers++
			}
		case survey.Completed:
			if ev.Recorded {
				completions++
			}
		}
	}
	return answers, completions
}

// prepared is an update translated, ready to commit.
type prepared struct {
	p          Pending
	callbackID string
	toast      *string       // set while the update is committed
	admin      *AdminCommand // a privileged command to carry out once committed
}

// prepare works out what an update means; it stores nothing.
func (b *Bot) prepare(u tgbotapi.Update) prepared {
	b.count(func(s *LoopStats) { s.Updates++ })
	upd := Update{ID: int64(u.UpdateID)}
	now := b.opts.Now()
	var (
		respondent survey.RespondentID
		handler    func(survey.Session, ChatState) (Result, error)
		callbackID string
		toast      = new(string)
		adminCmd   *AdminCommand
		gate       int64 // the chat the flood gate counts this update against
	)
	switch {
	case u.Message != nil:
		m := u.Message
		upd.Keys = []string{"m:" + strconv.FormatInt(m.Chat.ID, 10) + ":" + strconv.Itoa(m.MessageID)}
		if m.From == nil || m.From.IsBot || b.forAnotherBot(m) {
			b.count(func(s *LoopStats) { s.Ignored++ })
			break
		}
		gate = m.Chat.ID
		if m.Chat.Type != "private" {
			if m.IsCommand() {
				handler = b.groupReply(m)
			} else {
				b.count(func(s *LoopStats) { s.Ignored++ })
			}
			break
		}
		respondent = survey.RespondentID(m.From.ID)
		if h, cmd, ok := b.privileged(m); ok {
			handler, adminCmd = wrote(m.MessageID, h), cmd
			upd.Keep = true // never twice, session or not
			break
		}
		if handler = b.respondentCommand(m); handler == nil {
			handler = b.message(m, now)
		}
		handler = wrote(m.MessageID, handler)
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		callbackID = cq.ID
		upd.Keys = []string{"c:" + cq.ID}
		if cq.Message != nil && cq.Message.Chat != nil {
			// Keyed by chat too, so that forgetting the person forgets it.
			upd.Keys = []string{"c:" + strconv.FormatInt(cq.Message.Chat.ID, 10) + ":" + cq.ID}
		}
		if cq.From == nil || cq.From.IsBot || cq.Message == nil || cq.Message.Chat == nil || cq.Message.Chat.Type != "private" {
			b.count(func(s *LoopStats) { s.Ignored++ })
			break
		}
		respondent, gate = survey.RespondentID(cq.From.ID), cq.Message.Chat.ID
		switch {
		case cq.Data == dataDeleteYes, cq.Data == dataDeleteNo:
			handler = b.deleteTap(cq, toast)
		case cq.Data == dataStopReminders:
			handler = b.stopReminders(cq, toast)
		case strings.HasPrefix(cq.Data, dataReviewPage):
			handler = b.reviewTap(cq, toast)
		default:
			handler = b.tap(cq, now, toast)
		}
	default:
		b.count(func(s *LoopStats) { s.Ignored++ })
	}
	if gate != 0 && handler != nil && !b.flood.allow(gate, now) {
		// Every chat is gated, groups too; a private chat is told once
		// per flood to slow down, a group never.
		b.count(func(s *LoopStats) { s.Flooded++ })
		handler, adminCmd = nil, nil
		if respondent != 0 && b.flood.tell(gate, now) {
			handler = b.slowDown(gate)
			if u.Message != nil {
				handler = wrote(u.Message.MessageID, handler)
			}
		}
	}
	if handler == nil {
		handler = func(s survey.Session, c ChatState) (Result, error) { return Result{Session: s, Chat: c}, nil }
		respondent = 0 // nothing of theirs to load or store
		upd.Keys = nil // nor the keys, which name the chat: the offset suffices
	}
	return prepared{p: Pending{Update: upd, Respondent: respondent, Fn: handler}, callbackID: callbackID, toast: toast, admin: adminCmd}
}

// finish does what follows a commit: counting, and answering a tap.
func (b *Bot) finish(pr prepared, applied bool) {
	if !applied {
		b.count(func(s *LoopStats) { s.Duplicates++ })
		return // a duplicate's query was answered the first time
	}
	if pr.callbackID != "" {
		a := callbackAnswer{id: pr.callbackID, text: *pr.toast}
		select {
		case b.answer <- a:
		default:
			// Every tap is answered, or its button spins on: rather than
			// drop the answer, the loop waits for room (while Run runs).
			done, _ := b.runDone.Load().(<-chan struct{})
			if done == nil {
				b.log.Warn("callback answers backed up", "class", "queue_full")
				break
			}
			b.count(func(s *LoopStats) { s.AnswerWaits++ })
			select {
			case b.answer <- a:
			case <-done:
			}
		}
	}
	if pr.admin != nil {
		select {
		case b.admin <- *pr.admin:
		default:
			b.log.Warn("admin commands backed up", "class", "queue_full", "user_id", pr.admin.UserID)
		}
	}
}

// commitFn is what handling an update commits: see Store.Commit.
type commitFn = func(survey.Session, ChatState) (Result, error)

// step wraps a survey input as a Commit function: the engine's step, and
// the reply it renders placed in the respondent's chat (view.go). tap is
// the message a tap came from (nil for typed input); extra may adjust the
// renderer.
func (b *Bot) step(chatID int64, in survey.Input, now time.Time, langHint string, tap *tapped, toast *string, extra func(*renderer)) commitFn {
	return func(s survey.Session, c ChatState) (Result, error) {
		if s.Status == survey.StatusNew && langHint != "" {
			s.Language = b.def.PickLanguage(langHint)
		}
		next, events, err := survey.Step(b.def, s, in, now)
		if err != nil {
			return Result{}, err
		}
		// Step runs a session begun under an earlier version of the survey
		// under that version; its buttons carry that version too.
		v := newView(chatID, c)
		r := &renderer{def: b.def.For(&next), chatID: chatID, lang: next.Language, before: s, after: next, in: in, view: v}
		if tap != nil {
			r.rep.tap, r.rep.onLive = tap, v.onLive(*tap)
		}
		if extra != nil {
			extra(r)
		}
		r.peers, r.minCount, r.channel = b.opts.Peers, b.opts.MinCount, b.opts.ChannelLink
		if b.opts.ReferralLink != nil {
			r.referral = b.opts.ReferralLink(survey.RespondentID(chatID))
		}
		r.render(events)
		if toast != nil {
			*toast = r.toast
		}
		st := v.st
		st.Unreachable = false // they wrote to us: reachable again
		return Result{Session: next, Events: events, Out: v.out, Chat: st}, nil
	}
}

// respond wraps an input that does not step the survey (a command, a
// sticker, a menu's button): f adjusts the reply, whose screen is at
// first the current step, and the reply is placed in the chat. For
// someone with nothing stored, nothing is stored.
func (b *Bot) respond(chatID int64, langHint string, tap *tapped, toast *string, f func(s survey.Session, lang string, rep *reply)) commitFn {
	return func(s survey.Session, c ChatState) (Result, error) {
		lang := b.language(s, langHint)
		v := newView(chatID, c)
		rep := reply{screen: b.current(s)}
		if tap != nil {
			rep.tap, rep.onLive = tap, v.onLive(*tap)
		}
		if toast != nil {
			*toast = ""
		}
		f(s, lang, &rep)
		v.place(rep)
		res := Result{Session: s, Out: v.out, Chat: v.st}
		if s.Status == survey.StatusNew && c.IsZero() {
			res.Chat = ChatState{} // no trace of someone who never began
		}
		return res, nil
	}
}

// reply wraps a message that needs no survey step (help, privacy): the
// messages f returns, then the current step at the bottom.
func (b *Bot) reply(f func(s survey.Session, lang string) []Outgoing, langHint string) commitFn {
	return func(s survey.Session, c ChatState) (Result, error) {
		out := f(s, b.language(s, langHint))
		if len(out) == 0 {
			return Result{Session: s, Chat: c}, nil
		}
		return b.respond(out[0].ChatID, langHint, nil, nil, func(_ survey.Session, _ string, rep *reply) {
			rep.notes = append(rep.notes, out...)
		})(s, c)
	}
}

// current is the step the session is at, as the bottom of the chat shows
// it, or nil when there is none (not begun, finished, declined).
func (b *Bot) current(s survey.Session) *screen {
	def := b.def.For(&s)
	lang := s.Language
	switch s.Status {
	case survey.StatusAwaitingConsent:
		sc := consentScreen(def, lang, survey.AskConsent{Intro: def.Text(def.Intro, lang), Text: def.Text(def.Consent.Text, lang),
			Agree: def.Text(def.Consent.Agree, lang), Decline: def.Text(def.Consent.Decline, lang)})
		return &sc
	case survey.StatusActive:
		a, ok := def.AskAt(&s)
		if !ok {
			return nil
		}
		sc := askScreen(def, lang, a)
		return &sc
	}
	return nil
}

// say adds what the bot says about the input (plain text): with the
// screen, or on its own when there is none.
func (rep *reply) say(text string) {
	if rep.screen != nil {
		rep.screen.extra += "\n\n⚠️ " + esc(text)
		return
	}
	rep.notes = append(rep.notes, Outgoing{Text: esc(text)})
}

// language is the language to answer a person in: the one of their
// session, else the survey's nearest to their Telegram's (langHint).
func (b *Bot) language(s survey.Session, langHint string) string {
	if s.Language != "" {
		return s.Language
	}
	return b.def.PickLanguage(langHint)
}

// wrote wraps the handler of a message from the person in a private chat:
// the chat's bottom learns that they wrote, below the live message (for
// someone with nothing stored, nothing is noted).
func wrote(msgID int, h commitFn) commitFn {
	return func(s survey.Session, c ChatState) (Result, error) {
		if s.Status != survey.StatusNew || !c.IsZero() {
			c.Wrote = true
			c.Seen = max(c.Seen, msgID)
		}
		return h(s, c)
	}
}

func (b *Bot) message(m *tgbotapi.Message, now time.Time) commitFn {
	chatID := m.Chat.ID
	hint := m.From.LanguageCode
	if m.IsCommand() {
		return b.command(m, now)
	}
	if m.Text == "" { // a sticker, a photo, a voice note…
		return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
			rep.say(b.def.Msg(lang, "media"))
		})
	}
	if n := utf8.RuneCountInString(m.Text); n > b.opts.MaxTextRunes {
		return b.respond(chatID, hint, nil, nil, func(s survey.Session, lang string, rep *reply) {
			rep.say(b.def.Msg(lang, "problem_text_long", "len", strconv.Itoa(n), "n", strconv.Itoa(b.opts.MaxTextRunes)))
		})
	}
	return b.step(chatID, survey.Input{Kind: survey.InputText, Text: m.Text}, now, hint, nil, nil, nil)
}

func (b *Bot) tap(cq *tgbotapi.CallbackQuery, now time.Time, toast *string) commitFn {
	chatID := cq.Message.Chat.ID
	hint := cq.From.LanguageCode
	on := tappedOf(cq.Message)
	tap, err := survey.DecodeTap(cq.Data)
	if err != nil {
		return b.respond(chatID, hint, &on, toast, func(s survey.Session, lang string, rep *reply) {
			*toast = b.def.Msg(lang, "stale_button")
			rep.keep = true
		})
	}
	answer := b.step(chatID, tap.Input(), now, hint, &on, toast, nil)
	changed := b.step(chatID, survey.Input{Kind: survey.InputResume}, now, hint, &on, nil, func(r *renderer) {
		*toast = r.msg("survey_changed")
	})
	return func(s survey.Session, c ChatState) (Result, error) {
		// A button from another version than the one the session runs
		// under (a respondent who began under an earlier version finishes
		// under it): show where they are. Continue (a reminder's) and a
		// language need no particular version.
		if tap.Version != b.def.For(&s).Version && tap.Kind != survey.InputResume && tap.Kind != survey.InputLanguage {
			return changed(s, c)
		}
		return answer(s, c)
	}
}

// slowDown replaces the update of a flooding user who is to be told so
// (floodGate.tell): one note per flood.
func (b *Bot) slowDown(chatID int64) commitFn {
	return func(s survey.Session, c ChatState) (Result, error) {
		res := Result{Session: s, Chat: c}
		lang := s.Language
		if lang == "" {
			lang = b.def.DefaultLanguage
		}
		v := newView(chatID, c)
		v.note(esc(b.def.Msg(lang, "slow_down")))
		res.Out, res.Chat = v.out, v.st
		return res, nil
	}
}

// floodGate is a token bucket per chat, in memory: flooding is about the
// last few seconds, so losing it on restart is harmless, and nothing of it
// is stored (someone flooding before they agree leaves no record).
type floodGate struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	buckets map[int64]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	told   time.Time // when the chat was last told to slow down
}

// tell reports whether a chat the gate just refused is to be told to slow
// down: once per flood, that is at most once a minute.
func (g *floodGate) tell(id int64, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	bk, ok := g.buckets[id]
	if !ok || (!bk.told.IsZero() && now.Sub(bk.told) < time.Minute) {
		return false
	}
	bk.told = now
	return true
}

func newFloodGate(rate float64, burst int) *floodGate {
	return &floodGate{rate: rate, burst: float64(burst), buckets: map[int64]*bucket{}}
}

func (g *floodGate) allow(id int64, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.swept) > time.Minute {
		for k, bk := range g.buckets {
			if now.Sub(bk.at) > time.Minute && now.Sub(bk.told) > time.Minute {
				delete(g.buckets, k)
			}
		}
		g.swept = now
	}
	bk, ok := g.buckets[id]
	if !ok {
		bk = &bucket{tokens: g.burst, at: now}
		g.buckets[id] = bk
	}
	if el := now.Sub(bk.at).Seconds(); el > 0 {
		bk.tokens = min(g.burst, bk.tokens+el*g.rate)
	}
	bk.at = now
	if bk.tokens < 1 {
		return false
	}
	bk.tokens--
	return true
}

// sorry tells the person whose update could not be committed (a full
// disk, say) to try again, at most once a minute per chat; the update
// itself is retried, as it was not confirmed. It is sent directly: the
// outbox cannot be written either.
func (b *Bot) sorry(u tgbotapi.Update) {
	var (
		chat *tgbotapi.Chat
		from *tgbotapi.User
	)
	switch {
	case u.Message != nil:
		chat, from = u.Message.Chat, u.Message.From
	case u.CallbackQuery != nil && u.CallbackQuery.Message != nil:
		chat, from = u.CallbackQuery.Message.Chat, u.CallbackQuery.From
	}
	if chat == nil || chat.Type != "private" || from == nil || from.IsBot {
		return
	}
	now := b.opts.Now()
	b.statsMu.Lock()
	if b.sorried == nil {
		b.sorried = map[int64]time.Time{}
	}
	last, told := b.sorried[chat.ID]
	if told && now.Sub(last) < time.Minute {
		b.statsMu.Unlock()
		return
	}
	for id, t := range b.sorried {
		if now.Sub(t) >= time.Minute {
			delete(b.sorried, id)
		}
	}
	b.sorried[chat.ID] = now
	b.statsMu.Unlock()
	m := tgbotapi.NewMessage(chat.ID, esc(b.def.Msg(b.def.PickLanguage(from.LanguageCode), "try_again")))
	m.ParseMode = tgbotapi.ModeHTML
	if _, err := b.api.Send(m); err != nil {
		b.log.Warn("could not ask the respondent to try again", "class", errClass(err))
	}
}
