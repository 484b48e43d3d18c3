package browsertest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The harness drives a real Chromium: it fills a form, submits it, reads the
// server's answer from the page and writes a PNG screenshot.
func TestChromiumSubmitsAFormAndTakesAScreenshot(t *testing.T) {
	var got string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><form method=post action=/echo><label>Name <input name=name id=name></label><button id=go>Go</button></form>`)
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		got = r.FormValue("name")
		fmt.Fprintf(w, `<!doctype html><p id=answer>hello %s</p><table><tr><td>1</td>
<td>a  b</td></tr><tr><td>2</td></tr></table>`, got)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := Start(t, Options{})
	if err := Do(t, ctx, time.Minute,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(chromedp.CSS("#name"), "kea-a"),
		chromedp.Click(chromedp.CSS("#go")),
		chromedp.WaitVisible(chromedp.CSS("#answer")),
	); err != nil {
		t.Fatal(err)
	}
	answer, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#answer")))
	if err != nil {
		t.Fatal(err)
	}
	if got != "kea-a" || answer != "hello kea-a" {
		t.Fatalf("server got %q, page shows %q", got, answer)
	}
	if rows := Rows(t, ctx, "table tr"); len(rows) != 2 || rows[0] != "1 a b" || rows[1] != "2" {
		t.Fatalf("rows %q", rows)
	}
	if text := Text(t, ctx, `//p[@id="answer"]`); text != answer {
		t.Fatalf("Text by XPath: %q", text)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	Screenshot(t, ctx, shot)
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes, %v)", len(png), err)
	}
}
