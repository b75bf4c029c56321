package site

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"toolmap/survey"
	"toolmap/survey/report"
)

// The browser test opens the site in a real browser: Chromium, headless.
// It looks for TOOLMAP_CHROMIUM, then chromium, chromium-browser and
// google-chrome on the PATH, and is skipped, saying so, when there is
// none, unless TOOLMAP_BROWSER_REQUIRED is set (CI sets it: there a
// missing browser fails the test). TOOLMAP_SCREENSHOTS=DIR keeps the
// screenshots it takes (docs/map-phone.png and docs/map-desktop.png come
// from there).

func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TOOLMAP_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no browser to test the map in: install Chromium (apt-get install chromium) or set TOOLMAP_CHROMIUM to a Chromium or Chrome"
	if os.Getenv("TOOLMAP_BROWSER_REQUIRED") != "" {
		t.Fatal(msg + " (TOOLMAP_BROWSER_REQUIRED is set)")
	}
	t.Skip("SKIPPED: " + msg)
	return ""
}

// browser starts a headless Chromium that reaches nothing but what the
// test serves: no first-run, sync, update or background requests, a
// profile of its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// watch records, from now on, every console message and exception, every
// log entry of warning level or worse (a refused request, a broken
// security policy) and every request, of the page in ctx.
type watch struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

