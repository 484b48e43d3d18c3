package collector

import (
	"errors"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
)

// A failed poll that could still tell something (a Kea agent answering with
// every daemon down) keeps those samples among the self-metrics until the
// next good poll replaces them.
func TestPartialSamplesOfAFailedPollAreServed(t *testing.T) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	up := cat.Metric("kea_daemon_up")
	partial := &Snapshot{Target: "kea1", Kind: "kea", Samples: []Sample{
		{Metric: up, ID: NewIdentity(catalog.ScopeDaemon, "kea1", "dhcp4")},
		{Metric: up, ID: NewIdentity(catalog.ScopeDaemon, "kea1", "dhcp6")},
	}}
	count := func(s *Store) int {
		targets, _ := s.Targets()
		n := 0
		for _, smp := range SelfSamples(cat, targets) {
			if smp.Metric == up {
				n++
			}
		}
		return n
	}
	s := NewStore()
	s.Register("kea1", "kea")
	s.FailureWith("kea1", ReasonError, errors.New("result 1"), time.Millisecond, partial)
	if n := count(s); n != 2 {
		t.Fatalf("after a failed poll with a partial snapshot: %d kea_daemon_up samples, want 2", n)
	}
	if ts, _ := s.Target("kea1"); ts.Up || ts.Snapshot != nil {
		t.Fatalf("a failed poll left the target up %v with a snapshot %v", ts.Up, ts.Snapshot != nil)
	}
	s.Success("kea1", &Snapshot{Target: "kea1", Time: time.Now()}, time.Millisecond, 0)
	if n := count(s); n != 0 {
		t.Fatalf("after a good poll: %d stale partial samples", n)
	}
	s.Failure("kea1", ReasonConnect, errors.New("refused"), time.Millisecond)
	if n := count(s); n != 0 {
		t.Fatalf("after a failed poll with nothing to tell: %d samples", n)
	}
}
