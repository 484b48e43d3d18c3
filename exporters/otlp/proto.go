package otlp

import (
	"encoding/binary"

	"google.golang.org/protobuf/encoding/protowire"
)

// The OTLP protobuf wire format, as much of it as the encoder writes.

// Protobuf field numbers.
const (
	fRequestResourceMetrics = 1 // ExportMetricsServiceRequest.resource_metrics
	fRMResource             = 1 // ResourceMetrics.resource
	fRMScopeMetrics         = 2 // ResourceMetrics.scope_metrics
	fResourceAttributes     = 1 // Resource.attributes
	fSMScope                = 1 // ScopeMetrics.scope
	fSMMetrics              = 2 // ScopeMetrics.metrics
	fScopeName              = 1 // InstrumentationScope.name
	fScopeVersion           = 2 // InstrumentationScope.version
	fMetricName             = 1
	fMetricDescription      = 2
	fMetricUnit             = 3
	fMetricGauge            = 5
	fMetricSum              = 7
	fDataPoints             = 1 // Gauge.data_points, Sum.data_points
	fSumTemporality         = 2
	fSumMonotonic           = 3
	fPointAttributes        = 7 // NumberDataPoint.attributes
	fPointStart             = 2
	fPointTime              = 3
	fPointDouble            = 4
	fKVKey                  = 1
	fKVValue                = 2
	fAnyString              = 1

	temporalityDelta      = 1 // AGGREGATION_TEMPORALITY_DELTA
	temporalityCumulative = 2
)

// maxHeader bounds the two length prefixes written before a batch's metrics.
const maxHeader = 2 * (1 + binary.MaxVarintLen64)

// appendKeyValue appends a KeyValue with a string value as field num.
func appendKeyValue(b []byte, num protowire.Number, k, v string) []byte {
	anyLen := protowire.SizeTag(fAnyString) + protowire.SizeBytes(len(v))
	kvLen := protowire.SizeTag(fKVKey) + protowire.SizeBytes(len(k)) + protowire.SizeTag(fKVValue) + protowire.SizeBytes(anyLen)
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(kvLen))
	b = protowire.AppendTag(b, fKVKey, protowire.BytesType)
	b = protowire.AppendString(b, k)
	b = protowire.AppendTag(b, fKVValue, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(anyLen))
	b = protowire.AppendTag(b, fAnyString, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// pointSize is the encoded size of a NumberDataPoint.
func pointSize(p *pointRef, counter bool) int {
	n := len(p.attrs) + 2*(protowire.SizeTag(fPointTime)+protowire.SizeFixed64())
	if counter {
		n += protowire.SizeTag(fPointStart) + protowire.SizeFixed64()
	}
	return n
}

// finish writes the request's header before its metrics and returns the
// whole request, which stays valid until the next encode call.
func (e *encoder) finish() []byte {
	metrics := len(e.buf) - e.reserve
	sm := len(e.scope) + metrics
	rm := len(e.resource) + protowire.SizeTag(fRMScopeMetrics) + protowire.SizeBytes(sm)
	h := make([]byte, 0, e.reserve)
	h = protowire.AppendTag(h, fRequestResourceMetrics, protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(rm))
	h = append(h, e.resource...)
	h = protowire.AppendTag(h, fRMScopeMetrics, protowire.BytesType)
	h = protowire.AppendVarint(h, uint64(sm))
	h = append(h, e.scope...)
	start := e.reserve - len(h)
	copy(e.buf[start:], h)
	return e.buf[start:]
}
