package collector

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
)

// Group (and Grouped) order samples by catalog metric and keeps each metric's samples in
// the order they came, as a stable sort would.
func TestGroupIsAStableSortByMetric(t *testing.T) {
	metrics := make([]*catalog.Metric, 7)
	for i := range metrics {
		metrics[i] = &catalog.Metric{Index: i}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 10, 1000} {
		samples := make([]Sample, n)
		for i := range samples {
			samples[i] = Sample{Metric: metrics[r.IntN(len(metrics))], Value: float64(i)} // Value: arrival order
		}
		want := slices.Clone(samples)
		slices.SortStableFunc(want, func(a, b Sample) int { return a.Metric.Index - b.Metric.Index })
		src := slices.Clone(samples)
		s := Snapshot{Samples: samples}
		s.Group(len(metrics))
		if !slices.Equal(s.Samples, want) {
			t.Errorf("%d samples: grouped %v, want %v", n, values(s.Samples), values(want))
		}
		// Grouped does the same into a new slice of exactly n samples,
		// leaving its source as it was.
		kept := slices.Clone(src)
		if g := Grouped(src, len(metrics)); !slices.Equal(g, want) || len(g) != cap(g) || !slices.Equal(src, kept) {
			t.Errorf("%d samples: Grouped %v (cap %d), want %v", n, values(g), cap(g), values(want))
		}
	}
}

func values(s []Sample) []float64 {
	out := make([]float64, len(s))
	for i := range s {
		out[i] = s[i].Value
	}
	return out
}
