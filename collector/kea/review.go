package kea

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// The configuration review: checks of a daemon's configuration, run once
// per configuration read (config-get is read only when it changed), so a
// poll only copies their samples. Overlaps are found by sorting and one
// sweep, never by comparing every pair: at 10,000 subnets the review costs
// a few milliseconds (BenchmarkReview). Each check is described, with why
// it matters and how to fix it, in docs/config-review.md and the runbook of
// its alert.

// finding is one mistake a check found.
type finding struct {
	check, subject string
}

// largeConfigSubnets is from how many subnets Kea's default of 20 samples
// per statistic makes statistic-get-all (and so every poll) costly: 20
// times the statistics of every subnet.
const largeConfigSubnets = 1000

// v6CounterLimit is the first pool size Kea's 64-bit signed statistics
// cannot hold (before 2.5.3 they report it as -1).
var v6CounterLimit = math.Ldexp(1, 63)

// addrRange is an inclusive range of addresses with what it belongs to.
type addrRange struct {
	first, last netip.Addr
	si          *subnetInfo
	what        string // the pool's range as configured, or the subnet's prefix
}

// sweepOverlaps sorts ranges by first address (the widest first) and calls
// overlap for each range that starts before the widest range seen so far
// ends, with that range: every overlapping range is reported once, in
// O(n log n).
func sweepOverlaps(rs []addrRange, overlap func(later, cover *addrRange)) {
	slices.SortFunc(rs, func(a, b addrRange) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return b.last.Compare(a.last)
	})
	cover := -1
	for i := range rs {
		if cover >= 0 && !rs[cover].last.Less(rs[i].first) {
			overlap(&rs[i], &rs[cover])
		}
		if cover < 0 || rs[cover].last.Less(rs[i].last) {
			cover = i
		}
	}
}

// subnetSubject is how a subject about a subnet starts: the alerts read the
// subnet id from it for their links.
func subnetSubject(si *subnetInfo) string {
	return "subnet " + strconv.FormatInt(si.id, 10) + " " + si.prefix
}

func hookNamed(hooks []hookConf, name string) bool {
	for _, h := range hooks {
		base := path.Base(h.Library)
		if strings.HasPrefix(base, "libdhcp_"+name+".") || base == "libdhcp_"+name {
			return true
		}
	}
	return false
}

