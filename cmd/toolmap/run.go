package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"toolmap/bot"
	"toolmap/cmd/internal/adminsock"
	"toolmap/cmd/internal/jobs"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report/site"
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
	c := newCommand(e, "run", `Runs the survey bot on Telegram, with long polling, until interrupted
(Ctrl-C or SIGTERM stop it cleanly within a few seconds; nothing is lost).

The bot token comes from the environment variable `+TokenEnv+`, or from the
file named by telegram.token_file in the config; never from the config file
itself. Create the bot and get its token from @BotFather (see README.md).`)
	c.config = c.String("config", "", "configuration `FILE` (see config.example.yaml); default: built-in settings")
	if err := c.parse(args, -1); err != nil {
		return err
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	tuneGC(os.Getenv)
	return serve(ctx, cfg, os.Getenv, log, nil)
}

// The store is the bot's: its update loop's Store, its sender's Outbox,
// and the chat admin's Queue.
var (
	_ bot.Store  = (*store.DB)(nil)
	_ bot.Outbox = (*store.DB)(nil)
	_ bot.Queue  = (*store.DB)(nil)
)

// serveHooks let tests and the demo see inside a running bot.
type serveHooks struct {
	started      func(running)                          // called once the bot is polling
	tune         func(*bot.SenderOptions, *bot.Options) // adjusts options before the start
	now          func() time.Time                       // the digest's clock; default time.Now
	fastPosts    bool                                   // no pause between the parts of a digest post
	digest       func(*jobs.Digest, *jobs.DigestSchedule)
	caughtUp     func()                       // called when the digest's start-up catch-up is over
	backedUp     func(path string, err error) // called after each scheduled backup
	mapped       func(site.Stats, error)      // called after each rebuild of the map
	storeOptions *store.Options               // opens the database with these
}

// running is the bot serve started: its rooms that tests and the demo
// drive.
type running struct {
	bot       *bot.Bot
	sender    *bot.Sender
	reminders *jobs.Reminders
	giveBack  *jobs.GiveBack
}

