package store

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"toolmap/survey"
)

// fullSession sets every field of a session and its parts.
func fullSession() survey.Session {
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	n := -12.5
	s := survey.Session{
		SurveyID: "toolmap-default", Version: 3, Language: "es", Status: survey.StatusActive, Source: "r-abc",
		Consent:   &survey.Consented{Version: 2, At: t0},
		StartedAt: t0, UpdatedAt: t0.Add(time.Minute), CompletedAt: t0.Add(2 * time.Minute),
		Cursor:  survey.Cursor{Question: "tools", Item: "events"},
		Answers: map[string]survey.Answer{},
		History: []survey.Cursor{{Question: "kind"}, {Question: "tools", Item: "announce"}},
		Draft:   &survey.Draft{Values: []string{"whatsapp", "other"}, Others: []string{"Zetkin", "Loomio"}, Other: "Bandcamp", Page: 1, AwaitingOther: true},
		Review:  true,
	}
	for _, a := range []survey.Answer{
		{Question: "kind", Values: []string{"other"}, Other: "=HYPERLINK(\"x\")\n\ttab, «ünïcode» 🙂", Version: 1, At: t0},
		{Question: "size", Number: &n, Version: 2, At: t0.Add(time.Second)},
		{Question: "hard", Text: "quotes \" and \\ backslashes, \u2028 and <html>&", Version: 3, At: t0.Add(time.Nanosecond)},
		{Question: "area", Skipped: true, Version: 3, At: t0.In(time.FixedZone("", 3600))},
		{Question: "tools", Item: "events", Values: []string{"signal", "paper"}, Version: 3, At: t0},
		{Question: "tools", Item: "money", Values: []string{"other"}, Other: "Bizum", Others: []string{"Bizum", "Monzo «pot»"}, Version: 3, At: t0},
	} {
		s.Answers[a.Key()] = a
	}
	return s
}

// decodeCases are stored sessions, and JSON that is not quite one.
func decodeCases(t testing.TB) []string {
	full, err := json.Marshal(fullSession())
	if err != nil {
		t.Fatal(err)
	}
	minimal, _ := json.Marshal(survey.Session{})
	return []string{
		string(full), string(minimal),
		`{"survey":"s","version":1,"lang":"en","status":"completed","started_at":"2025-03-01T09:00:00Z","updated_at":"2025-03-01T09:00:00Z","answers":{}}`,
		` { "survey" : "s" , "answers" : { "a" : { "q" : "a" , "values" : [ ] , "version" : 0 , "at" : "2025-03-01T09:00:00+01:00" } } , "history" : [ ] } `,
		`{"survey":"s","future_field":{"x":[1,2.5e3,"y\u00e9",true,false,null,{}]},"answers":{"a":{"q":"a","new":-0.5}}}`,
		`{"Survey":"case folded"}`,
		`{"ſurvey":"unicode folded"}`,
		`{"survey":"a","survey":"b"}`,
		`{"answers":{"a":{"q":"x"},"a":{"q":"y","item":"i"}}}`,
		`{"survey":null,"consent":null,"answers":null}`,
		`{"version":1.0}`, `{"version":1e2}`, `{"version":01}`, `{"version":-0}`, `{"version":99999999999999999999}`,
		`{"answers":{"a":{"number":1e400}}}`, `{"answers":{"a":{"number":-0}}}`, `{"answers":{"a":{"number":0.1e-3}}}`,
		`{"survey":"esc\u0041\n\ud83d\ude42\ud800"}`, "{\"survey\":\"bad utf-8 \xff\"}", "{\"survey\":\"ctl \x01\"}",
		`{"started_at":"2025-13-01T00:00:00Z"}`, `{"started_at":"2025-03-01 09:00:00"}`, `{"started_at":null}`,
		`{"review":tru}`, `{"review":true}x`, `{"survey":"s"}{}`, `{"survey":"s",}`, `{"survey" "s"}`, `[]`, ``, `{`,
		`{"answers":{"a\u0062":{"q":"b"}}}`, `{"draft":{"values":[],"page":0}}`, `{"history":[{"q":"a","Item":"b"}]}`,
	}
}

