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
		if !def.namedGiven(q, answers) {
			continue // it names an answer not given
		}
		if q.OptionsFrom != "" && !def.picked(q, answers) {
			continue // nothing picked in its source
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

// namedGiven reports whether every answer q's wording names was given.
func (def *Definition) namedGiven(q *Question, answers map[string]Answer) bool {
	for _, id := range q.names {
		if a, ok := answers[id]; !ok || a.Skipped {
			return false
		}
	}
	return true
}

// offered returns what an options_from question offers, given the
// answers: the items picked in its source, in the source's order, then the
// question's own options; and, apart, the names typed under Other… in the
// source. Any other question offers all its choices and no names.
func (def *Definition) offered(q *Question, answers map[string]Answer) (items []*Item, names []string) {
	if q.OptionsFrom == "" {
		return def.choices(q), nil
	}
	src := def.Question(q.OptionsFrom)
	if src == nil {
		return q.Options, nil
	}
	picked := map[string]bool{}
	switch src.Kind {
	case KindMulti:
		if a, ok := answers[src.ID]; ok && !a.Skipped {
			for _, v := range a.Values {
				picked[v] = true
			}
			names = slices.Clone(a.OtherNames())
		}
	case KindMatrix:
		for _, row := range def.rowsPicked(src, answers) {
			a, ok := answers[Cursor{Question: src.ID, Item: row}.Key()]
			if !ok || a.Skipped {
				continue
			}
			for _, v := range a.Values {
				picked[v] = true
			}
			for _, n := range a.OtherNames() {
				names = addName(names, n)
			}
		}
	}
	for _, it := range def.sourceItems(q) {
		if picked[it.ID] {
			items = append(items, it)
		}
	}
	return append(items, q.Options...), names
}

// picked reports whether an options_from question's source has a pick to
// offer: what offered would find, without building the list.
func (def *Definition) picked(q *Question, answers map[string]Answer) bool {
	src := def.Question(q.OptionsFrom)
	if src == nil {
		return false
	}
	offers := func(a Answer) bool {
		if a.Skipped {
			return false
		}
		for _, v := range a.Values {
			if v == OtherID && len(a.OtherNames()) > 0 {
				return true
			}
			if it := def.option(src, v); it != nil && !it.Exclusive && (src.Kind == KindMulti || def.Catalogue(src.Columns).Item(v) != nil) {
				return true
			}
		}
		return false
	}
	switch src.Kind {
	case KindMulti:
		a, ok := answers[src.ID]
		return ok && offers(a)
	case KindMatrix:
		for _, row := range def.rowsPicked(src, answers) {
			if a, ok := answers[Cursor{Question: src.ID, Item: row}.Key()]; ok && offers(a) {
				return true
			}
		}
	}
	return false
}

// MaxSameOffers is the most "Same as…" buttons a matrix row offers.
const MaxSameOffers = 3

// SameOffer is a "Same as…" button of a matrix row: it answers the row as
// the earlier row Item was answered (InputSame with Item as Option), and
// moves on. Label is that row's label. Plus is set when something is
// ticked already: the tap then keeps those ticks and adds the earlier
// row's.
type SameOffer struct {
	Item, Label string
	Plus        bool
}

// sameOffers returns the earlier rows a matrix row offers to copy (see
// Ask.SameAs), given what is ticked (sel, and names given under Other…):
// each distinct answer given to the rows before the current one, the one
// given most often first, then the most recent, each named after the
// latest row given it. An answer that would add nothing to the ticks, or
// that cannot go with them (an option that goes on its own, on either
// side), is not offered.
func (def *Definition) sameOffers(q *Question, s *Session, sel, names []string) []SameOffer {
	if q.Kind != KindMatrix {
		return nil
	}
	rows := def.rowsPicked(q, s.Answers)
	i := slices.Index(rows, s.Cursor.Item)
	if i < 1 {
		return nil
	}
	type offer struct {
		item      string
		key       string
		n, latest int
	}
	var offers []*offer
	for j, row := range rows[:i] {
		a, ok := def.earlierRow(q, s, row)
		if !ok || !def.adds(q, a, sel, names) {
			continue
		}
		key := strings.Join(a.Values, "\x00") + "\x01" + strings.Join(a.OtherNames(), "\x00")
		k := slices.IndexFunc(offers, func(o *offer) bool { return o.key == key })
		if k < 0 {
			offers = append(offers, &offer{key: key})
			k = len(offers) - 1
		}
		offers[k].item, offers[k].latest = row, j
		offers[k].n++
	}
	slices.SortStableFunc(offers, func(a, b *offer) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return b.latest - a.latest
	})
	var out []SameOffer
	for _, o := range offers[:min(len(offers), MaxSameOffers)] {
		out = append(out, SameOffer{Item: o.item, Label: def.rowLabel(q, o.item, s), Plus: len(sel) > 0})
	}
	return out
}

