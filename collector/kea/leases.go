package kea

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"golang.org/x/time/rate"
)

// Lease passes: ddiscope walks the lease database page by page with
// lease4-get-page / lease6-get-page on its own interval, spread over as
// many polls as it takes at a capped page rate, and counts per subnet. Only
// counters are kept (per subnet: by state, by time to expiry, by time since
// the last client contact), so memory does not grow with the number of
// leases. The counts of the last complete pass go into every snapshot.
//
// Kea's CPU per lease grows with the page size; 1,000 is about the cheapest
// (docs/leases.md). A pass is a walk, not a snapshot: leases that change
// while it runs are counted as they were when their page was read.

// LeaseOptions configure lease passes. The zero value turns them off.
type LeaseOptions struct {
	// Interval between the starts of two passes; 0 turns lease passes off.
	Interval time.Duration
	// PageSize is the "limit" of each page; default 1000.
	PageSize int
	// PagesPerSecond caps the rate of page requests, to protect Kea;
	// default 10. Negative: no cap.
	PagesPerSecond float64
	// Burst is how many pages go back to back before a pause (the
	// bucket of the rate cap); default 10.
	Burst int
	// Budget is the time one poll may spend on lease pages; default half
	// the time the poll has left, or 5 s when it has no deadline.
	Budget time.Duration
}

func (o LeaseOptions) defaults() LeaseOptions {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.PagesPerSecond == 0 {
		o.PagesPerSecond = 10
	}
	if o.Burst <= 0 {
		o.Burst = 10
	}
	return o
}

// maxPageFailures is how often one page may fail in a row before the pass
// is abandoned (and started afresh at the next interval).
const maxPageFailures = 3

// typeCounts are one lease type's counters in one subnet.
type typeCounts struct {
	states   [6]uint32 // by catalog.LeaseStates index
	expiring [7]uint32 // by first bucket of catalog.LeaseExpiryBuckets that holds it; 6 = +Inf only
	renewed  [7]uint32 // likewise for catalog.LeaseAgeBuckets
}

// subnetLeases are one subnet's counters, by lease type (DHCPv4: [0]),
// and by state per configured pool range (rangeInfo.slot of si).
type subnetLeases struct {
	types  [3]*typeCounts
	si     *subnetInfo // the configuration the pool counts follow
	ranges [][6]uint32
}

// leaseResult is a complete pass.
type leaseResult struct {
	subnets    map[int64]*subnetLeases
	leases     int
	unknown    int
	start, end time.Time
}

// leasePass is one daemon's lease walk, kept between polls.
type leasePass struct {
	running  bool
	from     string     // next page's "from"
	fromAddr netip.Addr // to check that paging moves forward
	started  time.Time
	fails    int
	counts   map[int64]*subnetLeases
	leases   int
	unknown  int
	next     time.Time // when the next pass starts

	pace *rate.Limiter // pages that may be asked for now; made at the first page

	done   *leaseResult
	spare  map[int64]*subnetLeases // the counts of the pass before last, reused
	pages  uint64
	passes [2]uint64 // complete, abandoned

	stat *statLeases // the last stat-lease4-get / stat-lease6-get

	sc   scanner
	page leasePage
}

func (p *Poller) leaseCommand(ds *daemonState) string {
	if ds.name == "dhcp6" {
		return "lease6-get-page"
	}
	return "lease4-get-page"
}

// leaseStep advances the daemon's lease pass for at most the poll's lease
// budget. Errors are counted, never returned: a lease pass must not fail
// the poll.
func (p *Poller) leaseStep(ctx context.Context, ds *daemonState) {
	o := p.opts.Leases
	if o.Interval <= 0 || (ds.name != "dhcp4" && ds.name != "dhcp6") || ds.cfg == nil {
		return
	}
	if ds.lease == nil {
		ds.lease = &leasePass{}
	}
	lp := ds.lease
	now := p.now()
	if !lp.running {
		if now.Before(lp.next) {
			return
		}
		if !ds.cmds.allowed(p.leaseCommand(ds), now) {
			return
		}
		lp.start(now, o.Interval)
		p.readStatLeases(ctx, ds)
	}
	budget := o.Budget
	if budget <= 0 {
		budget = 5 * time.Second
		if dl, ok := ctx.Deadline(); ok {
			budget = time.Until(dl) / 2
		}
	}
	// Pacing and budget use the wall clock; p.now dates the leases.
	end := time.Now().Add(budget)
	for lp.running {
		if o.PagesPerSecond > 0 {
			now := time.Now()
			if lp.pace == nil {
				lp.pace = rate.NewLimiter(rate.Limit(o.PagesPerSecond), o.Burst)
			}
			if tokens := lp.pace.TokensAt(now); tokens < 1 {
				// Wait for a whole burst rather than one page: the
				// average rate is the same, the wake-ups (Kea's and
				// ours) are Burst times fewer.
				wait := time.Duration((float64(o.Burst) - tokens) / o.PagesPerSecond * float64(time.Second))
				if now.Add(wait).After(end) {
					return
				}
				if !sleepCtx(ctx, wait) {
					return
				}
				continue
			}
			lp.pace.AllowN(now, 1)
		}
		if ctx.Err() != nil || time.Now().After(end) {
			return
		}
		if !p.leasePage(ctx, ds, lp, o.PageSize) {
			return
		}
	}
}

