package adminsock

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"time"

	"toolmap/cmd/internal/jobs"
	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
	"toolmap/survey/report"
)

// ExportRequest is POST /export: an export made by the running bot from
// short read transactions that never hold up its commits, streamed back
// as it is written. The study key travels over the 0600 socket and is
// kept only for the request.
type ExportRequest struct {
	Format   export.Format `json:"format"`
	From     time.Time     `json:"from,omitzero"`
	To       time.Time     `json:"to,omitzero"`
	Partial  bool          `json:"partial,omitempty"`
	FreeText bool          `json:"free_text,omitempty"`
	Licence  string        `json:"licence,omitempty"`
	Key      string        `json:"key"` // hex
}

// DigestRequest is POST /digest: preview a period with the given
// settings (empty ones: the bot's), or post it to the channel with the
// bot's own. A preview is answered with a DigestPreview, a post with a
// jobs.PostOutcome.
type DigestRequest struct {
	Period   string `json:"period"` // 2026-W47
	Post     bool   `json:"post,omitempty"`
	Language string `json:"language,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	MinCount int    `json:"min_count,omitempty"`
}

// DigestPreview answers a preview.
type DigestPreview struct {
	Period  string   `json:"period"`
	Parts   []string `json:"parts"`
	Caption string   `json:"caption,omitempty"`
	Chart   []byte   `json:"chart,omitempty"` // PNG
}

// ForgetRequest is POST /forget: forget the respondent with an export
// pseudonym, then compact. The study key travels over the 0600 socket and
// is kept only for the request.
type ForgetRequest struct {
	Pseudonym string `json:"pseudonym"`
	Key       string `json:"key"` // hex
}

// CompactResult answers POST /compact and POST /forget.
type CompactResult struct {
	Found      bool  `json:"found,omitempty"`
	LogEntries int   `json:"log_entries,omitempty"`
	Before     int64 `json:"before"` // file size before compacting
	After      int64 `json:"after"`
}

// PseudonymPattern is what an export pseudonym looks like.
var PseudonymPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// Trailers carrying the outcome of a streamed answer (export, backup).
const (
	trailerError     = "X-Toolmap-Error"
	trailerBytes     = "X-Toolmap-Bytes"
	trailerCompleted = "X-Toolmap-Completed"
	trailerPartial   = "X-Toolmap-Partial"
)

// Endpoint is what the running bot serves on its admin socket.
type Endpoint struct {
	DB      *store.DB
	Def     *survey.Definition
	Digest  jobs.DigestSettings // the running bot's digest settings, for previews
	Channel *jobs.Digest        // posts to the channel; nil without one
	Health  *Health
	Metrics *Metrics
	Log     *slog.Logger
}

// Handler returns the endpoint's routes.
func (e *Endpoint) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", e.Health)
	mux.Handle("GET /metrics", e.Metrics.Handler(e.Health))
	mux.HandleFunc("POST /export", e.export)
	mux.HandleFunc("GET /backup", e.backup)
	mux.HandleFunc("POST /digest", e.digest)
	mux.HandleFunc("POST /compact", e.compact)
	mux.HandleFunc("POST /forget", e.forget)
	return mux
}

// stream writes a streamed answer: write's bytes, then the trailers with
// its error and byte count, and those set by more.
func stream(w http.ResponseWriter, names []string, write func(io.Writer) (more map[string]string, err error)) {
	w.Header().Set("Trailer", trailerError+", "+trailerBytes)
	for _, n := range names {
		w.Header().Add("Trailer", n)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(WriteTimeout))
	w.WriteHeader(http.StatusOK)
	cw := &countingWriter{w: newDeadlineWriter(w)}
	// No deadline once the answer is written: the connection may serve
	// another request.
	defer http.NewResponseController(w).SetWriteDeadline(time.Time{})
	more, err := write(cw)
	if err != nil {
		w.Header().Set(trailerError, err.Error())
	}
	w.Header().Set(trailerBytes, strconv.FormatInt(cw.n, 10))
	for k, v := range more {
		w.Header().Set(k, v)
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// export serves POST /export.
func (e *Endpoint) export(w http.ResponseWriter, r *http.Request) {
	var req ExportRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		http.Error(w, "bad export request: "+err.Error(), http.StatusBadRequest)
		return
	}
	key, err := hex.DecodeString(req.Key)
	if err != nil {
		http.Error(w, "bad study key encoding", http.StatusBadRequest)
		return
	}
	stream(w, []string{trailerCompleted, trailerPartial}, func(out io.Writer) (map[string]string, error) {
		n, err := e.DB.WriteExport(r.Context(), out, store.ExportFile{
			Defs: []*survey.Definition{e.Def}, Key: key, Format: req.Format,
			From: req.From, To: req.To, Partial: req.Partial, FreeText: req.FreeText, Licence: req.Licence,
			Now: time.Now().UTC(), SpoolDir: os.TempDir(),
		})
		return map[string]string{trailerCompleted: strconv.Itoa(n.Completed), trailerPartial: strconv.Itoa(n.Partial)}, err
	})
}

// ExportCounts reads what a streamed export counted from its trailers.
func ExportCounts(trailer http.Header) (store.ExportCounts, error) {
	var n store.ExportCounts
	var err1, err2 error
	n.Completed, err1 = strconv.Atoi(trailer.Get(trailerCompleted))
	n.Partial, err2 = strconv.Atoi(trailer.Get(trailerPartial))
	if err1 != nil || err2 != nil {
		return n, fmt.Errorf("the running bot's export ended early")
	}
	return n, nil
}

// backup serves GET /backup: the database as of one read transaction,
// written to a temporary file beside it (store.DB.Snapshot), then
// streamed from that file, so that a client that reads slowly or not at
// all holds no transaction and no lock of the database.
func (e *Endpoint) backup(w http.ResponseWriter, r *http.Request) {
	snap, err := e.DB.Snapshot()
	if err != nil {
		e.Log.Error("admin /backup failed", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer snap.Close()
	stream(w, nil, func(out io.Writer) (map[string]string, error) {
		_, err := io.Copy(out, snap)
		return nil, err
	})
}

// digest serves POST /digest.
func (e *Endpoint) digest(w http.ResponseWriter, r *http.Request) {
	var req DigestRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		http.Error(w, "bad digest request: "+err.Error(), http.StatusBadRequest)
		return
	}
	period, err := report.ParsePeriod(req.Period)
	if err != nil {
		http.Error(w, "--period: "+err.Error(), http.StatusBadRequest)
		return
	}
	var answer any
	if req.Post {
		if e.Channel == nil {
			http.Error(w, "the running bot has no channel to post to: set digest.channel in its config and restart it", http.StatusConflict)
			return
		}
		out, err := e.Channel.Post(r.Context(), period, false)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer = out
	} else {
		s, tz := e.Digest, e.Digest.Location.String()
		if req.Language != "" {
			s.Language = req.Language
		}
		if req.Timezone != "" {
			tz = req.Timezone
		}
		if req.MinCount != 0 {
			s.MinCount = req.MinCount
		}
		if ps := jobs.DigestProblems(tz, s.MinCount); len(ps) > 0 {
			http.Error(w, fmt.Sprint(ps), http.StatusBadRequest)
			return
		}
		if err := jobs.CheckDigestLanguage(e.Def, s.Language); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Location, _ = time.LoadLocation(tz) // checked by DigestProblems
		d, png, err := jobs.BuildDigest(e.DB, e.Def, s, period)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer = DigestPreview{Period: period.String(), Parts: d.Parts, Caption: d.Caption, Chart: png}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// compact serves POST /compact.
func (e *Endpoint) compact(w http.ResponseWriter, r *http.Request) {
	st, err := e.DB.Compact()
	e.answer(w, r, CompactResult{Before: st.Before, After: st.After}, err)
}

// forget serves POST /forget.
func (e *Endpoint) forget(w http.ResponseWriter, r *http.Request) {
	var req ForgetRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil || !PseudonymPattern.MatchString(req.Pseudonym) {
		http.Error(w, "bad forget request", http.StatusBadRequest)
		return
	}
	key, err := hex.DecodeString(req.Key)
	if err != nil || len(key) < export.MinKeyBytes {
		http.Error(w, "bad study key", http.StatusBadRequest)
		return
	}
	res, err := ForgetAndCompact(e.DB, key, req.Pseudonym)
	if res.Found {
		e.Log.Info("forgot a respondent on an admin's request", "log_entries", res.LogEntries)
	}
	e.answer(w, r, res, err)
}

// ForgetAndCompact forgets the respondent with the pseudonym and, if there
// was one, compacts the database, so that the bytes are gone from the
// file.
func ForgetAndCompact(db *store.DB, key []byte, pseudonym string) (CompactResult, error) {
	f, found, err := db.ForgetPseudonym(key, pseudonym)
	if err != nil || !found {
		return CompactResult{}, err
	}
	res := CompactResult{Found: true, LogEntries: f.LogEntries}
	st, err := db.Compact()
	res.Before, res.After = st.Before, st.After
	return res, err
}

func (e *Endpoint) answer(w http.ResponseWriter, r *http.Request, res any, err error) {
	if err != nil {
		e.Log.Error("admin "+r.URL.Path+" failed", "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res) // the client reports a broken answer
}
