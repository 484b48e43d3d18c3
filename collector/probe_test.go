package collector

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingPoller stands in for a Kea poller to count polls; the real Kea
// behind a Prober is tested in cmd/ddiscope (TestProbeCommandsOnRealKea).
type countingPoller struct {
	polls   atomic.Int32
	release chan struct{} // when set, each poll waits for it
	closed  atomic.Bool
	fail    bool
}

func (c *countingPoller) Name() string { return "t" }
func (c *countingPoller) Kind() string { return "kea" }
func (c *countingPoller) Close()       { c.closed.Store(true) }
func (c *countingPoller) Poll(ctx context.Context) (*Snapshot, int, error) {
	c.polls.Add(1)
	if c.release != nil {
		select {
		case <-c.release:
		case <-ctx.Done():
			return nil, 0, &Error{Target: "t", Command: "x", Reason: ReasonTimeout, Err: ctx.Err()}
		}
	}
	if c.fail {
		return nil, 0, &Error{Target: "t", Command: "x", Reason: ReasonConnect, Err: errors.New("refused")}
	}
	return &Snapshot{Target: "t", Kind: "kea", Time: time.Now()}, 0, nil
}

func TestProberKeepsItsPollerAcrossProbes(t *testing.T) {
	poller := &countingPoller{}
	builds := 0
	p := NewProber("t", "kea", func() (Poller, error) { builds++; return poller, nil })
	for range 3 {
		if st := p.Probe(context.Background()); !st.Up || st.Snapshot == nil {
			t.Fatalf("probe: %+v", st)
		}
	}
	if builds != 1 || poller.polls.Load() != 3 {
		t.Errorf("3 probes built %d pollers and polled %d times; want 1 and 3", builds, poller.polls.Load())
	}
	st := p.Probe(context.Background())
	if st.Polls != 4 {
		t.Errorf("ddiscope_polls_total after 4 probes = %d: the probes' self-metrics must add up", st.Polls)
	}
	poller.fail = true
	if st := p.Probe(context.Background()); st.Up || st.LastReason != ReasonConnect || st.Errors[ReasonConnect] != 1 {
		t.Errorf("failed probe: %+v", st)
	}
	p.Close()
	if !poller.closed.Load() {
		t.Error("Close left the poller open")
	}
	if st := p.Probe(context.Background()); st.Up || st.LastReason != ReasonCanceled || poller.polls.Load() != 5 {
		t.Errorf("probe after Close: %+v, %d polls", st, poller.polls.Load())
	}
}

func TestConcurrentProbesShareOnePoll(t *testing.T) {
	poller := &countingPoller{release: make(chan struct{})}
	p := NewProber("t", "kea", func() (Poller, error) { return poller, nil })
	defer p.Close()
	const n = 8
	var wg sync.WaitGroup
	results := make([]*TargetStatus, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			results[i] = p.Probe(ctx)
		})
	}
	// Let every probe join before the poll ends.
	for deadline := time.Now().Add(5 * time.Second); poller.polls.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(poller.release)
	wg.Wait()
	if got := poller.polls.Load(); got != 1 {
		t.Errorf("%d simultaneous probes made %d polls, want 1", n, got)
	}
	for i, st := range results {
		if !st.Up || st.Snapshot != results[0].Snapshot {
			t.Errorf("probe %d: %+v, not the shared poll's snapshot", i, st)
		}
	}
}

func TestAProbeThatStopsWaitingDoesNotCancelTheSharedPoll(t *testing.T) {
	poller := &countingPoller{release: make(chan struct{})}
	p := NewProber("t", "kea", func() (Poller, error) { return poller, nil })
	defer p.Close()
	first := make(chan *TargetStatus)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		first <- p.Probe(ctx)
	}()
	for poller.polls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if st := p.Probe(short); st.Up || st.LastReason != ReasonTimeout {
		t.Errorf("a probe whose deadline passed: %+v", st)
	}
	close(poller.release)
	if st := <-first; !st.Up {
		t.Errorf("the shared poll failed after another waiter gave up: %+v", st)
	}
}