// sleepCtx waits d or until ctx ends; it reports whether d passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (lp *leasePass) start(now time.Time, interval time.Duration) {
	lp.running, lp.from, lp.fromAddr, lp.started, lp.fails = true, "start", netip.Addr{}, now, 0
	lp.counts, lp.spare = lp.spare, nil
	if lp.counts == nil {
		lp.counts = map[int64]*subnetLeases{}
	}
	clear(lp.counts)
	lp.leases, lp.unknown = 0, 0
	lp.next = now.Add(interval)
}

// leasePage reads and applies one page. It returns false when the poll
// should stop paging (an error; the pass may go on next poll).
func (p *Poller) leasePage(ctx context.Context, ds *daemonState, lp *leasePass, limit int) bool {
	cmd := p.leaseCommand(ds)
	v6 := ds.name == "dhcp6"
	args := map[string]any{"from": lp.from, "limit": limit}
	pageTime := p.now()
	err := p.client.Stream(ctx, cmd, p.service(ds.name), args, func(r io.Reader) error {
		lp.sc.reset(r)
		return parseLeasePage(&lp.sc, &lp.page, v6, limit)
	})
	if err == nil {
		err = p.client.ResultError(cmd, p.service(ds.name), lp.page.env.Result, lp.page.env.Text)
		if keactl.ReasonOf(err) == keactl.ReasonEmpty {
			err = nil // past the last lease
		}
	}
	var next netip.Addr
	if err == nil && len(lp.page.leases) > 0 {
		next, err = netip.ParseAddr(string(lp.page.last))
		switch {
		case err != nil || next.Is6() != v6:
			err = &keactl.Error{Target: p.name, Command: cmd, Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: fmt.Errorf("last lease's ip-address %q: not an IPv%s address", lp.page.last, map[bool]string{false: "4", true: "6"}[v6])}
		case lp.fromAddr.IsValid() && !lp.fromAddr.Less(next):
			// Kea returns leases after "from": a page that does not
			// move on would loop for ever.
			err = &keactl.Error{Target: p.name, Command: cmd, Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: fmt.Errorf("page after %s ends at %s: paging does not move forward", lp.fromAddr, next)}
			lp.fails = maxPageFailures
		}
	}
	if err != nil {
		var ke *keactl.Error
		if !errors.As(err, &ke) {
			err = &keactl.Error{Target: p.name, Command: cmd, Service: p.service(ds.name), Reason: keactl.ReasonMalformed, Err: err}
		}
		p.record(ds, cmd, err)
		lp.fails++
		if lp.fails >= maxPageFailures || !ds.cmds.allowed(cmd, p.now()) {
			lp.abandon()
			p.log.Warn("lease pass abandoned; the last complete pass stays exported", "daemon", ds.name, "after_leases", lp.leases, "err", err)
		}
		return false
	}
	ds.cmds.result(cmd, nil, p.now())
	lp.fails = 0
	lp.pages++
	lp.apply(ds.cfg, pageTime)
	if len(lp.page.leases) > 0 {
		lp.from, lp.fromAddr = next.String(), next
	}
	if len(lp.page.leases) < limit {
		lp.finish(p.now())
		return false
	}
	return true
}

func (lp *leasePass) abandon() {
	lp.running = false
	lp.passes[1]++
	lp.spare = lp.counts
	lp.counts = nil
}

func (lp *leasePass) finish(now time.Time) {
	lp.running = false
	lp.passes[0]++
	if lp.done != nil {
		lp.spare = lp.done.subnets
	}
	lp.done = &leaseResult{subnets: lp.counts, leases: lp.leases, unknown: lp.unknown, start: lp.started, end: now}
	lp.counts = nil
}

