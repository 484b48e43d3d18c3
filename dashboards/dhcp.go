package dashboards

import (
	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/rules"
)

// dhcp is the dashboard of one DHCP daemon across the selected servers:
// is the daemon serving, what traffic, which problems, how leases move,
// and its subnets. DHCPv6 adds delegated prefixes beside addresses.
func (g *gen) dhcp(r refs, fm family) board {
	ref := r.dhcp4
	if fm == dhcp6 {
		ref = r.dhcp6
	}
	return board{
		ref:         ref,
		description: "Kea " + fm.name + " on the selected servers: whether the daemon serves, its traffic by message type, drops, declines and allocation failures against the alert thresholds, lease activity and its subnets.",
		vars:        []variable{g.serverVar("kea")},
		rows: []row{
			{title: "Is the daemon serving?", panels: g.daemonStatus(r, fm)},
			{title: "Traffic", panels: g.traffic(fm)},
			{title: "Problems", panels: g.problems(r, fm)},
			{title: "Leases", panels: g.leaseActivity(fm)},
			{title: "Subnets", panels: g.dhcpSubnets(r, fm)},
		},
	}
}

func (g *gen) daemonStatus(r refs, fm family) []panel {
	d := `daemon="` + fm.daemon + `"`
	return []panel{
		{
			title: "Daemon up", help: "Does " + fm.name + " answer ddiscope on each server?",
			viz: statViz, width: 6,
			queries: []query{{expr: g.sel("kea_daemon_up", onServer, d), legend: "{{server}}", instant: true}},
			steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
		},
		{
			title: "DHCP sockets", help: "Could the daemon open its DHCP sockets? Retrying or failed sockets leave clients on those interfaces unanswered (KeaSocketsNotReady).",
			viz: timeline, width: 6,
			queries: []query{{expr: g.stateIndex("kea_daemon_sockets_status", "status", catalog.SocketStatuses, onServer, d), legend: "{{server}}"}},
			mapping: stateMapping(catalog.SocketStatuses, socketColor),
			links:   []link{g.configLink("Interfaces of {server} in the config editor", rules.ConfigUIServer, nil)},
		},
		{
			title: "DHCP disabled, by reason", help: "Is DHCP service disabled, and by whom: an operator (user), a lost lease database, or HA while it synchronises (local_command, remote_command)? Kea 2.4 and later report it.",
			width:   6,
			queries: []query{{expr: g.sel("kea_daemon_dhcp_disabled", onServer, d) + " > 0", legend: "{{server}} {{reason}}"}},
			steps:   above(0, red),
			empty:   "DHCP is enabled everywhere (and Kea before 2.4 does not say)",
		},
		{
			title: "Uptime and last reconfiguration", help: "When did the daemon start, and when was its configuration last loaded? A recent reload followed by problems points at the change.",
			width: 6, unit: "s",
			queries: []query{
				{expr: g.sel("kea_daemon_uptime_seconds", onServer, d), legend: "{{server}} uptime"},
				{expr: g.sel("kea_daemon_reload_seconds", onServer, d), legend: "{{server}} since reload"},
			},
		},
	}
}

func (g *gen) traffic(fm family) []panel {
	return []panel{
		{
			title: "Packets received, by type", help: "What clients (and relays) send, a second: a flood of one type stands out.",
			unit: "pps", stack: true, width: 8,
			queries: []query{{expr: "sum by (server, type) (" + g.rate(fm.m("packets_received_by_type_total"), onServer) + ")", legend: "{{server}} {{type}}"}},
		},
		{
			title: "Packets sent, by type", help: "What the server answers, a second.",
			unit: "pps", stack: true, width: 8,
			queries: []query{{expr: "sum by (server, type) (" + g.rate(fm.m("packets_sent_by_type_total"), onServer) + ")", legend: "{{server}} {{type}}"}},
		},
		{
			title: "Received, sent and dropped", help: "All packets received, sent and dropped, a second: sent far below received means clients go unanswered.",
			unit: "pps", width: 8,
			queries: []query{
				{expr: g.rate(fm.m("packets_received_total"), onServer), legend: "{{server}} received"},
				{expr: g.rate(fm.m("packets_sent_total"), onServer), legend: "{{server}} sent"},
				{expr: g.rate(fm.m("packets_dropped_total"), onServer), legend: "{{server}} dropped"},
			},
		},
	}
}

