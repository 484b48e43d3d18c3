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

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
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

type running struct {
	conf   config.Kea
	cancel context.CancelFunc
}

// New makes a daemon; Fatal delivers the error of a target whose on-fail mode
// says ddiscope must exit.
func New(log *slog.Logger, cat *catalog.Catalog, store *collector.Store) *Daemon {
	return &Daemon{log: log, cat: cat, store: store, fatal: make(chan error, 1), running: map[string]*running{}}
}

// Fatal is where a target that gives up reports.
func (d *Daemon) Fatal() <-chan error { return d.fatal }

// Apply starts, restarts and stops pollers so that exactly targets run. It
// builds every client first and changes nothing when one is bad: a reload
// with a broken target keeps the old set running.
func (d *Daemon) Apply(ctx context.Context, f *config.File) error {
	type plan struct {
		conf   config.Kea
		poller collector.Poller
		sched  collector.Schedule
	}
	var plans []plan
	var errs []error
	for _, k := range f.Kea {
		p, err := d.newPoller(k, f.Defaults)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		plans = append(plans, plan{k, p, schedule(k.Effective(f.Defaults))})
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := map[string]bool{}
	for _, p := range plans {
		keep[p.conf.Name] = true
		if r, ok := d.running[p.conf.Name]; ok {
			if reflect.DeepEqual(r.conf, p.conf) && reflect.DeepEqual(d.defaults, f.Defaults) {
				continue
			}
			r.cancel()
		}
		rctx, cancel := context.WithCancel(ctx)
		d.running[p.conf.Name] = &running{conf: p.conf, cancel: cancel}
		d.store.Register(p.conf.Name, p.poller.Kind())
		d.wg.Go(func() {
			collector.Run(rctx, d.log, d.store, p.poller, p.sched, func(err error) {
				select {
				case d.fatal <- err:
				default:
				}
			})
		})
		d.log.Info("polling target", "target", p.conf.Name, "url", p.conf.URL, "interval", p.sched.Defaults().Interval)
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
func (d *Daemon) Probe(_ context.Context, name string) (collector.Poller, bool) {
	d.mu.Lock()
	r, ok := d.running[name]
	defaults := d.defaults
	d.mu.Unlock()
	if !ok {
		return nil, false
	}
	p, err := d.newPoller(r.conf, defaults)
	if err != nil {
		return nil, false
	}
	return p, true
}

func (d *Daemon) newPoller(k config.Kea, defaults config.Poll) (collector.Poller, error) {
	eff := k.Effective(defaults)
	opts := keactl.Options{Name: k.Name, URL: k.URL, Username: k.User, Password: k.Password, PasswordFile: k.PasswordFile,
		CAFile: k.TrustAnchor, CertFile: k.CertFile, KeyFile: k.KeyFile, ServerName: k.ServerName, InsecureSkipVerify: k.InsecureSkipVerify}
	if eff.Timeout != nil {
		opts.Timeout = *eff.Timeout
	}
	if eff.MaxResponseBytes != nil {
		opts.MaxResponseBytes = *eff.MaxResponseBytes
	}
	client, err := keactl.New(opts)
	if err != nil {
		return nil, err
	}
	ko := kea.Options{Daemons: k.Daemons}
	if eff.ConfigRefresh != nil {
		ko.ConfigRefresh = *eff.ConfigRefresh
	}
	return kea.NewPoller(client, d.cat, d.log, ko), nil
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
