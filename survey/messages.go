package survey

import (
	"sort"
	"strings"
)

// builtinMessages are the interface texts the engine and its adapters use,
// in every language toolmap ships. A definition may override any of them
// under its "messages" key; a language missing here falls back to the
// survey's default language, then to English.
var builtinMessages = map[string]Text{
	"progress":       {"en": "Question {n} of {total}", "es": "Pregunta {n} de {total}"},
	"row_progress":   {"en": "{label} ({n} of {total})", "es": "{label} ({n} de {total})"},
	"hint_single":    {"en": "Tap one answer.", "es": "Toca una respuesta."},
	"hint_multi":     {"en": "Tap all that apply, then Done.", "es": "Toca todas las que correspondan y después «Listo»."},
	"hint_text":      {"en": "Type your answer.", "es": "Escribe tu respuesta."},
	"hint_number":    {"en": "Type a number.", "es": "Escribe un número."},
	"hint_optional":  {"en": "You can skip this one.", "es": "Puedes saltarte esta pregunta."},
	"done":           {"en": "Done ▶", "es": "Listo ▶"},
	"back":           {"en": "⬅ Back", "es": "⬅ Atrás"},
	"skip":           {"en": "Skip", "es": "Saltar"},
	"other":          {"en": "Other…", "es": "Otra…"},
	"more":           {"en": "More…", "es": "Más…"},
	"fewer":          {"en": "Fewer…", "es": "Menos…"},
	"other_prompt":   {"en": "Please type it in a few words.", "es": "Escríbelo en pocas palabras, por favor."},
	"other_answered": {"en": "Other: {text}", "es": "Otra: {text}"},

	"problem_choose":      {"en": "Please tap one of the buttons.", "es": "Toca uno de los botones, por favor."},
	"problem_min_picks":   {"en": "Please pick at least {n}.", "es": "Elige al menos {n}, por favor."},
	"problem_max_picks":   {"en": "You can pick at most {n}: untick one first.", "es": "Puedes elegir {n} como máximo: desmarca alguna antes."},
	"problem_text_empty":  {"en": "Please type an answer.", "es": "Escribe una respuesta, por favor."},
	"problem_text_short":  {"en": "Please write at least {n} characters.", "es": "Escribe al menos {n} caracteres, por favor."},
	"problem_text_long":   {"en": "That is {len} characters; the limit is {n}. Please shorten it.", "es": "Son {len} caracteres y el límite es {n}. Acórtalo, por favor."},
	"problem_number":      {"en": "Please type a number, such as 12.", "es": "Escribe un número, por ejemplo 12."},
	"problem_whole":       {"en": "Please type a whole number.", "es": "Escribe un número entero, por favor."},
	"problem_number_min":  {"en": "Please type a number of at least {n}.", "es": "Escribe un número igual o mayor que {n}."},
	"problem_number_max":  {"en": "Please type a number no bigger than {n}.", "es": "Escribe un número no mayor que {n}."},
	"problem_required":    {"en": "This question needs an answer.", "es": "Esta pregunta necesita una respuesta."},
	"problem_first":       {"en": "This is the first question.", "es": "Esta es la primera pregunta."},
	"problem_consent":     {"en": "Please tap “{agree}” to begin, or “{decline}”.", "es": "Toca «{agree}» para empezar, o «{decline}»."},
	"problem_stale":       {"en": "That button is from an earlier question. Here is where you are now.", "es": "Ese botón es de una pregunta anterior. Estás aquí."},
	"problem_other_empty": {"en": "Please type a name, or tap Back.", "es": "Escribe un nombre, o toca «Atrás»."},
	"problem_language":    {"en": "This survey speaks: {list}.", "es": "Esta encuesta está en: {list}."},
	"problem_finished":    {"en": "You have already finished. You can review your answers or start again.", "es": "Ya terminaste. Puedes revisar tus respuestas o empezar de nuevo."},
	"problem_not_started": {"en": "Send /start to begin.", "es": "Envía /start para empezar."},

	"declined":      {"en": "No problem: nothing has been stored. If you change your mind, send /start.", "es": "Sin problema: no se ha guardado nada. Si cambias de idea, envía /start."},
	"resumed":       {"en": "Welcome back! Let's carry on where you left off.", "es": "¡Hola de nuevo! Sigamos donde lo dejaste."},
	"restarted":     {"en": "Starting again from the first question.", "es": "Empezamos de nuevo desde la primera pregunta."},
	"expired":       {"en": "We paused here. Your answers are saved: carry on whenever you like.", "es": "Lo dejamos aquí. Tus respuestas están guardadas: sigue cuando quieras."},
	"summary_title": {"en": "Your answers:", "es": "Tus respuestas:"},
	"skipped":       {"en": "(skipped)", "es": "(sin respuesta)"},
	"nothing":       {"en": "(nothing picked)", "es": "(nada elegido)"},
	"language_name": {"en": "English", "es": "Español"},
	"yes":           {"en": "Yes", "es": "Sí"},
	"no":            {"en": "No", "es": "No"},

	// Used by the Telegram bot.
	"help": {
		"en": "I ask a few questions about the tools your group uses. Tap the buttons to answer; type when I ask you to.\n\n/start – begin, or carry on where you left off\n/back – go back one question\n/skip – skip a question you may skip\n/review – see your answers and change one\n/restart – start again from the first question\n/language – change language\n/privacy – what we store and why\n/mydata – see everything stored about you\n/delete – delete everything stored about you",
		"es": "Te hago unas preguntas sobre las herramientas que usa tu grupo. Toca los botones para responder; escribe cuando te lo pida.\n\n/start – empezar, o seguir donde lo dejaste\n/back – volver a la pregunta anterior\n/skip – saltar una pregunta que se puede saltar\n/review – ver tus respuestas y cambiar alguna\n/restart – empezar de nuevo desde la primera pregunta\n/language – cambiar de idioma\n/privacy – qué guardamos y por qué\n/mydata – ver todo lo que guardamos de ti\n/delete – borrar todo lo que guardamos de ti",
	},
	"privacy": {
		"en": "What we store: your numeric Telegram id, the language you chose, where you came from (the link you used), and your answers with the time you gave them. Never your name, username or phone number.\nWhy: research into the tools community groups use.\nWho sees it: the research team, with a code in place of your id. Published results are anonymous totals and never show a number under 5.\nHow long: until the study ends.\nYour rights: /mydata shows everything stored about you; /delete deletes it, at once (backups keep it a little longer, then it is gone); you can stop at any time.",
		"es": "Qué guardamos: tu identificador numérico de Telegram, el idioma que elegiste, de dónde llegaste (el enlace que usaste) y tus respuestas con la hora en que las diste. Nunca tu nombre, tu usuario ni tu teléfono.\nPara qué: investigar qué herramientas usan los grupos comunitarios.\nQuién lo ve: el equipo de investigación, con un código en lugar de tu identificador. Los resultados publicados son totales anónimos y nunca muestran un número menor que 5.\nCuánto tiempo: hasta que termine el estudio.\nTus derechos: /mydata muestra todo lo que guardamos de ti; /delete lo borra en el acto (las copias de seguridad lo guardan un poco más y luego desaparece); puedes dejarlo cuando quieras.",
	},
	"private_only":    {"en": "I only talk in private chats, so nothing said here is stored. Tap below to open a chat with me.", "es": "Solo hablo en chats privados, así que no se guarda nada de lo que se dice aquí. Toca abajo para abrir un chat conmigo."},
	"open_chat":       {"en": "Open a private chat", "es": "Abrir un chat privado"},
	"media":           {"en": "Sorry, I can only read text and taps on the buttons.", "es": "Lo siento, solo puedo leer texto y toques en los botones."},
	"slow_down":       {"en": "That's a lot at once! Please slow down a little; I'll keep up.", "es": "¡Eso es mucho de golpe! Ve un poco más despacio, por favor."},
	"try_again":       {"en": "Sorry, I could not save that just now. Please try again in a minute.", "es": "Lo siento, no he podido guardarlo ahora. Inténtalo de nuevo en un minuto, por favor."},
	"stale_button":    {"en": "That button no longer works.", "es": "Ese botón ya no funciona."},
	"survey_changed":  {"en": "The survey has been updated. Here is where you are now.", "es": "La encuesta se ha actualizado. Estás aquí."},
	"review_title":    {"en": "Your answers so far. Tap one to change it.", "es": "Tus respuestas hasta ahora. Toca una para cambiarla."},
	"review_empty":    {"en": "You have no answers yet. Send /start to begin.", "es": "Todavía no tienes respuestas. Envía /start para empezar."},
	"language_prompt": {"en": "Choose a language:", "es": "Elige un idioma:"},
	"unknown_command": {"en": "I don't know that command. /help lists what I can do.", "es": "No conozco ese comando. /help muestra lo que puedo hacer."},
	"saved":           {"en": "Saved ✔", "es": "Guardado ✔"},

	// /mydata and /delete.
	"mydata_title":      {"en": "Everything stored about you", "es": "Todo lo que guardamos de ti"},
	"mydata_none":       {"en": "Nothing is stored about you.", "es": "No guardamos nada de ti."},
	"mydata_id":         {"en": "Kept under your Telegram id {id} (never your name, username or phone number).", "es": "Guardado con tu identificador de Telegram {id} (nunca tu nombre, usuario ni teléfono)."},
	"mydata_survey":     {"en": "Survey: {survey}, version {version}; language: {lang}", "es": "Encuesta: {survey}, versión {version}; idioma: {lang}"},
	"mydata_source":     {"en": "Came from: {source}", "es": "Llegaste desde: {source}"},
	"mydata_consent":    {"en": "Agreed to the notice (version {version}) on {at}", "es": "Aceptaste el aviso (versión {version}) el {at}"},
	"mydata_started":    {"en": "Started: {at}", "es": "Empezaste: {at}"},
	"mydata_finished":   {"en": "Finished: {at}", "es": "Terminaste: {at}"},
	"mydata_unfinished": {"en": "Not finished yet.", "es": "Todavía sin terminar."},
	"mydata_footer":     {"en": "We also keep a log of when each answer was given or changed, with the earlier answers, and the messages waiting to be sent to you. /delete removes all of it.", "es": "También guardamos un registro de cuándo diste o cambiaste cada respuesta, con las respuestas anteriores, y los mensajes pendientes de enviarte. /delete lo borra todo."},
	"mydata_file":       {"en": "Everything stored about you, as a file (too long for a message).", "es": "Todo lo que guardamos de ti, en un archivo (demasiado largo para un mensaje)."},
	"delete_confirm":    {"en": "Delete everything stored about you: your answers, when you gave them and where you came from? This cannot be undone.", "es": "¿Borrar todo lo que guardamos de ti: tus respuestas, cuándo las diste y de dónde llegaste? No se puede deshacer."},
	"delete_yes":        {"en": "🗑 Yes, delete everything", "es": "🗑 Sí, borrarlo todo"},
	"delete_no":         {"en": "No, keep it", "es": "No, guardarlo"},
	"delete_kept":       {"en": "Nothing was deleted.", "es": "No se ha borrado nada."},
	"deleted":           {"en": "Done: everything stored about you has been deleted. Copies in older backups go when those backups expire. Send /start if you ever want to answer again.", "es": "Hecho: hemos borrado todo lo que guardábamos de ti. Las copias en las copias de seguridad anteriores desaparecen cuando estas caducan. Envía /start si algún día quieres volver a responder."},
	"deleted_toast":     {"en": "Deleted", "es": "Borrado"},

	// Reminders.
	"reminder":          {"en": "Hello again! You started our survey about the tools your group uses, and your answers so far are saved. Would you like to carry on? It takes a few minutes.", "es": "¡Hola de nuevo! Empezaste nuestra encuesta sobre las herramientas que usa tu grupo y tus respuestas están guardadas. ¿Quieres seguir? Son unos minutos."},
	"reminder_continue": {"en": "▶ Continue", "es": "▶ Seguir"},
	"reminder_stop":     {"en": "Stop reminding me", "es": "No me lo recuerdes más"},
	"privacy_retention": {"en": "After {days} days your Telegram id is removed: finished answers stay under a code that cannot be linked back to you, and unfinished ones are deleted.", "es": "A los {days} días se borra tu identificador de Telegram: las respuestas terminadas se quedan con un código que no se puede relacionar contigo y las no terminadas se borran."},
	"referral_offer":    {"en": "Know another group that should answer? Pass them your personal link: {link}", "es": "¿Conoces otro grupo que debería responder? Pásale tu enlace personal: {link}"},
	"giveback_title":    {"en": "Groups like yours…", "es": "Grupos como el tuyo…"},
	"giveback_intro":    {"en": "The tools named most for the things you do, by all the groups that answered (only counts of {n} or more are shown):", "es": "Las herramientas más nombradas para lo que hacéis, por todos los grupos que han respondido (solo se muestran cifras de {n} o más):"},
	"giveback_channel":  {"en": "Each week's findings are posted in {link}", "es": "Los resultados de cada semana se publican en {link}"},
	"giveback_none":     {"en": "Not enough groups have answered yet to compare (we never show a number under {n}). The digest will tell once more have.", "es": "Todavía no han respondido suficientes grupos para comparar (nunca mostramos cifras menores que {n}). El resumen lo contará cuando haya más."},
	"reminders_stopped": {"en": "OK, no more reminders. Your answers are saved: send /start whenever you like.", "es": "De acuerdo, no más recordatorios. Tus respuestas están guardadas: envía /start cuando quieras."},

	// ---- Added with the survey version 2 work (several Other… names,
	// exclusive options that say what they do, "Same as…", pages of long
	// lists). Keys: problem_max_others, exclusive_cleared,
	// exclusive_unticked, same_as, page_prev, page_next.
	"problem_max_others": {"en": "You can add at most {n} names here: untick one first.", "es": "Aquí puedes añadir {n} nombres como máximo: desmarca alguno antes."},
	"exclusive_cleared":  {"en": "“{label}” goes on its own, so your other picks were unticked.", "es": "«{label}» va sola, así que se han desmarcado las demás."},
	"exclusive_unticked": {"en": "“{label}” was unticked.", "es": "Se ha desmarcado «{label}»."},
	"same_as":            {"en": "🔁 Same as {label}", "es": "🔁 Igual que {label}"},
	"page_prev":          {"en": "◀ {n}/{total}", "es": "◀ {n}/{total}"},
	"page_next":          {"en": "{n}/{total} ▶", "es": "{n}/{total} ▶"},
	// ---- end of the survey version 2 block.
}

func messageKeys() []string {
	keys := make([]string, 0, len(builtinMessages))
	for k := range builtinMessages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Msg returns interface message key in lang, with {name} placeholders
// replaced by the given name, value pairs. It takes the first there is of:
// the definition's own text in lang, the built-in text in lang, the
// definition's own text in the default language, the built-in text in the
// default language, the built-in English.
func (d *Definition) Msg(lang, key string, pairs ...string) string {
	own, builtin := d.Messages[key], builtinMessages[key]
	s := ""
	for _, cand := range []string{own[lang], builtin[lang], own[d.DefaultLanguage], builtin[d.DefaultLanguage], builtin["en"]} {
		if cand != "" {
			s = cand
			break
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}
