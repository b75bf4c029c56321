package telegramtest_test

import (
	"fmt"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"toolmap/bot/telegramtest"
)

// The real tgbotapi client talks to the fake server over 127.0.0.1.
func Example() {
	srv := telegramtest.NewServer(telegramtest.Options{})
	defer srv.Close()

	// NewBotAPIWithClient calls getMe.
	bot, err := tgbotapi.NewBotAPIWithClient(srv.Token(), srv.APIEndpoint(), srv.Client())
	if err != nil {
		fmt.Println("connect:", err)
		return
	}
	fmt.Println("getMe:", bot.Self.UserName, bot.Self.ID)

	// A scripted user opens the bot through a deep link.
	alice := srv.User(42)
	alice.Start("invite-7")
	updates, err := bot.GetUpdates(tgbotapi.UpdateConfig{})
	if err != nil {
		fmt.Println("getUpdates:", err)
		return
	}
	m := updates[0].Message
	fmt.Printf("update %d: /%s %q from %s\n", updates[0].UpdateID, m.Command(), m.CommandArguments(), m.From.UserName)

	msg := tgbotapi.NewMessage(alice.ID(), "Welcome!")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Go", "go"),
	))
	sent, err := bot.Send(msg)
	if err != nil {
		fmt.Println("sendMessage:", err)
		return
	}
	fmt.Printf("sendMessage: message %d in chat %d: %s\n", sent.MessageID, sent.Chat.ID, sent.Text)

	last, _ := srv.LastMessage(alice.ID())
	fmt.Println("chat shows:", last.Text, last.Keyboard)
	// Output:
	// getMe: test_bot 123456
	// update 1: /start "invite-7" from user42
	// sendMessage: message 2 in chat 42: Welcome!
	// chat shows: Welcome! [[{Go go }]]
}
