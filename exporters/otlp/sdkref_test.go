package otlp

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/version"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// The store pushed the way the OpenTelemetry SDK's documentation shows: a
// MeterProvider with one observable instrument per catalog metric, one
// callback that walks the store once, a periodic reader and the SDK's own
// OTLP exporters. It is the reference the producer and the encoder are
// checked against (TestProducerMatchesObservableInstruments) and measured
// against (BenchmarkPushSDK).

// startSDK runs the SDK pipeline over next until the test ends; it pushes
// when flushed. self adds samples (the exporter's ddiscope_otlp_* ones).
func startSDK(t testing.TB, cfg Config, next sdkmetric.Exporter, cat *catalog.Catalog, store *collector.Store, self *Exporter, cross ...collector.CrossDeriver) *sdkmetric.MeterProvider {
	t.Helper()
	cfg = cfg.withDefaults()
	attrs, err := resourceAttributes(cfg.ResourceAttributes)
	if err != nil {
		t.Fatal(err)
	}
	var kvs []attribute.KeyValue
	for _, k := range sortedKeys(attrs) {
		kvs = append(kvs, attribute.String(k, attrs[k]))
	}
	reader := sdkmetric.NewPeriodicReader(next, sdkmetric.WithInterval(time.Hour), sdkmetric.WithTimeout(cfg.Timeout),
		sdkmetric.WithMaxExportBatchSize(cfg.MaxBatchSize))
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(resource.NewSchemaless(kvs...)),
		// Every series: the default limit of 2,000 attribute sets per
		// instrument would fold most subnets into one overflow point.
		sdkmetric.WithCardinalityLimit(0),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
	t.Cleanup(func() { provider.Shutdown(context.Background()) })
	meter := provider.Meter(ScopeName, metric.WithInstrumentationVersion(version.Version))
	obs, insts, err := newObserver(cat, store, cross, meter)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meter.RegisterCallback(obs.callback, insts...); err != nil {
		t.Fatal(err)
	}
	if self != nil {
		// The exporter's own instruments, reporting its counts.
		if err := self.instrumentSelf(provider.Meter(SelfScopeName, metric.WithInstrumentationVersion(version.Version))); err != nil {
			t.Fatal(err)
		}
	}
	return provider
}

// sdkExporter is the SDK's OTLP exporter for cfg.
func sdkExporter(t testing.TB, cfg Config) sdkmetric.Exporter {
	t.Helper()
	cfg = cfg.withDefaults()
	u, err := cfg.endpointURL()
	if err != nil {
		t.Fatal(err)
	}
	var exp sdkmetric.Exporter
	switch cfg.Protocol {
	case ProtocolGRPC:
		opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpointURL(u.String()), otlpmetricgrpc.WithTimeout(cfg.Timeout)}
		if cfg.Compression == "gzip" {
			opts = append(opts, otlpmetricgrpc.WithCompressor("gzip"))
		}
		exp, err = otlpmetricgrpc.New(context.Background(), opts...)
	default:
		opts := []otlpmetrichttp.Option{otlpmetrichttp.WithEndpointURL(u.String()), otlpmetrichttp.WithTimeout(cfg.Timeout)}
		if cfg.Compression == "gzip" {
			opts = append(opts, otlpmetrichttp.WithCompression(otlpmetrichttp.GzipCompression))
		}
		exp, err = otlpmetrichttp.New(context.Background(), opts...)
	}
	if err != nil {
		t.Fatal(err)
	}
	return exp
}

// sdkObserver is the one callback that reports every catalog instrument: a
// collection walks the store once, as /metrics does, and observes each sample.
// It reads snapshots only, never a target.
type sdkObserver struct {
	cat    *catalog.Catalog
	store  *collector.Store
	cross  []collector.CrossDeriver
	inst   []metric.Float64Observable // by catalog.Metric.Index
	labels [][]string                 // Metric.Labels(), by Index

	mu    sync.Mutex // one collection at a time (Shutdown's and a flush's may meet)
	attrs map[attrKey]*sdkAttrEntry
	gen   uint64
}

