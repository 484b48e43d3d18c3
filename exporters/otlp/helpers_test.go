package otlp

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

var quiet = slog.New(slog.DiscardHandler)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// fixtureStore polls a replayed Kea (files by "service:command") once and
// returns a store holding the snapshot as target "kea1".
func fixtureStore(t testing.TB, cat *catalog.Catalog, files map[string]string) *collector.Store {
	t.Helper()
	srv := keafixture.New(t, files)
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return pollInto(t, cat, client)
}

func pollInto(t testing.TB, cat *catalog.Catalog, client *keactl.Client) *collector.Store {
	t.Helper()
	p := kea.NewPoller(client, cat, quiet, kea.Options{})
	t.Cleanup(p.Close)
	snap, unknown, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	store := collector.NewStore()
	store.Register(client.Name(), "kea")
	store.Success(client.Name(), snap, 250*time.Millisecond, unknown)
	return store
}

// kea26 is Kea 2.6 behind its Control Agent with dhcp4, dhcp6 and D2: every
// scope (pools, pd-pools, shared networks, TSIG keys) and extra label.
var kea26 = map[string]string{
	"ca:config-get":           "../../testdata/kea/fixtures/kea2.6-ca-config-get.json",
	"dhcp4:config-get":        "../../testdata/kea/fixtures/kea2.6-dhcp4-config-get.json",
	"dhcp4:statistic-get-all": "../../testdata/kea/fixtures/kea2.6-dhcp4-statistic-get-all.json",
	"dhcp6:config-get":        "../../testdata/kea/fixtures/kea2.6-dhcp6-config-get.json",
	"dhcp6:statistic-get-all": "../../testdata/kea/fixtures/kea2.6-dhcp6-statistic-get-all.json",
	"d2:statistic-get-all":    "../../testdata/kea/fixtures/kea2.6-d2-statistic-get-all.json",
}

// testConfig pushes only when told (ForceFlush, Shutdown).
func testConfig(protocol string, r *receiver) Config {
	c := Config{Enabled: true, Protocol: protocol, Interval: time.Hour, Timeout: 5 * time.Second}
	if r != nil {
		c.Endpoint = r.HTTP
		if protocol == ProtocolGRPC {
			c.Endpoint = r.GRPC
		}
	}
	return c
}

func startExporter(t testing.TB, cfg Config, cat *catalog.Catalog, store *collector.Store, cross ...collector.CrossDeriver) *Exporter {
	t.Helper()
	e, err := New(context.Background(), cfg, cat, store, quiet, cross...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Shutdown(context.Background()) })
	return e
}

// point is one series as either side sees it.
type point struct {
	kind  string // "counter" or "gauge"
	value float64
}

// promSeries is name{label="value",…} with the labels sorted and empty ones
// dropped, as Prometheus identifies a series.
func promSeries(name string, labels map[string]string) string {
	var ls []string
	for k, v := range labels {
		if v != "" {
			ls = append(ls, fmt.Sprintf("%s=%q", k, v))
		}
	}
	slices.Sort(ls)
	return name + "{" + strings.Join(ls, ",") + "}"
}

// scrape serves /metrics from h and parses it with Prometheus's parser.
func scrape(t testing.TB, h http.Handler) map[string]point {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	out := map[string]point{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			p := point{kind: "gauge", value: m.GetGauge().GetValue()}
			if m.GetCounter() != nil {
				p = point{kind: "counter", value: m.GetCounter().GetValue()}
			}
			out[promSeries(name, labels)] = p
		}
	}
	return out
}

