package report_test

import (
	"fmt"
	"slices"
	"time"

	"toolmap/cmd/surveyfile"
	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

func ExamplePeriod() {
	london, _ := time.LoadLocation("Europe/London")
	p, _ := report.ParsePeriod("2026-W43") // the week the clocks go back
	from, to := p.Bounds(london)
	fmt.Println(p, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339), to.Sub(from))
	fmt.Println(report.PeriodOf(time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), london))
	// Output:
	// 2026-W43 2026-10-18T23:00:00Z 2026-10-26T00:00:00Z 169h0m0s
	// 2026-W53
}

func ExampleBuilder() {
	def, _ := surveyfile.Default()
	sessions, _ := reporttest.RespondAll(def, reporttest.Typical())
	slices.SortFunc(sessions, func(x, y survey.Session) int { return x.CompletedAt.Compare(y.CompletedAt) })

	b, _ := report.New(def, report.Period{Year: 2026, Week: 47}, &report.Options{Step: 1})
	b.Begin(len(sessions))       // a store counts the responses of b.Range() first,
	for _, s := range sessions { // then streams them in completion order
		b.Add(s)
	}
	r := b.Report(report.Counts{Total: 40, Started: 11})

	fmt.Println("finished:", r.Finished, "week before:", r.PreviousFinished, "moves:", r.Moves)
	st := r.Study
	fmt.Println("study so far:", st.Groups)
	for i, row := range st.Rows {
		fig := st.Views[0].Rows[i]
		fmt.Print(row.ID, " ", fig.Groups, ":")
		for j, col := range st.Columns {
			if share, ok := report.Share(fig.Cells[j], fig.Groups); ok && share > 0 {
				fmt.Printf(" %s %v (%d%%)", col.ID, fig.Cells[j], share)
			}
		}
		fmt.Println()
	}
	fmt.Println("too few to show:", st.FewRows)
	fmt.Println("new under Other…:", st.NewTools)
	fmt.Println("sources:", st.Sources)
	// Output:
	// finished: 8 week before: 6 moves: [{announce facebook 63 100}]
	// study so far: 14
	// announce 14: whatsapp 8 (57%) facebook 11 (79%)
	// coordinate 11: whatsapp 6 (55%) ~mastodon 5 (45%) signal 5 (45%)
	// too few to show: [events]
	// new under Other…: [{Mastodon 8}]
	// sources: [{other  14}]
}
