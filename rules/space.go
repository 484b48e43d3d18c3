package rules

import (
	"fmt"
	"strings"
)

// addressSpace is one scope of Kea's address space (subnets, pools, shared
// networks) whose utilisation is recorded under one name for DHCPv4
// addresses, DHCPv6 addresses and DHCPv6 prefixes alike, told apart by the
// labels daemon ("dhcp4", "dhcp6") and lease_type ("address", "prefix").
type addressSpace struct {
	name   string   // CamelCase word in the alert names
	title  string   // how a description starts naming it
	record string   // recorded utilisation
	parts  []string // metric, daemon, lease_type triples
	// fallback, when set, has one metric per part: its series count where
	// the part's own metric has no series of the same identity (pool
	// labels aside), so that one pool is one recorded series whichever
	// source it comes from.
	fallback []string
	identity []string
	// what names one instance in a description (a template).
	what string
	// more says how to add addresses to it.
	more          string
	remediation   string
	remediationIf *LinkCase
	// inSharedNetwork: subnets and pools inside a shared network are left to
	// the shared network's alert unless Thresholds.SubnetsInSharedNetworks.
	inSharedNetwork bool
}

func addressSpaces() []addressSpace {
	subnet := label("subnet") + " (" + label("daemon") + " subnet-id " + label("subnet_id") + ") on " + label("server")
	return []addressSpace{
		{
			name: "Subnet", title: "subnet", record: "kea:subnet_utilization:ratio",
			parts: []string{
				"kea_dhcp4_subnet_utilization_ratio", "dhcp4", "address",
				"kea_dhcp6_subnet_address_utilization_ratio", "dhcp6", "address",
				"kea_dhcp6_subnet_prefix_utilization_ratio", "dhcp6", "prefix",
			},
			identity:        []string{"server", "daemon", "lease_type", "subnet_id"},
			what:            "Subnet " + subnet,
			more:            "widen the subnet's pools or add a pool",
			remediation:     ConfigUISubnet,
			inSharedNetwork: true,
		},
		{
			name: "Pool", title: "pool", record: "kea:pool_utilization:ratio",
			parts: []string{
				"kea_dhcp4_pool_utilization_ratio", "dhcp4", "address",
				"kea_dhcp6_pool_utilization_ratio", "dhcp6", "address",
				"kea_dhcp6_pd_pool_utilization_ratio", "dhcp6", "prefix",
			},
			// Kea reports pool statistics from 2.4 only; before, ddiscope's
			// lease passes count every configured range. Kea's own come
			// first; a range's series stands in only where Kea reports no
			// pool with its server, subnet and pool-id (on Kea 2.4+ with
			// lease passes on, Kea's statistic of the pool-id wins, its
			// ranges summed, whatever the pool label).
			fallback: []string{
				"kea_dhcp4_pool_lease_utilization_ratio",
				"kea_dhcp6_pool_lease_utilization_ratio",
				"kea_dhcp6_pd_pool_lease_utilization_ratio",
			},
			identity:        []string{"server", "daemon", "lease_type", "subnet_id", "pool_id", "pool"},
			what:            "Pool " + label("pool") + " (pool-id " + label("pool_id") + ") of subnet " + subnet,
			more:            "widen the pool, or add a pool to its subnet (and its client classes, if the pool is reserved to some)",
			remediation:     ConfigUIPool,
			remediationIf:   &LinkCase{Label: "lease_type", Value: "prefix", Pattern: ConfigUIPDPool},
			inSharedNetwork: true,
		},
		{
			name: "SharedNetwork", title: "shared network", record: "kea:shared_network_utilization:ratio",
			parts: []string{
				"kea_dhcp4_shared_network_utilization_ratio", "dhcp4", "address",
				"kea_dhcp6_shared_network_address_utilization_ratio", "dhcp6", "address",
				"kea_dhcp6_shared_network_prefix_utilization_ratio", "dhcp6", "prefix",
			},
			identity:    []string{"server", "daemon", "lease_type", "shared_network"},
			what:        "Shared network " + label("shared_network") + " (" + label("daemon") + ") on " + label("server"),
			more:        "widen the pools of its subnets, or add a subnet to the shared network",
			remediation: ConfigUISharedNetwork,
		},
	}
}

// recording unites the scope's utilisation metrics under one name.
func (s addressSpace) recording(c *Config) Recording {
	var exprs []string
	for i := 0; i+2 < len(s.parts); i += 3 {
		e := tag(c.sel(s.parts[i]), "daemon", s.parts[i+1], "lease_type", s.parts[i+2])
		if s.fallback != nil {
			e = "(\n" + e + "\nor ignoring (pool)\n" + tag(c.sel(s.fallback[i/3]), "daemon", s.parts[i+1], "lease_type", s.parts[i+2]) + "\n)"
		}
		exprs = append(exprs, e)
	}
	help := fmt.Sprintf("Utilisation (0..1) of every %s: DHCPv4 addresses, DHCPv6 addresses and DHCPv6 prefixes, told apart by `daemon` and `lease_type`.", s.title)
	if s.fallback != nil {
		help += " Kea's own pool statistics (Kea 2.4+) where it reports the pool-id, else the ranges ddiscope's lease passes count (Kea 2.2, lease passes on): one series per pool either way."
	}
	return Recording{Record: s.record, Expr: union(exprs...), Help: help}
}

