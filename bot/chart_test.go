package bot

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg/draw"

	"toolmap/survey"
	"toolmap/survey/report"
	"toolmap/survey/report/reporttest"
)

// decodePNG decodes a chart and checks its size: ChartWidth wide, and
// from minHeight to ChartMaxHeight high.
func decodePNG(t *testing.T, data []byte, minHeight int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the chart is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != ChartWidth || b.Dy() < minHeight || b.Dy() > ChartMaxHeight {
		t.Fatalf("the chart is %d×%d, want %d wide and %d to %d high", b.Dx(), b.Dy(), ChartWidth, minHeight, ChartMaxHeight)
	}
	return img
}

// pixels counts the pixels of colour c.
func pixels(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == uint32(c.R) && g>>8 == uint32(c.G) && bl>>8 == uint32(c.B) {
				n++
			}
		}
	}
	return n
}

// saveChart writes a chart to TOOLMAP_CHART_DIR, to look at it.
func saveChart(t *testing.T, name string, data []byte) {
	if dir := os.Getenv("TOOLMAP_CHART_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDigestChart: the map of reporttest.Typical, in both languages: two
// activities, four tools (one typed in), every cell shown.
func TestDigestChart(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, &report.Options{Step: 1})
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			data, err := DigestChart(def, r, lang)
			if err != nil {
				t.Fatal(err)
			}
			saveChart(t, "map-typical-"+lang+".png", data)
			img := decodePNG(t, data, ChartMinHeight)
			if h := img.Bounds().Dy(); h != ChartMinHeight {
				t.Errorf("two activities take %d pixels, want %d", h, ChartMinHeight)
			}
			// Facebook for announcing: 11 of 14 groups, 79%: a cell of
			// about 85×84 pixels, less its text.
			if n := pixels(img, shade(79)); n < 3000 {
				t.Errorf("only %d pixels of the 79%% shade", n)
			}
			if n := pixels(img, chartFew); n > 1000 {
				t.Errorf("%d pixels of withheld grey, but no cell is withheld (the legend has a few)", n)
			}
			if len(data) > 10<<20 {
				t.Errorf("%d bytes: over sendPhoto's 10 MB", len(data))
			}
		})
	}
}

// TestDigestChartText: what the map's picture says, in English and
// Spanish: the words, the labels, and the numbers in its cells.
func TestDigestChartText(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, nil)
	for lang, want := range map[string]heatmap{
		"en": {title: "Which tools groups use for each activity", subtitle: "% of the groups doing each activity · 14 groups so far, to week 47",
			few: "Fewer than 5 groups: not shown", zero: "Blank: none",
			cols: []string{"WhatsApp", "Facebook", "Mastodon*", "Signal"},
			rows: []heatRow{
				{label: "📣 Telling members news", sub: "14 groups", cells: []heatCell{{8, 57, false}, {11, 79, false}, {}, {}}},
				{label: "🧩 Organisers coordinating", sub: "11 groups", cells: []heatCell{{6, 55, false}, {}, {5, 45, false}, {5, 45, false}}},
			},
			notes: []string{"* typed in by respondents under “Other…”"}},
		"es": {title: "Qué herramientas usan los grupos para cada actividad", subtitle: "% de los grupos que hacen cada actividad · 14 grupos, a la semana 47",
			few: "Menos de 5 grupos: no se muestra", zero: "En blanco: ninguno",
			cols: []string{"WhatsApp", "Facebook", "Mastodon*", "Signal"},
			rows: []heatRow{
				{label: "📣 Dar noticias al grupo", sub: "14 grupos", cells: []heatCell{{8, 57, false}, {11, 79, false}, {}, {}}},
				{label: "🧩 Coordinar al equipo", sub: "11 grupos", cells: []heatCell{{6, 55, false}, {}, {5, 45, false}, {5, 45, false}}},
			},
			notes: []string{"* escrito por quienes respondieron en «Otra…»"}},
	} {
		got, ok := digestHeatmap(def, r, lang)
		got.percent = nil
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(heatmap{}, heatRow{}, heatCell{})); !ok || diff != "" {
			t.Errorf("the map's picture in %s (-want +got):\n%s", lang, diff)
		}
	}
}

// TestDigestChartFull: eleven activities and many tools, with long labels,
// emoji, a name typed in, and cells under the threshold, on the tallest
// canvas.
func TestDigestChartFull(t *testing.T) {
	def := digestDef(t)
	r := fullChartReport(t, def)
	data, err := DigestChart(def, r, "en")
	if err != nil {
		t.Fatal(err)
	}
	saveChart(t, "map-full.png", data)
	img := decodePNG(t, data, ChartMaxHeight) // eleven rows need the tallest chart
	if n := pixels(img, chartFew); n < 5000 {
		t.Errorf("only %d pixels of withheld grey: the withheld cells do not show", n)
	}
}

