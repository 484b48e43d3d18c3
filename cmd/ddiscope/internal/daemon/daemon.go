// Package daemon wires targets from the configuration to pollers and keeps
// them running across reloads: a target whose settings did not change keeps
// its poller (and its cached Kea configuration), and its prober for /probe.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/bind"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/config"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Daemon runs one poller per target.
type Daemon struct {
	log   *slog.Logger
	cat   *catalog.Catalog
	store *collector.Store
	fatal chan error

	mu       sync.Mutex
	running  map[string]*running
	defaults config.Poll
	wg       sync.WaitGroup
}

// running is one target's poller and prober; conf is its config.Kea or
// config.Bind, compared on reload.
type running struct {
	conf any
	// cancel stops the background poller; nil for a mode: probe target,
	// which has none.
	cancel context.CancelFunc
	// probe serves /probe with a poller of its own, kept across probes; a
	// reload that changes the target's settings replaces it.
	probe *collector.Prober
}

func (r *running) stop() {
	if r.cancel != nil {
		r.cancel()
	}
	r.probe.Close()
}

// New makes a daemon; Fatal delivers the error of a target whose on-fail mode
// says ddiscope must exit.
func New(log *slog.Logger, cat *catalog.Catalog, store *collector.Store) *Daemon {
	return &Daemon{log: log, cat: cat, store: store, fatal: make(chan error, 1), running: map[string]*running{}}
}

// Fatal is where a target that gives up reports.
func (d *Daemon) Fatal() <-chan error { return d.fatal }

