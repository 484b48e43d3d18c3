package catalog

import "strings"

// OpenTelemetry names. The OTLP exporter pushes every catalog metric under a
// name and unit derived from the Prometheus ones by a fixed rule, so that
// nothing has to be declared twice and an OpenTelemetry Collector's
// Prometheus translation (dots to underscores, unit suffix, _total on
// monotonic sums) gives the Prometheus name back:
//
//  1. a counter's _total is dropped (the OTLP type says it is a counter);
//  2. a unit suffix equal to Metric.Unit is dropped and becomes the UCUM unit
//     ("seconds" → "s", "bytes" → "By", "ratio" → "1");
//  3. the words are joined by dots, except the pairs in otelCompounds and
//     "by" with the word after it, which keep their underscore
//     (kea.dhcp6.pd_pool.prefixes, kea.dhcp4.packets.received.by_type).
//
// A plain count (Unit "") gets the annotation of the last counted noun in its
// name ("packets" → "{packet}"), or none when otelNouns has no noun of it
// (the *_up gauges, states, info metrics). A metric family with a new
// compound or noun adds it to the tables here.

// otelCompounds are word pairs that name one thing and stay one component.
var otelCompounds = map[[2]string]bool{
	{"shared", "network"}: true, {"pd", "pool"}: true, {"last", "success"}: true,
	{"data", "points"}: true, {"in", "use"}: true, {"in", "progress"}: true,
	{"high", "water"}: true, {"multi", "threading"}: true, {"split", "brain"}: true,
	{"in", "touch"}: true,
}

// otelUCUM maps Metric.Unit to its UCUM code.
var otelUCUM = map[string]string{"seconds": "s", "bytes": "By", "ratio": "1"}

// otelNouns maps the nouns a count is of to its unit annotation.
var otelNouns = map[string]string{
	"packets": "{packet}", "addresses": "{address}", "prefixes": "{prefix}",
	"leases": "{lease}", "failures": "{failure}", "conflicts": "{conflict}",
	"reuses": "{reuse}", "ncr": "{request}", "updates": "{update}",
	"polls": "{poll}", "errors": "{error}", "series": "{series}",
	"statistics": "{statistic}", "exports": "{export}", "points": "{data_point}",
	"queries": "{query}", "requests": "{request}", "responses": "{response}",
	"answers": "{answer}", "clients": "{client}", "connections": "{connection}",
	"sockets": "{socket}", "messages": "{message}", "transfers": "{transfer}",
	"fetches": "{fetch}", "retries": "{retry}", "hits": "{hit}", "misses": "{miss}",
}

// otelUnitOverrides are the counts whose name has no counted noun.
var otelUnitOverrides = map[string]string{
	"kea_d2_queue_full_total": "{request}", // name change requests dropped
}

// OTelName returns the metric's OpenTelemetry name, for example
// kea_dhcp4_packets_received_total → kea.dhcp4.packets.received.
func OTelName(m *Metric) string {
	words := otelWords(m)
	var b strings.Builder
	for i := 0; i < len(words); i++ {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(words[i])
		if i+1 < len(words) && (words[i] == "by" || otelCompounds[[2]string{words[i], words[i+1]}]) {
			i++
			b.WriteByte('_')
			b.WriteString(words[i])
		}
	}
	return b.String()
}

// OTelUnit returns the metric's unit in UCUM (with a {annotation} for
// counts), for example "s", "1" or "{packet}".
func OTelUnit(m *Metric) string {
	if m.Unit != "" {
		if u, ok := otelUCUM[m.Unit]; ok {
			return u
		}
		return m.Unit
	}
	if u, ok := otelUnitOverrides[m.Name]; ok {
		return u
	}
	words := otelWords(m)
	for i := len(words) - 1; i >= 0; i-- {
		if u, ok := otelNouns[words[i]]; ok {
			return u
		}
	}
	return ""
}

// otelWords splits the name into words without _total and the unit suffix.
func otelWords(m *Metric) []string {
	words := strings.Split(m.Name, "_")
	if m.Type == Counter && len(words) > 1 && words[len(words)-1] == "total" {
		words = words[:len(words)-1]
	}
	if m.Unit != "" && len(words) > 1 && words[len(words)-1] == m.Unit {
		words = words[:len(words)-1]
	}
	return words
}

// OTLPSelf returns ddiscope's metrics about its own OTLP pushes. They exist
// only while OTLP is on.
func OTLPSelf() []*Metric {
	const d = "ddiscope"
	return []*Metric{
		withExtra(derived(d, ScopeProcess, Counter, "ddiscope_otlp_exports_total", "", "OTLP export requests, by result: success, partial (the receiver rejected some data points) or failed (refused, answered an error, or timed out after its retries).", "count of export requests by result"), "result"),
		derived(d, ScopeProcess, Counter, "ddiscope_otlp_data_points_exported_total", "", "Data points the OTLP receiver accepted.", "count of data points in successful exports, less those rejected"),
		derived(d, ScopeProcess, Counter, "ddiscope_otlp_data_points_dropped_total", "", "Data points that never reached the OTLP receiver: in failed exports, rejected in partial successes, or not sent because the push ran out of time.", "count of data points not delivered"),
		derived(d, ScopeProcess, Gauge, "ddiscope_otlp_export_duration_seconds", "seconds", "Wall time of the last push's export requests, retries included.", "wall time of the last push"),
	}
}
