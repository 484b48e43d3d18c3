package kea

import (
	"bytes"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// A poll writes its samples into the memory of an older snapshot only when
// nobody can read that one any more: readers of the store, holding what
// they got until they release it, always see one whole poll, never a mix
// of two. Every statistic of poll k says k, so a reader that saw a
// snapshot's memory reused under it would see two values.
func TestSnapshotMemoryReusedOnlyWhenNobodyReads(t *testing.T) {
	p, ds := benchPoller(t, 50)
	firstValue := regexp.MustCompile(`\[ \[ [0-9]+,`)
	reply := func(k int) []byte {
		return firstValue.ReplaceAll(keagen.StatisticGetAll4(50, 1, true), fmt.Appendf(nil, "[ [ %d,", k))
	}
	store := collector.NewStore()
	store.Register("kea1", "kea")
	const polls = 60
	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				targets, _ := store.Targets()
				if snap := targets[0].Snapshot; snap != nil {
					seen := -1.0
					for range 3 { // read it several times, a while apart
						for _, s := range snap.Samples {
							if s.Metric.Type != catalog.Counter {
								continue // derived ratios and the like
							}
							if seen < 0 {
								seen = s.Value
							} else if s.Value != seen {
								t.Errorf("one snapshot holds statistics of poll %v and of poll %v", seen, s.Value)
								stop.Store(true)
							}
						}
						time.Sleep(100 * time.Microsecond)
					}
					reads.Add(1)
				}
				store.Release(targets...)
			}
		})
	}
	memory := map[*collector.Sample]bool{}
	reused := 0
	for k := 1; k <= polls && !stop.Load(); k++ {
		snap := &collector.Snapshot{Target: "kea1", Kind: "kea", Time: time.Now(), Samples: p.work[:0]}
		if _, _, _, err := p.parseStats(ds, bytes.NewReader(reply(k)), snap); err != nil {
			t.Fatal(err)
		}
		p.group(snap)
		if memory[&snap.Samples[0]] {
			reused++
		}
		memory[&snap.Samples[0]] = true
		store.Success("kea1", snap, time.Millisecond, 0)
		time.Sleep(time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if reused == 0 || reads.Load() == 0 {
		t.Fatalf("%d of %d polls reused an older snapshot's memory, %d reads: the test saw nothing", reused, polls, reads.Load())
	}
	t.Logf("%d of %d polls reused an older snapshot's memory; %d reads", reused, polls, reads.Load())

	// A reader that never releases keeps its snapshot's memory from reuse.
	held, _ := store.Targets()
	kept := held[0].Snapshot
	for k := polls + 1; k <= polls+6; k++ {
		snap := &collector.Snapshot{Target: "kea1", Kind: "kea", Time: time.Now(), Samples: p.work[:0]}
		if _, _, _, err := p.parseStats(ds, bytes.NewReader(reply(k)), snap); err != nil {
			t.Fatal(err)
		}
		p.group(snap)
		if &snap.Samples[0] == &kept.Samples[0] {
			t.Fatal("a snapshot still held by a reader lent its memory to a later poll")
		}
		store.Success("kea1", snap, time.Millisecond, 0)
	}
	if kept.Samples[0].Value != float64(polls) && kept.Samples[0].Metric.Type == catalog.Counter {
		t.Fatalf("the held snapshot changed: %v", kept.Samples[0].Value)
	}
}
