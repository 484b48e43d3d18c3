package dashboards

import (
	"strings"

	"github.com/ddiscope/ddiscope/rules"
)

// overview is the fleet overview, the first dashboard opened at 3 a.m.:
// what is down, what fires, what fills up, which HA pair is not normal,
// whether DHCP and DNS answer. Every panel leads to the dashboard that
// says more; the Kea service alerts link here.
func (g *gen) overview(r refs) board {
	t := g.t
	pct := f(0)
	return board{
		ref:         r.overview,
		description: "Every Kea and BIND server ddiscope polls: which is down and since when, what alerts fire, the fullest subnets, pools and shared networks, HA states, and the DHCP and DNS service at a glance.",
		vars:        []variable{g.serverVar(""), g.daemonVar()},
		rows: []row{
			{title: "Is anything down?", panels: []panel{
				{
					title: "Targets",
					help:  "Can ddiscope poll every Kea and BIND server? A target is down when its last poll failed; the ddiscope dashboard says why.",
					viz:   tableViz, width: 8,
					queries: []query{{expr: g.sel("ddiscope_target_up", onServer)}},
					steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
					links: []link{dashLink("Polls of {server}", r.self, []string{"server"}, nil)},
				},
				{
					title: "Kea daemons",
					help:  "Does every Kea daemon answer behind its Control Agent or socket? A daemon down behind a working agent serves no clients (KeaDaemonDown).",
					viz:   tableViz, width: 8,
					queries: []query{{expr: g.sel("kea_daemon_up", onServer, onDaemon)}},
					steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
					links: []link{g.configLink("{server} in the config editor", rules.ConfigUIServer, nil)},
				},
				{
					title: "Firing alerts, since",
					help:  "Which ddiscope alerts fire, and since when. Each links to its runbook.",
					viz:   tableViz, width: 8, unit: "dateTimeFromNow",
					queries: []query{{expr: g.firingSince()}},
					links:   []link{{title: "Runbook of {alertname}", url: g.cfg.Links.RunbookURL("{alertname}")}},
					empty:   "no alert fires",
				},
				{
					title: "Up and down over time",
					help:  "Since when is a target or a Kea daemon down, and does it flap?",
					viz:   timeline, width: 24, height: 7,
					queries: []query{
						{expr: g.sel("ddiscope_target_up", onServer), legend: "{{server}} ({{kind}})"},
						{expr: g.sel("kea_daemon_up", onServer, onDaemon), legend: "{{server}} {{daemon}}"},
					},
					steps: []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
				},
			}},
			{title: "Where is the address space running out?", panels: []panel{
				{
					title: "Fullest subnets",
					help:  "The ten subnets with the highest share of their pools leased, DHCPv4 addresses and DHCPv6 addresses and prefixes alike. Orange and red are the KeaSubnetUtilization alerts' thresholds.",
					viz:   tableViz, unit: "percentunit", min: pct,
					queries: []query{{expr: "topk(10, " + g.sel(recordedSubnet, onServer, onDaemon) + ")"}},
					steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
					links:   g.subnetLinks(r, subnetLabels, ""),
				},
				{
					title: "Fullest shared networks",
					help:  "The ten shared networks with the highest share leased: Kea leases from any subnet of a shared network, so this is the number that says clients go without.",
					viz:   tableViz, unit: "percentunit", min: pct,
					queries: []query{{expr: "topk(10, " + g.sel(recordedNetwork, onServer, onDaemon) + ")"}},
					steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
					links:   g.networkLinks(r, networkLabels, ""),
				},
				{
					title: "Fullest address pools",
					help:  "The ten address pools with the highest share leased: Kea's pool statistics (Kea 2.4+), else ddiscope's lease passes' count of each range.",
					viz:   tableViz, unit: "percentunit", min: pct,
					queries: []query{{expr: "topk(10, " + g.sel(recordedPool, onServer, onDaemon, `lease_type="address"`) + ")"}},
					steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
					links:   g.poolLinks(r, rules.ConfigUIPool, poolLabels, ""),
					empty:   noPoolStats,
				},
				{
					title: "Worst subnet utilisation per server",
					help:  "Since when has each server's fullest subnet been this full?",
					unit:  "percentunit", min: pct,
					queries: []query{{
						expr:   "max by (server, daemon, lease_type) (" + g.sel(recordedSubnet, onServer, onDaemon) + ")",
						legend: "{{server}} {{daemon}} {{lease_type}}",
					}},
					steps: warnCrit(t.UtilizationWarning, t.UtilizationCritical),
				},
			}},
			{title: "High availability", panels: []panel{
				{
					title:   "HA state",
					help:    "The HA state of every server in every relationship: green is normal, orange partner-down (serving alone), yellow starting up, red given up.",
					viz:     tableViz,
					queries: []query{{expr: g.stateIndex("kea_ha_state", "state", haStates(), onServer, onDaemon)}},
					mapping: stateMapping(haStates(), haStateColor),
					links:   []link{dashLink("HA of {server}", r.ha, []string{"server", "daemon", "relationship"}, nil)},
				},
				{
					title: "HA pair problems",
					help:  "Pairs in which both peers serve the same clients (split brain), whose peers disagree on their state, or whose configurations differ. Needs both peers polled by ddiscope.",
					viz:   statViz,
					queries: []query{
						{expr: "sum(" + g.sel("kea_ha_pair_split_brain", onServer, onDaemon) + ")", legend: "split brain", instant: true},
						{expr: "sum(" + g.sel("kea_ha_pair_state_mismatch", onServer, onDaemon) + ")", legend: "state mismatch", instant: true},
						{expr: "sum(" + g.sel("kea_ha_pair_config_drift", onServer, onDaemon) + ")", legend: "configuration drift", instant: true},
						{expr: "sum(" + g.sel("kea_ha_pair_partner_view_stale", onServer, onDaemon) + ")", legend: "stale partner view", instant: true},
					},
					steps: above(0, red),
					links: []link{dashLink("HA dashboard", r.ha, nil, nil)},
				},
			}},
			{title: "Configuration mistakes", panels: []panel{
				{
					title: "Configuration findings",
					help:  "Mistakes the configuration review found in each daemon's configuration (overlapping subnets or pools, reservations in out-of-pool pools, subnets without pools, HA peers that differ, credentials over plain HTTP, …): one row per finding, the subject naming the object. Each check has its alert and runbook (docs/config-review.md).",
					viz:   tableViz, width: 18,
					queries: []query{{expr: g.sel("ddiscope_config_finding", onServer, onDaemon), instant: true}},
					links:   []link{g.configLink("{server} in the config editor", rules.ConfigUIServer, nil)},
					empty:   "no configuration finding",
				},
				{
					title: "Findings by severity",
					help:  "How many findings of each severity, and how many were cut beyond the 20 exported per check (ddiscope_config_findings_omitted).",
					viz:   statViz, width: 6,
					queries: []query{
						{expr: "count by (severity) (" + g.sel("ddiscope_config_finding", onServer, onDaemon) + ")", legend: "{{severity}}", instant: true, empty: "no configuration finding"},
						{expr: "sum(" + g.sel("ddiscope_config_findings_omitted", onServer, onDaemon) + ")", legend: "not exported", instant: true},
					},
					steps: above(0, orange),
				},
			}},
			{title: "Is DHCP served?", panels: g.serviceSummary(r)},
			{title: "Is DNS answered?", panels: []panel{
				{
					title: "DNS queries",
					help:  "Queries each BIND server receives a second.",
					unit:  "reqps",
					queries: []query{{
						expr:   "sum by (server) (" + g.rate("bind_incoming_queries_total", onServer) + ")",
						legend: "{{server}}",
					}},
					links: []link{dashLink("BIND dashboard of {server}", r.bind, []string{"server"}, nil)},
				},
				{
					title: "SERVFAIL ratio",
					help:  "Share of queries answered SERVFAIL: the resolver or a zone is broken. Orange is the BindServfailRatioHigh threshold (which also waits for " + fmtFloat(t.BINDMinQueriesPerMinute) + " queries a minute).",
					unit:  "percentunit", min: pct,
					queries: []query{{expr: g.servfailRatio(), legend: "{{server}}"}},
					steps:   above(t.BINDServfailRatio, orange),
					links:   []link{dashLink("BIND dashboard of {server}", r.bind, []string{"server"}, nil)},
				},
			}},
		},
	}
}

