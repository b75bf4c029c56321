package export

import (
	"archive/zip"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"toolmap/survey"
)

// MaxSheetRows is the number of data rows an XLSX sheet holds (Excel's
// limit of 1,048,576 rows, less the header). A longer table continues on
// another sheet ("long 2", "long 3", …), with the header repeated.
var MaxSheetRows = 1<<20 - 1

// maxColumns is Excel's limit.
const maxColumns = 16384

// XLSX writes an Excel workbook with the sheets README, wide, long and
// codebook, as hand-written SpreadsheetML: every cell an inline string or a
// number, streamed row by row into spooled sheets (see Options.Spool) and
// assembled on Close. Strings are stored as they are: an inline string is
// never read as a formula, so no neutralising is needed.
type XLSX struct {
	l       *layout
	w       io.Writer
	wide    *sheetSeq
	long    *sheetSeq
	row     []string
	answers []survey.Answer
}

var _ Encoder = (*XLSX)(nil)

// NewXLSX returns an XLSX encoder writing to w. As for NewWideCSV, the
// codebook must have observed every response.
func NewXLSX(w io.Writer, cb *Codebook, opts *Options) (*XLSX, error) {
	l := newLayout(cb, opts.orDefault())
	if len(l.wide) > maxColumns {
		return nil, fmt.Errorf("the wide layout has %d columns, more than a sheet holds (%d)", len(l.wide), maxColumns)
	}
	n := max(len(l.wide), len(l.long))
	return &XLSX{
		l: l, w: w,
		wide: &sheetSeq{name: "wide", cols: l.wide, opts: l.opts},
		long: &sheetSeq{name: "long", cols: l.long, opts: l.opts},
		row:  make([]string, n),
	}, nil
}

// Add writes a response's row to the wide sheet and its rows to the long one.
func (x *XLSX) Add(r Response) error {
	x.answers = x.l.sorted(&r.Session, x.answers)
	row := x.row[:len(x.l.wide)]
	if err := x.l.wideRow(&r, x.answers, row); err != nil {
		return err
	}
	if err := x.wide.add(row); err != nil {
		return err
	}
	return x.l.longRows(&r, x.answers, x.row[:len(x.l.long)], x.long.add)
}

