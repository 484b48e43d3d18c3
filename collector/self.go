package collector

import (
	"github.com/ddiscope/ddiscope/catalog"
)

// SelfSamples describes the targets themselves: up, poll timing, errors.
// They are built from the store at render time, grouped by metric.
func SelfSamples(cat *catalog.Catalog, targets []*TargetStatus) []Sample {
	m := func(name string) *catalog.Metric { return cat.Metric(name) }
	up, dur, last, polls, errs, series, unknown := m("ddiscope_target_up"), m("ddiscope_poll_duration_seconds"),
		m("ddiscope_last_success_timestamp_seconds"), m("ddiscope_polls_total"), m("ddiscope_poll_errors_total"),
		m("ddiscope_target_series"), m("ddiscope_unknown_statistics")
	bindUp := m("bind_up")
	out := make([]Sample, 0, len(targets)*(6+len(Reasons)))
	reasons := make([][]string, len(Reasons))
	for i, r := range Reasons {
		reasons[i] = []string{string(r)}
	}
	for _, t := range targets {
		id := NewIdentity(catalog.ScopeTarget, t.Name, t.Kind)
		n := 0
		if t.Snapshot != nil {
			n = len(t.Snapshot.Samples)
		}
		var lastTS float64
		if !t.LastSuccess.IsZero() {
			lastTS = float64(t.LastSuccess.UnixMilli()) / 1000
		}
		out = append(out,
			Sample{Metric: up, ID: id, Value: b2f(t.Up)},
			Sample{Metric: dur, ID: id, Value: t.PollDuration.Seconds()},
			Sample{Metric: last, ID: id, Value: lastTS},
			Sample{Metric: polls, ID: id, Value: float64(t.Polls)},
			Sample{Metric: series, ID: id, Value: float64(n)},
			Sample{Metric: unknown, ID: id, Value: float64(t.Unknown)},
		)
		// bind_exporter's users alert on bind_up == 0: a down BIND target
		// has no snapshot to carry it, so it is said here.
		if bindUp != nil && t.Kind == "bind" && t.Snapshot == nil {
			out = append(out, Sample{Metric: bindUp, ID: NewIdentity(catalog.ScopeGlobal, t.Name)})
		}
		if t.Snapshot == nil && t.Partial != nil {
			out = append(out, t.Partial.Samples...)
		}
		for i, r := range Reasons {
			out = append(out, Sample{Metric: errs, ID: id, Extra: &reasons[i], Value: float64(t.Errors[r])})
		}
	}
	s := Snapshot{Samples: out}
	s.Group(len(cat.Metrics))
	return s.Samples
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
