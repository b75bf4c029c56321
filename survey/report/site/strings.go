package site

import "strings"

// uiText are the page's own texts, by key and language. A language the
// survey speaks but this table does not falls back to English; labels of
// activities, tools and filters come from the survey, in every language it
// speaks. Placeholders are {name}; values are plain text (the template and
// the script escape them).
var uiText = map[string]map[string]string{
	"lang_name": {"en": "English", "es": "Español"},
	"subtitle":  {"en": "Which tools community groups use for each thing they do, and where they struggle.", "es": "Qué herramientas usan los grupos comunitarios para cada cosa que hacen, y dónde les cuesta."},
	"so_far":    {"en": "{n} groups so far, to week {week} ({dates}).", "es": "{n} grupos hasta ahora, hasta la semana {week} ({dates})."},
	"months":    {"en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", "es": "ene feb mar abr may jun jul ago sep oct nov dic"},
	"too_few":   {"en": "Fewer than {min} groups have answered so far: the map shows once more have.", "es": "Hasta ahora han respondido menos de {min} grupos: el mapa aparecerá cuando respondan más."},
	"languages": {"en": "Language", "es": "Idioma"},
	"skip":      {"en": "Skip to the table of numbers", "es": "Ir a la tabla de números"},

	"map_title":   {"en": "The map", "es": "El mapa"},
	"map_intro":   {"en": "Each cell is the share of the groups doing an activity who use a tool for it. Tap or point at a cell for its numbers.", "es": "Cada celda es el porcentaje de los grupos que hacen una actividad y usan una herramienta para ella. Toca o señala una celda para ver sus números."},
	"show":        {"en": "Show", "es": "Mostrar"},
	"all_groups":  {"en": "All groups", "es": "Todos los grupos"},
	"n_groups":    {"en": "{n} groups", "es": "{n} grupos"},
	"few_groups":  {"en": "fewer than {min} groups", "es": "menos de {min} grupos"},
	"all_tools":   {"en": "Show all {n} tools", "es": "Mostrar las {n} herramientas"},
	"activity":    {"en": "Activity", "es": "Actividad"},
	"cell":        {"en": "{tool} for {activity}: {share} of the {of} groups doing it ({n} groups).", "es": "{tool} para {activity}: {share} de los {of} grupos que lo hacen ({n} grupos)."},
	"cell_hidden": {"en": "{tool} for {activity}: not shown (fewer than {min} groups, or a number that would give one away).", "es": "{tool} para {activity}: no se muestra (menos de {min} grupos, o una cifra que delataría otra)."},
	"cell_none":   {"en": "{tool} for {activity}: no group.", "es": "{tool} para {activity}: ningún grupo."},
	"view_hidden": {"en": "Too few groups gave this answer to show anything.", "es": "Demasiados pocos grupos dieron esta respuesta para mostrar nada."},
	"legend_low":  {"en": "0%", "es": "0 %"},
	"legend_high": {"en": "100%", "es": "100 %"},
	"legend_hid":  {"en": "Not shown: fewer than {min} groups, or a number that would give one away", "es": "No se muestra: menos de {min} grupos, o una cifra que delataría otra"},
	"legend_zero": {"en": "No group", "es": "Ningún grupo"},
	"typed":       {"en": "✎ typed in by respondents under “Other…”", "es": "✎ escrito por quienes respondieron en «Otra…»"},
	"few_rows":    {"en": "Also named, by fewer than {min} groups each: {list}.", "es": "También nombradas, por menos de {min} grupos cada una: {list}."},
	"percent":     {"en": "{n}%", "es": "{n}\u00a0%"},
	"hidden":      {"en": "not shown", "es": "no se muestra"},

	"gaps_title":    {"en": "Where groups struggle", "es": "Dónde les cuesta a los grupos"},
	"gaps_intro":    {"en": "For each activity, the share of the groups doing it who…", "es": "Para cada actividad, el porcentaje de los grupos que la hacen que…"},
	"gap_hardest":   {"en": "name it the hardest to do with their tools", "es": "la señalan como la más difícil con sus herramientas"},
	"gap_none":      {"en": "do it with no tool, in person", "es": "la hacen sin herramientas, en persona"},
	"gap_paper":     {"en": "do it on paper alone", "es": "la hacen solo en papel"},
	"gap_typed":     {"en": "use a tool they typed in, not on the list", "es": "usan una herramienta que escribieron, fuera de la lista"},
	"gap_no_data":   {"en": "not asked", "es": "no se preguntó"},
	"recommended":   {"en": "Tools that work really well, say groups", "es": "Herramientas que funcionan muy bien, según los grupos"},
	"quotes_title":  {"en": "In their words", "es": "En sus palabras"},
	"quotes_intro":  {"en": "What is hard, in the words of respondents who allowed us to quote them, newest first.", "es": "Lo difícil, en palabras de quienes nos permitieron citarles, de lo más reciente a lo más antiguo."},
	"quote_about":   {"en": "On {activity}", "es": "Sobre {activity}"},
	"weeks_title":   {"en": "Responses by week", "es": "Respuestas por semana"},
	"week":          {"en": "Week", "es": "Semana"},
	"responses":     {"en": "Responses", "es": "Respuestas"},
	"week_label":    {"en": "Week {week}", "es": "Semana {week}"},
	"table_title":   {"en": "The numbers", "es": "Las cifras"},
	"table_caption": {"en": "Groups using each tool for each activity: share of the groups doing the activity, and number of groups.", "es": "Grupos que usan cada herramienta para cada actividad: porcentaje de los grupos que hacen la actividad, y número de grupos."},
	"cell_text":     {"en": "{share} ({n})", "es": "{share} ({n})"},
	"groups_col":    {"en": "Groups", "es": "Grupos"},

	"about_title": {"en": "How to read this page", "es": "Cómo leer esta página"},
	"about_min":   {"en": "No number on this page is under {min}, other than zero, and none is in its source either: the page was given only the numbers it may show.", "es": "Ninguna cifra de esta página es menor que {min}, salvo el cero, y tampoco está en su código: la página solo recibió las cifras que puede mostrar."},
	"about_hide":  {"en": "Where a number could be worked out from the others (all groups less the other answers to the same question), another is not shown either. Cells not shown look the same whatever the reason.", "es": "Cuando una cifra podría deducirse de las demás (todos los grupos menos las otras respuestas a la misma pregunta), tampoco se muestra otra. Las celdas ocultas se ven igual sea cual sea el motivo."},
	"about_one":   {"en": "Filters apply one at a time: combined, they would single out small groups.", "es": "Los filtros se aplican de uno en uno: combinados, señalarían grupos pequeños."},
	"about_step":  {"en": "The page counts the first {k} of the {n} responses: it grows {step} at a time, so that no single new answer can be read off a change between two versions of it.", "es": "La página cuenta las primeras {k} de las {n} respuestas: crece de {step} en {step}, para que ningún cambio entre dos versiones delate una sola respuesta nueva."},
	"about_not":   {"en": "It cannot protect against someone who already knows how most groups answered, and a group may recognise its own words among the quotes, which are shown only with permission.", "es": "No puede proteger frente a quien ya sabe cómo respondió la mayoría de los grupos, y un grupo puede reconocer sus palabras entre las citas, que solo se muestran con permiso."},
	"about_typed": {"en": "Names typed under “Other…” appear once {min} or more groups gave them (spelled as most did; case, punctuation and known aliases do not count).", "es": "Los nombres escritos en «Otra…» aparecen cuando los dan {min} grupos o más (como los escribió la mayoría; no cuentan mayúsculas, signos ni alias conocidos)."},
	"built":       {"en": "Made by toolmap on {date}.", "es": "Hecho con toolmap el {date}."},
}

// text returns key in lang, or in English, with {name} placeholders
// replaced by the given name, value pairs.
func text(lang, key string, pairs ...string) string {
	t := uiText[key]
	s, ok := t[lang]
	if !ok {
		s = t["en"]
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

// texts returns every key of uiText in lang, for the page's script.
func texts(lang string) map[string]string {
	out := make(map[string]string, len(uiText))
	for k := range uiText {
		out[k] = text(lang, k)
	}
	return out
}
