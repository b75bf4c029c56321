package survey

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// NodeKind is the kind of a Node.
type NodeKind int

// The kinds of Node.
const (
	NodeNull NodeKind = iota
	NodeScalar
	NodeMap
	NodeList
)

func (k NodeKind) String() string {
	switch k {
	case NodeScalar:
		return "a single value"
	case NodeMap:
		return "a mapping of keys to values"
	case NodeList:
		return "a list"
	}
	return "nothing"
}

// Node is a parsed definition file as a plain tree: the YAML adapter turns a
// YAML document into Nodes, so that this package can check every key and
// value and say on which line a problem is, without importing a YAML library.
type Node struct {
	Kind   NodeKind
	Value  string  // NodeScalar
	Fields []Field // NodeMap, in file order
	Items  []*Node // NodeList
	Line   int
	Column int
}

// Field is one key of a NodeMap.
type Field struct {
	Key   string
	Line  int
	Value *Node
}

func (n *Node) pos() Pos {
	if n == nil {
		return Pos{}
	}
	return Pos{Line: n.Line, Column: n.Column}
}

// Decode turns the tree of a definition file into a Definition and
// validates it. file names the file in problems. On any problem it returns
// a Problems error listing all of them, with a nil Definition.
func Decode(file string, root *Node) (*Definition, error) {
	d := &decoder{ps: problems{file: file}}
	def := d.definition(root)
	if def != nil {
		def.File = file
		validate(def, &d.ps)
	}
	if err := d.ps.err(); err != nil {
		return nil, err
	}
	return def, nil
}

type decoder struct {
	ps       problems
	defLang  string
	langs    map[string]bool
	scalarOK bool
}

// mapping checks that n is a map with only the allowed keys, reporting
// unknown and repeated keys, and returns its fields by key.
func (d *decoder) mapping(n *Node, where string, allowed ...string) map[string]*Node {
	if n == nil || n.Kind != NodeMap {
		d.ps.add(n.pos(), where, "want %s, got %s", NodeMap, kindOf(n))
		return nil
	}
	known := make(map[string]bool, len(allowed))
	for _, k := range allowed {
		known[k] = true
	}
	out := make(map[string]*Node, len(n.Fields))
	for _, f := range n.Fields {
		if !known[f.Key] {
			hint := ""
			if s := closest(f.Key, allowed); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				hint = " (known keys: " + strings.Join(allowed, ", ") + ")"
			}
			d.ps.add(Pos{Line: f.Line}, where, "unknown key %q%s", f.Key, hint)
			continue
		}
		if _, dup := out[f.Key]; dup {
			d.ps.add(Pos{Line: f.Line}, where, "key %q given twice", f.Key)
			continue
		}
		v := f.Value
		if v == nil {
			v = &Node{Kind: NodeNull, Line: f.Line}
		}
		out[f.Key] = v
	}
	return out
}

func kindOf(n *Node) NodeKind {
	if n == nil {
		return NodeNull
	}
	return n.Kind
}

func (d *decoder) str(n *Node, where string) string {
	if n == nil {
		return ""
	}
	if n.Kind != NodeScalar {
		d.ps.add(n.pos(), where, "want %s, got %s", NodeScalar, n.Kind)
		return ""
	}
	return n.Value
}

func (d *decoder) integer(n *Node, where string) int {
	s := d.str(n, where)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		d.ps.add(n.pos(), where, "want a whole number of 0 or more, got %q", s)
		return 0
	}
	return v
}

func (d *decoder) number(n *Node, where string) *float64 {
	s := d.str(n, where)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.ps.add(n.pos(), where, "want a number, got %q", s)
		return nil
	}
	return &v
}

func (d *decoder) boolean(n *Node, where string) bool {
	s := d.str(n, where)
	switch s {
	case "", "false":
		return false
	case "true":
		return true
	}
	d.ps.add(n.pos(), where, "want true or false, got %q", s)
	return false
}

