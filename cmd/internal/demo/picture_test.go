package demo

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"toolmap/bot/telegramtest"
)

// The picture of the chat in the README (docs/chat.png) is this test's
// screenshot: the real bot, store and sender answer an organiser on the
// fake Bot API, and the chat as the fake server holds it (every message's
// current text after its edits, its buttons, the person's own messages)
// is drawn as a phone shows it, then photographed by headless Chromium.
//
//	go test ./cmd/internal/demo -run TestChatPicture -picture
//
// rewrites docs/chat.png. Without -picture the test still builds the page
// from the conversation and checks it, and renders it when a browser is
// installed (it says so when it skips that part; TOOLMAP_BROWSER_REQUIRED
// makes a missing browser fail it, as in survey/report/site).
var picture = flag.Bool("picture", false, "TestChatPicture: rewrite docs/chat.png")

// The phone: CSS pixels, and device pixels per CSS pixel.
const (
	phoneWidth  = 390
	phoneHeight = 900
	phoneScale  = 2
)

// pictureBot is the name the chat's header shows.
const pictureBot = "Community tools survey"

// stepClock is the fake Bot API's clock, which moves only when the test
// says, so that the times under the messages are those of a person
// answering on a phone, the same at every run.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) wait(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestChatPicture(t *testing.T) {
	clock := &stepClock{now: time.Date(2026, 11, 20, 18, 40, 0, 0, time.UTC)}
	c := newChatBotOn(t, "", telegramtest.Options{BotName: pictureBot, BotUsername: "toolmap_survey_bot", Now: clock.Now})
	tr := c.transcript(4242)
	for _, step := range []struct {
		after time.Duration
		do    func()
	}{
		{0, func() { tr.start("") }},
		{40 * time.Second, func() { tr.tap("✅ I agree") }},
		{6 * time.Second, func() { tr.tap("🏘️ Residents or tenants") }},
		{5 * time.Second, func() { tr.tap("31–100") }},
		{7 * time.Second, func() { tr.tap("Informal, with some roles") }},
		{6 * time.Second, func() { tr.tap("Yorkshire and the Humber") }},
		{9 * time.Second, func() { tr.say("Leeds") }},
		{5 * time.Second, func() { tr.tap("📣 Telling members news") }},
		{3 * time.Second, func() { tr.tap("📅 Organising events") }},
		{4 * time.Second, func() { tr.tap("💷 Raising & handling money") }},
		{3 * time.Second, func() { tr.tap("Done ▶") }},
		{6 * time.Second, func() { tr.tap("WhatsApp") }},
		{3 * time.Second, func() { tr.tap("Paper & noticeboards") }},
		{4 * time.Second, func() { tr.tap("Other…") }},
		{12 * time.Second, func() { tr.say("Action Network") }},
	} {
		clock.wait(step.after)
		step.do()
	}
	if errs := failedCalls(c.srv); len(errs) > 0 {
		t.Errorf("Bot API errors: %v", errs)
	}
	msgs := c.srv.Messages(tr.u.ChatID())
	page, err := chatPage(c.srv.BotUser().FirstName, msgs)
	if err != nil {
		t.Fatal(err)
	}
	checkChatPage(t, page)

	shot := renderChat(t, page)
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is no PNG: %v", err)
	}
	if cfg.Width != phoneWidth*phoneScale || cfg.Height != phoneHeight*phoneScale {
		t.Fatalf("the screenshot is %d×%d, want %d×%d", cfg.Width, cfg.Height, phoneWidth*phoneScale, phoneHeight*phoneScale)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if n := colours(img, 64); n < 16 {
		t.Errorf("the screenshot has %d colours: nothing was drawn", n)
	}
	if !*picture {
		return
	}
	var small bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&small, img); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("..", "..", "..", "docs", "chat.png")
	if err := os.WriteFile(out, small.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: %d×%d, %d bytes", out, cfg.Width, cfg.Height, small.Len())
}

