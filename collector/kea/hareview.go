package kea

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// The configuration review across HA peers: both peers of a relationship
// must define its subnets alike (same id, prefix, pools), or lease updates
// between them land in the wrong subnet or are refused. kea_ha_pair_config_drift
// says that the definitions differ; these findings say which subnets.

// haSubnet is one subnet of a relationship as the peers compare it.
type haSubnet struct {
	id          int64
	prefix      string
	first, last netip.Addr
	hash        uint64 // id, prefix, shared network, pools and their classes
}

// haDetail is a Kea snapshot's Detail: each daemon's HA relationships by
// id, with their subnets. Built once per configuration, shared by the
// snapshots until it changes.
type haDetail struct {
	rels map[[2]string]*haRelationship // {daemon, relationship id}
}

// detail returns the snapshot detail for the poller's current
// configurations, rebuilt only when one of them changed.
func (p *Poller) detail() any {
	var cfgs []*daemonConfig
	for _, n := range p.daemonNames() {
		if ds := p.daemons[n]; ds.cfg != nil && ds.cfg.ha != nil {
			cfgs = append(cfgs, ds.cfg)
		}
	}
	if len(cfgs) == 0 {
		p.lastDetail, p.detailFor = nil, nil
		return nil
	}
	if slices.Equal(cfgs, p.detailFor) {
		return p.lastDetail
	}
	d := &haDetail{rels: map[[2]string]*haRelationship{}}
	for _, n := range p.daemonNames() {
		if ds := p.daemons[n]; ds.cfg != nil && ds.cfg.ha != nil {
			for _, r := range ds.cfg.ha.rels {
				d.rels[[2]string{n, r.id}] = r
			}
		}
	}
	p.lastDetail, p.detailFor = d, cfgs
	return d
}

// relationshipIn returns a member's relationship from its snapshot's detail.
func relationshipIn(s *collector.Snapshot, daemon, rel string) *haRelationship {
	d, ok := s.Detail.(*haDetail)
	if !ok {
		return nil
	}
	return d.rels[[2]string{daemon, rel}]
}

// haChecks are the checks across peers, run for each member with a peer.
var haChecks = []string{catalog.CheckHASubnetOverlap, catalog.CheckHASubnetsDiffer}

// compareHASubnets finds a's subnets that its peer defines differently
// (same id, other prefix or pools; or missing) and that overlap a subnet of
// another id on the peer. Both lists are sorted by first address: one merge
// by id (through a map of the smaller cost) and one sweep.
func compareHASubnets(a, b []haSubnet, peer string) []finding {
	var out []finding
	byID := make(map[int64]*haSubnet, len(b))
	for i := range b {
		byID[b[i].id] = &b[i]
	}
	subject := func(s *haSubnet) string { return "subnet " + strconv.FormatInt(s.id, 10) + " " + s.prefix }
	for i := range a {
		s := &a[i]
		switch o := byID[s.id]; {
		case o == nil:
			out = append(out, finding{catalog.CheckHASubnetsDiffer, subject(s) + " missing on peer " + peer})
		case o.prefix != s.prefix:
			out = append(out, finding{catalog.CheckHASubnetsDiffer, fmt.Sprintf("%s is %s on peer %s", subject(s), o.prefix, peer)})
		case o.hash != s.hash:
			out = append(out, finding{catalog.CheckHASubnetsDiffer, subject(s) + " has other pools or shared network on peer " + peer})
		}
	}
	// One sweep over both lists in address order, keeping the widest
	// subnet seen so far on each side.
	i, j := 0, 0
	var coverA, coverB *haSubnet
	for i < len(a) || j < len(b) {
		fromA := j == len(b) || (i < len(a) && !b[j].first.Less(a[i].first))
		if fromA {
			s := &a[i]
			i++
			if coverB != nil && !coverB.last.Less(s.first) && coverB.id != s.id {
				out = append(out, finding{catalog.CheckHASubnetOverlap, fmt.Sprintf("%s overlaps subnet %d %s on peer %s", subject(s), coverB.id, coverB.prefix, peer)})
			}
			if coverA == nil || coverA.last.Less(s.last) {
				coverA = s
			}
			continue
		}
		s := &b[j]
		j++
		if coverA != nil && !coverA.last.Less(s.first) && coverA.id != s.id {
			out = append(out, finding{catalog.CheckHASubnetOverlap, fmt.Sprintf("%s overlaps subnet %d %s on peer %s", subject(coverA), s.id, s.prefix, peer)})
		}
		if coverB == nil || coverB.last.Less(s.last) {
			coverB = s
		}
	}
	return out
}

// haReview is the pair deriver's cache of findings across peers: the
// comparison runs again only when one side's configuration changed.
type haReview struct {
	cache map[[2]*haRelationship][]finding
}

// samples returns the findings of member a against its peers.
func (r *haReview) samples(cat *catalog.Catalog, a *member, peers []*member, snaps map[string]*collector.Snapshot, next map[[2]*haRelationship][]finding) []collector.Sample {
	ra := relationshipIn(snaps[a.target], a.daemon, a.rel)
	if ra == nil {
		return nil
	}
	var fs []finding
	compared := false
	for _, b := range peers {
		rb := relationshipIn(snaps[b.target], b.daemon, b.rel)
		if rb == nil {
			continue
		}
		compared = true
		key := [2]*haRelationship{ra, rb}
		got, ok := r.cache[key]
		if !ok {
			got = compareHASubnets(ra.subnets, rb.subnets, b.target)
		}
		next[key] = got
		fs = append(fs, got...)
	}
	if !compared {
		return nil
	}
	return newFindingSet(cat, a.id, haChecks, fs).samples
}
