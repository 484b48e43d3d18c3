package prometheus

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

func TestZZMem(t *testing.T) {
	n := 10000
	dir := t.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, false), 0o644)
	os.WriteFile(conf, keagen.ConfigGet4(n), 0o644)
	srv := keafixture.New(t, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	client, _ := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	cat := testCatalogB(t)
	p := kea.NewPoller(client, cat, slog.New(slog.DiscardHandler), kea.Options{})
	store := collector.NewStore()
	store.Register("kea1", "kea")
	h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
	for i := 0; i < 5; i++ {
		snap, u, err := p.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		store.Success("kea1", snap, time.Second, u)
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("live heap %d MB, sys %d MB", ms.HeapAlloc>>20, ms.Sys>>20)
	defer runtime.KeepAlive(h)
	defer runtime.KeepAlive(p)
	f, _ := os.Create("/tmp/heap.prof")
	pprof.WriteHeapProfile(f)
	f.Close()
}
