package survey

import (
	"slices"
	"strconv"
	"strings"
)

// Plan returns the steps a respondent with these answers goes through, in
// order: every question whose condition holds, and for a matrix question one
// step for each row item picked (none until the rows question is answered).
func (def *Definition) Plan(s *Session) []Cursor { return def.plan(s.Answers) }

func (def *Definition) plan(answers map[string]Answer) []Cursor {
	out := make([]Cursor, 0, len(def.Questions)+8)
	for _, q := range def.Questions {
		if q.When != nil && !def.holds(q.When, answers) {
			continue
		}
		if q.Kind != KindMatrix {
			out = append(out, Cursor{Question: q.ID})
			continue
		}
		for _, item := range def.rowsPicked(q, answers) {
			out = append(out, Cursor{Question: q.ID, Item: item})
		}
	}
	return out
}

// rowsPicked returns the row items of matrix q picked in its rows question,
// in display order. Exclusive picks (such as "none of these") make no row;
// Other… makes one, labelled with the text typed.
func (def *Definition) rowsPicked(q *Question, answers map[string]Answer) []string {
	rq := def.Question(q.Rows)
	if rq == nil {
		return nil
	}
	a, ok := answers[rq.ID]
	if !ok || a.Skipped {
		return nil
	}
	var out []string
	for _, id := range a.Values {
		if id == OtherID {
			continue
		}
		if it := def.option(rq, id); it != nil && !it.Exclusive {
			out = append(out, id)
		}
	}
	if a.Has(OtherID) {
		out = append(out, OtherID)
	}
	return out
}

// holds evaluates a condition against the answers so far.
func (def *Definition) holds(c *Condition, answers map[string]Answer) bool {
	a, ok := answers[c.Question]
	given := ok && !a.Skipped
	switch {
	case len(c.AnyOf) > 0:
		return given && slices.ContainsFunc(c.AnyOf, a.Has)
	case len(c.NoneOf) > 0:
		return !given || !slices.ContainsFunc(c.NoneOf, a.Has)
	case c.Answered != nil:
		return given == *c.Answered
	case c.AtLeast != nil || c.AtMost != nil:
		if !given || a.Number == nil {
			return false
		}
		return (c.AtLeast == nil || *a.Number >= *c.AtLeast) && (c.AtMost == nil || *a.Number <= *c.AtMost)
	}
	return true
}

// pendingSteps estimates the steps not yet in the plan because what they
// depend on is unanswered: a matrix whose rows are not picked yet counts
// one, and a question whose condition tests an unanswered question counts
// as if it will be asked. Progress then grows less often as answers come in.
func (def *Definition) pendingSteps(answers map[string]Answer) int {
	n := 0
	for _, q := range def.Questions {
		if q.When != nil && !def.holds(q.When, answers) {
			if _, ok := answers[q.When.Question]; !ok && def.Question(q.When.Question) != nil {
				n++
			}
			continue
		}
		if q.Kind == KindMatrix {
			if _, ok := answers[q.Rows]; !ok {
				n++
			}
		}
	}
	return n
}

// rowLabel is how a matrix row is named: its item's label, or for Other…
// the text the respondent typed.
func (def *Definition) rowLabel(q *Question, item string, s *Session) string {
	if item == OtherID {
		if a, ok := s.Answers[q.Rows]; ok && a.Other != "" {
			return a.Other
		}
		return def.Msg(s.Language, "other")
	}
	if it := def.rowItem(q, item); it != nil {
		return def.Text(it.Label, s.Language)
	}
	return item
}

// ask emits the question at the cursor.
func (e *engine) ask(problem string) {
	e.emit(e.def.ask(&e.s, problem))
}

// AskAt builds the Ask for the session's current step, as Step would show
// it; adapters use it to show the question again (after /review, say).
func (def *Definition) AskAt(s *Session) (Ask, bool) {
	if s.Status != StatusActive || s.Cursor.IsZero() || def.Question(s.Cursor.Question) == nil {
		return Ask{}, false
	}
	return def.ask(s, ""), true
}

