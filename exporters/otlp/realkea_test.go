package otlp

import (
	"context"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestRealKeaPush polls a real Kea (kea-dhcp4 and kea-dhcp6 that perfdhcp
// got leases from) through its Control Agent and kea-dhcp4's own socket, and
// pushes the store over gRPC and HTTP to receivers on loopback: every pushed
// data point equals the /metrics value of the same snapshot, with its type
// (monotonic Sum for counters, Gauge for gauges), unit and labels.
//
// It runs on Kea 2.2 and on Kea 3.0.4.
func TestRealKeaPush(t *testing.T) {
	keatest.Versions(t, testRealKeaPush)
}

func testRealKeaPush(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Traffic: true, Kea: v})
	if lab.Perfdhcp4(t, 20).Completed() == 0 {
		t.Fatalf("perfdhcp -4 completed no exchange:\n%s", lab.Log("kea-dhcp4"))
	}
	if lab.Perfdhcp6(t, 10).Completed() == 0 {
		t.Fatalf("perfdhcp -6 completed no exchange:\n%s", lab.Log("kea-dhcp6"))
	}
	cat := testCatalog(t)
	store := collector.NewStore()
	for name, url := range map[string]string{"lab-ca": lab.CAURL, "lab-dhcp4": "unix://" + lab.Socket4} {
		client, err := keactl.New(keactl.Options{Name: name, URL: url})
		if err != nil {
			t.Fatal(err)
		}
		p := kea.NewPoller(client, cat, quiet, kea.Options{})
		defer p.Close()
		store.Register(name, "kea")
		start := time.Now()
		snap, unknown, err := p.Poll(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		store.Success(name, snap, time.Since(start), unknown)
	}

	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			e := startExporter(t, testConfig(proto, r), cat, store)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.received()
			scraped := scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := pushed(t, cat, r.received(), cumulative)
			samePoints(t, scraped, got)
			// The lab's traffic is in the push.
			for _, k := range []string{`kea_dhcp4_packets_received_total{server="lab-ca"}`, `kea_dhcp4_packets_received_total{server="lab-dhcp4"}`,
				`kea_dhcp6_packets_received_total{server="lab-ca"}`} {
				if got[k].value == 0 {
					t.Errorf("%s = %v, want the packets perfdhcp sent", k, got[k].value)
				}
			}
			t.Logf("%d data points over %s equal /metrics", len(got), proto)
		})
	}
}
