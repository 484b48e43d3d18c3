package otlp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/version"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A push made in batches holds the data points of one made at once, each
// once, in batches of at most the batch size with each metric at most once.
// A batch is whole positions of the runs (an object with all its series):
// with a size below what one position holds (40 is, in the fixture) a
// batch can be one position, over the size, which the encoder splits into
// requests.
func TestBatchesHoldTheWholeCollection(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	scope := instrumentation.Scope{Name: ScopeName, Version: version.Version}
	start := time.Now().Add(-time.Hour)
	whole := newProducer(cat, store, nil, scope, false, start, 0, &stats{}, quiet)
	all, err := whole.Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if whole.next() != nil {
		t.Error("a producer without a batch size has a second batch")
	}
	want := batchPoints(t, all)

	for _, size := range []int{40, 1000} {
		t.Run(fmt.Sprintf("batch=%d", size), func(t *testing.T) {
			st := &stats{}
			p := newProducer(cat, store, nil, scope, false, start, size, st, quiet)
			first, err := p.Produce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			batches := 0
			for b := first; b != nil; b = p.next() {
				batches++
				limit := size
				if batches == 1 {
					limit -= len(st.samples(cat)) // room for the SDK's self-metrics
				}
				n := 0
				for k, v := range batchPoints(t, b) {
					if _, dup := got[k]; dup {
						t.Errorf("%s in two batches", k)
					}
					got[k] = v
					n++
				}
				if n > limit && size >= 1000 {
					t.Errorf("batch %d has %d points, want at most %d", batches, n, limit)
				}
			}
			if batches != max(1, (len(want)+size-1)/size) && size >= len(want) {
				t.Errorf("%d batches for %d points in batches of %d", batches, len(want), size)
			}
			if size < len(want) && batches < 2 {
				t.Errorf("%d points in %d batch of %d", len(want), batches, size)
			}
			if len(got) != len(want) {
				t.Errorf("%d points in batches, %d at once", len(got), len(want))
			}
			for k, v := range want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s: %v (%v) in batches, %v at once", k, g, ok, v)
				}
			}
			if p.next() != nil || p.drain() != 0 {
				t.Error("the push goes on after its last batch")
			}
		})
	}
}

// batchPoints are a batch's points by metric and attributes; a metric
// twice in a batch is an error.
func batchPoints(t *testing.T, sms []metricdata.ScopeMetrics) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, sm := range sms {
		seen := map[string]bool{}
		for _, m := range sm.Metrics {
			if seen[m.Name] {
				t.Errorf("metric %s twice in a batch", m.Name)
			}
			seen[m.Name] = true
			var dps []metricdata.DataPoint[float64]
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				dps = d.DataPoints
			case metricdata.Gauge[float64]:
				dps = d.DataPoints
			default:
				t.Fatalf("%s: %T", m.Name, m.Data)
			}
			for _, dp := range dps {
				out[m.Name+"{"+dp.Attributes.Encoded(attribute.DefaultEncoder())+"}"] = dp.Value
			}
		}
	}
	return out
}
