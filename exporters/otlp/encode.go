package otlp

import (
	"math"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// encoder writes OTLP ExportMetricsServiceRequest messages straight from the
// snapshots, as exporters/prometheus writes the text format: at 10,000
// subnets a push has 100,000 to 240,000 data points, and the SDK's path
// (observe, aggregate, copy into metricdata, convert to generated protobuf
// structs, marshal) costs about 5.5 µs a point, 1.3 s a push, 13 times the
// budget (docs/otlp.md). A test checks that the SDK and this encoder push the
// same data.
//
// Field numbers are those of opentelemetry/proto/metrics/v1/metrics.proto,
// common/v1/common.proto and resource/v1/resource.proto.
type encoder struct {
	cat       *catalog.Catalog
	heads     [][]byte // by Metric.Index: Metric's name, description and unit fields
	labels    [][]string
	resource  []byte // ResourceMetrics.resource field
	scope     []byte // ScopeMetrics.scope field
	reserve   int    // room left before a request's metrics for its header
	maxPoints int
	delta     bool   // counters as deltas since the last push
	start     uint64 // cumulative start time: when the exporter started

	// Attribute fields and, for delta temporality, last counter values by
	// object, kept while the object is pushed: built once, copied into
	// every push. Keyed by the identity's label text, not its pointer: a
	// poller may build a new identity for the same object (each poll for
	// global and D2 key series, each config change for subnets), and delta
	// counters must carry on across that.
	ids map[string]*idEntry
	gen uint64

	buf    []byte
	points []pointRef
	now    uint64 // time of the points being encoded
}

type idEntry struct {
	plain  []byte // attributes for metrics without extra labels
	extras []extraEntry
	prev   []prevPoint // last values of its counters without extra labels
	gen    uint64      // last push that used it
}

// extraEntry is one series of a metric with extra labels.
type extraEntry struct {
	extra  *[]string // shared with the catalog binding or the deriver
	metric int
	attrs  []byte
	prev   prevPoint
}

type prevPoint struct {
	metric int
	value  float64
	time   uint64 // 0: none yet
}

type pointRef struct {
	attrs []byte
	value float64
	start uint64 // 0 for gauges
}

func newEncoder(cat *catalog.Catalog, resource map[string]string, scopeVersion string, maxPoints int, delta bool, start uint64) *encoder {
	e := &encoder{cat: cat, heads: make([][]byte, len(cat.Metrics)), labels: make([][]string, len(cat.Metrics)),
		maxPoints: maxPoints, delta: delta, start: start, ids: map[string]*idEntry{}}
	for _, m := range cat.Metrics {
		var h []byte
		h = protowire.AppendTag(h, fMetricName, protowire.BytesType)
		h = protowire.AppendString(h, catalog.OTelName(m))
		h = protowire.AppendTag(h, fMetricDescription, protowire.BytesType)
		h = protowire.AppendString(h, m.Help)
		if u := catalog.OTelUnit(m); u != "" {
			h = protowire.AppendTag(h, fMetricUnit, protowire.BytesType)
			h = protowire.AppendString(h, u)
		}
		e.heads[m.Index] = h
		e.labels[m.Index] = m.Labels()
	}
	var res []byte
	for _, k := range sortedKeys(resource) {
		res = appendKeyValue(res, fResourceAttributes, k, resource[k])
	}
	e.resource = protowire.AppendTag(nil, fRMResource, protowire.BytesType)
	e.resource = protowire.AppendBytes(e.resource, res)
	var scope []byte
	scope = protowire.AppendTag(scope, fScopeName, protowire.BytesType)
	scope = protowire.AppendString(scope, ScopeName)
	scope = protowire.AppendTag(scope, fScopeVersion, protowire.BytesType)
	scope = protowire.AppendString(scope, scopeVersion)
	e.scope = protowire.AppendTag(nil, fSMScope, protowire.BytesType)
	e.scope = protowire.AppendBytes(e.scope, scope)
	e.reserve = len(e.resource) + len(e.scope) + maxHeader
	return e
}

// encode writes the samples of sets (each grouped by metric) as requests of
// at most maxPoints data points, calling send with each request and its
// number of points; it stops, returning false, when send does. now is the
// points' time, in Unix nanoseconds. The request bytes are reused after send
// returns.
func (e *encoder) encode(sets [][]collector.Sample, now uint64, send func(req []byte, points int) bool) bool {
	e.gen++
	e.now = now
	cursor := make([]int, len(sets))
	e.buf = append(e.buf[:0], make([]byte, e.reserve)...)
	n := 0
	for _, m := range e.cat.Metrics {
		for si := 0; si < len(sets); {
			// Gather the metric's points across the sets, up to the room
			// left in this request.
			e.points = e.points[:0]
			for ; si < len(sets) && n+len(e.points) < e.maxPoints; si++ {
				set, c := sets[si], cursor[si]
				for ; c < len(set) && set[c].Metric == m && n+len(e.points) < e.maxPoints; c++ {
					e.points = append(e.points, e.point(&set[c]))
				}
				cursor[si] = c
				if c < len(set) && set[c].Metric == m {
					break // out of room with points left in this set
				}
			}
			if len(e.points) > 0 {
				e.appendMetric(m)
				n += len(e.points)
			}
			if n == e.maxPoints {
				if !send(e.finish(), n) {
					return false // keeps what the rest would have used
				}
				e.buf, n = e.buf[:e.reserve], 0
			}
			if len(e.points) == 0 {
				break
			}
		}
	}
	if n > 0 && !send(e.finish(), n) {
		return false
	}
	e.sweep()
	return true
}

// point resolves a sample's attributes and, for a delta counter, its value
// since the last push.
func (e *encoder) point(s *collector.Sample) pointRef {
	id := e.ids[s.ID.Text]
	if id == nil {
		id = &idEntry{}
		e.ids[s.ID.Text] = id
	}
	id.gen = e.gen
	var attrs []byte
	var prev *prevPoint
	counter := s.Metric.Type == catalog.Counter
	if len(s.Metric.Extra) == 0 {
		// /metrics labels these with the identity's own label text.
		if id.plain == nil {
			id.plain = e.attributes(s)
		}
		attrs = id.plain
		if counter && e.delta {
			prev = id.prevOf(s.Metric.Index)
		}
	} else {
		x := id.extraOf(s.Extra, s.Metric.Index)
		if x.attrs == nil {
			x.attrs = e.attributes(s)
		}
		attrs = x.attrs
		if counter && e.delta {
			prev = &x.prev
		}
	}
	p := pointRef{attrs: attrs, value: s.Value}
	if !counter {
		return p
	}
	p.start = e.start
	if prev != nil {
		if prev.time != 0 {
			p.start = prev.time
			if s.Value >= prev.value {
				p.value = s.Value - prev.value
			} // else the counter was reset (Kea restarted): all of it is new
		} // else the first delta is the count since the exporter started
		prev.value, prev.time = s.Value, e.now
	}
	return p
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

func (id *idEntry) extraOf(extra *[]string, metric int) *extraEntry {
	for i := range id.extras {
		// By value: a deriver may build its extra values anew each push.
		if x := &id.extras[i]; x.metric == metric && (x.extra == extra || slices.Equal(*x.extra, *extra)) {
			return x
		}
	}
	id.extras = append(id.extras, extraEntry{extra: extra, metric: metric})
	return &id.extras[len(id.extras)-1]
}

// attributes encodes the sample's labels, by the names /metrics gives them,
// as NumberDataPoint.attributes fields. Empty values are left out:
// Prometheus treats an empty label as no label.
func (e *encoder) attributes(s *collector.Sample) []byte {
	names := e.labels[s.Metric.Index]
	nID := len(names) - len(s.Metric.Extra) // identity labels come first
	var ids []string
	if s.ID != nil {
		ids = s.ID.Values
	}
	extra := s.ExtraValues()
	var b []byte
	for i, name := range names {
		var v string
		if i < nID && i < len(ids) {
			v = ids[i]
		} else if j := i - nID; j >= 0 && j < len(extra) {
			v = extra[j]
		}
		if v != "" {
			b = appendKeyValue(b, fPointAttributes, name, v)
		}
	}
	return b
}

// appendMetric writes one Metric with e.points as its data points.
func (e *encoder) appendMetric(m *catalog.Metric) {
	counter := m.Type == catalog.Counter
	dps := 0
	for i := range e.points {
		sz := pointSize(&e.points[i], counter)
		dps += protowire.SizeTag(fDataPoints) + protowire.SizeBytes(sz)
	}
	data := dps
	dataField := protowire.Number(fMetricGauge)
	if counter {
		dataField = fMetricSum
		data += 2 * (protowire.SizeTag(fSumTemporality) + 1)
	}
	head := e.heads[m.Index]
	metric := len(head) + protowire.SizeTag(dataField) + protowire.SizeBytes(data)

	b := e.buf
	b = protowire.AppendTag(b, fSMMetrics, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(metric))
	b = append(b, head...)
	b = protowire.AppendTag(b, dataField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(data))
	if counter {
		t := uint64(temporalityCumulative)
		if e.delta {
			t = temporalityDelta
		}
		b = protowire.AppendTag(b, fSumTemporality, protowire.VarintType)
		b = protowire.AppendVarint(b, t)
		b = protowire.AppendTag(b, fSumMonotonic, protowire.VarintType)
		b = protowire.AppendVarint(b, 1)
	}
	for i := range e.points {
		p := &e.points[i]
		b = protowire.AppendTag(b, fDataPoints, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(pointSize(p, counter)))
		b = append(b, p.attrs...)
		if counter {
			b = protowire.AppendTag(b, fPointStart, protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, p.start)
		}
		b = protowire.AppendTag(b, fPointTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, e.now)
		b = protowire.AppendTag(b, fPointDouble, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, math.Float64bits(p.value))
	}
	e.buf = b
}

// sweep forgets the objects gone since the last push.
func (e *encoder) sweep() {
	for k, id := range e.ids {
		if id.gen != e.gen {
			delete(e.ids, k)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
