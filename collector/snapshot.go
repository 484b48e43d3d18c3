// Package collector runs one poller per target and keeps the latest snapshot
// of each in a Store that the exporters read. A scrape never waits on Kea.
package collector

import (
	"time"

	"github.com/ddiscope/ddiscope/catalog"
)

// Sample is one series of one metric. Identity labels (server, subnet, pool,
// …) are shared between the samples of one object: at 10,000 subnets a
// snapshot holds ~150,000 samples, and sharing keeps it to a few MB.
type Sample struct {
	Metric *catalog.Metric
	ID     *Identity // values of catalog.ScopeLabels(Metric.Scope)
	// Extra points at the values of Metric.Extra, shared (usually with the
	// catalog binding the statistic came through); nil when there are none.
	// A pointer keeps a sample at 32 bytes.
	Extra *[]string
	Value float64
}

// ExtraValues returns the values of the metric's extra labels.
func (s *Sample) ExtraValues() []string {
	if s.Extra == nil {
		return nil
	}
	return *s.Extra
}

// Snapshot is the immutable result of one successful poll of one target.
type Snapshot struct {
	Target  string
	Kind    string // "kea" or "bind"
	Time    time.Time
	Samples []Sample // sorted by metric order in the catalog, then by labels
	// Detail is what a CrossDeriver of the same kind needs beyond samples
	// (Kea: the HA relationships' subnet definitions, for the review across
	// peers). Immutable, like the samples; nil when there is none.
	Detail any
}

// Grouped returns a new slice of exactly src's samples, grouped by metric
// as Group does. It scatters each sample straight to its place, one
// sequential pass over src writing a stream per metric: much cheaper than
// Group's swaps along the permutation's cycles, which jump all over a 3 MB
// slice, for a caller that keeps src as a buffer anyway.
func Grouped(src []Sample, metrics int) []Sample {
	next := make([]int, metrics+1)
	for i := range src {
		next[src[i].Metric.Index+1]++
	}
	for i := 1; i < len(next); i++ {
		next[i] += next[i-1]
	}
	dst := make([]Sample, len(src))
	for i := range src {
		m := src[i].Metric.Index
		dst[next[m]] = src[i]
		next[m]++
	}
	return dst
}

// Group orders samples by their metric's position in the catalog, keeping
// the order of samples within a metric: the exposition format needs one block
// per family, and Kea lists its statistics in a stable order. It is a
// counting sort: a snapshot at 10,000 subnets has ~150,000 samples, and a
// comparison sort would cost more than the poll. It sorts in place, moving
// each sample along the cycles of the permutation, so that a poll does not
// hold a second copy of its samples (3 MB at 100,000 series) at its peak.
func (s *Snapshot) Group(metrics int) {
	counts := make([]int, metrics+1)
	for i := range s.Samples {
		counts[s.Samples[i].Metric.Index+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	dest := make([]int32, len(s.Samples)) // where each sample goes
	for i := range s.Samples {
		m := s.Samples[i].Metric.Index
		dest[i] = int32(counts[m])
		counts[m]++
	}
	for i := range dest {
		for int(dest[i]) != i {
			j := dest[i]
			s.Samples[i], s.Samples[j] = s.Samples[j], s.Samples[i]
			dest[i], dest[j] = dest[j], dest[i]
		}
	}
}
