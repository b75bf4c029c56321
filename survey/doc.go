// Package survey holds toolmap's survey model: the definition (catalogues of
// activities and tools, questions, texts in several languages), its
// validation, and the conversation engine that walks a respondent through it.
//
// It imports the standard library only and does no I/O. Adapters render what
// it produces: the terminal (toolmap try), Telegram (package bot), and the
// store (package store) persists it.
//
// # Basics
//
// A [Definition] is usually read from a YAML file by package
// toolmap/cmd/surveyfile, which turns YAML into a tree of [Node] values and
// calls [Decode]. Decode reports every problem at once, each with the file,
// line and path, as a [Problems] error.
//
// A conversation is a sequence of calls to [Step]:
//
//	sess, events, err := survey.Step(def, sess, survey.Input{Kind: survey.InputStart}, now)
//
// Step is pure and deterministic: the same definition, session, input and
// time give the same result. It returns the new session (to be saved) and
// events (to be shown): [Ask] for the next question, [AnswerRecorded] and
// [AnswerDropped] for the answer log, [Completed] at the end.
//
// # Caveats
//
// A respondent's mistake (an empty answer, a number out of range) is an Ask
// event with a Problem text, never a Go error. Step returns an error only
// when it is misused: a nil definition, or a session from another survey.
//
// Ids of questions, options, activities and tools are stable keys in stored
// answers and exports: never reuse one for something else.
//
// # Messages
//
// Everything toolmap says beside a survey's own words (buttons, hints,
// corrections, /help, the digest, the replies to admins) is an interface
// message, in one catalogue per language built into the package:
// messages/en.po (the source) and messages/es.po, in gettext's PO format
// (docs/translating.md). [Definition.Msg] gives a message in a language,
// with the survey's own wording (its "messages" key) first and fallbacks
// to the default language and English; [Definition.MessageGaps] names the
// messages that would fall back; [CheckCatalogue] checks a translation.
//
// # Versions
//
// A definition may carry its earlier versions ([Definition.SetEarlier]). A
// session begun under one of them finishes under it: Step, Summary, AskAt
// and SortedAnswers run it with [Definition.For], so that each response
// belongs to one questionnaire. A restart takes the current version.
package survey