// selected is the recorded series the alerts look at.
func (s addressSpace) selected(c *Config) string {
	if s.inSharedNetwork && !c.Thresholds.SubnetsInSharedNetworks {
		return s.record + `{shared_network=""}`
	}
	return s.record
}

func (s addressSpace) scopeNote(c *Config) string {
	note := ""
	if s.fallback != nil {
		note = " The number is Kea's pool statistic (Kea 2.4+, per pool-id); Kea 2.2 has none, and there it is ddiscope's lease passes' count of the configured range (`" + s.fallback[0] + "` and its DHCPv6 siblings), as fresh as the last complete pass."
	}
	if s.inSharedNetwork && !c.Thresholds.SubnetsInSharedNetworks {
		note += fmt.Sprintf(" %ss inside a shared network are left to the shared network's alerts (Kea leases from any subnet of a shared network); `subnets-in-shared-networks: true` includes them.", strings.ToUpper(s.title[:1])+s.title[1:])
	}
	return note
}

// alerts returns the scope's warning, critical and exhaustion alerts.
func (s addressSpace) alerts(c *Config) []Alert {
	t := c.Thresholds
	u := s.selected(c)
	high, crit, exhaust := "Kea"+s.name+"UtilizationHigh", "Kea"+s.name+"UtilizationCritical", "Kea"+s.name+"ExhaustionPredicted"
	// lease_type is "address" or "prefix": +"es" is the plural of both.
	leased := " has {{ $value | humanizePercentage }} of its " + label("lease_type") + "es leased"
	base := Alert{
		Component: ComponentKea, Dashboard: UIDKeaSubnets,
		Remediation: s.remediation, RemediationIf: s.remediationIf, Identity: s.identity,
	}
	fix := "Add addresses in the config editor: " + s.more +
		"; or shorten `valid-lifetime` so that the leases of departed clients return sooner. The config editor applies the change to both HA peers."
	diagnosis := "Open the dashboard link: is the growth sudden (a new device fleet, a decline storm: see `KeaDeclineStorm`, a rogue client taking many addresses) or steady? `lease4-get-page` / `lease6-get-page` list the leases; many leases of one client-id or MAC point to a misbehaving client."

	h := base
	h.Name, h.Severity, h.For = high, Warning, minutes(15)
	h.Expr = u + " > " + num(t.UtilizationWarning)
	h.Summary = "A Kea " + s.title + " is filling up."
	h.Description = s.what + leased + " (warning above " + pct(t.UtilizationWarning) + ")."
	h.Condition = fmt.Sprintf("%s utilisation > %s", s.title, pct(t.UtilizationWarning))
	h.Runbook = Runbook{
		Meaning:   fmt.Sprintf("More than %s of the %s's addresses (or delegated prefixes) are leased.%s", pct(t.UtilizationWarning), s.title, s.scopeNote(c)),
		Impact:    "None yet. New clients will be refused once it is full; `KeaAllocationFailures` fires then.",
		Diagnosis: diagnosis,
		Fix:       fix,
	}

	cr := base
	cr.Name, cr.Severity, cr.For = crit, Critical, minutes(5)
	cr.Expr = u + " > " + num(t.UtilizationCritical)
	cr.Summary = "A Kea " + s.title + " is almost full."
	cr.Description = s.what + leased + " (critical above " + pct(t.UtilizationCritical) + ")."
	cr.Condition = fmt.Sprintf("%s utilisation > %s", s.title, pct(t.UtilizationCritical))
	cr.Supersedes = []string{high, exhaust}
	cr.Runbook = Runbook{
		Meaning:   fmt.Sprintf("More than %s of the %s's addresses (or delegated prefixes) are leased.%s", pct(t.UtilizationCritical), s.title, s.scopeNote(c)),
		Impact:    "New clients are about to be refused, or already are: a client that gets no lease gets no network. Renewals of existing leases still work.",
		Diagnosis: diagnosis,
		Fix:       fix,
	}

	ex := base
	ex.Name, ex.Severity, ex.For = exhaust, Warning, hours(1)
	ex.Expr = u + " > " + num(t.ExhaustionMinUtilization) + "\nand\n" +
		fmt.Sprintf("predict_linear(%s[%s], %s) >= 1", u, t.ExhaustionLookback, secs(t.ExhaustionHorizon))
	ex.Summary = "A Kea " + s.title + " is predicted to run out of addresses."
	ex.Description = s.what + " is {{ $value | humanizePercentage }} leased and, at the rate of the last " + durText(t.ExhaustionLookback) +
		", runs out of " + label("lease_type") + "es within " + durText(t.ExhaustionHorizon) + "."
	ex.Condition = fmt.Sprintf("above %s and the %s trend reaches 100%% within %s", pct(t.ExhaustionMinUtilization), durText(t.ExhaustionLookback), durText(t.ExhaustionHorizon))
	ex.Runbook = Runbook{
		Meaning:   fmt.Sprintf("A linear fit of the %s's utilisation over the last %s reaches 100%% within %s.%s", s.title, durText(t.ExhaustionLookback), durText(t.ExhaustionHorizon), s.scopeNote(c)),
		Impact:    "None yet; clients will be refused when it is full if the trend holds.",
		Diagnosis: diagnosis,
		Fix:       fix,
	}
	return []Alert{h, cr, ex}
}
