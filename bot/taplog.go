package bot

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
)

// Every tap must be answered (answerCallbackQuery), or its button spins
// on; and a tap may be answered only once (Telegram refuses a second
// answer). A tap is answered just after the commit that records it, so a
// crash in between would leave it unanswered, and nothing in the database
// can say whether an answer went out (the call is not part of the
// commit). The tap log says it: the id of each tap is appended to a file
// beside the database just before its answer is sent, with a plain write,
// which a killed process does not lose. At start-up, the taps committed in
// the last seconds (the store's handled keys) that the log does not name
// are answered then (Bot.Restart). A power cut can lose the last lines:
// those taps may then get a second answer, which Telegram refuses, and the
// refusal is logged.

// tapLog is the append-only log of taps about to be answered. It keeps two
// files, path and path+".old": when the first passes tapLogMax bytes it
// replaces the second, so the log never grows past twice that while always
// holding the last thousands of taps (only those of the last seconds
// matter).
type tapLog struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	err  error // the first write error, logged once
}

const tapLogMax = 1 << 20

func openTapLog(path string) (*tapLog, error) {
	l := &tapLog{path: path}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *tapLog) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the tap log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the tap log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// mark appends a tap's callback query id. It returns the first error only.
func (l *tapLog) mark(id string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	if l.size >= tapLogMax {
		l.f.Close()
		if err := os.Rename(l.path, l.path+".old"); err != nil {
			return l.fail(err)
		}
		if err := l.open(); err != nil {
			l.f = nil
			return l.fail(err)
		}
	}
	n, err := l.f.WriteString(id + "\n")
	l.size += int64(n)
	if err != nil {
		return l.fail(err)
	}
	return nil
}

func (l *tapLog) fail(err error) error {
	if l.err != nil {
		return nil
	}
	l.err = err
	return fmt.Errorf("write the tap log: %w", err)
}

func (l *tapLog) close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// readTapLog returns the ids the tap log at path names (both files).
func readTapLog(path string) (map[string]bool, error) {
	ids := map[string]bool{}
	for _, p := range []string{path + ".old", path} {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the tap log: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if id := strings.TrimSpace(sc.Text()); id != "" {
				ids[id] = true
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read the tap log: %w", err)
		}
	}
	return ids, nil
}
