package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
)

// The weekly digest: built from the store (Build), posted to the
// coordinators' channel at most once per period (Digest.Post), on its
// schedule with a catch-up at start-up (digest_schedule.go). The store's
// digest record brackets each post (BeginDigest, EndDigest): a crash
// between the sends and their record leaves the period ambiguous; it is
// not posted again, and the admins are told in private chat, through the
// outbox, how to re-post it.

// DigestSettings are the digest's own settings.
type DigestSettings struct {
	Location *time.Location // where weeks are counted
	Language string         // "" for the survey's default
	MinCount int            // the small-cell threshold (report.Options)
}

// DigestProblems lists what is wrong with a digest's time zone and
// small-cell threshold, as "digest.key: problem".
func DigestProblems(timezone string, minCount int) []string {
	var out []string
	if _, err := time.LoadLocation(timezone); err != nil || timezone == "" || timezone == "Local" {
		out = append(out, fmt.Sprintf("digest.timezone: %q is not a time zone such as Europe/London or UTC", timezone))
	}
	if minCount < 1 || minCount > 1000 {
		out = append(out, "digest.min_count: must be between 1 and 1000 (5 or more protects small groups)")
	}
	return out
}

// CheckDigestLanguage reports a digest language def does not speak ("" is
// its default).
func CheckDigestLanguage(def *survey.Definition, lang string) error {
	if lang != "" && !def.HasLanguage(lang) {
		return fmt.Errorf("digest.language: the survey %s speaks %s, not %q", def.ID, strings.Join(def.Languages, ", "), lang)
	}
	return nil
}

// DigestSource is what a digest reads from the store.
type DigestSource interface {
	ScanDigest(sc store.DigestScan, fn func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error
	CountStarted(from, to time.Time) (int, error)
}

var _ DigestSource = (*store.DB)(nil)

// BuildDigest builds period's digest: its messages, and its chart (nil
// when there is nothing to chart).
func BuildDigest(db DigestSource, def *survey.Definition, s DigestSettings, period report.Period) (bot.Digest, []byte, error) {
	// No filters: the digest shows all groups only.
	r, err := Report(db, def, period, &report.Options{Location: s.Location, MinCount: s.MinCount, Filters: []string{}})
	if err != nil {
		return bot.Digest{}, nil, err
	}
	d := bot.RenderDigest(def, r, &bot.DigestOptions{Language: s.Language})
	png, err := bot.DigestChart(def, r, s.Language)
	if err != nil {
		return bot.Digest{}, nil, err
	}
	return d, png, nil
}

// Workers is how many goroutines read responses for a digest or a map.
var Workers = max(1, min(runtime.GOMAXPROCS(0), 4))

// Report reads the responses of the study up to the end of week p (on
// Workers goroutines), and the count of sessions started that week, and
// aggregates them.
func Report(db DigestSource, def *survey.Definition, p report.Period, opts *report.Options) (report.Report, error) {
	b, err := report.New(def, p, opts)
	if err != nil {
		return report.Report{}, err
	}
	// The starts are counted from other records (every session) than the
	// responses the report decodes: beside it, in their own read
	// transaction.
	weekFrom, weekTo := p.Bounds(opts.Location)
	var started int
	var countErr error
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		started, countErr = db.CountStarted(weekFrom, weekTo)
	}()
	err = b.Collect(Scan(db), Workers)
	<-counted
	if err != nil {
		return report.Report{}, err
	}
	if countErr != nil {
		return report.Report{}, countErr
	}
	return b.Report(report.Counts{Started: started}), nil
}

// Scan reads responses for report.Builder.Collect from the store's digest
// index.
func Scan(db interface {
	ScanDigest(store.DigestScan, func(worker, seq int, id survey.RespondentID, s *survey.Session) error) error
}) report.Scan {
	return func(from, to time.Time, workers int, count func(int), fn func(worker, seq int, s *survey.Session) error) error {
		return db.ScanDigest(store.DigestScan{From: from, To: to, Workers: workers, Count: count},
			func(w, seq int, _ survey.RespondentID, s *survey.Session) error { return fn(w, seq, s) })
	}
}

// Outcomes of Digest.Post.
const (
	OutcomeSent        = "sent"         // posted now
	OutcomeAlreadySent = "already_sent" // posted before: nothing to do
	OutcomeHeld        = "held"         // ambiguous, waiting for /digest_resend
	OutcomeAmbiguous   = "ambiguous"    // may or may not have gone out: admins told
	OutcomeFailed      = "failed"       // Telegram refused: a later attempt tries again
)

