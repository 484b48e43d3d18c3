// Package collector runs one poller per target and keeps the latest snapshot
// of each in a Store that the exporters read. A scrape never waits on Kea.
package collector

import (
	"slices"
	"sync/atomic"
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

	// refs counts who may still read the samples: the store while this is
	// a target's latest snapshot, and each caller of Store.Targets or
	// Store.Target until it calls Store.Release. stored says the store
	// held it once: only a snapshot stored and let go by everyone can have
	// its samples' memory reused by its poller (Reusable).
	refs   atomic.Int32
	stored atomic.Bool
}

func (s *Snapshot) acquire() {
	if s != nil {
		s.stored.Store(true)
		s.refs.Add(1)
	}
}

func (s *Snapshot) release() {
	if s != nil {
		s.refs.Add(-1)
	}
}

// Recycler keeps the last snapshots a poller made and lends the memory of
// one that nobody reads any more (Reusable) to the poller's next snapshot:
// a fresh slice of 100,000 samples costs ten times the copy into it (the
// runtime zeroes it, the kernel faults its pages in), more after 15 s of
// sleep. The zero value is ready; a poller uses its own, from one goroutine.
type Recycler struct {
	made []*Snapshot // newest last
}

// recycled bounds the snapshots kept to lend memory: the store's latest and
// the one before it are usually still read, a third is usually free.
const recycled = 3

// Made records a snapshot the poller made.
func (r *Recycler) Made(s *Snapshot) {
	r.made = append(r.made, s)
}

// Memory returns, emptied, the samples' memory of a snapshot nobody reads
// any more that can hold n samples, or nil. Snapshots past the bound are
// let go to the garbage collector.
func (r *Recycler) Memory(n int) []Sample {
	for i, old := range r.made {
		if old.Reusable() && cap(old.Samples) >= n {
			mem := old.Samples
			old.Samples = nil // a reader that broke the rules sees nothing, not another poll's samples
			r.made = slices.Delete(r.made, i, i+1)
			return mem[:0]
		}
	}
	if len(r.made) >= recycled {
		r.made = slices.Delete(r.made, 0, len(r.made)-recycled+1)
	}
	return nil
}

// Reusable says whether nobody can read s's samples any more: the store
// held s and replaced it, and every reader that got it from the store has
// released it. A reader that never releases keeps s from being reused,
// never the other way round.
func (s *Snapshot) Reusable() bool {
	return s.stored.Load() && s.refs.Load() <= 0
}

// Grouped returns a new slice of exactly src's samples, grouped by metric
// as Group does. It scatters each sample straight to its place, one
// sequential pass over src writing a stream per metric: much cheaper than
// Group's swaps along the permutation's cycles, which jump all over a 3 MB
// slice, for a caller that keeps src as a buffer anyway.
func Grouped(src []Sample, metrics int) []Sample {
	return GroupedInto(nil, src, metrics)
}

// GroupedInto is Grouped writing into dst's memory when it is large enough
// (a snapshot that is Reusable), allocating otherwise. A fresh slice of
// 100,000 samples costs ten times the scatter itself: the runtime zeroes
// it and the kernel faults its pages in.
func GroupedInto(dst, src []Sample, metrics int) []Sample {
	next := make([]int, metrics+1)
	for i := range src {
		next[src[i].Metric.Index+1]++
	}
	for i := 1; i < len(next); i++ {
		next[i] += next[i-1]
	}
	if cap(dst) >= len(src) {
		clear(dst[len(src):cap(dst)]) // hold on to nothing of the last poll
		dst = dst[:len(src)]
	} else {
		dst = make([]Sample, len(src))
	}
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
