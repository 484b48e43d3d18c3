package otlp

import (
	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// targetIdentities keeps one identity per target across collections, so
// that the attribute sets of the per-target self-metrics are built once.
type targetIdentities map[[2]string]*collector.Identity

// samples are the per-target self-metrics /metrics renders (ddiscope_target_up,
// ddiscope_poll_*, …), grouped by metric, computed from the store the same
// way as exporters/prometheus's selfSamples; the push tests compare the two.
func (ti targetIdentities) samples(cat *catalog.Catalog, targets []*collector.TargetStatus) []collector.Sample {
	m := cat.Metric
	up, dur, last, polls, errs, series, unknown := m("ddiscope_target_up"), m("ddiscope_poll_duration_seconds"),
		m("ddiscope_last_success_timestamp_seconds"), m("ddiscope_polls_total"), m("ddiscope_poll_errors_total"),
		m("ddiscope_target_series"), m("ddiscope_unknown_statistics")
	if up == nil || dur == nil || last == nil || polls == nil || errs == nil || series == nil || unknown == nil {
		return nil
	}
	out := make([]collector.Sample, 0, len(targets)*(6+len(keactl.Reasons)))
	seen := make(map[[2]string]bool, len(targets))
	for _, t := range targets {
		k := [2]string{t.Name, t.Kind}
		seen[k] = true
		id := ti[k]
		if id == nil {
			id = collector.NewIdentity(catalog.ScopeTarget, t.Name, t.Kind)
			ti[k] = id
		}
		n := 0
		if t.Snapshot != nil {
			n = len(t.Snapshot.Samples)
		}
		var lastTS float64
		if !t.LastSuccess.IsZero() {
			lastTS = float64(t.LastSuccess.UnixMilli()) / 1000
		}
		out = append(out,
			collector.Sample{Metric: up, ID: id, Value: b2f(t.Up)},
			collector.Sample{Metric: dur, ID: id, Value: t.PollDuration.Seconds()},
			collector.Sample{Metric: last, ID: id, Value: lastTS},
			collector.Sample{Metric: polls, ID: id, Value: float64(t.Polls)},
			collector.Sample{Metric: series, ID: id, Value: float64(n)},
			collector.Sample{Metric: unknown, ID: id, Value: float64(t.Unknown)},
		)
		for i, r := range keactl.Reasons {
			out = append(out, collector.Sample{Metric: errs, ID: id, Extra: &reasonValues[i], Value: float64(t.Errors[r])})
		}
	}
	for k := range ti {
		if !seen[k] {
			delete(ti, k)
		}
	}
	s := collector.Snapshot{Samples: out}
	s.Group(len(cat.Metrics))
	return s.Samples
}

// reasonValues are the values of ddiscope_poll_errors_total's reason label.
var reasonValues = func() [][]string {
	v := make([][]string, len(keactl.Reasons))
	for i, r := range keactl.Reasons {
		v[i] = []string{string(r)}
	}
	return v
}()

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

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