// adds reports whether copying earlier answer a onto the ticks sel (and
// names) adds something, and can: nothing is ticked, or neither side has
// an option that goes on its own.
func (def *Definition) adds(q *Question, a Answer, sel, names []string) bool {
	if len(sel) == 0 {
		return true
	}
	exclusive := func(v string) bool {
		o := def.option(q, v)
		return o != nil && o.Exclusive
	}
	if slices.ContainsFunc(sel, exclusive) || slices.ContainsFunc(a.Values, exclusive) {
		return false
	}
	for _, v := range a.Values {
		if v != OtherID && !slices.Contains(sel, v) {
			return true
		}
	}
	for _, n := range a.OtherNames() {
		if len(addName(names, n)) > len(names) {
			return true
		}
	}
	return false
}

// MaxEarlierPicks is the most columns show_earlier_picks adds to a row's
// first screen.
const MaxEarlierPicks = 4

// earlierPicks returns the columns of matrix q ticked in the rows before
// the session's current one and not shown already (shown), when q shows
// them on the first screen (ShowEarlierPicks): at most MaxEarlierPicks,
// those ticked for the most rows (then the first in the full list), in
// the order of the full list.
func (def *Definition) earlierPicks(q *Question, s *Session, shown map[string]bool) []string {
	cols := def.Catalogue(q.Columns)
	if !q.ShowEarlierPicks || cols == nil {
		return nil
	}
	rows := def.rowsPicked(q, s.Answers)
	i := slices.Index(rows, s.Cursor.Item)
	if i < 1 {
		return nil
	}
	times := map[string]int{}
	for _, row := range rows[:i] {
		if a, ok := s.Answers[Cursor{Question: q.ID, Item: row}.Key()]; ok && !a.Skipped {
			for _, v := range a.Values {
				times[v]++
			}
		}
	}
	var out []string
	for _, it := range cols.Items {
		if times[it.ID] > 0 && !shown[it.ID] {
			out = append(out, it.ID)
		}
	}
	if len(out) > MaxEarlierPicks {
		most := slices.Clone(out)
		slices.SortStableFunc(most, func(a, b string) int { return times[b] - times[a] })
		keep := most[:MaxEarlierPicks]
		out = slices.DeleteFunc(out, func(id string) bool { return !slices.Contains(keep, id) })
	}
	return out
}

// earlierRow returns the answer to row item of matrix q, when that row
// comes before the session's current one and picked something; item ""
// means the row just before.
func (def *Definition) earlierRow(q *Question, s *Session, item string) (Answer, bool) {
	if q.Kind != KindMatrix {
		return Answer{}, false
	}
	rows := def.rowsPicked(q, s.Answers)
	i := slices.Index(rows, s.Cursor.Item)
	if i < 1 {
		return Answer{}, false
	}
	if item == "" {
		item = rows[i-1]
	}
	if j := slices.Index(rows, item); j < 0 || j >= i {
		return Answer{}, false
	}
	a, ok := s.Answers[Cursor{Question: q.ID, Item: item}.Key()]
	if !ok || a.Skipped || len(a.Values) == 0 {
		return Answer{}, false
	}
	return a, true
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
			continue
		}
		pending := false
		if q.OptionsFrom != "" && def.Question(q.OptionsFrom) != nil {
			if _, ok := answers[q.OptionsFrom]; !ok && def.Question(q.OptionsFrom).Kind == KindMulti {
				pending = true
			}
			if src := def.Question(q.OptionsFrom); src.Kind == KindMatrix {
				if _, ok := answers[src.Rows]; !ok {
					pending = true
				}
			}
		}
		for _, id := range q.names {
			if _, ok := answers[id]; !ok && def.Question(id) != nil {
				pending = true
			}
		}
		if pending {
			n++
		}
	}
	return n
}

// rowLabel is how a matrix row is named: its item's label, or for Other…
// the text the respondent typed.
func (def *Definition) rowLabel(q *Question, item string, s *Session) string {
	if item == OtherID {
		if a, ok := s.Answers[q.Rows]; ok && len(a.OtherNames()) > 0 {
			return joinNames(a.OtherNames())
		}
		return def.Msg(s.Language, "other")
	}
	if it := def.rowItem(q, item); it != nil {
		return def.Text(it.Label, s.Language)
	}
	return item
}

