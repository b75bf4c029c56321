package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"toolmap/bot/chat"
	"toolmap/store/storetest"
	"toolmap/survey"
)

// Telegram ids of the people in these tests: large, as real ones are, so
// that their bytes cannot turn up in a file by chance.
const (
	alice survey.RespondentID = 7_391_024_586
	bob   survey.RespondentID = 6_102_337_941
	carol survey.RespondentID = 5_880_412_773
	dan   survey.RespondentID = 8_014_559_302
)

// pv drives people through the bs survey with Commit, as the bot does:
// each update carries the keys the bot gives it, and the time moves on a
// second per update.
type pv struct {
	t   *testing.T
	db  *DB
	def *survey.Definition
	now time.Time
	seq int64
}

func newPV(t *testing.T) (*pv, string) {
	db, path := bsCreate(t)
	return &pv{t: t, db: db, def: bsDef(t), now: bsNow}, path
}

// step commits one input of id: a message, or with tap a button.
func (p *pv) step(id survey.RespondentID, in survey.Input, tap bool) {
	p.t.Helper()
	p.seq++
	p.now = p.now.Add(time.Second)
	key := "m:" + strconv.FormatInt(int64(id), 10) + ":" + strconv.FormatInt(p.seq, 10)
	if tap {
		key = "c:" + strconv.FormatInt(int64(id), 10) + ":" + strconv.FormatInt(4_000_000+p.seq, 10)
	}
	now := p.now
	mustCommit(p.t, p.db, chat.Update{ID: p.seq, Keys: []string{key}}, id, func(s survey.Session, c chat.State) (chat.Result, error) {
		next, events, err := survey.Step(p.def, s, in, now)
		if err != nil {
			return chat.Result{}, err
		}
		out := []chat.Message{{Kind: chat.Send, ChatID: int64(id), Text: fmt.Sprint(len(events), " events"), Prompt: true}}
		return chat.Result{Session: next, Events: events, Out: out, Chat: c}, nil
	})
}

// finish takes id from /start (with source) to the end.
func (p *pv) finish(id survey.RespondentID, source string) {
	p.t.Helper()
	p.step(id, survey.Input{Kind: survey.InputStart, Text: source}, false)
	p.step(id, survey.Input{Kind: survey.InputAgree}, true)
	p.step(id, survey.Input{Kind: survey.InputChoose, Option: "dev"}, true)
}

// deliver sends everything queued, as the sender would.
func (p *pv) deliver() {
	p.t.Helper()
	for i, q := range pending(p.t, p.db) {
		if err := p.db.Done(q, 100+i); err != nil {
			p.t.Fatal(err)
		}
	}
	if err := p.db.Flush(); err != nil {
		p.t.Fatal(err)
	}
}

