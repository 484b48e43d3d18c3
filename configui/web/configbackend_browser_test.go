package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ddiscope/ddiscope/internal/browsertest"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// The subnet the browser test adds to the configuration backend, beside
// the file's subnet 3 (198.18.2.0/24) of keatest's kea-dhcp4.
const (
	browserSubnetID = 50
	browserPrefix   = "198.18.5.0/24"
	browserPool     = "198.18.5.10-198.18.5.20"
	browserBadPool  = "198.18.7.1-198.18.7.9" // outside the subnet
)

// TestConfigBackendInTheBrowser: an operator in Chromium, against a real
// kea-dhcp4 2.2 pulling every second from a PostgreSQL configuration
// backend made by kea-admin (the lab of TestRealKeaConfigBackendThroughEditor),
// sees the subnet list's Origin column, adds a subnet with a pool through
// the backend page's form (preview, confirm, result), sees Kea pull it and
// the list mark it "config backend", gets a refused pool back beside its
// field with the input kept, and deletes the subnet through its form.
// UPDATE_SCREENSHOTS=1 writes the pages to docs/screenshots.
func TestConfigBackendInTheBrowser(t *testing.T) {
	browsertest.Require(t) // before the lab: a skip should not cost its start
	pg := pgtest.Start(t)
	cl := newCBLab(t, pg, keatest.Kea22)
	b := &cbBrowser{t: t, cl: cl, ctx: browsertest.Start(t, browsertest.Options{Width: 1280, Height: 900}), shots: t.TempDir()}
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		b.shots = filepath.Join("..", "..", "docs", "screenshots")
	}
	const list, backend = "/servers/kea/dhcp4/subnets", "/servers/kea/dhcp4/config-backend"

	// Signed out, the subnet list sends the browser to sign in and back.
	b.signIn("otto", list)
	rows := b.rows()
	if !hasRow(rows, "3 198.18.2.0/24 config file") {
		t.Fatalf("the subnet list does not mark the file's subnet 3 \"config file\":\n%s", strings.Join(rows, "\n"))
	}

	// On such a server a file change is refused (it would copy the
	// backend's subnets into the file): the list offers the backend's form.
	if href := b.attr(`//p[@class="actions"]/a[starts-with(text(), "Add a subnet")]`, "href"); href != backend+"/add" {
		t.Fatalf("the subnet list's add link goes to %q, want the configuration backend's form", href)
	}

	// From the list to the backend page, to the add form.
	b.click(`//a[text()="subnets in the configuration backend"]`, `//caption[starts-with(., "Subnets in the configuration backend")]`)
	if page := b.text("main"); !strings.Contains(page, "No subnet in the configuration backend.") || !strings.Contains(page, "schema 13.0") {
		t.Fatalf("the backend page before the add:\n%s", page)
	}
	b.click(`//a[text()="Add a subnet to the configuration backend"]`, `//button[text()="Preview the change"]`)
	if crumbs := strings.Join(browsertest.Rows(t, b.ctx, "nav.crumbs li"), " › "); crumbs != "Servers › kea › dhcp4 subnets › configuration backend" {
		t.Errorf("the add form's breadcrumbs: %q", crumbs)
	}
	b.fill("id", "50", "prefix", browserPrefix, "pool.0", browserPool, "valid", "3600")
	if tag := b.value("tag"); tag != "all" {
		t.Fatalf("the server tag chosen by default is %q, want all (the server's own)", tag)
	}
	b.screenshot("configui-backend-form.png")
	b.click(`//button[text()="Preview the change"]`, `//pre[contains(@class, "diff")]`)
	if diff := b.text("pre.diff"); !strings.Contains(diff, browserPool) || !strings.Contains(diff, browserPrefix) {
		t.Fatalf("the preview's diff lacks the subnet or its pool:\n%s", diff)
	}
	b.fitsWidth("the preview")
	b.click(`//button[text()="Write it to the configuration backend"]`, `//main//p[contains(@class, "notice") or contains(@class, "error")]`)
	// Nothing is sent to Kea: the result page says what the database did.
	if page := b.text("main"); !strings.Contains(page, "Applied to configuration backend") ||
		!strings.Contains(page, "What was done in the configuration backend") || strings.Contains(page, "sent to Kea") ||
		!strings.Contains(page, "Back to the configuration backend") {
		t.Fatalf("the result page:\n%s", page)
	}
	b.fitsWidth("the result page")

	took := cl.waitKea("dhcp4", func(m map[uint32][]string) bool { return len(m[browserSubnetID]) == 1 })
	t.Logf("kea-dhcp4 had subnet %d in its config-get %s after the confirm's page", browserSubnetID, took)
	b.open(list)
	rows = b.rows()
	if !hasRow(rows, "50 "+browserPrefix+" config backend") || !hasRow(rows, "3 198.18.2.0/24 config file") {
		t.Fatalf("the subnet list after Kea's pull does not mark the origins:\n%s", strings.Join(rows, "\n"))
	}
	b.screenshot("configui-backend-list.png")

	// A pool outside the subnet: refused beside its field, input kept.
	b.open(backend + "/add")
	b.fill("id", "51", "prefix", "198.18.6.0/24", "pool.0", browserBadPool)
	b.click(`//button[text()="Preview the change"]`, `//span[@id="pool.0-err"]`)
	if msg := b.text(`//span[@id="pool.0-err"]`); !strings.Contains(msg, "is not inside the subnet") {
		t.Fatalf("the pool's error says %q", msg)
	}
	if alert := b.text(`//div[@role="alert"]`); !strings.Contains(alert, "Nothing was written to the configuration backend") ||
		!strings.Contains(alert, "Pool 1: "+browserBadPool+" is not inside the subnet 198.18.6.0/24") {
		t.Fatalf("the page's alert: %q", alert)
	}
	for field, want := range map[string]string{"id": "51", "prefix": "198.18.6.0/24", "pool.0": browserBadPool} {
		if got := b.value(field); got != want {
			t.Errorf("the refused form lost %s: %q, want %q", field, got, want)
		}
	}
	b.screenshot("configui-backend-error.png")

	// Delete through the subnet's form.
	b.open(backend)
	b.click(`//a[@href="`+backend+`/subnets/50"]`, `//label[@for="delete"]`)
	b.click(`//input[@id="delete"]`, `//input[@id="delete"]`)
	b.click(`//button[text()="Preview the change"]`, `//pre[contains(@class, "diff")]`)
	b.click(`//button[text()="Write it to the configuration backend"]`, `//main//p[contains(@class, "notice") or contains(@class, "error")]`)
	if page := b.text("main"); !strings.Contains(page, "Applied to configuration backend") {
		t.Fatalf("the delete's result page:\n%s", page)
	}
	took = cl.waitKea("dhcp4", func(m map[uint32][]string) bool { _, ok := m[browserSubnetID]; return !ok })
	t.Logf("kea-dhcp4 dropped subnet %d %s after the delete", browserSubnetID, took)
	if page := b.open(backend); !strings.Contains(page, "No subnet in the configuration backend.") {
		t.Fatalf("the backend page after the delete:\n%s", page)
	}
	b.open(list)
	for _, r := range b.rows() {
		if strings.HasPrefix(r, "50 ") {
			t.Fatalf("the subnet list still has the deleted subnet: %s", r)
		}
	}
}