// firingSince is the time each firing alert became active, from
// Prometheus's ALERTS_FOR_STATE (Unix seconds; Grafana's date units want
// milliseconds), for ddiscope's alerts only.
func (g *gen) firingSince() string {
	comp := `component=~"` + strings.Join([]string{rules.ComponentDdiscope, rules.ComponentKea, rules.ComponentHA, rules.ComponentBIND}, "|") + `"`
	return "ALERTS_FOR_STATE{" + comp + "} * 1000\nand ignoring (alertstate)\nALERTS{alertstate=\"firing\", " + comp + "}"
}

// servfailRatio is the share of queries answered SERVFAIL, as the
// BindServfailRatioHigh alert computes it.
func (g *gen) servfailRatio() string {
	return "sum without (result) (" + g.rate("bind_responses_total", onServer, `result="SERVFAIL"`) + ")\n/\n" +
		"sum without (result) (" + g.rate("bind_responses_total", onServer) + ")"
}

// serviceSummary shows, for both DHCP daemons, whether clients are served:
// traffic, drops, NAKs, declines and allocation failures against the
// alerts' thresholds. The daemon variable narrows it.
func (g *gen) serviceSummary(r refs) []panel {
	t := g.t
	var traffic, drops, declines []query
	for _, fm := range families() {
		traffic = append(traffic,
			query{expr: g.onlyDaemon(g.rate(fm.m("packets_received_total"), onServer), fm.daemon), legend: "{{server}} " + fm.name + " received"},
			query{expr: g.onlyDaemon(g.rate(fm.m("packets_sent_total"), onServer), fm.daemon), legend: "{{server}} " + fm.name + " sent"})
		drops = append(drops, query{expr: g.onlyDaemon(g.dropRatio(fm), fm.daemon), legend: "{{server}} " + fm.name + " {{reason}}"})
		declines = append(declines, query{expr: g.onlyDaemon(g.declines(fm), fm.daemon), legend: "{{server}} " + fm.name})
	}
	pct := f(0)
	return []panel{
		{
			title: "DHCP disabled or sockets not ready",
			help:  "Daemons that run but do not serve: DHCP disabled (by an operator, a lost lease database, or HA while it synchronises; Kea 2.4 and later say so) or DHCP sockets not open (KeaDHCPServiceDisabled, KeaSocketsNotReady).",
			viz:   tableViz, width: 24, height: 6,
			queries: []query{{expr: g.sel("kea_daemon_dhcp_disabled", onServer, onDaemon) + " > 0\nor\n" +
				g.sel("kea_daemon_sockets_status", onServer, onDaemon, `status!="ready"`) + " == 1"}},
			steps: above(0, red),
			links: []link{g.configLink("{server} in the config editor", rules.ConfigUIServer, nil)},
			empty: "every daemon serves",
		},
		{
			title: "Packets received and sent",
			help:  "Is each DHCP server answering? Sent far below received means clients go unanswered.",
			unit:  "pps", queries: traffic, width: 8,
			links: []link{dashLink("DHCPv4 of {server}", r.dhcp4, []string{"server"}, nil), dashLink("DHCPv6 of {server}", r.dhcp6, []string{"server"}, nil)},
		},
		{
			title: "Packets dropped, by reason",
			help:  "Share of received packets dropped for each reason, the normal ones (" + strings.Join(t.DropReasonsIgnored, ", ") + ") left out. Orange is the KeaPacketDropsHigh threshold. Before Kea 3.1 only parse_failed is counted by reason.",
			unit:  "percentunit", min: pct, queries: drops, width: 8,
			steps: above(t.DropRatio, orange),
		},
		{
			title: "DHCPv4 NAK ratio",
			help:  "Share of DHCPREQUESTs answered with a DHCPNAK: clients asking for addresses Kea will not give (KeaNAKRateHigh above orange, at enough requests).",
			unit:  "percentunit", min: pct, width: 8,
			queries: []query{{expr: g.onlyDaemon(g.nakRatio(), dhcp4.daemon), legend: "{{server}}"}},
			steps:   above(t.NAKRatio, orange),
		},
		{
			title: "Declines per minute",
			help:  "DECLINEs received a minute: clients finding their new address in use. Orange is the KeaDeclineStorm threshold.",
			unit:  "short", queries: declines, width: 12,
			steps: above(t.DeclinesPerMinute, orange),
		},
		{
			title: "Allocation failures per minute, worst subnet",
			help:  "Lease allocation failures a minute in each server's worst subnet: clients that got no lease. Orange is the KeaAllocationFailures threshold.",
			unit:  "short", width: 12,
			queries: []query{{
				expr:   "max by (server, daemon) (" + g.sel(recordedAllocFailures, onServer, onDaemon) + ") * 60",
				legend: "{{server}} {{daemon}}",
			}},
			steps: above(t.AllocationFailuresPerMinute, orange),
			links: []link{dashLink("Subnets of {server}", r.subnets, []string{"server", "daemon"}, nil)},
			empty: noFailureYet,
		},
	}
}
