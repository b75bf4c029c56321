package export

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"

	"toolmap/survey"
)

// JSONL writes JSON Lines: one response per line, with its whole
// structure. Text is written as given (JSON is not read as formulas); with
// FreeText off, text answers and Other… texts are left out.
type JSONL struct {
	l       *layout
	bw      *bufio.Writer
	enc     *json.Encoder
	answers []survey.Answer
	line    jsonResponse
}

var _ Encoder = (*JSONL)(nil)

// jsonResponse is one line of JSON Lines.
type jsonResponse struct {
	Respondent     string       `json:"respondent"`
	Survey         string       `json:"survey"`
	SurveyVersion  int          `json:"survey_version"`
	Language       string       `json:"language"`
	Status         string       `json:"status"`
	Source         string       `json:"source,omitempty"`
	ConsentVersion int          `json:"consent_version,omitempty"`
	StartedAt      string       `json:"started_at,omitempty"`
	CompletedAt    string       `json:"completed_at,omitempty"`
	LastActiveAt   string       `json:"last_active_at,omitempty"`
	DurationS      *int64       `json:"duration_s,omitempty"`
	ReferredBy     string       `json:"referred_by,omitempty"`
	Answers        []jsonAnswer `json:"answers"`
}

// jsonAnswer is one answer of a JSON Lines response.
type jsonAnswer struct {
	Question string   `json:"question"`
	Item     string   `json:"item,omitempty"`
	Values   []string `json:"values,omitempty"`
	Other    string   `json:"other,omitempty"`  // the name typed with Other…, the first if several
	Others   []string `json:"others,omitempty"` // every name typed with Other…, when there are several
	Text     string   `json:"text,omitempty"`
	Number   *float64 `json:"number,omitempty"`
	Skipped  bool     `json:"skipped,omitempty"`
	Version  int      `json:"version"`
	At       string   `json:"at,omitempty"`
}

// NewJSONL returns a JSON Lines encoder. Answers are listed in codebook
// order.
func NewJSONL(w io.Writer, cb *Codebook, opts *Options) *JSONL {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &JSONL{l: newLayout(cb, opts.orDefault()), bw: bw, enc: enc}
}

// Add writes one response as one line.
func (j *JSONL) Add(r Response) error {
	s := &r.Session
	var common [nCommon]string
	j.l.common(&r, common[:])
	line := &j.line
	*line = jsonResponse{
		Respondent: r.Respondent, Survey: s.SurveyID, SurveyVersion: s.Version, Language: s.Language,
		Status: string(s.Status), Source: s.Source, ReferredBy: r.ReferredBy,
		StartedAt: common[6], CompletedAt: common[7], LastActiveAt: timeCell(s.UpdatedAt),
		Answers: line.Answers[:0],
	}
	if d, err := strconv.ParseInt(common[8], 10, 64); err == nil {
		line.DurationS = &d
	}
	if s.Consent != nil {
		line.ConsentVersion = s.Consent.Version
	}
	j.answers = j.l.sorted(s, j.answers)
	for _, a := range j.answers {
		ja := jsonAnswer{
			Question: a.Question, Item: a.Item, Values: a.Values, Number: a.Number,
			Skipped: a.Skipped, Version: a.Version, At: timeCell(a.At),
		}
		if j.l.opts.FreeText {
			ja.Other, ja.Others, ja.Text = a.Other, a.Others, a.Text
		} else if !a.Skipped && a.Number == nil && len(a.Values) == 0 {
			continue // a text answer
		}
		line.Answers = append(line.Answers, ja)
	}
	if line.Answers == nil {
		line.Answers = []jsonAnswer{}
	}
	return j.enc.Encode(line)
}

// Close flushes.
func (j *JSONL) Close() error { return j.bw.Flush() }