// colours counts the distinct colours of img, stopping at most.
func colours(img image.Image, most int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= most {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// checkChatPage checks the page against the chat rule: the last message is
// the current question with live buttons, and no message above it has
// buttons; and that it loads nothing from anywhere.
func checkChatPage(t *testing.T, page string) {
	t.Helper()
	for _, bad := range []string{"http:", "https:", "url(", "src=", "href=", "@import", "@font-face", "<link", "<script", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q: it must load nothing", bad)
		}
	}
	msgs := strings.Split(page, `<div class="msg `)[1:]
	if len(msgs) < 5 {
		t.Fatalf("the page shows %d messages", len(msgs))
	}
	for i, m := range msgs[:len(msgs)-1] {
		if strings.Contains(m, `class="kb"`) {
			t.Errorf("message %d of %d has buttons: only the last may:\n%s", i+1, len(msgs), m)
		}
	}
	last := msgs[len(msgs)-1]
	for _, want := range []string{`bot"`, `class="kb"`, "Which tools do you use for", "✅ WhatsApp", "✅ Paper &amp; noticeboards", "✅ Other: Action Network", "Done ▶"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last message lacks %q:\n%s", want, last)
		}
	}
	typed, prompt := msgs[len(msgs)-2], msgs[len(msgs)-3]
	if !strings.HasPrefix(typed, `you"`) || !strings.Contains(typed, "Action Network") {
		t.Errorf("the message above the last is not the person's “Action Network”:\n%s", typed)
	}
	if !strings.Contains(prompt, "Please type it in a few words") || !strings.Contains(prompt, "edited") {
		t.Errorf("the message above that is not the edited “type it” prompt:\n%s", prompt)
	}
}

// chatPage draws the chat as Telegram shows it on a phone, scrolled to the
// bottom: a header with the bot's name, the bot's messages on the left
// with their inline keyboards, the person's on the right, the time (and
// "edited") in each bubble. Only what the fake server holds is drawn. The
// page is self-contained: inline CSS, the fonts of the machine.
func chatPage(botName string, msgs []telegramtest.Message) (string, error) {
	var b strings.Builder
	initials := ""
	for _, w := range strings.Fields(botName) {
		if r := []rune(w); len(r) > 0 && len([]rune(initials)) < 2 {
			initials += strings.ToUpper(string(r[0]))
		}
	}
	fmt.Fprintf(&b, chatPageHead, html.EscapeString(botName), phoneWidth, phoneHeight, html.EscapeString(initials), html.EscapeString(botName))
	for _, m := range msgs {
		if m.Deleted {
			continue
		}
		meta := m.Date.Format("15:04")
		if m.Edits > 0 {
			meta = "edited " + meta
		}
		if !m.FromBot {
			text := "[" + m.Kind + "]"
			if m.Kind == "text" {
				text = html.EscapeString(m.Text)
			}
			fmt.Fprintf(&b, `<div class="msg you"><div class="bubble">%s<span class="gap%s"></span><span class="meta">%s <span class="ticks">✓✓</span></span></div></div>`+"\n",
				text, gapClass(meta), html.EscapeString(meta))
			continue
		}
		text, err := telegramHTML(m.Text, m.ParseMode)
		if err != nil {
			return "", fmt.Errorf("message %d: %v", m.MessageID, err)
		}
		fmt.Fprintf(&b, `<div class="msg bot"><div class="bubble">%s<span class="gap%s"></span><span class="meta">%s</span></div>`, text, gapClass(meta), html.EscapeString(meta))
		if len(m.Keyboard) > 0 {
			b.WriteString(`<div class="kb">`)
			for _, row := range m.Keyboard {
				b.WriteString(`<div class="row">`)
				for _, btn := range row {
					arrow := ""
					if btn.URL != "" {
						arrow = `<span class="arrow">↗</span>`
					}
					fmt.Fprintf(&b, `<div class="btn">%s%s</div>`, html.EscapeString(btn.Text), arrow)
				}
				b.WriteString(`</div>`)
			}
			b.WriteString(`</div>`)
		}
		b.WriteString("</div>\n")
	}
	b.WriteString(chatPageFoot)
	return b.String(), nil
}

