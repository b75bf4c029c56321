package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"

	"toolmap/bot"
	"toolmap/bot/telegramtest"
	"toolmap/cmd/internal/adminsock"
)

// demoStopWait is how long the bot process has to stop after SIGTERM.
const demoStopWait = 10 * time.Second

// botProcess is the bot running as a child "toolmap run".
type botProcess struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once Wait returns
	err    error         // Wait's error, once exited is closed
	socket string        // its admin endpoint
}

// startBotProcess writes a config for the bot into dir and starts the
// toolmap binary as "toolmap run --config FILE" against srv, the token in its
// environment and its log in logFile. The child is killed if the demo
// process dies first.
func startBotProcess(o Options, srv *telegramtest.Server, dir, dbPath string, logFile *os.File) (*botProcess, error) {
	exe := o.BotBinary
	if exe == "" {
		return nil, errors.New("no toolmap binary to run the bot with (Options.BotBinary)")
	}
	abs := func(p string) (string, error) {
		if p == "" {
			return "", nil
		}
		return filepath.Abs(p)
	}
	db, err := abs(dbPath)
	if err != nil {
		return nil, err
	}
	surveyPath, err := abs(o.Survey)
	if err != nil {
		return nil, err
	}
	pacing := "on"
	if o.Unlimited {
		pacing = "off"
	}
	socket := filepath.Join(dir, "admin.sock")
	// The same settings as the in-process demo gives serve (see demo).
	conf := map[string]any{
		"survey":   surveyPath,
		"database": db,
		"telegram": map[string]any{"api_url": srv.URL, "pacing": pacing},
		// Simulated organisers tap as soon as the bot answers.
		"bot":       map[string]any{"flood_rate": 1e6, "flood_burst": 1_000_000},
		"admin":     map[string]any{"socket": socket},
		"reminders": map[string]any{"hours": "00:00-24:00", "spread": "0s"},
	}
	data, err := yaml.Marshal(conf)
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "bot.yaml")
	if err := os.WriteFile(confPath, data, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "run", "--config", confPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, bot.TokenEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, bot.TokenEnv+"="+srv.Token())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the bot process: %w", err)
	}
	p := &botProcess{cmd: cmd, exited: make(chan struct{}), socket: socket}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// waitPolling waits until the bot polls the fake server, or exits.
func (p *botProcess) waitPolling(ctx context.Context, srv *telegramtest.Server) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := srv.WaitFor(ctx, func(s *telegramtest.Server) bool { return s.PendingPolls() > 0 || s.CallCount("getUpdates") > 0 })
	select {
	case <-p.exited:
		return fmt.Errorf("the bot process stopped before polling: %v", p.err)
	default:
	}
	return err
}

// health asks the bot's admin endpoint for /healthz.
func (p *botProcess) health(ctx context.Context) (adminsock.HealthReport, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return adminsock.NewClient(p.socket).Health(ctx)
}

// stop sends SIGTERM and waits for the bot to exit, killing it if it takes
// longer than demoStopWait. It returns how it ended.
func (p *botProcess) stop() error {
	select {
	case <-p.exited:
		return p.exitErr()
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(demoStopWait)
	defer t.Stop()
	select {
	case <-p.exited:
		return p.exitErr()
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("the bot process did not stop within %s of SIGTERM: killed", demoStopWait)
	}
}

func (p *botProcess) exitErr() error {
	if p.err != nil {
		return fmt.Errorf("the bot process: %w", p.err)
	}
	return nil
}

// procFigures are a process's CPU time and memory, from /proc.
type procFigures struct {
	cpu        time.Duration // utime + stime; -1 if unknown
	hwm, rss   int64         // kB; -1 if unknown
	anon, file int64
	db         int64 // kB of the database file's mappings resident
}

// userHZ is the unit of the times in /proc/PID/stat: USER_HZ, 100 on Linux.
const userHZ = 100

func readProc(pid int, dbPath string) procFigures {
	f := procFigures{cpu: -1, hwm: -1, rss: -1, anon: -1, file: -1, db: -1}
	dir := "/proc/" + strconv.Itoa(pid)
	if data, err := os.ReadFile(dir + "/stat"); err == nil {
		// The command name, in parentheses, may hold spaces: count fields
		// after it. utime and stime are fields 14 and 15.
		s := string(data)
		if i := strings.LastIndexByte(s, ')'); i >= 0 {
			fs := strings.Fields(s[i+1:])
			if len(fs) > 12 {
				u, err1 := strconv.ParseInt(fs[11], 10, 64)
				st, err2 := strconv.ParseInt(fs[12], 10, 64)
				if err1 == nil && err2 == nil {
					f.cpu = time.Duration(u+st) * time.Second / userHZ
				}
			}
		}
	}
	if data, err := os.ReadFile(dir + "/status"); err == nil {
		f.hwm, f.rss, f.anon, f.file = procStatusKB(data)
	}
	f.db = smapsRss(dir+"/smaps", dbPath)
	return f
}

// smapsRss sums the resident kB of the mappings of path listed in the
// smaps file; -1 if unknown.
func smapsRss(smaps, path string) int64 {
	abs, err := filepath.Abs(path)
	if err != nil {
		return -1
	}
	data, err := os.ReadFile(smaps)
	if err != nil {
		return -1
	}
	var total int64 = -1
	in := false
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.Contains(f[0], "-") && len(f) >= 5 { // a mapping's header line
			in = len(f) >= 6 && f[len(f)-1] == abs
			continue
		}
		if in && f[0] == "Rss:" && len(f) >= 2 {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				total = max(total, 0) + n
			}
		}
	}
	return total
}

