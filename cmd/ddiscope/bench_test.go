package main

import (
	"fmt"
	"github.com/ddiscope/ddiscope/internal/procstat"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// BenchmarkDaemon runs the ddiscope binary against a Kea of N subnets (the
// generated replies of the real shape, served from this process) and
// measures the daemon itself from /proc: CPU per poll (parse, snapshot and
// one /metrics render, with one scrape a poll) and peak RSS (VmHWM).
func BenchmarkDaemon(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		for _, pools := range []bool{false, true} {
			b.Run(fmt.Sprintf("subnets=%d/pools=%v", n, pools), func(b *testing.B) {
				dir := b.TempDir()
				stats := filepath.Join(dir, "stats.json")
				conf := filepath.Join(dir, "config.json")
				os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, pools), 0o644)
				os.WriteFile(conf, keagen.ConfigGet4(n), 0o644)
				srv := keafixture.New(b, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
				cfg := writeFile(b, dir, "d.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: big\n    url: %s\n", srv.URL))
				p := start(b, "--config.file="+cfg)
				pid := p.cmd.Process.Pid
				polls := func() float64 {
					v, _ := value(p.metrics(b), "ddiscope_polls_total", map[string]string{"server": "big"})
					return v
				}
				waitFor(b, 60*time.Second, "the first poll", func() bool { return polls() >= 1 })
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
			})
		}
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
