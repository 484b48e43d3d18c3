// Package kea polls Kea DHCP servers: statistics from statistic-get-all,
// labelled with subnets, shared networks and pools from config-get, which is
// read again only when the configuration changed; High Availability state
// from status-get and ha-heartbeat (hastatus.go, hasamples.go), with the
// facts across HA peers derived at render time (hapairs.go, fleet.go); and
// per-subnet lease counts from lease passes on their own interval
// (leases.go). Only statistic-get-all failing fails a poll.
package kea

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// Options configure a Kea poller.
type Options struct {
	// Daemons to poll behind a Control Agent ("dhcp4", "dhcp6", "d2"). Empty:
	// every daemon the agent has a control socket for. Ignored for a daemon
	// reached directly, which is one daemon.
	Daemons []string
	// ConfigRefresh is how often config-get is read again from a Kea that has
	// no config-hash-get (2.2), even when its subnets look unchanged.
	// Default 10 minutes.
	ConfigRefresh time.Duration
	// NoHeartbeat stops ha-heartbeat, which Kea 3.x classes as a write
	// command (status-get, read, still gives the HA state).
	NoHeartbeat bool
	// Leases configures lease passes (lease4-get-page, lease6-get-page);
	// the zero value leaves them off.
	Leases LeaseOptions
}

// Poller polls one Kea target. It is not safe for concurrent use: the poll
// loop calls it from one goroutine.
type Poller struct {
	name    string
	client  *keactl.Client
	cat     *catalog.Catalog
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	derived map[string][]derivation
	ha      *haMetrics
	// Lease samples: metrics per daemon, label values shared by all.
	leaseMetrics map[string]*leaseMetrics
	leaseLabels  *leaseLabels

	detected bool
	direct   string // the daemon reached directly, or "" behind a Control Agent
	daemons  map[string]*daemonState
	unknown  map[string]bool // unknown statistic names already logged
	// work is where a poll gathers its samples before they are grouped
	// into the snapshot; kept across polls.
	work []collector.Sample
	// recycler lends the memory of an older snapshot nobody reads any
	// more to the next.
	recycler collector.Recycler
	// readBuf is what statistic-get-all is read through, kept across polls.
	readBuf []byte
	// agentReview is the Control Agent's configuration review, from the
	// config-get that detected it; nil without an agent.
	agentReview *findingSet
	// lastDetail is the snapshots' Detail (hareview.go), for detailFor.
	lastDetail any
	detailFor  []*daemonConfig
}

type daemonState struct {
	name    string
	cfg     *daemonConfig
	cfgRead time.Time
	noHash  bool   // config-hash-get unsupported (Kea < 2.4)
	cfgSig  uint64 // subnets of the statistics when the configuration was read
	// samples is how many samples the daemon's last poll made, to size the
	// next one's buffer.
	samples     int
	up          bool
	lastErr     string
	reasonCount map[keactl.Reason]uint64
	cmds        *cmdState  // secondary commands: errors, refusals
	lease       *leasePass // nil until lease passes start
	// acc is the last poll's per-subnet statistics, kept for the drift of
	// the lease database's counts (leasestat.go).
	acc *accumulator
	// spareAcc is the accumulator of the poll before, reused by the next.
	spareAcc *accumulator
	// notConfigured are the last statistics' subnets the configuration
	// lacks, in the statistics' order; review is their findings, rebuilt
	// only when they change.
	notConfigured []int64
	missingReview findingSet
	missingFor    []int64
	ident         *collector.Identity
	// Kea lists its statistics in the same order on every poll: the
	// catalog binding of each name and the subnet of each run of names are
	// remembered by position and checked, not looked up in maps, on the
	// next poll (parseStats).
	memo memo
	// entries remembers the text of each statistic of the last reply, to
	// replay the ones that did not change.
	entries entryMemo
}

// observed is what derivations need to know of a statistic.
type observed struct {
	metric *catalog.Metric
	scope  catalog.Scope
}

// NewPoller builds a poller for one target.
func NewPoller(client *keactl.Client, cat *catalog.Catalog, log *slog.Logger, opts Options) *Poller {
	if opts.ConfigRefresh <= 0 {
		opts.ConfigRefresh = 10 * time.Minute
	}
	opts.Leases = opts.Leases.defaults()
	return &Poller{name: client.Name(), client: client, cat: cat,
		log: log.With("target", client.Name()), opts: opts, now: time.Now,
		derived: derivations(cat), ha: newHAMetrics(cat),
		leaseMetrics: map[string]*leaseMetrics{"dhcp4": newLeaseMetrics(cat, "dhcp4"), "dhcp6": newLeaseMetrics(cat, "dhcp6")},
		leaseLabels:  newLeaseLabels(),
		daemons:      map[string]*daemonState{}, unknown: map[string]bool{}}
}

