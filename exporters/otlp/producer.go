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
//
// With a batch size (streaming), a push's metricdata is made in batches of
// at most that many points rather than all at once: Produce returns the
// first, and the exporter (wire.go) takes the others with next while it
// sends, within the same Export. Each batch reuses the memory of the one
// before, so a push holds one batch of metricdata, about 1 MB, instead of
// 100 bytes for every series (docs/otlp.md). A batch is the same stretch of
// every metric's points (about the first tenth of each, then the next, cut
// where the batch size is reached): a metric's points come object by object
// in the same order, so that a batch holds a tenth of the objects with all
// their series and builds each object's attribute set once.
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
	batch  int        // most points a batch; 0: Produce returns them all
	log    *slog.Logger
	st     *stats

	mu        sync.Mutex // one production at a time; guards what follows
	misplaced bool       // logs a change of state, not every push
	push      *production
	// For delta temporality, last counter values by object, kept while the
	// object is pushed. Keyed by the identity's label text, not its
	// pointer: a poller may build a new identity for the same object (each
	// poll for global and D2 key series, each config change for subnets),
	// and delta counters must carry on across that.
	ids  map[string]*idEntry
	seq  bySequence[idEntry] // finds most entries without hashing a label text
	gen  uint64
	live int // entries this push used: the sweep has nothing to do when all were
	// Reused from batch to batch and push to push: the reader exports what
	// one Produce returned before it calls the next, and the exporter sends
	// a batch before it asks for the next.
	points  []metricdata.DataPoint[float64]
	metrics []metricdata.Metrics
	attrs   map[*collector.Identity]attribute.Set // the batch's, by object
	kvs     []attribute.KeyValue
}

// production is one push's samples, cut into batches. A run's samples are
// its object's in the poll's order; position q of the push's span (0 to
// the longest run's length) is, in a run of n samples, sample q*n/span:
// batch b takes from every run the samples between positions cuts[b] and
// cuts[b+1].
type production struct {
	now     time.Time
	metrics []metricRuns // in catalog order, those with samples
	span    int
	cuts    []int
	next    int // the batch to make next
	left    int // points in the batches not made yet
	// targets are the statuses the runs were read from, released to the
	// store when the push ends.
	targets []*collector.TargetStatus
}

// metricRuns are a metric's samples: one run in each set that has some.
type metricRuns struct {
	m    *catalog.Metric
	runs [][]collector.Sample
}

type idEntry struct {
	id     *collector.Identity // the identity last seen with this text
	extras []extraEntry
	prev   []prevPoint // last values of its counters without extra labels
	gen    uint64      // last push that used it
}

// extraEntry is the last value of one counter with extra labels.
type extraEntry struct {
	extra  *[]string // shared with the catalog binding or the deriver
	metric int
	prev   prevPoint
}

type prevPoint struct {
	metric int
	value  float64
	time   time.Time // zero: none yet
}

// newProducer makes a producer whose Produce returns every point at once
// (batch 0) or the first batch of at most batch points, the exporter taking
// the others with next.
func newProducer(cat *catalog.Catalog, store *collector.Store, cross []collector.CrossDeriver, scope instrumentation.Scope, delta bool, start time.Time, batch int, st *stats, log *slog.Logger) *snapshotProducer {
	p := &snapshotProducer{cat: cat, store: store, cross: cross, scope: scope, delta: delta, start: start, batch: batch, st: st, log: log,
		names: make([]string, len(cat.Metrics)), units: make([]string, len(cat.Metrics)), labels: make([][]string, len(cat.Metrics)),
		ids: map[string]*idEntry{}, attrs: map[*collector.Identity]attribute.Set{}}
	for _, m := range cat.Metrics {
		p.names[m.Index], p.units[m.Index], p.labels[m.Index] = catalog.OTelName(m), catalog.OTelUnit(m), m.Labels()
	}
	return p
}

