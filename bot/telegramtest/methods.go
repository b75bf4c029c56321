package telegramtest

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/gif"  // photo dimensions
	_ "image/jpeg" // photo dimensions
	_ "image/png"  // photo dimensions
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

type handler func(s *Server, r *request) (any, *apiError)

// handlers run with s.mu held. getUpdates is handled separately.
var handlers = map[string]handler{
	"getMe":                  hGetMe,
	"sendMessage":            hSendMessage,
	"editMessageText":        hEditMessageText,
	"editMessageCaption":     hEditMessageCaption,
	"editMessageReplyMarkup": hEditMessageReplyMarkup,
	"deleteMessage":          hDeleteMessage,
	"answerCallbackQuery":    hAnswerCallbackQuery,
	"setMyCommands":          hSetMyCommands,
	"getMyCommands":          hGetMyCommands,
	"deleteMyCommands":       hDeleteMyCommands,
	"getChat":                hGetChat,
	"getChatMember":          hGetChatMember,
	"sendPhoto":              hSendFile("photo"),
	"sendDocument":           hSendFile("document"),
	"sendChatAction":         hSendChatAction,
	"deleteWebhook":          func(*Server, *request) (any, *apiError) { return true, nil },
	"getWebhookInfo":         hGetWebhookInfo,
}

// methodNames maps lower-case method names (Telegram method names are
// case-insensitive) to canonical ones.
var methodNames = func() map[string]string {
	m := map[string]string{"getupdates": "getUpdates"}
	for k := range handlers {
		m[strings.ToLower(k)] = k
	}
	return m
}()

// Methods returns the Bot API methods the server implements.
func Methods() []string { return sortedKeys(methodNames) }

var errBlocked = &apiError{Code: 403, Description: "Forbidden: bot was blocked by the user"}

func hGetMe(s *Server, _ *request) (any, *apiError) {
	w := s.st.bot.wire()
	w["can_join_groups"] = true
	w["can_read_all_group_messages"] = false
	w["supports_inline_queries"] = false
	return w, nil
}

func hGetWebhookInfo(s *Server, _ *request) (any, *apiError) {
	return map[string]any{"url": "", "has_custom_certificate": false, "pending_update_count": len(s.st.pending)}, nil
}

// targetChat resolves chat_id for sending.
func (s *Server) targetChat(r *request) (*chatState, *apiError) {
	if r.param("chat_id") == "" {
		return nil, badRequest("chat_id is empty")
	}
	c := s.st.chat(r.chatID)
	if c == nil {
		return nil, errChatNotFound
	}
	if c.blocked {
		return nil, errBlocked
	}
	return c, nil
}

func (s *Server) newBotMessage(c *chatState, r *request, kind string) (*msgState, *apiError) {
	m := &msgState{
		fromBot:   true,
		kind:      kind,
		date:      s.now(),
		protected: r.param("protect_content") == "true",
	}
	if v := r.param("reply_to_message_id"); v != "" {
		id, _ := strconv.Atoi(v)
		if t, ok := c.byID[id]; ok && !t.deleted {
			m.replyTo = id
		} else if r.param("allow_sending_without_reply") != "true" {
			return nil, badRequest("message to be replied not found")
		}
	}
	mp, ae := normalizeMarkupParsed(r.param("reply_markup"), false)
	if ae != nil {
		return nil, ae
	}
	m.setMarkup(mp)
	if !s.st.lean {
		m.params = cloneValues(r.params)
	}
	return m, nil
}