// ask emits the question at the cursor, with the note, if any, of what
// the input did.
func (e *engine) ask(problem string) {
	a := e.def.ask(&e.s, problem)
	a.Note, e.note = e.note, ""
	e.emit(a)
}

// AskAt builds the Ask for the session's current step, as Step would show
// it; adapters use it to show the question again (after /review, say).
func (def *Definition) AskAt(s *Session) (Ask, bool) {
	def = def.For(s)
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
	a.Text = def.fill(def.Text(q.Text, lang), q, s)

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
	if h := def.fill(def.Text(q.Hint, lang), q, s); h != "" {
		hints = append([]string{h}, hints...)
	}
	if q.Optional {
		hints = append(hints, def.Msg(lang, "hint_optional"))
	}

	// The selection shown: the draft, else the recorded answer.
	var sel, names []string
	page := 0
	if d := s.Draft; d != nil {
		sel, names, page = d.Values, d.names(), d.Page
		a.AwaitingOther = d.AwaitingOther
	} else if ans, ok := s.Answers[cur.Key()]; ok && !ans.Skipped {
		sel, names = ans.Values, ans.OtherNames()
		switch q.Kind {
		case KindText:
			a.Value = ans.Text
		case KindNumber:
			if ans.Number != nil {
				a.Value = formatNumber(*ans.Number)
			}
		}
	}
	if !slices.Contains(sel, OtherID) {
		names = nil
	}
	if a.AwaitingOther {
		a.OtherPrompt = def.Msg(lang, "other_prompt")
	}
	if q.Kind == KindSingle || q.Kind == KindMulti || q.Kind == KindMatrix {
		a.Selection = slices.Clone(sel)
	}

	switch q.Kind {
	case KindSingle, KindMulti:
		list, fixed := def.pageable(q, s.Answers)
		chs := make([]Choice, 0, len(list))
		for _, c := range list {
			if c.item != nil {
				chs = append(chs, def.choice(c.item, lang, sel))
			} else {
				chs = append(chs, Choice{ID: otherRef(c.index, c.name), Label: c.name, Selected: slices.Contains(names, c.name)})
			}
		}
		lo, hi, pg, pages := pageBounds(len(chs), page, false)
		a.Page, a.Pages = pg, pages
		a.Options = append(a.Options, chs[lo:hi]...)
		for _, it := range fixed {
			a.Options = append(a.Options, def.choice(it, lang, sel))
		}
	case KindMatrix:
		rows := def.rowsPicked(q, s.Answers)
		a.Progress.Row = slices.Index(rows, cur.Item) + 1
		a.Progress.Rows = len(rows)
		label := def.rowLabel(q, cur.Item, s)
		a.Row = def.Msg(lang, "row_progress", "label", label, "n", strconv.Itoa(a.Progress.Row), "total", strconv.Itoa(a.Progress.Rows))
		a.Text = strings.ReplaceAll(a.Text, "{item}", label)
		if !a.AwaitingOther {
			a.SameAs = def.sameOffers(q, s, sel, names)
		}
		if len(a.SameAs) > 0 {
			if i := slices.Index(hints, def.Msg(lang, "hint_multi")); i >= 0 {
				hints[i] = def.Msg(lang, "hint_same")
			}
		}
		cols := def.Catalogue(q.Columns)
		var all []*Item
		if cols != nil {
			all = cols.Items
		}
		short, hasShort := q.Shortlist[cur.Item]
		a.More = hasShort && len(short) < len(all)
		if a.More && page == 0 {
			_, _, _, a.Pages = pageBounds(len(all), 1, true)
			shown := map[string]bool{}
			for _, id := range short {
				if it := cols.Item(id); it != nil {
					a.Options = append(a.Options, def.choice(it, lang, sel))
					shown[id] = true
				}
			}
			// Then the tools ticked for earlier rows, when the survey
			// asks for it.
			for _, id := range def.earlierPicks(q, s, shown) {
				if it := cols.Item(id); it != nil && len(a.Options) < PageSize {
					a.Options = append(a.Options, def.choice(it, lang, sel))
					shown[id] = true
				}
			}
			// Picks from the full list stay visible on the shortlist, as
			// many as a page holds.
			for _, it := range all {
				if len(a.Options) >= PageSize {
					break
				}
				if !shown[it.ID] && slices.Contains(sel, it.ID) {
					a.Options = append(a.Options, def.choice(it, lang, sel))
				}
			}
		} else {
			lo, hi, pg, pages := pageBounds(len(all), page, a.More)
			a.Page, a.Pages = pg, pages
			for _, it := range all[lo:hi] {
				a.Options = append(a.Options, def.choice(it, lang, sel))
			}
		}
		for _, it := range q.Options {
			a.Options = append(a.Options, def.choice(it, lang, sel))
		}
	}
	if q.Other {
		if q.Kind == KindSingle {
			c := Choice{ID: OtherID, Label: def.Msg(lang, "other"), Other: true, Selected: slices.Contains(sel, OtherID)}
			if c.Selected && len(names) > 0 {
				c.Label = def.Msg(lang, "other_answered", "text", names[0])
			}
			a.Options = append(a.Options, c)
		} else {
			for i, n := range names {
				a.Options = append(a.Options, Choice{ID: otherRef(i, n), Label: def.Msg(lang, "other_answered", "text", n), Selected: true, Other: true})
			}
			a.Options = append(a.Options, Choice{ID: OtherID, Label: def.Msg(lang, "other"), Other: true})
		}
	}
	a.Hint = strings.Join(hints, " ")
	return a
}

