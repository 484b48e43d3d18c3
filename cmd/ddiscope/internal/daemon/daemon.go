// Package daemon wires targets from the configuration to pollers and keeps
// them running across reloads: a target whose settings did not change keeps
// its poller (and its cached Kea configuration).
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

// running is one target's poller; conf is its config.Kea or config.Bind,
// compared on reload.
type running struct {
	conf   any
	cancel context.CancelFunc
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
	}
	var plans []plan
	var errs []error
	for _, k := range f.Kea {
		p, err := d.keaPoller(k, f.Defaults)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, plan{k.Name, k.URL, k, p, schedule(k.Effective(f.Defaults))})
	}
	for _, b := range f.Bind {
		p, err := d.bindPoller(b, f.Defaults, b.Zones)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, plan{b.Name, b.URL, b, p, schedule(b.Poll.Effective(f.Defaults))})
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := map[string]bool{}
	for _, p := range plans {
		keep[p.name] = true
		if r, ok := d.running[p.name]; ok {
			if reflect.DeepEqual(r.conf, p.conf) && reflect.DeepEqual(d.defaults, f.Defaults) {
				if c, ok := p.poller.(interface{ Close() }); ok {
					c.Close() // built only to check the configuration
				}
				continue
			}
			r.cancel()
		}
		rctx, cancel := context.WithCancel(ctx)
		d.running[p.name] = &running{conf: p.conf, cancel: cancel}
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
			r.cancel()
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
		r.cancel()
	}
	d.mu.Unlock()
	d.wg.Wait()
}

// Probe returns a fresh poller for a configured target, for /probe: it shares
// nothing with the background poller, so a live probe never disturbs it.
// BIND zones are left out: a probe must answer within a scrape timeout.
func (d *Daemon) Probe(_ context.Context, name string) (collector.Poller, bool) {
	d.mu.Lock()
	r, ok := d.running[name]
	defaults := d.defaults
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	var p collector.Poller
	var err error
	switch c := r.conf.(type) {
	case config.Kea:
		p, err = d.keaPoller(c, defaults)
	case config.Bind:
		p, err = d.bindPoller(c, defaults, false)
	}
	if err != nil || p == nil {
		return nil, false
	}
	return p, true
}

func (d *Daemon) keaPoller(k config.Kea, defaults config.Poll) (collector.Poller, error) {
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
	if eff.LeaseInterval != nil {
		ko.Leases.Interval = *eff.LeaseInterval
	}
	if eff.LeasePageSize != nil {
		ko.Leases.PageSize = *eff.LeasePageSize
	}
	if eff.LeasePagesPerSecond != nil {
		ko.Leases.PagesPerSecond = *eff.LeasePagesPerSecond
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