func hSendMessage(s *Server, r *request) (any, *apiError) {
	c, ae := s.targetChat(r)
	if ae != nil {
		return nil, ae
	}
	text := r.param("text")
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	rendered, ae := renderText(text, r.param("parse_mode"))
	if ae != nil {
		return nil, ae
	}
	if strings.TrimSpace(rendered) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf16Len(rendered) > 4096 {
		return nil, badRequest("message is too long")
	}
	m, ae := s.newBotMessage(c, r, "text")
	if ae != nil {
		return nil, ae
	}
	m.text, m.parseMode, m.rendered = strings.Clone(text), strings.Clone(r.param("parse_mode")), strings.Clone(rendered)
	s.st.addMessage(c, m)
	return s.st.wireMessage(m, true), nil
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

// editTarget finds the bot message an edit refers to.
func (s *Server) editTarget(r *request, verb string) (*msgState, *apiError) {
	if r.param("inline_message_id") != "" {
		return nil, badRequest("MESSAGE_ID_INVALID")
	}
	if r.param("chat_id") == "" {
		return nil, badRequest("chat_id is empty")
	}
	c := s.st.chat(r.chatID)
	if c == nil {
		return nil, errChatNotFound
	}
	if c.blocked {
		return nil, errBlocked
	}
	if r.param("message_id") == "" {
		return nil, badRequest("message identifier is not specified")
	}
	id, err := strconv.Atoi(r.param("message_id"))
	if err != nil {
		return nil, badRequest("message identifier is not specified")
	}
	m, ok := c.byID[id]
	if !ok || m.deleted {
		return nil, badRequest("message to %s not found", verb)
	}
	if verb == "edit" && !m.fromBot {
		return nil, badRequest("message can't be edited")
	}
	return m, nil
}

func currentInline(m *msgState) string {
	if isInline(m.markup) {
		return m.markup
	}
	return ""
}

func (s *Server) touch(m *msgState) {
	m.edits++
	m.editDate = s.now()
}

func hEditMessageText(s *Server, r *request) (any, *apiError) {
	m, ae := s.editTarget(r, "edit")
	if ae != nil {
		return nil, ae
	}
	if m.kind != "text" {
		return nil, badRequest("there is no text in the message to edit")
	}
	text := r.param("text")
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	rendered, ae := renderText(text, r.param("parse_mode"))
	if ae != nil {
		return nil, ae
	}
	if utf16Len(rendered) > 4096 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	// Without reply_markup, editMessageText removes the inline keyboard.
	mp, ae := normalizeMarkupParsed(r.param("reply_markup"), true)
	if ae != nil {
		return nil, ae
	}
	if text == m.text && r.param("parse_mode") == m.parseMode && mp.canon == currentInline(m) {
		return nil, errNotModified
	}
	// Clones: a value may be a substring of the whole request body.
	m.text, m.parseMode, m.rendered = strings.Clone(text), strings.Clone(r.param("parse_mode")), strings.Clone(rendered)
	m.setMarkup(mp)
	s.touch(m)
	return s.st.wireMessage(m, true), nil
}

func hEditMessageCaption(s *Server, r *request) (any, *apiError) {
	m, ae := s.editTarget(r, "edit")
	if ae != nil {
		return nil, ae
	}
	if m.kind == "text" {
		return nil, badRequest("there is no caption in the message to edit")
	}
	caption := r.param("caption")
	rendered, ae := renderText(caption, r.param("parse_mode"))
	if ae != nil {
		return nil, ae
	}
	if utf16Len(rendered) > 1024 {
		return nil, badRequest("message caption is too long")
	}
	markup, ae := normalizeMarkup(r.param("reply_markup"), true)
	if ae != nil {
		return nil, ae
	}
	if caption == m.caption && r.param("parse_mode") == m.parseMode && markup == currentInline(m) {
		return nil, errNotModified
	}
	m.caption, m.parseMode, m.rendered, m.markup = strings.Clone(caption), strings.Clone(r.param("parse_mode")), strings.Clone(rendered), markup
	s.touch(m)
	return s.st.wireMessage(m, true), nil
}

func hEditMessageReplyMarkup(s *Server, r *request) (any, *apiError) {
	m, ae := s.editTarget(r, "edit")
	if ae != nil {
		return nil, ae
	}
	mp, ae := normalizeMarkupParsed(r.param("reply_markup"), true)
	if ae != nil {
		return nil, ae
	}
	if mp.canon == currentInline(m) {
		return nil, errNotModified
	}
	m.setMarkup(mp)
	s.touch(m)
	return s.st.wireMessage(m, true), nil
}

func hDeleteMessage(s *Server, r *request) (any, *apiError) {
	m, ae := s.editTarget(r, "delete")
	if ae != nil {
		return nil, ae
	}
	m.deleted = true
	return true, nil
}

var errQueryInvalid = badRequest("query is too old and response timeout expired or query ID is invalid")

func hAnswerCallbackQuery(s *Server, r *request) (any, *apiError) {
	cb, ok := s.st.callbacks[r.param("callback_query_id")]
	if !ok || cb.answered {
		return nil, errQueryInvalid
	}
	if t := s.opts.CallbackAnswerTimeout; t > 0 && s.now().Sub(cb.created) > t {
		return nil, errQueryInvalid
	}
	if utf16Len(r.param("text")) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	cb.info.Answered = true
	cb.info.AnswerText = r.param("text")
	if c := s.st.chat(cb.info.ChatID); c != nil && c.lastCB.ID == cb.info.ID {
		c.lastCB = cb.info
	}
	if s.st.lean {
		delete(s.st.callbacks, cb.info.ID)
	}
	return true, nil
}

func commandsKey(scope, lang string) string {
	if scope != "" {
		if c, err := canonicalJSON(scope); err == nil {
			scope = c
		}
	}
	if scope == "" || scope == `{"type":"default"}` {
		scope = "default"
	}
	return scope + "|" + lang
}

var commandRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func hSetMyCommands(s *Server, r *request) (any, *apiError) {
	var cmds []tgbotapi.BotCommand
	if err := json.Unmarshal([]byte(r.param("commands")), &cmds); err != nil {
		return nil, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return nil, badRequest("BOT_COMMANDS_TOO_MUCH")
	}
	for _, c := range cmds {
		if !commandRe.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf16Len(c.Description); n < 1 || n > 256 {
			return nil, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	key := commandsKey(r.param("scope"), r.param("language_code"))
	if len(cmds) == 0 {
		delete(s.st.commands, key)
	} else {
		s.st.commands[key] = cmds
	}
	return true, nil
}

func hGetMyCommands(s *Server, r *request) (any, *apiError) {
	cmds := s.st.commands[commandsKey(r.param("scope"), r.param("language_code"))]
	if cmds == nil {
		cmds = []tgbotapi.BotCommand{}
	}
	return cmds, nil
}

func hDeleteMyCommands(s *Server, r *request) (any, *apiError) {
	delete(s.st.commands, commandsKey(r.param("scope"), r.param("language_code")))
	return true, nil
}

func hGetChat(s *Server, r *request) (any, *apiError) {
	if r.param("chat_id") == "" {
		return nil, badRequest("chat_id is empty")
	}
	c := s.st.chat(r.chatID)
	if c == nil {
		return nil, errChatNotFound
	}
	return c.info.wire(), nil
}

func hGetChatMember(s *Server, r *request) (any, *apiError) {
	if r.param("chat_id") == "" {
		return nil, badRequest("chat_id is empty")
	}
	c := s.st.chat(r.chatID)
	if c == nil {
		return nil, errChatNotFound
	}
	uid, _ := strconv.ParseInt(r.param("user_id"), 10, 64)
	var user map[string]any
	if uid == s.st.bot.ID {
		user = s.st.bot.wire()
	} else if u, ok := s.st.users[uid]; ok {
		user = u.wire()
	} else {
		return nil, badRequest("user not found")
	}
	status, ok := s.st.members[[2]int64{c.info.ID, uid}]
	if !ok {
		status = "member"
		if c.info.Type == "private" && uid != c.info.ID && uid != s.st.bot.ID {
			status = "left"
		}
	}
	out := map[string]any{"user": user, "status": status}
	switch status {
	case "creator", "administrator":
		out["is_anonymous"] = false
		if status == "administrator" && c.info.Type == "channel" {
			// What adding an admin grants by default, unless withdrawn.
			out["can_post_messages"] = !s.st.noPost[[2]int64{c.info.ID, uid}]
		}
	case "kicked", "restricted":
		out["until_date"] = 0
	}
	return out, nil
}

func hSendChatAction(s *Server, r *request) (any, *apiError) {
	if _, ae := s.targetChat(r); ae != nil {
		return nil, ae
	}
	if r.param("action") == "" {
		return nil, badRequest("action is empty")
	}
	return true, nil
}

// hSendFile implements sendPhoto and sendDocument: the file is a multipart
// part named field (or attach://name), a known file_id, or an HTTP URL.
func hSendFile(field string) handler {
	return func(s *Server, r *request) (any, *apiError) {
		c, ae := s.targetChat(r)
		if ae != nil {
			return nil, ae
		}
		f, ae := s.fileParam(r, field)
		if ae != nil {
			return nil, ae
		}
		caption := r.param("caption")
		rendered, ae := renderText(caption, r.param("parse_mode"))
		if ae != nil {
			return nil, ae
		}
		if utf16Len(rendered) > 1024 {
			return nil, badRequest("message caption is too long")
		}
		m, ae := s.newBotMessage(c, r, field)
		if ae != nil {
			return nil, ae
		}
		m.caption, m.parseMode, m.rendered, m.file = strings.Clone(caption), strings.Clone(r.param("parse_mode")), strings.Clone(rendered), f
		if field == "photo" {
			w, h := 1, 1
			if cfg, _, err := image.DecodeConfig(bytes.NewReader(f.Data)); err == nil {
				w, h = cfg.Width, cfg.Height
			}
			m.media = map[string]any{"photo": []map[string]any{{
				"file_id": f.FileID, "file_unique_id": f.FileUniqueID, "width": w, "height": h, "file_size": f.Size,
			}}}
		} else {
			d := map[string]any{"file_id": f.FileID, "file_unique_id": f.FileUniqueID, "file_size": f.Size}
			if f.FileName != "" {
				d["file_name"] = f.FileName
			}
			if f.MimeType != "" {
				d["mime_type"] = f.MimeType
			}
			m.media = map[string]any{"document": d}
		}
		s.st.addMessage(c, m)
		return s.st.wireMessage(m, true), nil
	}
}

func (s *Server) fileParam(r *request, field string) (*File, *apiError) {
	up := r.uploads[field]
	src := r.param(field)
	if up == nil && strings.HasPrefix(src, "attach://") {
		up = r.uploads[strings.TrimPrefix(src, "attach://")]
		if up == nil {
			return nil, badRequest("wrong remote file identifier specified: can't find attached file")
		}
	}
	if up != nil {
		id, uid := s.fakeFileIDLocked("BQACAgIAAxkBAAI")
		if field == "photo" {
			id, uid = s.fakeFileIDLocked("AgACAgIAAxkBAAI")
		}
		f := &File{FileID: id, FileUniqueID: uid, Field: field, FileName: path.Base(up.FileName), Size: len(up.Data), Data: up.Data}
		if up.FileName == "" {
			f.FileName = ""
		}
		if field != "photo" {
			f.MimeType = mimeTypeOf(f.FileName, up)
		}
		s.st.files[id] = f
		return f, nil
	}
	switch {
	case src == "":
		return nil, badRequest("there is no %s in the request", field)
	case s.st.files[src] != nil:
		f := *s.st.files[src]
		f.Source = src
		return &f, nil
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		id, uid := s.fakeFileIDLocked("BQACAgIAAxkBAAI")
		f := &File{FileID: id, FileUniqueID: uid, Field: field, FileName: path.Base(src), Source: src}
		s.st.files[id] = f
		return f, nil
	default:
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
}

func mimeTypeOf(name string, up *upload) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	if ct := up.ContentType; ct != "" && ct != "application/octet-stream" {
		return ct
	}
	if len(up.Data) > 0 {
		if t, _, err := mime.ParseMediaType(http.DetectContentType(up.Data)); err == nil && t != "text/plain" {
			return t
		}
	}
	return "application/octet-stream"
}

// getUpdates implements long polling. It runs without s.mu held.
func (s *Server) getUpdates(w http.ResponseWriter, r *request) {
	offset, _ := strconv.Atoi(r.param("offset"))
	limit, _ := strconv.Atoi(r.param("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(r.param("timeout"))
	wait := min(max(time.Duration(timeout)*time.Second, 0), maxLongPoll)

	s.mu.Lock()
	if v := strings.TrimSpace(r.param("allowed_updates")); v != "" && v != "null" {
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err == nil {
			if len(list) == 0 {
				s.st.allowed = nil
			} else {
				s.st.allowed = list
			}
		}
	}
	note := ""
	if s.st.confirm(offset) {
		note = "offset in the future ignored"
	}
	respond := func(ups []*queuedUpdate, status int, ae *apiError) {
		c := s.recordLocked(r, status, ae, "")
		c.Note = note
		s.mu.Unlock()
		if ae != nil {
			writeError(w, ae)
			return
		}
		var buf bytes.Buffer
		buf.WriteByte('[')
		for i, q := range ups {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(q.json())
		}
		buf.WriteByte(']')
		writeResult(w, json.RawMessage(buf.Bytes()))
	}
	if ups := s.st.deliverable(limit); len(ups) > 0 || wait == 0 {
		respond(ups, 200, nil)
		return
	}
	if old := s.st.poller; old != nil && !s.opts.DisablePollConflict {
		close(old.preempted)
		s.st.poller = nil
	}
	p := &poller{preempted: make(chan struct{})}
	s.st.poller = p
	s.st.pollers++
	s.notify()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	done := func() {
		if s.st.poller == p {
			s.st.poller = nil
		}
		s.st.pollers--
	}
	for {
		ch := s.changed
		s.mu.Unlock()
		var ae *apiError
		status := 200
		final := false
		select {
		case <-ch:
		case <-timer.C:
			final = true
		case <-s.closed:
			final = true
		case <-p.preempted:
			final = true
			ae = &apiError{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
			status = 409
		case <-r.ctx.Done():
			s.mu.Lock()
			done()
			note = "client went away"
			s.recordLocked(r, 0, nil, "").Note = note
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		if ae != nil {
			done()
			respond(nil, status, ae)
			return
		}
		if ups := s.st.deliverable(limit); len(ups) > 0 || final {
			done()
			respond(ups, 200, nil)
			return
		}
	}
}
