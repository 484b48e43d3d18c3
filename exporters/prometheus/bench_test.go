package prometheus

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// BenchmarkRender is the CPU of rendering /metrics for one Kea at N subnets
// (Kea 2.4 shape: two pools per subnet). It runs once per poll; scrapes in
// between are served from the cache.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		for _, pools := range []bool{false, true} {
			b.Run(fmt.Sprintf("subnets=%d/pools=%v", n, pools), func(b *testing.B) {
				dir := b.TempDir()
				stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
				os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, pools), 0o644)
				os.WriteFile(conf, keagen.ConfigGet4(n), 0o644)
				srv := keafixture.New(b, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
				client, _ := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
				cat := testCatalogB(b)
				p := kea.NewPoller(client, cat, slog.New(slog.DiscardHandler), kea.Options{})
				snap, unknown, err := p.Poll(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				store := collector.NewStore()
				store.Register("kea1", "kea")
				store.Success("kea1", snap, time.Second, unknown)
				h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
				b.ReportAllocs()
				var size int
				for b.Loop() {
					// As /metrics does: streamed, not held.
					var n countingWriter
					if err := h.write(&n); err != nil {
						b.Fatal(err)
					}
					size = int(n)
				}
				b.ReportMetric(float64(size)/1e6, "body-MB")
				b.ReportMetric(float64(len(snap.Samples)), "series")
			})
		}
	}
}

// countingWriter counts what a render writes and drops it.
type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
