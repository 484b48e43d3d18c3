package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Poller reads one target once. Kea and BIND pollers implement it.
type Poller interface {
	Name() string
	Kind() string
	// Poll returns a snapshot, the number of statistics it could not map to
	// the catalog, or an error (one naming its Reason: a *Error, or a Kea client error).
	// With an error, the snapshot is nil or holds what the failed poll could
	// still tell (kea_daemon_up 0 behind an agent that answered).
	Poll(ctx context.Context) (*Snapshot, int, error)
}

// What to do when a target keeps failing; the names and meanings follow
// Kea's own database connection settings ("on-fail").
const (
	// StopRetryExit: the target's failure makes ddiscope not ready (/-/ready
	// answers 503) while it retries; when the retries are spent, exit.
	StopRetryExit = "stop-retry-exit"
	// ServeRetryExit: keep serving while retrying; when the retries are
	// spent, exit.
	ServeRetryExit = "serve-retry-exit"
	// ServeRetryContinue: keep serving and keep retrying, for ever. The
	// default for a monitor: a dead target must not take the others down.
	ServeRetryContinue = "serve-retry-continue"
)

// Schedule is how often and how patiently a target is polled.
type Schedule struct {
	Interval time.Duration // between polls; default 15s
	Timeout  time.Duration // for one poll; default 10s, at most Interval
	Jitter   float64       // each wait is Interval ± Jitter×Interval; default 0.1
	// RetryOnStartup: when false, a target that fails its first poll makes
	// ddiscope exit at start-up. Default true.
	RetryOnStartup bool
	OnFail         string // StopRetryExit, ServeRetryExit or ServeRetryContinue
	// MaxReconnectTries is how many consecutive failed polls the exiting
	// modes tolerate; 0 means no limit.
	MaxReconnectTries int
	// ReconnectWaitTime is the wait between polls while the target fails;
	// default Interval.
	ReconnectWaitTime time.Duration
}

// Defaults fills unset fields.
func (s Schedule) Defaults() Schedule {
	if s.Interval <= 0 {
		s.Interval = 15 * time.Second
	}
	if s.Timeout <= 0 {
		s.Timeout = min(10*time.Second, s.Interval)
	}
	if s.Jitter < 0 || s.Jitter >= 1 {
		s.Jitter = 0
	}
	if s.OnFail == "" {
		s.OnFail = ServeRetryContinue
	}
	if s.ReconnectWaitTime <= 0 {
		s.ReconnectWaitTime = s.Interval
	}
	return s
}

// Validate reports a schedule that cannot work, naming the field.
func (s Schedule) Validate() error {
	switch s.OnFail {
	case "", StopRetryExit, ServeRetryExit, ServeRetryContinue:
	default:
		return fmt.Errorf("on-fail %q: must be %s, %s or %s", s.OnFail, StopRetryExit, ServeRetryExit, ServeRetryContinue)
	}
	if s.MaxReconnectTries < 0 {
		return fmt.Errorf("max-reconnect-tries %d: must not be negative", s.MaxReconnectTries)
	}
	if s.Interval > 0 && s.Timeout > s.Interval {
		return fmt.Errorf("timeout %s is longer than the interval %s", s.Timeout, s.Interval)
	}
	return nil
}

// ErrGaveUp is wrapped by the error Run reports through fatal when a target's
// on-fail mode says to exit.
var ErrGaveUp = errors.New("gave up on target")

// Run polls p until ctx ends, recording every result in store. When the
// schedule says to exit, it calls fatal once and returns.
func Run(ctx context.Context, log *slog.Logger, store *Store, p Poller, s Schedule, fatal func(error)) {
	s = s.Defaults()
	log = log.With("target", p.Name(), "kind", p.Kind())
	store.Register(p.Name(), p.Kind())
	if c, ok := p.(interface{ Close() }); ok {
		defer c.Close()
	}
	failures := 0
	first := true
	// Spread the first polls of many targets, but by no more than a few
	// seconds: with a 10-minute interval, a tenth of it would leave /metrics
	// empty for up to a minute after start.
	wait := time.Duration(rand.Int64N(int64(min(s.Interval/10, maxFirstPollSpread)) + 1))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		pctx, cancel := context.WithTimeout(ctx, s.Timeout)
		start := time.Now()
		snap, unknown, err := p.Poll(pctx)
		took := time.Since(start)
		cancel()
		if ctx.Err() != nil {
			return // a reload or shutdown cut the poll short: not the target's fault
		}
		if err == nil {
			if failures > 0 {
				log.Info("target is back", "after_failures", failures)
			}
			failures = 0
			store.Success(p.Name(), snap, took, unknown)
			store.SetServing(p.Name(), true)
			wait = s.jittered(s.Interval)
		} else {
			failures++
			reason := ReasonOf(err)
			store.FailureWith(p.Name(), reason, err, took, snap)
			if failures == 1 {
				log.Warn("poll failed", "reason", reason, "err", err)
			} else {
				log.Debug("poll failed again", "failures", failures, "reason", reason, "err", err)
			}
			if first && !s.RetryOnStartup {
				fatal(fmt.Errorf("%w %q: first poll failed and retry-on-startup is false: %v", ErrGaveUp, p.Name(), err))
				return
			}
			if s.OnFail == StopRetryExit {
				store.SetServing(p.Name(), false)
			}
			if s.MaxReconnectTries > 0 && failures > s.MaxReconnectTries && s.OnFail != ServeRetryContinue {
				fatal(fmt.Errorf("%w %q: %d polls failed in a row (max-reconnect-tries %d, on-fail %s): %v",
					ErrGaveUp, p.Name(), failures, s.MaxReconnectTries, s.OnFail, err))
				return
			}
			wait = s.jittered(s.ReconnectWaitTime)
		}
		first = false
		timer.Reset(wait)
	}
}

// maxFirstPollSpread bounds how long a target waits for its first poll.
const maxFirstPollSpread = 5 * time.Second

func (s Schedule) jittered(d time.Duration) time.Duration {
	if s.Jitter == 0 {
		return d
	}
	span := float64(d) * s.Jitter
	return d + time.Duration((rand.Float64()*2-1)*span)
}
