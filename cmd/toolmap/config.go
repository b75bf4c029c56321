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
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // digest.timezone must load on a server image without zoneinfo

	"go.yaml.in/yaml/v3"

	"toolmap/bot"
	"toolmap/cmd/internal/adminsock"
	"toolmap/cmd/internal/jobs"
	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/report"
)

// The operator's configuration file, every section of it (see
// config.example.yaml): the types, their defaults, and the checks that
// stop start-up with the file, line and problem. Settings for load tests
// (the flood gate, pacing off) are at the end.

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
	// Map is the map site the running bot rebuilds on its own.
	Map MapConfig `yaml:"map"`

	file string
	root *yaml.Node // the file as read, for the line of each key (line)
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
	// self-hosted or fake Bot API server in load tests.
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
	// /digest_resend, and alerts about the digest (see cmd/internal/jobs/digest.go).
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

// withDatabase is the configuration for the database at path. admin.socket
// stays only when path is the configured database: the bot running on
// another database listens beside it.
func (c Config) withDatabase(path string) Config {
	a, errA := filepath.Abs(path)
	b, errB := filepath.Abs(c.Database)
	if errA != nil || errB != nil || a != b {
		c.Admin.Socket = ""
	}
	c.Database = path
	return c
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
const TokenEnv = bot.TokenEnv

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
		Map:       MapConfig{Every: Duration(time.Hour)},
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
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err == nil {
		cfg.root = &root
	}
	if cfg.Database == "" {
		return cfg, fmt.Errorf("%s: database: must name a file, e.g. database: toolmap.db", path)
	}
	for _, p := range []*string{&cfg.Survey, &cfg.Database, &cfg.Admin.Socket, &cfg.Backup.Dir, &cfg.Map.Dir, &cfg.Telegram.TokenFile} {
		if *p != "" && !filepath.IsAbs(*p) { // relative to the config file
			*p = filepath.Join(filepath.Dir(path), *p)
		}
	}
	return cfg, cfg.check()
}