func (g *gen) problems(r refs, fm family) []panel {
	t := g.t
	pct := f(0)
	ps := []panel{
		{
			title: "Packets dropped, by reason", help: "Share of received packets dropped for each reason, the normal ones left out; orange is the KeaPacketDropsHigh threshold. Before Kea 3.1 only parse_failed is counted by reason.",
			unit: "percentunit", min: pct, width: 8,
			queries: []query{{expr: g.dropRatio(fm), legend: "{{server}} {{reason}}"}},
			steps:   above(t.DropRatio, orange),
		},
		{
			title: "Declines per minute", help: "DECLINEs a minute: clients finding the address they were given in use (a static device in the pool, a rogue server). Orange is the KeaDeclineStorm threshold.",
			width:   8,
			queries: []query{{expr: g.declines(fm), legend: "{{server}}"}},
			steps:   above(t.DeclinesPerMinute, orange),
		},
		{
			title: "Allocation failures per minute, by reason", help: "Leases Kea could not allocate, a minute: no_pools and subnet mean exhaustion, classes client-class rules, shared_network a full shared network. Orange is the per-subnet KeaAllocationFailures threshold.",
			width:   8,
			queries: []query{{expr: "sum by (server, reason) (" + g.rate(fm.m("allocation_failures_by_reason_total"), onServer) + ") * 60", legend: "{{server}} {{reason}}"}},
			steps:   above(t.AllocationFailuresPerMinute, orange),
			links:   []link{dashLink("Subnets of {server}", r.subnets, []string{"server"}, map[string]string{"daemon": fm.daemon})},
		},
	}
	if fm == dhcp4 {
		ps = append(ps,
			panel{
				title: "NAK ratio", help: "Share of DHCPREQUESTs answered with a DHCPNAK: clients asking for addresses Kea will not give, often after subnets moved. Orange is the KeaNAKRateHigh threshold.",
				unit: "percentunit", min: pct,
				queries: []query{{expr: g.nakRatio(), legend: "{{server}}"}},
				steps:   above(t.NAKRatio, orange),
			},
			panel{
				title: "Reservation conflicts per minute", help: "Host reservations Kea could not honour because the address was leased to another client.",
				queries: []query{{expr: g.perMinute(fm.m("reservation_conflicts_total"), onServer), legend: "{{server}}"}},
			})
	}
	return ps
}

func (g *gen) leaseActivity(fm family) []panel {
	pct := f(0)
	assigned := []query{{expr: g.rate(fm.m("addresses_assigned_cumulative_total"), onServer), legend: "{{server}} addresses"}}
	const reuses24 = "Kea counts lease reuses from 2.4 on"
	reuses := []query{{expr: g.rate(fm.m("lease_reuses_total"), onServer), legend: "{{server}}", empty: reuses24}}
	fleet := []query{{expr: g.sel(fm.m("fleet_addresses_assigned")) + " / " + g.sel(fm.m("fleet_addresses")), legend: "addresses", instant: true}}
	if fm == dhcp6 {
		assigned = append(assigned, query{expr: g.rate(fm.m("prefixes_assigned_cumulative_total"), onServer), legend: "{{server}} prefixes"})
		reuses = []query{
			{expr: g.rate(fm.m("address_lease_reuses_total"), onServer), legend: "{{server}} addresses", empty: reuses24},
			{expr: g.rate(fm.m("prefix_lease_reuses_total"), onServer), legend: "{{server}} prefixes", empty: reuses24},
		}
		fleet = append(fleet, query{expr: g.sel(fm.m("fleet_prefixes_assigned")) + " / " + g.sel(fm.m("fleet_prefixes")), legend: "prefixes", instant: true})
	}
	return []panel{
		{
			title: "Fleet utilisation", help: "Share of all " + fm.name + " pool space leased across every polled server, each subnet of an HA pair counted once.",
			viz: statViz, width: 6, unit: "percentunit", min: pct, queries: fleet,
			steps: warnCrit(g.t.UtilizationWarning, g.t.UtilizationCritical),
		},
		{
			title: "New leases", help: "Leases this server assigns a second (not counting those learned from an HA peer).",
			width: 6, unit: "ops", queries: assigned,
		},
		{
			title: "Renewals from the lease cache", help: "Renewals Kea answered from its lease cache without writing the lease database (Kea 2.4 and later count them).",
			width: 6, unit: "ops", queries: reuses,
		},
		{
			title: "Reclaimed and declined", help: "Expired leases reclaimed a second, declined addresses reclaimed after probation, and addresses now held declined.",
			width: 6,
			queries: []query{
				{expr: g.rate(fm.m("reclaimed_leases_total"), onServer), legend: "{{server}} reclaimed/s"},
				{expr: g.rate(fm.m("reclaimed_declined_addresses_total"), onServer), legend: "{{server}} declined reclaimed/s"},
				{expr: g.sel(fm.m("addresses_declined"), onServer), legend: "{{server}} declined now"},
			},
		},
	}
}

func (g *gen) dhcpSubnets(r refs, fm family) []panel {
	t := g.t
	pct := f(0)
	labels := []string{"server", "subnet_id", "subnet", "shared_network"}
	type space struct{ title, metric string }
	spaces := []space{{"Subnet utilisation", "subnet_utilization_ratio"}}
	if fm == dhcp6 {
		spaces = []space{{"Subnet address utilisation", "subnet_address_utilization_ratio"}, {"Subnet prefix utilisation", "subnet_prefix_utilization_ratio"}}
	}
	var ps []panel
	for _, s := range spaces {
		ps = append(ps, panel{
			title: s.title, help: "Share of each subnet's pool space leased; orange and red are the utilisation alerts' thresholds. Each row opens the subnet in the config editor and in the subnet dashboard.",
			viz: tableViz, unit: "percentunit", min: pct, width: 24 / uint32(len(spaces)), height: 10,
			queries: []query{{expr: g.sel(fm.m(s.metric), onServer)}},
			steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
			links:   g.subnetLinks(r, labels, fm.daemon),
		})
	}
	return ps
}
