// Package report aggregates survey responses into the weekly digest that
// coordinators read: how many groups finished, the tools most named for
// each activity, what moved against the week before, tools named only
// under "Other…", quotes from respondents who allowed them, and where
// respondents came from.
//
// It imports the standard library and package survey only, and does no
// I/O: the caller reads the responses (package store) and renders the
// report (package bot).
//
// # Basics
//
// A [Period] is an ISO week, "2026-W47", counted in a time zone. A
// [Builder] takes the responses finished in the week and the week before
// ([Builder.Range]) one at a time, so that a store can stream them from a
// read transaction:
//
//	b, err := report.New(def, report.PeriodOf(now, loc), &report.Options{Location: loc})
//	from, to := b.Range()
//	err = db.Responses(from, to, func(_ survey.RespondentID, s survey.Session) error {
//		b.Add(s)
//		return nil
//	})
//	r := b.Report(report.Counts{Total: total, Started: started})
//
// # Small cells
//
// Protest groups and unions answer this survey, and a small group's tools
// can identify it (SURVEY.md §7). So every number of groups is a [Count],
// which withholds values from 1 to Options.MinCount-1 (default 5): the
// digest says "fewer than 5". A week with fewer responses than that shows
// no breakdown and no quotes at all. Tools, activities and names given
// under Other… are listed only when at least MinCount groups named them;
// personal referral and group links are counted together, never one by one;
// shares and movements are computed only from counts that can be shown.
//
// # Caveats
//
// A response counts in the week it was first finished, as the store keys
// it; a response changed later through /review is counted with its latest
// answers in that first week. "Started" comes from the caller, as it needs
// the sessions still in progress.
package report