// attrKey names one attribute set by the shared, immutable values it is
// made of.
type attrKey struct {
	id     *collector.Identity
	extra  *[]string
	labels int // the scope (negative) without extra labels, else the metric
}

type sdkAttrEntry struct {
	opts []metric.ObserveOption
	gen  uint64 // last collection that used it
}

func newObserver(cat *catalog.Catalog, store *collector.Store, cross []collector.CrossDeriver, meter metric.Meter) (*sdkObserver, []metric.Observable, error) {
	o := &sdkObserver{cat: cat, store: store, cross: cross,
		inst: make([]metric.Float64Observable, len(cat.Metrics)), labels: make([][]string, len(cat.Metrics)),
		attrs: map[attrKey]*sdkAttrEntry{}}
	all := make([]metric.Observable, 0, len(cat.Metrics))
	names := map[string]string{}
	for _, m := range cat.Metrics {
		if strings.HasPrefix(m.Name, "ddiscope_otlp_") {
			continue // the exporter's own instruments report these
		}
		name := catalog.OTelName(m)
		if prev, dup := names[name]; dup {
			return nil, nil, fmt.Errorf("otlp: metrics %s and %s both map to the OTel name %s", prev, m.Name, name)
		}
		names[name] = m.Name
		unit, help := metric.WithUnit(catalog.OTelUnit(m)), metric.WithDescription(m.Help)
		var err error
		if m.Type == catalog.Counter {
			o.inst[m.Index], err = meter.Float64ObservableCounter(name, unit, help)
		} else {
			o.inst[m.Index], err = meter.Float64ObservableGauge(name, unit, help)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("otlp: instrument %s for %s: %w", name, m.Name, err)
		}
		o.labels[m.Index] = m.Labels()
		all = append(all, o.inst[m.Index])
	}
	return o, all, nil
}

// callback observes the snapshot samples, the cross-target samples and the
// self-metrics: what /metrics renders from the same store.
func (o *sdkObserver) callback(_ context.Context, obs metric.Observer) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.gen++
	targets, _ := o.store.Targets()
	for _, t := range targets {
		if t.Snapshot != nil {
			o.observe(obs, t.Snapshot.Samples)
		}
	}
	o.observe(obs, collector.Cross(o.cat, targets, o.cross))
	o.observe(obs, collector.SelfSamples(o.cat, targets))
	// Forget the sets of objects gone since the last collection.
	for k, e := range o.attrs {
		if e.gen != o.gen {
			delete(o.attrs, k)
		}
	}
	return nil
}

func (o *sdkObserver) observe(obs metric.Observer, samples []collector.Sample) {
	for i := range samples {
		s := &samples[i]
		idx := s.Metric.Index
		if idx >= len(o.inst) || o.cat.Metrics[idx] != s.Metric || o.inst[idx] == nil {
			continue // not a metric of this catalog
		}
		obs.ObserveFloat64(o.inst[idx], s.Value, o.attributes(s)...)
	}
}

// attributes returns the observe option carrying the sample's labels, built
// once per identity and reused while the identity lives.
func (o *sdkObserver) attributes(s *collector.Sample) []metric.ObserveOption {
	k := attrKey{id: s.ID, labels: -1 - int(s.Metric.Scope)}
	if len(s.Metric.Extra) > 0 {
		// The poller gives every sample an Extra, empty when the metric has
		// no extra labels: only metrics with some need it in the key.
		k.extra, k.labels = s.Extra, s.Metric.Index
	}
	e := o.attrs[k]
	if e == nil {
		e = &sdkAttrEntry{opts: []metric.ObserveOption{metric.WithAttributeSet(sampleAttributes(o.labels[s.Metric.Index], s))}}
		o.attrs[k] = e
	}
	e.gen = o.gen
	return e.opts
}
