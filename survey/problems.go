package survey

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a definition, with where it was found.
type Problem struct {
	File string
	Line int
	Path string // e.g. `question "tools": shortlist "events"`
	Msg  string
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteString(":")
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a definition, in file order. It is the
// error Decode and Validate return.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while decoding and validating.
type problems struct {
	file string
	list Problems
	seen map[string]bool
}

func (ps *problems) add(pos Pos, path, format string, args ...any) {
	p := Problem{File: ps.file, Line: pos.Line, Path: path, Msg: fmt.Sprintf(format, args...)}
	key := p.Error()
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	if ps.seen[key] {
		return
	}
	ps.seen[key] = true
	ps.list = append(ps.list, p)
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := append(Problems(nil), ps.list...)
	sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
	return list
}

// path joins path elements with ": ".
func path(elems ...string) string {
	var out []string
	for _, e := range elems {
		if e != "" {
			out = append(out, e)
		}
	}
	return strings.Join(out, ": ")
}
