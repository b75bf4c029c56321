package bot

import (
	"strconv"
	"strings"

	"toolmap/survey/report"
)

// mapParagraphs are the digest's paragraphs about the study so far: the
// map, the gaps, names typed in, recommendations and quotes.
func (d *digestText) mapParagraphs() []string {
	st := &d.r.Study
	minN := strconv.Itoa(st.MinCount)
	if st.Suppressed {
		return []string{d.msg("digest_study_few", "n", minN)}
	}
	all := st.Views[0]
	var out []string
	out = append(out, d.msg("digest_map_title", "groups", d.groups(st.Groups))+"\n"+d.msg("digest_map_note"))
	for i, row := range st.Rows {
		f := all.Rows[i]
		p := d.msg("digest_activity", "activity", esc(d.rowLabel(row)), "groups", d.groups(f.Groups))
		var tools []string
		for _, j := range topCells(f, d.r.Study.MinCount) {
			if len(tools) == d.topTools() {
				break
			}
			share, _ := report.Share(f.Cells[j], f.Groups)
			tools = append(tools, d.msg("digest_tool", "tool", esc(d.colLabel(st.Columns[j])), "n", d.count(f.Cells[j]), "share", d.percent(share)))
		}
		if len(tools) == 0 {
			p += "\n" + d.msg("digest_no_top", "n", minN)
		} else {
			p += "\n" + strings.Join(tools, ", ")
		}
		out = append(out, p)
	}
	if len(st.FewRows) > 0 {
		names := make([]string, len(st.FewRows))
		for i, id := range st.FewRows {
			names[i] = esc(d.activity(id))
		}
		out = append(out, d.msg("digest_few_acts", "n", minN, "list", strings.Join(names, ", ")))
	}
	out = append(out, d.gaps())
	if p := d.typedIn(); p != "" {
		out = append(out, p)
	}
	if len(st.Recommended) > 0 {
		var items []string
		for _, t := range st.Recommended[:min(len(st.Recommended), 3)] {
			items = append(items, d.msg("digest_typed_item", "name", esc(d.colLabel(report.Column{ID: t.ID, Typed: report.IsTyped(t.ID), Label: t.Label})), "groups", d.groups(t.Groups)))
		}
		out = append(out, d.msg("digest_recommend", "list", strings.Join(items, ", ")))
	}
	if len(st.Quotes) > 0 {
		lines := []string{d.msg("digest_quotes_title")}
		for _, q := range st.Quotes {
			if q.Activity != "" {
				lines = append(lines, d.msg("digest_quote_about", "text", esc(q.Text), "activity", esc(d.rowLabel(d.row(q.Activity)))))
			} else {
				lines = append(lines, d.msg("digest_quote", "text", esc(q.Text)))
			}
		}
		out = append(out, strings.Join(lines, "\n"))
	}
	return out
}

// topTools is how many tools each activity lists.
func (d *digestText) topTools() int { return 3 }

// topCells returns the columns of an activity's cells that may be shown
// and are not zero, most groups first (columns are in order already).
func topCells(f report.RowFigures, minN int) []int {
	var out []int
	for j, c := range f.Cells {
		if n, ok := c.Value(); ok && n >= minN {
			out = append(out, j)
		}
	}
	// Stable by count: ties keep the columns' order.
	for i := 1; i < len(out); i++ {
		for k := i; k > 0; k-- {
			a, _ := f.Cells[out[k]].Value()
			b, _ := f.Cells[out[k-1]].Value()
			if a <= b {
				break
			}
			out[k], out[k-1] = out[k-1], out[k]
		}
	}
	return out
}

