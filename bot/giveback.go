package bot

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"toolmap/survey"
)

// Peers tells what other respondents answered, for the "groups like
// yours…" message at the end: for one row of a matrix question (an
// activity), how many responses named each column option (a tool). It is
// a snapshot that may lag a little; it must be safe for concurrent use
// and cheap, as it is read inside the commit of a completion.
type Peers interface {
	Counts(question, item string) map[string]int
}

// giveBackTop is the most tools named for one activity.
const giveBackTop = 3

// giveBack is the "groups like yours…" part of the message after a
// completion, in HTML: for each activity the respondent named, the tools
// most named for it by everyone, each count at least minCount (smaller
// ones are never shown, as in the digest). It is part of the thanks
// message rather than a message of its own, so it arrives with it.
func (r *renderer) giveBack(peers Peers, minCount int) string {
	var lines []string
	for _, l := range r.def.Summary(&r.after) {
		q := r.def.Question(l.At.Question)
		if q == nil || q.Kind != survey.KindMatrix || l.At.Item == "" {
			continue
		}
		counts := peers.Counts(l.At.Question, l.At.Item)
		type tool struct {
			id string
			n  int
		}
		var tools []tool
		for id, n := range counts {
			if n >= minCount && id != survey.OtherID {
				tools = append(tools, tool{id, n})
			}
		}
		if len(tools) == 0 {
			continue
		}
		slices.SortFunc(tools, func(a, b tool) int {
			if c := cmp.Compare(b.n, a.n); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		var names []string
		for _, t := range tools[:min(len(tools), giveBackTop)] {
			label := r.def.AnswerText(q, survey.Answer{Question: q.ID, Values: []string{t.id}}, r.lang)
			names = append(names, esc(label)+" ("+strconv.Itoa(t.n)+")")
		}
		lines = append(lines, "• "+esc(l.Question)+": "+strings.Join(names, ", "))
	}
	var b strings.Builder
	b.WriteString("<b>" + esc(r.msg("giveback_title")) + "</b>\n")
	if len(lines) == 0 {
		b.WriteString(esc(r.msg("giveback_none", "n", strconv.Itoa(minCount))))
	} else {
		b.WriteString(esc(r.msg("giveback_intro", "n", strconv.Itoa(minCount))) + "\n")
		b.WriteString(strings.Join(lines, "\n"))
	}
	return b.String()
}