// source returns id's stored source, in its session and in its response.
func (p *pv) source(id survey.RespondentID) (session, response string) {
	p.t.Helper()
	err := p.db.View(func(tx *Tx) error {
		if s, ok, err := tx.Session(id); err != nil {
			return err
		} else if ok {
			session = s.Source
		}
		if rk := tx.tx.Bucket(bucketResponseKeys).Get(idKey(id)); rk != nil {
			var s survey.Session
			if err := json.Unmarshal(tx.tx.Bucket(bucketResponses).Get(rk), &s); err != nil {
				return err
			}
			response = s.Source
		}
		return nil
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return session, response
}

// referred lists the referred index.
func (p *pv) referred() []string {
	p.t.Helper()
	var out []string
	err := p.db.View(func(tx *Tx) error {
		return tx.tx.Bucket(bucketReferred).ForEach(func(k, _ []byte) error {
			out = append(out, fmt.Sprintf("%s/%d", k[:len(k)-9], int64(bigEndian(k[len(k)-8:]))))
			return nil
		})
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

func bigEndian(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// scan compacts, closes the database and returns the traces of each id
// left anywhere in the file (storetest.Traces).
func (p *pv) scan(path string, ids ...survey.RespondentID) map[survey.RespondentID][]string {
	p.t.Helper()
	if _, err := p.db.Compact(); err != nil {
		p.t.Fatal(err)
	}
	bsClose(p.t, p.db)
	out := map[survey.RespondentID][]string{}
	for _, id := range ids {
		found, err := storetest.Traces(path, int64(id))
		if err != nil {
			p.t.Fatal(err)
		}
		if len(found) > 0 {
			out[id] = found
		}
	}
	return out
}

// TestForgettingAReferrerRetiresTheirCode: once a referrer is forgotten,
// their code is in no one's source (those they referred show
// ReferralUnknown, in session and response), a newcomer arriving with it
// is stored with ReferralUnknown too, and after compacting nothing in the
// file derives from their id.
func TestForgettingAReferrerRetiresTheirCode(t *testing.T) {
	p, path := newPV(t)
	p.finish(alice, "s-flyer")
	code := p.db.ReferralCode(alice)
	p.finish(bob, code)
	p.step(carol, survey.Input{Kind: survey.InputStart, Text: code}, false)
	p.step(carol, survey.Input{Kind: survey.InputAgree}, true)
	if s, r := p.source(bob); s != code || r != code {
		t.Fatalf("bob's source = %q, %q; want alice's code", s, r)
	}
	if got, want := fmt.Sprint(p.referred()), fmt.Sprintf("[%s/%d %s/%d]", code, carol, code, bob); got != want {
		t.Fatalf("index = %s, want %s", got, want)
	}
	p.deliver()

	if f, err := p.db.Forget(alice); err != nil || !f.Referral {
		t.Fatalf("forget alice: %+v %v", f, err)
	}
	for _, id := range []survey.RespondentID{bob, carol} {
		if s, r := p.source(id); s != ReferralUnknown || (r != "" && r != ReferralUnknown) {
			t.Errorf("after alice is forgotten, %d's source is %q, %q; want %q", id, s, r, ReferralUnknown)
		}
	}
	p.step(dan, survey.Input{Kind: survey.InputStart, Text: code}, false)
	if s, _ := p.source(dan); s != ReferralUnknown {
		t.Errorf("a newcomer with a retired code is stored with source %q, want %q", s, ReferralUnknown)
	}
	if got := p.referred(); len(got) != 0 {
		t.Errorf("index after forgetting = %v, want empty", got)
	}
	// Bob forgotten too: nothing of either is left.
	if _, err := p.db.Forget(bob); err != nil {
		t.Fatal(err)
	}
	if left := p.scan(path, alice, bob); len(left) > 0 {
		t.Errorf("after forgetting and compacting, the file still holds: %v", left)
	}
}

// TestRetentionLeavesNothingOfTheId: after retention, a referrer's code
// is replaced by their surrogate's (in the sources of those they referred
// too), the old code traces to no one, and after compacting no byte of
// the file derives from either Telegram id.
func TestRetentionLeavesNothingOfTheId(t *testing.T) {
	p, path := newPV(t)
	p.finish(alice, "")
	old := p.db.ReferralCode(alice)
	p.finish(bob, old)
	p.deliver()

	if st, err := p.db.Retain(p.now.Add(time.Hour)); err != nil || st.Anonymised != 2 {
		t.Fatalf("Retain = %+v, %v; want 2 anonymised", st, err)
	}
	if _, ok, err := p.db.Referrer(old); ok || err != nil {
		t.Errorf("after retention the old code still traces: %v %v", ok, err)
	}
	var surrogates []survey.RespondentID
	if err := p.db.View(func(tx *Tx) error {
		return tx.tx.Bucket(bucketReferralOf).ForEach(func(k, v []byte) error {
			id := survey.RespondentID(bigEndian(k))
			if string(v) != p.db.ReferralCode(id) {
				t.Errorf("surrogate %d has code %s, want its own %s", id, v, p.db.ReferralCode(id))
			}
			surrogates = append(surrogates, id)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(surrogates) != 2 {
		t.Fatalf("codes after retention: %v", surrogates)
	}
	var sources []string
	for _, id := range surrogates {
		s, r := p.source(id)
		sources = append(sources, s, r)
	}
	var referredBy string
	for _, id := range surrogates {
		if s, _ := p.source(id); s != "" {
			referredBy = s
		}
	}
	if referredBy == "" || referredBy == old {
		t.Fatalf("sources after retention: %q; want bob's to be alice's new code", sources)
	}
	if id, ok, _ := p.db.Referrer(referredBy); !ok || !Anonymous(id) {
		t.Errorf("bob's source %s traces to %d %v, want alice's surrogate", referredBy, id, ok)
	}
	if left := p.scan(path, alice, bob); len(left) > 0 {
		t.Errorf("after retention and compacting, the file still holds: %v", left)
	}
}

// TestDecliningLeavesOnlyTheRefusalCount: /start then "No thanks" leaves
// the refusal count and the update offset; once the reply is delivered and
// the file compacted, no byte derives from the person's id.
func TestDecliningLeavesOnlyTheRefusalCount(t *testing.T) {
	p, path := newPV(t)
	p.finish(bob, "") // someone else, so the file is not empty
	p.step(alice, survey.Input{Kind: survey.InputStart, Text: "s-flyer"}, false)
	p.step(alice, survey.Input{Kind: survey.InputLanguage, Text: "en"}, true)
	p.deliver()
	p.step(alice, survey.Input{Kind: survey.InputDecline}, true)
	p.deliver()
	// Telegram delivering the same update again: a no-op, though its keys
	// (which name the chat) were not kept.
	again := chat.Update{ID: p.seq, Keys: []string{"c:" + strconv.FormatInt(int64(alice), 10) + ":" + strconv.FormatInt(4_000_000+p.seq, 10)}}
	if mustCommit(t, p.db, again, alice, func(s survey.Session, c chat.State) (chat.Result, error) {
		next, events, err := survey.Step(p.def, s, survey.Input{Kind: survey.InputDecline}, p.now)
		return chat.Result{Session: next, Events: events}, err
	}) {
		t.Error("the same decline delivered again was handled again")
	}
	if n, err := p.db.Counter(CounterConsentDeclined); n != 1 || err != nil {
		t.Errorf("refusals = %d %v, want 1", n, err)
	}
	err := p.db.View(func(tx *Tx) error {
		for _, name := range [][]byte{bucketSessions, bucketChats, bucketResponseKeys} {
			if tx.tx.Bucket(name).Get(idKey(alice)) != nil {
				t.Errorf("after declining, bucket %s holds alice", name)
			}
		}
		// Only bob's keys, and updates recorded by their id alone.
		return tx.tx.Bucket(bucketSeen).ForEach(func(k, _ []byte) error {
			if !strings.HasPrefix(string(k), "u:") && !strings.Contains(string(k), ":"+strconv.FormatInt(int64(bob), 10)+":") {
				t.Errorf("after declining, a handled-update key %q is left", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if left := p.scan(path, alice); len(left) > 0 {
		t.Errorf("after declining and compacting, the file still holds: %v", left)
	}
}

// TestMigrationTo5ClearsTraces: a schema-4 file with what earlier versions
// left (a surrogate keeping the code of its Telegram id, a source naming
// the code of someone deleted, the records of someone who declined a new
// notice) is cleared on opening.
func TestMigrationTo5ClearsTraces(t *testing.T) {
	p, path := newPV(t)
	p.finish(alice, "")
	p.finish(bob, p.db.ReferralCode(alice))
	p.finish(carol, "r-AAAAAAAAAAAA") // a code of no one
	p.finish(dan, "")
	p.deliver()
	aliceCode, danCode := p.db.ReferralCode(alice), p.db.ReferralCode(dan)
	bsClose(t, p.db)

	// Back to schema 4, as the old code left it: alice anonymised with her
	// code moved as it was, dan's session deleted by a refusal of a new
	// notice (his response, log, chat record and code left), no index.
	const sur = survey.RespondentID(-424242)
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Update(func(tx *bbolt.Tx) error {
		old := &Tx{db: &DB{path: path}, tx: tx}
		if err := old.moveWhole(alice, sur); err != nil {
			return err
		}
		of, codes := tx.Bucket(bucketReferralOf), tx.Bucket(bucketReferrals)
		if err := of.Delete(idKey(alice)); err != nil {
			return err
		}
		if err := of.Put(idKey(sur), []byte(aliceCode)); err != nil {
			return err
		}
		if err := codes.Put([]byte(aliceCode), idKey(sur)); err != nil {
			return err
		}
		// carol's source as stored before unknown codes were checked.
		if err := old.setSource(carol, "r-AAAAAAAAAAAA"); err != nil {
			return err
		}
		if err := tx.Bucket(bucketSessions).Delete(idKey(dan)); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketDigestIndex); err != nil { // schema 6's
			return err
		}
		if err := tx.DeleteBucket(bucketReferred); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, u64(4))
	})
	if err != nil || b.Close() != nil {
		t.Fatal(err)
	}

	db := bsOpen(t, path)
	p.db = db
	if _, ok, _ := db.Referrer(aliceCode); ok {
		t.Error("the code of alice's Telegram id still traces to her surrogate")
	}
	if id, ok, _ := db.Referrer(db.ReferralCode(sur)); !ok || id != sur {
		t.Errorf("the surrogate's own code traces to %d %v", id, ok)
	}
	if s, r := p.source(bob); s != db.ReferralCode(sur) || r != s {
		t.Errorf("bob's source = %q, %q; want the surrogate's code", s, r)
	}
	if s, r := p.source(carol); s != ReferralUnknown || r != ReferralUnknown {
		t.Errorf("carol's source = %q, %q; want %q", s, r, ReferralUnknown)
	}
	if _, ok, _ := db.Referrer(danCode); ok {
		t.Error("dan's code is left")
	}
	c, err := db.Counts()
	if err != nil || c.Responses != 3 || c.Chats != 2 || c.Schema != Schema {
		t.Errorf("counts = %+v, %v; want dan's response and chat record gone (alice's went with retention)", c, err)
	}
	if got, want := fmt.Sprint(p.referred()), fmt.Sprintf("[%s/%d]", db.ReferralCode(sur), bob); got != want {
		t.Errorf("index = %s, want %s", got, want)
	}
	if left := p.scan(path, alice, dan); len(left) > 0 {
		t.Errorf("after the migration and compacting, the file still holds: %v", left)
	}
}

// moveWhole moves a respondent to a surrogate as the old retention did,
// without touching referral records.
func (tx *Tx) moveWhole(id, nid survey.RespondentID) error {
	for _, name := range [][]byte{bucketSessions, bucketChats} {
		b := tx.tx.Bucket(name)
		if v := b.Get(idKey(id)); v != nil {
			if name[0] == 's' {
				if err := b.Put(idKey(nid), append([]byte(nil), v...)); err != nil {
					return err
				}
			}
			if err := b.Delete(idKey(id)); err != nil {
				return err
			}
		}
	}
	keys, responses := tx.tx.Bucket(bucketResponseKeys), tx.tx.Bucket(bucketResponses)
	rk := append([]byte(nil), keys.Get(idKey(id))...)
	nrk := append(append([]byte(nil), rk[:8]...), idKey(nid)...)
	if err := responses.Put(nrk, append([]byte(nil), responses.Get(rk)...)); err != nil {
		return err
	}
	if err := responses.Delete(rk); err != nil {
		return err
	}
	if err := keys.Put(idKey(nid), nrk); err != nil {
		return err
	}
	if err := keys.Delete(idKey(id)); err != nil {
		return err
	}
	if _, err := deletePrefix(tx.tx.Bucket(bucketAnswerLog), idKey(id)); err != nil {
		return err
	}
	_, _, err := tx.dropChatTraces(id)
	return err
}

// TestPreConsentStateExpires: what /start stores (session, handled keys)
// is forgotten once it has waited PreConsentFor without an answer to the
// notice, and nothing of the person is left in the file; someone who
// agreed, or who waits on a new version of a notice they agreed to, stays.
func TestPreConsentStateExpires(t *testing.T) {
	p, path := newPV(t)
	p.step(alice, survey.Input{Kind: survey.InputStart, Text: "s-flyer"}, false)
	p.step(alice, survey.Input{Kind: survey.InputLanguage, Text: "en"}, true)
	p.finish(bob, "")
	p.step(carol, survey.Input{Kind: survey.InputStart}, false)
	p.step(carol, survey.Input{Kind: survey.InputAgree}, true)
	def2 := bsDef(t)
	def2.Consent.Version = 2
	p.def = def2
	p.step(carol, survey.Input{Kind: survey.InputStart}, false) // asked the new notice
	p.deliver()
	if s, ok, _ := p.db.Session(carol); !ok || s.Status != survey.StatusAwaitingConsent || s.Consent == nil {
		t.Fatalf("carol: %+v", s)
	}
	last := p.now

	if n, err := p.db.ExpireUnconsented(last.Add(-time.Hour)); n != 0 || err != nil {
		t.Fatalf("too early: ExpireUnconsented = %d, %v", n, err)
	}
	if n, err := p.db.ExpireUnconsented(last.Add(time.Hour)); n != 1 || err != nil {
		t.Fatalf("ExpireUnconsented = %d, %v; want alice", n, err)
	}
	for id, want := range map[survey.RespondentID]bool{alice: false, bob: true, carol: true} {
		if _, ok, _ := p.db.Session(id); ok != want {
			t.Errorf("session of %d kept: %v, want %v", id, ok, want)
		}
	}
	if left := p.scan(path, alice); len(left) > 0 {
		t.Errorf("after the expiry and compacting, the file still holds: %v", left)
	}
}