// gapClass leaves room, at the end of a bubble's last line, for the time
// (and "edited"), as Telegram does.
func gapClass(meta string) string {
	if strings.HasPrefix(meta, "edited") {
		return " wide"
	}
	return ""
}

// telegramHTML turns a message's text into the HTML that shows it as
// Telegram renders it: parse_mode HTML's tags (b, i, u, s, code, pre,
// blockquote, links and spoilers) drawn, entities decoded and escaped
// again; any other text escaped as it is.
func telegramHTML(text, parseMode string) (string, error) {
	switch strings.ToLower(parseMode) {
	case "":
		return html.EscapeString(text), nil
	case "html":
	default:
		return "", fmt.Errorf("parse mode %q is not drawn", parseMode)
	}
	tags := map[string]string{
		"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s", "strike": "s", "del": "s",
		"code": "code", "pre": "pre", "blockquote": "blockquote", "a": `span class="link"`, "tg-spoiler": `span class="spoiler"`,
		"span": `span class="spoiler"`, "tg-emoji": "span",
	}
	var out strings.Builder
	var open []string
	for len(text) > 0 {
		lt := strings.IndexByte(text, '<')
		if lt < 0 {
			lt = len(text)
		}
		out.WriteString(html.EscapeString(html.UnescapeString(text[:lt])))
		text = text[lt:]
		if text == "" {
			break
		}
		gt := strings.IndexByte(text, '>')
		if gt < 0 {
			return "", fmt.Errorf("an unclosed tag in %q", text)
		}
		tag := text[1:gt]
		text = text[gt+1:]
		if name, ok := strings.CutPrefix(tag, "/"); ok {
			name = strings.ToLower(strings.TrimSpace(name))
			if len(open) == 0 || (name != "" && name != open[len(open)-1]) {
				return "", fmt.Errorf("an unexpected </%s>", name)
			}
			el, _, _ := strings.Cut(tags[open[len(open)-1]], " ")
			open = open[:len(open)-1]
			out.WriteString("</" + el + ">")
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSpace(tag), " ")
		name = strings.ToLower(name)
		el, ok := tags[name]
		if !ok {
			return "", fmt.Errorf("the tag <%s> is not Telegram's", name)
		}
		open = append(open, name)
		out.WriteString("<" + el + ">")
	}
	if len(open) > 0 {
		return "", fmt.Errorf("<%s> is never closed", open[len(open)-1])
	}
	return out.String(), nil
}

// The page around the messages: Telegram's light theme on a phone.
// Arguments: title, width, height, the avatar's initials, the bot's name.
const chatPageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>
* { box-sizing: border-box; margin: 0; padding: 0; }
html, body { width: %dpx; height: %dpx; overflow: hidden; }
body { display: flex; flex-direction: column; background: #c9d8b4;
  font: 15px/1.36 Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif, "Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji";
  color: #000; -webkit-font-smoothing: antialiased; }
header { flex: none; height: 56px; display: flex; align-items: center; gap: 12px; padding: 0 12px 0 10px;
  background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.15); z-index: 1; }
