package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot"
	"toolmap/store"
	"toolmap/survey"
)

// digestWiring is what serve adds for the digest and the privileged
// commands: the poster and its schedule (with a channel), the chat admin,
// and the admin endpoint's POST /digest.
type digestWiring struct {
	poster   *digestPoster   // nil without digest.channel
	schedule *digestSchedule // nil without digest.channel
	admin    *chatAdmin
	handler  http.Handler
	cfg      Config
	log      *slog.Logger
}

// newDigestWiring builds it. api is the bot's client; posts use a copy
// whose requests are not cut off by shutdown, so that a post in flight
// when a stop is asked for finishes and is recorded.
func newDigestWiring(ctx context.Context, cfg Config, db *store.DB, api *tgbotapi.BotAPI, def *survey.Definition,
	waker bot.Waker, getenv func(string) string, log *slog.Logger, now func() time.Time) (*digestWiring, error) {
	if now == nil {
		now = time.Now
	}
	postAPI := *api
	postAPI.Client = bot.NewHTTPClient(context.WithoutCancel(ctx), time.Duration(cfg.Telegram.RequestTimeout))
	w := &digestWiring{cfg: cfg, log: log}
	if err := cfg.Digest.checkLanguage(def); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Digest.Timezone)
	if err != nil {
		return nil, err // checked with the config
	}
	if cfg.Digest.Channel != "" {
		w.poster = newDigestPoster(db, &postAPI, def, cfg, waker, log, now)
		if w.schedule, err = newDigestSchedule(w.poster, cfg.Digest, loc, log); err != nil {
			return nil, err
		}
	}
	key, keyErr := loadStudyKey("", getenv, io.Discard)
	w.admin = &chatAdmin{db: db, api: &postAPI, def: def, dc: cfg.Digest, loc: loc, poster: w.poster, waker: waker,
		admins: cfg.Admin.Users, researchers: cfg.Admin.Researchers, studyKey: key, keyErr: keyErr, licence: cfg.Export.Licence, log: log, now: now}
	w.handler = digestHandler{db: db, def: def, dc: cfg.Digest, poster: w.poster}
	return w, nil
}

// setCommands registers the admins' and researchers' command menus.
func (w *digestWiring) setCommands(b *bot.Bot) {
	if len(w.cfg.Admin.Users)+len(w.cfg.Admin.Researchers) == 0 {
		return
	}
	if err := b.SetAdminCommands(w.cfg.Admin.Users, w.cfg.Admin.Researchers); err != nil {
		w.log.Warn("could not set the admins' command menus", "err", err)
	}
}

// start starts the schedule (catching up a missed slot); the function it
// returns stops it, waiting for a post in flight.
func (w *digestWiring) start(ctx context.Context) (stop func()) {
	if w.schedule == nil {
		return func() {}
	}
	return w.schedule.Start(ctx)
}

// channelLink is the public link of a digest channel given as @name, or ""
// for a numeric id (a private channel has no public link to offer).
func channelLink(channel ChatRef) string {
	if name, ok := strings.CutPrefix(string(channel), "@"); ok && name != "" {
		return "https://t.me/" + name
	}
	return ""
}