// Close releases the client's idle connections.
func (p *Poller) Close() { p.client.Close() }

// Name is the target's name.
func (p *Poller) Name() string { return p.name }

// Kind is "kea".
func (p *Poller) Kind() string { return "kea" }

// Poll reads every daemon of the target and builds a snapshot. It fails only
// when no daemon could be read; a daemon down behind a working Control Agent
// is reported by kea_daemon_up 0 in an otherwise good snapshot. When the
// agent answers but every daemon is down, the poll fails with a partial
// snapshot of kea_daemon_up 0 for each daemon.
func (p *Poller) Poll(ctx context.Context) (*collector.Snapshot, int, error) {
	if !p.detected {
		if err := p.detect(ctx); err != nil {
			return nil, 0, err
		}
	}
	// Samples are gathered in the poller's own buffer, kept from poll to
	// poll (a steady poll allocates nothing for it), then scattered once,
	// grouped by metric, into the snapshot's slice of exactly their number,
	// which readers share and must not change.
	snap := &collector.Snapshot{Target: p.name, Kind: "kea", Time: p.now(), Samples: p.work[:0]}
	var firstErr error
	unknown := 0
	anyUp := false
	agentAnswered := p.direct == "" // for every daemon, so far
	names := p.daemonNames()
	for _, d := range names {
		ds := p.daemons[d]
		if ds.cmds == nil {
			ds.cmds = newCmdState()
		}
		n, err := p.pollDaemon(ctx, ds, snap)
		unknown += n
		ds.up = err == nil
		if err == nil {
			anyUp = true
			ds.lastErr = ""
			p.pollStatus(ctx, ds, snap)
			p.reviewSamples(ds, snap)
		} else {
			if firstErr == nil {
				firstErr = err
			}
			agentAnswered = agentAnswered && keaAnswered(err)
			if ds.lastErr != err.Error() {
				p.log.Warn("kea daemon poll failed", "daemon", d, "err", err)
				ds.lastErr = err.Error()
			}
		}
		if m := p.cat.Metric("kea_daemon_up"); m != nil {
			snap.Samples = append(snap.Samples, collector.Sample{Metric: m, ID: collector.NewIdentity(catalog.ScopeDaemon, p.name, d), Value: boolf(err == nil)})
		}
	}
	// Lease pages come last: they may use what is left of the poll's time.
	for _, d := range names {
		if ds := p.daemons[d]; ds.up {
			p.leaseStep(ctx, ds)
			p.leaseSamples(ds, snap)
			ds.cmds.samples(p.cat, ds.identity(p.name), snap)
		}
	}
	if anyUp && p.agentReview != nil {
		snap.Samples = append(snap.Samples, p.agentReview.samples...)
	}
	if !anyUp {
		// Detection may be stale (a Control Agent replaced by a daemon's own
		// listener on upgrade): detect again next time.
		p.detected = false
		if firstErr == nil {
			firstErr = &keactl.Error{Target: p.name, Command: "statistic-get-all", Reason: keactl.ReasonEmpty, Text: "no daemon to poll"}
		}
		if agentAnswered && len(names) > 0 {
			// The Control Agent answers but every daemon behind it is down:
			// the poll fails, yet kea_daemon_up 0 for each daemon is still
			// true, and tells this case from an agent that is gone.
			p.group(snap)
			return snap, unknown, firstErr
		}
		p.group(snap)
		return nil, unknown, firstErr
	}
	snap.Detail = p.detail()
	p.group(snap)
	return snap, unknown, nil
}

// readBufSize is the size of the reads of a statistic-get-all reply: a
// quarter megabyte takes what a UNIX socket holds (Kea's send buffer, about
// 200 KB) in one read, so a poll wakes up a few dozen times for a 5.5 MB
// reply rather than a hundred, and Kea never waits on the reader.
const readBufSize = 256 << 10

// group moves the samples gathered in the poller's buffer into the
// snapshot, grouped, and keeps the buffer, cleared so that it holds no
// identity of a configuration gone.
func (p *Poller) group(snap *collector.Snapshot) {
	p.work = snap.Samples
	snap.Samples = collector.GroupedInto(p.recycler.Memory(len(p.work)), p.work, len(p.cat.Metrics))
	clear(p.work)
	p.work = p.work[:0]
	p.recycler.Made(snap)
}

