package kea

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// BenchmarkRealKea30Poll is the steady-state cost of polling a real Kea
// 3.0.4 kea-dhcp4 with 10,000 subnets (one pool each, so Kea also reports a
// pool's statistics per subnet) over its own HTTP control socket, and over
// its UNIX socket for comparison: ddiscope's CPU per poll (this process, in
// which the poller runs: request, parse, label, derive, group) and Kea's CPU
// per poll, beside Kea's CPU for one bare statistic-get-all read and thrown
// away, which is the least any poller can cost Kea, and Kea's CPU for the
// config-hash-get each poll also sends. CPU comes from /proc.
func BenchmarkRealKea30Poll(b *testing.B) {
	const subnets = 10000
	lab := keatest.Start(b, keatest.Options{Kea: keatest.Kea30, HTTP: true,
		Subnet4: subnets24(subnets), SharedNetworks4: "[]", StartTimeout: 2 * time.Minute})
	for _, via := range []struct{ name, url string }{
		{"http", lab.HTTP4URL},
		{"unix", "unix://" + lab.Socket4},
	} {
		b.Run(fmt.Sprintf("subnets=%d/via=%s", subnets, via.name), func(b *testing.B) {
			client, err := keactl.New(keactl.Options{Name: "bench", URL: via.url, Timeout: time.Minute})
			if err != nil {
				b.Fatal(err)
			}
			p := NewPoller(client, testCat(b), slog.New(slog.DiscardHandler), Options{})
			defer p.Close()
			ctx := context.Background()
			// The first poll reads config-get; later ones only
			// statistic-get-all and config-hash-get.
			snap, _, err := p.Poll(ctx)
			if err != nil {
				b.Fatal(err)
			}
			keaPid := lab.Pid("dhcp4")
			self := os.Getpid()
			bare := func() int {
				body, err := bareStatisticGetAll(ctx, via.url, lab.Socket4)
				if err != nil {
					b.Fatal(err)
				}
				return body
			}
			// Kea's CPU for bare statistic-get-all, 5 times.
			const bareRuns = 5
			k0 := procCPU(b, keaPid)
			size := 0
			for range bareRuns {
				size = bare()
			}
			keaBare := (procCPU(b, keaPid) - k0) / bareRuns
			// And for config-hash-get, which the poll also sends: Kea 3.0
			// serialises its whole configuration to hash it.
			k0 = procCPU(b, keaPid)
			for range bareRuns {
				if _, err := client.Call(ctx, "config-hash-get", "", nil); err != nil {
					b.Fatal(err)
				}
			}
			keaHash := (procCPU(b, keaPid) - k0) / bareRuns

			k0, c0 := procCPU(b, keaPid), procCPU(b, self)
			for b.Loop() {
				if snap, _, err = p.Poll(ctx); err != nil {
					b.Fatal(err)
				}
			}
			kea, own := procCPU(b, keaPid)-k0, procCPU(b, self)-c0
			n := float64(b.N)
			b.ReportMetric(own*1000/n, "ddiscope-cpu-ms/poll")
			b.ReportMetric(kea*1000/n, "kea-cpu-ms/poll")
			b.ReportMetric(keaBare*1000, "kea-cpu-ms/bare-statistic-get-all")
			b.ReportMetric(keaHash*1000, "kea-cpu-ms/config-hash-get")
			b.ReportMetric(float64(size)/1e6, "reply-MB")
			b.ReportMetric(float64(len(snap.Samples)), "series")
		})
	}
}

// subnets24 is n /24 subnets, 10.<hi>.<lo>.0/24, with one 200-address pool each.
func subnets24(n int) string {
	var b strings.Builder
	b.WriteString("[")
	for s := 1; s <= n; s++ {
		if s > 1 {
			b.WriteString(",")
		}
		net := fmt.Sprintf("10.%d.%d", s>>8, s&0xff)
		fmt.Fprintf(&b, `{ "id": %d, "subnet": "%s.0/24", "pools": [ { "pool": "%s.10-%s.209" } ] }`, s, net, net, net)
	}
	return b.String() + "]"
}

// bareStatisticGetAll sends one statistic-get-all and discards the reply,
// returning its size: over HTTP with a plain client, or over the socket.
func bareStatisticGetAll(ctx context.Context, url, socket string) (int, error) {
	if url[:5] == "unix:" {
		reply, err := (&keatest.Lab{}).TryCommand(socket, "statistic-get-all", nil)
		return len(reply), err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(`{"command":"statistic-get-all"}`)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return int(n), err
}