// reviewConfig runs the checks that need only the daemon's own
// configuration. The version-dependent one is reviewVersion.
func reviewConfig(daemon string, dc *dhcpConfig, cfg *daemonConfig) []finding {
	var out []finding
	add := func(check, subject string) { out = append(out, finding{check, subject}) }

	// Subnets and pools, in address order.
	subnets := make([]addrRange, 0, len(cfg.subnetList))
	nPools, nPD := 0, 0
	for _, si := range cfg.subnetList {
		nPools, nPD = nPools+len(si.ranges[0]), nPD+len(si.ranges[1])
	}
	pools, pdPools := make([]addrRange, 0, nPools), make([]addrRange, 0, nPD)
	for _, si := range cfg.subnetList {
		first, last, err := poolBounds(si.prefix)
		if err != nil {
			continue // labelsFromConfig parsed the pools; a bad prefix has no range to compare
		}
		subnets = append(subnets, addrRange{first: first, last: last, si: si, what: si.prefix})
		for _, ri := range si.ranges[0] {
			pools = append(pools, addrRange{first: ri.first, last: ri.last, si: si, what: ri.rng})
			if ri.first.Less(first) || last.Less(ri.last) {
				add(catalog.CheckPoolOutsideSubnet, fmt.Sprintf("%s pool %s", subnetSubject(si), ri.rng))
			}
		}
		for _, ri := range si.ranges[1] {
			pdPools = append(pdPools, addrRange{first: ri.first, last: ri.last, si: si, what: ri.rng})
		}
		if len(si.ranges[0]) == 0 && len(si.ranges[1]) == 0 {
			add(catalog.CheckSubnetWithoutPools, subnetSubject(si))
		}
	}
	sweepOverlaps(subnets, func(later, cover *addrRange) {
		add(catalog.CheckSubnetOverlap, fmt.Sprintf("%s overlaps subnet %d %s", subnetSubject(later.si), cover.si.id, cover.si.prefix))
	})
	for _, k := range []struct {
		kind string
		rs   []addrRange
	}{{"pool", pools}, {"pd-pool", pdPools}} {
		kind := k.kind
		sweepOverlaps(k.rs, func(later, cover *addrRange) {
			add(catalog.CheckPoolOverlap, fmt.Sprintf("%s %s %s overlaps subnet %d %s %s", subnetSubject(later.si), kind, later.what, cover.si.id, kind, cover.what))
		})
	}

	// Reservations, subnet by subnet, inheriting out-of-pool from the
	// shared network and the global level.
	global := dc.outOfPool()
	shared := map[string]*bool{}
	for i := range dc.SharedNetworks {
		sn := &dc.SharedNetworks[i]
		shared[sn.Name] = sn.outOfPool()
		if n := len(sn.Subnet4) + len(sn.Subnet6); n <= 1 {
			add(catalog.CheckSharedNetworkOneSubnet, fmt.Sprintf("shared-network %s (%d subnets)", sn.Name, n))
		}
	}
	review := func(sc *subnetConf, sharedName string) {
		if len(sc.Reservations) == 0 {
			return
		}
		si := cfg.subnets[sc.ID]
		if si == nil {
			return
		}
		outOfPool := false
		for _, v := range []*bool{sc.outOfPool(), shared[sharedName], global} {
			if v != nil {
				outOfPool = *v
				break
			}
		}
		sfirst, slast, err := poolBounds(si.prefix)
		if err != nil {
			return
		}
		reserved := map[*rangeInfo]float64{} // distinct reserved addresses (prefixes) per range
		seen := map[netip.Addr]bool{}
		check := func(k int, a netip.Addr, text string) {
			if seen[a] {
				return
			}
			seen[a] = true
			if k == 0 && (a.Less(sfirst) || slast.Less(a)) {
				add(catalog.CheckReservationOutside, fmt.Sprintf("%s reservation %s", subnetSubject(si), text))
				return
			}
			ri := si.rangeOf(k, a)
			if ri == nil {
				return
			}
			reserved[ri]++
			if outOfPool {
				add(catalog.CheckReservationInPool, fmt.Sprintf("%s reservation %s in pool %s", subnetSubject(si), text, ri.rng))
			}
		}
		for _, r := range sc.Reservations {
			for _, s := range append([]string{r.IPAddress}, r.IPAddresses...) {
				if a, err := netip.ParseAddr(s); err == nil {
					check(0, a, s)
				}
			}
			for _, s := range r.Prefixes {
				if p, err := netip.ParsePrefix(s); err == nil {
					check(1, p.Masked().Addr(), s)
				}
			}
		}
		// In address order, so that the findings do not depend on map order.
		for k, list := range si.ranges {
			for _, ri := range list {
				if n := reserved[ri]; n > 0 && n >= ri.size {
					kind := "pool"
					if k == 1 {
						kind = "pd-pool"
					}
					add(catalog.CheckPoolReserved, fmt.Sprintf("%s %s %s (%.0f reserved of %.0f)", subnetSubject(si), kind, ri.rng, n, ri.size))
				}
			}
		}
	}
	for i := range dc.Subnet4 {
		review(&dc.Subnet4[i], "")
	}
	for i := range dc.Subnet6 {
		review(&dc.Subnet6[i], "")
	}
	for i := range dc.SharedNetworks {
		sn := &dc.SharedNetworks[i]
		for j := range sn.Subnet4 {
			review(&sn.Subnet4[j], sn.Name)
		}
		for j := range sn.Subnet6 {
			review(&sn.Subnet6[j], sn.Name)
		}
	}

	// Hooks one another needs.
	ha := hookNamed(dc.HooksLibraries, "ha")
	if ha && !hookNamed(dc.HooksLibraries, "lease_cmds") {
		add(catalog.CheckHookMissing, "lease_cmds (needed by the ha hook: lease updates and synchronisation between peers)")
	}
	if !ha {
		for _, si := range cfg.subnetList {
			if si.haServer != "" {
				add(catalog.CheckHookMissing, fmt.Sprintf("ha (%s names ha-server-name %s)", subnetSubject(si), si.haServer))
				break
			}
		}
	}

	// Credentials over plain HTTP.
	sockets := dc.ControlSockets
	if dc.ControlSocket != nil {
		sockets = append([]ctrlSocketConf{*dc.ControlSocket}, sockets...)
	}
	for _, cs := range sockets {
		if (cs.SocketType == "http" || cs.SocketType == "https") && cs.credentials() && cs.CertFile == "" {
			add(catalog.CheckCredentialsNoTLS, fmt.Sprintf("control-socket http://%s:%d", cs.SocketAddress, cs.SocketPort))
		}
	}
	if cfg.ha != nil {
		for _, r := range cfg.ha.rels {
			for _, p := range r.plainAuthPeers {
				add(catalog.CheckCredentialsNoTLS, "ha peer "+p)
			}
		}
	}

	// Kea keeps (and sends in every statistic-get-all) 20 samples of each
	// statistic unless told otherwise.
	if len(cfg.subnetList) >= largeConfigSubnets && (dc.SampleCount == nil || *dc.SampleCount >= 20) {
		n := int64(20)
		if dc.SampleCount != nil {
			n = *dc.SampleCount
		}
		add(catalog.CheckSampleCount, fmt.Sprintf("statistic-default-sample-count %d with %d subnets", n, len(cfg.subnetList)))
	}
	return out
}

