package otlp

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/protobuf/encoding/protowire"
)

// encoder writes the SDK's metricdata as OTLP ExportMetricsServiceRequest
// messages, as exporters/prometheus writes the text format: straight into
// one reused buffer, with each attribute set encoded once and copied into
// every push after. The SDK's own OTLP exporters first convert every data
// point to generated protobuf structs and then marshal those; at 100,000
// data points that costs 240 to 300 ms of CPU a push beyond the SDK's
// collection (docs/otlp.md), two to three times the budget.
// TestEncoderMatchesSDKExporter checks that both send the same messages.
//
// It writes Sum and Gauge metrics of int64 or float64 points, which is all
// ddiscope makes; another kind of metric is an error that names it.
type encoder struct {
	maxPoints int

	// Encoded NumberDataPoint.attributes fields by attribute set, for the
	// request being built: a request holds a batch of objects with all
	// their series (producer.go), so that a set is encoded once a request
	// and nothing is kept from one request to the next. Keyed by the set's
	// hash, as the SDK keys its own aggregations.
	attrs map[attribute.Distinct]span
	arena []byte // the encoded attributes of the request's sets
	last  attribute.Distinct
	lastB span

	// The request being built: room for its header, then its
	// ResourceMetrics' ScopeMetrics from head on, written in place: the
	// open scope's metrics follow a gap for its header, which endScope
	// fills, moving the scopes before it (the SDK's small one) up to close
	// the gap rather than the metrics down.
	req     []byte
	head    int
	open    bool // a ScopeMetrics is open at smStart
	smStart int
	scope   []byte // the current ScopeMetrics' scope and schema_url fields
	hbuf    []byte
	res     []byte // the ResourceMetrics' resource and schema_url fields
	n       int    // data points in the request
	sizes   []int  // of the data points of the metric being written
	pattr   []span // and their encoded attributes
	send    func(req []byte, points int) bool
	stopped bool // send said stop
}

// span is a part of the encoder's arena.
type span struct{ off, end int }

func newEncoder(maxPoints int) *encoder {
	return &encoder{maxPoints: maxPoints, attrs: map[attribute.Distinct]span{}}
}

// errStopped ends an encode whose send said stop.
var errStopped = errors.New("stopped")

// encode writes rm as requests of at most maxPoints data points, calling
// send with each request and its number of points; it stops when send
// returns false. The request bytes are reused after send returns. The error
// names every metric that could not be written; the others are sent.
func (e *encoder) encode(rm *metricdata.ResourceMetrics, send func(req []byte, points int) bool) (skipped int, err error) {
	e.begin(rm.Resource, send)
	skipped, err = e.add(rm.ScopeMetrics)
	e.cut()
	return skipped, err
}

// begin starts a push of resource's metrics, which add writes and cut
// sends.
func (e *encoder) begin(res *resource.Resource, send func(req []byte, points int) bool) {
	e.send = send
	e.stopped = false
	e.res = e.res[:0]
	var b []byte
	iter := res.Iter()
	for iter.Next() {
		b = appendKeyValue(b, fResourceAttributes, iter.Attribute())
	}
	e.res = protowire.AppendTag(e.res, fRMResource, protowire.BytesType)
	e.res = protowire.AppendBytes(e.res, b)
	if u := res.SchemaURL(); u != "" {
		e.res = protowire.AppendTag(e.res, fRMSchemaURL, protowire.BytesType)
		e.res = protowire.AppendString(e.res, u)
	}
	e.startRequest()
}

// add writes scopes into the request under way, sending it whenever it is
// full. The error names every metric that could not be written, and
// skipped is their points; the others are sent, unless send said stop.
func (e *encoder) add(scopes []metricdata.ScopeMetrics) (skipped int, err error) {
	var errs []error
	for i := range scopes {
		sm := &scopes[i]
		e.startScope(sm.Scope)
		for j := range sm.Metrics {
			m := &sm.Metrics[j]
			n, err := e.metric(m)
			if errors.Is(err, errStopped) {
				e.stopped = true
				return skipped, errors.Join(errs...)
			}
			if err != nil {
				skipped += n
				errs = append(errs, err)
			}
		}
		e.endScope()
	}
	return skipped, errors.Join(errs...)
}

// cut sends what the request under way holds, and starts the next.
func (e *encoder) cut() {
	if !e.stopped && e.n > 0 {
		e.stopped = !e.flush()
	}
}

// metric writes one metric; for one it cannot write, it returns its number
// of data points and why.
func (e *encoder) metric(m *metricdata.Metrics) (int, error) {
	switch d := m.Data.(type) {
	case metricdata.Gauge[float64]:
		return 0, numberMetric(e, m, fMetricGauge, 0, false, d.DataPoints)
	case metricdata.Gauge[int64]:
		return 0, numberMetric(e, m, fMetricGauge, 0, false, d.DataPoints)
	case metricdata.Sum[float64]:
		t, err := temporality(m, d.Temporality)
		if err != nil {
			return len(d.DataPoints), err
		}
		return 0, numberMetric(e, m, fMetricSum, t, d.IsMonotonic, d.DataPoints)
	case metricdata.Sum[int64]:
		t, err := temporality(m, d.Temporality)
		if err != nil {
			return len(d.DataPoints), err
		}
		return 0, numberMetric(e, m, fMetricSum, t, d.IsMonotonic, d.DataPoints)
	default:
		return 0, fmt.Errorf("metric %s: %T is not a kind ddiscope exports; it was not sent", m.Name, m.Data)
	}
}

