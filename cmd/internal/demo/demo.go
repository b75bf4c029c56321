package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/jobs"
	"toolmap/survey"
)

// Help is the demo's description, for "toolmap demo -h".
const Help = `Runs the real bot (the same code as "toolmap run", with a real database)
against a fake Telegram Bot API server inside this process, on 127.0.0.1
only, and lets N simulated organisers answer the survey at once. Nothing
reaches Telegram and no token is needed.

Each simulated organiser opens the bot from a link (flyer, partner,
website, a friend), agrees, and answers what the bot asks as a person on
a phone does: they read only the newest message and tap only its
buttons: a kind of group, a size, where they are (or Skip), two to five
activities, a few tools for each (now and then from the full list via
More…, a tool typed after Other…, or the same as the activity before),
going Back once in a while, and what is hard. Now and then they stray
instead: they type a few words or an emoji where a tap is expected, send
a sticker, a photo or a voice note, tap a button on an older message, or
leave and come back with /start (--strays=false: never). At the end each
one's answers as stored are checked against what they chose. Their
choices come from a random generator seeded with --seed, so runs repeat.

By default the fake server enforces Telegram's flood limits (about 30
messages a second overall and 1 a second per chat, with short bursts),
answering 429 to any message over them, and the bot paces itself to stay
under them. --unlimited turns both off, to measure how fast the bot itself
is. --partway stops every organiser after the activities question, leaving
N surveys in progress, to measure memory.

Organisers act as soon as the bot has answered them, unless --think gives
them a pause before each action (between D/2 and 3D/2, like a person reading;
the first, /start, comes after such a pause too, so they do not all arrive
in the same millisecond).
Without it the run measures the most the bot can do (a closed loop: each
reply's wait is about N divided by the replies per second); with it, the
latency N people see in ordinary use.

At the end it prints the completed surveys, the time taken, the updates
the bot processed per second, the messages and edits it sent (in total,
per completed survey, per update and per tap), the reply latency (from an organiser's
action to the first Bot API call that changes their screen: the next
question, a tick, a message; and, for taps, to the answerCallbackQuery
that stops the button's spinner), memory (peak and
current resident size, Go heap), limit breaches and 429 answers, and the
Bot API calls the fake server refused (there should be none). A
progress bar is drawn on standard error when it is a terminal.

The database is a temporary file, removed at the end, unless --db names
one to keep. The bot's log goes to a file beside it (FILE.log with --db)
and never to the output. Exit status 1 means some survey did not finish,
a Bot API call was refused, or, with limits on, a limit was breached.

Last, it posts this week's digest to a fake coordinators' channel and
prints it, and leaves the digest's chart (PNG) and a pseudonymised export
(ZIP of CSV, JSON Lines, XLSX and codebook) in --out, by default a new
temporary directory that is kept; it prints where.

--bot-process runs the bot as a process of its own ("toolmap run" with a
config in a temporary directory, pointed at the fake server), so that
its CPU time and memory are measured apart from the fake server and the
organisers. Counts the bot keeps inside (commits, 429s it saw) are then
"n/a", and the reminder and give-back are skipped.`

// demoStarting: the bot sets tgbotapi's global logger as it starts, so
// demos running at once (tests) start one after the other.
var demoStarting sync.Mutex

// Options configure a run; see Help.
type Options struct {
	Respondents int
	Unlimited   bool
	Partway     bool
	BotProcess  bool // the bot in a child process (demo_process.go)
	Seed        uint64
	DB          string // keep the database here; "" a temporary file
	Survey      string // the survey file, for the bot process; "" the built-in survey
	Def         *survey.Definition
	Think       time.Duration
	Plain       bool   // organisers never stray (--strays=false)
	Out         string // where the chart and export are left
	CPUProfile  string // hidden: --cpuprofile FILE
	MemProfile  string // hidden: --memprofile FILE

	// Serve runs the bot in this process, as "toolmap run" does (main
	// wires it), until ctx is done; it calls started once the bot polls.
	Serve func(ctx context.Context, s Setup, started func(Running)) error
	// BotBinary is the toolmap binary --bot-process runs as "toolmap run".
	BotBinary string
}

