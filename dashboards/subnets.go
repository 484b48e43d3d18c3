package dashboards

import (
	"github.com/ddiscope/ddiscope/rules"
)

// subnets is the subnet, pool and shared-network detail: how full, since
// when, when full at this rate, declines and allocation failures, each row
// linking to the object's page in the config editor. The utilisation and
// allocation failure alerts open it.
func (g *gen) subnets(r refs) board {
	subnet := []string{onServer, onDaemon, onSharedNetwork, onSubnet}
	network := []string{onServer, onDaemon, onSharedNetwork}
	pool := with(subnet, onPool)
	subnetLinks := g.subnetLinks(r, subnetLabels, "")
	networkLinks := g.networkLinks(r, networkLabels, "")
	return board{
		ref:         r.subnets,
		description: "Every subnet, shared network and pool of the selected servers: utilisation now and over time, time until exhaustion at the recent rate, declines and allocation failures, against the alerts' thresholds. Rows link to the config editor's page of the subnet, shared network or pool.",
		vars:        []variable{g.serverVar("kea"), g.daemonVar(), g.sharedNetworkVar(), g.subnetVar(recordedSubnet, onDaemon, onSharedNetwork), g.poolVar()},
		rows: []row{
			{title: "Subnets", panels: append(g.space("subnet", g.sel(recordedSubnet, subnet...), "{{server}} {{daemon}} {{subnet}} {{lease_type}}", subnetLinks, ""),
				g.subnetDeclines(r), g.subnetAllocationFailures(r), g.subnetFailureReasons(r))},
			{title: "Shared networks", panels: append(g.space("shared network", g.sel(recordedNetwork, network...), "{{server}} {{daemon}} {{shared_network}} {{lease_type}}", networkLinks, ""),
				g.fleetSharedNetworks())},
			{title: "Address pools", panels: append(g.space("address pool", g.sel(recordedPool, with(pool, `lease_type="address"`)...), poolLegend,
				g.poolLinks(r, rules.ConfigUIPool, poolLabels, ""), noPoolStats), g.poolDeclines(r))},
			{title: "Prefix-delegation pools", panels: g.space("prefix-delegation pool", g.sel(recordedPool, with(pool, `lease_type="prefix"`)...), poolLegend,
				g.poolLinks(r, rules.ConfigUIPDPool, poolLabels, ""), noPoolStats)},
		},
	}
}

const poolLegend = "{{server}} {{daemon}} {{subnet}} {{pool}}"

// noPoolStats is why a pool panel may be empty.
const noPoolStats = "Kea reports pool statistics from 2.4 on; before, ddiscope's lease passes count the pools, when they are on"

// with returns matchers and more, never sharing their array.
func with(matchers []string, more ...string) []string {
	return append(append([]string(nil), matchers...), more...)
}

// space is the three views of one kind of address space (the recorded
// utilisation in series): now, over time, and the time left at the recent
// rate. empty is why the kind may rightly have no series.
func (g *gen) space(what, series, legend string, links []link, empty string) []panel {
	t := g.t
	pct := f(0)
	return []panel{
		{
			title: "Utilisation of every " + what,
			help:  "Share of each " + what + "'s addresses (or delegated prefixes) leased now; orange and red are the utilisation alerts' thresholds. Each row opens it in the config editor.",
			viz:   tableViz, unit: "percentunit", min: pct, width: 8, height: 10,
			queries: []query{{expr: series}},
			steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
			links:   links, empty: empty,
		},
		{
			title: "Utilisation history, " + what + "s",
			help:  "Since when has it been this full, and how fast does it grow?",
			unit:  "percentunit", min: pct, width: 8, height: 10,
			queries: []query{{expr: series, legend: legend}},
			steps:   warnCrit(t.UtilizationWarning, t.UtilizationCritical),
			links:   links, empty: empty,
		},
		{
			title: "Time until full, " + what + "s",
			help: "When each growing " + what + " is full if its utilisation keeps the trend of the last " + t.ExhaustionLookback.String() +
				": orange within " + t.ExhaustionHorizon.String() + ", the horizon of the ExhaustionPredicted alerts (which also wait for " +
				pctText(t.ExhaustionMinUtilization) + " utilisation). Only growing ones are listed.",
			viz: tableViz, unit: "s", width: 8, height: 10, ascending: true,
			queries: []query{{expr: g.timeUntilFull(series)}},
			steps:   below(seconds(t.ExhaustionHorizon), orange),
			links:   links,
			empty:   "nothing grows",
		},
	}
}

// timeUntilFull solves the alerts' linear fit for 100%: the alert fires
// when predict_linear(u[lookback], horizon) >= 1, that is when this is
// below the horizon.
func (g *gen) timeUntilFull(series string) string {
	r := series + "[" + g.t.ExhaustionLookback.String() + "]"
	return "clamp_min((1 - predict_linear(" + r + ", 0)) / deriv(" + r + "), 0)\nand\nderiv(" + r + ") > 0"
}

