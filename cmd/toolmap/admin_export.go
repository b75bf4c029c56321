package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/export"
)

// exportRequest is what the command line sends to the running bot's admin
// endpoint to export through it. The study key travels over the 0600
// socket and is kept only for the request.
type exportRequest struct {
	Format   export.Format `json:"format"`
	From     time.Time     `json:"from,omitzero"`
	To       time.Time     `json:"to,omitzero"`
	Partial  bool          `json:"partial,omitempty"`
	FreeText bool          `json:"free_text,omitempty"`
	Licence  string        `json:"licence,omitempty"`
	Key      string        `json:"key"` // hex
}

// Trailers carrying an export's outcome after the streamed body.
const (
	trailerError     = "X-Toolmap-Error"
	trailerCompleted = "X-Toolmap-Completed"
	trailerPartial   = "X-Toolmap-Partial"
)

// exportHandler serves POST /export on the admin endpoint: the export is
// streamed as it is written, from short read transactions that never hold
// up the bot's commits.
type exportHandler struct {
	db  *store.DB
	def *survey.Definition
}

func (h exportHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req exportRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		http.Error(w, "bad export request: "+err.Error(), http.StatusBadRequest)
		return
	}
	key, err := hex.DecodeString(req.Key)
	if err != nil {
		http.Error(w, "bad study key encoding", http.StatusBadRequest)
		return
	}
	w.Header().Set("Trailer", trailerError+", "+trailerCompleted+", "+trailerPartial)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	stats, err := exportTo(r.Context(), h.db, w, exportOptions{
		Defs: []*survey.Definition{h.def}, Key: key, Format: req.Format,
		From: req.From, To: req.To, Partial: req.Partial, FreeText: req.FreeText, Licence: req.Licence,
		Now: time.Now().UTC(), Spool: tempSpool(os.TempDir()),
	})
	if err != nil {
		w.Header().Set(trailerError, err.Error())
	}
	w.Header().Set(trailerCompleted, strconv.Itoa(stats.Completed))
	w.Header().Set(trailerPartial, strconv.Itoa(stats.Partial))
}

// exportViaAdmin asks the running bot at socket for an export and writes
// it to w, returning what it counted.
func exportViaAdmin(ctx context.Context, socket string, w io.Writer, o exportOptions) (exportStats, error) {
	body, err := json.Marshal(exportRequest{Format: o.Format, From: o.From, To: o.To, Partial: o.Partial,
		FreeText: o.FreeText, Licence: o.Licence, Key: hex.EncodeToString(o.Key)})
	if err != nil {
		return exportStats{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+"/export", bytes.NewReader(body))
	if err != nil {
		return exportStats{}, err
	}
	resp, err := adminClient(socket).Do(req)
	if err != nil {
		return exportStats{}, fmt.Errorf("the database is in use and the running bot's admin endpoint (%s) does not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return exportStats{}, fmt.Errorf("the running bot refused the export: %s", msg)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return exportStats{}, fmt.Errorf("receive the export from the running bot: %w", err)
	}
	if msg := resp.Trailer.Get(trailerError); msg != "" {
		return exportStats{}, errors.New(msg)
	}
	var st exportStats
	st.Completed, _ = strconv.Atoi(resp.Trailer.Get(trailerCompleted))
	st.Partial, _ = strconv.Atoi(resp.Trailer.Get(trailerPartial))
	if resp.Trailer.Get(trailerCompleted) == "" {
		return st, errors.New("the running bot's export ended early")
	}
	return st, nil
}
