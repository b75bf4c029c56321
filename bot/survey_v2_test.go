package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/survey"
)

// v2Fixture has what version 2 of the built-in survey brought: a long tool
// list, an exclusive option, an options_from question and a question that
// names an earlier answer. version sets its version.
func v2Fixture(t testing.TB, version int) *survey.Definition {
	t.Helper()
	en := func(s string) survey.Text { return survey.Text{"en": s} }
	var tools []*survey.Item
	for i := range 40 {
		tools = append(tools, &survey.Item{ID: fmt.Sprintf("t%02d", i), Label: en(fmt.Sprintf("Tool %02d", i))})
	}
	def := &survey.Definition{
		ID: "v", Version: version, DefaultLanguage: "en", Languages: []string{"en"},
		Consent: survey.Consent{Version: 1, Text: en("We keep answers."), Agree: en("I agree"), Decline: en("No thanks")},
		Thanks:  en("Thank you!"),
		Catalogues: []*survey.Catalogue{
			{ID: "acts", Items: []*survey.Item{{ID: "events", Label: en("Events")}, {ID: "money", Label: en("Money")}}},
			{ID: "tools", Items: tools},
		},
		Questions: []*survey.Question{
			{ID: "acts", Kind: survey.KindMulti, Text: en("Activities?"), From: "acts", Other: true},
			{ID: "tools", Kind: survey.KindMatrix, Text: en("Tools for {item}?"), Rows: "acts", Columns: "tools", Other: true,
				Shortlist: map[string][]string{"events": {"t00", "t01"}, "money": {"t02"}},
				Options:   []*survey.Item{{ID: "none", Label: en("No tool"), Exclusive: true}}},
			{ID: "hardest", Kind: survey.KindSingle, Text: en("Hardest?"), OptionsFrom: "acts"},
			{ID: "why", Kind: survey.KindText, Optional: true, Text: en("What makes “{hardest}” hard?")},
		},
	}
	if version > 1 {
		def.Questions = append(def.Questions, &survey.Question{ID: "region", Kind: survey.KindSingle, Optional: true, Text: en("Where?"),
			Options: []*survey.Item{{ID: "north", Label: en("North")}}})
	}
	if err := survey.Validate(def); err != nil {
		t.Fatal(err)
	}
	return def
}

func botWith(t testing.TB, def *survey.Definition, st *memStore) *Bot {
	api := &tgbotapi.BotAPI{Self: tgbotapi.User{ID: 99, IsBot: true, UserName: "toolmap_test_bot"}}
	clock := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return New(testConn(api), def, st, nil, &Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
}

var bob = &tgbotapi.User{ID: 2002, FirstName: "Bob", LanguageCode: "en"}
var bobChat = tgbotapi.Chat{ID: 2002, Type: "private"}

// person drives one respondent and remembers the last keyboard shown.
type person struct {
	t   *testing.T
	b   *Bot
	st  *memStore
	u   *updates
	msg int // the message the buttons are on
	kb  [][]Button
}

func (c *person) absorb(from int) {
	for _, o := range c.st.out[from:] {
		if o.Keyboard != nil {
			c.kb = o.Keyboard
		}
		if o.MessageID != 0 {
			c.msg = o.MessageID
		}
	}
	if c.msg == 0 {
		c.msg = 1
	}
}

func (c *person) say(text string) {
	c.t.Helper()
	n := len(c.st.out)
	mustHandle(c.t, c.b, c.u.message(bobChat, bob, text))
	c.absorb(n)
}

// button returns the button whose label contains label.
func (c *person) button(label string) Button {
	c.t.Helper()
	for _, row := range c.kb {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return b
			}
		}
	}
	c.t.Fatalf("no button %q in %v", label, labels(c.kb))
	return Button{}
}

func (c *person) has(label string) bool {
	for _, row := range c.kb {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return true
			}
		}
	}
	return false
}

// tap taps the button and returns the toast.
func (c *person) tap(label string) string {
	c.t.Helper()
	return c.tapData(c.button(label).Data)
}

func (c *person) tapData(data string) string {
	c.t.Helper()
	n := len(c.st.out)
	u := c.u.tap(bobChat, bob, c.msg, data)
	pr := c.b.prepare(u)
	if _, err := c.st.CommitBatch([]Pending{pr.p}); err != nil {
		c.t.Fatal(err)
	}
	c.absorb(n)
	return *pr.toast
}

func labels(kb [][]Button) [][]string {
	var out [][]string
	for _, row := range kb {
		var r []string
		for _, b := range row {
			r = append(r, b.Text)
		}
		out = append(out, r)
	}
	return out
}

