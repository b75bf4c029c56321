// Package telegramtest is a fake Telegram Bot API server for tests and
// demos. It runs on 127.0.0.1 (net/http/httptest) and speaks the wire
// protocol of https://core.telegram.org/bots/api closely enough for the
// real client, github.com/go-telegram-bot-api/telegram-bot-api/v5:
//
//	srv := telegramtest.NewServer(telegramtest.Options{})
//	defer srv.Close()
//	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), srv.Client())
//
// Requests may be form-encoded (what tgbotapi's MakeRequest sends),
// multipart (UploadFiles, for sendPhoto and sendDocument) or JSON, on any
// HTTP method; parameters may also come in the query string. Method names
// are case-insensitive. A wrong token gets 401 Unauthorized and an unknown
// method 404 Not Found, with Telegram's JSON error bodies.
//
// Implemented methods: getMe, getUpdates (long polling), sendMessage,
// editMessageText, editMessageCaption, editMessageReplyMarkup,
// deleteMessage, answerCallbackQuery, setMyCommands, getMyCommands,
// deleteMyCommands, getChat, getChatMember, sendPhoto, sendDocument,
// sendChatAction, deleteWebhook and getWebhookInfo.
//
// # Chats and users
//
// Server.User returns a scriptable user whose actions (SendText, Start,
// Tap, ...) enqueue updates with increasing update_ids. Server.Group,
// Supergroup and Channel create other chats; User.In binds a user to one.
// The server keeps every chat's messages, so edits behave like Telegram's
// ("message is not modified", "message to edit not found", editMessageText
// without reply_markup removes the inline keyboard), and Tap finds buttons
// on what the bot really sent. parse_mode HTML, MarkdownV2 and Markdown are
// validated (approximately) and rejected with Telegram's "can't parse
// entities" errors.
//
// # getUpdates
//
// An offset confirms (drops) updates with lower ids; a negative offset
// keeps only the last -offset updates; an offset more than 10 above the
// next update id is ignored, as in telegram-bot-api. limit is 1..100
// (default 100), timeout is capped at 50 s and measured in real time. A
// long poll returns as soon as an update is available, on timeout, when the
// client goes away or when the server closes; a second concurrent
// getUpdates terminates the first with 409 Conflict (like Telegram) unless
// Options.DisablePollConflict is set. allowed_updates persists between
// calls like Telegram's; updates of other types are dropped at delivery.
//
// # Inspection and waiting
//
// Every call is recorded (Calls, LastCall); Messages shows what a chat
// displays; UnansweredCallbacks lists callback queries that never got an
// answerCallbackQuery. WaitFor blocks until a condition over the server
// holds, waking on every state change, so tests never sleep.
//
// Programs that play thousands of users at once (toolmap demo) wait per
// chat instead: ChatChanged returns a channel closed at the chat's next
// change only, and View returns what the chat's user sees (the newest bot
// message, the newest one with buttons, the newest callback query) and the
// bot's reply latency to the user's newest update. Options.Lean keeps
// memory flat for such runs: calls are counted, not recorded, and each
// chat keeps only its last few messages; ForgetChats drops the chats
// altogether once the users are done.
//
// # Limits and faults
//
// Flood limits are counted as Breaches (see Limits for the exact rules)
// and optionally enforced with 429 and retry_after. Fail scripts faults
// (429, 500, HTML 502, hang, connection reset, 403 blocked, 409 conflict,
// 400) per method and chat; StartChaos fails a seeded random fraction of
// calls. Redeliver, DuplicateAsNew and RestartUpdateIDs script duplicate
// and out-of-order update ids.
package telegramtest