// Produce returns one scope with every catalog metric that has samples, in
// catalog order: the snapshots' samples, then what the cross-target
// derivers and the self-metrics make of them, as /metrics renders them.
// Streaming, it returns the first batch of them; next returns the others.
func (p *snapshotProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start1()
	return p.nextLocked(), nil
}

// next returns the push's next batch, or nil when every batch was made.
func (p *snapshotProducer) next() []metricdata.ScopeMetrics {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nextLocked()
}

// drain ends the push without making its other batches, and returns how
// many points they had. For delta temporality their values become the last
// ones all the same, as for the points of a failed request: a push that
// gives up loses its deltas rather than sending them twice.
func (p *snapshotProducer) drain() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.push == nil {
		return 0
	}
	left := p.push.left
	for p.delta && p.push != nil {
		p.nextLocked()
	}
	if p.push != nil {
		p.endPush()
	}
	return left
}

// start1 gathers the push's samples and cuts them into batches.
func (p *snapshotProducer) start1() {
	if p.push != nil {
		p.endPush() // the last push was not drained: it ended with its Export
	}
	p.gen++
	p.live = 0
	p.seq.start()
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
	pr := &production{now: time.Now()}
	cursor := make([]int, len(sets))
	produced := 0
	for _, m := range p.cat.Metrics {
		var mr metricRuns
		for si, set := range sets {
			c := cursor[si]
			end := c
			for end < len(set) && set[end].Metric == m {
				end++
			}
			if end > c {
				mr.m = m
				mr.runs = append(mr.runs, set[c:end])
				produced += end - c
				pr.span = max(pr.span, end-c)
			}
			cursor[si] = end
		}
		if mr.m != nil {
			pr.metrics = append(pr.metrics, mr)
		}
	}
	pr.left = produced
	pr.cuts = append(pr.cuts, 0)
	if p.batch <= 0 {
		pr.cuts = append(pr.cuts, pr.span)
	} else {
		// The SDK's own instruments, the ddiscope_otlp_* self-metrics,
		// come first in the first request.
		room := max(1, p.batch-len(p.st.samples(p.cat)))
		for q := 0; q < pr.span; {
			// The furthest position whose batch fits the room; at least
			// one position on, the encoder splitting a batch too big.
			lo, hi := q+1, pr.span
			for lo < hi {
				mid := (lo + hi + 1) / 2
				if pr.size(q, mid) <= room {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			q = lo
			pr.cuts = append(pr.cuts, q)
			room = p.batch
		}
	}
	pr.targets = targets // released when the push ends: its runs are their samples
	p.push = pr

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
}

// size is the number of samples between positions q0 and q1.
func (pr *production) size(q0, q1 int) int {
	n := 0
	for _, mr := range pr.metrics {
		for _, run := range mr.runs {
			n += pr.at(run, q1) - pr.at(run, q0)
		}
	}
	return n
}

// at is the index in run of position q.
func (pr *production) at(run []collector.Sample, q int) int {
	return q * len(run) / pr.span
}

// endPush forgets the push and, for delta temporality, the objects gone
// since the last one.
func (p *snapshotProducer) endPush() {
	if p.push != nil {
		p.store.Release(p.push.targets...)
	}
	p.push = nil
	p.seq.end()
	if p.live < len(p.ids) {
		for k, id := range p.ids {
			if id.gen != p.gen {
				delete(p.ids, k)
			}
		}
	}
}

// nextLocked makes the push's next batch: for each metric, batch b of the
// push's batches takes the b-th share of each of its runs.
func (p *snapshotProducer) nextLocked() []metricdata.ScopeMetrics {
	pr := p.push
	if pr == nil {
		return nil
	}
	if pr.next == len(pr.cuts)-1 {
		p.endPush()
		return nil
	}
	q0, q1 := pr.cuts[pr.next], pr.cuts[pr.next+1]
	pr.next++
	clear(p.attrs)
	n := pr.size(q0, q1)
	// Grown once: every metric of the batch has its points in one array.
	p.points = slices.Grow(p.points[:0], n)
	p.metrics = p.metrics[:0]
	for _, mr := range pr.metrics {
		m := mr.m
		first := len(p.points)
		for _, run := range mr.runs {
			for i := pr.at(run, q0); i < pr.at(run, q1); i++ {
				p.points = append(p.points, p.point(&run[i], pr.now))
			}
		}
		if len(p.points) == first {
			continue
		}
		// Full slice expressions: a consumer appending to one metric's
		// points cannot overwrite the next metric's.
		dps := p.points[first:len(p.points):len(p.points)]
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
		p.metrics = append(p.metrics, md)
	}
	pr.left -= len(p.points)
	if pr.next == len(pr.cuts)-1 && p.batch <= 0 {
		p.endPush() // all at once: nothing for next
	}
	return []metricdata.ScopeMetrics{{Scope: p.scope, Metrics: p.metrics}}
}

// point is a sample's data point: its attribute set, built once per object
// and batch, and for a delta counter its increase since the last push.
func (p *snapshotProducer) point(s *collector.Sample, now time.Time) metricdata.DataPoint[float64] {
	counter := s.Metric.Type == catalog.Counter
	dp := metricdata.DataPoint[float64]{Time: now, Value: s.Value}
	if len(s.Metric.Extra) == 0 {
		// /metrics labels these with the identity's own label text.
		set, ok := p.attrs[s.ID]
		if !ok {
			set = p.attributes(s)
			p.attrs[s.ID] = set
		}
		dp.Attributes = set
	} else {
		// One series of its object: nothing to share.
		dp.Attributes = p.attributes(s)
	}
	if !counter {
		return dp
	}
	dp.StartTime = p.start
	if p.delta {
		prev := p.prevOf(s)
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

// prevOf is where the last value of s's counter is kept.
func (p *snapshotProducer) prevOf(s *collector.Sample) *prevPoint {
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
	if len(s.Metric.Extra) == 0 {
		return id.prevOf(s.Metric.Index)
	}
	return &id.extraOf(s.Extra, s.Metric.Index).prev
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

// extraOf finds the entry of one series with extra labels, or makes one.
func (id *idEntry) extraOf(extra *[]string, metric int) *extraEntry {
	for i := range id.extras {
		// By value: a deriver may build its extra values anew each push.
		if x := &id.extras[i]; x.metric == metric && (x.extra == extra || slices.Equal(*x.extra, *extra)) {
			return x
		}
	}
	id.extras = append(id.extras, extraEntry{extra: extra, metric: metric, prev: prevPoint{metric: metric}})
	return &id.extras[len(id.extras)-1]
}

// attributes is the sample's labels, by the names /metrics gives them.
// Empty values are left out: Prometheus treats an empty label as no label.
func (p *snapshotProducer) attributes(s *collector.Sample) attribute.Set {
	var set attribute.Set
	set, p.kvs = sampleAttributesBuf(p.labels[s.Metric.Index], s, p.kvs[:0])
	return set
}

// sampleAttributes is s's labels, named names (identity labels first, then
// the metric's extra labels), without the empty ones.
func sampleAttributes(names []string, s *collector.Sample) attribute.Set {
	set, _ := sampleAttributesBuf(names, s, nil)
	return set
}

// sampleAttributesBuf is sampleAttributes with kvs as its scratch space
// (attribute.NewSet copies what it keeps).
func sampleAttributesBuf(names []string, s *collector.Sample, kvs []attribute.KeyValue) (attribute.Set, []attribute.KeyValue) {
	nID := len(names) - len(s.Metric.Extra)
	var ids []string
	if s.ID != nil {
		ids = s.ID.Values
	}
	extra := s.ExtraValues()
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
	return attribute.NewSet(kvs...), kvs
}
