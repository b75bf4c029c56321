package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

func init() {
	register(command{
		name:    "run",
		args:    "[--config FILE]",
		summary: "run the Telegram bot (token from " + TokenEnv + ")",
		run:     runRun,
	})
}

func runRun(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, commands["run"], `Runs the survey bot on Telegram, with long polling, until interrupted
(Ctrl-C or SIGTERM stop it cleanly within a few seconds; nothing is lost).

The bot token comes from the environment variable `+TokenEnv+`, or from the
file named by telegram.token_file in the config; never from the config file
itself. Create the bot and get its token from @BotFather (see README.md).`)
	configPath := fs.String("config", "", "configuration `FILE` (see config.example.yaml); default: built-in settings")
	if err := parseFlags(fs, e, args); err != nil {
		return err
	}
	cfg := DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = ReadConfigFile(*configPath); err != nil {
			return err
		}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tuneGC(os.Getenv)
	return serve(ctx, cfg, os.Getenv, log, nil)
}

// serveHooks lets tests and the demo see inside a running bot.
type serveHooks struct {
	started      func(b *bot.Bot, s *bot.Sender)        // called once the bot is polling
	jobs         func(serveJobs)                        // given the periodic jobs, to run them at a chosen time
	tune         func(*bot.SenderOptions, *bot.Options) // adjusts options before the start
	now          func() time.Time                       // the digest's clock; default time.Now
	digest       func(*digestWiring)                    // called with the digest's parts before the start
	backedUp     func(path string, err error)           // called after each scheduled backup
	storeOptions *store.Options                         // opens the database with these
}

// serveJobs are the running bot's periodic jobs, for tests and the demo.
type serveJobs struct {
	remind       func(now time.Time) (int, error) // queue the reminders due at now
	refreshPeers func() error                     // rebuild the give-back counts
}

