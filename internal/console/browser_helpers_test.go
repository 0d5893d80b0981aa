package console_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/stagedoor/stagedoor/internal/servetest"
)

// The browser tests drive Debian's chromium, headless, against a real
// `stagedoor serve`. Without chromium or the axe-core package they skip and
// say why, unless STAGEDOOR_REQUIRE_BROWSER is set (as .ci/run sets it),
// when they fail.

const chromium = "/usr/bin/chromium"

// axePath is axe-core as npm ci in testdata/axe installs it.
var axePath = filepath.Join("testdata", "axe", "node_modules", "axe-core", "axe.min.js")

// defaultShots is where the screenshots go unless STAGEDOOR_SCREENSHOTS
// names a directory; git ignores it.
var defaultShots = filepath.Join("testdata", "screenshots")

// stepTimeout bounds each wait of the browser tests.
const stepTimeout = 20 * time.Second

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// stagedoorBinary builds the command once for the package's tests.
func stagedoorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "stagedoor-console-")
		if err != nil {
			buildErr = err
			return
		}
		binary, buildErr = servetest.Build(dir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// need skips the test, or fails it under STAGEDOOR_REQUIRE_BROWSER, when
// what it needs is missing.
func need(t *testing.T) string {
	t.Helper()
	missing := func(why string) {
		if os.Getenv("STAGEDOOR_REQUIRE_BROWSER") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
	if testing.Short() {
		t.Skip("starts a server and a browser")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing("no " + chromium + ": apt-get install chromium")
	}
	axe, err := os.ReadFile(axePath)
	if err != nil {
		missing("no axe-core: run npm ci in internal/console/testdata/axe")
	}
	return string(axe)
}

// server is a running `stagedoor serve` over its own data directory.
type server struct {
	*servetest.Process
	bin, data string
}

func startServer(t *testing.T) *server {
	t.Helper()
	bin := stagedoorBinary(t)
	data := t.TempDir()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), "STAGEDOOR_MASTER_KEY=", "STAGEDOOR_DATABASE=")
	p, err := servetest.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &server{Process: p, bin: bin, data: data}
}

// login runs stagedoor admin login and returns the console link.
func (s *server) login(t *testing.T, operator string) string {
	t.Helper()
	cmd := exec.Command(s.bin, "admin", "login", "--data", s.data, "--url", s.URL, "--operator", operator, "--json")
	cmd.Env = append(os.Environ(), "STAGEDOOR_MASTER_KEY=", "STAGEDOOR_DATABASE=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	var v struct{ URL string }
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v.URL
}

// browser is a headless chromium, and where its screenshots go.
type browser struct {
	ctx   context.Context
	axe   string
	shots string
}

func newBrowser(t *testing.T, axe string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shots := cmp.Or(os.Getenv("STAGEDOOR_SCREENSHOTS"), defaultShots)
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots go to %s", shots)
	return &browser{ctx: ctx, axe: axe, shots: shots}
}

// tab is one browser tab: its own sessionStorage, so its own sign-in. It
// records the page's uncaught exceptions and Content-Security-Policy
// violations, which fail the test.
type tab struct {
	t   *testing.T
	b   *browser
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func (b *browser) tab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	tb := &tab{t: t, b: b, ctx: ctx}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
				tb.mu.Lock()
				tb.problems = append(tb.problems, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		tb.mu.Lock()
		defer tb.mu.Unlock()
		for _, p := range tb.problems {
			t.Errorf("the page reported: %s", p)
		}
		cancel()
	})
	return tb
}

// do runs steps, failing the test with what was being done.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to url and waits for the console's shell.
func (tb *tab) open(url string) {
	tb.t.Helper()
	tb.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// page goes to a console page by its navigation link.
func (tb *tab) page(route, heading string) {
	tb.t.Helper()
	tb.click(`nav a[href="#/` + route + `"]`)
	tb.waitText("main h1", heading)
}

func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do("click "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
}

// set gives the form control sel value, as a person typing or choosing
// would: its input and change events fire.
func (tb *tab) set(sel, value string) {
	tb.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, sel, value)
	tb.do("set "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](js)(ctx, t)
		return err
	}))
}

// eval returns the value of a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// text is the text of the first element sel selects, or "" if none.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ""`, sel))
}

// waitText waits until the element sel selects shows want, within within
// (stepTimeout when zero), and returns how long that took.
func (tb *tab) waitText(sel, want string, within ...time.Duration) time.Duration {
	tb.t.Helper()
	return tb.waitFor(fmt.Sprintf(`(document.querySelector(%q)?.innerText ?? "").includes(%q)`, sel, want), "for "+want+" in "+sel, within...)
}

