package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// wireExporter is the SDK exporter that encodes what the reader collected
// (encode.go) and sends it over gRPC or HTTP (send.go), counting what was
// delivered and what was lost.
type wireExporter struct {
	cfg      Config
	endpoint string // without its password, for logs
	log      *slog.Logger
	st       *stats
	delta    bool

	mu   sync.Mutex // one export at a time; guards what follows
	send sender
	enc  *encoder
	// The producer whose later batches an Export takes after the first,
	// which the reader collected (producer.go); nil: there are none.
	more     *snapshotProducer
	failing  bool // logs a change of state, not every failed push
	shutdown bool
}

var _ sdkmetric.Exporter = (*wireExporter)(nil)

// newWireExporter checks cfg's endpoint and TLS files and makes the
// connection (gRPC connects lazily: the receiver may well be down).
func newWireExporter(cfg Config, st *stats, log *slog.Logger) (*wireExporter, error) {
	u, err := cfg.endpointURL()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil && u.Scheme != "https" {
		return nil, fmt.Errorf("otlp endpoint %s is plaintext (http://) but a trust anchor or client certificate is set: use https://", u.Redacted())
	}
	send, err := newSender(cfg, u, tlsCfg)
	if err != nil {
		return nil, err
	}
	return &wireExporter{cfg: cfg, endpoint: u.Redacted(), log: log, st: st, send: send,
		delta: cfg.Temporality == TemporalityDelta, enc: newEncoder(cfg.MaxBatchSize)}, nil
}

// Temporality is delta for counters when so configured (the OTel
// specification's "delta" preference), else cumulative.
func (x *wireExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	if x.delta {
		switch k {
		case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindObservableCounter, sdkmetric.InstrumentKindHistogram:
			return metricdata.DeltaTemporality
		}
	}
	return metricdata.CumulativeTemporality
}

func (x *wireExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// errShutdown is what an export after Shutdown gets.
var errShutdown = errors.New("otlp: exporter shut down")

func isShutdown(err error) bool {
	return errors.Is(err, errShutdown) || errors.Is(err, sdkmetric.ErrReaderShutdown)
}

// Export sends every data point of rm and returns what could not be
// delivered. Retries stay within ctx, which the reader bounds with
// Config.Timeout.
func (x *wireExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.shutdown {
		return errShutdown
	}
	start := time.Now()
	total := 0
	for i := range rm.ScopeMetrics {
		total += scopePoints(&rm.ScopeMetrics[i])
	}

	var errs []error
	var c counts
	encoded := 0
	send := func(req []byte, n int) bool {
		encoded += n
		rejected, err := x.deliver(ctx, req)
		switch {
		case rejected > 0:
			r := min(int(rejected), n)
			c.partial++
			c.exported += n - r
			c.dropped += r
			errs = append(errs, err)
		case err != nil:
			c.failed++
			c.dropped += n
			errs = append(errs, err)
		default:
			c.success++
			c.exported += n
		}
		return ctx.Err() == nil
	}
	// What the reader collected (the SDK's instruments and the producer's
	// first batch), then the producer's other batches, each sent before
	// the next is made: one batch of metricdata at a time.
	x.enc.begin(rm.Resource, send)
	skipped, err := x.enc.add(rm.ScopeMetrics)
	x.enc.cut()
	if x.more != nil {
		for !x.enc.stopped {
			batch := x.more.next()
			if batch == nil {
				break
			}
			for i := range batch {
				total += scopePoints(&batch[i])
			}
			n, e := x.enc.add(batch)
			x.enc.cut()
			skipped += n
			err = errors.Join(err, e)
		}
		total += x.more.drain() // when the push stopped early
	}
	if err != nil {
		errs = append(errs, err) // a metric the encoder does not know
	}
	if rest := total - encoded - skipped; rest > 0 {
		errs = append(errs, fmt.Errorf("%d data points not sent: %w", rest, context.Cause(ctx)))
	}
	c.dropped += total - encoded
	took := time.Since(start)
	x.st.add(c, took)
	err = errors.Join(errs...)
	switch {
	case c.dropped > 0 && !x.failing:
		x.failing = true
		x.log.Warn("OTLP push failed; /metrics is unaffected, the next push tries again", "err", err, "dropped_data_points", c.dropped, "exported_data_points", c.exported, "took", took)
	case c.dropped == 0 && x.failing:
		x.failing = false
		x.log.Info("OTLP push works again", "data_points", c.exported, "took", took)
	default:
		x.log.Debug("OTLP push", "data_points", c.exported, "dropped_data_points", c.dropped, "took", took, "err", err)
	}
	return err
}

// scopePoints is the number of data points of a scope's metrics.
func scopePoints(sm *metricdata.ScopeMetrics) int {
	n := 0
	for i := range sm.Metrics {
		n += points(sm.Metrics[i].Data)
	}
	return n
}

// points is the number of data points of a metric's data.
func points(d metricdata.Aggregation) int {
	switch d := d.(type) {
	case metricdata.Gauge[float64]:
		return len(d.DataPoints)
	case metricdata.Gauge[int64]:
		return len(d.DataPoints)
	case metricdata.Sum[float64]:
		return len(d.DataPoints)
	case metricdata.Sum[int64]:
		return len(d.DataPoints)
	case metricdata.Histogram[float64]:
		return len(d.DataPoints)
	case metricdata.Histogram[int64]:
		return len(d.DataPoints)
	case metricdata.ExponentialHistogram[float64]:
		return len(d.DataPoints)
	case metricdata.ExponentialHistogram[int64]:
		return len(d.DataPoints)
	case metricdata.Summary:
		return len(d.DataPoints)
	}
	return 0
}

// deliver sends one request, retrying what OTLP calls retryable with
// exponential backoff (with jitter, at least the receiver's throttle) while
// the push's deadline leaves time for it.
func (x *wireExporter) deliver(ctx context.Context, req []byte) (int64, error) {
	wait := retryInitial(x.cfg.Timeout)
	for attempt := 1; ; attempt++ {
		rejected, err := x.send.send(ctx, req)
		var se *sendError
		if err == nil || !errors.As(err, &se) || !se.retryable {
			return rejected, err
		}
		d := max(wait/2+rand.N(wait), se.after)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d || ctx.Err() != nil {
			return 0, fmt.Errorf("%w (gave up after %d attempts: the push's timeout leaves no time for another)", err, attempt)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, fmt.Errorf("%w (gave up after %d attempts: %w)", err, attempt, context.Cause(ctx))
		case <-t.C:
		}
		wait = min(2*wait, max(x.cfg.Timeout/4, retryInitial(x.cfg.Timeout)))
	}
}

// retryInitial is the first backoff: a twentieth of the push's budget, so
// that a push has room for several retries, between 50 ms and 5 s.
func retryInitial(timeout time.Duration) time.Duration {
	return min(max(timeout/20, 50*time.Millisecond), 5*time.Second)
}

type counts struct {
	success, partial, failed int
	exported, dropped        int
}

// ForceFlush has nothing to do: Export sends before it returns.
func (x *wireExporter) ForceFlush(context.Context) error { return nil }

// Shutdown closes the connection; later exports fail.
func (x *wireExporter) Shutdown(context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.shutdown {
		x.shutdown = true
		x.send.close()
	}
	return nil
}
