package collector

import (
	"errors"
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

// A snapshot's memory may be reused once the store has replaced it and every
// reader that got it from the store has let go of it; never before, and
// never for a snapshot the store did not hold.
func TestSnapshotReusableWhenStoreAndReadersLetGo(t *testing.T) {
	store := NewStore()
	store.Register("kea1", "kea")
	first, second, dropped := &Snapshot{}, &Snapshot{}, &Snapshot{}
	store.Success("kea1", first, 0, 0)
	if first.Reusable() {
		t.Fatal("the store's latest snapshot is reusable")
	}
	reader, _ := store.Targets()
	one, _ := store.Target("kea1")
	store.Success("kea1", second, 0, 0)
	if first.Reusable() {
		t.Fatal("a snapshot two readers hold is reusable once the store replaced it")
	}
	store.Release(reader...)
	if first.Reusable() {
		t.Fatal("a snapshot one reader still holds is reusable")
	}
	store.Release(one)
	if !first.Reusable() {
		t.Fatal("replaced and released by all, the snapshot is not reusable")
	}
	if dropped.Reusable() {
		t.Fatal("a snapshot the store never held is reusable: whoever made it may still hand it out")
	}
	store.FailureWith("kea1", ReasonTimeout, errors.New("timeout"), 0, nil)
	if !second.Reusable() {
		t.Fatal("a failed poll left the replaced snapshot held")
	}
	third := &Snapshot{}
	store.Success("kea1", third, 0, 0)
	store.Remove("kea1")
	if !third.Reusable() {
		t.Fatal("a removed target's snapshot is still held")
	}
}
