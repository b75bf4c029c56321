package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"toolmap/bot/telegramtest"
	"toolmap/survey"
)

// --- one simulated organiser -------------------------------------------------

// demoStall is how long the bot may make no Bot API call at all while
// organisers wait for it, before they give up.
const demoStall = 15 * time.Second

// watchdog closes d.stalled when the server has seen no call for
// demoStall, until done is closed.
func (d *demoRun) watchdog(done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, idle := -1, time.Duration(0)
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		n := d.srv.CallCount("")
		if n != last {
			last, idle = n, 0
			continue
		}
		if idle += time.Second; idle >= demoStall {
			close(d.stalled)
			return
		}
	}
}

// demoHabits is how the demo's organisers stray, as people on phones do:
// now and then they type a few words or an emoji where a button is
// expected, send a sticker, tap a button on an older message, or leave
// and come back.
var demoHabits = telegramtest.Habits{Stray: 0.015, Emoji: 0.01, Sticker: 0.01, ScrollUp: 0.02, Leave: 0.005}

var demoSources = []weighted{{"flyer_leeds", 20}, {"partner_union", 15}, {"web", 25}, {"friend", 20}, {"newsletter_may", 10}, {"", 10}}

// respondent plays organiser i until the survey is finished (or, with
// --partway, the activities question is), and counts what happened.
func (d *demoRun) respondent(ctx context.Context, i int) {
	defer d.finished.Add(1)
	id := int64(100_000 + i)
	o := newOrganiser(d, uint64(i))
	h := demoHabits
	if d.o.Plain {
		h = telegramtest.Habits{}
	}
	h.Think, h.Patience = d.o.Think, demoStall
	p := d.srv.Person(id, o, h, d.o.Seed)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.stalled: // the bot seems stuck: give up
			cancel()
		case <-runCtx.Done():
		}
	}()
	err := p.Run(runCtx, pick(o.rng, demoSources))
	d.take(p.Stats(), o)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			v := d.srv.View(id)
			d.fail(fmt.Sprintf("respondent %d: %v (newest message %q)", id, err, firstWords(v.Last.Rendered)))
		}
	case o.status == "completed":
		d.completed.Add(1)
	case o.status == "partway":
		d.partway.Add(1)
	}
}

// take adds what one organiser did to the run's counts.
func (d *demoRun) take(st telegramtest.PersonStats, o *organiser) {
	d.taps.Add(int64(st.Taps))
	d.texts.Add(int64(st.Texts + st.Sticker + st.Leaves + st.Impatient + 1)) // and the first /start
	d.rejected.Add(int64(o.rejected))
	d.strays.Add(int64(st.Stray + st.Emoji + st.Sticker + st.ScrollUps + st.Leaves))
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range st.Replies {
		d.latencies = append(d.latencies, r.Shown)
		if r.Tap {
			d.ackLat = append(d.ackLat, r.Ack)
		} else {
			d.typedLat = append(d.typedLat, r.Shown)
		}
	}
}

func (d *demoRun) fail(msg string) {
	d.mu.Lock()
	d.failures = append(d.failures, msg)
	d.mu.Unlock()
}

// organiser is the mind of one simulated organiser (a telegramtest.Mind):
// how they mean to answer each question, and what they chose, as the chat
// showed it when they answered, to check against what the bot stored.
type organiser struct {
	d       *demoRun
	rng     *rand.Rand
	sameRng *rand.Rand // whether to tap "Same as"

	plans     map[survey.Cursor]*plan
	replan    bool // went Back: answer the question again
	backs     int
	multiDone bool   // finished a multi-select question (for --partway)
	status    string // "completed" or "partway" once done
	failed    string // why they gave up, if they did
	scrolled  bool   // their last tap was on an older message
	// named is the single-choice steps whose Other… name they typed: a
	// copy of its request to type, shown again after a crash before the
	// bot read the name, is not answered twice.
	named    map[survey.Cursor]bool
	lastTap  *survey.Tap
	rejected int // taps answered with a toast

	chosen map[string]chosen          // by step (survey.Cursor.Key)
	names  map[survey.Cursor][]string // names typed under Other…, as the bot keeps them
	// ticks is each multi-select's options as last seen, ticked or not:
	// a long list shows one page at a time, and they remember the rest.
	ticks   map[survey.Cursor]map[string]bool
	at      survey.Cursor                    // the step they last saw
	trace   func(format string, args ...any) // tests: told of each decision
	history []string                         // tests: what trace kept
	// exp is what their last action should bring; until the chat shows
	// it, what changes is the rest of an earlier reply.
	exp expectation
}

