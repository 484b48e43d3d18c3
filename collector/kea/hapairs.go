package kea

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// HAPairs returns the deriver of facts across HA peers: for every target
// whose HA configuration names a partner that is also a target, whether
// their states disagree, whether both serve the same scope (split brain),
// whether one's view of the other is stale, whether their configurations
// drifted apart and how far their clocks are apart; and fleet totals that
// count a subnet served by an HA relationship once. Pairs are found from
// the HA configuration each target reports (kea_ha_info: relationship,
// server names, peer URLs), never from ddiscope's own configuration. It
// reads snapshots only.
func HAPairs(cat *catalog.Catalog) collector.CrossDeriver {
	d := &pairDeriver{m: newPairMetrics(cat), cat: cat, review: &haReview{}}
	return d.derive
}

type pairMetrics struct {
	info, state, scope, partnerState, fingerprint, hbOffset, clockSkew *catalog.Metric
	mismatch, splitBrain, stale, drift, pairSkew, monitored            *catalog.Metric
	fleet                                                              []fleetMetrics
}

func newPairMetrics(cat *catalog.Catalog) *pairMetrics {
	m := cat.Metric
	return &pairMetrics{
		info: m("kea_ha_info"), state: m("kea_ha_state"), scope: m("kea_ha_scope_served"),
		partnerState: m("kea_ha_partner_state"), fingerprint: m("kea_ha_config_fingerprint"),
		hbOffset: m("kea_ha_heartbeat_clock_offset_seconds"), clockSkew: m("kea_ha_partner_clock_skew_seconds"),
		mismatch: m("kea_ha_pair_state_mismatch"), splitBrain: m("kea_ha_pair_split_brain"),
		stale: m("kea_ha_pair_partner_view_stale"), drift: m("kea_ha_pair_config_drift"),
		pairSkew: m("kea_ha_pair_clock_skew_seconds"), monitored: m("ddiscope_kea_ha_partner_monitored"),
		fleet: newFleetMetrics(cat),
	}
}

// pairDeriver caches its last result: snapshots are immutable, and /metrics
// is scraped more often than targets are polled.
type pairDeriver struct {
	m      *pairMetrics
	cat    *catalog.Catalog
	review *haReview
	mu     sync.Mutex
	last   []*collector.Snapshot
	result []collector.Sample
}

func (d *pairDeriver) derive(snaps []*collector.Snapshot) []collector.Sample {
	d.mu.Lock()
	defer d.mu.Unlock()
	if slices.Equal(snaps, d.last) && d.last != nil {
		return d.result
	}
	members := haMembers(d.m, snaps)
	out := pairSamples(d.m, members)
	byTarget := make(map[string]*collector.Snapshot, len(snaps))
	for _, s := range snaps {
		byTarget[s.Target] = s
	}
	next := map[[2]*haRelationship][]finding{}
	for _, a := range members {
		out = append(out, d.review.samples(d.cat, a, peersOf(a, members), byTarget, next)...)
	}
	d.review.cache = next
	out = append(out, fleetSamples(d.m.fleet, snaps, members)...)
	d.last, d.result = slices.Clone(snaps), out
	return out
}

// member is one target's side of one relationship.
type member struct {
	target, daemon string
	id             *collector.Identity
	rel, this      string
	partner, peers string
	state          string          // "" when status-get gave none
	served         map[string]bool // scopes served; nil when unknown
	heard          string          // the partner's last state as this server heard it
	fp             map[string]float64
	offset, skew   *float64
}

func (m *member) names() []string {
	var names []string
	for _, p := range strings.Split(m.peers, ",") {
		if n, _, ok := strings.Cut(p, "="); ok {
			names = append(names, n)
		}
	}
	return names
}

// block returns the samples of one metric in a grouped snapshot.
func block(s *collector.Snapshot, m *catalog.Metric) []collector.Sample {
	if m == nil {
		return nil
	}
	i := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].Metric.Index >= m.Index })
	j := sort.Search(len(s.Samples), func(i int) bool { return s.Samples[i].Metric.Index > m.Index })
	return s.Samples[i:j]
}

type relKey struct{ target, daemon, rel string }

