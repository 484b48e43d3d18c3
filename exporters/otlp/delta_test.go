package otlp

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

type timedPoint struct {
	value       float64
	start, time uint64
}

// timedPoints are the pushed Kea points by series, with their times.
func timedPoints(t *testing.T, cat *catalog.Catalog, reqs []*colmetricpb.ExportMetricsServiceRequest) map[string]timedPoint {
	t.Helper()
	byOTel := map[string]*catalog.Metric{}
	for _, m := range cat.Metrics {
		byOTel[catalog.OTelName(m)] = m
	}
	out := map[string]timedPoint{}
	for _, req := range reqs {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, pm := range sm.GetMetrics() {
					m := byOTel[pm.GetName()]
					if m == nil || !strings.HasPrefix(m.Name, "kea_") {
						continue
					}
					dps := append(pm.GetSum().GetDataPoints(), pm.GetGauge().GetDataPoints()...)
					for _, dp := range dps {
						labels := map[string]string{}
						for _, kv := range dp.GetAttributes() {
							labels[kv.GetKey()] = kv.GetValue().GetStringValue()
						}
						out[promSeries(m.Name, labels)] = timedPoint{dp.GetAsDouble(), dp.GetStartTimeUnixNano(), dp.GetTimeUnixNano()}
					}
				}
			}
		}
	}
	return out
}

// With delta temporality a counter's point is its increase since the last
// push, starting at that push; a counter that went down (Kea restarted)
// counts from zero; gauges are as they are.
func TestDeltaTemporality(t *testing.T) {
	// In one batch, and in batches of seven points (producer.go).
	for _, batch := range []int{0, 7} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			cat := testCatalog(t)
			store := fixtureStore(t, cat, kea26)
			r := startReceiver(t, nil)
			cfg := testConfig(ProtocolGRPC, r)
			cfg.Temporality = TemporalityDelta
			cfg.MaxBatchSize = batch
			e := startExporter(t, cfg, cat, store)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			first := timedPoints(t, cat, r.received())

			// The next poll: every counter up by 10 but one, reset to 3; gauges up by 1.
			old, _ := store.Target("kea1")
			next := collector.Snapshot{Target: old.Snapshot.Target, Kind: old.Snapshot.Kind, Time: old.Snapshot.Time, Detail: old.Snapshot.Detail}
			next.Samples = append([]collector.Sample(nil), old.Snapshot.Samples...)
			reset := -1
			for i := range next.Samples {
				s := &next.Samples[i]
				switch {
				case s.Metric.Type == catalog.Counter && reset < 0 && s.Value > 3:
					s.Value, reset = 3, i
				case s.Metric.Type == catalog.Counter:
					s.Value += 10
				default:
					s.Value++
				}
			}
			if reset < 0 {
				t.Fatal("no counter above 3 in the fixture")
			}
			store.Success("kea1", &next, time.Second, 0)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := r.received()
			pushed(t, cat, reqs, delta) // every counter a monotonic delta Sum
			second := timedPoints(t, cat, reqs)

			resetKey := ""
			for k, p := range second {
				f, ok := first[k]
				if !ok {
					t.Errorf("%s: not in the first push", k)
					continue
				}
				switch m := cat.Metric(k[:strings.IndexByte(k, '{')]); {
				case m.Type == catalog.Gauge:
					if p.value != f.value+1 || p.start != 0 {
						t.Errorf("gauge %s: %v (start %d) after %v, want %v and no start", k, p.value, p.start, f.value, f.value+1)
					}
				case p.value == 3:
					resetKey = k
					if p.start != f.time {
						t.Errorf("reset counter %s starts at %d, want the last push's %d", k, p.start, f.time)
					}
				default:
					if p.value != 10 || p.start != f.time {
						t.Errorf("counter %s: delta %v from %d, want 10 from the last push's %d", k, p.value, p.start, f.time)
					}
				}
			}
			if resetKey == "" {
				t.Error("the reset counter was not pushed as 3")
			}
		})
	}
}