// credentials says whether the listener asks clients for credentials.
func (h *httpTLS) credentials() bool {
	return h.Authentication != nil && (h.Authentication.Type == "basic" || len(h.Authentication.Clients) > 0)
}

// reviewAgent checks a Control Agent's configuration.
func reviewAgent(a *agentConfig) []finding {
	if a != nil && a.credentials() && a.CertFile == "" {
		return []finding{{catalog.CheckCredentialsNoTLS, "control-agent (authentication without cert-file)"}}
	}
	return nil
}

// reviewVersion checks what depends on the Kea version: before 2.5.3 Kea's
// statistics are signed 64-bit, so an IPv6 subnet with 2^63 addresses or
// delegated prefixes or more has no usable total (Kea 2.2 reports -1).
func reviewVersion(daemon string, cfg *daemonConfig, v keaVersion) []finding {
	if daemon != "dhcp6" || !v.known || !v.before(2, 5, 3) {
		return nil
	}
	var out []finding
	for _, si := range cfg.subnetList {
		switch {
		case si.addresses >= v6CounterLimit:
			out = append(out, finding{catalog.CheckV6CounterOverflow, fmt.Sprintf("%s (2^%.0f addresses in pools, Kea %s)", subnetSubject(si), math.Log2(si.addresses), v.text)})
		case si.prefixes >= v6CounterLimit:
			out = append(out, finding{catalog.CheckV6CounterOverflow, fmt.Sprintf("%s (2^%.0f delegated prefixes, Kea %s)", subnetSubject(si), math.Log2(si.prefixes), v.text)})
		}
	}
	return out
}

// keaVersion is a daemon's version from version-get ("2.2.0"), or what
// the commands it lacks tell (no config-hash-get: before 2.4).
type keaVersion struct {
	known               bool
	major, minor, patch int
	text                string
}

func parseKeaVersion(s string) keaVersion {
	v := keaVersion{text: strings.TrimSpace(s)}
	head, _, _ := strings.Cut(v.text, "-")
	parts := strings.SplitN(head, ".", 3)
	if len(parts) < 2 {
		return keaVersion{}
	}
	var err error
	if v.major, err = strconv.Atoi(parts[0]); err != nil {
		return keaVersion{}
	}
	if v.minor, err = strconv.Atoi(parts[1]); err != nil {
		return keaVersion{}
	}
	if len(parts) == 3 {
		v.patch, _ = strconv.Atoi(strings.TrimRight(parts[2], "abcdefghijklmnopqrstuvwxyz"))
	}
	v.known = true
	return v
}

func (v keaVersion) before(major, minor, patch int) bool {
	return cmp.Or(cmp.Compare(v.major, major), cmp.Compare(v.minor, minor), cmp.Compare(v.patch, patch)) < 0
}

