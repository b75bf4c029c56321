package export

import (
	"fmt"
	"io"
)

// Format names an export format.
type Format string

// The formats.
const (
	FormatLong     Format = "long"     // long CSV
	FormatWide     Format = "wide"     // wide CSV
	FormatJSONL    Format = "jsonl"    // JSON Lines
	FormatXLSX     Format = "xlsx"     // Excel workbook: README, wide, long, codebook
	FormatZip      Format = "zip"      // all of them, with the codebook and datapackage.json
	FormatCodebook Format = "codebook" // the codebook as CSV
)

// NeedsColumns reports whether the format has the wide layout, whose
// columns the codebook must have observed from every response first.
func (f Format) NeedsColumns() bool {
	return f == FormatWide || f == FormatXLSX || f == FormatZip
}

// New returns the encoder of a format writing to w. FormatCodebook writes
// the codebook on Close and ignores responses.
func New(f Format, w io.Writer, cb *Codebook, opts *Options) (Encoder, error) {
	switch f {
	case FormatLong:
		return NewLongCSV(w, cb, opts), nil
	case FormatWide:
		return NewWideCSV(w, cb, opts), nil
	case FormatJSONL:
		return NewJSONL(w, cb, opts), nil
	case FormatXLSX:
		return NewXLSX(w, cb, opts)
	case FormatZip:
		return NewZip(w, cb, opts)
	case FormatCodebook:
		return codebookEncoder{w: w, cb: cb}, nil
	}
	return nil, fmt.Errorf("unknown export format %q", f)
}

type codebookEncoder struct {
	w  io.Writer
	cb *Codebook
}

func (codebookEncoder) Add(Response) error { return nil }
func (c codebookEncoder) Close() error     { return c.cb.WriteCSV(c.w) }
