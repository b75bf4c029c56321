package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"toolmap/survey"
	"toolmap/survey/surveyfile"
)

// Config is the operator's configuration file. See config.example.yaml.
type Config struct {
	// Survey is the survey definition file; empty means the built-in
	// default survey. A relative path is relative to the config file.
	Survey string `yaml:"survey"`
	// Database is the bbolt database file. A relative path is relative to
	// the config file.
	Database string `yaml:"database"`
	// Telegram is how the bot reaches Telegram.
	Telegram TelegramConfig `yaml:"telegram"`
	// Bot tunes the conversation.
	Bot BotConfig `yaml:"bot"`
	// Admin is the local endpoint the command line uses while the bot runs.
	Admin AdminConfig `yaml:"admin"`
	// Digest is the weekly summary for coordinators.
	Digest DigestConfig `yaml:"digest"`
	// Retention is what happens to deleted and old records.
	Retention RetentionConfig `yaml:"retention"`
	// Reminders nudge respondents who started but did not finish.
	Reminders RemindersConfig `yaml:"reminders"`
	// Backup is the backups the running bot takes on its own.
	Backup BackupConfig `yaml:"backup"`
	// Export is what exports for researchers say about themselves.
	Export ExportConfig `yaml:"export"`

	file string
}

// ExportConfig is the export section.
type ExportConfig struct {
	// Licence is the licence the exported data are shared under, written
	// in datapackage.json and the README: an identifier such as CC-BY-4.0,
	// or a URL. Empty: none is stated.
	Licence string `yaml:"licence"`
}

// TelegramConfig is the telegram section.
type TelegramConfig struct {
	// APIURL is the Bot API server: Telegram's own, or a self-hosted one.
	APIURL string `yaml:"api_url"`
	// TokenFile holds the bot token when TOOLMAP_TELEGRAM_TOKEN is unset.
	TokenFile string `yaml:"token_file"`
	// PollTimeout is the long-polling timeout.
	PollTimeout Duration `yaml:"poll_timeout"`
	// RequestTimeout bounds every HTTP request; it must exceed PollTimeout.
	RequestTimeout Duration `yaml:"request_timeout"`
	// Username is the bot's username, for "toolmap link" without asking
	// Telegram; the running bot always asks (getMe).
	Username string `yaml:"username"`
	// Pacing off stops pacing sends under Telegram's limits: only for a
	// self-hosted or fake Bot API server in load tests (config_tuning.go).
	Pacing Pacing `yaml:"pacing"`
}

// BotConfig is the bot section.
type BotConfig struct {
	// MaxText is the longest free-text message accepted, in characters.
	MaxText int `yaml:"max_text"`
	// FloodRate and FloodBurst are the per-user flood gate: updates a
	// second on average, and the burst allowed above it.
	FloodRate  FloodRate  `yaml:"flood_rate"`
	FloodBurst FloodBurst `yaml:"flood_burst"`
}

// AdminConfig is the admin section.
type AdminConfig struct {
	// Socket is the Unix socket of the admin endpoint; default: the
	// database file's name with ".sock" added.
	Socket string `yaml:"socket"`
	// Users are the Telegram user ids of the admins: /digest, /stats,
	// /digest_resend, and alerts about the digest (see digest_post.go).
	Users []int64 `yaml:"users"`
	// Researchers are the Telegram user ids allowed /export.
	Researchers []int64 `yaml:"researchers"`
}

// AdminSocket returns the admin endpoint's socket path.
func (c Config) AdminSocket() string {
	if c.Admin.Socket != "" {
		return c.Admin.Socket
	}
	return c.Database + ".sock"
}

// Duration is a time.Duration written as "30s" or "2m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a duration such as "30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// TokenEnv is the environment variable holding the bot token.
const TokenEnv = "TOOLMAP_TELEGRAM_TOKEN"

// DefaultConfig is the configuration used without a file.
func DefaultConfig() Config {
	return Config{
		Database: "toolmap.db",
		Telegram: TelegramConfig{
			APIURL:         "https://api.telegram.org",
			PollTimeout:    Duration(30 * time.Second),
			RequestTimeout: Duration(45 * time.Second),
		},
		Bot:       BotConfig{MaxText: 1000, FloodRate: defaultFloodRate, FloodBurst: defaultFloodBurst},
		Digest:    DefaultDigestConfig(),
		Retention: DefaultRetentionConfig(),
		Reminders: DefaultRemindersConfig(),
		Backup:    DefaultBackupConfig(),
	}
}

var yamlErrLine = regexp.MustCompile(`line (\d+): (.*)`)
var unknownField = regexp.MustCompile(`field (\S+) not found in type`)