// Close assembles the workbook and releases the spooled sheets.
func (x *XLSX) Close() (err error) {
	defer func() {
		for _, p := range append(x.wide.parts, x.long.parts...) {
			if cerr := p.close(); err == nil {
				err = cerr
			}
		}
	}()
	for _, s := range []*sheetSeq{x.wide, x.long} {
		if len(s.parts) == 0 {
			if err := s.start(); err != nil {
				return err
			}
		}
		if err := s.end(); err != nil {
			return err
		}
	}
	now := x.l.opts.Now
	zw := zip.NewWriter(x.w)
	readme, err := x.smallSheet(readmeRows(x.l), true)
	if err != nil {
		return err
	}
	cbCols, cbRows := x.l.cb.table()
	codebook, err := x.smallSheet(append([][]string{names(cbCols)}, cbRows...), false)
	if err != nil {
		return err
	}
	type sheet struct {
		name string
		data []byte
		part *part
	}
	sheets := []sheet{{name: "README", data: readme}}
	for _, s := range []*sheetSeq{x.wide, x.long} {
		for i, p := range s.parts {
			name := s.name
			if i > 0 {
				name = fmt.Sprintf("%s %d", s.name, i+1)
			}
			sheets = append(sheets, sheet{name: name, part: p})
		}
	}
	sheets = append(sheets, sheet{name: "codebook", data: codebook})

	var ct, wb, rels strings.Builder
	ct.WriteString(xmlHeader + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`)
	wb.WriteString(xmlHeader + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`)
	rels.WriteString(xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, s := range sheets {
		n := i + 1
		fmt.Fprintf(&ct, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, n)
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d" r:id="rId%d"/>`, s.name, n, n)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, n, n)
	}
	ct.WriteString(`</Types>`)
	wb.WriteString(`</sheets></workbook>`)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`, len(sheets)+1)

	for _, f := range []struct{ name, data string }{
		{"[Content_Types].xml", ct.String()},
		{"_rels/.rels", xmlHeader + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", wb.String()},
		{"xl/_rels/workbook.xml.rels", rels.String()},
		{"xl/styles.xml", stylesXML},
	} {
		if err := addFile(zw, f.name, now, []byte(f.data)); err != nil {
			return err
		}
	}
	for i, s := range sheets {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		if s.part != nil {
			s.part.name = name
			if err := s.part.copyTo(zw, now); err != nil {
				return err
			}
			continue
		}
		if err := addFile(zw, name, now, s.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// smallSheet renders a sheet held in memory: all text, the first row bold.
// A README sheet gets a wide first column.
func (x *XLSX) smallSheet(rows [][]string, readme bool) ([]byte, error) {
	var b strings.Builder
	cols := ""
	if readme {
		cols = `<cols><col min="1" max="1" width="24" customWidth="1"/><col min="2" max="2" width="14" customWidth="1"/><col min="3" max="3" width="100" customWidth="1"/></cols>`
	}
	sw := &sheetWriter{w: &b}
	sw.open(cols)
	for i, r := range rows {
		sw.row(i+1, r, nil, i == 0)
	}
	sw.close()
	return []byte(b.String()), sw.err
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

const stylesXML = xmlHeader + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
	`<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
	`<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
	`<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
	`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
	`<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>` +
	`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// sheetSeq is a table written as one or more sheets, each spooled.
type sheetSeq struct {
	name  string
	cols  []column
	opts  Options
	parts []*part
	cur   *sheetWriter
	rows  int // data rows in the current sheet
}

func (s *sheetSeq) start() error {
	p, err := newPart(s.opts, "", true)
	if err != nil {
		return err
	}
	s.parts = append(s.parts, p)
	s.cur = &sheetWriter{w: p}
	s.cur.open("")
	s.cur.row(1, names(s.cols), nil, true)
	s.rows = 0
	return s.cur.err
}

func (s *sheetSeq) end() error {
	if s.cur == nil {
		return nil
	}
	s.cur.close()
	err := s.cur.err
	s.cur = nil
	return err
}

func (s *sheetSeq) add(row []string) error {
	if s.cur == nil || s.rows >= MaxSheetRows {
		if err := s.end(); err != nil {
			return err
		}
		if err := s.start(); err != nil {
			return err
		}
	}
	s.rows++
	s.cur.row(s.rows+1, row, s.cols, false)
	return s.cur.err
}

// sheetWriter writes one worksheet's XML.
type sheetWriter struct {
	w interface {
		io.Writer
		io.StringWriter
	}
	err error
	num []byte
}

func (sw *sheetWriter) str(s string) {
	if sw.err == nil {
		_, sw.err = sw.w.WriteString(s)
	}
}

func (sw *sheetWriter) open(cols string) {
	sw.str(xmlHeader + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
		cols + `<sheetData>`)
}

func (sw *sheetWriter) close() { sw.str(`</sheetData></worksheet>`) }

// row writes row number n. Empty cells are left out; the next cell then
// names its place. Cells of numeric columns are numbers, all others inline
// strings; bold rows use style 1.
func (sw *sheetWriter) row(n int, cells []string, cols []column, bold bool) {
	sw.num = strconv.AppendInt(sw.num[:0], int64(n), 10)
	rowNum := string(sw.num)
	sw.str(`<row r="`)
	sw.str(rowNum)
	sw.str(`">`)
	gap := false
	for i, v := range cells {
		if v == "" {
			gap = true
			continue
		}
		sw.str(`<c`)
		if gap {
			sw.str(` r="`)
			sw.str(colName(i))
			sw.str(rowNum)
			sw.str(`"`)
			gap = false
		}
		if bold {
			sw.str(` s="1"`)
		}
		if cols != nil && cols[i].numeric() {
			sw.str(`><v>`)
			sw.str(v)
			sw.str(`</v></c>`)
			continue
		}
		if v[0] == ' ' || v[len(v)-1] == ' ' || strings.ContainsAny(v, "\n\t") {
			sw.str(` t="inlineStr"><is><t xml:space="preserve">`)
		} else {
			sw.str(` t="inlineStr"><is><t>`)
		}
		sw.text(v)
		sw.str(`</t></is></c>`)
	}
	sw.str(`</row>`)
}

// maxCellChars is the longest text a cell holds.
const maxCellChars = 32767

// text writes s escaped for XML and for SpreadsheetML (see escapeText),
// as it is when nothing in it needs escaping.
func (sw *sheetWriter) text(s string) {
	clean, ascii := len(s) <= maxCellChars, true
	for i := 0; i < len(s) && clean; i++ {
		switch c := s[i]; {
		case c < 0x20 || c == '&' || c == '<' || c == '>':
			clean = false
		case c == '_': // ids such as google_ws are common: only _xHHHH_ needs care
			clean = !isEscape(s[i:])
		case c >= utf8.RuneSelf: // only U+FFFE and U+FFFF (EF BF BE, EF BF BF) need care
			ascii = false
			clean = !(c == 0xEF && i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF))
		}
	}
	if clean && (ascii || utf8.ValidString(s)) {
		sw.str(s)
		return
	}
	sw.str(escapeText(s))
}

// escapeText escapes s for XML and for SpreadsheetML: characters XML
// cannot carry become _xHHHH_, an underscore that would read as such an
// escape becomes _x005F_, invalid UTF-8 becomes U+FFFD, and text beyond
// maxCellChars is cut.
func escapeText(s string) string {
	var b strings.Builder
	n := 0
	for i, r := range s {
		if n++; n > maxCellChars {
			break
		}
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '_' && isEscape(s[i:]):
			b.WriteString("_x005F_")
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF:
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isEscape reports whether s starts with _xHHHH_.
func isEscape(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for _, c := range []byte(s[2:6]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// colName returns the letters of column i (0-based): A, …, Z, AA, ….
func colName(i int) string {
	var b [4]byte
	p := len(b)
	for i++; i > 0; i = (i - 1) / 26 {
		p--
		b[p] = byte('A' + (i-1)%26)
	}
	return string(b[p:])
}
