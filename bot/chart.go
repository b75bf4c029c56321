package bot

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"toolmap/survey"
	"toolmap/survey/report"
)

// The chart's size in pixels: as wide as a phone shows a photo at full
// resolution, and from square up to 4:5 portrait (the tallest shape a
// chat shows whole) as the number of tools needs.
const (
	ChartWidth     = 1080
	ChartMinHeight = 1080
	ChartMaxHeight = 1350
)

// Layout, in pixels (the canvas draws at 72 dpi, so a point is a pixel).
// Text is large: a 1080-pixel photo shows about 360 points wide on a
// phone, so 42 pixels read as 14 points.
const (
	chartMargin   = 60
	chartTitle    = 54
	chartSubtitle = 34
	chartLabel    = 42
	chartValue    = 42
	chartFoot     = 30
	chartBar      = 46  // bar thickness
	chartBlock    = 124 // label, bar and spacing of one tool
)

var (
	chartInk    = color.RGBA{0x21, 0x21, 0x21, 0xff}
	chartMuted  = color.RGBA{0x61, 0x61, 0x61, 0xff}
	chartBarCol = color.RGBA{0x1e, 0x6f, 0xb8, 0xff}
	chartTrack  = color.RGBA{0xe8, 0xee, 0xf4, 0xff}
)

// chartFonts holds the embedded Liberation fonts: the chart needs no font
// on the server.
var chartFonts = sync.OnceValue(func() *font.Cache { return font.NewCache(liberation.Collection()) })

// DigestChart draws the tools most named this week as a PNG bar chart
// ChartWidth pixels wide and ChartMinHeight to ChartMaxHeight high, in the
// digest's language: each tool's
// label above a bar of its share of the groups that finished, with the
// share and count at its end. It returns nil when there is nothing to
// show: a week under the small-cell threshold, or no tool named by enough
// groups.
func DigestChart(def *survey.Definition, r report.Report, lang string) ([]byte, error) {
	c, ok := digestChartText(def, r, lang)
	if !ok {
		return nil, nil
	}
	return drawBarChart(c.title, c.subtitle, c.foot, c.bars)
}

// chartText is what a chart says, in the digest's language.
type chartText struct {
	title, subtitle, foot string
	bars                  []chartBarData
}

// digestChartText words the chart of r in lang; ok is false when there is
// nothing to chart.
func digestChartText(def *survey.Definition, r report.Report, lang string) (c chartText, ok bool) {
	n, ok := r.Finished.Value()
	if r.Suppressed || !ok || len(r.Tools) == 0 {
		return chartText{}, false
	}
	d := &digestText{def: def, r: r, lang: def.PickLanguage(lang)}
	week := strconv.Itoa(r.Period.Week)
	c.bars = make([]chartBarData, len(r.Tools))
	for i, t := range r.Tools {
		c.bars[i] = chartBarData{
			label: d.tool(t.ID),
			value: fmt.Sprintf("%s (%s)", d.percent(t.Share), d.count(t.Groups)),
			frac:  float64(t.Share) / 100,
		}
	}
	c.title = d.msg("digest_chart_title", "week", week)
	c.subtitle = d.msg("digest_chart_sub", "n", d.number(n))
	c.foot = d.msg("digest_chart_foot", "n", strconv.Itoa(r.MinCount))
	return c, true
}

// chartStyle is Liberation Sans, embedded, aligned at its top left.
func chartStyle(size vg.Length, bold bool, c color.Color) draw.TextStyle {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return draw.TextStyle{Color: c, Font: f, Handler: text.Plain{Fonts: chartFonts()}, XAlign: draw.XLeft, YAlign: draw.YTop}
}

type chartBarData struct {
	label, value string
	frac         float64 // 0 to 1
}

