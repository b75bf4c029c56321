package export

import (
	"archive/zip"
	"bytes"
	"io"
)

// Zip writes every layout into one ZIP file: README.txt, datapackage.json,
// codebook.csv, codebook.json, long.csv, wide.csv, responses.jsonl and
// responses.xlsx. The large files are spooled (see Options.Spool) while
// responses are added and copied into the archive on Close.
type Zip struct {
	l     *layout
	w     io.Writer
	parts []*part
	encs  []Encoder
}

var _ Encoder = (*Zip)(nil)

// The files of a ZIP export.
const (
	FileReadme      = "README.txt"
	FileDataPackage = "datapackage.json"
	FileCodebookCSV = "codebook.csv"
	FileCodebookJS  = "codebook.json"
	FileLong        = "long.csv"
	FileWide        = "wide.csv"
	FileJSONL       = "responses.jsonl"
	FileXLSX        = "responses.xlsx"
)

// NewZip returns an encoder of the ZIP bundle. As for NewWideCSV, the
// codebook must have observed every response.
func NewZip(w io.Writer, cb *Codebook, opts *Options) (*Zip, error) {
	o := opts.orDefault()
	z := &Zip{l: newLayout(cb, o), w: w}
	for _, f := range []string{FileLong, FileWide, FileJSONL, FileXLSX} {
		p, err := newPart(o, f, f != FileXLSX) // an XLSX file is compressed already
		if err != nil {
			z.release()
			return nil, err
		}
		z.parts = append(z.parts, p)
	}
	x, err := NewXLSX(z.parts[3], cb, opts)
	if err != nil {
		z.release()
		return nil, err
	}
	z.encs = []Encoder{
		newCSV(z.parts[0], z.l, z.l.long, false),
		newCSV(z.parts[1], z.l, z.l.wide, true),
		NewJSONL(z.parts[2], cb, opts),
		x,
	}
	return z, nil
}

// Add writes one response to every layout.
func (z *Zip) Add(r Response) error {
	for _, e := range z.encs {
		if err := e.Add(r); err != nil {
			return err
		}
	}
	return nil
}

// Close assembles the archive and releases the spooled files.
func (z *Zip) Close() (err error) {
	defer func() {
		if rerr := z.release(); err == nil {
			err = rerr
		}
	}()
	for _, e := range z.encs {
		if err := e.Close(); err != nil {
			return err
		}
	}
	now := z.l.opts.Now
	zw := zip.NewWriter(z.w)
	var dp, cbCSV, cbJSON bytes.Buffer
	if err := writeDataPackage(&dp, z.l); err != nil {
		return err
	}
	if err := z.l.cb.WriteCSV(&cbCSV); err != nil {
		return err
	}
	if err := z.l.cb.WriteJSON(&cbJSON); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{FileReadme, []byte(readmeText(z.l))},
		{FileDataPackage, dp.Bytes()},
		{FileCodebookCSV, cbCSV.Bytes()},
		{FileCodebookJS, cbJSON.Bytes()},
	} {
		if err := addFile(zw, f.name, now, f.data); err != nil {
			return err
		}
	}
	for _, p := range z.parts {
		if err := p.copyTo(zw, now); err != nil {
			return err
		}
	}
	return zw.Close()
}

func (z *Zip) release() error {
	var first error
	for _, p := range z.parts {
		if err := p.close(); err != nil && first == nil {
			first = err
		}
	}
	z.parts = nil
	return first
}
