package kea

import (
	"slices"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// Fleet totals. Both peers of an HA pair report every subnet they share,
// leases learned from the partner included, so summing subnets over
// targets counts a pair twice. Here each subnet is counted once per
// relationship, once per server otherwise. The member is chosen per subnet:
// whichever reports more leases in that subnet (the one less behind on
// lease updates there), so one pair's total may mix both members.

// fleetMetrics describe one pair of subnet statistics (size, leased) and
// the fleet totals derived from them.
type fleetMetrics struct {
	daemon                      string
	subnetTotal, subnetAssigned *catalog.Metric
	total, assigned             *catalog.Metric
	sharedTotal, sharedAssigned *catalog.Metric
	sharedRatio                 *catalog.Metric
	subnetRelationship          *catalog.Metric
}

func newFleetMetrics(cat *catalog.Catalog) []fleetMetrics {
	m := cat.Metric
	return []fleetMetrics{
		{daemon: "dhcp4", subnetTotal: m("kea_dhcp4_subnet_addresses"), subnetAssigned: m("kea_dhcp4_subnet_addresses_assigned"),
			total: m("kea_dhcp4_fleet_addresses"), assigned: m("kea_dhcp4_fleet_addresses_assigned"),
			sharedTotal: m("kea_dhcp4_fleet_shared_network_addresses"), sharedAssigned: m("kea_dhcp4_fleet_shared_network_addresses_assigned"),
			sharedRatio: m("kea_dhcp4_fleet_shared_network_utilization_ratio"), subnetRelationship: m("kea_dhcp4_subnet_ha_relationship")},
		{daemon: "dhcp6", subnetTotal: m("kea_dhcp6_subnet_addresses"), subnetAssigned: m("kea_dhcp6_subnet_addresses_assigned"),
			total: m("kea_dhcp6_fleet_addresses"), assigned: m("kea_dhcp6_fleet_addresses_assigned"),
			sharedTotal: m("kea_dhcp6_fleet_shared_network_addresses"), sharedAssigned: m("kea_dhcp6_fleet_shared_network_addresses_assigned"),
			sharedRatio: m("kea_dhcp6_fleet_shared_network_address_utilization_ratio"), subnetRelationship: m("kea_dhcp6_subnet_ha_relationship")},
		{daemon: "dhcp6", subnetTotal: m("kea_dhcp6_subnet_prefixes"), subnetAssigned: m("kea_dhcp6_subnet_prefixes_assigned"),
			total: m("kea_dhcp6_fleet_prefixes"), assigned: m("kea_dhcp6_fleet_prefixes_assigned"), subnetRelationship: m("kea_dhcp6_subnet_ha_relationship")},
	}
}

type fleetKey struct {
	group  string // "rel:<relationship>|<peers>" or "server:<target>"
	subnet string
}

type fleetSubnet struct {
	total, assigned       float64
	hasTotal, hasAssigned bool
	shared                string
}

func fleetSamples(fms []fleetMetrics, snaps []*collector.Snapshot, members []*member) []collector.Sample {
	var out []collector.Sample
	process := collector.NewIdentity(catalog.ScopeProcess)
	for _, fm := range fms {
		if fm.subnetTotal == nil || fm.subnetAssigned == nil {
			continue
		}
		subnets := map[fleetKey]*fleetSubnet{}
		seen := false
		// A target in no HA relationship counts each of its subnets once,
		// as its own group: summed as it is read, without the maps by
		// subnet (10,000 entries and strings on every scrape).
		var total, assigned float64
		shared := map[string]*fleetSubnet{}
		addShared := func(name string, t, a float64) {
			sn := shared[name]
			if sn == nil {
				sn = &fleetSubnet{}
				shared[name] = sn
			}
			sn.total += t
			sn.assigned += a
		}
		for _, s := range snaps {
			if !inRelationship(s, fm, members) {
				for _, smp := range block(s, fm.subnetTotal) {
					seen = true
					total += smp.Value
					if v := smp.ID.Values; len(v) > 3 && v[3] != "" {
						addShared(v[3], smp.Value, 0)
					}
				}
				for _, smp := range block(s, fm.subnetAssigned) {
					seen = true
					assigned += smp.Value
					if v := smp.ID.Values; len(v) > 3 && v[3] != "" {
						addShared(v[3], 0, smp.Value)
					}
				}
				continue
			}
			group := groupsOf(s, fm, members)
			// Per target, the subnet's size and leases, then merged into
			// its group keeping the member with more leases.
			mine := map[string]*fleetSubnet{}
			for _, smp := range block(s, fm.subnetTotal) {
				fs := subnetOf(mine, &smp)
				fs.total, fs.hasTotal = smp.Value, true
			}
			for _, smp := range block(s, fm.subnetAssigned) {
				fs := subnetOf(mine, &smp)
				fs.assigned, fs.hasAssigned = smp.Value, true
			}
			for id, fs := range mine {
				seen = true
				k := fleetKey{group(id), id}
				if prev, ok := subnets[k]; !ok || fs.assigned > prev.assigned {
					subnets[k] = fs
				}
			}
		}
		if !seen {
			continue
		}
		for _, fs := range subnets {
			total += fs.total
			assigned += fs.assigned
			if fs.shared != "" {
				addShared(fs.shared, fs.total, fs.assigned)
			}
		}
		add := func(m *catalog.Metric, v float64, extra ...string) {
			if m == nil {
				return
			}
			var e *[]string
			if len(extra) > 0 {
				e = &extra
			}
			out = append(out, collector.Sample{Metric: m, ID: process, Extra: e, Value: v})
		}
		add(fm.total, total)
		add(fm.assigned, assigned)
		names := make([]string, 0, len(shared))
		for n := range shared {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			sn := shared[n]
			add(fm.sharedTotal, sn.total, n)
			add(fm.sharedAssigned, sn.assigned, n)
			if sn.total > 0 {
				add(fm.sharedRatio, sn.assigned/sn.total, n)
			}
		}
	}
	return out
}

func subnetOf(m map[string]*fleetSubnet, smp *collector.Sample) *fleetSubnet {
	v := smp.ID.Values
	id := v[1]
	fs := m[id]
	if fs == nil {
		fs = &fleetSubnet{}
		if len(v) > 3 {
			fs.shared = v[3]
		}
		m[id] = fs
	}
	return fs
}

// inRelationship says whether the target's daemon is a member of an HA
// relationship.
func inRelationship(s *collector.Snapshot, fm fleetMetrics, members []*member) bool {
	for _, mb := range members {
		if mb.target == s.Target && mb.daemon == fm.daemon {
			return true
		}
	}
	return false
}

// groupsOf returns, for one target, the group each subnet id is counted in:
// its HA relationship (from kea_dhcp*_subnet_ha_relationship on a hub, else
// the daemon's only relationship), or the target itself.
func groupsOf(s *collector.Snapshot, fm fleetMetrics, members []*member) func(subnet string) string {
	var rels []*member
	for _, mb := range members {
		if mb.target == s.Target && mb.daemon == fm.daemon {
			rels = append(rels, mb)
		}
	}
	standalone := "server:" + s.Target
	if len(rels) == 0 {
		return func(string) string { return standalone }
	}
	groupOf := func(mb *member) string { return "rel:" + mb.rel + "|" + mb.peers }
	if len(rels) == 1 {
		g := groupOf(rels[0])
		return func(string) string { return g }
	}
	bySubnet := map[string]string{}
	for _, smp := range block(s, fm.subnetRelationship) {
		e := smp.ExtraValues()
		if len(e) == 0 {
			continue
		}
		for _, mb := range rels {
			if mb.rel == e[0] {
				bySubnet[smp.ID.Values[1]] = groupOf(mb)
			}
		}
	}
	return func(subnet string) string {
		if g, ok := bySubnet[subnet]; ok {
			return g
		}
		return standalone
	}
}
