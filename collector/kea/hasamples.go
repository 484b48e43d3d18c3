package kea

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// haMetrics are the catalog entries the HA code writes, looked up once.
type haMetrics struct {
	info, state, scope, fingerprint                             *catalog.Metric
	age, inTouch, interrupted, unacked, unackedLeft, connecting *catalog.Metric
	analyzed, clockSkew, partnerState                           *catalog.Metric
	hbState, unsent, hbOffset                                   *catalog.Metric
	disabled, sockets, mt, uptime, reload                       *catalog.Metric
	invalid                                                     *catalog.Metric
	subnetRel                                                   map[string]*catalog.Metric // by daemon
}

func newHAMetrics(cat *catalog.Catalog) *haMetrics {
	m := cat.Metric
	return &haMetrics{
		info: m("kea_ha_info"), state: m("kea_ha_state"), scope: m("kea_ha_scope_served"), fingerprint: m("kea_ha_config_fingerprint"),
		age: m("kea_ha_partner_age_seconds"), inTouch: m("kea_ha_partner_in_touch"), interrupted: m("kea_ha_partner_communication_interrupted"),
		unacked: m("kea_ha_partner_unacked_clients"), unackedLeft: m("kea_ha_partner_unacked_clients_left"),
		connecting: m("kea_ha_partner_connecting_clients"), analyzed: m("kea_ha_partner_analyzed_packets"),
		clockSkew: m("kea_ha_partner_clock_skew_seconds"), partnerState: m("kea_ha_partner_state"),
		hbState: m("kea_ha_heartbeat_state"), unsent: m("kea_ha_unsent_updates_total"), hbOffset: m("kea_ha_heartbeat_clock_offset_seconds"),
		disabled: m("kea_daemon_dhcp_disabled"), sockets: m("kea_daemon_sockets_status"), mt: m("kea_daemon_multi_threading_enabled"),
		uptime: m("kea_daemon_uptime_seconds"), reload: m("kea_daemon_reload_seconds"),
		invalid: m("ddiscope_kea_ha_relationships_invalid"),
		subnetRel: map[string]*catalog.Metric{
			"dhcp4": m("kea_dhcp4_subnet_ha_relationship"), "dhcp6": m("kea_dhcp6_subnet_ha_relationship"),
		},
	}
}

// sampler appends samples of one daemon, dropping metrics a trimmed catalog
// lacks.
type sampler struct {
	snap *collector.Snapshot
	id   *collector.Identity
}

func (s sampler) add(m *catalog.Metric, v float64, extra ...string) {
	if m == nil {
		return
	}
	var e *[]string
	if len(extra) > 0 {
		e = &extra
	}
	s.snap.Samples = append(s.snap.Samples, collector.Sample{Metric: m, ID: s.id, Extra: e, Value: v})
}

func (s sampler) opt(m *catalog.Metric, v *float64, extra ...string) {
	if v != nil {
		s.add(m, *v, extra...)
	}
}

// oneHot writes 1 for current and 0 for the other known values; a current
// value not in known gets its own series.
func (s sampler) oneHot(m *catalog.Metric, known []string, current string, prefix ...string) {
	for _, k := range known {
		s.add(m, boolf(k == current), append(slices.Clone(prefix), k)...)
	}
	if current != "" && !slices.Contains(known, current) {
		s.add(m, 1, append(slices.Clone(prefix), current)...)
	}
}

// pollStatus reads status-get and, for a daemon with the HA hook, one
// ha-heartbeat per relationship, and writes their samples. Nothing here
// fails the poll.
func (p *Poller) pollStatus(ctx context.Context, ds *daemonState, snap *collector.Snapshot) {
	if ds.name == "d2" {
		return
	}
	out := sampler{snap: snap, id: ds.identity(p.name)}
	var st *daemonStatus
	var raw json.RawMessage
	if p.callArgs(ctx, ds, "status-get", nil, &raw) {
		s, err := parseStatus(raw)
		if err != nil {
			ds.cmds.result("status-get", &keactl.Error{Target: p.name, Command: "status-get", Reason: keactl.ReasonMalformed, Err: err}, p.now())
		} else {
			st = s
		}
	}
	var ha *haConfig
	if ds.cfg != nil {
		ha = ds.cfg.ha
	}
	if st != nil {
		p.daemonStatusSamples(st, out)
	}
	if ha == nil && (st == nil || !st.haSupported) {
		return
	}
	invalid := 0
	if ha != nil {
		invalid += ha.invalid
	}
	// Match status-get's relationships to the configured ones: by this
	// server's name (Kea 2.4+), else by position (Kea lists them in
	// configuration order; 2.2 has one).
	matched := map[*haRelationship]*haStatus{}
	var extra []*haRelationship // relationships only status-get knows
	if st != nil {
		invalid += st.invalid
		for i := range st.ha {
			hs := &st.ha[i]
			var rel *haRelationship
			switch {
			case ha != nil && hs.localName != "":
				rel = ha.byName(hs.localName)
			case ha != nil && len(ha.rels) == len(st.ha):
				rel = ha.rels[i]
			}
			if rel == nil {
				rel = relationshipFromStatus(hs)
				if rel == nil {
					invalid++
					continue
				}
				extra = append(extra, rel)
			}
			matched[rel] = hs
		}
	}
	var rels []*haRelationship
	if ha != nil {
		rels = append(rels, ha.rels...)
	}
	rels = append(rels, extra...)
	for _, rel := range rels {
		p.relationshipSamples(ctx, ds, rel, matched[rel], len(rels), out)
	}
	out.add(p.ha.invalid, float64(invalid))
	if ha != nil && ha.subnetRel != nil && ds.cfg != nil {
		if m := p.ha.subnetRel[ds.name]; m != nil {
			for _, si := range ds.cfg.subnetList {
				if r := ha.subnetRel[si.id]; r != nil {
					snap.Samples = append(snap.Samples, collector.Sample{Metric: m, ID: si.identity, Extra: r.relLabel(), Value: 1})
				}
			}
		}
	}
}