func (def *Definition) ask(s *Session, problem string) Ask {
	lang := s.Language
	cur := s.Cursor
	q := def.Question(cur.Question)
	plan := def.plan(s.Answers)
	a := Ask{
		At:      cur,
		Kind:    q.Kind,
		Problem: problem,
		CanBack: len(s.History) > 0,
		CanSkip: q.Optional,
		CanDone: q.Kind == KindMulti || q.Kind == KindMatrix,
	}
	a.Progress.Step = slices.Index(plan, cur) + 1
	a.Progress.Steps = len(plan) + def.pendingSteps(s.Answers)
	a.Title = def.Msg(lang, "progress", "n", strconv.Itoa(a.Progress.Step), "total", strconv.Itoa(a.Progress.Steps))
	a.Text = def.Text(q.Text, lang)

	hints := []string{}
	switch q.Kind {
	case KindSingle:
		hints = append(hints, def.Msg(lang, "hint_single"))
	case KindMulti, KindMatrix:
		hints = append(hints, def.Msg(lang, "hint_multi"))
	case KindText:
		hints = append(hints, def.Msg(lang, "hint_text"))
	case KindNumber:
		hints = append(hints, def.Msg(lang, "hint_number"))
	}
	if h := def.Text(q.Hint, lang); h != "" {
		hints = append([]string{h}, hints...)
	}
	if q.Optional {
		hints = append(hints, def.Msg(lang, "hint_optional"))
	}
	a.Hint = strings.Join(hints, " ")

	// The selection shown: the draft, else the recorded answer.
	var sel []string
	other := ""
	page := 0
	if d := s.Draft; d != nil {
		sel, other, page = d.Values, d.Other, d.Page
		a.AwaitingOther = d.AwaitingOther
	} else if ans, ok := s.Answers[cur.Key()]; ok && !ans.Skipped {
		sel, other = ans.Values, ans.Other
		switch q.Kind {
		case KindText:
			a.Value = ans.Text
		case KindNumber:
			if ans.Number != nil {
				a.Value = formatNumber(*ans.Number)
			}
		}
	}
	if a.AwaitingOther {
		a.OtherPrompt = def.Msg(lang, "other_prompt")
	}

	switch q.Kind {
	case KindSingle, KindMulti:
		for _, it := range def.choices(q) {
			a.Options = append(a.Options, def.choice(it, lang, sel))
		}
	case KindMatrix:
		rows := def.rowsPicked(q, s.Answers)
		a.Progress.Row = slices.Index(rows, cur.Item) + 1
		a.Progress.Rows = len(rows)
		label := def.rowLabel(q, cur.Item, s)
		a.Row = def.Msg(lang, "row_progress", "label", label, "n", strconv.Itoa(a.Progress.Row), "total", strconv.Itoa(a.Progress.Rows))
		a.Text = strings.ReplaceAll(a.Text, "{item}", label)
		cols := def.Catalogue(q.Columns)
		short, hasShort := q.Shortlist[cur.Item]
		a.More = hasShort && cols != nil && len(short) < len(cols.Items)
		a.Page = page
		if a.More && page == 0 {
			shown := map[string]bool{}
			for _, id := range short {
				if it := cols.Item(id); it != nil {
					a.Options = append(a.Options, def.choice(it, lang, sel))
					shown[id] = true
				}
			}
			// Picks from the full list stay visible on the shortlist.
			for _, it := range cols.Items {
				if !shown[it.ID] && slices.Contains(sel, it.ID) {
					a.Options = append(a.Options, def.choice(it, lang, sel))
				}
			}
		} else if cols != nil {
			a.Page = 1
			if !a.More {
				a.Page = 0
			}
			for _, it := range cols.Items {
				a.Options = append(a.Options, def.choice(it, lang, sel))
			}
		}
		for _, it := range q.Options {
			a.Options = append(a.Options, def.choice(it, lang, sel))
		}
	}
	if q.Other {
		c := Choice{ID: OtherID, Label: def.Msg(lang, "other"), Other: true, Selected: slices.Contains(sel, OtherID)}
		if c.Selected && other != "" {
			c.Label = def.Msg(lang, "other_answered", "text", other)
		}
		a.Options = append(a.Options, c)
	}
	return a
}

func (def *Definition) choice(it *Item, lang string, sel []string) Choice {
	return Choice{
		ID:        it.ID,
		Label:     def.Text(it.Label, lang),
		Selected:  slices.Contains(sel, it.ID),
		Exclusive: it.Exclusive,
	}
}

// Summary lists a session's answers as the respondent reads them, in
// survey order, for the end of the survey and for review.
func (def *Definition) Summary(s *Session) []SummaryLine {
	lang := s.Language
	var out []SummaryLine
	for _, c := range def.plan(s.Answers) {
		a, ok := s.Answers[c.Key()]
		if !ok {
			continue
		}
		q := def.Question(c.Question)
		name := def.Text(q.Short, lang)
		if name == "" {
			name = def.Text(q.Text, lang)
		}
		if q.Kind == KindMatrix {
			name = def.rowLabel(q, c.Item, s)
		}
		out = append(out, SummaryLine{At: c, Question: name, Answer: def.AnswerText(q, a, lang)})
	}
	return out
}

// AnswerText renders an answer for people: option labels joined with
// commas, the text typed, the number, or "(skipped)".
func (def *Definition) AnswerText(q *Question, a Answer, lang string) string {
	switch {
	case a.Skipped:
		return def.Msg(lang, "skipped")
	case a.Number != nil:
		return formatNumber(*a.Number)
	case q != nil && q.Kind == KindText:
		return a.Text
	case len(a.Values) == 0:
		return def.Msg(lang, "nothing")
	}
	labels := make([]string, 0, len(a.Values))
	for _, id := range a.Values {
		if id == OtherID && a.Other != "" {
			labels = append(labels, def.Msg(lang, "other_answered", "text", a.Other))
			continue
		}
		if q == nil {
			labels = append(labels, id)
			continue
		}
		labels = append(labels, def.Label(q, id, lang))
	}
	return strings.Join(labels, ", ")
}