// keaAnswered says whether err is Kea's own answer (a result code), as
// opposed to no answer at all.
func keaAnswered(err error) bool {
	var ke *keactl.Error
	if !errors.As(err, &ke) {
		return false
	}
	switch ke.Reason {
	case keactl.ReasonError, keactl.ReasonUnsupported, keactl.ReasonEmpty, keactl.ReasonConflict:
		return true
	}
	return false
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (p *Poller) daemonNames() []string {
	names := make([]string, 0, len(p.daemons))
	for n := range p.daemons {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// detect finds out whether the URL is a Control Agent or a daemon, and which
// daemons there are. config-get without "service" answers both questions:
// the agent returns its own configuration with its control sockets, a daemon
// its configuration, which then serves as the first one for labels.
func (p *Poller) detect(ctx context.Context) error {
	var conf configReply
	result, err := p.client.CallInto(ctx, "config-get", "", nil, &conf)
	if err != nil {
		return err
	}
	if result == keactl.ResultEmpty {
		return &keactl.Error{Target: p.name, Command: "config-get", Reason: keactl.ReasonEmpty, Result: result, Text: "empty configuration"}
	}
	switch {
	case conf.Agent != nil:
		want := p.opts.Daemons
		if len(want) == 0 {
			for d := range conf.Agent.ControlSockets {
				want = append(want, d)
			}
		}
		p.resetDaemons("", want)
		set := newFindingSet(p.cat, collector.NewIdentity(catalog.ScopeDaemon, p.name, "ca"), []string{catalog.CheckCredentialsNoTLS}, reviewAgent(conf.Agent))
		p.agentReview = &set
		if len(p.daemons) == 0 {
			return &keactl.Error{Target: p.name, Command: "config-get", Reason: keactl.ReasonEmpty, Text: "the Control Agent has no control socket for dhcp4, dhcp6 or d2"}
		}
		p.log.Info("found a Kea Control Agent", "daemons", p.daemonNames())
	case conf.Dhcp4 != nil || conf.Dhcp6 != nil:
		daemon := "dhcp4"
		if conf.Dhcp6 != nil {
			daemon = "dhcp6"
		}
		p.resetDaemons(daemon, []string{daemon})
		cfg, err := labelsFromConfig(p.name, daemon, &conf)
		if err != nil {
			return &keactl.Error{Target: p.name, Command: "config-get", Reason: keactl.ReasonMalformed, Err: err}
		}
		p.agentReview = nil
		ds := p.daemons[daemon]
		ds.cfg, ds.cfgRead = cfg, p.now()
		p.reviewVersion(ctx, ds)
		p.log.Info("found a Kea daemon", "daemon", daemon)
	case conf.D2 != nil:
		p.agentReview = nil
		p.resetDaemons("d2", []string{"d2"})
		p.log.Info("found a Kea daemon", "daemon", "d2")
	default:
		return &keactl.Error{Target: p.name, Command: "config-get", Reason: keactl.ReasonMalformed, Err: errors.New("the configuration is neither a Control Agent's nor a DHCP or D2 daemon's")}
	}
	p.detected = true
	return nil
}

func (p *Poller) resetDaemons(direct string, names []string) {
	p.direct = direct
	old := p.daemons
	p.daemons = map[string]*daemonState{}
	for _, n := range names {
		if n != "dhcp4" && n != "dhcp6" && n != "d2" {
			continue
		}
		if ds, ok := old[n]; ok {
			p.daemons[n] = ds
			continue
		}
		p.daemons[n] = &daemonState{name: n}
	}
}

// service is the "service" value for a daemon: none when it is reached directly.
func (p *Poller) service(d string) string {
	if p.direct != "" {
		return ""
	}
	return d
}

func (p *Poller) pollDaemon(ctx context.Context, ds *daemonState, snap *collector.Snapshot) (int, error) {
	svc := p.service(ds.name)
	needConfig := ds.name != "d2" && ds.cfg == nil
	if ds.name != "d2" && ds.cfg != nil && !ds.noHash {
		// Kea 2.4+: a 64-byte hash tells whether config-get must be read again.
		resp, err := p.client.Call(ctx, "config-hash-get", svc, nil)
		var ke *keactl.Error
		switch {
		case errors.As(err, &ke) && ke.Reason == keactl.ReasonUnsupported:
			ds.noHash = true
		case err != nil:
			return 0, err
		default:
			var h struct {
				Hash string `json:"hash"`
			}
			if json.Unmarshal(resp.Arguments, &h) == nil && h.Hash != ds.cfg.hash {
				needConfig = true
			}
		}
	}
	if ds.noHash && ds.cfg != nil && p.now().Sub(ds.cfgRead) >= p.opts.ConfigRefresh {
		needConfig = true
	}
	if needConfig {
		if err := p.readConfig(ctx, ds); err != nil {
			return 0, err
		}
	}
	start := len(snap.Samples)
	unknown, match, err := p.readStats(ctx, ds, snap)
	if err != nil {
		snap.Samples = snap.Samples[:start]
		return unknown, err
	}
	// Kea 2.2 has no hash: a subnet in the statistics that the configuration
	// lacks (or the reverse) means the configuration changed. Read it once
	// per change of the statistics' subnets, not on every poll while Kea's
	// statistics and configuration disagree, and read the statistics again
	// with the new labels (rare: only when the configuration changed).
	if ds.name != "d2" && (ds.noHash || ds.cfg.hash == "") && !match.ok && match.sig != ds.cfgSig {
		if err := p.readConfig(ctx, ds); err != nil {
			snap.Samples = snap.Samples[:start]
			return unknown, err
		}
		ds.cfgSig = match.sig
		snap.Samples = snap.Samples[:start]
		if unknown, _, err = p.readStats(ctx, ds, snap); err != nil {
			snap.Samples = snap.Samples[:start]
			return unknown, err
		}
	}
	return unknown, nil
}

func (p *Poller) readConfig(ctx context.Context, ds *daemonState) error {
	var conf configReply
	if _, err := p.client.CallInto(ctx, "config-get", p.service(ds.name), nil, &conf); err != nil {
		return err
	}
	cfg, err := labelsFromConfig(p.name, ds.name, &conf)
	if err != nil {
		return &keactl.Error{Target: p.name, Command: "config-get", Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: err}
	}
	if ds.cfg != nil {
		p.log.Info("kea configuration changed", "daemon", ds.name, "subnets", len(cfg.subnets))
	}
	ds.cfg, ds.cfgRead = cfg, p.now()
	p.reviewVersion(ctx, ds)
	return nil
}

// subnetMatch says whether the statistics' subnets are the configuration's
// (every one known, as many), with a signature of the statistics' set.
type subnetMatch struct {
	ok  bool
	sig uint64
}

func (p *Poller) readStats(ctx context.Context, ds *daemonState, snap *collector.Snapshot) (int, subnetMatch, error) {
	var env statEnvelope
	var unknown int
	var match subnetMatch
	svc := p.service(ds.name)
	err := p.client.Stream(ctx, "statistic-get-all", svc, nil, func(r io.Reader) error {
		var err error
		env, unknown, match, err = p.parseStats(ds, r, snap)
		return err
	})
	if err != nil {
		return 0, match, err
	}
	if err := p.client.ResultError("statistic-get-all", svc, env.Result, env.Text); err != nil {
		return 0, match, err
	}
	return unknown, match, nil
}

// parseStats reads a statistic-get-all reply straight into samples of snap:
// each statistic is labelled as it is read, with no intermediate copy of the
// reply (at 10,000 subnets that copy was 3 MB a poll).
func (p *Poller) parseStats(ds *daemonState, r io.Reader, snap *collector.Snapshot) (statEnvelope, int, subnetMatch, error) {
	cfg := ds.cfg
	// Room for every statistic and the derived ratios, so that the buffer
	// kept across polls is not left at twice its need by append's doubling.
	need := ds.samples // the last poll's, derived samples included
	if cfg != nil && need < len(cfg.subnetList) {
		need = 12*len(cfg.subnetList) + 3*len(cfg.poolList) // a first guess
	}
	if cap(snap.Samples)-len(snap.Samples) < need {
		grown := make([]collector.Sample, len(snap.Samples), len(snap.Samples)+need)
		copy(grown, snap.Samples)
		snap.Samples = grown
	}
	first := len(snap.Samples)
	global := collector.NewIdentity(catalog.ScopeGlobal, p.name)
	keys := map[string]*collector.Identity{}
	acc := reuseAccumulator(ds.spareAcc, p.derived[ds.name], cfg)
	ds.spareAcc = nil
	memo := &ds.memo
	memo.start(cfg)
	var last *subnetInfo // Kea lists a subnet's statistics together
	match := subnetMatch{ok: true}
	var notConfigured []int64
	subnets := 0
	unknown := 0
	odd := func(name []byte) {
		unknown++
		p.noteUnknown(ds.name, name)
	}
	if p.readBuf == nil {
		p.readBuf = make([]byte, readBufSize)
	}
	env, err := parseStatisticsIn(p.readBuf, &ds.entries, r, func(name, raw []byte) {
		sn, ok := splitStatName(name)
		var b *catalog.Binding
		if ok {
			b, ok = memo.binding(sn, func() (*catalog.Binding, bool) { return p.cat.LookupBytes(ds.name, sn.scope, sn.stat) })
		}
		if !ok {
			odd(name)
			return
		}
		v, err := parseValue(raw)
		if err != nil || sn.subnet > math.MaxUint32 || sn.pool > math.MaxUint32 {
			odd(name) // not a number, or not a Kea id
			return
		}
		var id *collector.Identity
		var si *subnetInfo
		var pi *poolInfo
		switch sn.scope {
		case catalog.ScopeGlobal:
			id = global
		case catalog.ScopeKey:
			if id = keys[sn.key]; id == nil {
				id = collector.NewIdentity(catalog.ScopeKey, p.name, sn.key)
				keys[sn.key] = id
			}
		default:
			if last == nil || last.id != sn.subnet {
				last = memo.subnet(sn.subnet, func() *subnetInfo { return p.subnet(cfg, sn.subnet) })
				subnets++
				match.sig = match.sig*1000003 ^ uint64(sn.subnet)
				if last.idx < 0 {
					match.ok = false
					if cfg != nil {
						notConfigured = append(notConfigured, sn.subnet)
					}
				}
			}
			si = last
			id = si.identity
			if sn.scope == catalog.ScopePool || sn.scope == catalog.ScopePDPool {
				pi = p.pool(si, sn.scope, sn.pool)
				id = pi.ident(si, sn.scope)
			}
		}
		st := observed{metric: b.Metric, scope: sn.scope}
		if v < 0 {
			// Kea 2.2 reports -1 for a total that overflows its int64 counter
			// (a whole /64 pool): take the size from the configured ranges.
			size, ok := acc.sizeOf(st, si, pi)
			if !ok {
				return
			}
			v = size
		}
		acc.observe(st, si, pi, v)
		snap.Samples = append(snap.Samples, collector.Sample{Metric: b.Metric, ID: id, Extra: &b.ExtraValues, Value: v})
	}, odd)
	if err != nil {
		return env, unknown, match, err
	}
	if cfg != nil && subnets != len(cfg.subnets) {
		match.ok = false // Kea lists a subnet's statistics together, so subnets counts them
	}
	match.sig ^= uint64(subnets) << 48
	acc.emit(snap)
	ds.acc, ds.spareAcc = acc, ds.acc
	ds.notConfigured = notConfigured
	ds.samples = len(snap.Samples) - first
	return env, unknown, match, nil
}

// noteUnknown logs a statistic the catalog does not know, once per name.
// The set is bounded so that a Kea sending garbage names cannot grow it.
func (p *Poller) noteUnknown(daemon string, name []byte) {
	if p.unknown[string(name)] || len(p.unknown) >= 1000 {
		return
	}
	p.unknown[string(name)] = true
	p.log.Warn("kea statistic not in the catalog: counted in ddiscope_unknown_statistics, not exported", "daemon", daemon, "statistic", string(name))
}

// subnet returns the labels of a subnet, with empty prefix and shared network
// when the configuration does not know it yet (it is read again next poll).
func (p *Poller) subnet(cfg *daemonConfig, id int64) *subnetInfo {
	if cfg != nil {
		if si, ok := cfg.subnets[id]; ok {
			return si
		}
	}
	return &subnetInfo{idx: -1, id: id, identity: collector.NewIdentity(catalog.ScopeSubnet, p.name, fmt.Sprint(id), "", "")}
}

func (p *Poller) pool(si *subnetInfo, scope catalog.Scope, id int64) *poolInfo {
	list := si.pools
	if scope == catalog.ScopePDPool {
		list = si.pdPools
	}
	if i, ok := findPool(list, id); ok {
		return list[i]
	}
	// A pool the configuration lacks: labelled with its id only.
	return &poolInfo{idx: -1, id: id}
}
