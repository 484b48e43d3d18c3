package prometheus

import (
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkRender is the CPU of rendering /metrics for one Kea at N subnets
// (Kea 2.4 shape: two pools per subnet). It runs once per poll; scrapes in
// between are served from the cache.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		for _, pools := range []bool{false, true} {
			b.Run(fmt.Sprintf("subnets=%d/pools=%v", n, pools), func(b *testing.B) {
				cat, store := polledStore(b, n, pools)
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
				targets, _ := store.Targets()
				b.ReportMetric(float64(len(targets[0].Snapshot.Samples)), "series")
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