func temporality(m *metricdata.Metrics, t metricdata.Temporality) (uint64, error) {
	switch t {
	case metricdata.CumulativeTemporality:
		return temporalityCumulative, nil
	case metricdata.DeltaTemporality:
		return temporalityDelta, nil
	}
	return 0, fmt.Errorf("metric %s: unknown temporality %v; it was not sent", m.Name, t)
}

// numberMetric writes a Gauge (temporality 0) or a Sum, split across
// requests where it does not fit in the room left.
func numberMetric[N int64 | float64](e *encoder, m *metricdata.Metrics, field protowire.Number, temporality uint64, monotonic bool, dps []metricdata.DataPoint[N]) error {
	for first := true; first || len(dps) > 0; first = false {
		if e.n == e.maxPoints {
			if !e.flush() {
				return errStopped
			}
		}
		chunk := dps[:min(len(dps), e.maxPoints-e.n)]
		dps = dps[len(chunk):]

		e.sizes, e.pattr = e.sizes[:0], e.pattr[:0]
		data := 0
		for i := range chunk {
			a := e.attributes(chunk[i].Attributes)
			sz := pointSize(e.arena[a.off:a.end], &chunk[i])
			e.sizes, e.pattr = append(e.sizes, sz), append(e.pattr, a)
			data += protowire.SizeTag(fDataPoints) + protowire.SizeBytes(sz)
		}
		if temporality != 0 {
			data += protowire.SizeTag(fSumTemporality) + protowire.SizeVarint(temporality)
			if monotonic {
				data += protowire.SizeTag(fSumMonotonic) + 1
			}
		}
		size := sizeString(fMetricName, m.Name) + sizeString(fMetricDescription, m.Description) + sizeString(fMetricUnit, m.Unit) +
			protowire.SizeTag(field) + protowire.SizeBytes(data)

		e.openScope()
		b := e.req
		b = protowire.AppendTag(b, fSMMetrics, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(size))
		b = appendString(b, fMetricName, m.Name)
		b = appendString(b, fMetricDescription, m.Description)
		b = appendString(b, fMetricUnit, m.Unit)
		b = protowire.AppendTag(b, field, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(data))
		if temporality != 0 {
			b = protowire.AppendTag(b, fSumTemporality, protowire.VarintType)
			b = protowire.AppendVarint(b, temporality)
			if monotonic {
				b = protowire.AppendTag(b, fSumMonotonic, protowire.VarintType)
				b = protowire.AppendVarint(b, 1)
			}
		}
		for i := range chunk {
			a := e.pattr[i]
			b = appendPoint(b, e.sizes[i], e.arena[a.off:a.end], &chunk[i])
		}
		e.req = b
		e.n += len(chunk)
	}
	return nil
}

// attributes returns where the encoded attributes of set are, encoding
// them on first sight in the request.
func (e *encoder) attributes(set attribute.Set) span {
	k := set.Equivalent()
	if k == e.last && e.lastB.end > 0 {
		return e.lastB
	}
	a, ok := e.attrs[k]
	if !ok {
		a.off = len(e.arena)
		iter := set.Iter()
		for iter.Next() {
			e.arena = appendKeyValue(e.arena, fPointAttributes, iter.Attribute())
		}
		a.end = len(e.arena)
		e.attrs[k] = a
	}
	e.last, e.lastB = k, a
	return a
}

// pointSize is the encoded size of a NumberDataPoint.
func pointSize[N int64 | float64](attrs []byte, dp *metricdata.DataPoint[N]) int {
	n := len(attrs) + protowire.SizeTag(fPointDouble) + protowire.SizeFixed64()
	if unixNano(dp.StartTime) != 0 {
		n += protowire.SizeTag(fPointStart) + protowire.SizeFixed64()
	}
	if unixNano(dp.Time) != 0 {
		n += protowire.SizeTag(fPointTime) + protowire.SizeFixed64()
	}
	for i := range dp.Exemplars {
		n += protowire.SizeTag(fPointExemplars) + protowire.SizeBytes(exemplarSize(&dp.Exemplars[i]))
	}
	return n
}

