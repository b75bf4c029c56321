package store

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
)

// plainSession is a completed session as the bot stores them: ids, a
// little free text, times in UTC.
func plainSession(rng *rand.Rand, at time.Time) survey.Session {
	if rng.IntN(2) == 0 {
		at = at.In(time.FixedZone("", 3600)) // json.Marshal writes "+01:00"
	}
	texts := []string{"Leeds", "Hackney, London", "Sevilla y Cádiz", "x", "It is hard to keep everyone in the loop", "emoji 😀 ok"}
	ids := []string{"announce", "events", "money", "whatsapp", "paper", "other", "none", "yes", "no"}
	s := survey.Session{SurveyID: "toolmap-default", Version: 1 + rng.IntN(2), Language: "en", Status: survey.StatusCompleted,
		Source: []string{"", "s-flyer", "r-abc", "group"}[rng.IntN(4)], Consent: &survey.Consented{Version: 1, At: at},
		StartedAt: at.Add(-time.Hour), UpdatedAt: at, CompletedAt: at.Add(time.Duration(rng.IntN(1e9))), Cursor: survey.Cursor{Question: "hardest"},
		History: []survey.Cursor{{Question: "activities"}, {Question: "tools", Item: "events"}}, Answers: map[string]survey.Answer{}}
	for range 1 + rng.IntN(12) {
		q := ids[rng.IntN(len(ids))]
		a := survey.Answer{Question: q, Version: 1, At: at}
		if rng.IntN(2) == 0 {
			a.Item = ids[rng.IntN(len(ids))]
		}
		switch rng.IntN(4) {
		case 0:
			a.Text = texts[rng.IntN(len(texts))]
		case 1:
			a.Skipped = true
		default:
			for range 1 + rng.IntN(3) {
				a.Values = append(a.Values, ids[rng.IntN(len(ids))])
			}
			if slices.Contains(a.Values, "other") {
				a.Other = texts[rng.IntN(len(texts))]
				if rng.IntN(2) == 0 {
					a.Others = []string{a.Other, texts[rng.IntN(len(texts))]}
				}
			}
		}
		if rng.IntN(5) == 0 {
			n := 2.5
			a.Number = &n
		}
		s.Answers[a.Key()] = a
	}
	return s
}

// digestOf decodes data as the session decoder does for a digest, less
// each answer's question and item, as the fast reader leaves them out.
func digestOf(data []byte) (survey.Session, error) {
	var s survey.Session
	if err := newSessionDecoder().decodeSession(data, &s, partDigest); err != nil {
		return s, err
	}
	for k, a := range s.Answers {
		a.Question, a.Item = "", ""
		s.Answers[k] = a
	}
	if len(s.Answers) == 0 {
		s.Answers = nil
	}
	return s, nil
}

// fastOf reads data with r, as ScanDigest does, and copies the result.
func fastOf(r *fastReader, s *survey.Session, data []byte) (survey.Session, bool) {
	if !r.fastSession(data, s) {
		return survey.Session{}, false
	}
	c := *s
	c.Answers = nil
	for k, a := range s.Answers {
		if c.Answers == nil {
			c.Answers = map[string]survey.Answer{}
		}
		a.Values, a.Others = slices.Clone(a.Values), slices.Clone(a.Others)
		c.Answers[k] = a
	}
	return c, true
}

// TestFastSession: the fast reader reads records of the digest index as
// the session decoder does (and gives up on none), one after another with
// one reader, and gives up on whole sessions.
func TestFastSession(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	r, reused := newFastReader(), survey.Session{}
	for i := range 2000 {
		s := plainSession(rng, time.Date(2026, 11, 18, 9, 0, i, 0, time.UTC))
		session, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		record, err := encodeDigestRecord(&s)
		if err != nil {
			t.Fatal(err)
		}
		for k, data := range [][]byte{record, session} {
			got, ok := fastOf(r, &reused, data)
			if !ok {
				if k == 0 {
					t.Fatalf("the fast reader gave up on a record %s", data)
				}
				continue // a whole session: the decoder's
			}
			want, err := digestOf(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s\n(-decoder +fast):\n%s", data, diff)
			}
		}
	}
}

func TestFastTime(t *testing.T) {
	for _, s := range []string{"2026-11-18T12:14:53.088422752Z", "2026-11-18T12:14:53Z", "2024-02-29T23:59:59.5Z", "2026-01-01T00:00:00.000000001Z",
		"2026-07-18T12:14:53.25+01:00", "2026-07-18T00:14:53-05:30"} {
		want, err := time.Parse(time.RFC3339, s)
		got, ok := fastTime([]byte(s))
		if err != nil || !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("fastTime(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"2026-02-29T12:00:00Z", "2026-13-01T00:00:00Z", "2026-11-18T24:00:00Z", "2026-11-18T12:14:53+24:00", "2026-11-18T12:14:53+01:60", "2026-11-18T12:14:53.Z", "2026-11-18 12:14:53Z", "2026-11-18T12:14:53.1234567890Z"} {
		if _, ok := fastTime([]byte(s)); ok {
			t.Errorf("fastTime(%q) read it", s)
		}
	}
}

// FuzzFastSession: whatever the bytes, the fast reader does not panic,
// and when it reads them, the session decoder reads the same.
func FuzzFastSession(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 4 {
		s := plainSession(rng, time.Unix(1e9+int64(i), 0).UTC())
		record, _ := encodeDigestRecord(&s)
		f.Add(record)
		data, _ := json.Marshal(s)
		f.Add(data)
	}
	f.Add([]byte(`{"answers":{"k":{"values":["a","b"],"skipped":false,"other":"é"}},"source":"x","completed_at":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := fastOf(newFastReader(), &survey.Session{}, data)
		if !ok {
			return
		}
		want, err := digestOf(data)
		if err != nil {
			t.Fatalf("the session decoder refuses what the fast reader read: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-decoder +fast):\n%s", diff)
		}
	})
}
