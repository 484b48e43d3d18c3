package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/procstat"
)

// BenchmarkDaemon runs the ddiscope binary against a Kea of N subnets (the
// generated replies of the real shape, served from this process) and
// measures the daemon itself from /proc: CPU per poll (parse, snapshot and
// one /metrics render, with one scrape a poll) and peak RSS (VmHWM). With
// otlp=on, at 10,000 subnets, it also pushes every poll over OTLP/HTTP to a
// receiver in this process that reads and discards.
func BenchmarkDaemon(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		for _, pools := range []bool{false, true} {
			for _, push := range []bool{false, true} {
				if push && n != 10000 {
					continue
				}
				name := fmt.Sprintf("subnets=%d/pools=%v", n, pools)
				if push {
					name += "/otlp=on"
				}
				b.Run(name, func(b *testing.B) { benchDaemon(b, n, pools, push) })
			}
		}
	}
}

func benchDaemon(b *testing.B, n int, pools, push bool) {
	dir := b.TempDir()
	stats := filepath.Join(dir, "stats.json")
	conf := filepath.Join(dir, "config.json")
	os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, pools), 0o644)
	os.WriteFile(conf, keagen.ConfigGet4(n), 0o644)
	srv := keafixture.New(b, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	if push {
		sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
		b.Cleanup(sink.Close)
		b.Setenv("OTEL_METRICS_EXPORTER", "otlp")
		b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", sink.URL)
		b.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "1000")
	}
	cfg := writeFile(b, dir, "d.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: big\n    url: %s\n", srv.URL))
	p := start(b, "--config.file="+cfg)
	pid := p.cmd.Process.Pid
	polls := func() float64 {
		v, _ := value(p.metrics(b), "ddiscope_polls_total", map[string]string{"server": "big"})
		return v
	}
	waitFor(b, 60*time.Second, "the first poll", func() bool { return polls() >= 1 })
	if push {
		// Measured from the first push on: a run of a few polls could
		// otherwise end before a push, and weigh OTLP off.
		waitFor(b, 60*time.Second, "the first push", func() bool {
			ok, _ := value(p.metrics(b), "ddiscope_otlp_exports_total", map[string]string{"result": "success"})
			return ok >= 1
		})
	}
	// Steady state: one poll a second (statistic-get-all only,
	// the configuration is known) and one scrape after each, as
	// Prometheus would with a 1 s scrape interval.
	first := polls()
	cpu0 := cpuSeconds(b, pid)
	for i := 0; b.Loop(); i++ {
		want := first + float64(i+1)
		for polls() < want {
			time.Sleep(time.Second)
		}
	}
	cpu := cpuSeconds(b, pid) - cpu0
	b.ReportMetric(cpu*1000/float64(b.N), "daemon-cpu-ms/poll")
	b.ReportMetric(float64(vmHWM(b, pid))/1024, "daemon-peak-RSS-MB")
	if push {
		ok, _ := value(p.metrics(b), "ddiscope_otlp_exports_total", map[string]string{"result": "success"})
		failed, _ := value(p.metrics(b), "ddiscope_otlp_exports_total", map[string]string{"result": "failed"})
		if ok == 0 || failed > 0 {
			b.Fatalf("OTLP requests: %v delivered, %v failed", ok, failed)
		}
		b.ReportMetric(ok, "otlp-requests")
	}
}

func cpuSeconds(b *testing.B, pid int) float64 {
	v, err := procstat.CPUSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func vmHWM(b *testing.B, pid int) int {
	v, err := procstat.PeakRSSKiB(pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}
