// Package adminsock is the running bot's local admin endpoint, and its
// one client: a small HTTP server on a Unix socket beside the database,
// for the command line while the bot holds the database lock (bbolt's
// lock is exclusive). Only the local user can reach it: the socket is
// created with mode 0600 and never listens on a network.
//
// It serves GET /healthz and /metrics (Prometheus), POST /export and GET
// /backup (streamed, with the outcome in trailers), POST /digest (a
// preview, or a post to the channel), POST /compact and POST /forget.
package adminsock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Server serves the admin endpoint.
type Server struct {
	path string
	made os.FileInfo // the socket Listen made, the only file Close removes
	srv  *http.Server
	done chan struct{}
}

// Deadlines of the admin endpoint: a client must send its request within
// ReadTimeout, and take each part of a streamed answer within
// WriteTimeout, or the connection is dropped. A client that stops reading
// (a full pipe) thus holds nothing for long; and nothing it holds is the
// database's (backups are written to a file first, exports read in short
// transactions).
const (
	ReadTimeout  = 30 * time.Second
	WriteTimeout = time.Minute
)

// Listen serves h on the socket at path. A socket left there by a crash
// is removed, and only a socket: anything else at path (a database, a
// backup, any file) is refused and left as it is, as is a socket another
// process still answers on.
func Listen(path string, h http.Handler, log *slog.Logger) (*Server, error) {
	if err := clearStale(path); err != nil {
		return nil, err
	}
	old := umask(0o177)
	ln, err := net.Listen("unix", path)
	umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	// Close removes the socket itself, after checking it is still ours:
	// the listener would remove whatever is at path by then.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	made, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin endpoint: %w", err)
	}
	s := &Server{path: path, made: made, done: make(chan struct{}),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: ReadTimeout,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin endpoint stopped", "err", err)
		}
	}()
	return s, nil
}

// Close stops the endpoint, letting requests in flight finish for a few
// seconds, and removes the socket if the file at its path is still the
// socket Listen made.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
	}
	<-s.done
	if fi, err := os.Lstat(s.path); err == nil && fi.Mode().Type() == os.ModeSocket && os.SameFile(fi, s.made) {
		os.Remove(s.path)
	}
}

// clearStale removes a socket left at path by a crash. Anything else
// there is an error, and is left alone: a file that is not a socket, or a
// socket some process still serves.
func clearStale(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("admin endpoint: %w", err)
	case fi.Mode().Type() != os.ModeSocket:
		return fmt.Errorf("admin endpoint: %s exists and is not a socket: it is left alone; set admin.socket to a free path", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("admin endpoint: another process serves the socket %s: set admin.socket to a path of this bot's own", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the stale admin socket: %w", err)
	}
	return nil
}

// deadlineWriter gives each write of a streamed answer WriteTimeout: a
// client that stops reading is dropped instead of holding the handler.
type deadlineWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newDeadlineWriter(w http.ResponseWriter) *deadlineWriter {
	return &deadlineWriter{w: w, rc: http.NewResponseController(w)}
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(WriteTimeout)) // a ResponseWriter that cannot is written without
	return d.w.Write(p)
}

// Client talks to the admin endpoint of the bot running at a socket.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client of the endpoint at the socket path.
func NewClient(socket string) *Client {
	return &Client{socket: socket, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}}
}

// baseURL is the base URL of requests; the host is ignored by the
// Unix-socket transport.
const baseURL = "http://toolmap"

// ErrNoAnswer matches the error of a request the endpoint did not answer
// (no bot runs there, or it stopped).
var ErrNoAnswer = errors.New("the running bot's admin endpoint does not answer")

// Call sends req (JSON; nil for none: a GET) to path and decodes the
// JSON answer into res.
func (c *Client) Call(ctx context.Context, path string, req, res any) error {
	resp, err := c.do(ctx, path, req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(res); err != nil {
		return fmt.Errorf("read the running bot's answer: %w", err)
	}
	return nil
}

// Stream sends req to path and copies the streamed answer to w. The
// endpoint says how the stream ended in trailers (see stream): a trailer
// error is returned; the others are returned for the caller to read.
func (c *Client) Stream(ctx context.Context, path string, req any, w io.Writer) (n int64, trailer http.Header, err error) {
	resp, err := c.do(ctx, path, req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	n, err = io.Copy(w, resp.Body)
	if err != nil {
		return n, resp.Trailer, fmt.Errorf("receive from the running bot: %w", err)
	}
	if msg := resp.Trailer.Get(trailerError); msg != "" {
		return n, resp.Trailer, errors.New(msg)
	}
	if resp.Trailer.Get(trailerBytes) != fmt.Sprint(n) {
		return n, resp.Trailer, fmt.Errorf("the running bot's answer ended early (%d bytes received, %q sent)", n, resp.Trailer.Get(trailerBytes))
	}
	return n, resp.Trailer, nil
}

// do makes one request; an answer other than 200 is an error with the
// endpoint's message.
func (c *Client) do(ctx context.Context, path string, req any) (*http.Response, error) {
	method, body := http.MethodGet, io.Reader(http.NoBody)
	if req != nil {
		data, err := json.Marshal(req)
		if err != nil {
			return nil, err
		}
		method, body = http.MethodPost, bytes.NewReader(data)
	}
	hr, err := http.NewRequestWithContext(ctx, method, baseURL+path, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %w", ErrNoAnswer, c.socket, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("the running bot refused (%s): %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return resp, nil
}

// Health asks for /healthz. The report comes whether the bot is healthy
// (200) or not (503).
func (c *Client) Health(ctx context.Context) (HealthReport, error) {
	var h HealthReport
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/healthz", nil)
	if err != nil {
		return h, err
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return h, fmt.Errorf("%w (%s): %w", ErrNoAnswer, c.socket, err)
	}
	defer resp.Body.Close()
	defer c.hc.CloseIdleConnections()
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return h, fmt.Errorf("healthz: %w", err)
	}
	return h, nil
}
