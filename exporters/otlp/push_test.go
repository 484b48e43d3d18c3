package otlp

import (
	"context"
	"os"
	"testing"

	"github.com/prometheus/common/version"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
)

// crossTotal stands for a cross-target deriver: the addresses of every
// target's shared networks, as one made-up shared network.
func crossTotal(cat *catalog.Catalog) collector.CrossDeriver {
	m := cat.Metric("kea_dhcp4_shared_network_addresses")
	return func(snaps []*collector.Snapshot) []collector.Sample {
		var sum float64
		for _, s := range snaps {
			for _, smp := range s.Samples {
				if smp.Metric == m {
					sum += smp.Value
				}
			}
		}
		return []collector.Sample{{Metric: m, ID: collector.NewIdentity(catalog.ScopeSharedNetwork, "all-targets", "everywhere"), Value: sum}}
	}
}

// TestPushEqualsMetrics pushes one store over each protocol and finds in the
// push every series /metrics serves from that store, with the same value,
// type, unit and labels: snapshot samples (every Kea scope), cross-target
// samples and self-metrics, the push's own included.
func TestPushEqualsMetrics(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, tc := range []struct {
		name     string
		protocol string
		gzip     bool
	}{
		{"grpc", ProtocolGRPC, false},
		{"grpc-gzip", ProtocolGRPC, true},
		{"http", ProtocolHTTP, false},
		{"http-gzip", ProtocolHTTP, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startReceiver(t, nil)
			cfg := testConfig(tc.protocol, r)
			cfg.Headers = map[string]string{"x-tenant": "dhcp-team"}
			if tc.gzip {
				cfg.Compression = "gzip"
			}
			cross := crossTotal(cat)
			e := startExporter(t, cfg, cat, store, cross)
			// A push before: the ddiscope_otlp_* counters have values. They
			// do not change between the scrape and the push that follows.
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.received()
			scraped := scrape(t, promexp.NewHandler(cat, store, nil, quiet, cross, e.Deriver()))
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := r.received()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r.mu.Lock()
			h, gz := r.headers[len(r.headers)-1], r.gzipped[len(r.gzipped)-1]
			r.mu.Unlock()
			if h["x-tenant"] != "dhcp-team" || gz != tc.gzip {
				t.Errorf("receiver saw x-tenant %q, gzip %v; want dhcp-team, %v", h["x-tenant"], gz, tc.gzip)
			}
			got := pushed(t, cat, reqs, cumulative)
			for _, k := range []string{`kea_dhcp4_shared_network_addresses{server="all-targets",shared_network="everywhere"}`,
				`ddiscope_target_up{kind="kea",server="kea1"}`, `ddiscope_otlp_exports_total{result="success"}`} {
				if _, ok := scraped[k]; !ok {
					t.Errorf("%s is not on /metrics", k)
				}
			}
			samePoints(t, scraped, got)
			checkResource(t, reqs)
		})
	}
}

// checkResource wants the resource attributes a backend identifies ddiscope by.
func checkResource(t *testing.T, reqs []*colmetricpb.ExportMetricsServiceRequest) {
	t.Helper()
	host, _ := os.Hostname()
	want := map[string]string{"service.name": "ddiscope", "service.version": version.Version, "service.instance.id": host, "host.name": host}
	for _, req := range reqs {
		for _, rm := range req.GetResourceMetrics() {
			got := map[string]string{}
			for _, kv := range rm.GetResource().GetAttributes() {
				got[kv.GetKey()] = kv.GetValue().GetStringValue()
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("resource %s = %q, want %q", k, got[k], v)
				}
			}
		}
	}
}

// A poll that brings the same objects in another order, some of them gone
// and one under a new identity, is pushed as /metrics serves it: nothing
// of the previous push's order or identities carries over into labels.
func TestPushAfterTheSnapshotChanges(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			r := startReceiver(t, nil)
			e := startExporter(t, testConfig(protocol, r), cat, store)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.received()

			// Each metric's samples reversed, every third dropped, and the
			// first subnet's identity rebuilt with the same labels.
			old, _ := store.Target("kea1")
			next := collector.Snapshot{Target: old.Snapshot.Target, Kind: old.Snapshot.Kind, Time: old.Snapshot.Time, Detail: old.Snapshot.Detail}
			next.Samples = nil
			var rebuilt *collector.Identity
			for start := 0; start < len(old.Snapshot.Samples); {
				end := start
				for end < len(old.Snapshot.Samples) && old.Snapshot.Samples[end].Metric == old.Snapshot.Samples[start].Metric {
					end++
				}
				for i := end - 1; i >= start; i-- {
					s := old.Snapshot.Samples[i]
					if i%3 == 0 {
						continue
					}
					if s.Metric.Scope == catalog.ScopeSubnet {
						if rebuilt == nil {
							rebuilt = collector.NewIdentity(s.Metric.Scope, s.ID.Values...)
						}
						if rebuilt.Text == s.ID.Text {
							s.ID = rebuilt
						}
					}
					next.Samples = append(next.Samples, s)
				}
				start = end
			}
			if rebuilt == nil {
				t.Fatal("no subnet in the fixture")
			}
			store.Success("kea1", &next, 0, 0)
			// The ddiscope_otlp_* values move with every push; the rest
			// must match exactly.
			scraped := scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			samePoints(t, scraped, pushed(t, cat, r.received(), cumulative), "ddiscope_otlp_", "ddiscope_poll_duration_seconds")
		})
	}
}
