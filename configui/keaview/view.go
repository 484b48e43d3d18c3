package keaview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Options configure a View.
type Options struct {
	Targets []Target
	Logger  *slog.Logger
	// StatConcurrency bounds the statistic-get calls in flight to one
	// target, across all page views. Default 8.
	StatConcurrency int
	// HashCheckEvery is how long a checked configuration is trusted before
	// the next check (config-hash-get, or status-get on Kea 2.2). Default 2s.
	HashCheckEvery time.Duration
	// ConfigTTL is when config-get is read again on Kea without
	// config-hash-get even if status-get shows no reload. Default 10 min.
	ConfigTTL time.Duration
	// LeaseTimeout bounds each server's part of a lease search. Default 5s.
	LeaseTimeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// View reads Kea for the editor's pages. It is safe for concurrent use.
type View struct {
	opts    Options
	log     *slog.Logger
	targets map[string]*target
	order   []string
}

type target struct {
	name   string
	client *keactl.Client
	sem    chan struct{}

	mu        sync.Mutex
	detected  bool
	direct    string // the daemon reached directly; "" behind a Control Agent
	transport string
	daemons   map[string]*daemonCache
	names     []string // daemon names, sorted
}

// daemonCache holds one daemon's parsed configuration between page views.
type daemonCache struct {
	mu      sync.Mutex // one check or load at a time; others wait for its result
	cfg     *daemonConfig
	noHash  bool      // Kea answered config-hash-get with result 2 (Kea 2.2)
	checked time.Time // last check or load
	// Kea 2.2: status-get's "reload" (whole seconds since the configuration
	// was loaded) at the last check, and when it was read.
	reload     int64
	reloadAt   time.Time
	reloadSeen bool
	pid        int64
	stale      bool // Invalidate was called
	version    string
}

// New checks the targets and builds a View. Nothing is sent to Kea yet.
func New(opts Options) (*View, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StatConcurrency <= 0 {
		opts.StatConcurrency = 8
	}
	if opts.HashCheckEvery <= 0 {
		opts.HashCheckEvery = 2 * time.Second
	}
	if opts.ConfigTTL <= 0 {
		opts.ConfigTTL = 10 * time.Minute
	}
	if opts.LeaseTimeout <= 0 {
		opts.LeaseTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	v := &View{opts: opts, log: opts.Logger, targets: map[string]*target{}}
	for i, t := range opts.Targets {
		if t.Name == "" || t.Client == nil {
			return nil, fmt.Errorf("keaview: target %d: needs a name and a client", i)
		}
		if _, dup := v.targets[t.Name]; dup {
			return nil, fmt.Errorf("keaview: target %q listed twice", t.Name)
		}
		v.targets[t.Name] = &target{name: t.Name, client: t.Client, sem: make(chan struct{}, opts.StatConcurrency)}
		v.order = append(v.order, t.Name)
	}
	return v, nil
}

// Servers lists the configured server names, in configuration order.
func (v *View) Servers() []string { return slices.Clone(v.order) }

func (v *View) target(name string) (*target, error) {
	t, ok := v.targets[name]
	if !ok {
		return nil, fmt.Errorf("server %q: %w", name, ErrNotFound)
	}
	return t, nil
}

// service is the "service" for a daemon: none when it is reached directly.
func (t *target) service(daemon string) string {
	if t.direct != "" {
		return ""
	}
	return daemon
}

// detect finds out, once, whether the target is a Control Agent or a
// daemon and which DHCP daemons it has: config-get without "service"
// answers both (the agent returns its control sockets; a daemon its own
// configuration).
func (v *View) detect(ctx context.Context, t *target) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.detected {
		return nil
	}
	var args configArgs
	if _, err := t.client.CallInto(ctx, "config-get", "", nil, &args); err != nil {
		return err
	}
	t.daemons = map[string]*daemonCache{}
	switch {
	case args.Agent != nil:
		t.direct, t.transport = "", "control-agent"
		for d := range args.Agent.ControlSockets {
			if d == "dhcp4" || d == "dhcp6" {
				t.daemons[d] = &daemonCache{}
			}
		}
	case args.Dhcp4 != nil || args.Dhcp6 != nil:
		d := "dhcp4"
		if args.Dhcp6 != nil {
			d = "dhcp6"
		}
		t.direct, t.transport = d, "http"
		if t.client.IsSocket() {
			t.transport = "unix"
		}
		// Its configuration is read again by the first view, after
		// status-get, so that a change in between is never missed.
		t.daemons[d] = &daemonCache{}
	default:
		return &keactl.Error{Target: t.name, Command: "config-get", Reason: keactl.ReasonMalformed,
			Err: errors.New("neither a Control Agent nor a DHCPv4 or DHCPv6 daemon answered")}
	}
	t.names = t.names[:0]
	for d := range t.daemons {
		t.names = append(t.names, d)
	}
	slices.Sort(t.names)
	t.detected = true
	return nil
}

// daemon returns a daemon's cache, detecting the target first.
func (v *View) daemon(ctx context.Context, server, daemon string) (*target, *daemonCache, error) {
	t, err := v.target(server)
	if err != nil {
		return nil, nil, err
	}
	if err := v.detect(ctx, t); err != nil {
		return t, nil, err
	}
	t.mu.Lock()
	dc, ok := t.daemons[daemon]
	t.mu.Unlock()
	if !ok {
		return t, nil, fmt.Errorf("server %q has no daemon %q: %w", server, daemon, ErrNotFound)
	}
	return t, dc, nil
}

// config returns the daemon's configuration, reading config-get only when
// it changed (see the package documentation).
func (v *View) config(ctx context.Context, t *target, daemon string, dc *daemonCache) (*daemonConfig, error) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	now := v.opts.Now()
	if dc.cfg != nil && !dc.stale && now.Sub(dc.checked) < v.opts.HashCheckEvery {
		return dc.cfg, nil
	}
	svc := t.service(daemon)
	reload := dc.cfg == nil || dc.stale
	if !reload && !dc.noHash {
		resp, err := t.client.Call(ctx, "config-hash-get", svc, nil)
		var ke *keactl.Error
		switch {
		case errors.As(err, &ke) && ke.Reason == keactl.ReasonUnsupported:
			dc.noHash = true
		case err != nil:
			return nil, err
		default:
			var h struct {
				Hash string `json:"hash"`
			}
			if err := json.Unmarshal(resp.Arguments, &h); err != nil || h.Hash == "" {
				return nil, &keactl.Error{Target: t.name, Command: "config-hash-get", Service: svc, Reason: keactl.ReasonMalformed, Err: fmt.Errorf("no hash in %s", resp.Arguments)}
			}
			reload = h.Hash != dc.cfg.hash
		}
	}
	if dc.noHash || dc.cfg == nil {
		// Kea 2.2 (and any first load, before the hash is known): status-get
		// says how many whole seconds ago the configuration was loaded.
		// Without a reload it grows with the clock, so a value lower than
		// the last one plus the time since, less the second lost to
		// rounding, means config-set or config-reload. Asked before
		// config-get, so a change in between is seen next time.
		st, err := v.status(ctx, t, svc)
		if err != nil {
			return nil, err
		}
		if st.Reload != nil {
			if dc.cfg != nil && dc.reloadSeen && float64(*st.Reload) < float64(dc.reload)+now.Sub(dc.reloadAt).Seconds()-1 {
				reload = true
			}
			dc.reload, dc.reloadAt, dc.reloadSeen = *st.Reload, now, true
		}
		if st.Pid != nil {
			if dc.cfg != nil && dc.pid != 0 && *st.Pid != dc.pid {
				reload = true // restarted, perhaps with another configuration file
			}
			dc.pid = *st.Pid
		}
		if dc.cfg != nil && now.Sub(dc.cfg.read) >= v.opts.ConfigTTL {
			reload = true
		}
	}
	if reload {
		var args configArgs
		if _, err := t.client.CallInto(ctx, "config-get", svc, nil, &args); err != nil {
			return nil, err
		}
		cfg, err := buildConfig(daemon, &args, v.opts.Now())
		if err != nil {
			return nil, &keactl.Error{Target: t.name, Command: "config-get", Service: svc, Reason: keactl.ReasonMalformed, Err: err}
		}
		dc.noHash = cfg.hash == "" // Kea 2.2: no hash in config-get and no config-hash-get
		if dc.cfg != nil {
			v.log.Info("kea configuration changed", "server", t.name, "daemon", daemon, "subnets", len(cfg.subnets))
		}
		dc.cfg, dc.stale = cfg, false
		dc.version = ""
	}
	dc.checked = now
	return dc.cfg, nil
}