func (d *decoder) strings(n *Node, where string) []string {
	if n == nil || n.Kind == NodeNull {
		return nil
	}
	if n.Kind != NodeList {
		d.ps.add(n.pos(), where, "want %s, got %s", NodeList, n.Kind)
		return nil
	}
	out := make([]string, 0, len(n.Items))
	for _, it := range n.Items {
		if s := d.str(it, where); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// text decodes a Text: a plain string (in the default language) or a map
// from language code to string.
func (d *decoder) text(n *Node, where string) Text {
	if n == nil || n.Kind == NodeNull {
		return nil
	}
	switch n.Kind {
	case NodeScalar:
		return Text{d.defLang: n.Value}
	case NodeMap:
		t := Text{}
		for _, f := range n.Fields {
			if d.langs != nil && !d.langs[f.Key] {
				d.ps.add(Pos{Line: f.Line}, where, "language %q is not in the survey's languages", f.Key)
				continue
			}
			if _, dup := t[f.Key]; dup {
				d.ps.add(Pos{Line: f.Line}, where, "language %q given twice", f.Key)
				continue
			}
			t[f.Key] = d.str(f.Value, path(where, f.Key))
		}
		return t
	}
	d.ps.add(n.pos(), where, "want a text, or a mapping from language to text; got %s", n.Kind)
	return nil
}

func (d *decoder) definition(root *Node) *Definition {
	if root == nil || root.Kind == NodeNull {
		d.ps.add(Pos{Line: 1}, "", "the file is empty")
		return nil
	}
	m := d.mapping(root, "", "survey", "version", "title", "languages", "consent", "intro", "thanks",
		"messages", "catalogues", "questions")
	if m == nil {
		return nil
	}
	def := &Definition{}
	// Languages first: texts anywhere in the file depend on them.
	def.Languages = d.strings(m["languages"], "languages")
	if len(def.Languages) == 0 {
		d.ps.add(root.pos(), "", "missing key %q: list the survey's languages, the default first, e.g. [en, es]", "languages")
		def.Languages = []string{"en"}
	}
	def.DefaultLanguage = def.Languages[0]
	d.defLang = def.DefaultLanguage
	d.langs = map[string]bool{}
	for _, l := range def.Languages {
		if d.langs[l] {
			d.ps.add(m["languages"].pos(), "languages", "language %q listed twice", l)
		}
		d.langs[l] = true
	}

	def.ID = d.str(m["survey"], "survey")
	if m["survey"] == nil {
		d.ps.add(root.pos(), "", "missing key %q: the survey's id, e.g. survey: toolmap-default", "survey")
	}
	def.Version = d.integer(m["version"], "version")
	if m["version"] == nil {
		d.ps.add(root.pos(), "", "missing key %q: the survey's version, a whole number from 1", "version")
	}
	def.Title = d.text(m["title"], "title")
	def.Intro = d.text(m["intro"], "intro")
	def.Thanks = d.text(m["thanks"], "thanks")
	def.textPos = map[string]Pos{}
	for _, f := range root.Fields {
		def.textPos[f.Key] = Pos{Line: f.Line}
	}
	if n := m["consent"]; n != nil {
		c := d.mapping(n, "consent", "version", "text", "agree", "decline")
		def.Consent = Consent{
			Version: d.integer(c["version"], path("consent", "version")),
			Text:    d.text(c["text"], path("consent", "text")),
			Agree:   d.text(c["agree"], path("consent", "agree")),
			Decline: d.text(c["decline"], path("consent", "decline")),
			Pos:     n.pos(),
		}
	} else {
		d.ps.add(root.pos(), "", "missing key %q: the notice respondents agree to before anything is stored", "consent")
	}
	if n := m["messages"]; n != nil && n.Kind != NodeNull {
		def.Messages = map[string]Text{}
		if n.Kind != NodeMap {
			d.ps.add(n.pos(), "messages", "want %s, got %s", NodeMap, n.Kind)
		}
		for _, f := range n.Fields {
			where := path("messages", fmt.Sprintf("%q", f.Key))
			if _, ok := builtinMessages[f.Key]; !ok {
				d.ps.add(Pos{Line: f.Line}, "messages", "unknown message %q%s", f.Key, didYouMean(f.Key, messageKeys()))
				continue
			}
			def.Messages[f.Key] = d.text(f.Value, where)
		}
	}
	if n := m["catalogues"]; n != nil && n.Kind != NodeNull {
		if n.Kind != NodeList {
			d.ps.add(n.pos(), "catalogues", "want %s, got %s", NodeList, n.Kind)
		}
		for i, cn := range n.Items {
			def.Catalogues = append(def.Catalogues, d.catalogue(cn, i))
		}
	}
	if n := m["questions"]; n != nil && n.Kind == NodeList {
		for i, qn := range n.Items {
			def.Questions = append(def.Questions, d.question(qn, i))
		}
	} else if n != nil {
		d.ps.add(n.pos(), "questions", "want %s, got %s", NodeList, n.Kind)
	} else {
		d.ps.add(root.pos(), "", "missing key %q", "questions")
	}
	def.index()
	return def
}

func (d *decoder) catalogue(n *Node, i int) *Catalogue {
	where := fmt.Sprintf("catalogue %d", i+1)
	if id := fieldValue(n, "id"); id != "" {
		where = fmt.Sprintf("catalogue %q", id)
	}
	c := &Catalogue{Pos: n.pos()}
	m := d.mapping(n, where, "id", "set", "items")
	if m == nil {
		return c
	}
	c.ID = d.str(m["id"], where)
	c.Set = d.str(m["set"], path(where, "set"))
	c.Items = d.items(m["items"], where)
	return c
}

func (d *decoder) items(n *Node, where string) []*Item {
	if n == nil || n.Kind == NodeNull {
		return nil
	}
	if n.Kind != NodeList {
		d.ps.add(n.pos(), where, "want %s, got %s", NodeList, n.Kind)
		return nil
	}
	out := make([]*Item, 0, len(n.Items))
	for i, in := range n.Items {
		out = append(out, d.item(in, path(where, fmt.Sprintf("item %d", i+1))))
	}
	return out
}

func (d *decoder) item(n *Node, where string) *Item {
	it := &Item{Pos: n.pos()}
	m := d.mapping(n, where, "id", "label", "description", "aliases", "exclusive")
	if m == nil {
		return it
	}
	it.ID = d.str(m["id"], where)
	it.Label = d.text(m["label"], path(where, "label"))
	it.Description = d.text(m["description"], path(where, "description"))
	it.Aliases = d.strings(m["aliases"], path(where, "aliases"))
	it.Exclusive = d.boolean(m["exclusive"], path(where, "exclusive"))
	return it
}

func (d *decoder) question(n *Node, i int) *Question {
	where := fmt.Sprintf("question %d", i+1)
	if id := fieldValue(n, "id"); id != "" {
		where = fmt.Sprintf("question %q", id)
	}
	q := &Question{Pos: n.pos()}
	m := d.mapping(n, where, "id", "kind", "text", "hint", "short", "optional", "when",
		"options", "from", "options_from", "other", "min", "max", "whole", "rows", "columns", "shortlist", "show_earlier_picks")
	if m == nil {
		return q
	}
	q.ID = d.str(m["id"], where)
	q.Kind = Kind(d.str(m["kind"], path(where, "kind")))
	q.Text = d.text(m["text"], path(where, "text"))
	q.Hint = d.text(m["hint"], path(where, "hint"))
	q.Short = d.text(m["short"], path(where, "short"))
	q.Optional = d.boolean(m["optional"], path(where, "optional"))
	q.Options = d.items(m["options"], path(where, "options"))
	q.From = d.str(m["from"], path(where, "from"))
	q.OptionsFrom = d.str(m["options_from"], path(where, "options_from"))
	q.Other = d.boolean(m["other"], path(where, "other"))
	q.Whole = d.boolean(m["whole"], path(where, "whole"))
	q.Rows = d.str(m["rows"], path(where, "rows"))
	q.Columns = d.str(m["columns"], path(where, "columns"))
	q.ShowEarlierPicks = d.boolean(m["show_earlier_picks"], path(where, "show_earlier_picks"))
	switch q.Kind {
	case KindNumber:
		q.MinValue = d.number(m["min"], path(where, "min"))
		q.MaxValue = d.number(m["max"], path(where, "max"))
	case KindText:
		q.MinLength = d.integer(m["min"], path(where, "min"))
		q.MaxLength = d.integer(m["max"], path(where, "max"))
	default:
		q.MinPicks = d.integer(m["min"], path(where, "min"))
		q.MaxPicks = d.integer(m["max"], path(where, "max"))
	}
	if sn := m["shortlist"]; sn != nil && sn.Kind != NodeNull {
		if sn.Kind != NodeMap {
			d.ps.add(sn.pos(), path(where, "shortlist"), "want %s, got %s", NodeMap, sn.Kind)
		}
		q.Shortlist = map[string][]string{}
		q.shortlistPos = map[string]Pos{}
		for _, f := range sn.Fields {
			w := path(where, fmt.Sprintf("shortlist %q", f.Key))
			if _, dup := q.Shortlist[f.Key]; dup {
				d.ps.add(Pos{Line: f.Line}, w, "given twice")
				continue
			}
			q.Shortlist[f.Key] = d.strings(f.Value, w)
			q.shortlistPos[f.Key] = Pos{Line: f.Line}
			if f.Value != nil {
				q.shortlistPos[f.Key] = f.Value.pos()
				q.shortlistItemPos = append(q.shortlistItemPos, linesOf(f.Key, f.Value)...)
			}
		}
	}
	if wn := m["when"]; wn != nil && wn.Kind != NodeNull {
		q.When = d.condition(wn, path(where, "when"))
	}
	return q
}

// fieldValue returns the scalar value of key in map n, or "".
func fieldValue(n *Node, key string) string {
	if n == nil || n.Kind != NodeMap {
		return ""
	}
	for _, f := range n.Fields {
		if f.Key == key && f.Value != nil && f.Value.Kind == NodeScalar {
			return f.Value.Value
		}
	}
	return ""
}

// linesOf records the line of each entry of a shortlist, so that a problem
// with one tool names its own line.
func linesOf(row string, n *Node) []shortlistEntry {
	if n.Kind != NodeList {
		return nil
	}
	out := make([]shortlistEntry, 0, len(n.Items))
	for _, it := range n.Items {
		out = append(out, shortlistEntry{row: row, id: it.Value, pos: it.pos()})
	}
	return out
}

type shortlistEntry struct {
	row, id string
	pos     Pos
}

func (d *decoder) condition(n *Node, where string) *Condition {
	c := &Condition{Pos: n.pos()}
	m := d.mapping(n, where, "question", "any_of", "none_of", "answered", "at_least", "at_most")
	if m == nil {
		return c
	}
	c.Question = d.str(m["question"], path(where, "question"))
	c.AnyOf = d.strings(m["any_of"], path(where, "any_of"))
	c.NoneOf = d.strings(m["none_of"], path(where, "none_of"))
	if an := m["answered"]; an != nil {
		b := d.boolean(an, path(where, "answered"))
		c.Answered = &b
	}
	c.AtLeast = d.number(m["at_least"], path(where, "at_least"))
	c.AtMost = d.number(m["at_most"], path(where, "at_most"))
	return c
}

// closest returns the allowed word nearest to s, if it is a likely typo.
func closest(s string, allowed []string) string {
	if utf8.RuneCountInString(s) > 2*MaxIDLength {
		return ""
	}
	best, bestD := "", 3
	for _, a := range allowed {
		if d := utf8.RuneCountInString(a) - utf8.RuneCountInString(s); d >= bestD || -d >= bestD {
			continue
		}
		if dist := editDistance(s, a); dist < bestD {
			best, bestD = a, dist
		}
	}
	return best
}

func didYouMean(s string, allowed []string) string {
	if c := closest(s, allowed); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