// Setup is how Serve must run the bot: against the fake Bot API server
// (APIURL, Token), on the database, with pacing off when Unlimited (the
// fake server enforces no limits then). The organisers tap as soon as the
// bot answers, so the per-user flood gate must be off; and reminders go at
// any hour, one right after the other, as the demo's "a day later" may
// fall at any time.
type Setup struct {
	APIURL, Token string
	Database      string
	Survey        string // "" the built-in survey
	Unlimited     bool
	Log           *slog.Logger
}

// Running is the bot Serve started: what the demo reads and drives.
type Running struct {
	Bot       *bot.Bot
	Sender    *bot.Sender
	Reminders *jobs.Reminders // queues the reminders due at a time
	GiveBack  *jobs.GiveBack  // rebuilds the give-back counts
}

// ErrFailed means a survey did not finish, a limit was breached, or the
// ending failed; what went wrong was written to stderr.
var ErrFailed = errors.New("the demo failed")

// env is where a run writes.
type env struct {
	stdout, stderr io.Writer
}

// Run runs the demo, writing its report to stdout and its progress and
// problems to stderr.
func Run(ctx context.Context, o Options, stdout, stderr io.Writer) error {
	return demo(ctx, env{stdout: stdout, stderr: stderr}, o)
}

// demoRun is one run of the demo: the fake server, the bot and the users.
type demoRun struct {
	o      Options
	def    *survey.Definition
	srv    *telegramtest.Server
	thanks string // how the closing message begins

	finished  atomic.Int64 // respondents done (completed, part-way or failed)
	completed atomic.Int64
	partway   atomic.Int64
	taps      atomic.Int64
	texts     atomic.Int64
	rejected  atomic.Int64  // taps answered with a problem toast
	strays    atomic.Int64  // strays: texts, emoji, stickers where a tap was expected, taps on older messages, /start again
	stalled   chan struct{} // closed when the bot seems stuck

	mu        sync.Mutex
	latencies []time.Duration // until the screen changes (or, for a refused tap, its toast)
	typedLat  []time.Duration // of typed messages and /start (the rest are taps)
	ackLat    []time.Duration // taps: until the first call about the chat, usually answerCallbackQuery
	failures  []string
}