func (g *gen) subnetDeclines(r refs) panel {
	var qs []query
	for _, fm := range families() {
		m := []string{onServer, onSharedNetwork, onSubnet}
		qs = append(qs, query{
			expr:   g.onlyDaemon(tag(g.sel(fm.m("subnet_addresses_declined"), m...)+" / "+g.sel(fm.m("subnet_addresses"), m...), "daemon", fm.daemon), fm.daemon),
			legend: "{{server}} " + fm.name + " {{subnet}}",
		})
	}
	return panel{
		title: "Declined addresses",
		help:  "Share of each subnet's addresses declined by clients and withheld in probation; orange is the KeaDeclinedAddressesHigh threshold. Declines mean a device uses the address without a lease.",
		unit:  "percentunit", min: f(0), width: 8, height: 10, queries: qs,
		steps: above(g.t.DeclinedRatio, orange),
		links: []link{g.configLink("Edit subnet {subnet} in the config editor", rules.ConfigUISubnet, nil)},
	}
}

func (g *gen) subnetAllocationFailures(r refs) panel {
	return panel{
		title: "Allocation failures per minute",
		help:  "Leases Kea failed to allocate in each subnet, a minute over 5 minutes, as the KeaAllocationFailures alert (orange) reads them: clients that got nothing.",
		width: 8, height: 10,
		queries: []query{{
			expr:   g.sel(recordedAllocFailures, onServer, onDaemon, onSharedNetwork, onSubnet) + " * 60",
			legend: "{{server}} {{daemon}} {{subnet}}",
		}},
		steps: above(g.t.AllocationFailuresPerMinute, orange),
		links: g.subnetLinks(r, []string{"server", "daemon", "subnet_id", "subnet", "shared_network"}, ""),
		empty: noFailureYet,
	}
}

func (g *gen) subnetFailureReasons(r refs) panel {
	var qs []query
	for _, fm := range families() {
		qs = append(qs, query{
			expr:   g.onlyDaemon(tag(g.perMinute(fm.m("subnet_allocation_failures_by_reason_total"), onServer, onSharedNetwork, onSubnet), "daemon", fm.daemon), fm.daemon),
			legend: "{{server}} " + fm.name + " {{subnet}} {{reason}}",
		})
	}
	return panel{
		title: "Allocation failures per minute, by reason",
		help:  "Why allocations fail: no_pools and subnet mean exhaustion, classes client-class rules keeping clients out of pools with room, shared_network the whole shared network full.",
		width: 8, height: 10, queries: qs,
		links: []link{g.configLink("Edit subnet {subnet} in the config editor", rules.ConfigUISubnet, nil)},
		empty: noFailureYet,
	}
}

// noFailureYet: Kea (2.2 at least) creates a subnet's allocation failure
// statistics at its first failure, so a healthy subnet has none.
const noFailureYet = "Kea reports a subnet's allocation failures from the first one on"

func (g *gen) fleetSharedNetworks() panel {
	return panel{
		title: "Shared networks across HA pairs",
		help:  "Share of each shared network leased across the fleet, the subnets an HA pair serves counted once: what clients of the shared network really have left.",
		unit:  "percentunit", min: f(0), width: 24, height: 8,
		queries: []query{
			{expr: g.sel(dhcp4.m("fleet_shared_network_utilization_ratio"), onSharedNetwork), legend: "DHCPv4 {{shared_network}}"},
			{expr: g.sel(dhcp6.m("fleet_shared_network_address_utilization_ratio"), onSharedNetwork), legend: "DHCPv6 {{shared_network}}",
				empty: "only where DHCPv6 has shared networks"},
		},
		steps: warnCrit(g.t.UtilizationWarning, g.t.UtilizationCritical),
	}
}

func (g *gen) poolDeclines(r refs) panel {
	var qs []query
	for _, fm := range families() {
		// Kea's statistic (2.4+) where it reports the pool-id, else the
		// declined leases the lease passes count per range.
		qs = append(qs, query{
			expr: g.onlyDaemon(tag("(\n"+g.sel(fm.m("pool_addresses_declined"), onServer, onSharedNetwork, onSubnet, onPool)+
				"\nor ignoring (pool)\nsum without (state) ("+g.sel(fm.m("pool_leases"), onServer, onSharedNetwork, onSubnet, onPool, `state="declined"`)+")\n)", "daemon", fm.daemon), fm.daemon),
			legend: "{{server}} " + fm.name + " {{pool}}",
		})
	}
	return panel{
		title: "Declined addresses per pool",
		help:  "Addresses of each pool declined and withheld in probation: Kea's pool statistic (Kea 2.4+), else the declined leases ddiscope's lease passes count in each range.",
		width: 24, queries: qs,
		links: []link{g.configLink("Edit pool {pool} in the config editor", rules.ConfigUIPool, nil)},
		empty: noPoolStats,
	}
}
