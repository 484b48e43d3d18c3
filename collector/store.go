package collector

import (
	"slices"
	"sync"
	"time"
)

// TargetStatus is what the self-metrics say about one target.
type TargetStatus struct {
	Name string
	Kind string
	// Snapshot is the last successful poll, or nil while the target is down:
	// a dead target's series disappear rather than freeze.
	Snapshot *Snapshot
	// Partial is what a failed poll could still tell (a Kea Control Agent
	// that answers while every daemon behind it is down: kea_daemon_up 0
	// for each), rendered with the self-metrics; nil otherwise.
	Partial      *Snapshot
	Up           bool
	LastReason   Reason // why the last poll failed ("" when it did not)
	LastError    string
	LastSuccess  time.Time
	PollDuration time.Duration // of the last poll, failed or not
	Errors       map[Reason]uint64
	Polls        uint64
	// Unknown counts statistics the catalog does not know, in the last poll.
	Unknown int
	// NotServing is set while a stop-retry-exit target fails: ddiscope is
	// then not ready.
	NotServing bool
	// Generation changes whenever the status does, for render caches.
	Generation uint64
}

// Store holds the latest status of every target. Pollers write, exporters
// read; readers get immutable values and never block a poll for long.
type Store struct {
	mu      sync.RWMutex
	targets map[string]*TargetStatus
	gen     uint64
}

func NewStore() *Store { return &Store{targets: map[string]*TargetStatus{}} }

// Register adds a target in the down state, so that it is reported before
// its first poll finishes.
func (s *Store) Register(name, kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.targets[name]; !ok {
		s.gen++
		s.targets[name] = &TargetStatus{Name: name, Kind: kind, Errors: map[Reason]uint64{}, Generation: s.gen}
	}
}

// Remove forgets a target (after a reload dropped it).
func (s *Store) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.targets[name]; ok {
		t.Snapshot.release()
		t.Partial.release()
	}
	delete(s.targets, name)
	s.gen++
}

// Success records a good poll.
func (s *Store) Success(name string, snap *Snapshot, took time.Duration, unknown int) {
	s.update(name, func(t *TargetStatus) {
		t.Snapshot, t.Partial, t.Up, t.LastReason, t.LastError = snap, nil, true, "", ""
		t.LastSuccess = snap.Time
		t.PollDuration = took
		t.Unknown = unknown
	})
}

// Failure records a failed poll: the target's series disappear.
func (s *Store) Failure(name string, reason Reason, err error, took time.Duration) {
	s.FailureWith(name, reason, err, took, nil)
}

// FailureWith records a failed poll that could still tell something: the
// target's series disappear, but partial's (nil for none) are served.
func (s *Store) FailureWith(name string, reason Reason, err error, took time.Duration, partial *Snapshot) {
	s.update(name, func(t *TargetStatus) {
		t.Snapshot, t.Partial, t.Up, t.LastReason, t.LastError = nil, partial, false, reason, err.Error()
		t.PollDuration = took
		t.Errors[reason]++
	})
}

func (s *Store) update(name string, f func(*TargetStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.targets[name]
	if !ok {
		return // removed by a reload while the poll ran
	}
	// Copy on write: readers hold the old value safely.
	t := *old
	t.Errors = make(map[Reason]uint64, len(old.Errors)+1)
	for k, v := range old.Errors {
		t.Errors[k] = v
	}
	t.Polls++
	f(&t)
	if t.Snapshot != old.Snapshot {
		t.Snapshot.acquire()
		old.Snapshot.release()
	}
	if t.Partial != old.Partial {
		t.Partial.acquire()
		old.Partial.release()
	}
	s.gen++
	t.Generation = s.gen
	s.targets[name] = &t
}

// SetServing records whether a target lets ddiscope count as ready.
func (s *Store) SetServing(name string, serving bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.targets[name]; ok && t.NotServing == serving {
		c := *t
		c.NotServing = !serving
		s.targets[name] = &c
	}
}

// Ready reports whether no target asks ddiscope to stop serving, and which
// one does.
func (s *Store) Ready() (bool, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.targets {
		if t.NotServing {
			return false, t.Name
		}
	}
	return true, ""
}

// Targets returns every target's status, sorted by name, and a generation
// number that changes whenever any of them does. The caller should
// Release them when it has done reading their snapshots, so that their
// pollers may reuse the memory; one that does not only costs memory.
func (s *Store) Targets() ([]*TargetStatus, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*TargetStatus, 0, len(s.targets))
	for _, t := range s.targets {
		t.Snapshot.acquire()
		t.Partial.acquire()
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *TargetStatus) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, s.gen
}

// Target returns one target's status, to Release as Targets' are.
func (s *Store) Target(name string) (*TargetStatus, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.targets[name]
	if ok {
		t.Snapshot.acquire()
		t.Partial.acquire()
	}
	return t, ok
}

// Release says the caller of Targets or Target has done reading these
// statuses' snapshots. Each status must be released once at most.
func (s *Store) Release(targets ...*TargetStatus) {
	for _, t := range targets {
		if t != nil {
			t.Snapshot.release()
			t.Partial.release()
		}
	}
}