func appendPoint[N int64 | float64](b []byte, size int, attrs []byte, dp *metricdata.DataPoint[N]) []byte {
	b = protowire.AppendTag(b, fDataPoints, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	b = append(b, attrs...)
	if t := unixNano(dp.StartTime); t != 0 {
		b = protowire.AppendTag(b, fPointStart, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, t)
	}
	if t := unixNano(dp.Time); t != 0 {
		b = protowire.AppendTag(b, fPointTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, t)
	}
	b = appendNumber(b, fPointDouble, fPointInt, dp.Value)
	for i := range dp.Exemplars {
		x := &dp.Exemplars[i]
		b = protowire.AppendTag(b, fPointExemplars, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(exemplarSize(x)))
		b = appendExemplar(b, x)
	}
	return b
}

// appendNumber writes v as the double or the int field of a oneof, which
// is written even when zero.
func appendNumber[N int64 | float64](b []byte, double, integer protowire.Number, v N) []byte {
	switch v := any(v).(type) {
	case float64:
		b = protowire.AppendTag(b, double, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v))
	case int64:
		b = protowire.AppendTag(b, integer, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, uint64(v))
	}
	return b
}

func exemplarSize[N int64 | float64](x *metricdata.Exemplar[N]) int {
	n := protowire.SizeTag(fExemplarDouble) + protowire.SizeFixed64()
	for _, kv := range x.FilteredAttributes {
		n += len(appendKeyValue(nil, fExemplarAttributes, kv))
	}
	if unixNano(x.Time) != 0 {
		n += protowire.SizeTag(fExemplarTime) + protowire.SizeFixed64()
	}
	if len(x.SpanID) > 0 {
		n += protowire.SizeTag(fExemplarSpanID) + protowire.SizeBytes(len(x.SpanID))
	}
	if len(x.TraceID) > 0 {
		n += protowire.SizeTag(fExemplarTraceID) + protowire.SizeBytes(len(x.TraceID))
	}
	return n
}

func appendExemplar[N int64 | float64](b []byte, x *metricdata.Exemplar[N]) []byte {
	if t := unixNano(x.Time); t != 0 {
		b = protowire.AppendTag(b, fExemplarTime, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, t)
	}
	b = appendNumber(b, fExemplarDouble, fExemplarInt, x.Value)
	if len(x.SpanID) > 0 {
		b = protowire.AppendTag(b, fExemplarSpanID, protowire.BytesType)
		b = protowire.AppendBytes(b, x.SpanID)
	}
	if len(x.TraceID) > 0 {
		b = protowire.AppendTag(b, fExemplarTraceID, protowire.BytesType)
		b = protowire.AppendBytes(b, x.TraceID)
	}
	for _, kv := range x.FilteredAttributes {
		b = appendKeyValue(b, fExemplarAttributes, kv)
	}
	return b
}

// unixNano is t in Unix nanoseconds, 0 (not written) for the zero time.
func unixNano(t time.Time) uint64 {
	return uint64(max(0, t.UnixNano()))
}

// startRequest leaves room for the request's header before its scopes.
func (e *encoder) startRequest() {
	e.head = len(e.res) + maxHeader
	e.req = append(e.req[:0], make([]byte, e.head)...)
	e.n = 0
	e.open = false
	clear(e.attrs)
	e.arena, e.lastB = e.arena[:0], span{}
}

func (e *encoder) startScope(s instrumentation.Scope) {
	var b []byte
	b = appendString(b, fScopeName, s.Name)
	b = appendString(b, fScopeVersion, s.Version)
	iter := s.Attributes.Iter()
	for iter.Next() {
		b = appendKeyValue(b, fScopeAttributes, iter.Attribute())
	}
	e.scope = protowire.AppendTag(e.scope[:0], fSMScope, protowire.BytesType)
	e.scope = protowire.AppendBytes(e.scope, b)
	if s.SchemaURL != "" {
		e.scope = appendString(e.scope, fSMSchemaURL, s.SchemaURL)
	}
	e.open = false
}

// gap is the room before an open scope's metrics.
func (e *encoder) gap() int { return maxHeader + len(e.scope) }

// openScope starts a ScopeMetrics of the current scope in the request, if
// none is open: its metrics are written after a gap for its header.
func (e *encoder) openScope() {
	if !e.open {
		e.open, e.smStart = true, len(e.req)
		e.req = append(e.req, make([]byte, e.gap())...)
	}
}

// endScope writes the open ScopeMetrics' header before its metrics.
func (e *encoder) endScope() {
	if !e.open {
		return
	}
	e.open = false
	body := e.smStart + e.gap()
	h := protowire.AppendTag(e.hbuf[:0], fRMScopeMetrics, protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(len(e.scope)+len(e.req)-body))
	h = append(h, e.scope...)
	e.hbuf = h
	hole := body - e.smStart - len(h)
	copy(e.req[e.smStart+hole:], h)
	copy(e.req[e.head+hole:e.smStart+hole], e.req[e.head:e.smStart])
	e.head += hole
}

// flush sends the request built so far and starts the next, in the same
// scope; false when send said stop.
func (e *encoder) flush() bool {
	e.endScope()
	h := protowire.AppendTag(e.hbuf[:0], fRequestResourceMetrics, protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(len(e.res)+len(e.req)-e.head))
	h = append(h, e.res...)
	e.hbuf = h
	start := e.head - len(h)
	copy(e.req[start:], h)
	if !e.send(e.req[start:], e.n) {
		return false
	}
	e.startRequest()
	return true
}
