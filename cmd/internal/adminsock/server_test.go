package adminsock

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"toolmap/bot"
	"toolmap/store"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })

// TestListenRemovesOnlyAStaleSocket: Listen replaces a socket left by a
// crash, and refuses, leaving it as it is, anything else at its path (a
// database, any file, a directory) and a socket another process serves;
// Close removes the socket only while it is still the one Listen made.
func TestListenRemovesOnlyAStaleSocket(t *testing.T) {
	dir := t.TempDir()

	file := filepath.Join(dir, "toolmap.db")
	if err := os.WriteFile(file, []byte("the database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Listen(file, okHandler, quiet()); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Listen on a file: %v, want a refusal", err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "the database" {
		t.Fatalf("the file at the socket's path after Listen: %q %v", data, err)
	}
	if _, err := Listen(dir, okHandler, quiet()); err == nil {
		t.Error("Listen on a directory succeeded")
	}

	// A stale socket (its server gone without removing it) is replaced.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	s, err := Listen(stale, okHandler, quiet())
	if err != nil {
		t.Fatalf("Listen on a stale socket: %v", err)
	}
	// A second endpoint at the same path refuses: this one answers.
	if s2, err := Listen(stale, okHandler, quiet()); err == nil || !strings.Contains(err.Error(), "another process serves") {
		if s2 != nil {
			s2.Close()
		}
		t.Errorf("Listen on a live socket: %v, want a refusal", err)
	}
	var got string
	if err := NewClient(stale).Call(context.Background(), "/", nil, &got); err == nil {
		t.Error("the first endpoint answers JSON?")
	} else if errors := err.Error(); strings.Contains(errors, "does not answer") {
		t.Errorf("the first endpoint stopped answering: %v", err)
	}
	s.Close()
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("Close left the socket: %v", err)
	}

	// Close leaves a file that took the socket's place meanwhile.
	path := filepath.Join(dir, "admin.sock")
	s, err = Listen(path, okHandler, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("not ours"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if data, err := os.ReadFile(path); err != nil || string(data) != "not ours" {
		t.Errorf("Close removed a file that was not its socket: %q %v", data, err)
	}
}

// TestStalledBackupNeverStallsTheBot: a /backup client that stops
// reading (a full pipe) holds no transaction and no lock of the database:
// meanwhile commits go through and a compaction, which waits for every
// transaction, completes.
func TestStalledBackupNeverStallsTheBot(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "toolmap.db"), &store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A few megabytes, far more than a socket's buffers hold.
	big := strings.Repeat("x", 100<<10)
	for i := range 40 {
		if err := db.Enqueue(bot.Outgoing{Kind: bot.OutSend, ChatID: int64(i + 1), Text: big}); err != nil {
			t.Fatal(err)
		}
	}
	e := &Endpoint{DB: db, Log: quiet()}
	sock := filepath.Join(dir, "admin.sock")
	s, err := Listen(sock, http.HandlerFunc(e.backup), quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /backup HTTP/1.1\r\nHost: toolmap\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Read the head and the start of the body, then stop reading.
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("backup: %v %v", resp, err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 4096)); err != nil {
		t.Fatal(err)
	}

	done := make(chan error, 1)
	go func() {
		if err := db.Enqueue(bot.Outgoing{Kind: bot.OutSend, ChatID: 99, Text: big}); err != nil {
			done <- err
			return
		}
		_, err := db.Compact()
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a commit and a compaction waited for a backup client that stopped reading")
	}
}
