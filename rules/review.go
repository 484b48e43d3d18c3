package rules

import (
	"fmt"
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
)

// reviewGroup alerts on the configuration review (ddiscope_config_finding):
// one alert per check, so that each has its runbook (why the mistake
// matters, how to fix it) and its link to the config editor page of the
// subnet, shared network or server the finding names.
func reviewGroup(c *Config) Group {
	g := Group{Name: "kea-config"}
	for _, check := range catalog.ConfigChecks {
		prose, ok := reviewRunbooks[check.Name]
		if !ok {
			continue // TestEveryConfigCheckHasAnAlert fails instead
		}
		a := Alert{
			Name: reviewAlertName(check.Name), Severity: Severity(check.Severity), Component: ComponentKea,
			For:         minutes(10),
			Summary:     check.Title + ".",
			Description: "Configuration review of " + label("daemon") + " on " + label("server") + ": " + label("subject") + ".",
			Dashboard:   UIDKeaOverview,
			Identity:    []string{"server", "daemon", "check", "subject"},
			Runbook:     prose,
		}
		sel := c.sel("ddiscope_config_finding", fmt.Sprintf("check=%q", check.Name))
		// The link to the object needs its id as a label: it is the start
		// of the subject ("subnet 12 …", "shared-network campus (1 subnets)").
		switch check.Subject {
		case "subnet", "pool", "reservation":
			a.Expr = "label_replace(" + sel + ", \"subnet_id\", \"$1\", \"subject\", `subnet ([0-9]+)( .*)?`) == 1"
			a.Remediation = ConfigUISubnet
			a.Identity = append(a.Identity, "subnet_id")
		case "shared-network":
			a.Expr = "label_replace(" + sel + ", \"shared_network\", \"$1\", \"subject\", `shared-network (.*) \\([0-9]+ subnets\\)`) == 1"
			a.Remediation = ConfigUISharedNetwork
			a.Identity = append(a.Identity, "shared_network")
		default:
			a.Expr = sel + " == 1"
			a.Remediation = ConfigUIServer
		}
		a.Condition = fmt.Sprintf("`ddiscope_config_finding{check=%q}` for %s", check.Name, durText(a.For))
		if strings.HasPrefix(check.Name, "ha-") {
			// Peers are changed one after the other: give the second time.
			a.For = minutes(15)
			a.Condition = fmt.Sprintf("`ddiscope_config_finding{check=%q}` for %s", check.Name, durText(a.For))
		}
		g.Alerts = append(g.Alerts, a)
	}
	return g
}