// expectation is what an organiser waits for after acting.
type expectation struct {
	kind      expectKind
	at        survey.Cursor // the step acted on
	option    string        // a toggled option
	ticked    bool          // whether it was ticked
	msg       int           // the newest message then
	edits     int           // and its edits
	options   string        // the options shown then (for More…, ◀ ▶)
	satisfied bool
}

type expectKind int

const (
	expectNothing expectKind = iota
	expectToggle             // the option's tick flips (or the step moves on)
	expectStep               // another step, the Other… screen, or the end
	expectPage               // other options shown
	expectMessage            // a new message (the reply to typed input)
	expectChange             // the newest message changes
)

// staleToast reports whether a toast says the button tapped belongs to a
// screen the bot has moved on from.
func (o *organiser) staleToast(toast string) bool {
	if toast == "" {
		return false
	}
	lang := o.d.def.PickLanguage("en")
	for _, key := range []string{"problem_stale", "stale_button", "survey_changed"} {
		if toast == o.d.def.Msg(lang, key) {
			return true
		}
	}
	return false
}

// optionsOf lists the option buttons of a message, to tell pages apart.
func optionsOf(bs []button) string {
	var b strings.Builder
	for _, x := range bs {
		if x.tap.Kind == survey.InputToggle || x.tap.Kind == survey.InputChoose {
			b.WriteString(x.tap.Option + " ")
		}
	}
	return b.String()
}

// expecting sets what the action on the newest message m should bring.
func (o *organiser) expecting(k expectKind, m telegramtest.Message, t survey.Tap) {
	bs := buttons(m)
	o.exp = expectation{kind: k, at: t.At, option: t.Option, msg: m.MessageID, options: optionsOf(bs)}
	for _, b := range bs {
		if b.tap.Kind == survey.InputToggle && b.tap.Option == t.Option {
			o.exp.ticked = strings.HasPrefix(b.label, "✅ ")
		}
	}
}

// heard takes in the reply to the last action: a toast refuses its tap
// (that option is not tried again). It reports whether the whole reply
// has arrived.
func (o *organiser) heard(sc telegramtest.Scene) bool {
	if o.scrolled && sc.Toast != "" { // the toast for the older message: expected
		o.scrolled = false
		o.exp, o.lastTap = expectation{}, nil
		return true
	}
	if o.staleToast(sc.Toast) {
		// Their screen is behind the bot (after a crash, say): the bot
		// shows where they are; wait for it rather than try another.
		o.exp = expectation{kind: expectChange, msg: sc.Newest.MessageID, edits: sc.Newest.Edits}
		o.lastTap = nil
		return false
	}
	if sc.Toast != "" && o.lastTap != nil {
		o.rejected++
		if pl := o.plans[o.lastTap.At]; pl != nil {
			pl.rejected[o.lastTap.Option] = true
		}
		o.lastTap = nil
	}
	if !o.arrived(telegramtest.Scene{Newest: sc.Newest, On: sc.Newest, Toast: sc.Toast}) {
		return false
	}
	o.lastTap = nil
	return true
}

// arrived reports whether the scene shows what the last action should
// bring (a toast always answers a tap).
func (o *organiser) arrived(sc telegramtest.Scene) bool {
	e := &o.exp
	if e.kind == expectNothing || e.satisfied || sc.Toast != "" {
		e.satisfied = true
		return true
	}
	m := sc.Newest
	bs := buttons(m)
	cur := cursorOf(bs)
	ok := false
	switch {
	case o.isThanks(m):
		ok = true
	case e.kind == expectMessage:
		ok = m.MessageID != e.msg && len(bs) > 0
	case e.kind == expectChange:
		ok = (m.MessageID != e.msg || m.Edits != e.edits) && len(bs) > 0
	case cur.IsZero():
		ok = false // not a step: more is coming
	case e.kind == expectToggle:
		if cur != e.at {
			ok = true
			break
		}
		// Unticked, a pick from the full list leaves the shortlist.
		ok = e.ticked
		for _, b := range bs {
			if b.tap.Kind == survey.InputToggle && b.tap.Option == e.option {
				ok = strings.HasPrefix(b.label, "✅ ") != e.ticked
			}
		}
		if o.isOtherScreen(m, bs) {
			ok = true
		}
	case e.kind == expectStep:
		ok = cur != e.at || o.isOtherScreen(m, bs) || (m.MessageID != e.msg && e.at.IsZero())
	case e.kind == expectPage:
		ok = cur != e.at || optionsOf(bs) != e.options
	}
	e.satisfied = ok
	return ok
}

// chosen is one answer as the organiser gave it.
type chosen struct {
	values  []string // sorted
	names   []string
	text    string
	skipped bool
}