func watchPage(t *testing.T, ctx context.Context) *watch {
	t.Helper()
	w := &watch{}
	err := chromedp.Listen(ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			w.problems = append(w.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				w.problems = append(w.problems, fmt.Sprintf("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			w.requests = append(w.requests, ev.Request.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// check fails on any console message or problem, and on any request not
// under base.
func (w *watch) check(t *testing.T, base string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		t.Errorf("in the browser: %s", p)
	}
	for _, u := range w.requests {
		if !strings.HasPrefix(u, base) {
			t.Errorf("a request outside the site's folder: %s", u)
		}
	}
	if len(w.requests) == 0 {
		t.Error("no request seen: the watch does not work")
	}
	w.problems, w.requests = nil, nil
}

// shownCell is a cell of the map as the page shows it.
type shownCell struct {
	Row, Col, Text, N, Share string
	Kind                     string
}

// cellsJS reads the map's cells, and the numbers of the plain table.
const cellsJS = `(() => {
  const cells = [...document.querySelectorAll("#map tbody button")].map(b => ({
    Row: b.dataset.row, Col: b.dataset.col, Text: b.textContent, N: b.dataset.n || "", Share: b.dataset.share || "",
    Kind: b.className.replace(/\bon\b/, "").trim()}));
  const table = [...document.querySelectorAll("#table td, #gaps td, #map tbody small")].map(td => td.textContent);
  return JSON.stringify({cells, table, note: document.getElementById("view-note").hidden ? "" : document.getElementById("view-note").textContent});
})()`

type pageState struct {
	Cells []shownCell
	Table []string
	Note  string
}

func readPage(t *testing.T, ctx context.Context) pageState {
	t.Helper()
	js, err := chromedp.Run(ctx, chromedp.Evaluate[string](cellsJS))
	if err != nil {
		t.Fatal(err)
	}
	var p pageState
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkView compares the map's cells in view v with the study's, and
// checks that no number on screen is under the threshold.
func checkView(t *testing.T, st report.Study, lang string, v int, p pageState, allColumns bool) {
	t.Helper()
	cols := min(len(st.Columns), 10)
	if allColumns {
		cols = len(st.Columns)
	}
	if len(p.Cells) != len(st.Rows)*cols {
		t.Fatalf("view %d: %d cells on the map, want %d × %d", v, len(p.Cells), len(st.Rows), cols)
	}
	for k, c := range p.Cells {
		i, j := k/cols, k%cols
		f := st.Views[v].Rows[i]
		if c.Row != st.Rows[i].ID || c.Col != st.Columns[j].ID {
			t.Fatalf("view %d cell %d is %s × %s, want %s × %s", v, k, c.Row, c.Col, st.Rows[i].ID, st.Columns[j].ID)
		}
		n, ok := f.Cells[j].Value()
		share, shareOK := report.Share(f.Cells[j], f.Groups)
		want := shownCell{Row: c.Row, Col: c.Col}
		switch {
		case ok && n == 0:
			want.Kind, want.N = "zero", "0"
		case !ok || !shareOK:
			want.Kind, want.Text = "hid", "–"
		default:
			want.N, want.Share = fmt.Sprint(n), fmt.Sprint(share)
			want.Text = text(lang, "percent", "n", fmt.Sprint(share))
		}
		if c != want {
			t.Errorf("view %d, %s × %s: the map shows %+v, the study %+v", v, c.Row, c.Col, c, want)
		}
		if c.N != "" && c.N != "0" && len(c.N) < 3 {
			if x := atoi(c.N); x < st.MinCount {
				t.Errorf("view %d, %s × %s: %d groups shown", v, c.Row, c.Col, x)
			}
		}
	}
	for _, text := range p.Table {
		for _, n := range numbersIn(text) {
			if n > 0 && n < st.MinCount && !strings.Contains(text, "%") {
				t.Errorf("view %d: the tables show %q", v, text)
			}
		}
		if s := shownPattern.FindStringSubmatch(text); s != nil && atoi(s[2]) < st.MinCount {
			t.Errorf("view %d: the tables show %q", v, text)
		}
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func numbersIn(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
		out = append(out, atoi(f))
	}
	return out
}

// siteFor renders def's study of ss into a new folder.
func siteFor(t *testing.T, def *survey.Definition, ss []survey.Session) (string, report.Study) {
	t.Helper()
	st := studyOf(t, def, ss, nil)
	dir := t.TempDir()
	for name, data := range render(t, def, st) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, st
}

// TestBrowser opens the site in Chromium, served from 127.0.0.1 and from
// disk: no console message, no request outside the folder, the map's
// cells equal the study's in every view the filter offers, no number under
// the threshold on screen, and screenshots at phone and desktop widths.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED: the browser test takes a while (-short)")
	}
	for _, tc := range []struct {
		name        string
		def         *survey.Definition
		n           int
		screenshots bool
	}{
		{"default survey", defaultDef(t), 400, true},
		{"version 2 shape", fixtureDef(t), 300, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, st := siteFor(t, tc.def, responses(t, tc.def, tc.n, 5))
			srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
			defer srv.Close()
			ctx := browser(t)
			w := watchPage(t, ctx)
			run := func(steps ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				defer cancel()
				if err := chromedp.Do(tctx, steps...); err != nil {
					w.mu.Lock()
					defer w.mu.Unlock()
					t.Fatalf("%v; in the browser: %q", err, w.problems)
				}
			}

			// A phone.
			run(chromedp.EmulateViewport(412, 915, chromedp.EmulateScale(2), chromedp.EmulateMobile),
				chromedp.Navigate(srv.URL+"/index.html"), chromedp.WaitVisible("#map tbody button"))
			checkView(t, st, "en", 0, readPage(t, ctx), false)
			// Tapping a cell says its numbers.
			run(chromedp.Click("#map tbody button"), chromedp.WaitVisible("#detail"))
			detail, err := chromedp.Run(ctx, chromedp.Text("#detail"))
			if err != nil || !strings.Contains(detail, "groups doing it") {
				t.Errorf("after a tap the detail says %q (%v)", detail, err)
			}
			if tc.screenshots {
				screenshot(t, ctx, "map-phone.png", "#legend", 412, 2, true)
			}

			// Every view the filter offers, with every tool.
			run(chromedp.Click("#all-tools"))
			views, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#view option:not([disabled])")].map(o => o.value)`))
			if err != nil {
				t.Fatal(err)
			}
			if len(views) < 5 {
				t.Fatalf("only %d views to choose from", len(views))
			}
			for _, v := range views {
				run(chromedp.SetValue("#view", v), chromedp.Evaluate[chromedp.Void](`document.getElementById("view").dispatchEvent(new Event("change"))`))
				checkView(t, st, "en", atoi(v), readPage(t, ctx), true)
			}
			w.check(t, srv.URL+"/")

			// A desktop, and the Spanish page.
			run(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/index.html"), chromedp.WaitVisible("#map tbody button"))
			checkView(t, st, "en", 0, readPage(t, ctx), false)
			if tc.screenshots {
				screenshot(t, ctx, "map-desktop.png", "#gaps-section", 1280, 1, false)
			}
			run(chromedp.Click(`a[hreflang="es"]`), chromedp.WaitVisible("#map tbody button"))
			if lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang + " " + document.getElementById("map-title").textContent`)); err != nil || lang != "es El mapa" {
				t.Errorf("the language switch gives %q (%v)", lang, err)
			}
			checkView(t, st, "es", 0, readPage(t, ctx), false)
			w.check(t, srv.URL+"/")

			// Straight from disk.
			run(chromedp.Navigate("file://"+filepath.ToSlash(filepath.Join(dir, "index.html"))), chromedp.WaitVisible("#map tbody button"))
			checkView(t, st, "en", 0, readPage(t, ctx), false)
			w.check(t, "file://"+filepath.ToSlash(dir)+"/")
		})
	}
}

// screenshot saves a screenshot of the page from its top to the bottom of
// the element sel, at the viewport's width, into TOOLMAP_SCREENSHOTS, else
// into the test's temporary folder.
func screenshot(t *testing.T, ctx context.Context, name, sel string, width int64, scale float64, mobile bool) {
	t.Helper()
	bottom, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const r = document.querySelector(`+strconv.Quote(sel)+`).getBoundingClientRect(); return Math.ceil(r.bottom + window.scrollY + 16); })()`))
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(scale)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, int64(bottom), opts...), chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("TOOLMAP_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", filepath.Join(dir, name), len(png))
}
