package collector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Prober polls one target on demand, for /probe. It keeps its poller across
// probes, so that what the poller learned (a Kea's kind, its daemons, its
// configuration, checked with config-hash-get or the subnet signature) is
// reused: after the first probe, a probe costs the target what a background
// poll does. Concurrent probes share one poll. A Prober shares nothing with
// the target's background poller (Run), so probes never disturb it, and its
// self-metrics (polls, errors) count its own polls across probes.
type Prober struct {
	name, kind string
	build      func() (Poller, error)
	store      *Store // this target alone: what the probes' self-metrics report
	flight     singleflight.Group

	ctx    context.Context // ended by Close: cuts a poll in flight short
	cancel context.CancelFunc

	mu     sync.Mutex // held for a whole poll: the poller is not safe for concurrent use
	poller Poller
	closed bool
}

// NewProber makes a prober of one target; build makes its poller, on the
// first probe (a target never probed costs nothing).
func NewProber(name, kind string, build func() (Poller, error)) *Prober {
	ctx, cancel := context.WithCancel(context.Background())
	store := NewStore()
	store.Register(name, kind)
	return &Prober{name: name, kind: kind, build: build, store: store, ctx: ctx, cancel: cancel}
}

// Name is the target's name.
func (p *Prober) Name() string { return p.name }

// Probe polls the target now, or joins the poll already running for another
// probe, and returns the target's status after it. The poll ends at ctx's
// deadline (the first waiter's, when it is shared), not when ctx is
// canceled: the other waiters may still want it. A waiter whose ctx ends
// first gets a failed status with reason timeout.
func (p *Prober) Probe(ctx context.Context) *TargetStatus {
	deadline, hasDeadline := ctx.Deadline()
	ch := p.flight.DoChan("", func() (any, error) {
		return p.poll(deadline, hasDeadline), nil
	})
	select {
	case r := <-ch:
		return r.Val.(*TargetStatus)
	case <-ctx.Done():
		t, _ := p.store.Target(p.name)
		failed := *t
		failed.Snapshot, failed.Up, failed.LastReason = nil, false, ReasonTimeout
		failed.LastError = (&Error{Target: p.name, Command: "probe", Reason: ReasonTimeout, Err: fmt.Errorf("waiting for the poll: %w", ctx.Err())}).Error()
		return &failed
	}
}

func (p *Prober) poll(deadline time.Time, hasDeadline bool) *TargetStatus {
	ctx, cancel := p.ctx, context.CancelFunc(func() {})
	if hasDeadline {
		ctx, cancel = context.WithDeadline(p.ctx, deadline)
	}
	defer cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	partial, err := p.pollLocked(ctx)
	if err != nil {
		// A failed poll may still tell something (kea_daemon_up 0 for the
		// daemons behind an agent that answers), as in the poll loop.
		p.store.FailureWith(p.name, ReasonOf(err), err, time.Since(start), partial)
	}
	t, _ := p.store.Target(p.name)
	return t
}

func (p *Prober) pollLocked(ctx context.Context) (*Snapshot, error) {
	if p.closed {
		return nil, &Error{Target: p.name, Command: "probe", Reason: ReasonCanceled, Err: errors.New("the target was reloaded or removed")}
	}
	if p.poller == nil {
		poller, err := p.build()
		if err != nil {
			return nil, &Error{Target: p.name, Command: "probe", Reason: ReasonMalformed, Err: err}
		}
		p.poller = poller
	}
	start := time.Now()
	snap, unknown, err := p.poller.Poll(ctx)
	if err != nil {
		return snap, err
	}
	p.store.Success(p.name, snap, time.Since(start), unknown)
	return nil, nil
}

// Close ends a poll in flight and releases the poller; later probes fail.
// A reload that changes the target's settings closes its prober.
func (p *Prober) Close() {
	p.cancel()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if c, ok := p.poller.(interface{ Close() }); ok {
		c.Close()
	}
	p.poller = nil
}