// pushed reads the requests a receiver got back into series by their
// Prometheus names, checking on the way what only OTLP has: the OTel name
// and unit from the catalog, the help as description, a monotonic Sum of the
// wanted temporality for counters and a Gauge for gauges, string attributes
// and timestamps.
func pushed(t testing.TB, cat *catalog.Catalog, reqs []*colmetricpb.ExportMetricsServiceRequest, temporality metricpb.AggregationTemporality) map[string]point {
	t.Helper()
	byOTel := map[string]*catalog.Metric{}
	for _, m := range cat.Metrics {
		byOTel[catalog.OTelName(m)] = m
	}
	out := map[string]point{}
	add := func(m *catalog.Metric, kind string, dps []*metricpb.NumberDataPoint, sum bool) {
		for _, dp := range dps {
			labels := map[string]string{}
			for _, kv := range dp.GetAttributes() {
				sv, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_StringValue)
				if !ok {
					t.Errorf("%s: attribute %s is %T, want a string", m.Name, kv.GetKey(), kv.GetValue().GetValue())
					continue
				}
				if sv.StringValue == "" {
					t.Errorf("%s: attribute %s is empty; empty labels are left out", m.Name, kv.GetKey())
				}
				labels[kv.GetKey()] = sv.StringValue
			}
			if dp.GetTimeUnixNano() == 0 || sum && dp.GetStartTimeUnixNano() == 0 {
				t.Errorf("%s%v: no timestamp", m.Name, labels)
			}
			k := promSeries(m.Name, labels)
			if _, dup := out[k]; dup {
				t.Errorf("%s pushed twice", k)
			}
			out[k] = point{kind: kind, value: dp.GetAsDouble()}
		}
	}
	for _, req := range reqs {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, pm := range sm.GetMetrics() {
					m := byOTel[pm.GetName()]
					if m == nil {
						t.Errorf("pushed %s, which no catalog metric maps to", pm.GetName())
						continue
					}
					// The exporter's own metrics come from its instruments, in a scope of their own.
					if want := map[bool]string{false: ScopeName, true: SelfScopeName}[strings.HasPrefix(m.Name, "ddiscope_otlp_")]; sm.GetScope().GetName() != want {
						t.Errorf("%s in scope %q, want %q", m.Name, sm.GetScope().GetName(), want)
					}
					if pm.GetUnit() != catalog.OTelUnit(m) || pm.GetDescription() != m.Help {
						t.Errorf("%s: unit %q, description %q; want %q and the catalog's help", pm.GetName(), pm.GetUnit(), pm.GetDescription(), catalog.OTelUnit(m))
					}
					switch {
					case pm.GetSum() != nil:
						s := pm.GetSum()
						if m.Type != catalog.Counter || !s.GetIsMonotonic() || s.GetAggregationTemporality() != temporality {
							t.Errorf("%s (%s): pushed as a Sum, monotonic %v, %v", pm.GetName(), m.Type, s.GetIsMonotonic(), s.GetAggregationTemporality())
						}
						add(m, "counter", s.GetDataPoints(), true)
					case pm.GetGauge() != nil:
						if m.Type != catalog.Gauge {
							t.Errorf("%s (%s): pushed as a Gauge", pm.GetName(), m.Type)
						}
						add(m, "gauge", pm.GetGauge().GetDataPoints(), false)
					default:
						t.Errorf("%s: pushed as %T", pm.GetName(), pm.GetData())
					}
				}
			}
		}
	}
	return out
}

// samePoints reports every series that differs between /metrics and the
// push, leaving out those whose names have one of the skip prefixes.
func samePoints(t testing.TB, scraped, got map[string]point, skip ...string) {
	t.Helper()
	skipped := func(k string) bool {
		for _, p := range skip {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	n := 0
	for k, want := range scraped {
		if skipped(k) {
			continue
		}
		n++
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s = %v on /metrics, not pushed", k, want.value)
		case g.kind != want.kind:
			t.Errorf("%s: pushed as a %s, /metrics says %s", k, g.kind, want.kind)
		case g.value != want.value && !(math.IsNaN(g.value) && math.IsNaN(want.value)):
			t.Errorf("%s: pushed %v, /metrics %v", k, g.value, want.value)
		}
	}
	for k, g := range got {
		if _, ok := scraped[k]; !ok && !skipped(k) {
			t.Errorf("%s = %v pushed, not on /metrics", k, g.value)
		}
	}
	if n == 0 {
		t.Fatal("no series to compare")
	}
}

const (
	cumulative = metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	delta      = metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
)
