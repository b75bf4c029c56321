package export

import (
	"fmt"
	"strings"
)

// readmeLines explain an export to whoever opens it.
func readmeLines(l *layout) []string {
	var surveys []string
	for _, s := range l.cb.Surveys {
		surveys = append(surveys, fmt.Sprintf("%s (%s, versions %s)", s.ID, s.Title.In(l.lang, l.lang), versionList(s.Versions)))
	}
	made := ""
	if !l.opts.Now.IsZero() {
		made = ", made " + timeCell(l.opts.Now)
	}
	free := "Free text is LEFT OUT of this export: text answers and the text typed with Other… are omitted, and so are their columns. Export with --free-text to include them, and share such a file with care: people may have written names or places."
	if l.opts.FreeText {
		free = "Free text is INCLUDED: text answers, and the names typed with Other… (other_text columns, several names separated by \"; \"; the text column of the long table, one row per name). It may contain names or places: share with care."
	}
	licence := "LICENCE: none is stated. Ask the research team before sharing this data."
	if l.opts.Licence != "" {
		licence = "LICENCE: " + l.opts.Licence + " (also in datapackage.json)."
	}
	return []string{
		"toolmap export of " + strings.Join(surveys, ", ") + made,
		"",
		"TABLES (the same in the CSV files and in the sheets of the XLSX file)",
		"wide (wide.csv): one row per response. Each single, number and text question is one column. Each multi-select question, and each row of the activity x tool matrix, is one column of the option ids picked, ;-separated (e.g. tools.events = facebook;paper), and one 0/1 column per option (e.g. tools.events.paper).",
		"long (long.csv): one row per answer cell: for a single or multi question one row per option picked; for the matrix one row per respondent x activity (item) x tool (option); one row for a number, for a skipped question and, with free text, for a text answer. This is the tidy form for R (dplyr, ggplot2) and pandas (groupby, pivot_table).",
		"codebook (codebook.csv, codebook.json): every survey, question, option, matrix row (activity) and column (tool) id, with its labels in every language and the survey versions it appears in. Rows of kind shortlist say, for each activity and survey version, which tools it showed first (shown_first, in button order) and which only behind More… (behind_more): a tool on the first screen is easier to pick, so allow for it. Where earlier_picks_first is 1, the first screen also showed, after those, up to four tools the respondent had ticked most for the activities asked before (activities are asked in the order of the list), so those were one tap away too. A question with options_from offered only what the respondent had picked in that earlier question (e.g. hardest_activity: the activities they do); its codes are those of that question.",
		"responses.jsonl: one JSON object per line, one line per response, with every answer (values, version and time).",
		"datapackage.json: a Frictionless Data Package describing the columns and types of each CSV file.",
		"Long tables continue on further sheets of the XLSX file (\"long 2\", …) past Excel's 1,048,576 rows.",
		"",
		"JOINING: every row of both tables starts with the same columns (respondent … referred_by; the wide table adds last_active_at). Join long to wide on respondent, e.g. in R merge(long, wide[c(\"respondent\", \"group_kind\")], by = \"respondent\"); in pandas long.merge(wide[[\"respondent\", \"group_kind\"]], on=\"respondent\").",
		"IDS: respondent is a pseudonym: a keyed hash of the Telegram id under the study key, the same in every export made with that key. The raw Telegram id is never exported. Pseudonymised data is still personal data.",
		"VERSIONS: survey_version is the version the session last ran under; answer_version (long) the version each answer was given under. Ids are never reused, so responses from several versions share columns; a question or option dropped from the survey keeps its column (in_definition = 0 in the codebook if only the answers know it).",
		"MISSING: an empty cell means not asked, not answered, not finished or not applicable. 0/1 columns are 0 or 1 only when the question was answered. \"none\" (No tool / in person, version 1 of the built-in survey: ticking it unticked every tool) and \"in_person\" (In person / face to face, version 2: may be ticked beside tools) are answers, not gaps. The skipped column of the wide table lists the optional questions skipped.",
		"OTHER: a name typed under Other… is option other, with the name in the free text; a respondent may type several for one question (one row each in the long table).",
		"STATUS: completed for finished responses; active for sessions not finished (only in exports made with include-partial).",
		"TIMES: UTC, ISO 8601 (2025-03-01T09:00:00Z). duration_s runs from started_at to completed_at (for a session not finished, to last_active_at).",
		free,
		licence,
		"SPREADSHEET SAFETY: in the CSV files, a text cell that began with = + - @ a tab or a carriage return starts with an added ' so that spreadsheets show it as text (OWASP CSV injection); number columns are never changed. The XLSX file and JSON Lines keep the text as typed (an XLSX text cell is never a formula).",
		"LOADING: R: read.csv(\"long.csv\", na.strings = \"\", colClasses = c(respondent = \"character\"), encoding = \"UTF-8\"). pandas: pd.read_csv(\"long.csv\", dtype={\"respondent\": str}, keep_default_na=False, na_values=[\"\"]). Keep respondent as text: some pseudonyms look like numbers. Excel: open the XLSX file (the CSV files are UTF-8 without a byte-order mark).",
		"",
		"COLUMNS",
	}
}

// dictionary lists every column of the long, wide and codebook tables.
func dictionary(l *layout) [][]string {
	rows := [][]string{{"table", "column", "type", "description"}}
	cbCols, _ := l.cb.table()
	for _, t := range []struct {
		name string
		cols []column
	}{{"long", l.long}, {"wide", l.wide}, {"codebook", cbCols}} {
		for _, c := range t.cols {
			rows = append(rows, []string{t.name, c.Name, c.Kind, c.Desc})
		}
	}
	return rows
}

// readmeRows are the README sheet: the text in the first column, then the
// column dictionary.
func readmeRows(l *layout) [][]string {
	var rows [][]string
	for _, line := range readmeLines(l) {
		rows = append(rows, []string{line})
	}
	d := dictionary(l)
	for _, r := range d {
		rows = append(rows, []string{r[0] + "." + r[1], r[2], r[3]})
	}
	return rows
}

// readmeText is README.txt.
func readmeText(l *layout) string {
	var b strings.Builder
	for _, line := range readmeLines(l) {
		b.WriteString(line)
		b.WriteString("\n")
	}
	for _, r := range dictionary(l)[1:] {
		fmt.Fprintf(&b, "%s.%s (%s): %s\n", r[0], r[1], r[2], r[3])
	}
	return b.String()
}