// drawBarChart renders horizontal bars, top to bottom in the given order.
func drawBarChart(title, subtitle, foot string, bars []chartBarData) ([]byte, error) {
	titleSty := chartStyle(chartTitle, true, chartInk)
	subSty := chartStyle(chartSubtitle, false, chartMuted)
	footSty := chartStyle(chartFoot, false, chartMuted)
	footSty.YAlign = draw.YBottom
	width := vg.Length(ChartWidth - 2*chartMargin)
	left := vg.Length(chartMargin)

	titleLines := wrap(title, titleSty, width, 2)
	subLines := wrap(subtitle, subSty, width, 2)
	footLines := wrap(foot, footSty, width, 2)
	header := chartMargin + vg.Length(len(titleLines))*chartTitle*1.2 + vg.Length(len(subLines))*chartSubtitle*1.2 + 36
	footer := chartMargin + vg.Length(len(footLines))*chartFoot*1.2 + 30
	n := vg.Length(max(len(bars), 1))
	height := min(max(header+n*chartBlock+footer, ChartMinHeight), ChartMaxHeight)
	height = vg.Length(math.Round(float64(height)))
	// Too many tools for the tallest chart: everything in a tool's block
	// shrinks alike.
	scale := min(1, (height-header-footer)/n/chartBlock)
	labelSty := chartStyle(chartLabel*scale, false, chartInk)
	valueSty := chartStyle(chartValue*scale, true, chartInk)
	valueSty.YAlign = draw.YCenter
	bar, block := chartBar*scale, chartBlock*scale

	img := vgimg.NewWith(vgimg.UseWH(ChartWidth, height), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	y := height - chartMargin // the canvas's y grows upwards
	for _, line := range titleLines {
		c.FillText(titleSty, vg.Point{X: left, Y: y}, line)
		y -= chartTitle * 1.2
	}
	for _, line := range subLines {
		c.FillText(subSty, vg.Point{X: left, Y: y}, line)
		y -= chartSubtitle * 1.2
	}
	y = height - header
	// The widest value label decides where the bars must stop.
	valueRoom := vg.Length(0)
	for _, b := range bars {
		valueRoom = max(valueRoom, valueSty.Width(b.value))
	}
	barMax := width - valueRoom - 24
	for _, b := range bars {
		c.FillText(labelSty, vg.Point{X: left, Y: y}, fit(b.label, labelSty, width))
		top := y - labelSty.Font.Size*1.32
		rect := func(x0, x1 vg.Length) []vg.Point {
			return []vg.Point{{X: x0, Y: top}, {X: x1, Y: top}, {X: x1, Y: top - bar}, {X: x0, Y: top - bar}}
		}
		c.FillPolygon(chartTrack, rect(left, left+barMax))
		if end := left + barMax*vg.Length(max(0, min(1, b.frac))); end > left {
			c.FillPolygon(chartBarCol, rect(left, end))
		}
		c.FillText(valueSty, vg.Point{X: left + barMax + 24, Y: top - bar/2 + 4*scale}, b.value)
		y -= block
	}
	for i, line := range footLines {
		c.FillText(footSty, vg.Point{X: left, Y: chartMargin + vg.Length(len(footLines)-1-i)*chartFoot*1.2}, line)
	}

	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("draw the chart: %w", err)
	}
	return buf.Bytes(), nil
}

// wrap breaks text into at most maxLines lines at most width wide, at
// spaces; the last line is cut with an ellipsis if need be.
func wrap(s string, sty draw.TextStyle, width vg.Length, maxLines int) []string {
	words := strings.Fields(fit(s, sty, vg.Length(math.MaxFloat32)))
	var lines []string
	cur := ""
	for i, w := range words {
		next := w
		if cur != "" {
			next = cur + " " + w
		}
		if cur == "" || sty.Width(next) <= width {
			cur = next
			continue
		}
		if len(lines) == maxLines-1 {
			cur = strings.Join(append([]string{cur}, words[i:]...), " ")
			break
		}
		lines = append(lines, cur)
		cur = w
	}
	if cur != "" {
		lines = append(lines, fit(cur, sty, width))
	}
	for i := range lines[:max(0, len(lines)-1)] {
		lines[i] = fit(lines[i], sty, width)
	}
	return lines
}

// fit removes what the font cannot draw (emoji, most symbols) and cuts the
// text with an ellipsis until it is at most width wide.
func fit(s string, sty draw.TextStyle, width vg.Length) string {
	face := sty.Handler.Cache().Lookup(sty.Font, sty.Font.Size)
	var buf sfnt.Buffer
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if i, err := face.Face.GlyphIndex(&buf, r); err != nil || i == 0 {
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if sty.Width(s) <= width {
		return s
	}
	rs := []rune(s)
	for len(rs) > 1 && sty.Width(string(rs)+"…") > width {
		rs = rs[:len(rs)-1]
	}
	return strings.TrimSpace(string(rs)) + "…"
}