.back { width: 12px; height: 12px; border-left: 2.5px solid #3390ec; border-bottom: 2.5px solid #3390ec; transform: rotate(45deg); margin: 0 4px 0 6px; }
.avatar { width: 40px; height: 40px; border-radius: 50%%; flex: none; display: flex; align-items: center; justify-content: center;
  background: linear-gradient(#72d5fd, #2a9ef1); color: #fff; font-weight: bold; font-size: 16px; }
.who { flex: 1; min-width: 0; }
.who .name { font-weight: bold; font-size: 16.5px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.who .status { color: #8a8a8a; font-size: 13.5px; }
.dots { width: 4px; height: 18px; background: radial-gradient(circle, #8a8a8a 1.9px, transparent 2.1px) 0 0 / 4px 6px; }
main { flex: 1; min-height: 0; overflow: hidden; display: flex; flex-direction: column; justify-content: flex-end; padding: 0 8px 8px; }
.msg { margin-top: 6px; display: flex; flex-direction: column; }
.msg.bot { align-items: flex-start; padding-right: 34px; }
.msg.you { align-items: flex-end; padding-left: 60px; }
.bubble { position: relative; padding: 6px 10px 7px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere;
  box-shadow: 0 1px 1px rgba(0,0,0,.12); }
.bot .bubble { background: #fff; border-bottom-left-radius: 4px; }
.you .bubble { background: #e2fdc9; border-bottom-right-radius: 4px; }
.gap { display: inline-block; width: 40px; }
.gap.wide { width: 84px; }
.you .gap { width: 58px; }
.meta { position: absolute; right: 9px; bottom: 5px; font-size: 12px; line-height: 1; white-space: nowrap; }
.bot .meta { color: #a1aab3; }
.you .meta { color: #5dae51; }
.ticks { letter-spacing: -4px; margin-right: 4px; }
.kb { align-self: stretch; margin-top: 3px; display: flex; flex-direction: column; gap: 3px; }
.bot:has(.kb) .bubble { align-self: stretch; border-bottom-left-radius: 14px; }
.row { display: flex; gap: 3px; }
.btn { flex: 1 1 0; min-width: 0; position: relative; padding: 9px 8px; border-radius: 8px; text-align: center;
  background: rgba(64, 85, 60, .42); color: #fff; font-size: 14px; font-weight: 600; line-height: 1.2;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.arrow { position: absolute; top: 2px; right: 4px; font-size: 10px; }
b { font-weight: bold; }
i { font-style: italic; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 13.5px; }
blockquote { border-left: 3px solid #3390ec; padding-left: 8px; }
.link { color: #168acd; }
.spoiler { background: #d6d6d6; color: transparent; border-radius: 3px; }
footer { flex: none; height: 54px; display: flex; align-items: center; gap: 10px; padding: 0 12px 0 8px; background: #fff; }
.menu { flex: none; display: flex; align-items: center; gap: 6px; height: 34px; padding: 0 12px; border-radius: 17px; background: #3390ec; color: #fff; font-weight: 600; font-size: 14.5px; }
.menu .bars { width: 13px; height: 11px; border-top: 2px solid #fff; border-bottom: 2px solid #fff; position: relative; }
.menu .bars::after { content: ""; position: absolute; left: 0; right: 0; top: 2.5px; border-top: 2px solid #fff; }
.field { flex: 1; color: #9aa1a8; font-size: 16px; }
</style></head>
<body>
<header><div class="back"></div><div class="avatar">%s</div><div class="who"><div class="name">%s</div><div class="status">bot</div></div><div class="dots"></div></header>
<main id="chat">
`

const chatPageFoot = `</main>
<footer><div class="menu"><div class="bars"></div>Menu</div><div class="field">Message</div></footer>
</body></html>
`

// renderChat photographs the page in a headless Chromium as a phone of
// phoneWidth×phoneHeight CSS pixels at phoneScale, and checks what the
// browser drew: nothing loaded but the page, no label cut short, nothing
// wider than the phone, the last message whole at the bottom.
func renderChat(t *testing.T, page string) []byte {
	t.Helper()
	ctx := chatBrowser(t)
	file := filepath.Join(t.TempDir(), "chat.html")
	if err := os.WriteFile(file, []byte(page), 0o600); err != nil {
		t.Fatal(err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: file}).String()
	var (
		mu       sync.Mutex
		requests []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, ev.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	type chatLayout struct {
		Wide     float64  `json:"wide"`
		Cut      []string `json:"cut"`
		LastTop  float64  `json:"lastTop"`
		LastEnd  float64  `json:"lastEnd"`
		ChatTop  float64  `json:"chatTop"`
		ChatEnd  float64  `json:"chatEnd"`
		Shown    int      `json:"shown"`
		LastHasK bool     `json:"lastHasKb"`
	}
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(phoneScale), chromedp.EmulateMobile),
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible("#chat .msg:last-child"),
	)
	if err != nil {
		t.Fatal(err)
	}
	layout, err := chromedp.Run(ctx, chromedp.Evaluate[chatLayout](`(() => {
		const chat = document.getElementById("chat").getBoundingClientRect();
		const msgs = [...document.querySelectorAll("#chat .msg")];
		const last = msgs[msgs.length - 1].getBoundingClientRect();
		return {
			wide: document.documentElement.scrollWidth,
			cut: [...document.querySelectorAll(".btn, .who .name")].filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent),
			lastTop: last.top, lastEnd: last.bottom, chatTop: chat.top, chatEnd: chat.bottom,
			shown: msgs.filter(m => m.getBoundingClientRect().bottom > chat.top).length,
			lastHasKb: msgs[msgs.length - 1].querySelector(".kb") !== null,
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if layout.Wide > phoneWidth {
		t.Errorf("the page is %v px wide on a %d px phone", layout.Wide, phoneWidth)
	}
	if len(layout.Cut) > 0 {
		t.Errorf("labels cut short on the phone: %q", layout.Cut)
	}
	if !layout.LastHasK || layout.LastTop < layout.ChatTop || layout.LastEnd > layout.ChatEnd {
		t.Errorf("the last message (%v–%v px, buttons %v) is not whole in the chat (%v–%v px)", layout.LastTop, layout.LastEnd, layout.LastHasK, layout.ChatTop, layout.ChatEnd)
	}
	if layout.Shown < 3 {
		t.Errorf("the phone shows %d messages: it should show the question, the person's answer and what came before", layout.Shown)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if r != pageURL {
			t.Errorf("the page loaded %s: it must load nothing", r)
		}
	}
	return shot
}

// chatBrowser starts a headless Chromium, found as the map's browser test
// finds it (survey/report/site): TOOLMAP_CHROMIUM, else chromium,
// chromium-browser or google-chrome on the PATH. Without one the test is
// skipped, saying so, unless a picture was asked for or
// TOOLMAP_BROWSER_REQUIRED is set.
func chatBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("TOOLMAP_CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path != "" {
			break
		}
		path, _ = exec.LookPath(name)
	}
	if path == "" {
		msg := "no browser to draw the chat with: install Chromium (apt-get install chromium) or set TOOLMAP_CHROMIUM"
		if *picture || os.Getenv("TOOLMAP_BROWSER_REQUIRED") != "" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED the screenshot (the page was built and checked): " + msg)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en"),
	)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTime := context.WithTimeout(ctx, time.Minute)
	t.Cleanup(func() { cancelTime(); cancel(); cancelAlloc() })
	return ctx
}

func TestTelegramHTML(t *testing.T) {
	for _, tc := range []struct{ text, mode, want string }{
		{"a < b & c", "", "a &lt; b &amp; c"},
		{"<i>Question 1</i>\n<b>Tom &amp; Jerry&#39;s</b>", "HTML", "<i>Question 1</i>\n<b>Tom &amp; Jerry&#39;s</b>"},
		{"<strong>x</strong> <em>y</em> <a href=\"https://example.org\">z</a>", "HTML", `<b>x</b> <i>y</i> <span class="link">z</span>`},
		{"&lt;script&gt;", "HTML", "&lt;script&gt;"},
	} {
		got, err := telegramHTML(tc.text, tc.mode)
		if err != nil || got != tc.want {
			t.Errorf("telegramHTML(%q, %q) = %q, %v; want %q", tc.text, tc.mode, got, err, tc.want)
		}
	}
	for _, bad := range []string{"<b>open", "</b>", "<b>x</i>", "<script>x</script>", "<b"} {
		if got, err := telegramHTML(bad, "HTML"); err == nil {
			t.Errorf("telegramHTML(%q) = %q, want an error", bad, got)
		}
	}
}