func demo(ctx context.Context, e env, o Options) (err error) {
	def := o.Def
	dir, err := os.MkdirTemp("", "toolmap-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dbPath, logPath := filepath.Join(dir, "toolmap.db"), filepath.Join(dir, "bot.log")
	if o.DB != "" {
		dbPath, logPath = o.DB, o.DB+".log"
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	srv := telegramtest.NewServer(telegramtest.Options{Limits: telegramtest.Limits{Enforce: !o.Unlimited}, Lean: true})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		return fmt.Errorf("the fake Bot API server is not on 127.0.0.1: %s", srv.URL)
	}
	lang := def.PickLanguage("en")
	d := &demoRun{o: o, def: def, srv: srv, thanks: firstWords(def.Text(def.Thanks, lang)), stalled: make(chan struct{})}
	if o.BotProcess {
		return d.withBotProcess(ctx, e, dir, dbPath, logPath, logFile, log)
	}

	setup := Setup{APIURL: srv.URL, Token: srv.Token(), Database: dbPath, Survey: o.Survey, Unlimited: o.Unlimited, Log: log}
	started := make(chan Running, 1)
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	served := make(chan error, 1)
	demoStarting.Lock()
	// The bot's goroutines carry the label part=bot, so that a profile
	// (--cpuprofile) can tell them from the fake server's and the
	// organisers': go tool pprof -tagfocus part=bot.
	go pprof.Do(botCtx, pprof.Labels("part", "bot"), func(botCtx context.Context) {
		served <- o.Serve(botCtx, setup, func(r Running) { started <- r })
	})
	var h Running
	select {
	case h = <-started:
		demoStarting.Unlock()
	case err := <-served:
		demoStarting.Unlock()
		if err == nil {
			err = errors.New("the bot stopped before starting")
		}
		return fmt.Errorf("demo: %w (log: %s)", err, logPath)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		stopBot()
		return <-served
	}
	defer stop()

	// The organisers.
	usersCtx, cancelUsers := context.WithCancel(ctx)
	defer cancelUsers()
	progressDone := d.progress(e.stderr)
	watchdogDone := make(chan struct{})
	go d.watchdog(watchdogDone)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.Respondents {
		wg.Go(func() { d.respondent(usersCtx, i) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(watchdogDone)
	progressDone()
	var extras string
	if !o.Partway && len(d.failures) == 0 && ctx.Err() == nil {
		var err error
		if extras, err = d.showRespondentFeatures(ctx, h); err != nil {
			d.failures = append(d.failures, "reminder and give-back: "+err.Error())
		}
	}

	loop := h.Bot.Stats()
	sent := h.Sender.Stats()
	// Measure the bot, not the fake server: drop the chats it keeps.
	fakeHeap := heapInuse()
	srv.ForgetChats()
	mem := readMemory(dbPath)
	mem.fakeHeap = fakeHeap - min(fakeHeap, mem.heapInuse)
	if o.MemProfile != "" {
		if f, err := os.Create(o.MemProfile); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	if err := stop(); err != nil {
		fmt.Fprintf(e.stderr, "toolmap demo: the bot stopped with an error: %v\n", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ok := d.report(e.stdout, elapsed, loop, sent, mem, dbPath, logPath)
	fmt.Fprint(e.stdout, extras)
	ok = ok && (extras != "" || o.Partway)
	return d.finish(ctx, e, ok, dbPath, log)
}

// firstWords returns the start of s, to recognise a message by.
func firstWords(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "!.,\n"); i > 0 {
		s = s[:i]
	}
	for utf8.RuneCountInString(s) > 20 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// progress draws a bar on w while the organisers answer, when w is a
// terminal; the returned func stops it and clears the line.
func (d *demoRun) progress(w io.Writer) func() {
	f, ok := w.(*os.File)
	if !ok {
		return func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	total := int64(d.o.Respondents)
	draw := func() {
		n := d.finished.Load()
		const width = 30
		fill := int(n * width / total)
		fmt.Fprintf(f, "\r[%s%s] %d/%d", strings.Repeat("#", fill), strings.Repeat("-", width-fill), n, total)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			draw()
			select {
			case <-stop:
				draw()
				fmt.Fprint(f, "\n")
				return
			case <-t.C:
			}
		}
	})
	return func() { close(stop); wg.Wait() }
}

// memory is the process's memory at the end of the run.
type memory struct {
	hwm, rss   int64 // kB, from /proc/self/status; -1 if unknown
	anon, file int64 // kB: VmRSS = RssAnon + RssFile (the database's mapped pages) + RssShmem
	heapInuse  uint64
	fakeHeap   uint64 // the fake server's chats, dropped before measuring
	db, dbSize int64  // kB: the database file's resident mapped pages, and its size; -1 if unknown
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func readMemory(dbPath string) memory {
	// Return the garbage of the run (the organisers' goroutines, spent
	// buffers) to the system first: what stays is what is live.
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := memory{hwm: -1, rss: -1, anon: -1, file: -1, heapInuse: ms.HeapInuse, db: -1, dbSize: -1}
	m.db = mappedRss(dbPath)
	if fi, err := os.Stat(dbPath); err == nil {
		m.dbSize = fi.Size() / 1024
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	m.hwm, m.rss, m.anon, m.file = procStatusKB(data)
	return m
}

// mappedRss sums the resident kB of this process's mappings of path,
// from /proc/self/smaps; -1 if unknown.
func mappedRss(path string) int64 {
	return smapsRss("/proc/self/smaps", path)
}

func mb(kb int64) string {
	if kb < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

// report prints the results; it returns false when the run failed.
func (d *demoRun) report(w io.Writer, elapsed time.Duration, loop bot.LoopStats, sent bot.SenderStats, mem memory, dbPath, logPath string) bool {
	o := d.o
	n := int64(o.Respondents)
	secs := elapsed.Seconds()
	completed, partway := d.completed.Load(), d.partway.Load()
	sends := d.srv.StatusCounts("sendMessage")[200]
	editText := d.srv.StatusCounts("editMessageText")[200]
	editMarkup := d.srv.StatusCounts("editMessageReplyMarkup")[200]
	msgs := sends + editText + editMarkup
	server429 := d.srv.StatusCounts("")[429]
	breaches := d.srv.BreachCount()
	reportHead(w, o, "", n, partway, completed, secs)
	fmt.Fprintf(w, "updates processed:      %d (%.0f/s); commits %d, mean commit %s\n", loop.Updates, float64(loop.Updates)/secs,
		loop.Commits, meanDur(loop.CommitTime, loop.Commits))
	d.printTraffic(w, secs, int64(loop.Updates), fmt.Sprintf("not modified %d, not sent as they would change nothing %d", sent.NotModified, sent.Unneeded))
	fmt.Fprintf(w, "resident memory:        VmHWM %s (peak of the whole process: bot, fake Telegram and organisers)\n", mb(mem.hwm))
	fmt.Fprintf(w, "  at the end:           VmRSS %s (anonymous %s, mapped files: program and database %s), Go heap in use %s, after dropping the fake server's chats (%s of heap)\n",
		mb(mem.rss), mb(mem.anon), mb(mem.file), mb(int64(mem.heapInuse/1024)), mb(int64(mem.fakeHeap/1024)))
	fmt.Fprintf(w, "  database:             %s resident of a %s file (its pages mapped by bbolt; the kernel drops them first when memory is short)\n",
		mb(mem.db), mb(mem.dbSize))
	if o.Unlimited {
		fmt.Fprintf(w, "limit breaches:         %d (limits not enforced)\n", breaches)
	} else {
		fmt.Fprintf(w, "limit breaches:         %d\n", breaches)
	}
	fmt.Fprintf(w, "429s seen:              %d by the bot (%d sent by the server)\n", sent.RateLimited429, server429)
	if !o.Unlimited {
		rate := float64(msgs) / secs
		fmt.Fprintf(w, "sustained send rate:    %.1f messages+edits/s, %.0f%% of Telegram's 30/s ceiling\n", rate, rate/30*100)
	}
	if o.DB != "" {
		fmt.Fprintf(w, "database:               %s (kept; the bot's log is %s)\n", dbPath, logPath)
	} else {
		fmt.Fprintln(w, "database:               a temporary file, removed")
	}
	errs := d.apiErrors(w)
	ok := true
	if o.Partway {
		ok = partway+completed == n
	} else {
		ok = completed == n
	}
	if !o.Unlimited && breaches > 0 || errs > 0 {
		ok = false
	}
	return ok
}

// apiErrors prints the Bot API calls the fake server refused (a 429 is
// counted with the limits) and returns how many.
func (d *demoRun) apiErrors(w io.Writer) int {
	var parts []string
	total := 0
	for _, m := range telegramtest.Methods() {
		for status, n := range d.srv.StatusCounts(m) {
			if status == 200 || status == 429 || strings.EqualFold(m, "getUpdates") && status == 0 {
				continue // a long poll cut short as the bot stops is no error
			}
			total += n
			parts = append(parts, fmt.Sprintf("%s %d: %d", m, status, n))
		}
	}
	slices.Sort(parts)
	if total == 0 {
		fmt.Fprintln(w, "Bot API errors:         0")
	} else {
		fmt.Fprintf(w, "Bot API errors:         %d (%s)\n", total, strings.Join(parts, ", "))
	}
	return total
}

func meanDur(total time.Duration, n int64) string {
	if n == 0 {
		return "-"
	}
	return fmtDur(total / time.Duration(n))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
}

// pct returns the p-th percentile of sorted durations.
func pct(sorted []time.Duration, p int) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return fmtDur(sorted[i])
}

// reportHead prints the first lines of the demo's report: what ran, how
// many finished, how long it took.
func reportHead(w io.Writer, o Options, how string, n, partway, completed int64, secs float64) {
	mode := "Telegram's limits enforced"
	if o.Unlimited {
		mode = "no limits (--unlimited)"
	}
	if o.Think > 0 {
		mode += fmt.Sprintf(", thinking about %s before each action", o.Think)
	}
	fmt.Fprintf(w, "toolmap demo: %d respondents, %s, seed %d%s\n", n, mode, o.Seed, how)
	if o.Partway {
		fmt.Fprintf(w, "part-way surveys:       %d of %d (each stopped after the activities question)\n", partway, n)
	}
	fmt.Fprintf(w, "completed surveys:      %d of %d\n", completed, n)
	fmt.Fprintf(w, "elapsed:                %.2f s\n", secs)
}

// per is a/b with two decimals, or "-" when b is 0.
func per(a int, b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// procStatusKB reads the memory lines of a /proc/PID/status file, in kB;
// -1 for a line that is missing.
func procStatusKB(status []byte) (hwm, rss, anon, file int64) {
	hwm, rss, anon, file = -1, -1, -1, -1
	for line := range strings.Lines(string(status)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			hwm = n
		case "VmRSS":
			rss = n
		case "RssAnon":
			anon = n
		case "RssFile":
			file = n
		}
	}
	return hwm, rss, anon, file
}

// finish ends a demo run: the digest and export at the end, the first
// failures on standard error, and the exit status.
func (d *demoRun) finish(ctx context.Context, e env, ok bool, dbPath string, log *slog.Logger) error {
	if err := demoEnding(ctx, e.stdout, d.srv, d.def, dbPath, d.o.Out, log); err != nil {
		fmt.Fprintf(e.stderr, "toolmap demo: the digest and export at the end failed: %v\n", err)
		ok = false
	}
	d.mu.Lock()
	for i, f := range d.failures {
		if i == 5 {
			fmt.Fprintf(e.stderr, "… and %d more\n", len(d.failures)-5)
			break
		}
		fmt.Fprintln(e.stderr, "toolmap demo:", f)
	}
	d.mu.Unlock()
	if !ok {
		return ErrFailed
	}
	return nil
}

// printTraffic prints the completions per second, the Bot API calls that
// change what people see (per completed survey, per update unless updates
// is negative, per tap) and the reply latencies: the figures the demo
// reports alike with the bot in process or in its own. edits says what
// came of edits that would change nothing.
func (d *demoRun) printTraffic(w io.Writer, secs float64, updates int64, edits string) {
	completed, taps := d.completed.Load(), d.taps.Load()
	sends := d.srv.StatusCounts("sendMessage")[200]
	editText := d.srv.StatusCounts("editMessageText")[200]
	editMarkup := d.srv.StatusCounts("editMessageReplyMarkup")[200]
	msgs := sends + editText + editMarkup
	fmt.Fprintf(w, "completions per second: %.1f\n", float64(completed)/secs)
	fmt.Fprintf(w, "messages + edits:       %d (sendMessage %d, editMessageText %d, editMessageReplyMarkup %d; %s)\n",
		msgs, sends, editText, editMarkup, edits)
	fmt.Fprintf(w, "  per completed survey: %s\n", per(msgs, completed))
	if updates >= 0 {
		fmt.Fprintf(w, "  per update:           %s\n", per(msgs, updates))
	}
	fmt.Fprintf(w, "  per tap:              %s (taps %d, typed messages %d, strays %d; callback answers %d)\n", per(msgs, taps), taps, d.texts.Load(), d.strays.Load(), d.srv.StatusCounts("answerCallbackQuery")[200])
	d.mu.Lock()
	lat, typed, ack := slices.Clone(d.latencies), slices.Clone(d.typedLat), slices.Clone(d.ackLat)
	d.mu.Unlock()
	slices.Sort(lat)
	slices.Sort(typed)
	slices.Sort(ack)
	fmt.Fprintf(w, "reply latency:          p50 %s, p99 %s, max %s (%d replies: until the organiser sees the next question, the tick or the message)\n", pct(lat, 50), pct(lat, 99), pct(lat, 100), len(lat))
	fmt.Fprintf(w, "  to typed messages:    p50 %s, p99 %s (%d)\n", pct(typed, 50), pct(typed, 99), len(typed))
	fmt.Fprintf(w, "  taps acknowledged:    p50 %s, p99 %s (%d; answerCallbackQuery, which stops the button's spinner)\n", pct(ack, 50), pct(ack, 99), len(ack))
}