// serve runs the bot until ctx is done.
func serve(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger, hooks *serveHooks) error {
	def, err := loadSurvey(cfg.Survey)
	if err != nil {
		return err
	}
	policy, err := cfg.Reminders.policy(cfg.Digest.Timezone)
	if err != nil {
		return err
	}
	token, err := cfg.Token(getenv)
	if err != nil {
		return err
	}
	var storeOpts *store.Options
	if hooks != nil {
		storeOpts = hooks.storeOptions
	}
	db, err := store.Open(cfg.Database, storeOpts)
	if errors.Is(err, store.ErrCorrupt) {
		return fmt.Errorf("%w\nThe bot will not start on it. Restore the latest good backup (see \"Restore\" in docs/operations.md): check it with \"toolmap check FILE\", then put it in the database's place", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()

	// tgbotapi logs only from code we do not use; keep it quiet anyway.
	_ = tgbotapi.SetLogger(discardLogger{})
	m := newMetrics()
	client := bot.WrapHTTPClient(ctx, &http.Client{Transport: m.transport(bot.NewTransport()),
		Timeout: time.Duration(cfg.Telegram.RequestTimeout)})
	endpoint := strings.TrimRight(cfg.Telegram.APIURL, "/") + "/bot%s/%s"
	api, err := connect(ctx, token, endpoint, client, log)
	if err != nil || api == nil {
		return err
	}
	api.Debug = false
	log.Info("connected to Telegram", "bot", api.Self.UserName, "survey", def.String(), "database", db.Path())
	if cfg.Digest.Channel != "" {
		if err := checkChannel(api, cfg.Digest.Channel); err != nil {
			return err
		}
	}

	var _ bot.Store = (*store.DB)(nil)
	var _ bot.Outbox = (*store.DB)(nil)
	referralLink := func(id survey.RespondentID) string {
		return "https://t.me/" + api.Self.UserName + "?start=" + db.ReferralCode(id)
	}
	senderOpts := &bot.SenderOptions{Logger: log, Unlimited: cfg.Telegram.Pacing.Off}
	peers := &peerCounts{}
	if err := peers.refresh(db); err != nil {
		return err
	}
	botOpts := &bot.Options{
		Logger:        log,
		PollTimeout:   time.Duration(cfg.Telegram.PollTimeout),
		MaxTextRunes:  cfg.Bot.MaxText,
		FloodRate:     float64(cfg.Bot.FloodRate),
		FloodBurst:    int(cfg.Bot.FloodBurst),
		Peers:         peers,
		MinCount:      cfg.Digest.MinCount,
		RetentionDays: cfg.Retention.Days,
		ReferralLink:  referralLink,
		ChannelLink:   channelLink(cfg.Digest.Channel),
	}
	if hooks != nil && hooks.tune != nil {
		hooks.tune(senderOpts, botOpts)
	}
	// The sender has its own client, not cancelled by shutdown: a message
	// in flight when a stop is asked for finishes and is recorded, instead
	// of being cut off and sent again after the restart.
	senderAPI := *api
	senderAPI.Client = bot.WrapHTTPClient(context.WithoutCancel(ctx), &http.Client{Transport: m.transport(bot.NewTransport()),
		Timeout: 15 * time.Second})
	sender := bot.NewSender(&senderAPI, db, senderOpts)
	var clock func() time.Time
	if hooks != nil {
		clock = hooks.now
	}
	dw, err := newDigestWiring(ctx, cfg, db, api, def, sender, getenv, log, clock)
	if err != nil {
		return err
	}
	botOpts.Admin = dw.admin
	b := bot.New(api, def, meteredStore{db, m}, sender, botOpts)
	if err := b.SetCommands(); err != nil {
		log.Warn("could not set the command menu", "err", err)
	}
	dw.setCommands(b)

	mux := http.NewServeMux()
	hl := &health{b: b, s: sender, db: db, poll: time.Duration(cfg.Telegram.PollTimeout)}
	mux.Handle("GET /healthz", hl)
	mux.Handle("GET /metrics", m.handler(b, sender, db, hl))
	mux.Handle("POST /export", exportHandler{db: db, def: def})
	mux.Handle("POST /digest", dw.handler)
	var compactMu sync.Mutex
	mux.Handle("POST /compact", compactHandler{db: db, log: log, mu: &compactMu})
	mux.Handle("POST /forget", compactHandler{db: db, log: log, mu: &compactMu})
	mux.Handle("GET /backup", backupHandler{db: db})
	adm, err := startAdmin(cfg.AdminSocket(), mux, log)
	if err != nil {
		return err
	}
	defer adm.Close()

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var senderErr error
	wg.Go(func() {
		senderErr = sender.Run(runCtx)
		stop()
	})
	pruneSeenOnce(db, log)
	wg.Go(func() { pruneSeen(runCtx, db, log) })
	if hooks != nil && hooks.digest != nil {
		hooks.digest(dw)
	}
	stopDigest := dw.start(runCtx)
	retainOnce(db, cfg.Retention.Days, time.Now(), log)
	wg.Go(func() { retainDaily(runCtx, db, cfg.Retention.Days, log) })
	compactOnce(db, &compactMu, log)
	wg.Go(func() { compactOnSchedule(runCtx, db, time.Duration(cfg.Retention.CompactEvery), &compactMu, log) })
	remind := func(now time.Time) (int, error) {
		n, err := remindDue(db, def, policy, time.Duration(cfg.Reminders.Spread), now)
		if n > 0 {
			sender.Wake()
		}
		return n, err
	}
	wg.Go(func() { refreshPeers(runCtx, peers, db, log) })
	wg.Go(func() { remindOnSchedule(runCtx, time.Duration(cfg.Reminders.CheckEvery), remind, log) })
	if hooks != nil && hooks.jobs != nil {
		hooks.jobs(serveJobs{remind: remind, refreshPeers: func() error { return peers.refresh(db) }})
	}
	if cfg.Backup.Dir != "" {
		var done func(string, error)
		if hooks != nil {
			done = hooks.backedUp
		}
		wg.Go(func() { scheduledBackups(runCtx, db, cfg.Backup, log, done) })
	}
	if hooks != nil && hooks.started != nil {
		hooks.started(b, sender)
	}
	err = b.Run(runCtx)
	stop()
	stopDigest()
	wg.Wait()
	log.Info("stopped", "updates", b.Stats().Updates)
	return errors.Join(err, senderErr)
}

// seenFor is how long handled update ids are kept to recognise repeats:
// Telegram keeps an undelivered update for at most a day.
const seenFor = 7 * 24 * time.Hour

// pruneSeen forgets handled update ids older than seenFor every six
// hours, until ctx is done.
func pruneSeen(ctx context.Context, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(6 * time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pruneSeenOnce(db, log)
		}
	}
}

func pruneSeenOnce(db *store.DB, log *slog.Logger) {
	if n, err := db.PruneSeen(db.Now().Add(-seenFor)); err != nil {
		log.Error("pruning handled update ids failed", "err", err)
	} else if n > 0 {
		log.Info("pruned handled update ids", "count", n)
	}
}

// connect makes the Bot API client, retrying getMe with backoff while
// Telegram cannot be reached, and failing at once on a rejected token. It
// returns nil, nil when ctx is cancelled first.
func connect(ctx context.Context, token, endpoint string, client tgbotapi.HTTPClient, log *slog.Logger) (*tgbotapi.BotAPI, error) {
	wait := time.Second
	for {
		api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
		if err == nil {
			return api, nil
		}
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == 401 || te.Code == 404 || strings.Contains(te.Message, "Unauthorized") || strings.Contains(te.Message, "Not Found")) {
			return nil, fmt.Errorf("telegram rejected the bot token (%s): check %s, or get a new token from @BotFather", te.Message, TokenEnv)
		}
		if ctx.Err() != nil {
			return nil, nil
		}
		log.Warn("cannot reach Telegram yet; retrying", "err", bot.Redact(err, token), "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
		wait = min(wait*2, time.Minute)
	}
}

type discardLogger struct{}

func (discardLogger) Println(...any)        {}
func (discardLogger) Printf(string, ...any) {}
