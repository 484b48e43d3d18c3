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

// BenchmarkSegmentedGzip is the gzip body of /metrics at 10,000 subnets as
// the handler writes it: one stream compressed whole (what a scrape that
// finds the handler's own writer busy does), segments all compressed (a
// first scrape, or every series changed), and segments all kept (nothing
// changed since the last scrape). gzip-MB shows what compressing the
// segments apart costs in size.
func BenchmarkSegmentedGzip(b *testing.B) {
	const n = 10000
	for _, pools := range []bool{false, true} {
		cat, store := polledStore(b, n, pools)
		h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
		targets, _ := store.Targets()
		run := func(name string, each func(bufs *scrapeBuffers, out *countingWriter)) {
			b.Run(fmt.Sprintf("subnets=%d/pools=%v/%s", n, pools, name), func(b *testing.B) {
				var out countingWriter
				b.ReportAllocs()
				var cpu time.Duration
				for b.Loop() {
					out = 0
					bufs, _ := h.owned.take()
					c0 := cpuNow()
					each(bufs, &out)
					cpu += cpuNow() - c0
					h.owned.give(true)
				}
				b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(out)/1e6, "gzip-MB")
			})
		}
		run("whole", func(bufs *scrapeBuffers, out *countingWriter) {
			zw := bufs.gzipTo(out)
			h.writeTargets(zw, targets, bufs)
			bufs.finish()
		})
		run("segments=compressed", func(bufs *scrapeBuffers, out *countingWriter) {
			g := bufs.segmentsTo(out)
			g.stale()
			h.writeTargets(g, targets, bufs)
			bufs.finishSegments()
		})
		run("segments=kept", func(bufs *scrapeBuffers, out *countingWriter) {
			h.writeTargets(bufs.segmentsTo(out), targets, bufs)
			bufs.finishSegments()
		})
	}
}

// stale makes every kept segment stale: the next body compresses all of
// its own, into the kept segments' buffers.
func (g *segmentedGzip) stale() {
	for i := range g.segs {
		g.segs[i].n = -1
	}
}
