package otlp

import (
	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// OTLP self-metric label values, shared by every sample.
var (
	resultSuccess = []string{"success"}
	resultPartial = []string{"partial"}
	resultFailed  = []string{"failed"}
	processID     = collector.NewIdentity(catalog.ScopeProcess)
)

// samples are the ddiscope_otlp_* samples, grouped by metric; none when the
// catalog lacks them.
func (s *stats) samples(cat *catalog.Catalog) []collector.Sample {
	exports, exported, dropped, dur := cat.Metric("ddiscope_otlp_exports_total"), cat.Metric("ddiscope_otlp_data_points_exported_total"),
		cat.Metric("ddiscope_otlp_data_points_dropped_total"), cat.Metric("ddiscope_otlp_export_duration_seconds")
	if exports == nil || exported == nil || dropped == nil || dur == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []collector.Sample{
		{Metric: exports, ID: processID, Extra: &resultSuccess, Value: float64(s.success)},
		{Metric: exports, ID: processID, Extra: &resultPartial, Value: float64(s.partial)},
		{Metric: exports, ID: processID, Extra: &resultFailed, Value: float64(s.failed)},
		{Metric: exported, ID: processID, Value: float64(s.exported)},
		{Metric: dropped, ID: processID, Value: float64(s.dropped)},
		{Metric: dur, ID: processID, Value: s.duration.Seconds()},
	}
	snap := collector.Snapshot{Samples: out}
	snap.Group(len(cat.Metrics))
	return snap.Samples
}