func newOrganiser(d *demoRun, stream uint64) *organiser {
	return &organiser{d: d, rng: rand.New(rand.NewPCG(d.o.Seed, stream)), sameRng: rand.New(rand.NewPCG(d.o.Seed^0x5a3e, stream)), plans: map[survey.Cursor]*plan{},
		chosen: map[string]chosen{}, names: map[survey.Cursor][]string{},
		ticks: map[survey.Cursor]map[string]bool{}}
}

// fail records a failure of the organiser, which gives up.
func (o *organiser) fail(msg string) {
	o.failed = msg
	o.d.fail(msg)
}

// plan is how an organiser means to answer one question (or matrix row).
type plan struct {
	backFirst bool // tap ⬅ Back before answering
	backDone  bool
	choice    string          // single: the option to choose
	other     bool            // tap Other… and type
	same      bool            // tap "Same as" (a matrix row)
	text      string          // text question: what to type ("" = Skip)
	target    map[string]bool // multi, matrix: options to tick
	shortlist map[string]bool // matrix: the options first shown
	wantMore  bool            // matrix: tick one tool from the full list
	morePick  string
	looked    bool            // looked under More… for a planned tool no longer shown
	rejected  map[string]bool // ticks the bot refused
	steps     int
}

// button is an inline button with its decoded callback data.
type button struct {
	label string
	data  string
	tap   survey.Tap
}

func buttons(m telegramtest.Message) []button {
	var out []button
	for _, row := range m.Keyboard {
		for _, b := range row {
			if b.CallbackData == "" {
				continue
			}
			t, err := survey.DecodeTap(b.CallbackData)
			if err != nil {
				continue
			}
			out = append(out, button{label: b.Text, data: b.CallbackData, tap: t})
		}
	}
	return out
}

// cursorOf is the step a message's buttons belong to (zero if none).
func cursorOf(bs []button) survey.Cursor {
	for _, b := range bs {
		switch b.tap.Kind {
		case survey.InputChoose, survey.InputToggle, survey.InputBack, survey.InputSkip, survey.InputDone:
			return b.tap.At
		}
	}
	return survey.Cursor{}
}

func (o *organiser) isThanks(m telegramtest.Message) bool {
	return m.MessageID != 0 && strings.HasPrefix(m.Rendered, o.d.thanks)
}

// isOtherScreen reports whether m asks for a name typed under Other…:
// the question with the request to type and only a Back.
func (o *organiser) isOtherScreen(m telegramtest.Message, bs []button) bool {
	prompt := o.d.def.Msg(o.d.def.PickLanguage("en"), "other_prompt")
	return len(bs) == 1 && bs[0].tap.Kind == survey.InputBack && strings.Contains(m.Rendered, prompt)
}

// Act decides what to do in the scene (telegramtest.Mind).
func (o *organiser) Act(sc telegramtest.Scene) telegramtest.Action {
	a := o.act(sc)
	if o.trace != nil {
		o.trace("on #%d (newest #%d, edits %d, toast %q) %q %v → %+v", sc.On.MessageID, sc.Newest.MessageID, sc.Newest.Edits, sc.Toast,
			firstWords(sc.On.Rendered), buttonRow(sc.On), a)
	}
	return a
}

// Ready takes in the reply to the last action (telegramtest.Mind).
func (o *organiser) Ready(sc telegramtest.Scene) bool {
	ok := o.heard(sc)
	if o.trace != nil && !ok {
		o.trace("waiting on #%d (edits %d, toast %q)", sc.Newest.MessageID, sc.Newest.Edits, sc.Toast)
	}
	return ok
}

func (o *organiser) act(sc telegramtest.Scene) telegramtest.Action {
	if sc.On.MessageID != sc.Newest.MessageID {
		return o.onOlder(sc)
	}
	m := sc.Newest
	if o.isThanks(m) {
		o.status = "completed"
		return telegramtest.Action{Done: true}
	}
	if o.d.o.Partway && o.multiDone {
		o.status = "partway"
		return telegramtest.Action{Done: true}
	}
	bs := buttons(m)
	if len(bs) == 0 {
		return telegramtest.Action{} // not a step: wait for the bot
	}
	if o.isOtherScreen(m, bs) {
		cur := bs[0].tap.At
		if o.named[cur] {
			o.exp = expectation{kind: expectChange, msg: m.MessageID, edits: m.Edits}
			return telegramtest.Action{}
		}
		name := o.otherText(cur)
		o.typedName(cur, name)
		o.expecting(expectMessage, m, survey.Tap{At: cur})
		return telegramtest.Action{Text: name}
	}
	return o.decide(m, bs)
}