// relationshipFromStatus names a relationship status-get reports but the
// configuration lacks, from the server names Kea 2.4+ includes.
func relationshipFromStatus(hs *haStatus) *haRelationship {
	if hs.localName == "" {
		return nil
	}
	r := &haRelationship{id: hs.localName, this: hs.localName, mode: hs.mode, role: hs.localRole}
	if hs.remote != nil && hs.remote.name != "" {
		r.partner = hs.remote.name
		if hs.remote.role == "primary" {
			r.id = hs.remote.name
		}
	}
	return r
}

func (r *haRelationship) relLabel() *[]string {
	v := []string{r.id}
	return &v
}

func (p *Poller) daemonStatusSamples(st *daemonStatus, out sampler) {
	m := p.ha
	for _, reason := range catalog.DHCPDisabledReasons {
		if v, ok := st.dhcpState[reason]; ok {
			out.add(m.disabled, v, reason)
		}
	}
	if st.sockets != "" {
		out.oneHot(m.sockets, catalog.SocketStatuses, st.sockets)
	}
	if st.mt != nil {
		out.add(m.mt, boolf(*st.mt))
	}
	out.opt(m.uptime, st.uptime)
	out.opt(m.reload, st.reload)
}

func (p *Poller) relationshipSamples(ctx context.Context, ds *daemonState, rel *haRelationship, hs *haStatus, nrels int, out sampler) {
	m := p.ha
	id := rel.id
	out.add(m.info, 1, id, rel.this, rel.partner, rel.mode, rel.role, rel.peers)
	if rel.names != nil { // from the configuration
		out.add(m.fingerprint, float64(rel.subnetsFP), id, "subnets")
		out.add(m.fingerprint, float64(rel.haFP), id, "ha")
	}
	if hs != nil {
		out.oneHot(m.state, catalog.HAStates, hs.localState, id)
		scopes := rel.scopes
		for _, sc := range hs.scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(slices.Clone(scopes), sc)
			}
		}
		for _, sc := range scopes {
			out.add(m.scope, boolf(slices.Contains(hs.scopes, sc)), id, sc)
		}
		if r := hs.remote; r != nil {
			partner := rel.partner
			if r.name != "" {
				partner = r.name
			}
			out.opt(m.age, r.age, id, partner)
			if r.inTouch != nil {
				out.add(m.inTouch, boolf(*r.inTouch), id, partner)
			}
			if r.interrupted != nil {
				out.add(m.interrupted, boolf(*r.interrupted), id, partner)
			}
			out.opt(m.unacked, r.unacked, id, partner)
			out.opt(m.unackedLeft, r.unackedLeft, id, partner)
			out.opt(m.connecting, r.connecting, id, partner)
			out.opt(m.analyzed, r.analyzed, id, partner)
			out.opt(m.clockSkew, r.clockSkew, id, partner)
			out.oneHot(m.partnerState, catalog.HAPartnerStates, r.lastState, id, partner)
		}
	}
	if p.opts.NoHeartbeat || rel.names == nil {
		return
	}
	// Several relationships: name one of its peers, or Kea cannot tell
	// which is meant. Kea 2.2 knows no argument, and has one.
	var args any
	if nrels > 1 {
		name := rel.partner
		if name == "" {
			name = rel.this
		}
		args = map[string]string{"server-name": name}
	}
	var raw json.RawMessage
	began := p.now()
	if !p.callArgs(ctx, ds, "ha-heartbeat", args, &raw) {
		return
	}
	end := p.now()
	hb, err := parseHeartbeat(raw, began.Add(end.Sub(began)/2))
	if err != nil {
		ds.cmds.result("ha-heartbeat", &keactl.Error{Target: p.name, Command: "ha-heartbeat", Reason: keactl.ReasonMalformed, Err: err}, end)
		return
	}
	out.oneHot(m.hbState, catalog.HAStates, hb.state, id)
	out.opt(m.unsent, hb.unsent, id)
	out.opt(m.hbOffset, hb.offset, id)
}

// identity returns the daemon scope's labels (server, daemon).
func (ds *daemonState) identity(server string) *collector.Identity {
	if ds.ident == nil {
		ds.ident = collector.NewIdentity(catalog.ScopeDaemon, server, ds.name)
	}
	return ds.ident
}
