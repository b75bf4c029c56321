package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
type Pacing struct {
	Off  bool
	line int // where "off" was set, for the check against api_url
}

// UnmarshalYAML reads "on" or "off".
func (p *Pacing) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Value == "on":
		*p = Pacing{}
	case n.Kind == yaml.ScalarNode && n.Value == "off":
		*p = Pacing{Off: true, line: n.Line}
	default:
		return fmt.Errorf("line %d: telegram.pacing: %q must be on or off", n.Line, n.Value)
	}
	return nil
}

// pacingProblem refuses pacing off against Telegram's own servers, which
// answer a bot that ignores their limits with 429s and may ban it.
func (c Config) pacingProblem() string {
	if !c.Telegram.Pacing.Off {
		return ""
	}
	u, err := url.Parse(c.Telegram.APIURL)
	if err != nil || !strings.EqualFold(u.Hostname(), "api.telegram.org") {
		return ""
	}
	where := c.file
	if c.Telegram.Pacing.line > 0 {
		where += ":" + strconv.Itoa(c.Telegram.Pacing.line)
	}
	return where + ": telegram.pacing: off is only for a self-hosted or fake Bot API server in load tests, never for Telegram's own (" + c.Telegram.APIURL + "): it would exceed Telegram's limits and get the bot banned"
}