// Apply starts, restarts and stops pollers so that exactly the file's
// targets run. It builds every poller first and changes nothing when one is
// bad: a reload with a broken target keeps the old set running.
func (d *Daemon) Apply(ctx context.Context, f *config.File) error {
	type plan struct {
		name, url string
		conf      any
		poller    collector.Poller
		sched     collector.Schedule
		probeOnly bool
		probe     func() (collector.Poller, error) // a poller for the prober
	}
	var plans []plan
	var errs []error
	for _, k := range f.Kea {
		p, err := d.keaPoller(k, f.Defaults, poll)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		eff := k.Effective(f.Defaults)
		use := probeOfPolled
		if eff.ProbeOnly() {
			use = probeOnly
		}
		plans = append(plans, plan{k.Name, k.URL, k, p, schedule(eff), eff.ProbeOnly(),
			func() (collector.Poller, error) { return d.keaPoller(k, f.Defaults, use) }})
	}
	for _, b := range f.Bind {
		p, err := d.bindPoller(b, f.Defaults, b.Zones)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		eff := b.Poll.Effective(f.Defaults)
		// A probe of a polled target leaves zones to the background poller;
		// a probe-only target reads them every zone-interval, like a poller.
		zones := b.Zones && eff.ProbeOnly()
		plans = append(plans, plan{b.Name, b.URL, b, p, schedule(eff), eff.ProbeOnly(),
			func() (collector.Poller, error) { return d.bindPoller(b, f.Defaults, zones) }})
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := map[string]bool{}
	for _, p := range plans {
		keep[p.name] = true
		r, ok := d.running[p.name]
		if ok && reflect.DeepEqual(r.conf, p.conf) && reflect.DeepEqual(d.defaults, f.Defaults) {
			closePoller(p.poller) // built only to check the configuration
			continue
		}
		if ok {
			r.stop()
			if r.cancel != nil && p.probeOnly {
				d.store.Remove(p.name) // no longer polled: /metrics leaves it out
			}
		}
		entry := &running{conf: p.conf, probe: collector.NewProber(p.name, p.poller.Kind(), p.probe)}
		d.running[p.name] = entry
		if p.probeOnly {
			closePoller(p.poller)
			d.log.Info("target polled only by /probe (mode: probe)", "target", p.name, "kind", p.poller.Kind(), "url", p.url)
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		entry.cancel = cancel
		d.store.Register(p.name, p.poller.Kind())
		d.wg.Go(func() {
			collector.Run(rctx, d.log, d.store, p.poller, p.sched, func(err error) {
				select {
				case d.fatal <- err:
				default:
				}
			})
		})
		d.log.Info("polling target", "target", p.name, "kind", p.poller.Kind(), "url", p.url, "interval", p.sched.Defaults().Interval)
	}
	for name, r := range d.running {
		if !keep[name] {
			r.stop()
			delete(d.running, name)
			d.store.Remove(name)
			d.log.Info("stopped polling target", "target", name)
		}
	}
	d.defaults = f.Defaults
	return nil
}

// Stop ends every poller and waits for them.
func (d *Daemon) Stop() {
	d.mu.Lock()
	for _, r := range d.running {
		r.stop()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

func closePoller(p collector.Poller) {
	if c, ok := p.(interface{ Close() }); ok {
		c.Close()
	}
}

// Probe polls a configured target now, for /probe, through the target's
// prober: its own poller, kept across probes and reloads that leave the
// target unchanged, so that a probe reuses what is known of the target
// (kind, daemons, configuration) and sends Kea what a background poll does.
// It shares nothing with the background poller, so it never disturbs it.
// Concurrent probes of a target share one poll.
func (d *Daemon) Probe(ctx context.Context, name string) (*collector.TargetStatus, bool) {
	d.mu.Lock()
	r, ok := d.running[name]
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	return r.probe.Probe(ctx), true
}

// What a Kea poller is for: lease passes are the background poller's job
// when there is one; a probe-only target's prober runs them, between probes'
// statistics, at lease-interval like a poller.
type keaUse int

const (
	poll keaUse = iota
	probeOfPolled
	probeOnly
)

func (d *Daemon) keaPoller(k config.Kea, defaults config.Poll, use keaUse) (collector.Poller, error) {
	eff := k.Effective(defaults)
	var timeout time.Duration
	var maxBytes int64
	if eff.Timeout != nil {
		timeout = *eff.Timeout
	}
	if eff.MaxResponseBytes != nil {
		maxBytes = *eff.MaxResponseBytes
	}
	client, err := keactl.New(k.ClientOptions(timeout, maxBytes))
	if err != nil {
		return nil, err
	}
	ko := kea.Options{Daemons: k.Daemons}
	if eff.ConfigRefresh != nil {
		ko.ConfigRefresh = *eff.ConfigRefresh
	}
	if eff.HAHeartbeat != nil {
		ko.NoHeartbeat = !*eff.HAHeartbeat
	}
	if eff.LeaseInterval != nil && use != probeOfPolled {
		ko.Leases.Interval = *eff.LeaseInterval
	}
	if eff.LeasePageSize != nil {
		ko.Leases.PageSize = *eff.LeasePageSize
	}
	if eff.LeasePagesPerSecond != nil {
		ko.Leases.PagesPerSecond = *eff.LeasePagesPerSecond
	}
	if eff.LeaseBurst != nil {
		ko.Leases.Burst = *eff.LeaseBurst
	}
	if eff.LeaseBudget != nil {
		ko.Leases.Budget = *eff.LeaseBudget
	}
	return kea.NewPoller(client, d.cat, d.log, ko), nil
}

func (d *Daemon) bindPoller(b config.Bind, defaults config.Poll, zones bool) (collector.Poller, error) {
	eff := b.Poll.Effective(defaults)
	opts := bind.Options{Name: b.Name, URL: b.URL, Format: b.Format, Zones: zones,
		Username: b.User, Password: b.Password, PasswordFile: b.PasswordFile,
		CAFile: b.TrustAnchor, CertFile: b.CertFile, KeyFile: b.KeyFile, ServerName: b.ServerName, InsecureSkipVerify: b.InsecureSkipVerify}
	if b.ZoneInterval != nil {
		opts.ZoneInterval = *b.ZoneInterval
	}
	if eff.Timeout != nil {
		opts.Timeout = *eff.Timeout
	}
	if eff.MaxResponseBytes != nil {
		opts.MaxResponseBytes = *eff.MaxResponseBytes
	}
	p, err := bind.NewPoller(opts, d.cat, d.log)
	if err != nil {
		return nil, fmt.Errorf("bind target %q: %w", b.Name, err)
	}
	return p, nil
}

func schedule(p config.Poll) collector.Schedule {
	s := collector.Schedule{RetryOnStartup: true, Jitter: 0.1}
	if p.Interval != nil {
		s.Interval = *p.Interval
	}
	if p.Timeout != nil {
		s.Timeout = *p.Timeout
	}
	if p.RetryOnStartup != nil {
		s.RetryOnStartup = *p.RetryOnStartup
	}
	if p.OnFail != nil {
		s.OnFail = *p.OnFail
	}
	if p.MaxReconnectTries != nil {
		s.MaxReconnectTries = *p.MaxReconnectTries
	}
	if p.ReconnectWaitTime != nil {
		s.ReconnectWaitTime = *p.ReconnectWaitTime
	}
	return s
}

// String describes the running targets, for the landing page.
func (d *Daemon) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Sprintf("%d targets", len(d.running))
}
