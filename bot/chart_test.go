package bot

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gonum.org/v1/plot/vg/draw"

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

// barPixels counts the pixels in the bars' colour.
func barPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 == uint32(chartBarCol.R) && g>>8 == uint32(chartBarCol.G) && bl>>8 == uint32(chartBarCol.B) {
				n++
			}
		}
	}
	return n
}

func TestDigestChart(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, nil)
	for _, lang := range []string{"en", "es"} {
		t.Run(lang, func(t *testing.T) {
			data, err := DigestChart(def, r, lang)
			if err != nil {
				t.Fatal(err)
			}
			img := decodePNG(t, data, ChartMinHeight)
			if h := img.Bounds().Dy(); h != ChartMinHeight {
				t.Errorf("three tools take %d pixels, want %d", h, ChartMinHeight)
			}
			// Three bars, 100%, 63% and 63% of the bar length, 46 pixels thick.
			if n := barPixels(img); n < 3*30*500 {
				t.Errorf("only %d pixels of bars", n)
			}
			if len(data) > 10<<20 {
				t.Errorf("%d bytes: over sendPhoto's 10 MB", len(data))
			}
		})
	}
}

// TestDigestChartText: what the chart says, in English and Spanish.
func TestDigestChartText(t *testing.T) {
	def := digestDef(t)
	r := digestReport(t, def, reporttest.Typical(), report.Counts{Total: 40, Started: 11}, nil)
	for lang, want := range map[string]chartText{
		"en": {title: "Tools named most · Week 47", subtitle: "Share of the 8 groups that finished, for any activity",
			foot: "Tools named by fewer than 5 groups are not shown.",
			bars: []chartBarData{{"WhatsApp", "100% (8)", 1}, {"Facebook", "63% (5)", 0.63}, {"Signal", "63% (5)", 0.63}}},
		"es": {title: "Herramientas más nombradas · Semana 47", subtitle: "Porcentaje de los 8 grupos que terminaron, en cualquier actividad",
			foot: "No se muestran las herramientas nombradas por menos de 5 grupos.",
			bars: []chartBarData{{"WhatsApp", "100\u00a0% (8)", 1}, {"Facebook", "63\u00a0% (5)", 0.63}, {"Signal", "63\u00a0% (5)", 0.63}}},
	} {
		got, ok := digestChartText(def, r, lang)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(chartText{}, chartBarData{})); !ok || diff != "" {
			t.Errorf("chart in %s (-want +got):\n%s", lang, diff)
		}
	}
}

// TestDigestChartFull: eight tools with long labels, emoji and a user-typed
// label the font cannot draw, on a phone-sized canvas.
func TestDigestChartFull(t *testing.T) {
	def := digestDef(t)
	tools := []string{"email_list", "sms_phone", "whatsapp", "facebook", "google_ws", "other_video", "crowdfund", "paper", "zoom"}
	var rs []reporttest.Response
	for i := range 40 {
		rs = append(rs, reporttest.Response{
			At:    reporttest.Monday.Add(time.Duration(i+1) * time.Hour),
			Tools: map[string][]string{"announce": tools[:1+i%len(tools)], "events": {"in_person"}},
		})
	}
	r := digestReport(t, def, rs, report.Counts{Total: 40, Started: 40}, nil)
	if len(r.Tools) != 8 {
		t.Fatalf("%d tools, want 8", len(r.Tools))
	}
	data, err := DigestChart(def, r, "en")
	if err != nil {
		t.Fatal(err)
	}
	decodePNG(t, data, ChartMinHeight+200)                // eight tools need a taller chart
	if dir := os.Getenv("TOOLMAP_CHART_DIR"); dir != "" { // to look at it
		if err := os.WriteFile(filepath.Join(dir, "chart-full.png"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
