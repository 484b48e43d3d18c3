package dashboards

import (
	"time"

	"github.com/ddiscope/ddiscope/rules"
)

// ha is the High Availability dashboard: each server's state over time,
// the partner as it sees it, what the pair shows only when both peers are
// polled (split brain, state mismatch, configuration drift, clock skew),
// and the daemon facts HA depends on. The HA alerts open it.
func (g *gen) ha(r refs) board {
	t := g.t
	rel := []string{onServer, onDaemon, onRelationship}
	who := "{{server}} {{daemon}} {{relationship}}"
	partner := "{{server}} → {{partner}}"
	maxAge := seconds(t.HAHeartbeatDelay) * t.HAContactAgeFactor
	yesNo := func(no, yes, color string) []valueMap {
		return []valueMap{{value: "0", text: no, color: green}, {value: "1", text: yes, color: color}}
	}
	haLink := g.configLink("HA of {server} in the config editor", rules.ConfigUIHA, nil)
	return board{
		ref:         r.ha,
		description: "Kea High Availability: the state of every server in every relationship over time, what each knows of its partner, what ddiscope sees across the pair (split brain, state mismatch, configuration drift, clock skew), and the daemon facts HA depends on.",
		vars:        []variable{g.serverVar("kea"), g.daemonVar(), g.relationshipVar()},
		rows: []row{
			{title: "State", panels: []panel{
				{
					title: "HA state", help: "Which state each server has been in, and since when: green normal, orange partner-down (serving alone), yellow starting up or recovering, blue maintenance, red terminated.",
					viz: timeline, width: 24, height: 7,
					queries: []query{{expr: g.stateIndex("kea_ha_state", "state", haStates(), rel...), legend: who}},
					mapping: stateMapping(haStates(), haStateColor),
				},
				{
					title: "Partner's state, as each server last heard it", help: "The state each server last heard its partner in; unavailable once the partner stopped answering. Differing from the partner's own state means a frozen or lagging view.",
					viz: timeline, width: 24, height: 7,
					queries: []query{{expr: g.stateIndex("kea_ha_partner_state", "state", haPartnerStates(), rel...), legend: partner}},
					mapping: stateMapping(haPartnerStates(), haStateColor),
				},
				{
					title: "Relationships", help: "Each relationship as configured: this server's name, its partner, the mode and role. The HA page of the config editor changes it on both peers.",
					viz: tableViz, width: 16,
					queries: []query{{expr: g.sel("kea_ha_info", rel...)}},
					links:   []link{haLink},
				},
				{
					title: "Scopes served", help: "Which HA scopes each server serves now: in load-balancing each its own, in partner-down both. Both peers serving one scope is split brain.",
					viz: tableViz, width: 8,
					queries: []query{{expr: g.sel("kea_ha_scope_served", rel...) + " == 1"}},
				},
			}},
			{title: "Across the pair (both peers polled)", panels: []panel{
				{
					title: "Split brain, state mismatch, stale view", help: "Split brain: both peers serve the same scope and may lease one address twice (KeaHASplitBrain). Mismatch: the peers have been in different states (KeaHAStateMismatch). Stale: one peer's view of the other is frozen.",
					viz: timeline, width: 12,
					queries: []query{
						{expr: g.sel("kea_ha_pair_split_brain", rel...), legend: "{{server}} / {{peer_server}} split brain"},
						{expr: g.sel("kea_ha_pair_state_mismatch", rel...), legend: "{{server}} / {{peer_server}} state mismatch"},
						{expr: g.sel("kea_ha_pair_partner_view_stale", rel...), legend: "{{server}} / {{peer_server}} stale view"},
					},
					mapping: yesNo("no", "yes", red),
				},
				{
					title: "Configuration drift", help: "Do the peers' subnets and pools (part=subnets) and HA parameters (part=ha) differ? After a failover the partner would serve different pools (KeaHAConfigDrift). Apply changes to both from the config editor's HA page.",
					viz: timeline, width: 12,
					queries: []query{{expr: g.sel("kea_ha_pair_config_drift", rel...), legend: "{{server}} / {{peer_server}} {{part}}"}},
					mapping: yesNo("same", "differs", orange),
					links:   []link{haLink},
				},
				{
					title: "Clock skew", help: "How far the peers' clocks differ, signed: Kea warns above 30 s and terminates HA above 60 s. Orange is the KeaHAClockSkew threshold. The pair's skew comes from ha-heartbeat replies to ddiscope; Kea's own measure needs Kea 2.4.",
					unit: "s", width: 12,
					queries: []query{
						{expr: g.sel("kea_ha_pair_clock_skew_seconds", rel...), legend: "{{server}} − {{peer_server}}"},
						{expr: g.sel("kea_ha_partner_clock_skew_seconds", rel...), legend: partner + " (Kea)", empty: "Kea reports clock-skew from 2.4 on"},
						{expr: g.sel("kea_ha_heartbeat_clock_offset_seconds", rel...), legend: "{{server}} − ddiscope"},
					},
					steps: within(seconds(t.HAClockSkew), orange),
				},
				{
					title: "Partner polled by ddiscope", help: "Is each server's partner also a target ddiscope polls? Without it nothing across the pair can be seen (DdiscopeHAPartnerUnmonitored).",
					viz: timeline, width: 12,
					queries: []query{{expr: g.sel("ddiscope_kea_ha_partner_monitored", rel...), legend: partner}},
					mapping: []valueMap{{value: "0", text: "not polled", color: orange}, {value: "1", text: "polled", color: green}},
				},
			}},
			{title: "The partner, as each server sees it", panels: []panel{
				{
					title: "Partner contact age", help: "Seconds since each server last exchanged with its partner. Red is " + formatSeconds(maxAge) + " (heartbeat-delay × " + fmtFloat(t.HAContactAgeFactor) + "), the KeaHAPartnerContactStale threshold: an age growing while communication is not interrupted means a frozen HA service.",
					unit: "s", width: 8,
					queries: []query{{expr: g.sel("kea_ha_partner_age_seconds", rel...), legend: partner}},
					steps:   above(maxAge, red),
				},
				{
					title: "Communication interrupted", help: "Has each server failed to reach its partner for longer than max-response-delay (KeaHACommunicationInterrupted)?",
					viz: timeline, width: 8,
					queries: []query{{expr: g.sel("kea_ha_partner_communication_interrupted", rel...), legend: partner}},
					mapping: yesNo("in touch", "interrupted", orange),
				},
				{
					title: "Unacked clients", help: "Clients of the partner that keep retrying unanswered while communication is interrupted; at max-unacked-clients the server takes over. Orange is the KeaHAUnackedClients threshold.",
					width:   8,
					queries: []query{{expr: g.sel("kea_ha_partner_unacked_clients", rel...), legend: partner}},
					steps:   above(t.HAUnackedClients, orange),
				},
				{
					title: "Failover progress", help: "While communication is interrupted: unacked clients left before this server goes partner-down, clients trying to reach the partner, and packets to the partner analysed.",
					width: 12,
					queries: []query{
						{expr: g.sel("kea_ha_partner_unacked_clients_left", rel...), legend: partner + " unacked left"},
						{expr: g.sel("kea_ha_partner_connecting_clients", rel...), legend: partner + " connecting"},
						{expr: g.sel("kea_ha_partner_analyzed_packets", rel...), legend: partner + " analysed packets"},
					},
				},
				{
					title: "Unsent lease updates per minute", help: "Lease updates a server could not send to its partner, a minute: the partner's lease database falls behind. Orange is the KeaHAUnsentUpdatesGrowing threshold (" + fmtFloat(t.HAUnsentUpdates) + " in 15 minutes) per minute.",
					width:   12,
					queries: []query{{expr: g.perMinute("kea_ha_unsent_updates_total", rel...), legend: who}},
					steps:   above(t.HAUnsentUpdates/15, orange),
				},
			}},
			{title: "What HA depends on", panels: []panel{
				{
					title: "Multi-threading", help: "Is each daemon multi-threaded? On Kea 2.2 a config-test with multi-threading off turns it off on the running server and freezes its HA service.",
					viz: timeline, width: 12,
					queries: []query{{expr: g.sel("kea_daemon_multi_threading_enabled", onServer, onDaemon), legend: "{{server}} {{daemon}}"}},
					mapping: []valueMap{{value: "0", text: "single-threaded", color: "blue"}, {value: "1", text: "multi-threaded", color: green}},
				},
				{
					title: "DHCP disabled, by reason", help: "HA disables DHCP while a server synchronises (local_command, remote_command); an operator (user) or a lost lease database disable it too. Kea 2.4 and later report it.",
					width:   12,
					queries: []query{{expr: g.sel("kea_daemon_dhcp_disabled", onServer, onDaemon) + " > 0", legend: "{{server}} {{daemon}} {{reason}}"}},
					steps:   above(0, red),
					empty:   "DHCP is enabled everywhere (and Kea before 2.4 does not say)",
				},
			}},
		},
	}
}

func formatSeconds(s float64) string { return time.Duration(s * float64(time.Second)).String() }
