package otlp

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// snapshotProducer hands the store to the SDK's periodic reader as a
// metric.Producer, the SDK's interface for metrics aggregated elsewhere:
// every series /metrics serves, already counted by Kea and BIND, copied into
// metricdata once per push. Observing 100,000 series through observable
// instruments instead costs the SDK about 140 ms of CPU per push before
// anything is encoded (docs/otlp.md), more than the whole budget; the data
// points are the same, which TestProducerMatchesObservableInstruments checks.
// It reads snapshots only, never a target.
type snapshotProducer struct {
	cat    *catalog.Catalog
	store  *collector.Store
	cross  []collector.CrossDeriver
	scope  instrumentation.Scope
	names  []string   // OTel names, by Metric.Index
	units  []string   // OTel units, by Metric.Index
	labels [][]string // Metric.Labels(), by Metric.Index
	delta  bool       // counters as increases since the last push
	start  time.Time  // cumulative start time: when the exporter started
	log    *slog.Logger
	st     *stats

	mu sync.Mutex // one production at a time; guards what follows
	// Attribute sets and, for delta temporality, last counter values by
	// object, kept while the object is pushed. Keyed by the identity's label
	// text, not its pointer: a poller may build a new identity for the same
	// object (each poll for global and D2 key series, each config change for
	// subnets), and delta counters must carry on across that.
	ids       map[string]*idEntry
	seq       bySequence[idEntry] // finds most entries without hashing a label text
	gen       uint64
	live      int  // entries this push used: the sweep has nothing to do when all were
	misplaced bool // logs a change of state, not every push
	// Data points by Metric.Index, reused by the next push: the reader
	// exports what one Produce returned before it calls the next.
	points [][]metricdata.DataPoint[float64]
}

type idEntry struct {
	id     *collector.Identity // the identity last seen with this text
	plain  attribute.Set       // for metrics without extra labels
	built  bool
	extras []extraEntry
	prev   []prevPoint // last values of its counters without extra labels
	gen    uint64      // last push that used it
}

// extraEntry is one series of a metric with extra labels.
type extraEntry struct {
	extra  *[]string // shared with the catalog binding or the deriver
	metric int
	attrs  attribute.Set
	prev   prevPoint
}

type prevPoint struct {
	metric int
	value  float64
	time   time.Time // zero: none yet
}

func newProducer(cat *catalog.Catalog, store *collector.Store, cross []collector.CrossDeriver, scope instrumentation.Scope, delta bool, start time.Time, st *stats, log *slog.Logger) *snapshotProducer {
	p := &snapshotProducer{cat: cat, store: store, cross: cross, scope: scope, delta: delta, start: start, st: st, log: log,
		names: make([]string, len(cat.Metrics)), units: make([]string, len(cat.Metrics)), labels: make([][]string, len(cat.Metrics)),
		ids: map[string]*idEntry{}, points: make([][]metricdata.DataPoint[float64], len(cat.Metrics))}
	for _, m := range cat.Metrics {
		p.names[m.Index], p.units[m.Index], p.labels[m.Index] = catalog.OTelName(m), catalog.OTelUnit(m), m.Labels()
	}
	return p
}

// Produce returns one scope with every catalog metric that has samples, in
// catalog order: the snapshots' samples, then what the cross-target
// derivers and the self-metrics make of them, as /metrics renders them.
func (p *snapshotProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.live = 0
	p.seq.start()
	now := time.Now()
	targets, _ := p.store.Targets()
	sets := make([][]collector.Sample, 0, len(targets)+2)
	for _, t := range targets {
		if t.Snapshot != nil {
			sets = append(sets, t.Snapshot.Samples)
		}
	}
	sets = append(sets, collector.Cross(p.cat, targets, p.cross), collector.SelfSamples(p.cat, targets))
	total := 0
	for _, s := range sets {
		total += len(s)
	}

	// Each set is grouped by metric in catalog order: one cursor a set
	// walks them all in a single pass.
	cursor := make([]int, len(sets))
	runs := make([]int, len(sets))
	metrics := make([]metricdata.Metrics, 0, 64)
	produced := 0
	for _, m := range p.cat.Metrics {
		n := 0
		for si, set := range sets {
			c := cursor[si]
			end := c
			for end < len(set) && set[end].Metric == m {
				end++
			}
			runs[si] = end
			n += end - c
		}
		if n == 0 {
			continue
		}
		dps := slices.Grow(p.points[m.Index][:0], n)
		for si, set := range sets {
			for c := cursor[si]; c < runs[si]; c++ {
				dps = append(dps, p.point(&set[c], now))
			}
			cursor[si] = runs[si]
		}
		p.points[m.Index] = dps
		produced += n
		md := metricdata.Metrics{Name: p.names[m.Index], Description: m.Help, Unit: p.units[m.Index]}
		if m.Type == catalog.Counter {
			t := metricdata.CumulativeTemporality
			if p.delta {
				t = metricdata.DeltaTemporality
			}
			md.Data = metricdata.Sum[float64]{DataPoints: dps, Temporality: t, IsMonotonic: true}
		} else {
			md.Data = metricdata.Gauge[float64]{DataPoints: dps}
		}
		metrics = append(metrics, md)
	}
	p.sweep()

	// A deriver's samples out of catalog order, or of another catalog, are
	// counted as dropped, and said once.
	switch rest := total - produced; {
	case rest > 0:
		p.st.addDropped(rest)
		if !p.misplaced {
			p.misplaced = true
			p.log.Warn("samples not in catalog order were not pushed; this is a bug in ddiscope", "samples", rest)
		}
	case p.misplaced:
		p.misplaced = false
	}
	return []metricdata.ScopeMetrics{{Scope: p.scope, Metrics: metrics}}, nil
}

