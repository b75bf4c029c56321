package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"toolmap/store"
	"toolmap/survey"
)

// TestWriteBackupIsAConsistentSnapshot backs up while another goroutine
// keeps committing: the copy opens, passes bbolt's check, and holds
// exactly what was committed before the backup began.
func TestWriteBackupIsAConsistentSnapshot(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, nil)
	for id := survey.RespondentID(1); id <= 20; id++ {
		run(t, db, def, clk, id, start, agree, choose("dev"), toggle("git"), done)
	}
	before, err := db.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if before.Sessions != 20 || before.Responses != 0 || before.Schema != store.Schema {
		t.Fatalf("counts before the backup = %+v", before)
	}

	// A writer that starts new respondents as fast as it can until the
	// backup is done; its first commit waits until the backup's read
	// transaction is open, through the hook below.
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	w := &firstWrite{w: f, ready: make(chan struct{})}
	wg.Go(func() {
		<-w.ready
		for id := survey.RespondentID(1000); ; id++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := db.Step(id, engine(def, start, clk.Now())); err != nil {
				writeErr = err
				return
			}
		}
	})
	n, err := db.WriteBackup(w)
	close(stop)
	wg.Wait()
	if err != nil || writeErr != nil {
		t.Fatalf("WriteBackup: %v; writer: %v", err, writeErr)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != n {
		t.Fatalf("backup file: %v, size vs %d written", err, n)
	}

	after, err := db.Counts()
	if err != nil {
		t.Fatal(err)
	}
	if after.Sessions <= before.Sessions {
		t.Logf("the writer committed nothing during the backup (%d sessions)", after.Sessions)
	}

	bk := mustOpen(t, path, &store.Options{ReadOnly: true})
	if err := bk.Check(); err != nil {
		t.Fatalf("the backup fails its check: %v", err)
	}
	got, err := bk.Counts()
	if err != nil {
		t.Fatal(err)
	}
	got.Size, before.Size = 0, 0
	if got != before {
		t.Errorf("backup counts = %+v, want the counts when it began %+v", got, before)
	}
	s, ok, err := bk.Session(7)
	if err != nil || !ok || s.Answers["role"].Values[0] != "dev" {
		t.Errorf("respondent 7 in the backup: %v %v %+v", ok, err, s.Answers)
	}
}

// firstWrite closes ready on the first write: by then the backup's read
// transaction is open.
type firstWrite struct {
	w     *os.File
	ready chan struct{}
	once  sync.Once
}

func (f *firstWrite) Write(p []byte) (int, error) {
	f.once.Do(func() { close(f.ready) })
	return f.w.Write(p)
}

// TestCommitFaultLeavesNothing: when a commit fails (CommitFault stands
// for a full disk), nothing of the transaction is stored, and later
// commits go through.
func TestCommitFaultLeavesNothing(t *testing.T) {
	def, clk := testDef(t), newClock()
	full := true
	db := mustOpen(t, filepath.Join(t.TempDir(), "toolmap.db"), &store.Options{Now: clk.Now, CommitFault: func() error {
		if full {
			return errors.New("no space left on device")
		}
		return nil
	}})
	if _, err := db.Step(5, engine(def, start, clk.Now())); err == nil {
		t.Fatal("the step committed despite the fault")
	}
	if _, ok, err := db.Session(5); ok || err != nil {
		t.Fatalf("after a failed commit: session stored %v, %v", ok, err)
	}
	if c, err := db.Counts(); err != nil || c.Sessions != 0 || c.AnswerLog != 0 {
		t.Fatalf("after a failed commit: %+v %v", c, err)
	}
	full = false
	run(t, db, def, clk, 5, start, agree, choose("dev"))
	if s, ok, err := db.Session(5); !ok || err != nil || s.Answers["role"].Values[0] != "dev" {
		t.Fatalf("after the disk has room: %v %v %+v", ok, err, s.Answers)
	}
}