// ReadConfigFile reads the configuration at path. Unknown keys are errors,
// each named with its line.
func ReadConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read the config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, configError(path, err)
	}
	cfg.file = path
	dir := filepath.Dir(path)
	if cfg.Survey != "" && !filepath.IsAbs(cfg.Survey) {
		cfg.Survey = filepath.Join(dir, cfg.Survey)
	}
	if cfg.Database == "" {
		return cfg, fmt.Errorf("%s: database: must name a file, e.g. database: toolmap.db", path)
	}
	if !filepath.IsAbs(cfg.Database) {
		cfg.Database = filepath.Join(dir, cfg.Database)
	}
	if cfg.Admin.Socket != "" && !filepath.IsAbs(cfg.Admin.Socket) {
		cfg.Admin.Socket = filepath.Join(dir, cfg.Admin.Socket)
	}
	if cfg.Backup.Dir != "" && !filepath.IsAbs(cfg.Backup.Dir) {
		cfg.Backup.Dir = filepath.Join(dir, cfg.Backup.Dir)
	}
	if cfg.Telegram.TokenFile != "" && !filepath.IsAbs(cfg.Telegram.TokenFile) {
		cfg.Telegram.TokenFile = filepath.Join(dir, cfg.Telegram.TokenFile)
	}
	return cfg, cfg.check()
}

// check reports settings that cannot work.
func (c Config) check() error {
	var errs []string
	u, err := url.Parse(c.Telegram.APIURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Sprintf("telegram.api_url: %q is not an http(s) URL such as https://api.telegram.org", c.Telegram.APIURL))
	}
	if c.Telegram.PollTimeout < Duration(time.Second) || c.Telegram.PollTimeout > Duration(50*time.Second) {
		errs = append(errs, "telegram.poll_timeout: must be between 1s and 50s")
	}
	if c.Telegram.RequestTimeout <= c.Telegram.PollTimeout {
		errs = append(errs, "telegram.request_timeout: must be longer than telegram.poll_timeout")
	}
	if c.Bot.MaxText < 1 || c.Bot.MaxText > 4000 {
		errs = append(errs, "bot.max_text: must be between 1 and 4000")
	}
	errs = append(errs, c.Digest.problems()...)
	errs = append(errs, c.Admin.problems()...)
	errs = append(errs, c.Retention.problems()...)
	errs = append(errs, c.Reminders.problems(c.Digest.Timezone)...)
	errs = append(errs, c.Backup.problems()...)
	if l := c.Export.Licence; strings.ContainsAny(l, "\n\r") || len(l) > 200 {
		errs = append(errs, "export.licence: one line of at most 200 characters, e.g. CC-BY-4.0 or a URL")
	}
	var out []string
	if p := c.pacingProblem(); p != "" {
		out = append(out, p)
	}
	if len(errs) > 0 {
		out = append(out, fmt.Sprintf("%s: %s", c.file, strings.Join(errs, "; ")))
	}
	if len(out) > 0 {
		return errors.New(strings.Join(out, "\n"))
	}
	return nil
}

// Token reads the bot token: from TOOLMAP_TELEGRAM_TOKEN, else from
// telegram.token_file. It is never in the config file itself.
func (c Config) Token(getenv func(string) string) (string, error) {
	if t := strings.TrimSpace(getenv(TokenEnv)); t != "" {
		return t, nil
	}
	if c.Telegram.TokenFile == "" {
		return "", fmt.Errorf("no bot token: set %s, or telegram.token_file in the config (get a token from @BotFather)", TokenEnv)
	}
	data, err := os.ReadFile(c.Telegram.TokenFile)
	if err != nil {
		return "", fmt.Errorf("read telegram.token_file: %w", err)
	}
	t := strings.TrimSpace(string(data))
	if t == "" {
		return "", fmt.Errorf("telegram.token_file %s is empty", c.Telegram.TokenFile)
	}
	return t, nil
}

// configError rewrites a YAML error as "file:line: problem" lines.
func configError(path string, err error) error {
	var te *yaml.TypeError
	var lines []string
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var out []string
	for _, l := range lines {
		if m := yamlErrLine.FindStringSubmatch(l); m != nil {
			msg := m[2]
			if f := unknownField.FindStringSubmatch(msg); f != nil {
				msg = fmt.Sprintf("unknown key %q", f[1])
				if strings.Contains(f[1], "token") && f[1] != "token_file" {
					msg += fmt.Sprintf(": the token is never read from the config file; set %s or telegram.token_file", TokenEnv)
				}
			}
			msg = strings.TrimPrefix(msg, "line "+m[1]+": ")
			out = append(out, fmt.Sprintf("%s:%s: %s", path, m[1], msg))
			continue
		}
		out = append(out, path+": "+l)
	}
	return errors.New(strings.Join(out, "\n"))
}

// loadSurvey reads the survey file, or the built-in default when path is "".
func loadSurvey(path string) (*survey.Definition, error) {
	if path == "" {
		return surveyfile.Default()
	}
	return surveyfile.Load(path)
}