// withBotProcess is the demo with the bot in a child process
// (--bot-process): the fake server and the organisers stay here, and the
// report gives the bot process's own CPU time and memory.
func (d *demoRun) withBotProcess(ctx context.Context, e env, dir, dbPath, logPath string, logFile *os.File, log *slog.Logger) error {
	p, err := startBotProcess(d.o, d.srv, dir, dbPath, logFile)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = p.stop()
		}
	}()
	if err := p.waitPolling(ctx, d.srv); err != nil {
		return fmt.Errorf("demo: %w (log: %s)", err, logPath)
	}
	startCPU := readProc(p.cmd.Process.Pid, dbPath).cpu

	usersCtx, cancelUsers := context.WithCancel(ctx)
	defer cancelUsers()
	go func() {
		select {
		case <-p.exited: // the organisers would wait for nothing
			cancelUsers()
		case <-usersCtx.Done():
		}
	}()
	progressDone := d.progress(e.stderr)
	watchdogDone := make(chan struct{})
	go d.watchdog(watchdogDone)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range d.o.Respondents {
		wg.Go(func() { d.respondent(usersCtx, i) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(watchdogDone)
	progressDone()

	health, healthErr := p.health(ctx)
	bp := readProc(p.cmd.Process.Pid, dbPath)
	if bp.cpu >= 0 && startCPU >= 0 {
		bp.cpu -= startCPU
	}
	harness := readMemory(dbPath)
	stopped = true
	stopErr := p.stop()
	if stopErr != nil {
		fmt.Fprintf(e.stderr, "toolmap demo: %v (log: %s)\n", stopErr, logPath)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if healthErr != nil {
		fmt.Fprintf(e.stderr, "toolmap demo: the bot's /healthz: %v\n", healthErr)
	}
	ok := d.processReport(e.stdout, elapsed, health, healthErr == nil, bp, harness, dbPath, logPath)
	ok = ok && stopErr == nil
	fmt.Fprintln(e.stdout, "reminder and give-back:  skipped with --bot-process (they need the in-process bot's hooks)")
	return d.finish(ctx, e, ok, dbPath, log)
}

// processReport prints the results of a --bot-process run: what the fake
// server saw, and the bot process's own figures. It returns false when
// the run failed.
func (d *demoRun) processReport(w io.Writer, elapsed time.Duration, h adminsock.HealthReport, healthOK bool, bp procFigures, harness memory, dbPath, logPath string) bool {
	o := d.o
	n := int64(o.Respondents)
	secs := elapsed.Seconds()
	completed, partway := d.completed.Load(), d.partway.Load()
	sends := d.srv.StatusCounts("sendMessage")[200]
	editText := d.srv.StatusCounts("editMessageText")[200]
	editMarkup := d.srv.StatusCounts("editMessageReplyMarkup")[200]
	msgs := sends + editText + editMarkup
	breaches := d.srv.BreachCount()
	enqueued := d.srv.NextUpdateID() - 1 // the fake server numbers updates from 1
	confirmed := enqueued - d.srv.PendingUpdates()
	reportHead(w, o, ", the bot in a process of its own (--bot-process)", n, partway, completed, secs)
	updates := "n/a"
	if healthOK {
		updates = fmt.Sprintf("%d (%.0f/s)", h.Updates, float64(h.Updates)/secs)
	}
	fmt.Fprintf(w, "updates processed:      %s by the bot's /healthz; %d confirmed to the fake server of %d it queued; commits n/a\n", updates, confirmed, enqueued)
	updatesSeen := int64(-1) // unknown without /healthz
	if healthOK {
		updatesSeen = int64(h.Updates)
	}
	d.printTraffic(w, secs, updatesSeen, fmt.Sprintf("not modified %d", d.srv.StatusCounts("editMessageText")[400]+d.srv.StatusCounts("editMessageReplyMarkup")[400]))
	cpu, perCPU := "n/a", "n/a"
	if bp.cpu >= 0 {
		cpu = fmt.Sprintf("%.2f s (%.0f%% of one core over the run)", bp.cpu.Seconds(), bp.cpu.Seconds()/secs*100)
		if healthOK && bp.cpu > 0 {
			perCPU = fmt.Sprintf("%.0f", float64(h.Updates)/bp.cpu.Seconds())
		}
	}
	fmt.Fprintf(w, "bot process CPU:        %s, user and system, from start of the run to its end\n", cpu)
	fmt.Fprintf(w, "  updates per CPU-s:    %s\n", perCPU)
	fmt.Fprintf(w, "bot process memory:     VmHWM %s (its peak), VmRSS %s at the end (anonymous %s, mapped files: program and database %s)\n",
		mb(bp.hwm), mb(bp.rss), mb(bp.anon), mb(bp.file))
	fmt.Fprintf(w, "  database:             %s resident in the bot process of a %s file (its pages mapped by bbolt; the kernel drops them first when memory is short)\n",
		mb(bp.db), mb(harness.dbSize))
	fmt.Fprintf(w, "demo process memory:    VmHWM %s (the fake Telegram and the organisers, not the bot)\n", mb(harness.hwm))
	if o.Unlimited {
		fmt.Fprintf(w, "limit breaches:         %d (limits not enforced)\n", breaches)
	} else {
		fmt.Fprintf(w, "limit breaches:         %d\n", breaches)
	}
	fmt.Fprintf(w, "429s seen:              n/a by the bot (%d sent by the server)\n", d.srv.StatusCounts("")[429])
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
	ok := completed == n
	if o.Partway {
		ok = partway+completed == n
	}
	if !o.Unlimited && breaches > 0 || errs > 0 {
		ok = false
	}
	return ok && healthOK
}