// Invalidate drops a daemon's cached configuration ("" for every daemon of
// the server), so that the next view reads config-get: for the editor,
// after it changed the configuration itself.
func (v *View) Invalidate(server, daemon string) {
	t, ok := v.targets[server]
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for name, dc := range t.daemons {
		if daemon == "" || name == daemon {
			dc.mu.Lock()
			dc.stale = true
			dc.mu.Unlock()
		}
	}
}

// version returns the daemon's version, read once per configuration.
func (v *View) version(ctx context.Context, t *target, daemon string, dc *daemonCache) (string, error) {
	dc.mu.Lock()
	ver := dc.version
	dc.mu.Unlock()
	if ver != "" {
		return ver, nil
	}
	resp, err := t.client.Call(ctx, "version-get", t.service(daemon), nil)
	if err != nil {
		return "", err
	}
	dc.mu.Lock()
	dc.version = resp.Text
	dc.mu.Unlock()
	return resp.Text, nil
}

// hasPoolStats reports whether a Kea version has subnet[N].pool[M]
// statistics (Kea 2.4 and later). An unknown version is asked.
func hasPoolStats(version string) bool {
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return true
	}
	return major > 2 || (major == 2 && minor >= 4)
}

// stats reads statistics with statistic-get, one call per name (Kea 2.2 has
// no batch form), at most StatConcurrency in flight to the target. A name
// Kea does not have is absent from the result; the first failure cancels
// the calls not yet sent.
func (v *View) stats(ctx context.Context, t *target, svc string, names []string) (map[string]*big.Int, error) {
	out := make(map[string]*big.Int, len(names))
	if len(names) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for _, name := range names {
		select {
		case t.sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-t.sem }()
			val, err := v.statOne(ctx, t, svc, name)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			if val != nil {
				out[name] = val
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return out, firstErr
}

// statOne reads the newest sample of one statistic; nil when Kea has no
// such statistic (result 0 with empty arguments).
func (v *View) statOne(ctx context.Context, t *target, svc, name string) (*big.Int, error) {
	// Decoded while read: {name: [[value, "timestamp"], …]}, newest first.
	var args map[string][][]json.RawMessage
	if _, err := t.client.CallInto(ctx, "statistic-get", svc, map[string]string{"name": name}, &args); err != nil {
		return nil, err
	}
	samples, ok := args[name]
	if !ok || len(samples) == 0 || len(samples[0]) == 0 {
		return nil, nil
	}
	n, ok := new(big.Int).SetString(string(samples[0][0]), 10)
	if !ok {
		return nil, &keactl.Error{Target: t.name, Command: "statistic-get", Service: svc, Reason: keactl.ReasonMalformed, Err: fmt.Errorf("%s: value %s is not an integer", name, samples[0][0])}
	}
	return n, nil
}

// Warm reads every server's daemons and configurations at once, so that the
// first page view does not pay for config-get (seconds at 10,000 subnets
// through Kea 2.2's Control Agent). The editor calls it at start; failures
// are returned joined and leave the cache cold for those daemons only.
func (v *View) Warm(ctx context.Context) error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for _, name := range v.order {
		t := v.targets[name]
		wg.Go(func() {
			fail := func(err error) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			if err := v.detect(ctx, t); err != nil {
				fail(err)
				return
			}
			t.mu.Lock()
			names := slices.Clone(t.names)
			t.mu.Unlock()
			for _, d := range names {
				_, dc, err := v.daemon(ctx, name, d)
				if err == nil {
					_, err = v.config(ctx, t, d, dc)
				}
				if err != nil {
					fail(err)
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
