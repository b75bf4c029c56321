package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
)

type exportedRow struct {
	ID     survey.RespondentID
	Status survey.Status
	Role   string
}

func exportAll(t *testing.T, db *store.DB, opts store.ExportOptions) []exportedRow {
	t.Helper()
	var out []exportedRow
	err := db.Export(t.Context(), opts, func(id survey.RespondentID, s survey.Session) error {
		out = append(out, exportedRow{ID: id, Status: s.Status, Role: s.Answers["role"].Values[0]})
		return nil
	})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return out
}

func TestExportReadsInChunks(t *testing.T) {
	def := testDef(t)
	clk := newClock()
	db, _ := mustCreate(t, clk)
	var want []exportedRow
	for id := survey.RespondentID(1); id <= 7; id++ {
		inputs, role := devRun, "dev"
		if id%2 == 0 {
			inputs, role = opsRun, "ops"
		}
		run(t, db, def, clk, id, inputs...)
		want = append(want, exportedRow{id, survey.StatusCompleted, role})
	}
	// Unfinished: 20 has answered, 21 waits for consent, 22 declined.
	run(t, db, def, clk, 20, start, agree, choose("ops"))
	run(t, db, def, clk, 21, start)
	run(t, db, def, clk, 22, start, decline)
	// 3 changes an answer after completing: still one response, the new one.
	run(t, db, def, clk, 3, jump("role"), choose("ops"), toggle("jira"), done)
	want[2].Role = "ops"

	for _, chunk := range []int{1, 2, 3, 100} {
		got := exportAll(t, db, store.ExportOptions{Chunk: chunk})
		if !slices.Equal(got, want) {
			t.Errorf("chunk %d: got %v, want %v", chunk, got, want)
		}
		got = exportAll(t, db, store.ExportOptions{Chunk: chunk, Partial: true})
		wantPartial := append(slices.Clone(want), exportedRow{20, survey.StatusActive, "ops"})
		if !slices.Equal(got, wantPartial) {
			t.Errorf("chunk %d with partial: got %v, want %v", chunk, got, wantPartial)
		}
	}
}

func TestExportRange(t *testing.T) {
	def := testDef(t)
	clk := newClock()
	db, _ := mustCreate(t, clk)
	var times []time.Time
	for id := survey.RespondentID(1); id <= 4; id++ {
		run(t, db, def, clk, id, opsRun...)
		s, _, _ := db.Session(id)
		times = append(times, s.CompletedAt)
		clk.Advance(time.Hour)
	}
	run(t, db, def, clk, 9, start, agree, choose("dev")) // active, last seen after all of them
	ids := func(rows []exportedRow) []survey.RespondentID {
		var out []survey.RespondentID
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []survey.RespondentID
	}{
		{"all", time.Time{}, time.Time{}, []survey.RespondentID{1, 2, 3, 4, 9}},
		{"from the second", times[1], time.Time{}, []survey.RespondentID{2, 3, 4, 9}},
		{"until the third", time.Time{}, times[2], []survey.RespondentID{1, 2}},
		{"the middle", times[1], times[3], []survey.RespondentID{2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ids(exportAll(t, db, store.ExportOptions{From: tc.from, To: tc.to, Partial: true, Chunk: 2}))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExportCallsOutsideTheTransaction(t *testing.T) {
	def := testDef(t)
	clk := newClock()
	db, _ := mustCreate(t, clk)
	for id := survey.RespondentID(1); id <= 5; id++ {
		run(t, db, def, clk, id, opsRun...)
	}
	// fn writes: each of the first five completes a new respondent, whose
	// response lands after the others and may or may not be read by a
	// later chunk. Were fn called inside a read transaction, a write in
	// the same goroutine that grows the file would wait for the mmap lock
	// forever.
	seen := map[survey.RespondentID]bool{}
	err := db.Export(t.Context(), store.ExportOptions{Chunk: 2}, func(id survey.RespondentID, s survey.Session) error {
		if seen[id] {
			t.Errorf("respondent %d seen twice", id)
		}
		seen[id] = true
		if id <= 5 {
			run(t, db, def, clk, 100+id, opsRun...)
		}
		return nil
	})
	if err != nil || len(seen) < 5 || len(seen) > 10 {
		t.Fatalf("export: %d responses, %v; want 5 to 10", len(seen), err)
	}
}

func TestExportStops(t *testing.T) {
	def := testDef(t)
	clk := newClock()
	db, path := mustCreate(t, clk)
	for id := survey.RespondentID(1); id <= 5; id++ {
		run(t, db, def, clk, id, opsRun...)
	}
	t.Run("fn error", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := db.Export(t.Context(), store.ExportOptions{Chunk: 2}, func(survey.RespondentID, survey.Session) error {
			if n++; n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("got %v after %d, want stop after 3", err, n)
		}
	})
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		n := 0
		err := db.Export(ctx, store.ExportOptions{Chunk: 2}, func(survey.RespondentID, survey.Session) error {
			if n++; n == 2 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) || n != 2 {
			t.Errorf("got %v after %d, want context.Canceled after the chunk of 2", err, n)
		}
	})
	t.Run("corrupt record", func(t *testing.T) {
		mustClose(t, db)
		b := rawBolt(t, path, false)
		err := b.Update(func(tx *bbolt.Tx) error {
			c := tx.Bucket([]byte("responses")).Cursor()
			k, _ := c.Last()
			return tx.Bucket([]byte("responses")).Put(k, []byte("{not json"))
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		db := mustOpen(t, path, nil)
		n := 0
		err = db.Export(t.Context(), store.ExportOptions{Chunk: 2}, func(survey.RespondentID, survey.Session) error { n++; return nil })
		if !errors.Is(err, store.ErrCorrupt) || n != 4 {
			t.Errorf("got %v after %d, want ErrCorrupt after 4", err, n)
		}
	})
}