// PostOutcome is what an attempt to post did.
type PostOutcome struct {
	Period     string `json:"period"`
	Outcome    string `json:"outcome"`
	MessageIDs []int  `json:"message_ids,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// String says what happened, in English, for the command line.
func (o PostOutcome) String() string { return o.Text(nil, survey.SourceLanguage) }

// Text says what happened in lang, as plain text, for admins.
func (o PostOutcome) Text(def *survey.Definition, lang string) string {
	key := map[string]string{
		OutcomeSent: "admin_posted", OutcomeAlreadySent: "admin_posted_before", OutcomeHeld: "admin_post_held",
		OutcomeAmbiguous: "admin_post_ambiguous",
	}[o.Outcome]
	if key == "" {
		key = "admin_post_refused"
	}
	return def.Msg(lang, key, "period", o.Period, "n", strconv.Itoa(len(o.MessageIDs)), "reason", o.Reason)
}

// Digest posts digests to the channel. One attempt at a time: the
// schedule, the catch-up, the admin endpoint and /digest_resend share it.
type Digest struct {
	db       *store.DB
	def      *survey.Definition
	settings DigestSettings
	poster   *bot.ChannelPoster
	admins   []int64   // told of an ambiguous period
	waker    bot.Waker // told when alerts are queued; may be nil
	log      *slog.Logger
	now      func() time.Time
	mu       sync.Mutex
}

// DigestOptions are the rest of what a Digest needs: the admins to alert,
// the sender to wake (nil when no bot runs), the log and the clock
// (default time.Now).
type DigestOptions struct {
	Admins []int64
	Waker  bot.Waker
	Logger *slog.Logger
	Now    func() time.Time
}

// NewDigest returns the digest of def's answers in db, posted by poster.
func NewDigest(db *store.DB, def *survey.Definition, s DigestSettings, poster *bot.ChannelPoster, o DigestOptions) *Digest {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Location == nil {
		s.Location = time.UTC
	}
	return &Digest{db: db, def: def, settings: s, poster: poster, admins: o.Admins, waker: o.Waker, log: o.Logger, now: o.Now}
}

// Post posts period's digest to the channel unless its record says it was
// posted (or may have been); force re-posts whatever the record says, as
// /digest_resend does. It returns an error only when nothing was tried (a
// database failure).
func (p *Digest) Post(ctx context.Context, period report.Period, force bool) (PostOutcome, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := PostOutcome{Period: period.String()}
	var (
		action store.DigestAction
		rec    store.DigestRecord
	)
	err := p.db.Update(func(tx *store.Tx) error {
		now := p.now()
		if force {
			action = store.DigestPost
			return tx.ForceDigest(out.Period, now)
		}
		var err error
		if action, err = tx.BeginDigest(out.Period, now); err != nil {
			return err
		}
		if rec, _, err = tx.Digest(out.Period); err != nil {
			return err
		}
		if action == store.DigestMarkedAmbiguous {
			return p.alert(tx, out.Period, rec.Reason)
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	switch action {
	case store.DigestSkip:
		out.Outcome, out.MessageIDs = OutcomeAlreadySent, rec.MessageIDs
		return out, nil
	case store.DigestHeld:
		out.Outcome, out.Reason = OutcomeHeld, rec.Reason
		return out, nil
	case store.DigestMarkedAmbiguous:
		out.Outcome, out.Reason = OutcomeAmbiguous, rec.Reason
		p.wake()
		p.log.Warn("digest ambiguous: an earlier attempt was cut off; admins told", "period", out.Period)
		return out, nil
	}

	state := store.DigestFailed
	d, png, err := BuildDigest(p.db, p.def, p.settings, period)
	if err != nil {
		out.Reason = "building the digest failed: " + err.Error()
	} else {
		post := p.poster.Post(ctx, d, png, "digest-"+out.Period+".png")
		out.MessageIDs, out.Reason = post.MessageIDs, post.Reason
		switch {
		case post.Unknown:
			state = store.DigestAmbiguous
		case !post.Refused:
			state = store.DigestSent
		}
	}
	err = p.db.Update(func(tx *store.Tx) error {
		if err := tx.EndDigest(out.Period, state, out.MessageIDs, out.Reason, p.now()); err != nil {
			return err
		}
		if state == store.DigestAmbiguous {
			return p.alert(tx, out.Period, out.Reason)
		}
		return nil
	})
	if err != nil {
		// The record stays pending: the next attempt takes it for a crash
		// and holds the period, which is right (the sends happened).
		return out, fmt.Errorf("record the digest of %s: %w", out.Period, err)
	}
	switch state {
	case store.DigestSent:
		out.Outcome = OutcomeSent
		p.log.Info("digest posted", "period", out.Period, "messages", len(out.MessageIDs))
	case store.DigestAmbiguous:
		out.Outcome = OutcomeAmbiguous
		p.wake()
		p.log.Warn("digest ambiguous; admins told", "period", out.Period, "class", out.Reason)
	default:
		out.Outcome = OutcomeFailed
		p.log.Warn("digest refused by Telegram", "period", out.Period, "class", out.Reason)
	}
	return out, nil
}

// alert queues, in tx, a private message to each admin about an ambiguous
// period, with the command that re-posts it.
func (p *Digest) alert(tx *store.Tx, period, reason string) error {
	if len(p.admins) == 0 {
		p.log.Warn("digest ambiguous and no admin to tell: set admin.users", "period", period)
	}
	// In the digest's language: the admins are the coordinators'.
	text := bot.HTMLMsg(p.def, p.def.PickLanguage(p.settings.Language), "admin_alert_ambiguous",
		"period", period, "channel", string(p.poster.Channel()), "reason", reason)
	for _, id := range p.admins {
		if err := tx.Enqueue(bot.Outgoing{Kind: bot.OutSend, ChatID: id, Text: text}, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

func (p *Digest) wake() {
	if p.waker != nil {
		p.waker.Wake()
	}
}