// cbBrowser is Chromium signed in to the configuration backend lab's editor.
type cbBrowser struct {
	t     *testing.T
	cl    *cbLab
	ctx   context.Context
	shots string // where screenshot writes
}

// signIn opens path signed out: the editor sends the browser to its
// sign-in page, the user signs in and is back on path.
func (b *cbBrowser) signIn(user, path string) {
	b.t.Helper()
	if err := browsertest.Do(b.t, b.ctx, 30*time.Second,
		chromedp.Navigate(b.cl.url+path),
		chromedp.WaitVisible(chromedp.CSS("form.login #password")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), passwords[user]),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	); err != nil {
		b.t.Fatalf("signing in as %s from %s: %v", user, path, err)
	}
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); loc != b.cl.url+path {
		b.t.Fatalf("signed in on %s, want %s", loc, path)
	}
}

// fitsWidth fails the test when the page is wider than the window (a long
// diff line once pushed it sideways).
func (b *cbBrowser) fitsWidth(what string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		b.t.Fatalf("the width of %s: %v", what, err)
	}
	if w[0] > w[1] {
		b.t.Errorf("%s is %d px wide in a %d px window", what, w[0], w[1])
	}
}

// open navigates to path and returns the text of its <main>.
func (b *cbBrowser) open(path string) string {
	b.t.Helper()
	if err := browsertest.Do(b.t, b.ctx, 30*time.Second, chromedp.Navigate(b.cl.url+path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		b.t.Fatalf("opening %s: %v", path, err)
	}
	return b.text("main")
}

// click clicks the element sel (XPath) and waits for waitFor (XPath).
func (b *cbBrowser) click(sel, waitFor string) {
	b.t.Helper()
	if err := browsertest.Do(b.t, b.ctx, 60*time.Second, chromedp.Click(chromedp.Search(sel)), chromedp.WaitVisible(chromedp.Search(waitFor))); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("click %s on %s: %v", sel, loc, err)
	}
}

// fill types into the form's inputs, given as id, value pairs, in order
// (so the screenshots' focused field is always the last), replacing what
// is there.
func (b *cbBrowser) fill(pairs ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		id, v := pairs[i], pairs[i+1]
		sel := chromedp.Search(`//input[@id="` + id + `"]`)
		if err := browsertest.Do(b.t, b.ctx, 30*time.Second, chromedp.Clear(sel), chromedp.SendKeys(sel, v)); err != nil {
			b.t.Fatalf("typing %q into %s: %v", v, id, err)
		}
	}
}

// value is the current value of the form control with that id.
func (b *cbBrowser) value(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.Search(`//*[@id="`+id+`"]`)))
	if err != nil {
		b.t.Fatalf("value of %s: %v", id, err)
	}
	return v
}

// attr is an attribute of the first element matching sel (XPath).
func (b *cbBrowser) attr(sel, name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.Search(sel), name))
	if err != nil || !v.Exists {
		b.t.Fatalf("attribute %s of %s: %+v %v", name, sel, v, err)
	}
	return v.Value
}

// text is the visible text of the first element matching sel (XPath when
// it starts with "/", else CSS).
func (b *cbBrowser) text(sel string) string {
	b.t.Helper()
	return browsertest.Text(b.t, b.ctx, sel)
}

// rows is the text of each row of the page's tables, spaces folded.
func (b *cbBrowser) rows() []string {
	b.t.Helper()
	return browsertest.Rows(b.t, b.ctx, "main table tbody tr")
}

func hasRow(rows []string, prefix string) bool {
	for _, r := range rows {
		if strings.HasPrefix(r, prefix+" ") || r == prefix {
			return true
		}
	}
	return false
}

// screenshot writes the page to the screenshot directory.
func (b *cbBrowser) screenshot(name string) {
	b.t.Helper()
	path := filepath.Join(b.shots, name)
	browsertest.Screenshot(b.t, b.ctx, path)
	b.t.Logf("screenshot %s", path)
}
