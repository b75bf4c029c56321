// Package export turns stored responses into files researchers open in R,
// pandas or a spreadsheet: a long CSV (one row per answer cell, e.g.
// respondent × activity × tool), a wide CSV (one row per response, each
// multi-select as a ;-joined column and as 0/1 columns per option), JSON
// Lines (one response per line, whole), an XLSX workbook (README, wide,
// long and codebook sheets, hand-written SpreadsheetML), a codebook (CSV and
// JSON), a Frictionless datapackage.json, and a ZIP of all of them.
//
// It imports the standard library and package survey only, and does no
// I/O of its own: encoders write to the io.Writer given, and park the parts
// of XLSX and ZIP files in the Spool given (temporary files, in the CLI).
//
// # Basics
//
// Encoders are fed one [Response] at a time and write it out at once, so
// memory stays constant however many responses there are:
//
//	cb := export.NewCodebook(def)            // every definition at hand
//	for _, s := range sessions { cb.Observe(&s) } // first pass: wide columns
//	enc, err := export.New(export.FormatZip, w, cb, &export.Options{Spool: tmp})
//	for id, s := range sessions {            // second pass
//		err = enc.Add(export.Response{Respondent: export.Pseudonym(key, id), Session: s})
//	}
//	err = enc.Close()
//
// A response carries a pseudonym ([Pseudonym]: a keyed HMAC of the
// Telegram id), never the id itself.
//
// # Columns
//
// Every row of the long and wide tables starts with respondent, survey,
// survey_version, language, status, source, started_at, completed_at,
// last_active_at (wide only), duration_s, referred_by (the pseudonym of
// the respondent whose personal link they came from; their source is then
// "referral", never the link's code: see SourceOf). The long table goes on with
// question, item, item_label, option, option_label, number, text (with
// FreeText only), skipped, answer_version, answered_at. The wide table goes
// on with consent_version, skipped, then for each question in codebook
// order: single: QID (and QID.other_text); number: QID; text: QID (with
// FreeText only); multi: QID (;-joined), QID.OPTION (0/1) for every option,
// QID.other_text; matrix: the same for each row, named QID.ROW and
// QID.ROW.OPTION. The README sheet and README.txt describe every column.
//
// # Caveats
//
// The wide columns come from the codebook, which must have observed every
// response to be exported (a first pass over the data): answers to a
// question, option or row it lacks make Add fail with ErrNotInCodebook.
// This keeps the columns of questions that later survey versions dropped.
// Long CSV and JSON Lines need no first pass.
//
// Text cells of CSV files are neutralised against formula injection
// ([Neutralise]); number cells never are. XLSX cells are inline strings or
// numbers, never formulas, and keep the text as typed; so does JSON Lines.
// Free text is left out unless Options.FreeText.
package export