func TestDecodeSessionAsJSON(t *testing.T) {
	d := newSessionDecoder()
	for _, in := range decodeCases(t) {
		var want, got survey.Session
		werr := json.Unmarshal([]byte(in), &want)
		gerr := d.decodeSession([]byte(in), &got, partAll)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("%s: error %v, json.Unmarshal %v", in, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: differs from json.Unmarshal (-json +got):\n%s", in, cmp.Diff(want, got))
		}
	}
}

// The sessions the bot stores take the fast path, not json.Unmarshal.
func TestDecodeSessionFastPath(t *testing.T) {
	d := newSessionDecoder()
	for _, s := range []survey.Session{fullSession(), {}} {
		data, _ := json.Marshal(s)
		d.b, d.i = data, 0
		var got survey.Session
		if !d.session(&got) {
			t.Errorf("%s: not read by the fast path", data)
		}
	}
}

// A field added to a session must be read by the fast decoder too, or
// every export falls back to encoding/json (correct, but slow).
func TestDecoderKnowsEveryField(t *testing.T) {
	for _, tc := range []struct {
		got  []string
		want []string
	}{
		{sessionFields, []string{"survey", "version", "lang", "status", "source", "consent", "started_at", "updated_at", "completed_at", "cursor", "answers", "history", "draft", "review"}},
		{answerFields, []string{"q", "item", "values", "other", "others", "text", "number", "skipped", "version", "at"}},
		{cursorFields, []string{"q", "item"}},
		{consentedFields, []string{"version", "at"}},
		{draftFields, []string{"values", "others", "other", "page", "awaiting_other"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("fields %v, the decoder reads %v: teach store/decode.go the new ones", tc.got, tc.want)
		}
	}
}

func FuzzDecodeSession(f *testing.F) {
	for _, in := range decodeCases(f) {
		f.Add(in)
	}
	d := newSessionDecoder()
	f.Fuzz(func(t *testing.T, in string) {
		var want, got, fast survey.Session
		werr := json.Unmarshal([]byte(in), &want)
		d.b, d.i, d.part = []byte(in), 0, partAll
		if d.session(&fast) {
			if werr != nil {
				t.Fatalf("%q: the fast path read what json.Unmarshal rejects: %v", in, werr)
			}
			if !reflect.DeepEqual(fast, want) {
				t.Fatalf("%q: fast path differs (-json +fast):\n%s", in, cmp.Diff(want, fast))
			}
		}
		gerr := d.decodeSession([]byte(in), &got, partAll)
		if (werr == nil) != (gerr == nil) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %v, json.Unmarshal %v", in, gerr, werr)
		}
		if werr != nil && !strings.Contains(gerr.Error(), werr.Error()) {
			t.Fatalf("%q: error %v, json.Unmarshal %v", in, gerr, werr)
		}
		checkParts(t, d, in, want, werr)
	})
}

// checkParts: what json.Unmarshal reads, each part reads too, with the
// same values for the fields it reads. (What it rejects, a part may read,
// when the problem is in a field the part skips.)
func checkParts(t *testing.T, d *sessionDecoder, in string, want survey.Session, werr error) {
	t.Helper()
	var digest, start survey.Session
	derr := d.decodeSession([]byte(in), &digest, partDigest)
	serr := d.decodeSession([]byte(in), &start, partStart)
	if werr != nil {
		return // the parts may read it: they skip the fields they do not read
	}
	if derr != nil || serr != nil {
		t.Errorf("%q: partDigest %v, partStart %v; json.Unmarshal reads it", in, derr, serr)
	}
	if diff := cmp.Diff(digestPart(want), digest); diff != "" {
		t.Errorf("%q: partDigest (-json +got):\n%s", in, diff)
	}
	if start.Status != want.Status || !start.StartedAt.Equal(want.StartedAt) {
		t.Errorf("%q: partStart read %q %v, json.Unmarshal %q %v", in, start.Status, start.StartedAt, want.Status, want.StartedAt)
	}
}

func TestDecodeSessionParts(t *testing.T) {
	d := newSessionDecoder()
	for _, in := range decodeCases(t) {
		var want survey.Session
		werr := json.Unmarshal([]byte(in), &want)
		checkParts(t, d, in, want, werr)
	}
}