// reviewAlertName is KeaConfig and the check in CamelCase.
func reviewAlertName(check string) string {
	var b strings.Builder
	b.WriteString("KeaConfig")
	for _, w := range strings.Split(check, "-") {
		switch w {
		case "ha", "tls", "v6":
			b.WriteString(strings.ToUpper(w))
		default:
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

const reviewWhere = "The finding's `subject` names the object; `ddiscope_config_findings_omitted` counts findings of the check beyond the 20 exported. The checks run on each configuration ddiscope reads (config-get, only when it changed), so a fix shows within a poll of Kea reloading it (on Kea 2.2, which has no config-hash-get, within the configuration refresh, 10 minutes by default)."

// reviewRunbooks are the prose of each check's alert: docs/runbooks and
// docs/config-review.md are the documentation of the checks.
var reviewRunbooks = map[string]Runbook{
	catalog.CheckSubnetOverlap: {
		Meaning:   "Two subnets of one server share addresses (for example 10.0.0.0/16 beside 10.0.3.0/24). Kea accepts it. " + reviewWhere,
		Impact:    "Kea selects the first subnet (in configuration order) that matches a relay or interface address, so the other may never serve clients, or serve them with the wrong options; leases from their overlapping pools collide on the same address.",
		Diagnosis: "The subject names both subnets. `config-get` on the server shows their `subnet` prefixes; check which one relays (giaddr, `relay.ip-addresses`) are meant to select.",
		Fix:       "Narrow or renumber one subnet so that the prefixes are disjoint, or merge them into one subnet (or a shared network of disjoint subnets). Apply with config-test then config-set on every HA peer.",
	},
	catalog.CheckHASubnetOverlap: {
		Meaning:   "A subnet on this server overlaps a subnet with another id on its HA peer. " + reviewWhere,
		Impact:    "Lease updates carry the subnet id: the peer files a lease of these addresses under another subnet or refuses it. After a failover clients get addresses the other server thinks belong elsewhere, and lease synchronisation fails.",
		Diagnosis: "Compare `config-get` of both peers for the two subnets the subject names; `kea_ha_pair_config_drift{part=\"subnets\"}` is 1 as well.",
		Fix:       "Give the subnet the same id and prefix on both peers (the config editor applies one change to every peer of a relationship).",
	},
	catalog.CheckPoolOutsideSubnet: {
		Meaning:   "An address pool has addresses outside its subnet's prefix. Kea 2.2 refuses such a configuration at load time (\"does not match the prefix of a subnet\"), so this comes from a configuration that has not been loaded through Kea's parser (a config backend, an older Kea). " + reviewWhere,
		Impact:    "Clients get addresses that are not routable on their link, or the next config-set or restart fails on this configuration and the server does not come back.",
		Diagnosis: "The subject names the subnet and the pool; `kea-dhcp4 -t` on the configuration file shows Kea's own error.",
		Fix:       "Move the pool inside the subnet's prefix, or widen the subnet.",
	},
	catalog.CheckPoolOverlap: {
		Meaning:   "Two pools share addresses: in one subnet (Kea 2.2 refuses that at load time) or, more often, in two overlapping subnets, which Kea accepts. " + reviewWhere,
		Impact:    "An address can be offered from both pools; with a lease already held in one subnet, allocation in the other fails (allocation failures, clients without a lease), and statistics count the addresses twice.",
		Diagnosis: "The subject names both pools and their subnets. Check for overlapping subnets (`KeaConfigSubnetOverlap`).",
		Fix:       "Make the pools disjoint, usually by fixing the overlapping subnets.",
	},
	catalog.CheckReservationOutside: {
		Meaning:   "A host reservation's address lies outside its subnet. Kea 2.2 refuses it in the configuration file (\"is not within the IPv4 subnet\"); the configuration came another way. " + reviewWhere,
		Impact:    "The reserved client never gets its address; it gets a dynamic one, or nothing if the subnet has no free address.",
		Diagnosis: "The subject names the subnet and the address.",
		Fix:       "Correct the address or move the reservation to the subnet that contains it.",
	},
	catalog.CheckReservationInPool: {
		Meaning:   "A reservation's address (or prefix) lies inside a dynamic pool while `reservations-out-of-pool` (or `reservation-mode: out-of-pool`) is set for its subnet, shared network or globally. Kea accepts it. " + reviewWhere,
		Impact:    "With out-of-pool reservations Kea does not check reservations when it allocates from pools: it can hand the reserved address to another client, and the reserved client then gets a conflict or a different address.",
		Diagnosis: "The subject names the subnet, the reservation and the pool. The setting is inherited: look at the subnet, its shared network and the global level.",
		Fix:       "Move the reservation out of the pool (or shrink the pool), or turn `reservations-out-of-pool` off for that subnet.",
	},
	catalog.CheckPoolReserved: {
		Meaning:   "Reservations take every address (or delegated prefix) of a pool. Kea accepts it. " + reviewWhere,
		Impact:    "No address of the pool is left for clients without a reservation: they fail to get a lease from it (`no_pools` or `subnet` allocation failures) although the pool looks large.",
		Diagnosis: "The subject gives the pool and how many of its addresses are reserved.",
		Fix:       "Enlarge the pool, or move the reservations out of it (and then consider `reservations-out-of-pool`).",
	},
	catalog.CheckSubnetWithoutPools: {
		Meaning:   "A subnet has neither address pools nor pd-pools. Kea accepts it. " + reviewWhere,
		Impact:    "Only clients with a reservation get an address; every other client on that link is refused, which is an outage unless the subnet is meant for reservations only.",
		Diagnosis: "The subject names the subnet; reservations held in a host database are not in config-get.",
		Fix:       "Add a pool, or, if the subnet is for reservations only, silence this alert for it.",
	},
	catalog.CheckSharedNetworkOneSubnet: {
		Meaning:   "A shared network holds one subnet, or none. Kea accepts it. " + reviewWhere,
		Impact:    "Nothing fails today, but the shared network only adds indirection (options and settings inherited from one more level), and an empty one is leftover configuration.",
		Diagnosis: "The subject names the shared network and its number of subnets.",
		Fix:       "Move the subnet to the top level and remove the shared network, or add the subnets it was made for.",
	},
	catalog.CheckSubnetNotConfigured: {
		Meaning:   "Kea's statistics name a subnet id that the configuration it returns does not have. " + "The subject names the id; this check runs on every poll, from the statistics ddiscope reads anyway.",
		Impact:    "The subnet's statistics are stale (a subnet removed or renumbered without Kea dropping them) and inflate totals, or the configuration ddiscope read is not the one Kea runs; labels of that subnet have no prefix.",
		Diagnosis: "`statistic-get-all` lists `subnet[N].…`; `config-get` has no subnet N. Kea 2.2 has no config-hash-get: ddiscope reads config-get again when the statistics' subnets change.",
		Fix:       "`statistic-remove` the stale statistics, or `config-reload` the server; if the subnet should exist, restore it.",
	},
	catalog.CheckHASubnetsDiffer: {
		Meaning:   "This server and its HA peer define a subnet differently (other prefix, pools, pool client classes or shared network) or only one of them has it. " + reviewWhere,
		Impact:    "After a failover the surviving server serves the subnet with its own definition: other pools, clients refused, leases synchronised into a subnet the peer lacks.",
		Diagnosis: "The subject names the subnet and the peer target; `kea_ha_pair_config_drift{part=\"subnets\"}` is 1.",
		Fix:       "Apply the same subnet definition to both peers (the config editor applies every change to every peer of a relationship).",
	},
	catalog.CheckHookMissing: {
		Meaning:   "A hook library another one depends on is not loaded: the ha hook without lease_cmds, or subnets naming an HA server (`user-context` `ha-server-name`) on a server without the ha hook. Kea accepts it. " + reviewWhere,
		Impact:    "Without lease_cmds the peers cannot send lease updates or synchronise: the pair fails to reach its normal state, or fails over with a partner whose leases are stale.",
		Diagnosis: "The subject names the missing hook; `hooks-libraries` in config-get lists what is loaded.",
		Fix:       "Add `libdhcp_lease_cmds.so` to `hooks-libraries` (before `libdhcp_ha.so`) on every peer, or remove the stale `ha-server-name`.",
	},
	catalog.CheckCredentialsNoTLS: {
		Meaning:   "A Kea HTTP listener asks for credentials but has no TLS: the Control Agent or a daemon's HTTP control socket with `authentication` and no `cert-file`, or an HA peer reached with basic-auth over `http://`. Kea accepts it. " + reviewWhere,
		Impact:    "Passwords cross the network in clear text with every command; anyone on the path can take them and reconfigure the server.",
		Diagnosis: "The subject names the listener or the peer. The Control Agent's configuration is read when ddiscope first connects to it.",
		Fix:       "Set `trust-anchor`, `cert-file` and `key-file` on the listener (and `https://` peer URLs), or keep it on a UNIX socket or loopback only.",
	},
	catalog.CheckSampleCount: {
		Meaning:   fmt.Sprintf("`statistic-default-sample-count` is left at Kea's default of 20 on a server with %s or more subnets. ", "1,000") + reviewWhere,
		Impact:    "Kea keeps 20 samples of every statistic and returns them all in `statistic-get-all`: every poll costs Kea and ddiscope 5 to 20 times more CPU and memory than needed (docs/benchmarks.md).",
		Diagnosis: "The subject gives the setting and the number of subnets.",
		Fix:       "Set `\"statistic-default-sample-count\": 1` at the global level (ddiscope reads only the newest sample).",
	},
	catalog.CheckV6CounterOverflow: {
		Meaning:   "An IPv6 subnet has 2^63 or more addresses (or delegated prefixes) in its pools, on a Kea older than 2.5.3, whose statistics are signed 64-bit. " + reviewWhere,
		Impact:    "Kea reports the subnet's total as -1 (or wrong): its utilisation cannot be computed from Kea's statistics. ddiscope substitutes the size from the configuration where it can.",
		Diagnosis: "The subject names the subnet, its size and the Kea version (from version-get).",
		Fix:       "Upgrade Kea to 2.5.3 or later, or use smaller pools (a /65 already overflows; a /80 does not).",
	},
}
