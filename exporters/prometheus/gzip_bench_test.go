package prometheus

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// BenchmarkRenderGzip is a render of /metrics at 10,000 subnets through
// gzip at the levels /metrics could use: the compressor's CPU and the
// compressed size.
func BenchmarkRenderGzip(b *testing.B) {
	const n = 10000
	for _, pools := range []bool{false, true} {
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
		for _, level := range []int{gzip.BestSpeed, gzip.StatelessCompression, gzip.HuffmanOnly} {
			b.Run(fmt.Sprintf("subnets=%d/pools=%v/level=%d", n, pools, level), func(b *testing.B) {
				var out countingWriter
				zw, _ := gzip.NewWriterLevel(&out, level)
				b.ReportAllocs()
				c0 := cpuNow()
				for b.Loop() {
					out = 0
					zw.Reset(&out)
					if err := h.write(zw); err != nil {
						b.Fatal(err)
					}
					zw.Close()
				}
				b.ReportMetric(float64(cpuNow()-c0)/1e6/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(out)/1e6, "gzip-MB")
			})
		}
	}
}

// cpuNow is this process's CPU time (the machine is shared: wall time says
// little).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