// serve runs the bot until ctx is done: it opens the rooms (the store, the
// bot and its sender, the jobs on their scheduler, the admin endpoint),
// wires them, and stops them in order.
func serve(ctx context.Context, cfg Config, getenv func(string) string, log *slog.Logger, hooks *serveHooks) error {
	if hooks == nil {
		hooks = &serveHooks{}
	}
	def, err := loadSurvey(cfg.Survey)
	if err != nil {
		return err
	}
	policy, err := cfg.Reminders.policy(cfg.Digest.Timezone)
	if err != nil {
		return err
	}
	if err := jobs.CheckDigestLanguage(def, cfg.Digest.Language); err != nil {
		return err
	}
	token, err := bot.LoadToken(cfg.Telegram.TokenFile, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(cfg.Database, hooks.storeOptions)
	if errors.Is(err, store.ErrCorrupt) {
		return fmt.Errorf("%w\nThe bot will not start on it. Restore the latest good backup (see \"Restore\" in docs/operations.md): check it with \"toolmap check FILE\", then put it in the database's place", err)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil { // writes the last deliveries
			log.Error("closing the database failed", "err", err)
		}
	}()

	m := adminsock.NewMetrics()
	conn, err := bot.Connect(ctx, token, bot.ConnectOptions{APIURL: cfg.Telegram.APIURL,
		RequestTimeout: time.Duration(cfg.Telegram.RequestTimeout), Transport: m.Transport, Logger: log})
	if err != nil || conn == nil {
		return err
	}
	log.Info("connected to Telegram", "bot", conn.Username(), "survey", def.String(), "database", db.Path())
	for _, g := range def.PrivacyGaps() {
		log.Warn("/privacy does not say who is responsible for the data", "problem", g.Msg)
	}

	senderOpts := &bot.SenderOptions{Logger: log, Unlimited: cfg.Telegram.Pacing.Off}
	giveBack := jobs.NewGiveBack(db)
	botOpts := &bot.Options{
		Logger:        log,
		PollTimeout:   time.Duration(cfg.Telegram.PollTimeout),
		MaxTextRunes:  cfg.Bot.MaxText,
		FloodRate:     float64(cfg.Bot.FloodRate),
		FloodBurst:    int(cfg.Bot.FloodBurst),
		Peers:         giveBack,
		MinCount:      cfg.Digest.MinCount,
		RetentionDays: cfg.Retention.Days,
		ReferralLink: func(id survey.RespondentID) string {
			return "https://t.me/" + conn.Username() + "?start=" + db.ReferralCode(id)
		},
		ChannelLink: bot.Channel(cfg.Digest.Channel).Link(),
		OnCommit:    m.ObserveCommit,
		Responses:   db,
		TapLog:      cfg.Database + ".taps",
	}
	if hooks.tune != nil {
		hooks.tune(senderOpts, botOpts)
	}
	sender := bot.NewSender(conn, db, senderOpts)

	settings, now := cfg.Digest.settings(), hooks.now // nil: time.Now
	sched := jobs.NewScheduler(log, settings.Location)
	office := &jobs.Office{DB: db, Def: def, Settings: settings}
	office.StudyKey, _, office.KeyErr = jobs.LoadStudyKey("", getenv)
	if cfg.Digest.Channel != "" {
		channel := bot.Channel(cfg.Digest.Channel)
		if err := bot.CheckChannel(conn, channel); err != nil {
			return err
		}
		gap := time.Second
		if hooks.fastPosts {
			gap = 0
		}
		office.Channel = jobs.NewDigest(db, def, settings, bot.NewChannelPoster(conn, channel, gap),
			jobs.DigestOptions{Admins: cfg.Admin.Users, Waker: sender, Logger: log, Now: now})
		schedule, err := jobs.NewDigestSchedule(office.Channel, string(cfg.Digest.Schedule), time.Duration(cfg.Digest.Grace))
		if err != nil {
			return err
		}
		if hooks.digest != nil {
			hooks.digest(office.Channel, schedule)
		}
		sched.Add("digest", schedule.Schedule(), schedule)
		sched.Add("digest catch-up", nil, jobs.Func(func(ctx context.Context) error {
			if hooks.caughtUp != nil {
				defer hooks.caughtUp()
			}
			return schedule.CatchUp(ctx)
		}), jobs.AtStartInBackground())
	}
	botOpts.Admin = bot.NewChatAdmin(conn, office, db, sender, bot.ChatAdminOptions{
		Survey: def, Admins: cfg.Admin.Users, Researchers: cfg.Admin.Researchers, Location: settings.Location, Logger: log, Now: now})
	b := bot.New(conn, def, db, sender, botOpts)
	if n, err := b.Restart(db); err != nil {
		return err
	} else if n > 0 {
		log.Info("showed the current step again after a restart", "chats", n)
	}
	if err := b.SetCommands(); err != nil {
		log.Warn("could not set the command menu", "err", err)
	}
	if len(cfg.Admin.Users)+len(cfg.Admin.Researchers) > 0 {
		if err := b.SetAdminCommands(cfg.Admin.Users, cfg.Admin.Researchers); err != nil {
			log.Warn("could not set the admins' command menus", "err", err)
		}
	}

	// The jobs. Those at start run before the bot answers anyone.
	reminders := jobs.NewReminders(db, def, policy, time.Duration(cfg.Reminders.Spread), sender, log, nil)
	sched.Add("prune seen", jobs.Every(jobs.PruneSeenEvery), jobs.PruneSeen{DB: db, Log: log}, jobs.AtStart())
	sched.Add("pre-consent expiry", jobs.Every(jobs.PreConsentEvery), jobs.PreConsent{DB: db, Log: log}, jobs.AtStart())
	sched.Add("retention", jobs.Every(jobs.RetentionEvery), jobs.Retention{DB: db, Days: cfg.Retention.Days, Log: log}, jobs.AtStart())
	sched.Add("compaction", jobs.Every(time.Duration(cfg.Retention.CompactEvery)), jobs.Compaction{DB: db, Log: log}, jobs.AtStart())
	sched.Add("give-back", jobs.Every(jobs.GiveBackEvery), giveBack, jobs.AtStart())
	sched.Add("reminders", jobs.Every(time.Duration(cfg.Reminders.CheckEvery)), reminders)
	if cfg.Backup.Dir != "" {
		sched.Add("backups", jobs.Every(jobs.BackupsPoll), &jobs.Backups{DB: db, Dir: cfg.Backup.Dir,
			Every: time.Duration(cfg.Backup.Every), Keep: cfg.Backup.Keep, Log: log, Done: hooks.backedUp}, jobs.AtStartInBackground())
	}

	if cfg.Map.Dir != "" {
		sched.Add("map", jobs.Every(time.Duration(cfg.Map.Every)), jobs.Map{DB: db, Def: def, Settings: settings, Dir: cfg.Map.Dir,
			Log: log, Done: hooks.mapped}, jobs.AtStartInBackground())
	}

	health := adminsock.NewHealth(b, sender, db, time.Duration(cfg.Telegram.PollTimeout))
	m.Watch(b, sender, db)
	admin := &adminsock.Endpoint{DB: db, Def: def, Digest: settings, Channel: office.Channel, Health: health, Metrics: m, Log: log}
	adm, err := adminsock.Listen(cfg.AdminSocket(), admin.Handler(), log)
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
	sched.Start(runCtx)
	if hooks.started != nil {
		hooks.started(running{bot: b, sender: sender, reminders: reminders, giveBack: giveBack})
	}
	err = b.Run(runCtx)
	stop()
	sched.Stop()
	wg.Wait()
	log.Info("stopped", "updates", b.Stats().Updates)
	return errors.Join(err, senderErr)
}