// TestChartShades: the shades run from light to dark as the share grows,
// so that the map reads the same in grey or with any colour vision, and
// the text on each has a contrast of at least 4.5:1 (WCAG AA).
func TestChartShades(t *testing.T) {
	prev := 1.0
	for share := 1; share <= 100; share++ {
		l := luminance(shade(share))
		if l > prev {
			t.Errorf("share %d is lighter (%.3f) than share %d (%.3f)", share, l, share-1, prev)
		}
		prev = l
	}
	if luminance(shade(1))-luminance(shade(100)) < 0.5 {
		t.Error("too little contrast between the ends of the scale")
	}
	for share := 1; share <= 100; share++ {
		bg := shade(share)
		ink := chartInk
		if !light(bg) {
			ink = chartWhite
		}
		if r := contrast(bg, ink); r < 4.5 {
			t.Errorf("share %d: text contrast %.2f", share, r)
		}
	}
}

// contrast is the WCAG contrast ratio of two colours.
func contrast(a, b color.RGBA) float64 {
	x, y := luminance(a), luminance(b)
	if x < y {
		x, y = y, x
	}
	return (x + 0.05) / (y + 0.05)
}

func TestFit(t *testing.T) {
	sty := drawStyleForTest()
	if got := fit("🚫 No tool / in person", sty, 10000); got != "No tool / in person" {
		t.Errorf("fit dropped too little or too much: %q", got)
	}
	if got := fit("Facebook (groups, pages, events, Messenger) and much more besides", sty, 400); sty.Width(got) > 400 || got[len(got)-len("…"):] != "…" {
		t.Errorf("fit = %q, %v wide", got, sty.Width(got))
	}
	if got := wrap("Porcentaje de los 8 grupos que terminaron, en cualquier actividad y mucho más aún", sty, 500, 2); len(got) != 2 {
		t.Errorf("wrap = %q", got)
	}
}

func drawStyleForTest() draw.TextStyle {
	return chartStyle(chartLabel, false, chartInk)
}

// fullChartReport is a report with more activities and tools than the
// chart has room for, some cells under the threshold.
func fullChartReport(t testing.TB, def *survey.Definition) report.Report {
	t.Helper()
	acts := []string{"announce", "coordinate", "events", "meet_online", "recruit", "promote", "money", "decide", "share", "mutual_aid", "records", "other:Running the food bank"}
	tools := []string{"email_list", "sms_phone", "whatsapp", "facebook", "google_ws", "other_video", "crowdfund", "paper", "zoom", "other:Mobilizon"}
	rng := rand.New(rand.NewPCG(1, 2))
	var rs []reporttest.Response
	for i := range 150 {
		r := reporttest.Response{At: reporttest.Monday.Add(time.Duration(i+1) * time.Hour), Tools: map[string][]string{}}
		for k, a := range acts {
			if rng.Float64() > 0.9*math.Pow(0.75, float64(k)) { // the first activities are the most common
				continue
			}
			var ts []string // nil: no tool
			for j, tool := range tools {
				// The first tools are the most common; the last two rare:
				// cells under the threshold.
				if rng.Float64() < 0.6-0.05*float64(j) && (j < len(tools)-2 || rng.IntN(20) == 0) {
					ts = append(ts, tool)
				}
			}
			r.Tools[a] = ts
		}
		if len(r.Tools) == 0 {
			r.Tools["announce"] = []string{"whatsapp"}
		}
		rs = append(rs, r)
	}
	r := digestReport(t, def, rs, report.Counts{}, &report.Options{Step: 1})
	if len(r.Study.Rows) != len(acts) || len(r.Study.Columns) < chartMaxCols {
		t.Fatalf("%d rows and %d columns: the test wants all activities and more tools than fit", len(r.Study.Rows), len(r.Study.Columns))
	}
	return r
}

// BenchmarkDigestChart draws the fullest map (twelve activities) and
// encodes it: the part of a digest that runs on one core, after the
// reading.
func BenchmarkDigestChart(b *testing.B) {
	def := digestDef(b)
	r := fullChartReport(b, def)
	for b.Loop() {
		if _, err := DigestChart(def, r, "en"); err != nil {
			b.Fatal(err)
		}
	}
}
