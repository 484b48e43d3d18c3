package prometheus

import (
	"fmt"
	"log/slog"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// BenchmarkRenderGzip is a render of /metrics at 10,000 subnets through
// gzip at the levels /metrics could use: the compressor's CPU and the
// compressed size.
func BenchmarkRenderGzip(b *testing.B) {
	const n = 10000
	for _, pools := range []bool{false, true} {
		cat, store := polledStore(b, n, pools)
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