// Strayed hears what the organiser did of their own accord: where the bot
// takes text, what they typed is an answer.
func (o *organiser) Strayed(sc telegramtest.Scene, text string) {
	if o.trace != nil {
		o.trace("strayed %q on #%d", text, sc.Newest.MessageID)
	}
	o.exp = expectation{kind: expectMessage, msg: sc.Newest.MessageID}
	if text == "" || text == "/start" {
		return
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		return // the bot refuses it before the survey sees it
	}
	bs := buttons(sc.Newest)
	cur := cursorOf(bs)
	if cur.IsZero() {
		return
	}
	if o.isOtherScreen(sc.Newest, bs) {
		o.typedName(cur, text)
		return
	}
	q := o.d.def.Question(cur.Question)
	if q != nil && q.Kind == survey.KindText {
		t := survey.CleanText(text)
		if n := utf8.RuneCountInString(t); n >= max(q.MinLength, 1) && (q.MaxLength == 0 || n <= q.MaxLength) && n <= survey.DefaultMaxLength {
			o.chosen[cur.Key()] = chosen{text: t}
		}
	}
}

// maxTextRunes is the longest text the bot takes (bot.Options.MaxTextRunes
// by default, as the demo runs it).
const maxTextRunes = 1000

// typedName notes a name typed under Other… at cur, as the bot keeps it.
func (o *organiser) typedName(cur survey.Cursor, name string) {
	t := survey.CleanText(name)
	if t == "" || len([]rune(t)) > survey.MaxOtherRunes {
		return
	}
	q := o.d.def.Question(cur.Question)
	if q != nil && q.Kind == survey.KindSingle {
		o.chosen[cur.Key()] = chosen{values: []string{survey.OtherID}, names: []string{t}}
		if o.named == nil {
			o.named = map[survey.Cursor]bool{}
		}
		o.named[cur] = true
		return
	}
	o.names[cur] = append(o.names[cur], t)
}

// onOlder decides a tap on an older message the organiser scrolled up
// to: a button of a step that is not the current one, which the bot must
// refuse, and nothing else (not Back, nor a jump).
func (o *organiser) onOlder(sc telegramtest.Scene) telegramtest.Action {
	cur := cursorOf(buttons(sc.Newest))
	var stale []button
	for _, b := range buttons(sc.On) {
		if b.tap.At.IsZero() || b.tap.At == cur {
			continue
		}
		switch b.tap.Kind {
		case survey.InputChoose, survey.InputToggle, survey.InputDone, survey.InputSkip, survey.InputMore, survey.InputPage, survey.InputSame:
			stale = append(stale, b)
		}
	}
	if cur.IsZero() || len(stale) == 0 {
		return telegramtest.Action{}
	}
	b := stale[o.rng.IntN(len(stale))]
	o.lastTap = &b.tap                                                       // its toast is about that step
	o.exp = expectation{kind: expectStep, at: cur, msg: sc.Newest.MessageID} // a toast says it is stale
	o.scrolled = true
	return telegramtest.Action{Tap: b.data}
}

// tap taps b, noting what it answers.
func (o *organiser) tap(m telegramtest.Message, b button) telegramtest.Action {
	t := b.tap
	o.lastTap = &t
	cur := t.At
	switch t.Kind {
	case survey.InputToggle:
		o.expecting(expectToggle, m, t)
	case survey.InputMore, survey.InputPage:
		o.expecting(expectPage, m, t)
	default:
		o.expecting(expectStep, m, t)
	}
	if t.Option == survey.OtherID {
		delete(o.named, cur) // asking to type a name again
	}
	switch t.Kind {
	case survey.InputChoose:
		switch {
		case strings.HasPrefix(t.Option, survey.OtherID+"."): // a name typed in the question it takes options from
			o.chosen[cur.Key()] = chosen{values: []string{survey.OtherID}, names: o.nameOf(t.Option)}
		case t.Option != survey.OtherID:
			o.chosen[cur.Key()] = chosen{values: []string{t.Option}}
		}
	case survey.InputToggle:
		o.toggled(cur, t.Option)
	case survey.InputSkip:
		o.chosen[cur.Key()] = chosen{skipped: true}
	case survey.InputDone:
		o.chosen[cur.Key()] = o.shown(m, cur)
	case survey.InputSame:
		if row, ok := o.sameRow(cur, t.Option); ok {
			o.chosen[cur.Key()] = o.sameAs(m, cur, row)
		}
	}
	return telegramtest.Action{Tap: b.data}
}

// sameRow is the earlier row a Same as… button names: item, or with none
// the row before cur.
func (o *organiser) sameRow(cur survey.Cursor, item string) (survey.Cursor, bool) {
	if item == "" {
		return o.previousRow(cur)
	}
	return survey.Cursor{Question: cur.Question, Item: item}, true
}

