package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"toolmap/store"
	"toolmap/survey"
	"toolmap/survey/report"
)

// digestRequest is what the command line sends to the running bot's admin
// endpoint (POST /digest): preview a period with the given settings, or
// post it to the channel with the bot's own.
type digestRequest struct {
	Period   string `json:"period"` // 2026-W47
	Post     bool   `json:"post,omitempty"`
	Language string `json:"language,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	MinCount int    `json:"min_count,omitempty"`
}

// digestPreview is the answer to a preview.
type digestPreview struct {
	Period  string   `json:"period"`
	Parts   []string `json:"parts"`
	Caption string   `json:"caption,omitempty"`
	Chart   []byte   `json:"chart,omitempty"` // PNG
}

// digestHandler serves POST /digest on the admin endpoint.
type digestHandler struct {
	db     *store.DB
	def    *survey.Definition
	dc     DigestConfig
	poster *digestPoster // nil without a channel
}

func (h digestHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req digestRequest
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
		if h.poster == nil {
			http.Error(w, "the running bot has no channel to post to: set digest.channel in its config and restart it", http.StatusConflict)
			return
		}
		out, err := h.poster.Post(r.Context(), period, false)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer = out
	} else {
		dc := h.dc
		if req.Language != "" {
			dc.Language = req.Language
		}
		if req.Timezone != "" {
			dc.Timezone = req.Timezone
		}
		if req.MinCount != 0 {
			dc.MinCount = req.MinCount
		}
		if ps := dc.problems(); len(ps) > 0 {
			http.Error(w, fmt.Sprint(ps), http.StatusBadRequest)
			return
		}
		if err := dc.checkLanguage(h.def); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		loc, _ := time.LoadLocation(dc.Timezone)
		d, png, err := renderDigest(h.db, h.def, dc, loc, period)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer = digestPreview{Period: period.String(), Parts: d.Parts, Caption: d.Caption, Chart: png}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// digestViaAdmin sends req to the running bot at socket and decodes its
// answer into out.
func digestViaAdmin(ctx context.Context, socket string, req digestRequest, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, adminURL+"/digest", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := adminClient(socket).Do(hr)
	if err != nil {
		return fmt.Errorf("the database is in use and the running bot's admin endpoint (%s) does not answer: %w", socket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return errors.New("the running bot: " + string(bytes.TrimSpace(msg)))
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read the running bot's answer: %w", err)
	}
	return nil
}
