package main

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	})
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != botGCPercent {
		t.Errorf("GC percent = %d, want %d", got, botGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != botMemoryLimit {
		t.Errorf("memory limit = %d, want %d", got, botMemoryLimit)
	}
	// The environment's own settings win.
	tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set: GC percent = %d, want it left at 100", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set: memory limit = %d, want it left alone", got)
	}
	// The demo, digest and map take the bot's GC percent, and no memory limit.
	debug.SetMemoryLimit(math.MaxInt64)
	tuneGCPercent(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != botGCPercent {
		t.Errorf("tuneGCPercent: GC percent = %d, want %d", got, botGCPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("tuneGCPercent: memory limit = %d, want none", got)
	}
	tuneGCPercent(func(k string) string { return map[string]string{"GOGC": "50"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("tuneGCPercent with GOGC set: GC percent = %d, want it left at 100", got)
	}
}