// line returns the line where the file sets a key, given as its path
// ("admin", "socket"), or with item >= 0 the line of that item of the
// list there; 0 when the file does not set it.
func (c Config) line(item int, keys ...string) int {
	if c.root == nil || len(c.root.Content) == 0 {
		return 0
	}
	n := c.root.Content[0]
	for _, k := range keys {
		if n.Kind != yaml.MappingNode {
			return 0
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	if item >= 0 {
		if n.Kind != yaml.SequenceNode || item >= len(n.Content) {
			return 0
		}
		n = n.Content[item]
	}
	return n.Line
}

// where is "file:line" for the key (as "admin.socket"), or "file" when
// the file does not set it.
func (c Config) where(key string, item int) string {
	if l := c.line(item, strings.Split(key, ".")...); l > 0 {
		return c.file + ":" + strconv.Itoa(l)
	}
	return c.file
}

// check reports settings that cannot work, one a line, each with the
// file and, where the file sets the key, its line.
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
	errs = append(errs, c.Retention.problems()...)
	errs = append(errs, c.Reminders.problems(c.Digest.Timezone)...)
	errs = append(errs, c.Backup.problems()...)
	if c.Map.Dir != "" && c.Map.Every < Duration(time.Minute) {
		errs = append(errs, "map.every: must be at least 1m, e.g. 1h")
	}
	if l := c.Export.Licence; strings.ContainsAny(l, "\n\r") || len(l) > 200 {
		errs = append(errs, "export.licence: one line of at most 200 characters, e.g. CC-BY-4.0 or a URL")
	}
	if c.pacingAgainstTelegram() {
		errs = append([]string{"telegram.pacing: off is only for a self-hosted or fake Bot API server in load tests, never for Telegram's own (" + c.Telegram.APIURL + "): it would exceed Telegram's limits and get the bot banned"}, errs...)
	}
	var out []string
	for _, e := range errs {
		key, _, _ := strings.Cut(e, ":")
		out = append(out, c.where(key, -1)+": "+e)
	}
	for _, p := range c.Admin.problems() {
		out = append(out, c.where(p.key, p.item)+": "+p.msg)
	}
	out = append(out, c.socketProblems()...)
	if len(out) > 0 {
		return errors.New(strings.Join(out, "\n"))
	}
	return nil
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

// DigestConfig is the digest section of the configuration file.
type DigestConfig struct {
	// Timezone is the zone the weeks are counted in, such as
	// Europe/London. Default UTC.
	Timezone string `yaml:"timezone"`
	// Language is the digest's language, one of the survey's; default the
	// survey's default language.
	Language string `yaml:"language"`
	// MinCount is the small-cell threshold: smaller counts of groups show
	// as "fewer than N", and a week with fewer responses shows no
	// breakdown. Default 5.
	MinCount int `yaml:"min_count"`
	// Channel is where the digest is posted: "@name" or a "-100…" id.
	// Empty: nothing is posted (previews still work).
	Channel ChatRef `yaml:"channel"`
	// Schedule is when the digest of the week that just ended is posted,
	// in cron syntax, in Timezone. Default Monday 09:00.
	Schedule CronSpec `yaml:"schedule"`
	// Grace is how late a slot missed while the bot was down may still be
	// posted at start-up. Default 24 h.
	Grace Duration `yaml:"grace"`
}

// DefaultDigestConfig is the digest section used when the file has none.
func DefaultDigestConfig() DigestConfig {
	return DigestConfig{Timezone: "UTC", MinCount: report.DefaultMinCount,
		Schedule: jobs.DefaultDigestSchedule, Grace: Duration(24 * time.Hour)}
}

// problems lists the settings that cannot work, as "digest.key: problem".
func (c DigestConfig) problems() []string { return jobs.DigestProblems(c.Timezone, c.MinCount) }

// settings are the digest's settings for the jobs; problems must be
// empty and the language checked (jobs.CheckDigestLanguage).
func (c DigestConfig) settings() jobs.DigestSettings {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil { // checked by problems
		loc = time.UTC
	}
	return jobs.DigestSettings{Location: loc, Language: c.Language, MinCount: c.MinCount}
}

// RetentionConfig is the retention section of the configuration file.
type RetentionConfig struct {
	// CompactEvery is how often the running bot compacts the database, so
	// that deleted records (/delete, toolmap forget) leave the file. It
	// also compacts at start-up. Zero turns the schedule off.
	CompactEvery Duration `yaml:"compact_every"`
	// Days, when above 0, is how long a finished respondent's Telegram id
	// is kept: after it, their answers stay under a random surrogate id
	// and everything naming their chat goes; sessions not finished by
	// then are deleted. Applied at start-up and daily; told in /privacy.
	Days int `yaml:"days"`
}

// DefaultRetentionConfig is the retention section used when the file has
// none.
func DefaultRetentionConfig() RetentionConfig {
	return RetentionConfig{CompactEvery: Duration(24 * time.Hour)}
}

func (c RetentionConfig) problems() []string {
	var out []string
	if c.CompactEvery != 0 && c.CompactEvery < Duration(time.Minute) {
		out = append(out, "retention.compact_every: must be at least 1m, or 0 to turn it off")
	}
	if c.Days < 0 || c.Days > 36500 {
		out = append(out, "retention.days: must be between 0 (keep until the study ends) and 36500")
	}
	return out
}

// RemindersConfig is the reminders section of the configuration file.
type RemindersConfig struct {
	// After is how long after their last answer a respondent who agreed
	// but did not finish gets a reminder (and, with max above 1, how long
	// after the last reminder the next one goes). 0 turns reminders off.
	After Duration `yaml:"after"`
	// Max is the most reminders one respondent gets. 0 turns them off.
	Max int `yaml:"max"`
	// Timezone and Hours ("09:00-20:00") are when reminders may go out;
	// empty Timezone means digest.timezone.
	Timezone string `yaml:"timezone"`
	Hours    string `yaml:"hours"`
	// CheckEvery is how often the bot looks for respondents due one.
	CheckEvery Duration `yaml:"check_every"`
	// Spread is the gap between two reminders of one round, so a round
	// never arrives as a burst.
	Spread Duration `yaml:"spread"`
}

// DefaultRemindersConfig is the reminders section used when the file has
// none.
func DefaultRemindersConfig() RemindersConfig {
	return RemindersConfig{After: Duration(24 * time.Hour), Max: 1, Hours: "09:00-20:00",
		CheckEvery: Duration(10 * time.Minute), Spread: Duration(2 * time.Second)}
}

// policy returns the reminder policy; tz is used when Timezone is empty.
func (c RemindersConfig) policy(tz string) (bot.ReminderPolicy, error) {
	p := bot.ReminderPolicy{After: time.Duration(c.After), Max: c.Max}
	if c.After == 0 {
		p.Max = 0
	}
	if c.Timezone != "" {
		tz = c.Timezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" || tz == "Local" {
		return p, fmt.Errorf("reminders.timezone: %q is not a time zone such as Europe/London or UTC", tz)
	}
	p.Location = loc
	var ok bool
	if p.From, p.To, ok = bot.ParseWakingHours(c.Hours); !ok {
		return p, fmt.Errorf("reminders.hours: %q is not a range of local times such as 09:00-20:00", c.Hours)
	}
	return p, nil
}

func (c RemindersConfig) problems(digestTZ string) []string {
	var out []string
	if c.Max < 0 || c.Max > 10 {
		out = append(out, "reminders.max: must be between 0 and 10")
	}
	if c.After != 0 && c.After < Duration(time.Hour) {
		out = append(out, "reminders.after: must be at least 1h, or 0 to turn reminders off")
	}
	if c.CheckEvery < Duration(time.Minute) {
		out = append(out, "reminders.check_every: must be at least 1m")
	}
	if c.Spread > Duration(time.Minute) {
		out = append(out, "reminders.spread: must be at most 1m")
	}
	if _, err := c.policy(digestTZ); err != nil {
		out = append(out, err.Error())
	}
	return out
}

// BackupConfig is the backup section of the configuration file: backups
// the running bot takes on its own.
type BackupConfig struct {
	// Dir is where scheduled backups go; empty turns them off.
	Dir string `yaml:"dir"`
	// Every is the time between two backups. Default 24h.
	Every Duration `yaml:"every"`
	// Keep is how many scheduled backups are kept; older ones are
	// removed. Default 7.
	Keep int `yaml:"keep"`
}

// MapConfig is the map section: the static site of the whole study
// (toolmap map) that the running bot rebuilds on its own.
type MapConfig struct {
	// Dir is where the site is written; empty turns the rebuilds off.
	Dir string `yaml:"dir"`
	// Every is the time between two rebuilds. Default 1h.
	Every Duration `yaml:"every"`
}

// DefaultBackupConfig is the backup section used when the file has none.
func DefaultBackupConfig() BackupConfig {
	return BackupConfig{Every: Duration(24 * time.Hour), Keep: 7}
}

// problems lists the settings that cannot work, as "backup.key: problem".
func (c BackupConfig) problems() []string {
	var out []string
	if c.Every < Duration(time.Minute) {
		out = append(out, "backup.every: must be at least 1m, e.g. 24h")
	}
	if c.Keep < 1 {
		out = append(out, "backup.keep: must be at least 1")
	}
	return out
}

// listProblem is a problem with one item of a list in the config.
type listProblem struct {
	key  string // e.g. admin.users
	item int    // the item's index
	msg  string // starting with the key
}

// problems lists admin settings that cannot work.
func (c AdminConfig) problems() []listProblem {
	var out []listProblem
	for _, l := range []struct {
		key string
		ids []int64
	}{{"admin.users", c.Users}, {"admin.researchers", c.Researchers}} {
		for i, id := range l.ids {
			if id <= 0 {
				out = append(out, listProblem{l.key, i, fmt.Sprintf("%s: %d is not a Telegram user id (a positive number; ask @userinfobot for yours)", l.key, id)})
			}
		}
	}
	return out
}

// ChatRef is a chat the bot posts to, as written in the config: "@name"
// for a public channel or group, or its numeric id ("-100…").
type ChatRef string

// UnmarshalYAML reads and checks a chat reference.
func (c *ChatRef) UnmarshalYAML(n *yaml.Node) error {
	r, err := bot.ParseChannel(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: digest.channel: %v", n.Line, err)
	}
	*c = ChatRef(r)
	return nil
}

// ID returns the numeric id, or 0 for an @name.
func (c ChatRef) ID() int64 { return bot.Channel(c).ID() }

// Name returns the @name, or "" for a numeric id.
func (c ChatRef) Name() string { return bot.Channel(c).Name() }

// CronSpec is a schedule in cron syntax: five fields (minute hour
// day-of-month month day-of-week) or a descriptor such as @weekly.
type CronSpec string

// UnmarshalYAML reads and checks a cron spec.
func (c *CronSpec) UnmarshalYAML(n *yaml.Node) error {
	sched, err := jobs.ParseCron(n.Value)
	if err == nil {
		err = jobs.CheckFires(n.Value, sched, time.Now())
	}
	if err != nil {
		return fmt.Errorf("line %d: digest.schedule: %v", n.Line, err)
	}
	*c = CronSpec(n.Value)
	return nil
}

// Settings for load tests and unusual deployments: the per-user flood gate
// (bot.flood_rate, bot.flood_burst) and the sender's pacing
// (telegram.pacing). Each is checked as it is read, so a bad value is
// reported with its line.

// Default flood gate, as bot.Options' defaults.
const (
	defaultFloodRate  = 2
	defaultFloodBurst = 10
	maxFlood          = 1_000_000
)

// FloodRate is bot.flood_rate: updates a second one user may send on
// average before the bot asks them to slow down.
type FloodRate float64

// UnmarshalYAML reads and checks a flood rate.
func (r *FloodRate) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseFloat(n.Value, 64)
	if n.Kind != yaml.ScalarNode || err != nil || !(v > 0 && v <= maxFlood) {
		return fmt.Errorf("line %d: bot.flood_rate: %q is not a number of updates a second above 0 and at most %d", n.Line, n.Value, maxFlood)
	}
	*r = FloodRate(v)
	return nil
}

// FloodBurst is bot.flood_burst: how many updates above the rate one user
// may send at once.
type FloodBurst int

// UnmarshalYAML reads and checks a flood burst.
func (b *FloodBurst) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 1 || v > maxFlood {
		return fmt.Errorf("line %d: bot.flood_burst: %q is not a whole number between 1 and %d", n.Line, n.Value, maxFlood)
	}
	*b = FloodBurst(v)
	return nil
}

