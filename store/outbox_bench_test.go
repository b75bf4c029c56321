package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"toolmap/bot/chat"
	"toolmap/store"
	"toolmap/survey"
)

// benchCommitWithOutbox times one transaction per op doing what the bot's
// Commit does for an update: load the session, step the engine, ApplyStep,
// queue two messages (an edit of the old prompt and the next question,
// about 500 bytes of JSON each), mark the update's key seen and store the
// offset. Sessions and inputs are those of benchStepCommit. The outbox is
// not drained, as if the sender lagged behind.
func benchCommitWithOutbox(b *testing.B, noSync bool) {
	const respondents = 64
	def := benchDef(b)
	clk := newClock()
	db := mustOpen(b, filepath.Join(b.TempDir(), "bench.db"), &store.Options{NoSync: noSync, Now: clk.Now})
	for r := range respondents {
		inputs := []survey.Input{start, agree}
		for range 15 {
			inputs = append(inputs, choose("often"))
		}
		run(b, db, def, clk, survey.RespondentID(r+1), inputs...)
	}
	edit := chat.Message{Kind: chat.EditText, ToPrompt: true, Text: strings.Repeat("x", 560)}
	ask := chat.Message{Kind: chat.Send, Text: strings.Repeat("y", 400), Prompt: true, Keyboard: [][]chat.Button{
		{{Text: "Often", Data: "a:abcdef:q16:often"}}, {{Text: "Sometimes", Data: "a:abcdef:q16:sometimes"}}}}

	opts := []string{"sometimes", "often"}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := i % respondents
		turn := i / respondents
		in := back
		if turn%2 == 1 {
			in = choose(opts[(turn/2)%2])
		}
		clk.Advance(time.Second)
		now := clk.Now()
		id := survey.RespondentID(r + 1)
		t0 := time.Now()
		err := db.Update(func(tx *store.Tx) error {
			key := fmt.Sprintf("c:%d:%d", id, i)
			if tx.Seen(key) {
				return fmt.Errorf("key %s seen", key)
			}
			before, _, err := tx.Session(id)
			if err != nil {
				return err
			}
			after, events, err := survey.Step(def, before.Clone(), in, now)
			if err != nil {
				return err
			}
			if err := tx.ApplyStep(id, before, after, events); err != nil {
				return err
			}
			for _, m := range []chat.Message{edit, ask} {
				m.ChatID = int64(id)
				if err := tx.Enqueue(m, time.Time{}); err != nil {
					return err
				}
			}
			if err := tx.MarkSeen(key, now); err != nil {
				return err
			}
			return tx.SetOffset(int64(i) + 1)
		})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[(len(lat)*99)/100].Nanoseconds()), "p99-ns")
}

func BenchmarkCommitWithOutbox(b *testing.B)       { benchCommitWithOutbox(b, false) }
func BenchmarkCommitWithOutboxNoSync(b *testing.B) { benchCommitWithOutbox(b, true) }
