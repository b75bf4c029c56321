package store

import (
	"encoding/json"
	"testing"
	"time"

	"toolmap/survey"
)

// BenchmarkDecodeDigestSession reads one typical stored response (the
// default survey, two activities): fresh, the whole response as
// DigestResponses does; reused, its record in the digest index as
// ScanDigest does.
func BenchmarkDecodeDigestSession(b *testing.B) {
	at := time.Date(2026, 11, 18, 12, 14, 53, 88422752, time.UTC)
	ans := func(q, item string, values ...string) survey.Answer {
		return survey.Answer{Question: q, Item: item, Values: values, Version: 1, At: at}
	}
	s := survey.Session{SurveyID: "toolmap-default", Version: 1, Language: "en", Status: survey.StatusCompleted, Source: "web",
		Consent: &survey.Consented{Version: 1, At: at}, StartedAt: at, UpdatedAt: at, CompletedAt: at,
		Cursor: survey.Cursor{Question: "hardest"},
		Answers: map[string]survey.Answer{
			"group_kind": ans("group_kind", "", "sport"), "size": ans("size", "", "to_30"), "formality": ans("formality", "", "informal"),
			"area":          {Question: "area", Text: "Sevilla", Version: 1, At: at},
			"activities":    ans("activities", "", "recruit", "share"),
			"tools/recruit": ans("tools", "recruit", "instagram_x", "facebook"), "tools/share": ans("tools", "share", "email"),
			"hardest": {Question: "hardest", Skipped: true, Version: 1, At: at},
		},
		History: []survey.Cursor{{Question: "group_kind"}, {Question: "size"}, {Question: "formality"}, {Question: "area"},
			{Question: "activities"}, {Question: "tools", Item: "recruit"}, {Question: "tools", Item: "share"}},
	}
	data, err := json.Marshal(s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fresh", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var s survey.Session
			if err := newSessionDecoder().decodeSession(data, &s, partDigest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reused", func(b *testing.B) { // as ScanDigest reads
		data := encodeDigestRecord(&s)
		w := newDigestWorker(nil)
		fn := func(int, int, survey.RespondentID, *survey.Session) error { return nil }
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := w.read(0, 1, data, 0, fn); err != nil {
				b.Fatal(err)
			}
		}
	})
}
