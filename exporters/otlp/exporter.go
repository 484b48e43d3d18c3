// Package otlp pushes the snapshots /metrics serves to an OTLP receiver (an
// OpenTelemetry Collector, Grafana Alloy, a vendor's endpoint), over gRPC or
// HTTP/protobuf, through the OpenTelemetry SDK: a MeterProvider whose
// periodic reader collects the store through a metric.Producer (producer.go)
// and the exporter's own self-metrics through observable instruments built
// from the catalog, and exports them with an OTLP exporter (wire.go) that
// sends every series as /metrics has it, in requests of at most
// Config.MaxBatchSize data points, retrying with backoff within
// Config.Timeout. A push reads the store, never a target. A failing receiver
// costs a log line and the ddiscope_otlp_* counters; it never touches polling
// or /metrics.
package otlp

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/version"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// ScopeName is the instrumentation scope of every series of the store;
// SelfScopeName that of the exporter's own ddiscope_otlp_* metrics.
const (
	ScopeName     = "github.com/ddiscope/ddiscope"
	SelfScopeName = ScopeName + "/exporters/otlp"
)

// Exporter pushes the store's snapshots every Config.Interval until Shutdown.
type Exporter struct {
	cfg      Config
	cat      *catalog.Catalog
	st       *stats
	exp      *wireExporter
	provider *sdkmetric.MeterProvider
}

// stats feed the ddiscope_otlp_* self-metrics.
type stats struct {
	mu                       sync.Mutex
	success, partial, failed uint64
	exported, dropped        uint64
	duration                 time.Duration // of the last push
}

// New starts pushing every cfg.Interval, the first push one interval from
// now; with cfg.Enabled false it returns a nil *Exporter, whose methods do
// nothing. cross are the cross-target derivers /metrics uses. It fails on a
// bad setting or an unreadable TLS file; it does not wait for the receiver,
// which may well be down. The pushes go on until Shutdown, which makes the
// last one.
func New(_ context.Context, cfg Config, cat *catalog.Catalog, store *collector.Store, log *slog.Logger, cross ...collector.CrossDeriver) (*Exporter, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	attrs, err := resourceAttributes(cfg.ResourceAttributes)
	if err != nil {
		return nil, err
	}
	if err := checkNames(cat); err != nil {
		return nil, err
	}
	st := &stats{}
	exp, err := newWireExporter(cfg, st, log)
	if err != nil {
		return nil, err
	}
	producer := newProducer(cat, store, cross, instrumentation.Scope{Name: ScopeName, Version: version.Version}, exp.delta, time.Now(), cfg.MaxBatchSize, st, log)
	exp.more = producer
	reader := sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(cfg.Interval), sdkmetric.WithTimeout(cfg.Timeout),
		sdkmetric.WithProducer(producer))
	kvs := make([]attribute.KeyValue, 0, len(attrs))
	for _, k := range sortedKeys(attrs) {
		kvs = append(kvs, attribute.String(k, attrs[k]))
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(resource.NewSchemaless(kvs...)),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
	e := &Exporter{cfg: cfg, cat: cat, st: st, exp: exp, provider: provider}
	if err := e.instrumentSelf(provider.Meter(SelfScopeName, metric.WithInstrumentationVersion(version.Version))); err != nil {
		provider.Shutdown(context.Background())
		return nil, err
	}
	log.Info("pushing metrics over OTLP", "protocol", cfg.Protocol, "endpoint", exp.endpoint, "interval", cfg.Interval, "timeout", cfg.Timeout, "temporality", cfg.Temporality)
	return e, nil
}

// checkNames refuses a catalog where two metrics get one OTel name.
func checkNames(cat *catalog.Catalog) error {
	names := map[string]string{}
	for _, m := range cat.Metrics {
		n := catalog.OTelName(m)
		if prev, dup := names[n]; dup {
			return fmt.Errorf("otlp: metrics %s and %s both map to the OTel name %s", prev, m.Name, n)
		}
		names[n] = m.Name
	}
	return nil
}

// instrumentSelf makes an observable instrument of each ddiscope_otlp_*
// catalog metric; one callback reports them from the exporter's counts.
func (e *Exporter) instrumentSelf(meter metric.Meter) error {
	insts := map[*catalog.Metric]metric.Float64Observable{}
	var all []metric.Observable
	for _, m := range e.cat.Metrics {
		if !strings.HasPrefix(m.Name, "ddiscope_otlp_") {
			continue
		}
		unit, help := metric.WithUnit(catalog.OTelUnit(m)), metric.WithDescription(m.Help)
		var inst metric.Float64Observable
		var err error
		if m.Type == catalog.Counter {
			inst, err = meter.Float64ObservableCounter(catalog.OTelName(m), unit, help)
		} else {
			inst, err = meter.Float64ObservableGauge(catalog.OTelName(m), unit, help)
		}
		if err != nil {
			return fmt.Errorf("otlp: instrument for %s: %w", m.Name, err)
		}
		insts[m], all = inst, append(all, inst)
	}
	if len(all) == 0 {
		return nil
	}
	_, err := meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		samples := e.st.samples(e.cat)
		for i := range samples {
			s := &samples[i]
			if inst := insts[s.Metric]; inst != nil {
				o.ObserveFloat64(inst, s.Value, metric.WithAttributeSet(sampleAttributes(s.Metric.Labels(), s)))
			}
		}
		return nil
	}, all...)
	if err != nil {
		return fmt.Errorf("otlp: self-metrics callback: %w", err)
	}
	return nil
}

// ForceFlush pushes now and returns what went wrong with the push, if
// anything. The push is bounded by Config.Timeout.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	if e == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		// The reader bounds the push by Config.Timeout; waiting a little
		// longer lets its error, and its counts, come back to the caller.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.Timeout+time.Second)
		defer cancel()
	}
	if err := e.provider.ForceFlush(ctx); err != nil {
		return fmt.Errorf("otlp push: %w", err)
	}
	return nil
}

// Shutdown stops the periodic pushes, cancelling one under way, and makes a
// last push. It returns within ctx's deadline, or Config.Timeout when ctx
// has none, whatever the receiver does; the error says what the last push
// could not deliver.
func (e *Exporter) Shutdown(ctx context.Context) error {
	if e == nil {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.Timeout)
		defer cancel()
	}
	if err := e.provider.Shutdown(ctx); err != nil && !isShutdown(err) {
		return fmt.Errorf("otlp shutdown: %w", err)
	}
	return nil
}

func (s *stats) add(c counts, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.success += uint64(c.success)
	s.partial += uint64(c.partial)
	s.failed += uint64(c.failed)
	s.exported += uint64(c.exported)
	s.dropped += uint64(c.dropped)
	s.duration = took
}

func (s *stats) addDropped(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropped += uint64(n)
}

// SelfSamples are the ddiscope_otlp_* samples (exports by result, data
// points exported and dropped, duration of the last push), grouped by
// metric. Nil for a nil Exporter (OTLP off).
func (e *Exporter) SelfSamples() []collector.Sample {
	if e == nil {
		return nil
	}
	return e.st.samples(e.cat)
}

// Deriver hands SelfSamples to /metrics as a cross-target deriver:
// promexp.NewHandler(cat, store, runtime, log, exp.Deriver()). Safe on a nil
// Exporter.
func (e *Exporter) Deriver() collector.CrossDeriver {
	return func([]*collector.Snapshot) []collector.Sample { return e.SelfSamples() }
}
