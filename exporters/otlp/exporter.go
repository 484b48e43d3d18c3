// Package otlp pushes the snapshots /metrics serves to an OTLP receiver (an
// OpenTelemetry Collector, Grafana Alloy, a vendor's endpoint), over gRPC or
// HTTP/protobuf. A push reads the store (never a target), encodes every
// series as /metrics has it, and sends it in requests of at most
// Config.MaxBatchSize data points, retrying with backoff within
// Config.Timeout. A failing receiver costs a log line and the ddiscope_otlp_*
// counters; it never touches polling or /metrics.
package otlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/common/version"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// ScopeName is the instrumentation scope of every pushed metric.
const ScopeName = "github.com/ddiscope/ddiscope"

// Exporter pushes the store's snapshots every Config.Interval until Shutdown.
type Exporter struct {
	cfg   Config
	cat   *catalog.Catalog
	store *collector.Store
	cross []collector.CrossDeriver
	log   *slog.Logger
	send  sender
	st    stats

	mu       sync.Mutex // one push at a time; guards what follows
	enc      *encoder
	failing  bool // logs a change of state, not every failed push
	shutdown bool

	stop context.CancelFunc // ends the push loop and cancels its push
	done chan struct{}      // closed when the loop has ended
}

// stats feed the ddiscope_otlp_* self-metrics.
type stats struct {
	success, partial, failed uint64
	exported, dropped        uint64
	duration                 time.Duration // of the last push
	mu                       sync.Mutex
}

// New starts pushing every cfg.Interval, the first push one interval from
// now; with cfg.Enabled false it returns a nil *Exporter, whose methods do
// nothing. cross are the cross-target derivers /metrics uses. It fails on a
// bad setting or an unreadable TLS file; it does not wait for the receiver,
// which may well be down. Cancelling ctx stops the pushes; Shutdown still
// makes the last one.
func New(ctx context.Context, cfg Config, cat *catalog.Catalog, store *collector.Store, log *slog.Logger, cross ...collector.CrossDeriver) (*Exporter, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
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
	res, err := resourceAttributes(cfg.ResourceAttributes)
	if err != nil {
		return nil, err
	}
	if err := checkNames(cat); err != nil {
		return nil, err
	}
	send, err := newSender(cfg, u, tlsCfg)
	if err != nil {
		return nil, err
	}
	e := &Exporter{cfg: cfg, cat: cat, store: store, cross: cross, log: log, send: send, done: make(chan struct{})}
	e.enc = newEncoder(cat, res, version.Version, cfg.MaxBatchSize, cfg.Temporality == TemporalityDelta, uint64(time.Now().UnixNano()))
	loop, stop := context.WithCancel(ctx)
	e.stop = stop
	go e.run(loop)
	log.Info("pushing metrics over OTLP", "protocol", cfg.Protocol, "endpoint", u.Redacted(), "interval", cfg.Interval, "timeout", cfg.Timeout, "temporality", cfg.Temporality)
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

func (e *Exporter) run(ctx context.Context) {
	defer close(e.done)
	t := time.NewTicker(e.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
			e.push(pctx)
			cancel()
		}
	}
}

// ForceFlush pushes now and returns what went wrong with the push, if
// anything. ctx without a deadline gets Config.Timeout.
func (e *Exporter) ForceFlush(ctx context.Context) error {
	if e == nil {
		return nil
	}
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	return e.push(ctx)
}

// Shutdown stops the periodic pushes, cancelling one under way, and makes a
// last push. It returns within ctx's deadline, or Config.Timeout when ctx
// has none, whatever the receiver does; the error says what the last push
// could not deliver.
func (e *Exporter) Shutdown(ctx context.Context) error {
	if e == nil {
		return nil
	}
	ctx, cancel := e.bounded(ctx)
	defer cancel()
	e.stop()
	select {
	case <-e.done:
	case <-ctx.Done():
		return fmt.Errorf("otlp shutdown: %w", context.Cause(ctx))
	}
	err := e.push(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.shutdown {
		e.shutdown = true
		e.send.close()
	}
	if errors.Is(err, errShutdown) {
		return nil
	}
	return err
}

func (e *Exporter) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.cfg.Timeout)
}

var errShutdown = errors.New("otlp: exporter shut down")

// push sends every series of the store, as /metrics would serve it now.
func (e *Exporter) push(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.shutdown {
		return errShutdown
	}
	start := time.Now()
	targets, _ := e.store.Targets()
	sets := make([][]collector.Sample, 0, len(targets)+3)
	for _, t := range targets {
		if t.Snapshot != nil {
			sets = append(sets, t.Snapshot.Samples)
		}
	}
	sets = append(sets, collector.Cross(e.cat, targets, e.cross), collector.SelfSamples(e.cat, targets), e.st.samples(e.cat))
	total := 0
	for _, s := range sets {
		total += len(s)
	}

	var errs []error
	var c counts
	encoded := 0
	e.enc.encode(sets, uint64(start.UnixNano()), func(req []byte, n int) bool {
		encoded += n
		rejected, err := e.deliver(ctx, req)
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
	})
	if rest := total - encoded; rest > 0 {
		c.dropped += rest
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("%d data points not sent: %w", rest, context.Cause(ctx)))
		} else {
			// A deriver's samples out of catalog order, or of another catalog.
			errs = append(errs, fmt.Errorf("%d samples not in catalog order were not sent", rest))
		}
	}
	took := time.Since(start)
	e.st.add(c, took)
	err := errors.Join(errs...)
	switch {
	case c.dropped > 0 && !e.failing:
		e.failing = true
		e.log.Warn("OTLP push failed; /metrics is unaffected, the next push tries again", "err", err, "dropped_data_points", c.dropped, "exported_data_points", c.exported, "took", took)
	case c.dropped == 0 && e.failing:
		e.failing = false
		e.log.Info("OTLP push works again", "data_points", c.exported, "took", took)
	default:
		e.log.Debug("OTLP push", "data_points", c.exported, "dropped_data_points", c.dropped, "took", took, "err", err)
	}
	if err != nil {
		return fmt.Errorf("otlp push: %w", err)
	}
	return nil
}

// deliver sends one request, retrying what OTLP calls retryable with
// exponential backoff (with jitter, at least the receiver's throttle) while
// the push's deadline leaves time for it.
func (e *Exporter) deliver(ctx context.Context, req []byte) (int64, error) {
	wait := retryInitial(e.cfg.Timeout)
	for attempt := 1; ; attempt++ {
		rejected, err := e.send.send(ctx, req)
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
		wait = min(2*wait, max(e.cfg.Timeout/4, retryInitial(e.cfg.Timeout)))
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