func TestKeyboardOfVersion2Features(t *testing.T) {
	st := newMemStore()
	c := &person{t: t, b: botWith(t, v2Fixture(t, 1), st), st: st, u: &updates{}}
	c.say("/start")
	c.tap("I agree")
	c.tap("Events")
	c.tap("Money")
	c.tap("Other…")
	c.say("Litter <picks> & co")
	c.tap("Done")
	// Events: shortlist, More…, no Same as on the first row.
	if c.has("Same as") {
		t.Fatalf("Same as on the first row: %v", labels(c.kb))
	}
	c.tap("Tool 00")
	c.tap("Other…")
	c.say("Zetkin")
	c.tap("Other…")
	c.say("Loomio")
	if !c.has("✅ Other: Zetkin") || !c.has("✅ Other: Loomio") || !c.has("Other…") {
		t.Fatalf("names: %v", labels(c.kb))
	}
	c.tap("✅ Other: Zetkin") // unticks that name only
	if c.has("Zetkin") || !c.has("✅ Other: Loomio") {
		t.Fatalf("after unticking Zetkin: %v", labels(c.kb))
	}
	// The exclusive option says what it did, in the tap's toast.
	if toast := c.tap("No tool"); toast != "“No tool” goes on its own, so your other picks were unticked." {
		t.Fatalf("toast: %q", toast)
	}
	if toast := c.tap("Tool 01"); toast != "“No tool” was unticked." {
		t.Fatalf("toast: %q", toast)
	}
	// Pages: More… shows 30 of 40, with ▶; ▶ shows the rest with ◀.
	c.tap("More…")
	if !c.has("2/2 ▶") || c.has("◀") || !c.has("Tool 29") || c.has("Tool 30") {
		t.Fatalf("page 1: %v", labels(c.kb))
	}
	c.tap("2/2 ▶")
	if !c.has("◀ 1/2") || !c.has("Tool 39") || c.has("Tool 29") || !c.has("Fewer") {
		t.Fatalf("page 2: %v", labels(c.kb))
	}
	c.tap("Tool 35")
	c.tap("Done")
	// Money: Same as Events, in one tap; the button names the row it copies.
	same := c.button("🔁 Same as Events")
	if d, err := survey.DecodeTap(same.Data); err != nil || d.Kind != survey.InputSame || d.Option != "events" {
		t.Fatalf("Same as button data %q: %+v, %v", same.Data, d, err)
	}
	c.tapData(same.Data)
	s := st.sessions[survey.RespondentID(bob.ID)]
	if got := s.Answers["tools/money"].Values; strings.Join(got, ",") != "t01,t35" {
		t.Fatalf("money after Same as: %v", got)
	}
	// The Other… row: one answer given twice is offered once, named after
	// the latest row; once a tool is ticked the button keeps it, adds
	// Money's tools and moves on.
	if !c.has("🔁 Same as Money") || c.has("Same as Events") {
		t.Fatalf("third row: %v", labels(c.kb))
	}
	c.tap("Tool 02")
	c.tap("🔁 + same as Money")
	s = st.sessions[survey.RespondentID(bob.ID)]
	if got := s.Answers["tools/other"].Values; strings.Join(got, ",") != "t01,t02,t35" {
		t.Fatalf("the Other… row after + same as: %v", got)
	}
	// Hardest: over the activities picked, the typed one included; the
	// next question names it, escaped.
	n := len(st.out)
	c.tap("Litter <picks> & co")
	found := false
	for _, o := range st.out[n:] {
		if strings.Contains(o.Text, "<picks>") {
			t.Fatalf("unescaped: %q", o.Text)
		}
		found = found || strings.Contains(o.Text, "What makes “Litter &lt;picks&gt; &amp; co” hard?")
	}
	if !found {
		t.Fatalf("the next question does not name the activity: %+v", st.out[n:])
	}
	// Every keyboard was within Telegram's bounds.
	for _, o := range st.out {
		nb := 0
		for _, row := range o.Keyboard {
			nb += len(row)
			for _, b := range row {
				if len(b.Data) > survey.MaxTapBytes {
					t.Errorf("button %q: %d bytes of data", b.Text, len(b.Data))
				}
			}
		}
		if nb > survey.MaxButtons {
			t.Errorf("a keyboard of %d buttons", nb)
		}
	}
}

// TestEarlierVersionFinishesAsBegun: a respondent part-way through version
// 1 when the bot restarts on version 2 finishes under version 1, with the
// buttons they have; a new respondent gets version 2; /restart moves to 2.
func TestEarlierVersionFinishesAsBegun(t *testing.T) {
	st := newMemStore()
	v1 := v2Fixture(t, 1)
	c := &person{t: t, b: botWith(t, v1, st), st: st, u: &updates{}}
	c.say("/start")
	c.tap("I agree")
	c.tap("Events")
	c.tap("Done")

	// The bot restarts with version 2, which carries version 1.
	v2 := v2Fixture(t, 2)
	if err := v2.SetEarlier(v1); err != nil {
		t.Fatal(err)
	}
	c.b = botWith(t, v2, st)
	if toast := c.tap("Tool 00"); toast != "" {
		t.Fatalf("a version 1 button refused after the restart: %q", toast)
	}
	c.tap("Done")
	if d, _ := survey.DecodeTap(c.button("Events").Data); d.Version != 1 {
		t.Fatalf("the next question's buttons carry version %d, want 1", d.Version)
	}
	c.tap("Events")
	c.tap("Skip")
	s := st.sessions[survey.RespondentID(bob.ID)]
	if s.Status != survey.StatusCompleted || s.Version != 1 {
		t.Fatalf("status %s under version %d, want completed under 1", s.Status, s.Version)
	}
	if _, ok := s.Answers["region"]; ok {
		t.Fatal("asked version 2's region")
	}
	// /review lists version 1's questions, with version 1's buttons.
	c.say("/review")
	if d, _ := survey.DecodeTap(c.kb[0][0].Data); d.Version != 1 || d.Kind != survey.InputJump {
		t.Fatalf("review button: %+v", d)
	}
	// A tap from version 2 on this session is from another version: the
	// respondent is shown where they are.
	if toast := c.tapData(survey.Tap{Kind: survey.InputChoose, Version: 2, At: survey.Cursor{Question: "region"}, Option: "north"}.Encode()); toast != "The survey has been updated. Here is where you are now." {
		t.Fatalf("toast: %q", toast)
	}
	// /restart starts version 2.
	c.say("/restart")
	if s := st.sessions[survey.RespondentID(bob.ID)]; s.Version != 2 {
		t.Fatalf("after /restart: version %d", s.Version)
	}
}