// point is a sample's data point: its attribute set, built once per object,
// and for a delta counter its increase since the last push.
func (p *snapshotProducer) point(s *collector.Sample, now time.Time) metricdata.DataPoint[float64] {
	id := p.seq.last()
	if id == nil || id.id != s.ID {
		if id = p.ids[s.ID.Text]; id == nil {
			id = &idEntry{}
			p.ids[s.ID.Text] = id
		}
		id.id = s.ID
		p.seq.set(id)
	}
	p.seq.next()
	if id.gen != p.gen {
		id.gen = p.gen
		p.live++
	}
	var prev *prevPoint
	counter := s.Metric.Type == catalog.Counter
	dp := metricdata.DataPoint[float64]{Time: now, Value: s.Value}
	if len(s.Metric.Extra) == 0 {
		// /metrics labels these with the identity's own label text.
		if !id.built {
			id.plain, id.built = p.attributes(s), true
		}
		dp.Attributes = id.plain
		if counter && p.delta {
			prev = id.prevOf(s.Metric.Index)
		}
	} else {
		x, fresh := id.extraOf(s.Extra, s.Metric.Index)
		if fresh {
			x.attrs = p.attributes(s)
		}
		dp.Attributes = x.attrs
		if counter && p.delta {
			prev = &x.prev
		}
	}
	if !counter {
		return dp
	}
	dp.StartTime = p.start
	if prev != nil {
		if !prev.time.IsZero() {
			dp.StartTime = prev.time
			if s.Value >= prev.value {
				dp.Value = s.Value - prev.value
			} // else the counter was reset (Kea restarted): all of it is new
		} // else the first delta is the count since the exporter started
		prev.value, prev.time = s.Value, now
	}
	return dp
}

func (id *idEntry) prevOf(metric int) *prevPoint {
	for i := range id.prev {
		if id.prev[i].metric == metric {
			return &id.prev[i]
		}
	}
	id.prev = append(id.prev, prevPoint{metric: metric})
	return &id.prev[len(id.prev)-1]
}

// extraOf finds the entry of one series with extra labels, or makes one
// (fresh) whose attributes the caller fills in.
func (id *idEntry) extraOf(extra *[]string, metric int) (x *extraEntry, fresh bool) {
	for i := range id.extras {
		// By value: a deriver may build its extra values anew each push.
		if x := &id.extras[i]; x.metric == metric && (x.extra == extra || slices.Equal(*x.extra, *extra)) {
			return x, false
		}
	}
	id.extras = append(id.extras, extraEntry{extra: extra, metric: metric})
	return &id.extras[len(id.extras)-1], true
}

// attributes is the sample's labels, by the names /metrics gives them.
// Empty values are left out: Prometheus treats an empty label as no label.
func (p *snapshotProducer) attributes(s *collector.Sample) attribute.Set {
	return sampleAttributes(p.labels[s.Metric.Index], s)
}

// sampleAttributes is s's labels, named names (identity labels first, then
// the metric's extra labels), without the empty ones.
func sampleAttributes(names []string, s *collector.Sample) attribute.Set {
	nID := len(names) - len(s.Metric.Extra)
	var ids []string
	if s.ID != nil {
		ids = s.ID.Values
	}
	extra := s.ExtraValues()
	kvs := make([]attribute.KeyValue, 0, len(names))
	for i, name := range names {
		var v string
		if i < nID && i < len(ids) {
			v = ids[i]
		} else if j := i - nID; j >= 0 && j < len(extra) {
			v = extra[j]
		}
		if v != "" {
			kvs = append(kvs, attribute.String(name, v))
		}
	}
	return attribute.NewSet(kvs...)
}

// sweep forgets the objects gone since the last push.
func (p *snapshotProducer) sweep() {
	p.seq.end()
	if p.live == len(p.ids) {
		return // every object was pushed
	}
	for k, id := range p.ids {
		if id.gen != p.gen {
			delete(p.ids, k)
		}
	}
}
