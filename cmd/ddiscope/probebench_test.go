package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// BenchmarkProbeKeaCPU measures what a /probe costs a real kea-dhcp4 of
// 10,000 subnets (Kea 2.2, UNIX socket, a mode: probe target), against one
// bare statistic-get-all on the same socket, in the same run: each
// iteration sends one bare statistic-get-all and then one /probe, reading
// Kea's CPU from /proc around each. The first probe (which learns the
// target with config-get) is not counted. Target: a probe costs Kea at
// most 1.1 times the bare statistic-get-all.
//
//	go test ./cmd/ddiscope -run '^$' -bench BenchmarkProbeKeaCPU -benchtime 20x
func BenchmarkProbeKeaCPU(b *testing.B) {
	keatest.Require(b, "kea-dhcp4")
	const subnets = 10000
	lab := keatest.Start(b, keatest.Options{Subnet4: keagen.Subnet4(subnets), SharedNetworks4: "[]", StartTimeout: 2 * time.Minute})
	cfg := writeFile(b, b.TempDir(), "ddiscope.yml", fmt.Sprintf(
		"kea:\n  - name: big\n    url: unix://%s\n    mode: probe\n    interval: 1m\n    timeout: 1m\n", lab.Socket4))
	p := start(b, "--config.file="+cfg)
	keaPid := lab.Pid("dhcp4")
	client, err := keactl.New(keactl.Options{Name: "bare", URL: "unix://" + lab.Socket4, Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	bare := func() {
		err := client.Stream(ctx, "statistic-get-all", "", nil, func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	probeOnce := func() {
		req, _ := http.NewRequest("GET", "http://"+p.addr+"/probe?target=big", nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "60")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n < 1<<20 {
			b.Fatalf("/probe: HTTP %d, %d bytes", resp.StatusCode, n)
		}
	}
	// Kea goes on working after the last byte of a reply (freeing the
	// reply and its 90,000-statistic tree): its CPU is read once it holds
	// still, so that each command is charged its whole cost.
	settled := func() float64 {
		v := cpuSeconds(b, keaPid)
		for range 50 {
			time.Sleep(100 * time.Millisecond)
			w := cpuSeconds(b, keaPid)
			if w == v {
				break
			}
			v = w
		}
		return v
	}
	probeOnce() // learns the target: config-get, 4.8 MB
	var bareCPU, probeCPU, daemonCPU float64
	for b.Loop() {
		k0 := settled()
		bare()
		k1 := settled()
		d0 := cpuSeconds(b, p.cmd.Process.Pid)
		probeOnce()
		d1 := cpuSeconds(b, p.cmd.Process.Pid)
		k2 := settled()
		bareCPU += k1 - k0
		probeCPU += k2 - k1
		daemonCPU += d1 - d0
	}
	n := float64(b.N)
	ratio := probeCPU / bareCPU
	b.ReportMetric(1000*bareCPU/n, "kea-cpu-ms/statistic-get-all")
	b.ReportMetric(1000*probeCPU/n, "kea-cpu-ms/probe")
	b.ReportMetric(ratio, "probe/statistic-get-all")
	b.ReportMetric(1000*daemonCPU/n, "daemon-cpu-ms/probe")
	if ratio > 1.1 {
		b.Errorf("a /probe cost Kea %.2f times a bare statistic-get-all (%.0f ms against %.0f ms); the target is at most 1.1",
			ratio, 1000*probeCPU/n, 1000*bareCPU/n)
	}
}
