package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "toolmap.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFloodAndPacingDefaults(t *testing.T) {
	cfg, err := ReadConfigFile(writeConfig(t, "database: x.db\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bot.FloodRate != 2 || cfg.Bot.FloodBurst != 10 || cfg.Telegram.Pacing.Off {
		t.Errorf("defaults: flood %v/%v, pacing off %v", cfg.Bot.FloodRate, cfg.Bot.FloodBurst, cfg.Telegram.Pacing.Off)
	}
}

func TestConfigFloodAndPacingForALoadTest(t *testing.T) {
	cfg, err := ReadConfigFile(writeConfig(t, "database: x.db\ntelegram:\n  api_url: http://127.0.0.1:8081\n  pacing: off\nbot:\n  flood_rate: 1e6\n  flood_burst: 1000000\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Bot.FloodRate != 1e6 || cfg.Bot.FloodBurst != 1_000_000 || !cfg.Telegram.Pacing.Off {
		t.Errorf("got flood %v/%v, pacing off %v", cfg.Bot.FloodRate, cfg.Bot.FloodBurst, cfg.Telegram.Pacing.Off)
	}
	cfg, err = ReadConfigFile(writeConfig(t, "database: x.db\ntelegram:\n  pacing: \"on\"\nbot:\n  flood_rate: 0.5\n"))
	if err != nil || cfg.Telegram.Pacing.Off || cfg.Bot.FloodRate != 0.5 {
		t.Errorf("pacing on, rate 0.5: %+v %v", cfg.Telegram.Pacing, err)
	}
}

func TestConfigFloodAndPacingErrorsHaveTheirLine(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"database: x.db\nbot:\n  flood_rate: 0\n", `:3: bot.flood_rate: "0" is not a number`},
		{"database: x.db\nbot:\n  flood_rate: fast\n", `:3: bot.flood_rate: "fast"`},
		{"database: x.db\nbot:\n  max_text: 10\n  flood_burst: 2.5\n", `:4: bot.flood_burst: "2.5" is not a whole number between 1 and 1000000`},
		{"database: x.db\nbot:\n  flood_burst: 1000001\n", `:3: bot.flood_burst:`},
		{"database: x.db\ntelegram:\n  pacing: slow\n", `:3: telegram.pacing: "slow" must be on or off`},
		{"database: x.db\ntelegram:\n  pacing: [off]\n", `:3: telegram.pacing:`},
		// Telegram's own servers: refused, with the line of "off".
		{"database: x.db\ntelegram:\n  poll_timeout: 30s\n  pacing: off\n", ":4: telegram.pacing: off is only for a self-hosted or fake Bot API server"},
		{"database: x.db\ntelegram:\n  pacing: off\n  api_url: https://API.telegram.org/\n", ":3: telegram.pacing: off is only for"},
	} {
		path := writeConfig(t, c.yaml)
		_, err := ReadConfigFile(path)
		if err == nil || !strings.Contains(err.Error(), path+c.want) {
			t.Errorf("%q: got %v, want %s%s", c.yaml, err, path, c.want)
		}
	}
}

// serve gives the bot and its sender the flood gate and pacing of the
// config.
func TestServeTakesFloodAndPacingFromTheConfig(t *testing.T) {
	var unlimited bool
	var rate float64
	var burst int
	newHarnessWith(t, telegramtest.Options{}, func(h *harness) {
		h.realPace = true // keep the harness's own tuning out
		h.cfg.Telegram.Pacing.Off = true
		h.cfg.Bot.FloodRate, h.cfg.Bot.FloodBurst = 7.5, 13
		h.hooks = func(hk *serveHooks) {
			prev := hk.tune
			hk.tune = func(so *bot.SenderOptions, bo *bot.Options) {
				prev(so, bo)
				unlimited, rate, burst = so.Unlimited, bo.FloodRate, bo.FloodBurst
			}
		}
	})
	if !unlimited || rate != 7.5 || burst != 13 {
		t.Errorf("sender unlimited %v, flood gate %v/%v; want true, 7.5/13", unlimited, rate, burst)
	}
}
