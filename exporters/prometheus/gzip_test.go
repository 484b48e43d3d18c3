package prometheus

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// The gzip body of /metrics, unpacked by the standard library, is the
// uncompressed render byte for byte: on a first scrape, on later ones that
// reuse the handler's own writer and buffers, and on scrapes at once (one of
// which gets buffers of its own).
func TestGzipBodyIsTheRender(t *testing.T) {
	dir := t.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	os.WriteFile(stats, keagen.StatisticGetAll4(2000, 1, true), 0o644)
	os.WriteFile(conf, keagen.ConfigGet4(2000), 0o644)
	srv := keafixture.New(t, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	client, _ := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	cat := testCatalog(t)
	p := kea.NewPoller(client, cat, slog.New(slog.DiscardHandler), kea.Options{})
	snap, unknown, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	store := collector.NewStore()
	store.Register("kea1", "kea")
	store.Success("kea1", snap, time.Second, unknown)
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