// findingSet is a daemon's findings as samples: at most
// catalog.MaxFindingsPerCheck per check, and for every check that ran the
// count of those cut.
type findingSet struct {
	samples []collector.Sample
}

// newFindingSet builds the samples of findings for the checks that ran.
func newFindingSet(cat *catalog.Catalog, id *collector.Identity, ran []string, fs []finding) findingSet {
	fm, om := cat.Metric("ddiscope_config_finding"), cat.Metric("ddiscope_config_findings_omitted")
	var set findingSet
	if fm == nil || om == nil {
		return set
	}
	byCheck := map[string][]string{}
	for _, f := range fs {
		byCheck[f.check] = append(byCheck[f.check], f.subject)
	}
	for _, check := range ran {
		c, _ := catalog.ConfigCheckByName(check)
		subjects := byCheck[check]
		seen := map[string]bool{}
		kept := 0
		for _, s := range subjects {
			if seen[s] {
				continue
			}
			seen[s] = true
			if kept == catalog.MaxFindingsPerCheck {
				continue
			}
			kept++
			extra := []string{check, c.Severity, s}
			set.samples = append(set.samples, collector.Sample{Metric: fm, ID: id, Extra: &extra, Value: 1})
		}
		extra := []string{check}
		set.samples = append(set.samples, collector.Sample{Metric: om, ID: id, Extra: &extra, Value: float64(len(seen) - kept)})
	}
	return set
}

// configChecks are the checks reviewConfig runs on a DHCP daemon.
var configChecks = []string{
	catalog.CheckSubnetOverlap, catalog.CheckPoolOutsideSubnet, catalog.CheckPoolOverlap,
	catalog.CheckReservationOutside, catalog.CheckReservationInPool, catalog.CheckPoolReserved,
	catalog.CheckSubnetWithoutPools, catalog.CheckSharedNetworkOneSubnet, catalog.CheckHookMissing,
	catalog.CheckCredentialsNoTLS, catalog.CheckSampleCount,
}

// reviewVersion asks the daemon its version (only when its configuration
// was read again) for the checks that depend on it, and builds the
// configuration's finding samples. Kea without config-hash-get is older
// than 2.4 whatever version-get says.
func (p *Poller) reviewVersion(ctx context.Context, ds *daemonState) {
	cfg := ds.cfg
	var v keaVersion
	if resp, err := p.client.Call(ctx, "version-get", p.service(ds.name), nil); err == nil {
		v = parseKeaVersion(resp.Text)
	} else {
		p.log.Debug("version-get failed: checks that depend on the version assume nothing", "daemon", ds.name, "err", err)
	}
	if !v.known && ds.noHash {
		v = keaVersion{known: true, major: 2, minor: 2, text: "before 2.4"}
	}
	fs := append(slices.Clip(cfg.findings), reviewVersion(ds.name, cfg, v)...)
	checks := cfg.checks
	if ds.name == "dhcp6" && v.known {
		checks = append(slices.Clip(checks), catalog.CheckV6CounterOverflow)
	}
	cfg.review = newFindingSet(p.cat, ds.identity(p.name), checks, fs)
}

// reviewSamples appends the daemon's findings: its configuration's, and
// the subnets its statistics name that its configuration lacks.
func (p *Poller) reviewSamples(ds *daemonState, snap *collector.Snapshot) {
	if ds.cfg == nil {
		return
	}
	snap.Samples = append(snap.Samples, ds.cfg.review.samples...)
	if ds.missingReview.samples == nil || !slices.Equal(ds.missingFor, ds.notConfigured) {
		var fs []finding
		for _, id := range ds.notConfigured {
			fs = append(fs, finding{catalog.CheckSubnetNotConfigured, "subnet " + strconv.FormatInt(id, 10)})
		}
		ds.missingReview = newFindingSet(p.cat, ds.identity(p.name), []string{catalog.CheckSubnetNotConfigured}, fs)
		ds.missingFor = ds.notConfigured
	}
	snap.Samples = append(snap.Samples, ds.missingReview.samples...)
}