// sameAs is the answer a tap on Same as… gives (survey's engine.same):
// what is ticked at cur, with what row was answered added.
func (o *organiser) sameAs(m telegramtest.Message, cur, row survey.Cursor) chosen {
	c := o.shown(m, cur)
	c.skipped = false
	p := o.chosen[row.Key()]
	for _, v := range p.values {
		if !slices.Contains(c.values, v) {
			c.values = append(c.values, v)
		}
	}
	for _, n := range p.names {
		if !slices.Contains(c.names, n) {
			c.names = append(c.names, n)
		}
	}
	slices.Sort(c.values)
	return c
}

// previousRow is the matrix row before cur, as the bot orders the rows:
// the activities picked, in the list's order, then Other….
func (o *organiser) previousRow(cur survey.Cursor) (survey.Cursor, bool) {
	def := o.d.def
	q := def.Question(cur.Question)
	if q == nil || q.Kind != survey.KindMatrix {
		return survey.Cursor{}, false
	}
	rq := def.Question(q.Rows)
	picked := o.chosen[q.Rows].values
	var rows []string
	var items []*survey.Item
	if rq != nil {
		if c := def.Catalogue(rq.From); c != nil {
			items = append(items, c.Items...)
		}
		items = append(items, rq.Options...)
	}
	for _, it := range items {
		if slices.Contains(picked, it.ID) && !it.Exclusive {
			rows = append(rows, it.ID)
		}
	}
	if slices.Contains(picked, survey.OtherID) {
		rows = append(rows, survey.OtherID)
	}
	i := slices.Index(rows, cur.Item)
	if i < 1 {
		return survey.Cursor{}, false
	}
	return survey.Cursor{Question: cur.Question, Item: rows[i-1]}, true
}

// nameOf is the name an other ref ("other.<i>.<check>") stands for,
// among the names the organiser typed.
func (o *organiser) nameOf(ref string) []string {
	_, rest, _ := strings.Cut(ref, ".")
	_, sum, _ := strings.Cut(rest, ".")
	for _, names := range o.names {
		for _, n := range names {
			if nameSum(n) == sum {
				return []string{n}
			}
		}
	}
	return nil
}

// see remembers the ticks a multi-select's keyboard shows.
func (o *organiser) see(cur survey.Cursor, bs []button) {
	for _, b := range bs {
		if b.tap.Kind != survey.InputToggle || b.tap.Option == survey.OtherID || strings.HasPrefix(b.tap.Option, survey.OtherID+".") {
			continue
		}
		if o.ticks[cur] == nil {
			o.ticks[cur] = map[string]bool{}
		}
		o.ticks[cur][b.tap.Option] = strings.HasPrefix(b.label, "✅ ")
	}
}

// toggled remembers a tap on option opt: an option that goes on its own
// unticks the others (on every page), and any other unticks it.
func (o *organiser) toggled(cur survey.Cursor, opt string) {
	q := o.d.def.Question(cur.Question)
	t := o.ticks[cur]
	if q == nil || t == nil || opt == survey.OtherID || strings.HasPrefix(opt, survey.OtherID+".") {
		return
	}
	exclusive := func(id string) bool {
		return slices.ContainsFunc(q.Options, func(it *survey.Item) bool { return it.ID == id && it.Exclusive })
	}
	if t[opt] {
		t[opt] = false // an unticked pick from the full list leaves the shortlist: they remember
		return
	}
	t[opt] = true
	for id := range t {
		if id == opt {
			continue
		}
		if exclusive(opt) || exclusive(id) {
			t[id] = false
		}
	}
	if exclusive(opt) {
		o.names[cur] = nil
	}
}

// shown is the selection of a multi-select question as the organiser
// knows it when they tap Done: the ticks m shows, those they remember
// from other pages, and the names given under Other… that m shows.
func (o *organiser) shown(m telegramtest.Message, cur survey.Cursor) chosen {
	var c chosen
	bs := buttons(m)
	o.see(cur, bs)
	for opt, on := range o.ticks[cur] {
		if on {
			c.values = append(c.values, opt)
		}
	}
	for _, b := range bs {
		if b.tap.Kind != survey.InputToggle || !strings.HasPrefix(b.label, "✅ ") {
			continue
		}
		if strings.HasPrefix(b.tap.Option, survey.OtherID+".") {
			// A name typed here, or under the row it was copied from
			// (Same as).
			for _, n := range o.nameOf(b.tap.Option) {
				if !slices.Contains(c.names, n) {
					c.names = append(c.names, n)
				}
			}
		}
	}
	if len(c.names) > 0 {
		c.values = append(c.values, survey.OtherID)
	}
	slices.Sort(c.values)
	if len(c.values) == 0 {
		c.skipped = true // an optional multi-select left empty
	}
	return c
}

// nameSum is the check the survey's buttons carry for a name typed under
// Other… (survey/other.go).
func nameSum(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%06x", h.Sum32()&0xffffff)
}

