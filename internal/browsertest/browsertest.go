// Package browsertest drives Debian's Chromium headless through chromedp for
// the config editor's browser tests. With CI=true a missing chromium fails
// the test; elsewhere it skips with the install command.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Binary is Debian's Chromium, from the package of the same name.
const Binary = "chromium"

// Require skips the test when Chromium is missing, or fails it under CI=true.
func Require(t testing.TB) string {
	t.Helper()
	for _, name := range []string{Binary, "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "missing chromium; install with apt-get install chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Options tune the browser.
type Options struct {
	Width, Height int // the window; 1280x900 when zero
}

// Start launches a fresh headless Chromium with an empty profile in a temp
// dir and returns a chromedp context for it; the browser ends with the test.
// The flags keep Chromium off every network but the pages it is sent to:
// without them it tries Google's hosts at every start, which this machine's
// closed network refuses.
func Start(t testing.TB, opts Options) context.Context {
	t.Helper()
	bin := Require(t)
	if opts.Width == 0 {
		opts.Width, opts.Height = 1280, 900
	}
	flags := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(opts.Width, opts.Height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// Start the browser now (with no deadline: the first run's context is
	// the browser's life), so that a broken Chromium fails here and not in
	// the first step of the test.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	return ctx
}

// Do runs the steps with a deadline, so that a page that never shows what a
// step waits for fails the test instead of hanging it.
func Do(t testing.TB, ctx context.Context, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Screenshot writes a full-page PNG of the current page to path.
func Screenshot(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Text returns the visible text of the first element matching sel: an XPath
// expression when it starts with "/", else a CSS selector. It fails the test
// when none shows within 30 s.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var text string
	var err error
	if strings.HasPrefix(sel, "/") {
		text, err = chromedp.Run(ctx, chromedp.Text(chromedp.Search(sel)))
	} else {
		text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	}
	if err != nil {
		t.Fatalf("browsertest: text of %s: %v", sel, err)
	}
	return text
}

// Rows returns the text of every element matching the CSS selector sel
// (typically table rows), its white space folded to single spaces.
func Rows(t testing.TB, ctx context.Context, sel string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel)))
	if err != nil {
		t.Fatalf("browsertest: %s: %v", sel, err)
	}
	var rows []string
	for _, n := range nodes {
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.NodeIDs{n.NodeID}))
		if err != nil {
			t.Fatalf("browsertest: text of %s: %v", sel, err)
		}
		rows = append(rows, strings.Join(strings.Fields(text), " "))
	}
	return rows
}
