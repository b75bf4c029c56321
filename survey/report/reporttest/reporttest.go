// Package reporttest builds survey responses for tests of digests: each
// through the real conversation engine (survey.Step), as a respondent would
// give it, so that tests see exactly what the store keeps.
package reporttest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"toolmap/survey"
)

// Response describes one respondent's answers.
type Response struct {
	// At is when they finished. They start Took earlier (default ten
	// minutes).
	At   time.Time
	Took time.Duration
	// Source is the deep-link payload they came with, e.g. "s-flyer".
	Source string
	// Language is the survey language they chose; "" keeps the default.
	Language string
	// Tools maps each activity the group does to the tools it uses for it.
	// "other:Name" names a tool under Other…; an activity with no tools
	// gets the matrix's exclusive option ("none"), or its first option of
	// its own ("in person"). The activity "other:Name" is an activity given
	// under Other….
	Tools map[string][]string
	// Hard answers the free-text question HardQuestion; "" skips it.
	Hard string
	// Quote answers QuoteQuestion (asked only after Hard): true picks
	// "yes", false "no".
	Quote bool
	// Choices answer single-choice questions by id with the option to
	// pick; "" skips an optional one. Others get their first option.
	Choices map[string]string
	// Texts answer text questions by id; "" skips an optional one.
	Texts map[string]string
}

// Question ids of the default survey that Respond answers from Response.
const (
	HardQuestion  = "hard_why"
	QuoteQuestion = "quote_ok"
)

// Respond walks a new session through the survey, answering from r, and
// returns the completed session. Questions it knows nothing about get
// their first option, their minimum, "x", or a skip when they may be
// skipped.
func Respond(def *survey.Definition, r Response) (survey.Session, error) {
	took := r.Took
	if took == 0 {
		took = 10 * time.Minute
	}
	now := r.At.Add(-took)
	var s survey.Session
	in := survey.Input{Kind: survey.InputStart, Text: r.Source}
	if r.Language != "" {
		in = survey.Input{Kind: survey.InputLanguage, Text: r.Language}
	}
	for range 1000 {
		next, events, err := survey.Step(def, s, in, now)
		if err != nil {
			return s, err
		}
		if completes(events) {
			// Give the last answer at the finishing time.
			next, events, err = survey.Step(def, s, in, r.At)
			if err != nil {
				return s, err
			}
			if !completes(events) {
				return next, fmt.Errorf("the last answer did not complete the survey at %v", r.At)
			}
			return next, nil
		}
		s = next
		now = now.Add(time.Second)
		if len(events) == 0 {
			return s, fmt.Errorf("no event after %+v", in)
		}
		switch ev := events[len(events)-1].(type) {
		case survey.AskConsent:
			if r.Language != "" && s.Source == "" && r.Source != "" {
				in = survey.Input{Kind: survey.InputStart, Text: r.Source}
				continue
			}
			in = survey.Input{Kind: survey.InputAgree}
		case survey.Ask:
			if ev.Problem != "" {
				return s, fmt.Errorf("at %s: %s", ev.At.Key(), ev.Problem)
			}
			in = answer(def, r, ev, s)
		case survey.Withdrawn:
			return s, fmt.Errorf("withdrawn: %s", ev.Reason)
		default:
			return s, fmt.Errorf("unexpected event %T", ev)
		}
	}
	return s, fmt.Errorf("the survey did not end")
}

func completes(events []survey.Event) bool {
	for _, ev := range events {
		if c, ok := ev.(survey.Completed); ok && c.Recorded {
			return true
		}
	}
	return false
}

