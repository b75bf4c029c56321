package store_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
)

// checkIndex reads every response as ScanDigest does (from the digest
// index) and as DigestResponses does (from the responses), and fails when
// they differ.
func checkIndex(t *testing.T, db *store.DB, when string) int {
	t.Helper()
	var want, got []survey.Session
	if err := db.DigestResponses(time.Time{}, time.Time{}, func(_ survey.RespondentID, s survey.Session) error {
		want = append(want, withoutCursors(s))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.ScanDigest(store.DigestScan{Workers: 1}, func(_, _ int, _ survey.RespondentID, s *survey.Session) error {
		c := *s
		c.Answers = nil
		for k, a := range s.Answers {
			if c.Answers == nil {
				c.Answers = map[string]survey.Answer{}
			}
			a.Values = append([]string(nil), a.Values...)
			c.Answers[k] = a
		}
		got = append(got, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: the digest index (-responses +index):\n%s", when, diff)
	}
	if err := db.Check(); err != nil {
		t.Errorf("%s: check: %v", when, err)
	}
	return len(got)
}

// TestDigestIndex: the digest index follows the responses through
// completions, changes after review, deletion, retention and compaction.
func TestDigestIndex(t *testing.T) {
	clk := newClock()
	db, _ := mustCreate(t, clk)
	rng := rand.New(rand.NewPCG(7, 8))
	complete := func(id survey.RespondentID) {
		s := randomSession(rng, clk.Now())
		s.Status = survey.StatusCompleted
		if err := db.Update(func(tx *store.Tx) error {
			return tx.ApplyStep(id, survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}})
		}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
	}
	for id := range survey.RespondentID(30) {
		complete(id + 1)
	}
	if n := checkIndex(t, db, "after completions"); n != 30 {
		t.Fatalf("%d responses", n)
	}
	for _, id := range []survey.RespondentID{3, 9, 27} { // changed after review
		complete(id)
	}
	checkIndex(t, db, "after changes")
	for _, id := range []survey.RespondentID{4, 5, 27} {
		if _, err := db.Forget(id); err != nil {
			t.Fatal(err)
		}
	}
	if n := checkIndex(t, db, "after deletions"); n != 27 {
		t.Errorf("%d responses after three deletions", n)
	}
	if st, err := db.Retain(newClock().Now().Add(10 * time.Hour)); err != nil || st.Anonymised == 0 {
		t.Fatalf("retain: %+v, %v", st, err)
	}
	checkIndex(t, db, "after retention")
	if _, err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	if n := checkIndex(t, db, "after compaction"); n != 27 {
		t.Errorf("%d responses after compaction", n)
	}
}

// TestCheckDigestIndex: a response missing from the digest index, or a
// record of it without a response, fails the check.
func TestCheckDigestIndex(t *testing.T) {
	for _, tc := range []struct {
		name, bucket, want string
	}{
		{"record missing", "digest_index", "is missing from the digest index"},
		{"response missing", "responses", "with no response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			db, path := mustCreate(t, clk)
			s := randomSession(rand.New(rand.NewPCG(1, 1)), clk.Now())
			if err := db.Update(func(tx *store.Tx) error {
				return tx.ApplyStep(1, survey.Session{}, s, []survey.Event{survey.Completed{Recorded: true, First: true}})
			}); err != nil {
				t.Fatal(err)
			}
			mustClose(t, db)
			b := rawBolt(t, path, false)
			if err := b.Update(func(tx *bbolt.Tx) error {
				k, _ := tx.Bucket([]byte(tc.bucket)).Cursor().First()
				return tx.Bucket([]byte(tc.bucket)).Delete(k)
			}); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			db, err := store.Open(path, &store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("check: %v, want %q", err, tc.want)
			}
		})
	}
}