func haMembers(m *pairMetrics, snaps []*collector.Snapshot) []*member {
	var members []*member
	for _, s := range snaps {
		byKey := map[relKey]*member{}
		key := func(smp *collector.Sample) relKey {
			e := smp.ExtraValues()
			if len(e) == 0 || len(smp.ID.Values) < 2 {
				return relKey{}
			}
			return relKey{smp.ID.Values[0], smp.ID.Values[1], e[0]}
		}
		for _, smp := range block(s, m.info) {
			e := smp.ExtraValues()
			if len(e) < 6 || len(smp.ID.Values) < 2 {
				continue
			}
			mb := &member{target: smp.ID.Values[0], daemon: smp.ID.Values[1], id: smp.ID, rel: e[0], this: e[1],
				partner: e[2], peers: e[5], fp: map[string]float64{}}
			byKey[key(&smp)] = mb
			members = append(members, mb)
		}
		if len(byKey) == 0 {
			continue
		}
		for _, smp := range block(s, m.state) {
			if mb := byKey[key(&smp)]; mb != nil && smp.Value == 1 && len(smp.ExtraValues()) == 2 {
				mb.state = smp.ExtraValues()[1]
			}
		}
		for _, smp := range block(s, m.scope) {
			if mb := byKey[key(&smp)]; mb != nil && len(smp.ExtraValues()) == 2 {
				if mb.served == nil {
					mb.served = map[string]bool{}
				}
				if smp.Value == 1 {
					mb.served[smp.ExtraValues()[1]] = true
				}
			}
		}
		for _, smp := range block(s, m.partnerState) {
			if mb := byKey[key(&smp)]; mb != nil && smp.Value == 1 && len(smp.ExtraValues()) == 3 {
				mb.heard = smp.ExtraValues()[2]
			}
		}
		for _, smp := range block(s, m.fingerprint) {
			if mb := byKey[key(&smp)]; mb != nil && len(smp.ExtraValues()) == 2 {
				mb.fp[smp.ExtraValues()[1]] = smp.Value
			}
		}
		for _, smp := range block(s, m.hbOffset) {
			if mb := byKey[key(&smp)]; mb != nil {
				v := smp.Value
				mb.offset = &v
			}
		}
		for _, smp := range block(s, m.clockSkew) {
			if mb := byKey[key(&smp)]; mb != nil {
				v := smp.Value
				mb.skew = &v
			}
		}
	}
	return members
}

// peersOf returns the other members of a's relationship: those whose
// configuration lists the same peers, or, when none of them is a's
// partner, the one whose names match a's (its peer URLs then differ, which
// the ha part of the drift shows).
func peersOf(a *member, members []*member) []*member {
	var same []*member
	partnerFound := false
	for _, b := range members {
		if b == a || b.target == a.target || b.daemon != a.daemon || b.rel != a.rel || b.this == a.this {
			continue
		}
		if b.peers == a.peers {
			same = append(same, b)
			partnerFound = partnerFound || b.this == a.partner
		}
	}
	if partnerFound || a.partner == "" {
		return same
	}
	var byName []*member
	for _, b := range members {
		if b != a && b.target != a.target && b.daemon == a.daemon && b.rel == a.rel && b.this == a.partner && b.partner == a.this &&
			slices.Contains(b.names(), a.this) {
			byName = append(byName, b)
		}
	}
	if len(byName) == 1 {
		same = append(same, byName[0])
	}
	return same
}

func pairSamples(m *pairMetrics, members []*member) []collector.Sample {
	var out []collector.Sample
	add := func(metric *catalog.Metric, a *member, v float64, extra ...string) {
		if metric != nil {
			out = append(out, collector.Sample{Metric: metric, ID: a.id, Extra: &extra, Value: v})
		}
	}
	for _, a := range members {
		var partner *member
		for _, b := range peersOf(a, members) {
			for _, part := range []string{"subnets", "ha"} {
				fa, okA := a.fp[part]
				fb, okB := b.fp[part]
				if okA && okB {
					add(m.drift, a, boolf(fa != fb || (part == "ha" && a.peers != b.peers)), a.rel, b.target, part)
				}
			}
			if a.partner != "" && b.this == a.partner && partner == nil {
				partner = b
			}
		}
		if a.partner != "" {
			add(m.monitored, a, boolf(partner != nil), a.rel, a.partner)
		}
		if partner == nil {
			continue
		}
		b := partner
		if a.state != "" && b.state != "" {
			add(m.mismatch, a, boolf(a.state != b.state), a.rel, b.target)
		}
		if a.served != nil && b.served != nil {
			split := a.state == "partner-down" && b.state == "partner-down"
			for sc := range a.served {
				split = split || b.served[sc]
			}
			add(m.splitBrain, a, boolf(split), a.rel, b.target)
		}
		if a.heard != "" && b.state != "" {
			add(m.stale, a, boolf(a.heard != b.state), a.rel, b.target)
		}
		switch {
		case a.offset != nil && b.offset != nil:
			add(m.pairSkew, a, *a.offset-*b.offset, a.rel, b.target)
		case a.skew != nil:
			add(m.pairSkew, a, *a.skew, a.rel, b.target)
		}
	}
	return out
}
