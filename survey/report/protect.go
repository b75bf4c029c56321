package report

// protect decides which values of one measure (a count of groups) may be
// shown across the views of a study. vals[0] is the measure over all
// groups; each part lists the views that split all groups by one filter
// question (each group is in at most one of them: those that did not
// answer, or were not asked, are in none).
//
// A value from 1 to min-1 is withheld (primary suppression). Then, in
// each part, a reader knows the total and the values shown, so knows the
// sum of the others: the withheld values and the groups in none of the
// views. When that sum is from 1 to min-1, the withheld values could be
// narrowed down to small numbers (one alone would be known exactly), so
// the smallest value shown that is not zero is withheld as well
// (secondary suppression); that sum is then at least min. A total that is
// itself withheld leaves nothing to work out. Zero is always shown: it
// singles out no one.
//
// This guards against the differences a reader can take within one
// measure. It does not guard against differences between two builds of
// the study over different responses (Options.Step does that), nor
// against what a reader knows from outside the study.
func protect(vals []int, parts [][]int, min int) []bool {
	shown := make([]bool, len(vals))
	for i, v := range vals {
		shown[i] = v == 0 || v >= min
	}
	if !shown[0] {
		return shown
	}
	for _, part := range parts {
		rest := vals[0]
		smallest := -1
		for _, v := range part {
			if !shown[v] {
				continue
			}
			rest -= vals[v]
			if vals[v] > 0 && (smallest < 0 || vals[v] < vals[smallest]) {
				smallest = v
			}
		}
		if rest > 0 && rest < min && smallest >= 0 {
			shown[smallest] = false
		}
	}
	return shown
}
