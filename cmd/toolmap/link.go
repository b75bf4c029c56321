package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"toolmap/bot"
)

func init() {
	register(command{
		name:    "link",
		args:    "[--config FILE] [--bot USERNAME] SOURCE",
		summary: "print the t.me link that counts respondents under SOURCE (a flyer, a partner)",
		run:     runLink,
	})
}

// sourcePattern is what a deep-link payload may hold (Telegram: 1 to 64
// of A-Z a-z 0-9 _ -).
var sourcePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,62}$`)

// usernamePattern is a Telegram bot username.
var usernamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)

func runLink(ctx context.Context, e env, args []string) error {
	c := newCommand(e, "link", `Prints the link to the bot for one source, such as a flyer or a partner
organisation: https://t.me/<bot>?start=s-SOURCE. Respondents who start from
it are counted under SOURCE in the digest and have it in the "source"
column of exports. SOURCE is 1 to 62 letters, digits, _ and - (the "s-"
prefix is added: Telegram allows 64 characters in all).

The bot's username comes from --bot, else from telegram.username in the
config, else from Telegram itself (getMe, with the token from `+TokenEnv+`).`)
	c.config = c.String("config", "", "configuration `FILE`")
	username := c.String("bot", "", "the bot's `USERNAME`, without @")
	if err := c.parse(args, -1); err != nil {
		return err
	}
	if c.NArg() != 1 {
		return c.usageErr("give one SOURCE, such as flyer_leeds")
	}
	source := strings.TrimPrefix(c.Arg(0), "s-")
	if !sourcePattern.MatchString(source) {
		return c.usageErr("%q cannot be a source: use 1 to 62 letters, digits, _ and -, such as flyer_leeds", c.Arg(0))
	}
	cfg, err := c.settings()
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(*username, "@")
	if name == "" {
		name = cfg.Telegram.Username
	}
	if name == "" {
		if name, err = botUsername(ctx, cfg, os.Getenv); err != nil {
			return err
		}
	}
	if !usernamePattern.MatchString(name) {
		return fmt.Errorf("%q is not a bot username such as toolmap_bot", name)
	}
	fmt.Fprintf(e.stdout, "https://t.me/%s?start=s-%s\n", name, source)
	return nil
}

// botUsername asks Telegram (getMe) for the bot's username.
func botUsername(ctx context.Context, cfg Config, getenv func(string) string) (string, error) {
	token, err := bot.LoadToken(cfg.Telegram.TokenFile, getenv)
	if err != nil {
		return "", fmt.Errorf("the bot's username is needed: give --bot USERNAME or telegram.username, or %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := bot.Dial(ctx, token, bot.ConnectOptions{APIURL: cfg.Telegram.APIURL, RequestTimeout: 15 * time.Second})
	if err != nil {
		return "", fmt.Errorf("ask Telegram for the bot's username: %w", bot.Redact(err, string(token)))
	}
	return conn.Username(), nil
}
