package store_test

import (
	"regexp"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/store"
)

// TestOpenMigratesSchema3: a schema-3 file gains the referral buckets and a
// secret, which stays the same from then on; its records are kept.
func TestOpenMigratesSchema3(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 5, devRun...)
	mustClose(t, db)
	// Back to schema 3: without the referral buckets and secret.
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"referrals", "referral_of"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		m := tx.Bucket([]byte("meta"))
		if err := m.Delete([]byte("referral_secret")); err != nil {
			return err
		}
		return m.Put([]byte("schema"), []byte{0, 0, 0, 0, 0, 0, 0, 3})
	})
	if err != nil || b.Close() != nil {
		t.Fatal(err)
	}
	db = mustOpen(t, path, &store.Options{Now: clk.Now})
	code := db.ReferralCode(5)
	if !referralCode.MatchString(code) || code == db.ReferralCode(6) {
		t.Fatalf("codes after migration: %q, %q", code, db.ReferralCode(6))
	}
	if got := responses(t, db, time.Time{}, time.Time{}); len(got) != 1 || got[0].ID != 5 {
		t.Errorf("responses after migration: %+v", got)
	}
	mustClose(t, db)
	c := contents(t, path)
	if c["meta/schema"] != store.Schema || c["meta/referral_secret"] != 32 {
		t.Errorf("after migration: %v", c)
	}
	db = mustOpen(t, path, nil)
	if again := db.ReferralCode(5); again != code {
		t.Errorf("the code changed on reopening: %q, then %q", code, again)
	}
}

var referralCode = regexp.MustCompile(`^r-[A-Za-z0-9_-]{12}$`)
