package dashboards

import (
	"github.com/ddiscope/ddiscope/rules"
)

// leases is the lease database as ddiscope's lease passes count it: leases
// by state, when they expire, when clients were last seen, expired leases
// waiting for reclamation, and whether Kea's statistics agree with its
// lease database.
func (g *gen) leases(r refs) board {
	rows := []row{}
	for _, fm := range families() {
		rows = append(rows, row{title: fm.name + " leases", panels: g.leasePanels(r, fm)})
	}
	rows = append(rows, row{title: "ddiscope's lease passes", panels: g.leasePasses()})
	return board{
		ref:         r.leases,
		description: "Kea's lease databases as ddiscope's lease passes (lease4-get-page, lease6-get-page) count them: leases by state, time to expiry, time since the client's last contact, expired leases not yet reclaimed, and whether Kea's statistics agree with the lease database (stat-lease4-get, stat-lease6-get).",
		vars:        []variable{g.serverVar("kea"), g.subnetVar(recordedSubnet)},
		rows:        rows,
	}
}

func (g *gen) leasePanels(r refs, fm family) []panel {
	sub := []string{onServer, onSubnet}
	// DHCPv6 leases carry a lease type (na, ta, pd) beside the state.
	kind, byKind, perSubnet := "", "", "within"
	if fm == dhcp6 {
		kind, byKind, perSubnet = " {{type}}", ", type", "type, within"
	}
	subnetLink := g.configLink("Edit subnet {subnet} in the config editor", rules.ConfigUISubnet, map[string]string{"daemon": fm.daemon})
	drift := []query{{
		expr:   g.sel(fm.m("subnet_lease_db_addresses_drift"), sub...),
		legend: "{{server}} {{subnet}} addresses",
	}}
	if fm == dhcp6 {
		drift = append(drift, query{
			expr:   g.sel(fm.m("subnet_lease_db_prefixes_drift"), sub...),
			legend: "{{server}} {{subnet}} prefixes",
		})
	}
	return []panel{
		{
			title: "Leases by state", help: "Leases in the lease database by state: default (in use), declined, expired and reclaimed, released.",
			stack: true, width: 8,
			queries: []query{{expr: "sum by (server" + byKind + ", state) (" + g.sel(fm.m("subnet_leases"), sub...) + ")", legend: "{{server}}" + kind + " {{state}}"}},
		},
		{
			title: "Leases expiring within", help: "Leases in use whose lifetime ends within the given seconds (cumulative): many expiring soon with few renewals means clients are gone or cannot reach the server.",
			width:   8,
			queries: []query{{expr: "sum by (server" + byKind + ", within) (" + g.sel(fm.m("subnet_leases_expiring"), with(sub, `within!="+Inf"`)...) + ")", legend: "{{server}}" + kind + " ≤ {{within}} s"}},
		},
		{
			title: "Clients seen within", help: "Leases in use whose client renewed or obtained them within the given seconds (cumulative): how many clients are really there.",
			width:   8,
			queries: []query{{expr: "sum by (server" + byKind + ", within) (" + g.sel(fm.m("subnet_leases_renewed"), sub...) + ")", legend: "{{server}}" + kind + " ≤ {{within}} s"}},
		},
		{
			title: "Expired, not reclaimed", help: "Leases past their lifetime that Kea has not reclaimed, per subnet; orange is the KeaLeaseReclamationBacklog threshold. Kea counts them as assigned until it does, so utilisation overstates.",
			width:   12,
			queries: []query{{expr: "sum without (" + perSubnet + ") (" + g.sel(fm.m("subnet_leases_expiring"), with(sub, `within="0"`)...) + ")", legend: "{{server}} {{subnet}}"}},
			steps:   above(g.t.LeaseReclamationBacklog, orange),
			links:   []link{subnetLink, g.configLink("Lease reclamation of {server} in the config editor", rules.ConfigUIServer, nil)},
		},
		{
			title: "Statistics minus lease database", help: "Kea's assigned statistic minus what its lease database holds as assigned or declined (stat_cmds hook), per subnet, both read at the start of each lease pass. Kea's statistic counts declined leases as assigned, so a healthy Kea shows 0, declines or not; a lasting difference means Kea's statistics drifted and utilisation is wrong by that many.",
			width: 12, queries: drift,
			links: []link{subnetLink},
		},
	}
}

func (g *gen) leasePasses() []panel {
	return []panel{
		{
			title: "Age of the lease data", help: "How old the last complete lease pass of each daemon is: the lease panels describe the lease database then.",
			unit: "s", width: 6,
			queries: []query{{expr: "time() - " + g.sel("ddiscope_lease_pass_timestamp_seconds", onServer), legend: "{{server}} {{daemon}}"}},
		},
		{
			title: "Pass duration", help: "How long the last complete lease pass took, pauses between pages included.",
			unit: "s", width: 6,
			queries: []query{{expr: g.sel("ddiscope_lease_pass_duration_seconds", onServer), legend: "{{server}} {{daemon}}"}},
		},
		{
			title: "Leases read", help: "Leases in the last complete pass, and those whose subnet the daemon's configuration does not have (counted in no subnet).",
			width: 6,
			queries: []query{
				{expr: g.sel("ddiscope_lease_pass_leases", onServer), legend: "{{server}} {{daemon}} leases"},
				{expr: g.sel("ddiscope_lease_pass_unknown_subnet_leases", onServer), legend: "{{server}} {{daemon}} in unknown subnets"},
			},
		},
		{
			title: "Passes and pages", help: "Lease passes a minute by result (abandoned ones failed three pages in a row) and pages read a second.",
			width: 6,
			queries: []query{
				{expr: g.perMinute("ddiscope_lease_passes_total", onServer), legend: "{{server}} {{daemon}} {{result}} passes/min"},
				{expr: g.rate("ddiscope_lease_pages_total", onServer), legend: "{{server}} {{daemon}} pages/s"},
			},
		},
	}
}