// answer decides the next input at question a.
func answer(def *survey.Definition, r Response, a survey.Ask, s survey.Session) survey.Input {
	q := def.Question(a.At.Question)
	at := a.At
	selected := func(id string) bool {
		if slices.Contains(a.Selection, id) {
			return true // ticked, on this page or another (Other… once a name is given)
		}
		for _, c := range a.Options {
			if c.ID == id {
				return c.Selected
			}
		}
		return s.Draft != nil && slices.Contains(s.Draft.Values, id)
	}
	// want returns the picks wanted at this multi-select step, with the
	// text for Other… ("" when none).
	want := func() ([]string, string) {
		var ids []string
		other := ""
		var names []string
		switch {
		case q.Kind == survey.KindMatrix:
			names = r.Tools[at.Item]
			if at.Item == survey.OtherID {
				for k, v := range r.Tools {
					if strings.HasPrefix(k, "other:") {
						names = v
					}
				}
			}
			if len(names) == 0 && len(q.Options) > 0 {
				// No tool: the matrix's exclusive option ("none" in
				// version 1), else its first own option ("in person").
				names = []string{q.Options[0].ID}
				for _, o := range q.Options {
					if o.Exclusive {
						names = []string{o.ID}
					}
				}
			}
		case q.Kind == survey.KindMulti && q.ID == matrixRows(def):
			for k := range r.Tools {
				names = append(names, k)
			}
			slices.Sort(names)
		default:
			if len(a.Options) > 0 {
				names = []string{a.Options[0].ID}
			}
		}
		for _, n := range names {
			if t, ok := strings.CutPrefix(n, "other:"); ok {
				other = t
				continue
			}
			ids = append(ids, n)
		}
		return ids, other
	}
	switch q.Kind {
	case survey.KindSingle:
		if c, ok := r.Choices[q.ID]; ok {
			if c == "" {
				return survey.Input{Kind: survey.InputSkip, At: at}
			}
			return survey.Input{Kind: survey.InputChoose, At: at, Option: c}
		}
		if q.ID == QuoteQuestion {
			for _, o := range q.Options {
				if (o.ID == "yes") == r.Quote {
					return survey.Input{Kind: survey.InputChoose, At: at, Option: o.ID}
				}
			}
		}
		return survey.Input{Kind: survey.InputChoose, At: at, Option: a.Options[0].ID}
	case survey.KindText:
		if t, ok := r.Texts[q.ID]; ok {
			if t == "" {
				return survey.Input{Kind: survey.InputSkip, At: at}
			}
			return survey.Input{Kind: survey.InputText, At: at, Text: t}
		}
		switch {
		case q.ID == HardQuestion && r.Hard != "":
			return survey.Input{Kind: survey.InputText, At: at, Text: r.Hard}
		case q.Optional:
			return survey.Input{Kind: survey.InputSkip, At: at}
		}
		return survey.Input{Kind: survey.InputText, At: at, Text: "x"}
	case survey.KindNumber:
		v := 1.0
		if q.MinValue != nil {
			v = *q.MinValue
		}
		return survey.Input{Kind: survey.InputText, At: at, Text: fmt.Sprint(v)}
	}
	// Multi and matrix: tick what is wanted, one tap at a time, then Done.
	if a.AwaitingOther {
		_, other := want()
		return survey.Input{Kind: survey.InputText, At: at, Text: other}
	}
	ids, other := want()
	for _, id := range ids {
		if !selected(id) {
			return survey.Input{Kind: survey.InputToggle, At: at, Option: id}
		}
	}
	if other != "" && !selected(survey.OtherID) {
		return survey.Input{Kind: survey.InputToggle, At: at, Option: survey.OtherID}
	}
	return survey.Input{Kind: survey.InputDone, At: at}
}

// matrixRows returns the id of the question whose picks are the rows of
// the first matrix question.
func matrixRows(def *survey.Definition) string {
	for _, q := range def.Questions {
		if q.Kind == survey.KindMatrix {
			return q.Rows
		}
	}
	return ""
}

// Monday is the first day of week 2026-W47, the week of Typical; Europe/London
// is on UTC then.
var Monday = time.Date(2026, time.November, 16, 0, 0, 0, 0, time.UTC)

// Quotes of Typical: the first three allowed quotation, the last two did
// not.
var Quotes = []string{
	"Everyone is on a different app, so messages get lost.",
	"We can't afford the paid plans, and the free ones keep changing.",
	"Keeping the member list up to date by hand takes hours every month.",
	"PRIVATE: our branch secretary is burning out.",
	"PRIVATE: the landlord reads our Facebook page.",
}

