package survey

import (
	"maps"
	"slices"
	"time"
)

// RespondentID identifies a respondent: their Telegram user id, or a local
// id in toolmap try. It needs 64 bits.
type RespondentID int64

// Status is where a session stands.
type Status string

// The statuses of a session. A zero Session has status StatusNew.
const (
	StatusNew             Status = ""
	StatusAwaitingConsent Status = "awaiting_consent"
	StatusActive          Status = "active"
	StatusCompleted       Status = "completed"
	StatusWithdrawn       Status = "withdrawn"
)

// Cursor points at one step of a survey: a question, and for a matrix
// question the row item (an activity, say).
type Cursor struct {
	Question string `json:"q"`
	Item     string `json:"item,omitempty"`
}

// Key is the cursor as one string: "kind", or "tools/events" for a matrix row.
func (c Cursor) Key() string {
	if c.Item == "" {
		return c.Question
	}
	return c.Question + "/" + c.Item
}

// IsZero reports whether the cursor points nowhere.
func (c Cursor) IsZero() bool { return c.Question == "" }

// Answer is one recorded answer. A multi-select is one answer holding all
// its picks.
type Answer struct {
	Question string    `json:"q"`
	Item     string    `json:"item,omitempty"`   // matrix row
	Values   []string  `json:"values,omitempty"` // option ids, in display order; OtherID for Other…
	Other    string    `json:"other,omitempty"`  // the free text given with Other…: the first name
	Others   []string  `json:"others,omitempty"` // every name given with Other…, when there are several
	Text     string    `json:"text,omitempty"`   // a text question's answer
	Number   *float64  `json:"number,omitempty"` // a number question's answer
	Skipped  bool      `json:"skipped,omitempty"`
	Version  int       `json:"version"` // the survey version it was given under
	At       time.Time `json:"at"`
}

// Cursor returns where the answer belongs.
func (a Answer) Cursor() Cursor { return Cursor{Question: a.Question, Item: a.Item} }

// Has reports whether the answer includes option id.
func (a Answer) Has(id string) bool { return slices.Contains(a.Values, id) }

// OtherNames returns the names given with Other…: one for an answer
// recorded before several were possible (Other), all of them otherwise.
func (a Answer) OtherNames() []string {
	if len(a.Others) > 0 {
		return a.Others
	}
	if a.Other != "" {
		return []string{a.Other}
	}
	return nil
}

// setOtherNames records names as OtherNames returns them: the first in
// Other, as a single name always was, and all in Others when there are
// several.
func (a *Answer) setOtherNames(names []string) {
	a.Other, a.Others = "", nil
	if len(names) > 0 {
		a.Other = names[0]
	}
	if len(names) > 1 {
		a.Others = slices.Clone(names)
	}
}

func (a Answer) sameAs(b Answer) bool {
	return a.Question == b.Question && a.Item == b.Item && slices.Equal(a.Values, b.Values) &&
		slices.Equal(a.OtherNames(), b.OtherNames()) && a.Text == b.Text && a.Skipped == b.Skipped &&
		(a.Number == nil) == (b.Number == nil) && (a.Number == nil || *a.Number == *b.Number)
}

// Consented records agreement to a version of the consent notice.
type Consented struct {
	Version int       `json:"version"`
	At      time.Time `json:"at"`
}

// Draft is the selection being built at the cursor of a multi or matrix
// question, kept in the session so that every tap is durable.
type Draft struct {
	Values []string `json:"values,omitempty"`
	// Others are the names given with Other…, in the order given. Other
	// is the one name a draft stored before several were possible.
	Others        []string `json:"others,omitempty"`
	Other         string   `json:"other,omitempty"`
	Page          int      `json:"page,omitempty"` // 0: the shortlist (or the first page); n: page n of the full list
	AwaitingOther bool     `json:"awaiting_other,omitempty"`
}

// names returns the names given with Other… so far.
func (d *Draft) names() []string {
	if len(d.Others) == 0 && d.Other != "" {
		return []string{d.Other}
	}
	return d.Others
}

// setNames replaces the names given with Other….
func (d *Draft) setNames(names []string) {
	d.Others, d.Other = names, ""
}

// Session is one respondent's progress through a survey. The engine never
// modifies a Session it is given; Step returns a new one. It is stored as
// JSON.
type Session struct {
	SurveyID    string            `json:"survey"`
	Version     int               `json:"version"` // the survey version the session last ran under
	Language    string            `json:"lang"`
	Status      Status            `json:"status"`
	Source      string            `json:"source,omitempty"` // deep-link payload it started from
	Consent     *Consented        `json:"consent,omitempty"`
	StartedAt   time.Time         `json:"started_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	CompletedAt time.Time         `json:"completed_at,omitzero"`
	Cursor      Cursor            `json:"cursor,omitzero"`
	Answers     map[string]Answer `json:"answers,omitempty"` // by Cursor.Key
	History     []Cursor          `json:"history,omitempty"` // where Back goes, most recent last
	Draft       *Draft            `json:"draft,omitempty"`
	Review      bool              `json:"review,omitempty"` // after a jump: next goes to the first unanswered step
}

// maxHistory bounds the Back history.
const maxHistory = 256

// Answer returns the answer at c.
func (s *Session) Answer(c Cursor) (Answer, bool) {
	a, ok := s.Answers[c.Key()]
	return a, ok
}

// Clone returns a deep copy.
func (s Session) Clone() Session {
	s.Answers = maps.Clone(s.Answers)
	for k, a := range s.Answers {
		a.Values = slices.Clone(a.Values)
		a.Others = slices.Clone(a.Others)
		if a.Number != nil {
			n := *a.Number
			a.Number = &n
		}
		s.Answers[k] = a
	}
	s.History = slices.Clone(s.History)
	if s.Consent != nil {
		c := *s.Consent
		s.Consent = &c
	}
	if s.Draft != nil {
		d := *s.Draft
		d.Values = slices.Clone(d.Values)
		d.Others = slices.Clone(d.Others)
		s.Draft = &d
	}
	return s
}

// SortedAnswers returns the answers in survey order: questions as defined,
// matrix rows in the order of their items.
func (def *Definition) SortedAnswers(s *Session) []Answer {
	return def.For(s).sortedAnswers(s)
}

func (def *Definition) sortedAnswers(s *Session) []Answer {
	out := make([]Answer, 0, len(s.Answers))
	for _, a := range s.Answers {
		out = append(out, a)
	}
	rank := func(a Answer) (int, int) {
		qi, ok := def.byQuestion[a.Question]
		if !ok {
			qi = len(def.Questions)
		}
		ii := -1
		if a.Item != "" {
			ii = 1 << 20
			if q := def.Question(a.Question); q != nil {
				if rq := def.Question(q.Rows); rq != nil {
					for i, it := range def.choices(rq) {
						if it.ID == a.Item {
							ii = i
						}
					}
				}
			}
		}
		return qi, ii
	}
	slices.SortStableFunc(out, func(a, b Answer) int {
		aq, ai := rank(a)
		bq, bi := rank(b)
		if aq != bq {
			return aq - bq
		}
		if ai != bi {
			return ai - bi
		}
		if a.Key() < b.Key() {
			return -1
		}
		if a.Key() > b.Key() {
			return 1
		}
		return 0
	})
	return out
}

// Key is the answer's cursor key.
func (a Answer) Key() string { return a.Cursor().Key() }