// waitFor waits until the JavaScript expression cond holds in the page,
// within within (stepTimeout when zero), and returns how long that took.
// The page tells when: a MutationObserver checks cond after each change.
func (tb *tab) waitFor(cond, what string, within ...time.Duration) time.Duration {
	tb.t.Helper()
	limit := stepTimeout
	if len(within) > 0 {
		limit = within[0]
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(tb.ctx, limit)
	defer cancel()
	expr := fmt.Sprintf(`new Promise((resolve) => {
		const holds = () => Boolean(%s);
		if (holds()) return resolve(true);
		const seen = new MutationObserver(() => { if (holds()) { seen.disconnect(); resolve(true); } });
		seen.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
	})`, cond)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr, chromedp.EvalAwaitPromise)); err != nil {
		tb.t.Fatalf("waiting %s %s (main shows %q): %v", limit, what, tb.text("main"), err)
	}
	return time.Since(start)
}

// Viewports the screenshots are taken at: a laptop and a phone.
var viewports = []struct{ w, h int64 }{{1280, 800}, {390, 844}}

// check saves screenshots of the page as name at each viewport and, at
// each, runs axe-core in it (a serious or critical violation fails the
// test), checks that it fits the screen's width and that Tab reaches every
// control.
func (tb *tab) check(name string) {
	tb.t.Helper()
	for _, v := range viewports {
		var opts []chromedp.EmulateViewportOption
		if v.w < 600 {
			opts = append(opts, chromedp.EmulateMobile)
		}
		tb.do("resize", chromedp.EmulateViewport(v.w, v.h, opts...))
		eval[bool](tb, `(document.activeElement?.blur(), true)`)
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			tb.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(tb.b.shots, fmt.Sprintf("%s-%dx%d.png", name, v.w, v.h))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
		where := fmt.Sprintf("%s at %dx%d", name, v.w, v.h)
		tb.axeCheck(where)
		tb.fits(where)
		tb.keyboard(where)
	}
	tb.do("resize", chromedp.EmulateViewport(viewports[0].w, viewports[0].h))
}

// axeCheck runs axe-core in the page and fails on serious and critical
// violations.
func (tb *tab) axeCheck(where string) {
	tb.t.Helper()
	if !eval[bool](tb, `typeof axe === "object"`) {
		eval[bool](tb, tb.b.axe+";true")
	}
	type violation struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	found := eval[[]violation](tb, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`)
	for _, v := range found {
		if v.Impact == "serious" || v.Impact == "critical" {
			var at []string
			for _, n := range v.Nodes {
				at = append(at, fmt.Sprint(n.Target...))
			}
			tb.t.Errorf("%s: axe %s (%s): %s at %v", where, v.ID, v.Impact, v.Help, at)
		}
	}
}

// fits fails the test when the page is wider than the viewport: what does
// not fit must scroll inside its own region, never the page sideways.
func (tb *tab) fits(where string) {
	tb.t.Helper()
	wide := eval[[]string](tb, `(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		return [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > w + 1)
			.slice(0, 5).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
	})()`)
	if len(wide) > 0 {
		tb.t.Errorf("%s: the page is wider than the screen, at %v", where, wide)
	}
}

// controls selects what a keyboard must reach: links, form controls and
// scrolling regions.
const controls = `a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])`

// keyboard presses Tab through the page and fails the test unless every
// control a person sees and may use gets the focus.
func (tb *tab) keyboard(where string) {
	tb.t.Helper()
	n := eval[int](tb, fmt.Sprintf(`(() => {
		window.reached = new Set();
		if (!window.reachedListener) {
			window.reachedListener = (e) => window.reached.add(e.target);
			document.addEventListener("focusin", window.reachedListener);
		}
		return document.querySelectorAll(%q).length;
	})()`, controls))
	missing := fmt.Sprintf(`[...document.querySelectorAll(%q)]
		.filter((e) => !e.disabled && e.getClientRects().length > 0 && !window.reached.has(e))
		.map((e) => e.outerHTML.slice(0, 120))`, controls)
	// A control may hold several stops (a date's day, month and year), so
	// Tab goes round in rounds of n presses until all are reached.
	var missed []string
	for range 4 {
		for range n + 3 {
			tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		}
		if missed = eval[[]string](tb, missing); len(missed) == 0 {
			return
		}
	}
	tb.t.Errorf("%s: Tab never reaches %d controls: %v", where, len(missed), missed)
}
