package prometheus

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// The gzip body of /metrics, unpacked by the standard library, is the
// uncompressed render byte for byte: on a first scrape, on later ones that
// reuse the handler's own writer and buffers, and on scrapes at once (one of
// which gets buffers of its own).
func TestGzipBodyIsTheRender(t *testing.T) {
	cat, store := polledStore(t, 2000, true)
	h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
	want := h.Render()
	if len(want) < 1<<20 {
		t.Fatalf("render of %d bytes: too small to span many gzip blocks", len(want))
	}
	web := httptest.NewServer(h)
	defer web.Close()
	scrape := func(gz bool) ([]byte, error) {
		req, _ := http.NewRequest("GET", web.URL, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if !gz {
			return io.ReadAll(resp.Body)
		}
		if ce := resp.Header.Get("Content-Encoding"); ce != "gzip" {
			t.Errorf("Content-Encoding %q, want gzip", ce)
		}
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	}
	for i := range 3 {
		got, err := scrape(true)
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("scrape %d: unpacked gzip body (%d bytes) differs from the render (%d bytes)", i, len(got), len(want))
		}
	}
	plain, err := scrape(false)
	if err != nil || !bytes.Equal(plain, want) {
		t.Fatalf("plain scrape differs from the render (%d bytes against %d, %v)", len(plain), len(want), err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			got, err := scrape(true)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("concurrent scrape: %d bytes against %d, %v", len(got), len(want), err)
			}
		})
	}
	wg.Wait()
}