// apply adds the page's leases to the pass's counters.
func (lp *leasePass) apply(cfg *daemonConfig, now time.Time) {
	t := now.Unix()
	var last *subnetLeases
	lastID := int64(-1)
	for i := range lp.page.leases {
		l := &lp.page.leases[i]
		lp.leases++
		if l.subnet != lastID {
			lastID = l.subnet
			last = lp.counts[l.subnet]
			if last == nil {
				if si, known := cfg.subnets[l.subnet]; known {
					last = &subnetLeases{si: si, ranges: make([][6]uint32, si.rangeCount())}
					lp.counts[l.subnet] = last
				}
			}
		}
		if last == nil {
			lp.unknown++ // bounded: no map entry for a subnet the configuration lacks
			continue
		}
		tc := last.types[l.typ]
		if tc == nil {
			tc = &typeCounts{}
			last.types[l.typ] = tc
		}
		st := l.state
		if st < 0 || st > 4 {
			st = 5
		}
		tc.states[st]++
		// Addresses (IA_NA in DHCPv6) in the address pools, delegated
		// prefixes in the pd-pools; IA_TA leases have no pool statistic.
		if k := [3]int{0, -1, 1}[l.typ]; k >= 0 {
			if ri := last.si.rangeOf(k, l.addr); ri != nil {
				last.ranges[ri.slot][st]++
			}
		}
		if st != 0 {
			continue
		}
		tc.expiring[bucket(catalog.LeaseExpiryBuckets, l.cltt+l.validLft-t)]++
		tc.renewed[bucket(catalog.LeaseAgeBuckets, t-l.cltt)]++
	}
}

// bucket returns the first bound that v does not exceed, or len(bounds).
func bucket(bounds []float64, v int64) int {
	for i, b := range bounds {
		if float64(v) <= b {
			return i
		}
	}
	return len(bounds)
}

// leaseLabels are the extra label values of the lease metrics, built once
// per poller and shared by every sample.
type leaseLabels struct {
	states   [3][6]*[]string // [type][state]; DHCPv4 uses [0] without the type
	expiring [3][7]*[]string
	renewed  [3][7]*[]string
	v4states [6]*[]string
	v4exp    [7]*[]string
	v4ren    [7]*[]string
	passes   [2]*[]string
}

func newLeaseLabels() *leaseLabels {
	ll := &leaseLabels{}
	bound := func(bounds []float64, i int) string {
		if i == len(bounds) {
			return "+Inf"
		}
		return fmt.Sprint(bounds[i])
	}
	one := func(v ...string) *[]string { return &v }
	for s, name := range catalog.LeaseStates {
		ll.v4states[s] = one(name)
		for t, typ := range catalog.LeaseTypes {
			ll.states[t][s] = one(typ, name)
		}
	}
	for i := range 7 {
		ll.v4exp[i] = one(bound(catalog.LeaseExpiryBuckets, i))
		ll.v4ren[i] = one(bound(catalog.LeaseAgeBuckets, i))
		for t, typ := range catalog.LeaseTypes {
			ll.expiring[t][i] = one(typ, bound(catalog.LeaseExpiryBuckets, i))
			ll.renewed[t][i] = one(typ, bound(catalog.LeaseAgeBuckets, i))
		}
	}
	ll.passes = [2]*[]string{one("complete"), one("abandoned")}
	return ll
}

// leaseMetrics are the catalog entries of one daemon's lease samples.
type leaseMetrics struct {
	leases, expiring, renewed                  *catalog.Metric
	dbAssigned, dbDeclined, dbPDAssigned       *catalog.Metric
	dbDrift, dbPDDrift                         *catalog.Metric
	poolLeases, poolRatio                      [2]*catalog.Metric // address pools, pd-pools
	duration, timestamp, count, unknown, pages *catalog.Metric
	passes                                     *catalog.Metric
}

func newLeaseMetrics(cat *catalog.Catalog, daemon string) *leaseMetrics {
	m := func(n string) *catalog.Metric { return cat.Metric(n) }
	lm := &leaseMetrics{
		leases: m("kea_" + daemon + "_subnet_leases"), expiring: m("kea_" + daemon + "_subnet_leases_expiring"),
		renewed:    m("kea_" + daemon + "_subnet_leases_renewed"),
		dbAssigned: m("kea_" + daemon + "_subnet_lease_db_addresses_assigned"), dbDeclined: m("kea_" + daemon + "_subnet_lease_db_addresses_declined"),
		dbDrift:    m("kea_" + daemon + "_subnet_lease_db_addresses_drift"),
		poolLeases: [2]*catalog.Metric{m("kea_" + daemon + "_pool_leases")}, poolRatio: [2]*catalog.Metric{m("kea_" + daemon + "_pool_lease_utilization_ratio")},
		duration: m("ddiscope_lease_pass_duration_seconds"), timestamp: m("ddiscope_lease_pass_timestamp_seconds"),
		count: m("ddiscope_lease_pass_leases"), unknown: m("ddiscope_lease_pass_unknown_subnet_leases"),
		pages: m("ddiscope_lease_pages_total"), passes: m("ddiscope_lease_passes_total"),
	}
	if daemon == "dhcp6" {
		lm.dbPDAssigned = m("kea_dhcp6_subnet_lease_db_prefixes_assigned")
		lm.dbPDDrift = m("kea_dhcp6_subnet_lease_db_prefixes_drift")
		lm.poolLeases[1], lm.poolRatio[1] = m("kea_dhcp6_pd_pool_leases"), m("kea_dhcp6_pd_pool_lease_utilization_ratio")
	}
	return lm
}