// decide answers the question m shows, by the organiser's plan for it.
func (o *organiser) decide(m telegramtest.Message, bs []button) telegramtest.Action {
	var cur survey.Cursor
	var chooses, toggles []button
	var back, skip, done, more, other, agree, same *button
	otherNamed := false // a name is given under Other… already
	for i := range bs {
		b := &bs[i]
		switch b.tap.Kind {
		case survey.InputAgree:
			agree = b
		case survey.InputChoose:
			cur = b.tap.At
			if b.tap.Option == survey.OtherID {
				other = b
			} else {
				chooses = append(chooses, *b)
			}
		case survey.InputToggle:
			cur = b.tap.At
			switch {
			case b.tap.Option == survey.OtherID:
				other = b
			case strings.HasPrefix(b.tap.Option, survey.OtherID+"."): // a name given, tapped to untick it
				otherNamed = true
			default:
				toggles = append(toggles, *b)
			}
		case survey.InputBack:
			back, cur = b, b.tap.At
		case survey.InputSkip:
			skip, cur = b, b.tap.At
		case survey.InputDone:
			done, cur = b, b.tap.At
		case survey.InputMore:
			more = b
		case survey.InputSame:
			same = b
		}
	}
	if agree != nil {
		return o.tap(m, *agree)
	}
	if cur.IsZero() {
		return telegramtest.Action{} // a menu, not a question
	}
	if o.d.o.Partway && cur.Item != "" {
		o.status = "partway" // reached the tools: the activities are answered
		return telegramtest.Action{Done: true}
	}
	if cur != o.at {
		// A step shown anew starts from its recorded answer (the bot drops
		// an unfinished selection when the step is left).
		o.at = cur
		o.ticks[cur] = map[string]bool{}
		for _, v := range o.chosen[cur.Key()].values {
			if v != survey.OtherID {
				o.ticks[cur][v] = true
			}
		}
	}
	o.see(cur, bs)
	pl := o.plans[cur]
	if pl == nil || o.replan {
		pl = &plan{rejected: map[string]bool{}}
		o.plans[cur] = pl
		o.replan = false
		o.makePlan(pl, cur, chooses, toggles, other != nil, more != nil, skip != nil)
		// Same as has a random stream of its own, so that the other
		// choices are those organisers made before it was offered.
		pl.same = same != nil && o.sameRng.Float64() < 0.2
		if back != nil && o.backs < 2 && o.rng.Float64() < 0.05 {
			pl.backFirst = true
		}
	}
	pl.steps++
	if pl.steps > 60 {
		var shown []string
		for _, b := range bs {
			shown = append(shown, b.label+"="+b.data)
		}
		o.fail(fmt.Sprintf("question %s: no progress after %d steps; target %v, rejected %v, showing %q", cur.Key(), pl.steps, pl.target, pl.rejected, shown))
		return telegramtest.Action{Done: true}
	}
	if pl.backFirst && !pl.backDone && back != nil {
		pl.backDone = true
		o.backs++
		o.replan = true
		return o.tap(m, *back)
	}
	if pl.same && same != nil {
		pl.same = false
		if row, ok := o.sameRow(cur, same.tap.Option); ok {
			if _, ok := o.chosen[row.Key()]; ok {
				return o.tap(m, *same)
			}
		}
	}
	switch {
	case len(chooses) > 0: // single
		if pl.other && other != nil && !pl.rejected[survey.OtherID] {
			return o.tap(m, *other)
		}
		var open []button // not refused
		for _, b := range chooses {
			if pl.rejected[b.tap.Option] {
				continue
			}
			if b.tap.Option == pl.choice {
				return o.tap(m, b)
			}
			open = append(open, b)
		}
		if len(open) == 0 {
			o.fail(fmt.Sprintf("question %s: every option was refused", cur.Key()))
			return telegramtest.Action{Done: true}
		}
		return o.tap(m, open[o.rng.IntN(len(open))])

	case len(toggles) > 0: // multi or matrix
		visible := map[string]bool{}
		for _, b := range toggles {
			visible[b.tap.Option] = strings.HasPrefix(b.label, "✅ ")
		}
		if pl.wantMore && pl.morePick == "" && len(toggles) > len(pl.shortlist) {
			var extra []string
			for _, b := range toggles {
				if !pl.shortlist[b.tap.Option] && b.tap.Option != "none" {
					extra = append(extra, b.tap.Option)
				}
			}
			if len(extra) > 0 {
				pl.morePick = extra[o.rng.IntN(len(extra))]
				pl.target[pl.morePick] = true
			} else {
				pl.wantMore = false
			}
		}
		// A tool planned from another screen (one that showed it among the
		// tools ticked for earlier activities, before they went back and
		// unticked it there) may be gone from this one: look under More…
		// once, then do without it, as a person would.
		if missing := o.missing(pl, cur, visible); len(missing) > 0 {
			if more != nil && !pl.looked {
				pl.looked = true
				return o.tap(m, *more)
			}
			for _, opt := range missing {
				delete(pl.target, opt)
			}
			if len(pl.target) == 0 && !pl.other {
				pl.target[toggles[o.rng.IntN(len(toggles))].tap.Option] = true
			}
		}
		for _, b := range toggles {
			opt := b.tap.Option
			if pl.rejected[opt] {
				continue
			}
			if visible[opt] != pl.target[opt] {
				return o.tap(m, b)
			}
		}
		if pl.wantMore && pl.morePick == "" && more != nil {
			return o.tap(m, *more)
		}
		if pl.other && other != nil && !otherNamed && !pl.rejected[survey.OtherID] {
			return o.tap(m, *other)
		}
		if done != nil {
			if cur.Item == "" {
				o.multiDone = true
			}
			return o.tap(m, *done)
		}
		o.fail(fmt.Sprintf("question %s: a multi-select without Done", cur.Key()))
		return telegramtest.Action{Done: true}

	default: // a text question: its prompt has only Back and Skip
		if pl.text == "" && skip != nil {
			return o.tap(m, *skip)
		}
		text := pl.text
		if text == "" {
			text = "Not sure"
		}
		o.chosen[cur.Key()] = chosen{text: survey.CleanText(text)}
		o.expecting(expectMessage, m, survey.Tap{At: cur})
		return telegramtest.Action{Text: text}
	}
}