// Typical returns a typical week for the default survey: eight responses in
// 2026-W47 and six in the week before.
//
// This week: five groups from the link s-flyer announce on WhatsApp and
// Facebook and coordinate on Signal and "Mastodon" (typed under Other…),
// each with a quote (Quotes; the first three may be quoted). Three more
// (two without a link, one from a personal invitation, one in Spanish)
// announce on WhatsApp (and type "WA", an alias of WhatsApp, under
// Other…) and organise events on paper and "mastodon"; one of them also
// names "Zoomerang". The week before: six groups announce on Facebook and
// coordinate on WhatsApp.
func Typical() []Response {
	var rs []Response
	for i := range 5 {
		rs = append(rs, Response{
			At:     Monday.Add(time.Duration(i)*24*time.Hour + 10*time.Hour),
			Source: "s-flyer",
			Tools: map[string][]string{
				"announce":   {"whatsapp", "facebook"},
				"coordinate": {"signal", "other:Mastodon"},
			},
			Hard:  Quotes[i],
			Quote: i < 3,
		})
	}
	for i, src := range []string{"", "", "r-x7k2"} {
		events := []string{"paper", "other:mastodon"}
		if i == 2 {
			events = []string{"paper", "other:mastodon, Zoomerang"}
		}
		lang := ""
		if i == 0 {
			lang = "es"
		}
		rs = append(rs, Response{
			At:       Monday.Add(5*24*time.Hour + time.Duration(12+i)*time.Hour),
			Source:   src,
			Language: lang,
			Tools: map[string][]string{
				"announce": {"whatsapp", "other:WA"},
				"events":   events,
			},
		})
	}
	for i := range 6 {
		rs = append(rs, Response{
			At:     Monday.Add(-7*24*time.Hour + time.Duration(i)*time.Hour + 9*time.Hour),
			Source: "s-flyer",
			Tools: map[string][]string{
				"announce":   {"facebook"},
				"coordinate": {"whatsapp"},
			},
		})
	}
	return rs
}

// RespondAll gives each response through the engine.
func RespondAll(def *survey.Definition, rs []Response) ([]survey.Session, error) {
	out := make([]survey.Session, 0, len(rs))
	for i, r := range rs {
		s, err := Respond(def, r)
		if err != nil {
			return nil, fmt.Errorf("response %d: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Synthetic returns n responses finished at even intervals from start over
// span: copies of 64 engine-made responses with varied activities, tools,
// names under Other…, quotes (half allowed) and sources. It is for
// benchmarks.
func Synthetic(def *survey.Definition, n int, start time.Time, span time.Duration) ([]survey.Session, error) {
	rng := rand.New(rand.NewPCG(47, 2026))
	acts := []string{"announce", "coordinate", "events", "meet_online", "recruit", "promote", "money", "decide", "share", "mutual_aid"}
	tools := []string{"whatsapp", "facebook", "signal", "telegram", "email", "google_ws", "zoom", "paper", "instagram_x", "canva", "crowdfund", "loomio"}
	others := []string{"Mastodon", "wa", "Bluesky", "", "", ""}
	sources := []string{"", "s-flyer", "s-radio", "r-abc", "g-xyz"}
	templates := make([]survey.Session, 0, 64)
	for i := range 64 {
		r := Response{At: start, Source: sources[i%len(sources)], Tools: map[string][]string{}, Choices: map[string]string{}}
		// Profile answers vary (kind of group, size…), the first options
		// more often, so that a map's views are not empty.
		for k, q := range def.Questions {
			if q.Kind != survey.KindSingle || q.When != nil || q.ID == QuoteQuestion || len(q.Options) < 2 {
				continue
			}
			r.Choices[q.ID] = q.Options[(i*(k+3)/7)%len(q.Options)].ID
		}
		for _, a := range acts {
			if rng.IntN(2) == 0 {
				continue
			}
			var ts []string
			for _, t := range tools {
				if rng.IntN(4) == 0 {
					ts = append(ts, t)
				}
			}
			if o := others[rng.IntN(len(others))]; o != "" {
				ts = append(ts, "other:"+o)
			}
			r.Tools[a] = ts
		}
		if len(r.Tools) == 0 {
			r.Tools["announce"] = []string{"whatsapp"}
		}
		if i%3 == 0 {
			r.Hard, r.Quote = fmt.Sprintf("It is hard to keep everyone in the loop (%d)", i), i%2 == 0
		}
		s, err := Respond(def, r)
		if err != nil {
			return nil, err
		}
		templates = append(templates, s)
	}
	out := make([]survey.Session, n)
	step := span / time.Duration(max(n, 1))
	for i := range out {
		s := templates[i%len(templates)]
		at := start.Add(time.Duration(i) * step)
		s.StartedAt, s.CompletedAt, s.UpdatedAt = at.Add(-10*time.Minute), at, at
		out[i] = s
	}
	return out, nil
}
