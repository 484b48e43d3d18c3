package otlp

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/common/version"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// collectOnce is what a reader collects from the Kea 2.6 fixtures through
// the producer, beside SDK instruments of every other kind the encoder
// writes: int64 counters and gauges with bool, int, float, slice and map
// attributes, cumulative and delta, with exemplars.
func collectOnce(t *testing.T, delta bool) *metricdata.ResourceMetrics {
	t.Helper()
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	producer := newProducer(cat, store, nil, instrumentation.Scope{Name: ScopeName, Version: version.Version}, delta, time.Now().Add(-time.Hour), 0, &stats{}, quiet)
	temporality := sdkmetric.DefaultTemporalitySelector
	if delta {
		temporality = func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }
	}
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(producer), sdkmetric.WithTemporalitySelector(temporality))
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithExemplarFilter(exemplar.AlwaysOnFilter),
		sdkmetric.WithResource(resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
			attribute.String("service.name", "ddiscope"), attribute.Int("shard", 3), attribute.StringSlice("zones", []string{"a", "b"}))))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	meter := provider.Meter("test", metric.WithInstrumentationVersion("1"), metric.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"),
		metric.WithInstrumentationAttributes(attribute.Bool("test", true)))
	counter, err := meter.Int64Counter("requests", metric.WithUnit("{request}"), metric.WithDescription("requests seen"))
	if err != nil {
		t.Fatal(err)
	}
	gauge, err := meter.Int64Gauge("depth")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	counter.Add(ctx, 3, metric.WithAttributes(attribute.Bool("ok", true), attribute.Float64("ratio", 0.5),
		attribute.Int64Slice("ports", []int64{67, 68}), attribute.Map("peer", attribute.String("name", "kea2"))))
	counter.Add(ctx, 0, metric.WithAttributes(attribute.Bool("ok", false)))
	gauge.Record(ctx, -7)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	return &rm
}

// The encoder sends what the SDK's own OTLP exporters send for the same
// collection, field for field, over gRPC and over HTTP.
func TestEncoderMatchesSDKExporter(t *testing.T) {
	for _, delta := range []bool{false, true} {
		rm := collectOnce(t, delta)
		for _, protocol := range protocols {
			t.Run(fmt.Sprintf("%s/delta=%v", protocol, delta), func(t *testing.T) {
				ours, theirs := startReceiver(t, nil), startReceiver(t, nil)
				cfg := testConfig(protocol, ours).withDefaults()
				cfg.MaxBatchSize = 1 << 20 // one request, as the SDK's exporter sends
				exp, err := newWireExporter(cfg, &stats{}, quiet)
				if err != nil {
					t.Fatal(err)
				}
				defer exp.Shutdown(context.Background())
				if err := exp.Export(context.Background(), rm); err != nil {
					t.Fatal(err)
				}
				sdkCfg := testConfig(protocol, theirs)
				sdk := sdkExporter(t, sdkCfg)
				defer sdk.Shutdown(context.Background())
				if err := sdk.Export(context.Background(), rm); err != nil {
					t.Fatal(err)
				}
				got, want := ours.received(), theirs.received()
				if len(got) != 1 || len(want) != 1 {
					t.Fatalf("%d requests from the encoder, %d from the SDK's exporter; want 1 each", len(got), len(want))
				}
				if !proto.Equal(want[0], got[0]) {
					t.Errorf("the encoder's request differs from the SDK exporter's:\nSDK:\n%s\nencoder:\n%s",
						prototext.Format(want[0]), prototext.Format(got[0]))
				}
				if n := len(want[0].GetResourceMetrics()[0].GetScopeMetrics()); n != 2 {
					t.Errorf("%d scopes, want the producer's and the test meter's", n)
				}
				exemplars := 0
				for _, sm := range want[0].GetResourceMetrics()[0].GetScopeMetrics() {
					for _, m := range sm.GetMetrics() {
						for _, dp := range m.GetSum().GetDataPoints() {
							exemplars += len(dp.GetExemplars())
						}
					}
				}
				if exemplars == 0 {
					t.Error("no exemplar was compared")
				}
			})
		}
	}
}

// A request split in two carries the same data points as one.
func TestEncoderSplitsLikeOneRequest(t *testing.T) {
	rm := collectOnce(t, false)
	total := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			total += points(m.Data)
		}
	}
	whole, split := newEncoder(1<<20), newEncoder(total/2+1)
	var one []byte
	if _, err := whole.encode(rm, func(req []byte, n int) bool { one = append([]byte(nil), req...); return true }); err != nil {
		t.Fatal(err)
	}
	var parts [][]byte
	var sizes []int
	if _, err := split.encode(rm, func(req []byte, n int) bool {
		parts, sizes = append(parts, append([]byte(nil), req...)), append(sizes, n)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || sizes[0] != total/2+1 || sizes[0]+sizes[1] != total {
		t.Fatalf("split into %d requests of %v points, want 2 of %d in all", len(parts), sizes, total)
	}
	want := decodeRequest(t, one)
	merged := decodeRequest(t, parts[0])
	proto.Merge(merged, decodeRequest(t, parts[1]))
	if a, b := countPoints(want), countPoints(merged); a != b || a != total {
		t.Errorf("%d points in one request, %d in two, %d collected", a, b, total)
	}
}

func decodeRequest(t *testing.T, b []byte) *colmetricpb.ExportMetricsServiceRequest {
	t.Helper()
	var req colmetricpb.ExportMetricsServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("the encoder wrote a request protobuf cannot read: %v", err)
	}
	return &req
}

func countPoints(req *colmetricpb.ExportMetricsServiceRequest) int {
	n := 0
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				n += len(m.GetSum().GetDataPoints()) + len(m.GetGauge().GetDataPoints())
			}
		}
	}
	return n
}
