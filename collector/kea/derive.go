package kea

import (
	"slices"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// derivation computes what Kea does not report: utilisation of subnets and
// pools, and totals and utilisation of shared networks (Kea has no
// shared-network statistics).
type derivation struct {
	// The metrics Kea's total and assigned statistics feed, per subnet and
	// per pool.
	subnetTotal, subnetAssigned *catalog.Metric
	poolTotal, poolAssigned     *catalog.Metric
	poolScope                   catalog.Scope
	pd                          bool // sizes come from pd-pools (prefixes), not address pools
	subnetRatio                 *catalog.Metric
	poolRatio                   *catalog.Metric
	sharedTotal                 *catalog.Metric
	sharedAssigned              *catalog.Metric
	sharedRatio                 *catalog.Metric
}

// derivationNames lists, per daemon, the statistics and the catalog metrics
// each derivation uses. A test checks that every name is in the catalog.
func derivationNames() map[string][][7]string {
	return map[string][][7]string{
		"dhcp4": {{"total-addresses", "assigned-addresses",
			"kea_dhcp4_subnet_utilization_ratio", "kea_dhcp4_pool_utilization_ratio",
			"kea_dhcp4_shared_network_addresses", "kea_dhcp4_shared_network_addresses_assigned", "kea_dhcp4_shared_network_utilization_ratio"}},
		"dhcp6": {
			{"total-nas", "assigned-nas",
				"kea_dhcp6_subnet_address_utilization_ratio", "kea_dhcp6_pool_utilization_ratio",
				"kea_dhcp6_shared_network_addresses", "kea_dhcp6_shared_network_addresses_assigned", "kea_dhcp6_shared_network_address_utilization_ratio"},
			{"total-pds", "assigned-pds",
				"kea_dhcp6_subnet_prefix_utilization_ratio", "kea_dhcp6_pd_pool_utilization_ratio",
				"kea_dhcp6_shared_network_prefixes", "kea_dhcp6_shared_network_prefixes_assigned", "kea_dhcp6_shared_network_prefix_utilization_ratio"},
		},
	}
}

func derivations(cat *catalog.Catalog) map[string][]derivation {
	out := map[string][]derivation{}
	for daemon, list := range derivationNames() {
		for _, n := range list {
			d := derivation{poolScope: catalog.ScopePool,
				subnetRatio: cat.Metric(n[2]), poolRatio: cat.Metric(n[3]),
				sharedTotal: cat.Metric(n[4]), sharedAssigned: cat.Metric(n[5]), sharedRatio: cat.Metric(n[6])}
			if n[0] == "total-pds" {
				d.pd, d.poolScope = true, catalog.ScopePDPool
			}
			metric := func(scope catalog.Scope, stat string) *catalog.Metric {
				b, _ := cat.Lookup(daemon, scope, stat)
				return b.Metric
			}
			d.subnetTotal, d.subnetAssigned = metric(catalog.ScopeSubnet, n[0]), metric(catalog.ScopeSubnet, n[1])
			d.poolTotal, d.poolAssigned = metric(d.poolScope, n[0]), metric(d.poolScope, n[1])
			out[daemon] = append(out[daemon], d)
		}
	}
	return out
}

type pair struct {
	total, assigned       float64
	hasTotal, hasAssigned bool
}

// accumulator gathers totals and assigned counts during one build.
// Pairs are indexed by the position of subnets and pools in the
// configuration, which is also the order derived samples come out in.
type accumulator struct {
	ds      []derivation
	cfg     *daemonConfig
	subnets [][]pair
	pools   [][]pair
}

func newAccumulator(ds []derivation, cfg *daemonConfig) *accumulator {
	return reuseAccumulator(nil, ds, cfg)
}

// reuseAccumulator is newAccumulator in the memory of old, an accumulator
// no longer used (the poll before last's), when it fits: at 10,000 subnets
// that is most of a megabyte a poll not asked of the allocator.
func reuseAccumulator(old *accumulator, ds []derivation, cfg *daemonConfig) *accumulator {
	a := old
	if a == nil || len(a.subnets) != len(ds) {
		a = &accumulator{subnets: make([][]pair, len(ds)), pools: make([][]pair, len(ds))}
	}
	a.ds, a.cfg = ds, cfg
	for i := range ds {
		var subnets, pools int
		if cfg != nil {
			subnets, pools = len(cfg.subnetList), len(cfg.poolList)
		}
		a.subnets[i] = resize(a.subnets[i], subnets)
		a.pools[i] = resize(a.pools[i], pools)
	}
	return a
}

// resize returns s with n zero pairs, in s's memory when it has room.
func resize(s []pair, n int) []pair {
	if cap(s) < n {
		return make([]pair, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// sizeOf returns the configured size for a total statistic Kea could not
// count, and false for anything else.
func (a *accumulator) sizeOf(rs observed, si *subnetInfo, pi *poolInfo) (float64, bool) {
	m := rs.metric
	for _, d := range a.ds {
		if m != d.subnetTotal && m != d.poolTotal {
			continue
		}
		switch {
		case pi != nil && pi.size > 0:
			return pi.size, true
		case pi == nil && si != nil && d.pd && si.prefixes > 0:
			return si.prefixes, true
		case pi == nil && si != nil && !d.pd && si.addresses > 0:
			return si.addresses, true
		}
	}
	return 0, false
}

func (a *accumulator) observe(rs observed, si *subnetInfo, pi *poolInfo, v float64) {
	if si == nil || si.idx < 0 || (pi != nil && pi.idx < 0) {
		return // not in the configuration (yet): no labels to derive with
	}
	m := rs.metric
	for i, d := range a.ds {
		isTotal := m == d.subnetTotal || m == d.poolTotal
		if !isTotal && m != d.subnetAssigned && m != d.poolAssigned {
			continue
		}
		var p *pair
		switch {
		case pi != nil && rs.scope == d.poolScope:
			p = &a.pools[i][pi.idx]
		case pi == nil:
			p = &a.subnets[i][si.idx]
		default:
			continue
		}
		if isTotal {
			p.total, p.hasTotal = v, true
		} else {
			p.assigned, p.hasAssigned = v, true
		}
	}
}

func (a *accumulator) emit(snap *collector.Snapshot) {
	for i, d := range a.ds {
		shared := map[string]*pair{}
		if a.cfg == nil {
			continue
		}
		for j, si := range a.cfg.subnetList {
			p := &a.subnets[i][j]
			if !p.hasTotal && !p.hasAssigned {
				continue
			}
			if d.subnetRatio != nil && p.hasTotal && p.hasAssigned && p.total > 0 {
				snap.Samples = append(snap.Samples, collector.Sample{Metric: d.subnetRatio, ID: si.identity, Value: p.assigned / p.total})
			}
			if si.sharedNetwork == "" {
				continue
			}
			sp := shared[si.sharedNetwork]
			if sp == nil {
				sp = &pair{}
				shared[si.sharedNetwork] = sp
			}
			sp.total += p.total
			sp.assigned += p.assigned
			sp.hasTotal = sp.hasTotal || p.hasTotal
			sp.hasAssigned = sp.hasAssigned || p.hasAssigned
		}
		for j, pi := range a.cfg.poolList {
			p := &a.pools[i][j]
			if d.poolRatio != nil && p.hasTotal && p.hasAssigned && p.total > 0 {
				snap.Samples = append(snap.Samples, collector.Sample{Metric: d.poolRatio, ID: pi.identity, Value: p.assigned / p.total}) // built when observed
			}
		}
		names := make([]string, 0, len(shared))
		for n := range shared {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			p := shared[n]
			id := collector.NewIdentity(catalog.ScopeSharedNetwork, snap.Target, n)
			if d.sharedTotal != nil && p.hasTotal {
				snap.Samples = append(snap.Samples, collector.Sample{Metric: d.sharedTotal, ID: id, Value: p.total})
			}
			if d.sharedAssigned != nil && p.hasAssigned {
				snap.Samples = append(snap.Samples, collector.Sample{Metric: d.sharedAssigned, ID: id, Value: p.assigned})
			}
			if d.sharedRatio != nil && p.hasTotal && p.hasAssigned && p.total > 0 {
				snap.Samples = append(snap.Samples, collector.Sample{Metric: d.sharedRatio, ID: id, Value: p.assigned / p.total})
			}
		}
	}
}