// PageSize is the most items of a long list shown at once: a list longer
// than that is shown in pages, with ◀ and ▶ between them.
const PageSize = 30

// pageBounds returns the part [lo, hi) of a list of n items on a page, the
// page itself and the number of pages. withShortlist: the list is behind a
// shortlist (page 0), so its pages count from 1 even when there is one.
// Otherwise a list that fits on one page is page 0 of 1; a longer one
// shows pages 1 to pages, page 0 meaning page 1.
func pageBounds(n, page int, withShortlist bool) (lo, hi, pg, pages int) {
	pages = (n + PageSize - 1) / PageSize
	if pages <= 1 && !withShortlist {
		return 0, n, 0, pages
	}
	pg = min(max(page, 1), max(pages, 1))
	lo = min((pg-1)*PageSize, n)
	hi = min(lo+PageSize, n)
	return lo, hi, pg, pages
}

// listed is one entry of a single or multi question's pageable list: an
// item, or a name typed under Other… in an options_from question's source.
type listed struct {
	item  *Item
	name  string
	index int
}

// pageable splits a single or multi question's choices, as offered to
// this respondent, into the list that is paged (a catalogue's items, the
// picks of an options_from source and the names typed there; or else the
// question's own options) and the question's own options shown on every
// page beside such a list.
func (def *Definition) pageable(q *Question, answers map[string]Answer) (list []listed, fixed []*Item) {
	items, names := def.offered(q, answers)
	if q.From == "" && q.OptionsFrom == "" {
		for _, it := range items {
			list = append(list, listed{item: it})
		}
		return list, nil
	}
	for _, it := range items[:len(items)-len(q.Options)] {
		list = append(list, listed{item: it})
	}
	for i, n := range names {
		list = append(list, listed{name: n, index: i})
	}
	return list, q.Options
}

// pages returns the number of pages of the question's full list at the
// session's current step.
func (def *Definition) pages(q *Question, s *Session) (withShortlist bool, pages int) {
	switch q.Kind {
	case KindMatrix:
		n := 0
		if c := def.Catalogue(q.Columns); c != nil {
			n = len(c.Items)
		}
		short, ok := q.Shortlist[s.Cursor.Item]
		withShortlist = ok && len(short) < n
		_, _, _, pages = pageBounds(n, 1, withShortlist)
	case KindSingle, KindMulti:
		list, _ := def.pageable(q, s.Answers)
		_, _, _, pages = pageBounds(len(list), 1, false)
	}
	return withShortlist, pages
}

// fill replaces {id} in a question's wording with the answer to earlier
// question id: its options' labels, or the names typed under Other….
func (def *Definition) fill(text string, q *Question, s *Session) string {
	for _, id := range q.names {
		nq := def.Question(id)
		a, ok := s.Answers[id]
		if nq == nil || !ok || a.Skipped {
			continue
		}
		text = strings.ReplaceAll(text, "{"+id+"}", def.labels(nq, a, s.Language))
	}
	return text
}

// labels is an answer to a choice question as a phrase: its options'
// labels, and the names typed under Other…, joined with commas.
func (def *Definition) labels(q *Question, a Answer, lang string) string {
	var out []string
	for _, v := range a.Values {
		if v == OtherID {
			out = append(out, a.OtherNames()...)
			continue
		}
		out = append(out, def.Label(q, v, lang))
	}
	return joinNames(out)
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
	def = def.For(s)
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
		if id == OtherID && len(a.OtherNames()) > 0 {
			for _, n := range a.OtherNames() {
				if q != nil && q.OptionsFrom != "" {
					labels = append(labels, n) // a name from the source, as typed there
					continue
				}
				labels = append(labels, def.Msg(lang, "other_answered", "text", n))
			}
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
