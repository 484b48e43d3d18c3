package otlp

import (
	"encoding/binary"
	"math"

	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/protobuf/encoding/protowire"
)

// The OTLP protobuf wire format, as much of it as the encoder writes: the
// field numbers of opentelemetry/proto/metrics/v1/metrics.proto,
// common/v1/common.proto and resource/v1/resource.proto.
const (
	fRequestResourceMetrics = 1 // ExportMetricsServiceRequest.resource_metrics
	fRMResource             = 1 // ResourceMetrics.resource
	fRMScopeMetrics         = 2 // ResourceMetrics.scope_metrics
	fRMSchemaURL            = 3 // ResourceMetrics.schema_url
	fResourceAttributes     = 1 // Resource.attributes
	fSMScope                = 1 // ScopeMetrics.scope
	fSMMetrics              = 2 // ScopeMetrics.metrics
	fSMSchemaURL            = 3 // ScopeMetrics.schema_url
	fScopeName              = 1 // InstrumentationScope.name
	fScopeVersion           = 2 // InstrumentationScope.version
	fScopeAttributes        = 3 // InstrumentationScope.attributes
	fMetricName             = 1
	fMetricDescription      = 2
	fMetricUnit             = 3
	fMetricGauge            = 5
	fMetricSum              = 7
	fDataPoints             = 1 // Gauge.data_points, Sum.data_points
	fSumTemporality         = 2
	fSumMonotonic           = 3
	fPointStart             = 2 // NumberDataPoint.start_time_unix_nano
	fPointTime              = 3
	fPointDouble            = 4
	fPointExemplars         = 5
	fPointInt               = 6
	fPointAttributes        = 7
	fExemplarTime           = 2
	fExemplarDouble         = 3
	fExemplarSpanID         = 4
	fExemplarTraceID        = 5
	fExemplarInt            = 6
	fExemplarAttributes     = 7
	fKVKey                  = 1 // KeyValue.key
	fKVValue                = 2
	fAnyString              = 1 // AnyValue.string_value
	fAnyBool                = 2
	fAnyInt                 = 3
	fAnyDouble              = 4
	fAnyArray               = 5
	fAnyKVList              = 6
	fAnyBytes               = 7
	fListValues             = 1 // ArrayValue.values, KeyValueList.values

	temporalityDelta      = 1 // AGGREGATION_TEMPORALITY_DELTA
	temporalityCumulative = 2
)

// maxHeader bounds the tag and length prefix written before a request's
// ResourceMetrics.
const maxHeader = 1 + binary.MaxVarintLen64

// appendKeyValue appends kv as a KeyValue message in field num.
func appendKeyValue(b []byte, num protowire.Number, kv attribute.KeyValue) []byte {
	if kv.Value.Type() == attribute.STRING {
		// Every ddiscope label: written in place, without the buffers of
		// the nested messages below.
		v := kv.Value.AsString()
		anyLen := protowire.SizeTag(fAnyString) + protowire.SizeBytes(len(v))
		bodyLen := sizeString(fKVKey, string(kv.Key)) + protowire.SizeTag(fKVValue) + protowire.SizeBytes(anyLen)
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(bodyLen))
		b = appendString(b, fKVKey, string(kv.Key))
		b = protowire.AppendTag(b, fKVValue, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(anyLen))
		b = protowire.AppendTag(b, fAnyString, protowire.BytesType)
		return protowire.AppendString(b, v)
	}
	var body []byte
	body = appendString(body, fKVKey, string(kv.Key))
	body = protowire.AppendTag(body, fKVValue, protowire.BytesType)
	body = protowire.AppendBytes(body, appendAnyValue(nil, kv.Value))
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

// appendAnyValue appends the fields of an AnyValue holding v. A oneof
// field is written even when its value is the zero one.
func appendAnyValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		b = protowire.AppendTag(b, fAnyString, protowire.BytesType)
		return protowire.AppendString(b, v.AsString())
	case attribute.BOOL:
		b = protowire.AppendTag(b, fAnyBool, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, fAnyInt, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = protowire.AppendTag(b, fAnyDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.BYTESLICE:
		b = protowire.AppendTag(b, fAnyBytes, protowire.BytesType)
		return protowire.AppendBytes(b, v.AsByteSlice())
	case attribute.BOOLSLICE:
		return appendArray(b, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		return appendArray(b, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		return appendArray(b, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		return appendArray(b, v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		return appendArray(b, v.AsSlice(), func(v attribute.Value) attribute.Value { return v })
	case attribute.MAP:
		var list []byte
		for _, kv := range v.AsMap() {
			list = appendKeyValue(list, fListValues, kv)
		}
		b = protowire.AppendTag(b, fAnyKVList, protowire.BytesType)
		return protowire.AppendBytes(b, list)
	case attribute.EMPTY:
		return b
	}
	// What the SDK's own exporters send for a type they do not know.
	b = protowire.AppendTag(b, fAnyString, protowire.BytesType)
	return protowire.AppendString(b, "INVALID")
}

func appendArray[T any](b []byte, vs []T, value func(T) attribute.Value) []byte {
	var arr []byte
	for _, v := range vs {
		arr = protowire.AppendTag(arr, fListValues, protowire.BytesType)
		arr = protowire.AppendBytes(arr, appendAnyValue(nil, value(v)))
	}
	b = protowire.AppendTag(b, fAnyArray, protowire.BytesType)
	return protowire.AppendBytes(b, arr)
}

// appendString appends a string field, which proto3 leaves out when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func sizeString(num protowire.Number, s string) int {
	if s == "" {
		return 0
	}
	return protowire.SizeTag(num) + protowire.SizeBytes(len(s))
}