// missing lists the options pl means to tick that the keyboard does not
// show and that are not ticked on another page.
func (o *organiser) missing(pl *plan, cur survey.Cursor, visible map[string]bool) []string {
	var out []string
	for opt, want := range pl.target {
		if _, shown := visible[opt]; want && !shown && !o.ticks[cur][opt] {
			out = append(out, opt)
		}
	}
	slices.Sort(out)
	return out
}

// check compares a stored session with what the organiser chose: every
// stored answer must be the one they gave, as the chat showed it.
func (o *organiser) check(s survey.Session) error {
	var bad []string
	for key, a := range s.Answers {
		c, ok := o.chosen[key]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: stored %s, but the organiser gave no answer", key, describe(a.Values, a.OtherNames(), a.Text, a.Skipped)))
			continue
		}
		vals := slices.Clone(a.Values)
		slices.Sort(vals)
		skipped := a.Skipped || (len(vals) == 0 && a.Text == "" && a.Number == nil)
		if !slices.Equal(vals, c.values) || !slices.Equal(a.OtherNames(), c.names) || a.Text != c.text || skipped != c.skipped {
			bad = append(bad, fmt.Sprintf("%s: stored %s, chosen %s", key, describe(vals, a.OtherNames(), a.Text, skipped), describe(c.values, c.names, c.text, c.skipped)))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("stored answers differ from the choices: %s", strings.Join(bad, "; "))
	}
	return nil
}

func describe(values, names []string, text string, skipped bool) string {
	switch {
	case skipped:
		return "(skipped)"
	case text != "":
		return fmt.Sprintf("%q", text)
	}
	return fmt.Sprintf("%v %q", values, names)
}

// --- what organisers choose and type -----------------------------------------

type weighted struct {
	value  string
	weight float64
}

func pick(rng *rand.Rand, ws []weighted) string {
	total := 0.0
	for _, w := range ws {
		total += w.weight
	}
	x := rng.Float64() * total
	for _, w := range ws {
		if x < w.weight {
			return w.value
		}
		x -= w.weight
	}
	return ws[len(ws)-1].value
}

// demoWeights are how likely each option of the built-in survey is; other
// options (another survey's) weigh 10.
var demoWeights = map[string]float64{
	// group_kind
	"community": 20, "residents": 12, "union": 8, "campaign": 10, "faith": 8, "arts": 10, "sport": 7, "social": 12, "charity": 10,
	// size
	"under_10": 25, "to_30": 35, "to_100": 25, "to_500": 10, "over_500": 5,
	// formality
	"informal": 40, "structured": 35, "constituted": 15, "registered": 10,
	// quote_ok
	"yes": 60, "no": 40,
	// activities
	"announce": 30, "coordinate": 28, "events": 22, "meet_online": 15, "recruit": 12, "promote": 12,
	"money": 10, "decide": 10, "share": 10, "mutual_aid": 10, "records": 6,
}

func weightOf(id string) float64 {
	if w, ok := demoWeights[id]; ok {
		return w
	}
	return 10
}

// sample picks k distinct options, each with its weight.
func sample(rng *rand.Rand, ws []weighted, k int) []string {
	ws = slices.Clone(ws)
	var out []string
	for len(out) < k && len(ws) > 0 {
		v := pick(rng, ws)
		out = append(out, v)
		ws = slices.DeleteFunc(ws, func(w weighted) bool { return w.value == v })
	}
	return out
}

