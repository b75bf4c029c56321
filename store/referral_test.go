package store_test

import (
	"bytes"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/store"
	"toolmap/survey"
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
	secret, err := db.ReferralSecret()
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret after migration: %d bytes, %v", len(secret), err)
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
	again, err := db.ReferralSecret()
	if err != nil || !bytes.Equal(secret, again) {
		t.Errorf("the secret changed on reopening")
	}
}

// TestReferrals: a code is recorded once per respondent and traces to them;
// Forget removes it; Retain moves it to the surrogate.
func TestReferrals(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, _ := mustCreate(t, clk)
	run(t, db, def, clk, 5, devRun...)
	run(t, db, def, clk, 6, devRun...)
	put := func(id survey.RespondentID, code string) {
		t.Helper()
		if err := db.Update(func(tx *store.Tx) error { return tx.PutReferral(id, code) }); err != nil {
			t.Fatal(err)
		}
	}
	put(5, "r-five")
	put(5, "r-other") // keeps the first
	put(6, "r-five")  // taken: keeps its owner
	put(6, "r-six")
	for code, want := range map[string]survey.RespondentID{"r-five": 5, "r-six": 6, "r-other": 0} {
		id, ok, err := db.Referrer(code)
		if err != nil || ok != (want != 0) || id != want {
			t.Errorf("Referrer(%s) = %d %v %v, want %d", code, id, ok, err, want)
		}
	}
	f, err := db.Forget(6)
	if err != nil || !f.Referral {
		t.Fatalf("forget 6: %+v %v", f, err)
	}
	if _, ok, _ := db.Referrer("r-six"); ok {
		t.Error("the code of a forgotten respondent still traces to them")
	}
	clk.Advance(time.Hour)
	if st, err := db.Retain(clk.Now()); err != nil || st.Anonymised != 1 {
		t.Fatalf("retain: %+v %v", st, err)
	}
	id, ok, err := db.Referrer("r-five")
	if err != nil || !ok || !store.Anonymous(id) {
		t.Errorf("after retention r-five traces to %d %v %v, want the surrogate", id, ok, err)
	}
}
