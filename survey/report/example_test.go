package report_test

import (
	"fmt"
	"time"

	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
	"toolmap/survey/surveyfile"
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

	b, _ := report.New(def, report.Period{Year: 2026, Week: 47}, nil)
	for _, s := range sessions { // a store would stream b.Range()
		b.Add(s)
	}
	r := b.Report(report.Counts{Total: 40, Started: 11})

	fmt.Println("finished:", r.Finished, "week before:", r.PreviousFinished)
	for _, a := range r.Activities {
		fmt.Println(a.ID, a.Groups, a.Tools)
	}
	fmt.Println("too few to show:", r.FewActivities)
	fmt.Println("new under Other…:", r.NewTools)
	fmt.Println("sources:", r.Sources)
	// Output:
	// finished: 8 week before: 6
	// announce 8 [{whatsapp 8 100} {facebook 5 63}]
	// coordinate 5 [{signal 5 100}]
	// too few to show: [events]
	// new under Other…: [{Mastodon 8}]
	// sources: [{source flyer 5} {other  <5}]
}
