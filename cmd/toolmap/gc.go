package main

import "runtime/debug"

// The Go garbage collector's settings for the bot, unless the environment
// sets its own (GOGC, GOMEMLIMIT): the bot keeps little live memory (some
// 10 MB), so with Go's default (GOGC=100) it collects after every 10 MB
// allocated, and collecting took a third of its processor time under load.
// GOGC=200 with a soft limit of 32 MiB of Go memory handles about half as
// many updates again per CPU-second, and stays under 100 MB resident with
// 10,000 respondents part-way (toolmap demo --bot-process measures both).
const (
	botGCPercent   = 200
	botMemoryLimit = 32 << 20
)

// tuneGC applies the bot's garbage-collector settings where the
// environment does not choose them.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(botGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(botMemoryLimit)
	}
}

// tuneGCPercent applies the bot's GC percent alone: to the in-process
// demo, whose heap also holds the fake server and the organisers (so the
// bot's memory limit cannot apply: --bot-process runs the bot exactly as
// toolmap run), and to digest and map, which read the whole study as the
// bot does (a digest of 100,000 responses takes about a fifth less time).
func tuneGCPercent(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(botGCPercent)
	}
}
