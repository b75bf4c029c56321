package survey

import (
	"slices"
	"testing"
	"time"
)

// validNext lists the status changes a single step may make.
var validNext = map[Status][]Status{
	StatusNew:             {StatusAwaitingConsent},
	StatusAwaitingConsent: {StatusAwaitingConsent, StatusActive, StatusWithdrawn, StatusCompleted},
	StatusActive:          {StatusActive, StatusCompleted, StatusAwaitingConsent},
	StatusCompleted:       {StatusCompleted, StatusActive},
	StatusWithdrawn:       {StatusAwaitingConsent},
}

// FuzzStep feeds random inputs in random order. Each byte pair picks an
// input kind and an option or text. The engine must not panic, must record
// answers only for steps in the plan and only after consent, and may make
// only valid status changes.
func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 3, 0, 5, 1, 4, 4, 4, 5, 6, 0, 4, 1, 6, 0, 7, 2, 8, 3})
	f.Add([]byte{0, 0, 2, 0, 0, 0})
	f.Add([]byte{0, 0, 1, 0, 3, 9, 7, 0, 9, 9, 10, 1, 11, 3, 12, 0})
	def := fixture(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, def, data) })
}

// FuzzStepFrom is FuzzStep over a survey whose questions offer earlier
// picks (options_from), name earlier answers ({hardest}) and show a long
// list in pages. Answers to an options_from question must only ever pick
// what its source still offers.
func FuzzStepFrom(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 4, 1, 4, 2, 4, 6, 6, 3, 5, 0, 4, 9, 16, 1, 17, 2, 4, 21, 5, 0, 15, 0, 3, 1, 6, 4})
	f.Add([]byte{0, 0, 1, 0, 4, 6, 6, 3, 5, 0, 4, 10, 4, 21, 5, 0, 15, 0, 5, 0, 3, 9})
	def := fixtureFrom(f)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzOne(t, def, data) })
}

func fuzzOne(t *testing.T, def *Definition, data []byte) {
	var opts []string
	for _, q := range def.Questions {
		for _, it := range def.choices(q) {
			opts = append(opts, it.ID)
		}
	}
	texts := []string{"", "12", "abc", "Tenants", "0", "2.5", "choir", "WhatsApp", "es", "fr", "\x00\u202e", string(make([]byte, 60))}
	opts = append(opts, OtherID, "", "bogus", otherRef(0, "Tenants"), otherRef(1, "abc"), otherRef(0, "abc"), otherRef(9, "x"))
	cursors := def.plan(map[string]Answer{"acts": {Values: []string{"announce", "events", "money", OtherID}, Other: "abc"}})
	cursors = append(cursors, Cursor{}, Cursor{Question: "nope"}, Cursor{Question: "tools", Item: "zzz"})
	kinds := []InputKind{InputStart, InputAgree, InputDecline, InputChoose, InputToggle, InputDone, InputText,
		InputBack, InputSkip, InputMore, InputJump, InputRestart, InputExpire, InputLanguage, InputResume, "garbage",
		InputSame, InputPage}
	if len(data) > 600 {
		return // 300 steps is plenty; longer inputs only slow the fuzzer's minimising down
	}
	{
		var s Session
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i+1 < len(data); i += 2 {
			k, v := int(data[i]), int(data[i+1])
			in := Input{Kind: kinds[k%len(kinds)]}
			switch in.Kind {
			case InputChoose, InputToggle:
				in.Option = opts[v%len(opts)]
				if v&0x80 != 0 {
					in.At = cursors[v%len(cursors)]
				}
			case InputText, InputLanguage, InputStart:
				in.Text = texts[v%len(texts)]
			case InputJump, InputDone, InputSkip, InputMore:
				if v&0x80 != 0 || in.Kind == InputJump {
					in.At = cursors[v%len(cursors)]
				}
			case InputSame: // the row to copy: "" the one before
				in.Option = []string{"", "announce", "events", "money", OtherID, "zzz"}[v%6]
				if v&0x80 != 0 {
					in.At = cursors[v%len(cursors)]
				}
			case InputPage:
				in.Option = []string{"0", "1", "2", "3", "x"}[v%5]
			}
			now = now.Add(time.Second)
			next, evs, err := Step(def, s, in, now)
			if err != nil {
				t.Fatalf("step %d %+v: %v", i/2, in, err)
			}
			if !slices.Contains(validNext[s.Status], next.Status) {
				t.Fatalf("step %d %+v: status %q -> %q", i/2, in, s.Status, next.Status)
			}
			if next.Consent == nil && len(next.Answers) > 0 {
				t.Fatalf("step %d: answers without consent: %v", i/2, next.Answers)
			}
			plan := def.plan(next.Answers)
			for key := range next.Answers {
				if !slices.ContainsFunc(plan, func(c Cursor) bool { return c.Key() == key }) {
					t.Fatalf("step %d %+v: answer %q is not in the plan %v", i/2, in, key, plan)
				}
			}
			if next.Status == StatusActive && !slices.Contains(plan, next.Cursor) {
				t.Fatalf("step %d %+v: active cursor %v not in plan", i/2, in, next.Cursor)
			}
			if len(evs) == 0 && in.Kind != InputExpire {
				t.Fatalf("step %d %+v: no events", i/2, in)
			}
			if len(next.History) > maxHistory {
				t.Fatalf("history grew to %d", len(next.History))
			}
			e := &engine{def: def, s: next}
			for key, a := range next.Answers {
				if !e.stillOffered(a) {
					t.Fatalf("step %d %+v: answer %q picks what its source no longer offers: %+v", i/2, in, key, a)
				}
				if len(a.OtherNames()) > MaxOtherNames {
					t.Fatalf("step %d: answer %q has %d names under Other…", i/2, key, len(a.OtherNames()))
				}
			}
			s = next
		}
	}
}

// FuzzDecodeTap: anything decodes without panic, and whatever decodes
// encodes back to the same bytes.
func FuzzDecodeTap(f *testing.F) {
	f.Add("t:1:tools:events:whatsapp")
	f.Add("b:12::::")
	f.Add("t:2:tools:events:other.3.a1b2c3")
	f.Add("g:2:tools:events:12")
	f.Add("p:2:tools:money:")
	f.Add("c:3:kind::other")
	f.Fuzz(func(t *testing.T, s string) {
		tap, err := DecodeTap(s)
		if err != nil {
			return
		}
		if got := tap.Encode(); got != s {
			t.Fatalf("DecodeTap(%q).Encode() = %q", s, got)
		}
	})
}

// FuzzCleanText: cleaning is idempotent and leaves no control characters
// but line breaks.
func FuzzCleanText(f *testing.F) {
	f.Add("hello\x00\tworld\r\n")
	f.Add("\u202eevil\u200b")
	f.Fuzz(func(t *testing.T, s string) {
		c := CleanText(s)
		if CleanText(c) != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, CleanText(c))
		}
		for _, r := range c {
			if r < 0x20 && r != '\n' || r == 0x7f {
				t.Fatalf("control %U left in %q", r, c)
			}
		}
	})
}
