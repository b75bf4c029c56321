package bot

import "toolmap/survey"

// HTMLMsg returns interface message key (survey/messages/*.po) in lang as
// HTML for Telegram, with {name} placeholders replaced by the given name,
// value pairs. Values are plain text and are escaped. A message sent as
// HTML (survey.IsHTMLMessage, such as admin_stats) keeps its own tags; any
// other is escaped whole. For a caption or anything else sent as plain
// text, use def.Msg.
func HTMLMsg(def *survey.Definition, lang, key string, pairs ...string) string {
	if !survey.IsHTMLMessage(key) {
		return esc(def.Msg(lang, key, pairs...))
	}
	escaped := make([]string, len(pairs))
	for i, p := range pairs {
		if i%2 == 1 {
			p = esc(p)
		}
		escaped[i] = p
	}
	return def.Msg(lang, key, escaped...)
}