var (
	demoAreas = []string{"Leeds", "Hackney, London", "Bristol", "Glasgow Southside", "Cardiff", "a village near Norwich",
		"Manchester", "Belfast", "Sheffield", "Brighton & Hove", "Madrid", "Sevilla", "Derry", "Swansea", "Harehills"}
	demoHard = []string{
		"Too many group chats: people miss things and then feel left out.",
		"Getting older members to use anything but email.",
		"Keeping track of who is volunteering when.",
		"Facebook hides our posts unless we pay.",
		"Everything is on one organiser's phone; if they leave, we lose it all.",
		"A shared calendar everyone can actually use would change our lives.",
		"We pay for Zoom out of our own pockets.",
		"Nothing much, paper works fine for us <3",
		"Knowing whether anyone read the newsletter.",
		"Moving people off WhatsApp without losing half of them.",
	}
	demoOtherTools = []string{"Mobilizon", "Trello", "Notion", "a noticeboard in the library", "Airtable", "Element / Matrix",
		"Padlet", "a WhatsApp broadcast list", "Framadate", "Bluesky", "Mastodon", "word of mouth at the school gate"}
	demoOtherKinds      = []string{"Allotment society", "Parent and toddler group", "Repair café", "Food bank", "Community garden"}
	demoOtherActivities = []string{"Running a food bank", "Litter picks", "A childcare rota", "A tool library", "Supper clubs"}
)

func (o *organiser) one(list []string) string { return list[o.rng.IntN(len(list))] }

// otherText is what the organiser types after Other… at cur.
func (o *organiser) otherText(cur survey.Cursor) string {
	q := o.d.def.Question(cur.Question)
	switch {
	case q != nil && q.Kind == survey.KindMatrix:
		return o.one(demoOtherTools)
	case q != nil && q.Kind == survey.KindMulti: // the first names more often, as in a real study
		return demoOtherActivities[int(float64(len(demoOtherActivities))*o.rng.Float64()*o.rng.Float64())]
	}
	return o.one(demoOtherKinds)
}

// makePlan decides how to answer the question at cur, as first shown.
func (o *organiser) makePlan(pl *plan, cur survey.Cursor, chooses, toggles []button, hasOther, hasMore, hasSkip bool) {
	rng := o.rng
	switch {
	case len(chooses) > 0:
		ws := make([]weighted, 0, len(chooses))
		for _, b := range chooses {
			ws = append(ws, weighted{b.tap.Option, weightOf(b.tap.Option)})
		}
		pl.choice = pick(rng, ws)
		pl.other = hasOther && rng.Float64() < 0.05

	case len(toggles) > 0 && cur.Item == "": // multi: 2–5 activities
		ws := make([]weighted, 0, len(toggles))
		for _, b := range toggles {
			ws = append(ws, weighted{b.tap.Option, weightOf(b.tap.Option)})
		}
		pl.target = map[string]bool{}
		k := 2 + int(pick(rng, []weighted{{"0", 35}, {"1", 35}, {"2", 20}, {"3", 10}})[0]-'0')
		for _, id := range sample(rng, ws, k) {
			pl.target[id] = true
		}
		pl.other = hasOther && rng.Float64() < 0.12 // enough for the map to show a typed-in activity or two

	case len(toggles) > 0: // a matrix row: tools from the shortlist, mostly
		pl.target, pl.shortlist = map[string]bool{}, map[string]bool{}
		var ws []weighted
		hasNone := false
		for i, b := range toggles {
			pl.shortlist[b.tap.Option] = true
			if b.tap.Option == "none" {
				hasNone = true
				continue
			}
			ws = append(ws, weighted{b.tap.Option, 10 / float64(i+2)})
		}
		if hasNone && rng.Float64() < 0.08 {
			pl.target["none"] = true
			return
		}
		k := 1 + int(pick(rng, []weighted{{"0", 45}, {"1", 35}, {"2", 20}})[0]-'0')
		for _, id := range sample(rng, ws, k) {
			pl.target[id] = true
		}
		pl.wantMore = hasMore && rng.Float64() < 0.12
		pl.other = hasOther && rng.Float64() < 0.08

	default: // text
		switch {
		case cur.Question == "area" && rng.Float64() < 0.8:
			pl.text = o.one(demoAreas)
		case (cur.Question == "hardest" || cur.Question == "hard_why") && rng.Float64() < 0.65:
			pl.text = o.one(demoHard)
		case cur.Question != "area" && cur.Question != "hardest" && cur.Question != "hard_why" && (!hasSkip || rng.Float64() < 0.5):
			pl.text = "Not sure, to be honest"
		}
	}
}
