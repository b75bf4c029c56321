package store

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
)

// plainSession is a completed session as the bot stores them: ids, a
// little free text, times in UTC or with an offset.
func plainSession(rng *rand.Rand, at time.Time) survey.Session {
	if rng.IntN(2) == 0 {
		at = at.In(time.FixedZone("", 3600))
	}
	texts := []string{"Leeds", "Hackney, London", "Sevilla y Cádiz", "x", "It is hard to keep everyone in the loop", "emoji 😀 ok",
		`"quoted", \\ and <b>`, "a line\nand another", string(make([]byte, 200))}
	ids := []string{"announce", "events", "money", "whatsapp", "paper", "other", "none", "yes", "no"}
	s := survey.Session{SurveyID: "toolmap-default", Version: 1 + rng.IntN(2), Language: "en", Status: survey.StatusCompleted,
		Source: []string{"", "s-flyer", "r-abc", "group"}[rng.IntN(4)], Consent: &survey.Consented{Version: 1, At: at},
		StartedAt: at.Add(-time.Hour), UpdatedAt: at, CompletedAt: at.Add(time.Duration(rng.IntN(1e9))), Cursor: survey.Cursor{Question: "hardest"},
		History: []survey.Cursor{{Question: "activities"}, {Question: "tools", Item: "events"}}, Answers: map[string]survey.Answer{}}
	if rng.IntN(20) == 0 {
		s.CompletedAt = time.Time{}
	}
	for range rng.IntN(13) {
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

// digestOf decodes a stored response as the session decoder does for a
// digest (DigestResponses), less each answer's question and item, which
// the digest index leaves out.
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

// readRecord reads record data with r into s, as ScanDigest does, and
// copies the result (nil answers for none).
func readRecord(r *recordReader, s *survey.Session, data []byte) (survey.Session, error) {
	if err := r.read(data, s); err != nil {
		return survey.Session{}, err
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
	return c, nil
}

// TestDigestRecord: a record of the digest index reads back as the
// session decoder reads the response it was made from, one after another
// with one reader and one session; the same session makes the same bytes.
func TestDigestRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	r, reused := newRecordReader(), survey.Session{}
	for i := range 3000 {
		s := plainSession(rng, time.Date(2026, 11, 18, 9, 0, i, 0, time.UTC))
		session, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		record := encodeDigestRecord(&s)
		if again := encodeDigestRecord(&s); !slices.Equal(record, again) {
			t.Fatalf("two records of one session: %x, %x", record, again)
		}
		got, err := readRecord(r, &reused, record)
		if err != nil {
			t.Fatalf("reading %x: %v", record, err)
		}
		want, err := digestOf(session)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%s\n(-decoder +record):\n%s", session, diff)
		}
	}
}

// TestDigestRecordRefused: a record that is cut short, has bytes after
// it, is of another format or holds what no record holds is an error.
func TestDigestRecordRefused(t *testing.T) {
	at := time.Date(2026, 11, 18, 9, 0, 0, 5, time.UTC)
	s := survey.Session{Source: "s-flyer", CompletedAt: at, Answers: map[string]survey.Answer{
		"activities": {Values: []string{"events", "other"}, Other: "Running a food bank", Others: []string{"Running a food bank"}},
		"hard_why":   {Text: "Too many chats"}, "recommend": {Skipped: true}}}
	record := encodeDigestRecord(&s)
	for name, data := range map[string][]byte{
		"empty":        {},
		"format 2":     append([]byte{2}, record[1:]...),
		"cut short":    record[:len(record)-1],
		"bytes after":  append(slices.Clone(record), 0),
		"time kind 2":  {recordFormat, 0, 2},
		"nanoseconds":  {recordFormat, 0, 1, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0},
		"year 10000":   append(append([]byte{recordFormat, 0, 1}, varint(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())...), 0, 0),
		"flags":        {recordFormat, 0, 0, 1, 1, 'k', 0x08, 0, 0},
		"not UTF-8":    {recordFormat, 2, 0xff, 'x', 0, 0},
		"answer count": {recordFormat, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"string size":  {recordFormat, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if _, err := readRecord(newRecordReader(), &survey.Session{}, data); err == nil {
			t.Errorf("%s: %x read", name, data)
		}
	}
	got, err := readRecord(newRecordReader(), &survey.Session{}, record)
	if err != nil || !got.CompletedAt.Equal(at) || got.Answers["activities"].Others[0] != "Running a food bank" || !got.Answers["recommend"].Skipped {
		t.Errorf("the record itself: %+v, %v", got, err)
	}
}

func varint(x int64) []byte {
	var b [10]byte
	return b[:binary.PutVarint(b[:], x)]
}

// FuzzDigestRecord: whatever the bytes, reading them does not panic, and
// what it reads, written again, reads the same.
func FuzzDigestRecord(f *testing.F) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 6 {
		s := plainSession(rng, time.Unix(1e9+int64(i), 0).UTC())
		f.Add(encodeDigestRecord(&s))
	}
	f.Add([]byte{recordFormat, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readRecord(newRecordReader(), &survey.Session{}, data)
		if err != nil {
			return
		}
		again, err := readRecord(newRecordReader(), &survey.Session{}, encodeDigestRecord(&got))
		if err != nil {
			t.Fatalf("a record written from what was read: %v", err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("(-read +written and read again):\n%s", diff)
		}
	})
}