// gaps is the paragraph on where groups struggle: for each gap, the
// activities where most groups report it, by share.
func (d *digestText) gaps() string {
	st := &d.r.Study
	all := st.Views[0]
	lines := []string{d.msg("digest_gaps_title")}
	type gap struct {
		key  string
		n    func(report.RowFigures) report.Count
		base func(report.RowFigures) report.Count
	}
	for _, g := range []gap{
		{"digest_gap_hardest", func(f report.RowFigures) report.Count { return f.Hardest }, func(f report.RowFigures) report.Count { return f.HardBase }},
		{"digest_gap_none", func(f report.RowFigures) report.Count { return f.NoTool }, func(f report.RowFigures) report.Count { return f.Groups }},
		{"digest_gap_paper", func(f report.RowFigures) report.Count { return f.PaperOnly }, func(f report.RowFigures) report.Count { return f.Groups }},
		{"digest_gap_typed", func(f report.RowFigures) report.Count { return f.TypedIn }, func(f report.RowFigures) report.Count { return f.Groups }},
	} {
		type item struct{ row, share, n int }
		var items []item
		for i, f := range all.Rows {
			n, ok := g.n(f).Value()
			share, ok2 := report.Share(g.n(f), g.base(f))
			if ok && ok2 && n >= st.MinCount {
				items = append(items, item{i, share, n})
			}
		}
		if len(items) == 0 {
			continue
		}
		// Highest share first; ties by more groups, then the map's order.
		for i := 1; i < len(items); i++ {
			for k := i; k > 0; k-- {
				a, b := items[k], items[k-1]
				if a.share < b.share || a.share == b.share && a.n <= b.n {
					break
				}
				items[k], items[k-1] = b, a
			}
		}
		var parts []string
		for _, it := range items[:min(len(items), 3)] {
			f := all.Rows[it.row]
			parts = append(parts, d.msg("digest_gap_item", "activity", esc(d.rowLabel(st.Rows[it.row])), "n", d.count(g.n(f)), "share", d.percent(it.share)))
		}
		lines = append(lines, d.msg(g.key, "list", strings.Join(parts, ", ")))
	}
	if len(lines) == 1 {
		lines = append(lines, d.msg("digest_gaps_nothing", "n", strconv.Itoa(st.MinCount)))
	}
	return strings.Join(lines, "\n")
}

// typedIn is the paragraph on activities and tools typed under Other…;
// "" when there is none to show.
func (d *digestText) typedIn() string {
	st := &d.r.Study
	var acts []string
	for i, row := range st.Rows {
		if row.Typed {
			acts = append(acts, d.msg("digest_typed_item", "name", esc(row.Label), "groups", d.groups(st.Views[0].Rows[i].Groups)))
		}
	}
	var tools []string
	for _, t := range st.NewTools {
		tools = append(tools, d.msg("digest_typed_item", "name", esc(t.Name), "groups", d.groups(t.Groups)))
	}
	if len(acts) == 0 && len(tools) == 0 && !st.FewNewTools {
		return ""
	}
	lines := []string{d.msg("digest_typed_title", "other", esc(strings.TrimSpace(d.def.Msg(d.lang, "other"))))}
	if len(acts) > 0 {
		lines = append(lines, d.msg("digest_typed_acts", "list", strings.Join(acts, ", ")))
	}
	if len(tools) > 0 {
		lines = append(lines, d.msg("digest_typed_tools", "list", strings.Join(tools, ", ")))
	}
	if st.FewNewTools {
		lines = append(lines, d.msg("digest_new_few", "n", strconv.Itoa(st.MinCount)))
	}
	return strings.Join(lines, "\n")
}

// moves is the paragraph on this week against the weeks before; "" when
// nothing moved enough.
func (d *digestText) moves() string {
	if len(d.r.Moves) == 0 {
		return ""
	}
	lines := []string{d.msg("digest_moves_week")}
	for _, m := range d.r.Moves {
		arrow := "▲"
		if m.Share < m.Before {
			arrow = "▼"
		}
		lines = append(lines, d.msg("digest_move_cell", "arrow", arrow,
			"tool", esc(d.colLabel(d.col(m.Tool))), "activity", esc(d.rowLabel(d.row(m.Activity))),
			"share", d.percent(m.Share), "before", d.percent(m.Before)))
	}
	return strings.Join(lines, "\n")
}

// stepNote says how the map counts, when it counts fewer responses than
// have finished.
func (d *digestText) stepNote() string {
	st := &d.r.Study
	k, ok := st.Groups.Value()
	if st.Suppressed || !ok || k == st.Responses {
		return ""
	}
	return d.msg("digest_step_note", "k", d.number(k), "n", d.number(st.Responses), "step", strconv.Itoa(st.Step))
}

func (d *digestText) row(id string) report.Row {
	for _, r := range d.r.Study.Rows {
		if r.ID == id {
			return r
		}
	}
	return report.Row{ID: id}
}

func (d *digestText) col(id string) report.Column {
	for _, c := range d.r.Study.Columns {
		if c.ID == id {
			return c
		}
	}
	return report.Column{ID: id}
}

// rowLabel is an activity's label, or the name typed in for it.
func (d *digestText) rowLabel(r report.Row) string {
	if r.Typed {
		return r.Label
	}
	return d.activity(r.ID)
}

// colLabel is a tool's label, or the name typed in for it.
func (d *digestText) colLabel(c report.Column) string {
	if c.Typed {
		return c.Label
	}
	return d.tool(c.ID)
}