// Pacing is telegram.pacing: "on" (the default) paces sends under
// Telegram's flood limits; "off" sends as fast as the server answers, for
// load tests against a self-hosted or fake Bot API server only.
type Pacing struct{ Off bool }

// UnmarshalYAML reads "on" or "off".
func (p *Pacing) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Value != "on" && n.Value != "off" {
		return fmt.Errorf("line %d: telegram.pacing: %q must be on or off", n.Line, n.Value)
	}
	*p = Pacing{Off: n.Value == "off"}
	return nil
}

// pacingAgainstTelegram reports pacing off against Telegram's own
// servers, which answer a bot that ignores their limits with 429s and may
// ban it.
func (c Config) pacingAgainstTelegram() bool {
	u, err := url.Parse(c.Telegram.APIURL)
	return c.Telegram.Pacing.Off && err == nil && strings.EqualFold(u.Hostname(), "api.telegram.org")
}

// loadSurvey reads the survey file, or the built-in default when path is "".
func loadSurvey(path string) (*survey.Definition, error) {
	if path == "" {
		return surveyfile.Default()
	}
	return surveyfile.Load(path)
}

// socketProblems refuses an admin socket path that could be something
// other than a socket (adminsock.CheckPath), with the line that sets it.
func (c Config) socketProblems() []string {
	why, err := adminsock.CheckPath(c.AdminSocket(), c.Database, c.Backup.Dir)
	switch {
	case err != nil:
		return []string{fmt.Sprintf("%s: admin.socket: %v", c.where("admin.socket", -1), err)}
	case why == "":
		return nil
	}
	fix := "set admin.socket to a path of its own, such as " + filepath.Clean(c.Database) + ".sock"
	if c.line(-1, "admin", "socket") == 0 {
		fix = "set admin.socket to a free path"
	}
	return []string{fmt.Sprintf("%s: admin.socket: %s %s: the admin endpoint replaces what is there; %s",
		c.where("admin.socket", -1), filepath.Clean(c.AdminSocket()), why, fix)}
}