// leaseSamples writes the last complete pass and the pass self-metrics.
func (p *Poller) leaseSamples(ds *daemonState, snap *collector.Snapshot) {
	lp := ds.lease
	if lp == nil || ds.cfg == nil {
		return
	}
	lm := p.leaseMetrics[ds.name]
	ll := p.leaseLabels
	v6 := ds.name == "dhcp6"
	out := sampler{snap: snap, id: ds.identity(p.name)}
	add := func(m *catalog.Metric, id *collector.Identity, extra *[]string, v float64) {
		if m != nil {
			snap.Samples = append(snap.Samples, collector.Sample{Metric: m, ID: id, Extra: extra, Value: v})
		}
	}
	if r := lp.done; r != nil {
		for _, si := range ds.cfg.subnetList {
			sl := r.subnets[si.id]
			for t := range 3 {
				var tc *typeCounts
				if sl != nil {
					tc = sl.types[t]
				}
				// DHCPv4 has one type; DHCPv6 shows addresses always,
				// prefixes where the subnet delegates any, and temporary
				// addresses when there are some.
				switch {
				case !v6 && t > 0:
					continue
				case v6 && t == 1 && tc == nil:
					continue
				case v6 && t == 2 && tc == nil && len(si.pdPools) == 0:
					continue
				}
				if tc == nil {
					tc = &typeCounts{}
				}
				stateLabels, expLabels, renLabels := ll.v4states[:], ll.v4exp[:], ll.v4ren[:]
				if v6 {
					stateLabels, expLabels, renLabels = ll.states[t][:], ll.expiring[t][:], ll.renewed[t][:]
				}
				for s, n := range tc.states {
					if s < 3 || n > 0 {
						add(lm.leases, si.identity, stateLabels[s], float64(n))
					}
				}
				var cum uint32
				for i, n := range tc.expiring {
					cum += n
					add(lm.expiring, si.identity, expLabels[i], float64(cum))
				}
				cum = 0
				for i, n := range tc.renewed {
					cum += n
					add(lm.renewed, si.identity, renLabels[i], float64(cum))
				}
			}
			p.poolLeaseSamples(si, sl, lm, add)
		}
		out.add(lm.duration, r.end.Sub(r.start).Seconds())
		out.add(lm.timestamp, float64(r.end.UnixMilli())/1000)
		out.add(lm.count, float64(r.leases))
		out.add(lm.unknown, float64(r.unknown))
	}
	if st := lp.stat; st != nil {
		for _, row := range st.rows {
			si, ok := ds.cfg.subnets[row.subnet]
			if !ok {
				continue
			}
			if row.assigned != nil {
				add(lm.dbAssigned, si.identity, nil, *row.assigned)
			}
			if row.declined != nil {
				add(lm.dbDeclined, si.identity, nil, *row.declined)
			}
			if row.pdAssigned != nil {
				add(lm.dbPDAssigned, si.identity, nil, *row.pdAssigned)
			}
			if row.drift != nil {
				add(lm.dbDrift, si.identity, nil, *row.drift)
			}
			if row.pdDrift != nil {
				add(lm.dbPDDrift, si.identity, nil, *row.pdDrift)
			}
		}
	}
	add(lm.pages, out.id, nil, float64(lp.pages))
	for i, n := range lp.passes {
		add(lm.passes, out.id, ll.passes[i], float64(n))
	}
}

// poolLeaseSamples writes a subnet's per-range lease counts and utilisation
// from the last complete pass. A subnet whose configuration was read again
// during that pass has none until the next pass: its ranges may differ.
func (p *Poller) poolLeaseSamples(si *subnetInfo, sl *subnetLeases, lm *leaseMetrics, add func(*catalog.Metric, *collector.Identity, *[]string, float64)) {
	if sl != nil && sl.si != si {
		return
	}
	scopes := [2]catalog.Scope{catalog.ScopePool, catalog.ScopePDPool}
	for k, list := range si.ranges {
		if lm.poolLeases[k] == nil {
			continue
		}
		for _, ri := range list {
			var n [6]uint32
			if sl != nil {
				n = sl.ranges[ri.slot]
			}
			id := ri.ident(si, scopes[k])
			for s, c := range n {
				if s < 3 || c > 0 {
					add(lm.poolLeases[k], id, p.leaseLabels.v4states[s], float64(c))
				}
			}
			// Kea's assigned statistics count declined leases too.
			if ri.size > 0 {
				add(lm.poolRatio[k], id, nil, float64(n[0]+n[1])/ri.size)
			}
		}
	}
}
