package catalog

// Naming conventions (followed by every entry; the helpers below enforce the shape):
//   - kea_<daemon>_… for statistics a Kea daemon reports, kea_<daemon>_subnet_…,
//     kea_<daemon>_pool_…, kea_<daemon>_pd_pool_… and kea_<daemon>_shared_network_…
//     for scoped ones, so that one family has one label set.
//   - Counters (Kea's cumulative statistics) end in _total; sizes and current
//     counts are gauges without it.
//   - A family of statistics that differ only by one word (packet type, drop
//     reason, allocation-failure reason) becomes one metric with a label.
//   - A total Kea reports beside its parts stays its own metric, so that
//     sum() over the labelled family never double counts.

// counter and gauge build entries tersely; l is shorthand for a label map.
func counter(daemon string, scope Scope, name, help string, src ...Source) *Metric {
	return &Metric{Name: name, Type: Counter, Help: help, Daemon: daemon, Scope: scope, Source: src}
}

func gauge(daemon string, scope Scope, name, help string, src ...Source) *Metric {
	return &Metric{Name: name, Type: Gauge, Help: help, Daemon: daemon, Scope: scope, Source: src}
}

func derived(daemon string, scope Scope, typ Type, name, unit, help, how string) *Metric {
	return &Metric{Name: name, Type: typ, Unit: unit, Help: help, Daemon: daemon, Scope: scope, Derived: how}
}

func withExtra(m *Metric, labels ...string) *Metric { m.Extra = labels; return m }

func s(stat string) Source { return Source{Stat: stat} }

func sl(stat, label, value string) Source {
	return Source{Stat: stat, Labels: map[string]string{label: value}}
}

func since(src Source, version string) Source { src.Since = version; return src }

// Kea versions in which statistics first appear (Source.Since). Statistics
// without a version are reported by Kea 2.2 (the oldest version ddiscope
// supports) or, for hook-library statistics, whenever the hook is loaded.
const (
	kea24 = "2.4" // pool statistics, pool-id, lease reuses, 128-bit totals
	kea30 = "3.0" // DHCPv6 address registration (RFC 9686)
	kea31 = "3.1" // per-reason packet drop statistics
)

// Notes shared by the help texts of the DHCPv6 totals (total-nas, total-pds).
const (
	v6TotalFloat = " Exported as float64: Kea counts it in 128 bits, so it can exceed 2^63 and loses precision above 2^53."
	v6Total22    = " Kea 2.2 reports a pool of 2^64 addresses or more (a whole /64) as -1; ddiscope then computes the size from the pool's range in the configuration."
	v6Total22PD  = " Kea 2.2 reports 2^64 prefixes or more as -1; ddiscope then computes the size from the pd-pools in the configuration."
)

// Kea returns the catalog entries for every statistic of kea-dhcp4,
// kea-dhcp6 and kea-dhcp-ddns (D2), plus what ddiscope derives from them.
func Kea() []*Metric {
	var ms []*Metric
	ms = append(ms, keaDHCP4()...)
	ms = append(ms, keaDHCP6()...)
	ms = append(ms, keaD2()...)
	return ms
}

// dropReasons returns the per-reason drop statistics of one DHCP daemon
// ("pkt4" or "pkt6"). pkt4-parse-failed / pkt6-parse-failed are as old as
// Kea itself and were always counted in pkt*-receive-drop too; Kea 3.1 added
// the others so that the reasons partition the receive-drop total.
func dropReasons(pkt string) []Source {
	src := []Source{sl(pkt+"-parse-failed", "reason", "parse_failed")}
	for _, r := range []string{"service-disabled", "queue-full", "duplicate", "rfc-violation", "admin-filtered", "not-for-us", "processing-failed", "limit-exceeded"} {
		src = append(src, since(sl(pkt+"-"+r, "reason", snake(r)), kea31))
	}
	return src
}

// allocFailReasons returns the v4-/v6-allocation-fail-<reason> statistics.
func allocFailReasons(prefix string) []Source {
	var src []Source
	for _, r := range []string{"shared-network", "subnet", "no-pools", "classes"} {
		src = append(src, sl(prefix+"-allocation-fail-"+r, "reason", snake(r)))
	}
	return src
}

func snake(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

func keaDHCP4() []*Metric {
	const d = "dhcp4"
	return []*Metric{
		counter(d, ScopeGlobal, "kea_dhcp4_packets_received_total", "DHCPv4 packets received, of any type (pkt4-received).", s("pkt4-received")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp4_packets_received_by_type_total", "DHCPv4 packets received, by message type (pkt4-<type>-received; lease_query only while the Leasequery hook is loaded, or always from Kea 3.1).",
			sl("pkt4-discover-received", "type", "discover"),
			sl("pkt4-offer-received", "type", "offer"),
			sl("pkt4-request-received", "type", "request"),
			sl("pkt4-ack-received", "type", "ack"),
			sl("pkt4-nak-received", "type", "nak"),
			sl("pkt4-release-received", "type", "release"),
			sl("pkt4-decline-received", "type", "decline"),
			sl("pkt4-inform-received", "type", "inform"),
			sl("pkt4-lease-query-received", "type", "lease_query"),
			sl("pkt4-unknown-received", "type", "unknown"),
		), "type"),
		counter(d, ScopeGlobal, "kea_dhcp4_packets_sent_total", "DHCPv4 packets sent, of any type (pkt4-sent).", s("pkt4-sent")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp4_packets_sent_by_type_total", "DHCPv4 packets sent, by message type (pkt4-<type>-sent; the Leasequery replies DHCPLEASEUNKNOWN, DHCPLEASEUNASSIGNED and DHCPLEASEACTIVE are pkt4-lease-query-response-<unknown|unassigned|active>-sent).",
			sl("pkt4-offer-sent", "type", "offer"),
			sl("pkt4-ack-sent", "type", "ack"),
			sl("pkt4-nak-sent", "type", "nak"),
			sl("pkt4-lease-query-response-unknown-sent", "type", "lease_unknown"),
			sl("pkt4-lease-query-response-unassigned-sent", "type", "lease_unassigned"),
			sl("pkt4-lease-query-response-active-sent", "type", "lease_active"),
		), "type"),
		counter(d, ScopeGlobal, "kea_dhcp4_packets_dropped_total", "DHCPv4 packets dropped, for any reason (pkt4-receive-drop).", s("pkt4-receive-drop")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp4_packets_dropped_by_reason_total", "DHCPv4 packets dropped, by reason (pkt4-parse-failed, and from Kea 3.1 pkt4-<reason> for the other reasons). From Kea 3.1 the reasons add up to kea_dhcp4_packets_dropped_total; before, only parse_failed is reported.",
			dropReasons("pkt4")...,
		), "reason"),
		counter(d, ScopeGlobal, "kea_dhcp4_allocation_failures_total", "Address allocation failures, for any reason (v4-allocation-fail).", s("v4-allocation-fail")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp4_allocation_failures_by_reason_total", "Address allocation failures, by reason (v4-allocation-fail-<reason>).",
			allocFailReasons("v4")...,
		), "reason"),
		counter(d, ScopeGlobal, "kea_dhcp4_reservation_conflicts_total", "Host reservations that could not be honoured because the address was leased to another client (v4-reservation-conflicts).", s("v4-reservation-conflicts")),
		counter(d, ScopeGlobal, "kea_dhcp4_addresses_assigned_cumulative_total", "Addresses this server assigned since start, not counting leases learned from an HA peer (cumulative-assigned-addresses).", s("cumulative-assigned-addresses")),
		gauge(d, ScopeGlobal, "kea_dhcp4_addresses_declined", "Addresses currently declined by clients and in probation (declined-addresses).", s("declined-addresses")),
		counter(d, ScopeGlobal, "kea_dhcp4_reclaimed_declined_addresses_total", "Declined addresses whose probation ended and that were reclaimed (reclaimed-declined-addresses).", s("reclaimed-declined-addresses")),
		counter(d, ScopeGlobal, "kea_dhcp4_reclaimed_leases_total", "Expired leases reclaimed (reclaimed-leases).", s("reclaimed-leases")),
		counter(d, ScopeGlobal, "kea_dhcp4_lease_reuses_total", "Leases renewed from the lease cache: CLTT moved forward in memory, expiry left unchanged in the lease database (v4-lease-reuses).", since(s("v4-lease-reuses"), kea24)),

		gauge(d, ScopeSubnet, "kea_dhcp4_subnet_addresses", "Addresses in the subnet's pools (total-addresses).", s("total-addresses")),
		gauge(d, ScopeSubnet, "kea_dhcp4_subnet_addresses_assigned", "Addresses leased in the subnet, including leases learned from an HA peer (assigned-addresses).", s("assigned-addresses")),
		gauge(d, ScopeSubnet, "kea_dhcp4_subnet_addresses_declined", "Addresses declined in the subnet and in probation (declined-addresses).", s("declined-addresses")),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_addresses_assigned_cumulative_total", "Addresses this server assigned in the subnet since start (cumulative-assigned-addresses).", s("cumulative-assigned-addresses")),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_reclaimed_declined_addresses_total", "Declined addresses reclaimed in the subnet (reclaimed-declined-addresses).", s("reclaimed-declined-addresses")),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_reclaimed_leases_total", "Expired leases reclaimed in the subnet (reclaimed-leases).", s("reclaimed-leases")),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_allocation_failures_total", "Address allocation failures in the subnet, for any reason (v4-allocation-fail).", s("v4-allocation-fail")),
		withExtra(counter(d, ScopeSubnet, "kea_dhcp4_subnet_allocation_failures_by_reason_total", "Address allocation failures in the subnet, by reason (v4-allocation-fail-<reason>).",
			allocFailReasons("v4")...,
		), "reason"),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_reservation_conflicts_total", "Reservation conflicts in the subnet (v4-reservation-conflicts).", s("v4-reservation-conflicts")),
		counter(d, ScopeSubnet, "kea_dhcp4_subnet_lease_reuses_total", "Leases renewed from the lease cache in the subnet (v4-lease-reuses).", since(s("v4-lease-reuses"), kea24)),
		derived(d, ScopeSubnet, Gauge, "kea_dhcp4_subnet_utilization_ratio", "ratio", "Share of the subnet's pool addresses that are leased (assigned-addresses / total-addresses). It can exceed 1 when out-of-pool reservations are leased.", "assigned-addresses / total-addresses of the subnet; absent when the total is 0"),

		// Pool scope, Kea 2.4+: "subnet[N].pool[M].<stat>" where M is the
		// pool's configured pool-id (0 when unset); pools sharing a pool-id
		// in a subnet are counted together.
		gauge(d, ScopePool, "kea_dhcp4_pool_addresses", "Addresses in the pool, or in all pools of the subnet that share its pool-id (total-addresses).", since(s("total-addresses"), kea24)),
		gauge(d, ScopePool, "kea_dhcp4_pool_addresses_assigned", "Addresses leased from the pool, including leases learned from an HA peer (assigned-addresses).", since(s("assigned-addresses"), kea24)),
		gauge(d, ScopePool, "kea_dhcp4_pool_addresses_declined", "Addresses of the pool declined and in probation (declined-addresses).", since(s("declined-addresses"), kea24)),
		counter(d, ScopePool, "kea_dhcp4_pool_addresses_assigned_cumulative_total", "Addresses this server assigned from the pool since start (cumulative-assigned-addresses).", since(s("cumulative-assigned-addresses"), kea24)),
		counter(d, ScopePool, "kea_dhcp4_pool_reclaimed_declined_addresses_total", "Declined addresses of the pool reclaimed (reclaimed-declined-addresses).", since(s("reclaimed-declined-addresses"), kea24)),
		counter(d, ScopePool, "kea_dhcp4_pool_reclaimed_leases_total", "Expired leases of the pool reclaimed (reclaimed-leases).", since(s("reclaimed-leases"), kea24)),
		derived(d, ScopePool, Gauge, "kea_dhcp4_pool_utilization_ratio", "ratio", "Share of the pool's addresses that are leased (assigned-addresses / total-addresses of the pool, Kea 2.4+).", "assigned-addresses / total-addresses of the pool; absent when the total is 0"),

		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp4_shared_network_addresses", "", "Addresses in the pools of all subnets of the shared network (sum of the subnets' total-addresses: Kea has no shared-network statistics).", "sum of total-addresses over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp4_shared_network_addresses_assigned", "", "Addresses leased in all subnets of the shared network (sum of the subnets' assigned-addresses).", "sum of assigned-addresses over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp4_shared_network_utilization_ratio", "ratio", "Share of the shared network's pool addresses that are leased (summed assigned-addresses / summed total-addresses).", "kea_dhcp4_shared_network_addresses_assigned / kea_dhcp4_shared_network_addresses; absent when the total is 0"),
	}
}

func keaDHCP6() []*Metric {
	const d = "dhcp6"
	return []*Metric{
		counter(d, ScopeGlobal, "kea_dhcp6_packets_received_total", "DHCPv6 packets received, of any type (pkt6-received).", s("pkt6-received")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp6_packets_received_by_type_total", "DHCPv6 packets received, by message type (pkt6-<type>-received; dhcpv4_query and dhcpv4_response are DHCPv4-over-DHCPv6, addr_reg_* is address registration from Kea 3.0, lease_query needs the Leasequery hook).",
			sl("pkt6-solicit-received", "type", "solicit"),
			sl("pkt6-advertise-received", "type", "advertise"),
			sl("pkt6-request-received", "type", "request"),
			// Created on the first CONFIRM or RECONFIGURE only, so absent
			// from a fresh statistic-get-all (names from Kea 3.0.4's binary).
			sl("pkt6-confirm-received", "type", "confirm"),
			sl("pkt6-reconfigure-received", "type", "reconfigure"),
			sl("pkt6-reply-received", "type", "reply"),
			sl("pkt6-renew-received", "type", "renew"),
			sl("pkt6-rebind-received", "type", "rebind"),
			sl("pkt6-release-received", "type", "release"),
			sl("pkt6-decline-received", "type", "decline"),
			sl("pkt6-infrequest-received", "type", "infrequest"),
			sl("pkt6-dhcpv4-query-received", "type", "dhcpv4_query"),
			sl("pkt6-dhcpv4-response-received", "type", "dhcpv4_response"),
			since(sl("pkt6-addr-reg-inform-received", "type", "addr_reg_inform"), kea30),
			since(sl("pkt6-addr-reg-reply-received", "type", "addr_reg_reply"), kea30),
			sl("pkt6-lease-query-received", "type", "lease_query"),
			sl("pkt6-unknown-received", "type", "unknown"),
		), "type"),
		counter(d, ScopeGlobal, "kea_dhcp6_packets_sent_total", "DHCPv6 packets sent, of any type (pkt6-sent).", s("pkt6-sent")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp6_packets_sent_by_type_total", "DHCPv6 packets sent, by message type (pkt6-<type>-sent; lease_query_reply needs the Leasequery hook).",
			sl("pkt6-advertise-sent", "type", "advertise"),
			sl("pkt6-reply-sent", "type", "reply"),
			sl("pkt6-dhcpv4-response-sent", "type", "dhcpv4_response"),
			since(sl("pkt6-addr-reg-reply-sent", "type", "addr_reg_reply"), kea30),
			sl("pkt6-lease-query-reply-sent", "type", "lease_query_reply"),
		), "type"),
		counter(d, ScopeGlobal, "kea_dhcp6_packets_dropped_total", "DHCPv6 packets dropped, for any reason (pkt6-receive-drop).", s("pkt6-receive-drop")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp6_packets_dropped_by_reason_total", "DHCPv6 packets dropped, by reason (pkt6-parse-failed, and from Kea 3.1 pkt6-<reason> for the other reasons). From Kea 3.1 the reasons add up to kea_dhcp6_packets_dropped_total; before, only parse_failed is reported.",
			dropReasons("pkt6")...,
		), "reason"),
		counter(d, ScopeGlobal, "kea_dhcp6_allocation_failures_total", "Lease allocation failures, for any reason (v6-allocation-fail).", s("v6-allocation-fail")),
		withExtra(counter(d, ScopeGlobal, "kea_dhcp6_allocation_failures_by_reason_total", "Lease allocation failures, by reason (v6-allocation-fail-<reason>).",
			allocFailReasons("v6")...,
		), "reason"),
		counter(d, ScopeGlobal, "kea_dhcp6_addresses_assigned_cumulative_total", "IA_NA addresses this server assigned since start (cumulative-assigned-nas).", s("cumulative-assigned-nas")),
		counter(d, ScopeGlobal, "kea_dhcp6_prefixes_assigned_cumulative_total", "IA_PD prefixes this server delegated since start (cumulative-assigned-pds).", s("cumulative-assigned-pds")),
		counter(d, ScopeGlobal, "kea_dhcp6_addresses_registered_cumulative_total", "Addresses registered by clients (ADDR-REG-INFORM) since start (cumulative-registered-nas).", since(s("cumulative-registered-nas"), kea30)),
		gauge(d, ScopeGlobal, "kea_dhcp6_addresses_declined", "Addresses currently declined by clients and in probation (declined-addresses).", s("declined-addresses")),
		counter(d, ScopeGlobal, "kea_dhcp6_reclaimed_declined_addresses_total", "Declined addresses whose probation ended and that were reclaimed (reclaimed-declined-addresses).", s("reclaimed-declined-addresses")),
		counter(d, ScopeGlobal, "kea_dhcp6_reclaimed_leases_total", "Expired leases reclaimed, addresses and prefixes (reclaimed-leases).", s("reclaimed-leases")),
		counter(d, ScopeGlobal, "kea_dhcp6_address_lease_reuses_total", "IA_NA leases renewed from the lease cache (v6-ia-na-lease-reuses).", since(s("v6-ia-na-lease-reuses"), kea24)),
		counter(d, ScopeGlobal, "kea_dhcp6_prefix_lease_reuses_total", "IA_PD leases renewed from the lease cache (v6-ia-pd-lease-reuses).", since(s("v6-ia-pd-lease-reuses"), kea24)),

		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_addresses", "IA_NA addresses in the subnet's pools (total-nas)."+v6TotalFloat+v6Total22, s("total-nas")),
		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_addresses_assigned", "IA_NA addresses leased in the subnet (assigned-nas).", s("assigned-nas")),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_addresses_assigned_cumulative_total", "IA_NA addresses this server assigned in the subnet since start (cumulative-assigned-nas).", s("cumulative-assigned-nas")),
		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_prefixes", "IA_PD prefixes in the subnet's prefix-delegation pools (total-pds)."+v6TotalFloat+v6Total22PD, s("total-pds")),
		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_prefixes_assigned", "IA_PD prefixes delegated in the subnet (assigned-pds).", s("assigned-pds")),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_prefixes_assigned_cumulative_total", "IA_PD prefixes this server delegated in the subnet since start (cumulative-assigned-pds).", s("cumulative-assigned-pds")),
		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_addresses_declined", "Addresses declined in the subnet and in probation (declined-addresses).", s("declined-addresses")),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_reclaimed_declined_addresses_total", "Declined addresses reclaimed in the subnet (reclaimed-declined-addresses).", s("reclaimed-declined-addresses")),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_reclaimed_leases_total", "Expired leases reclaimed in the subnet, addresses and prefixes (reclaimed-leases).", s("reclaimed-leases")),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_allocation_failures_total", "Lease allocation failures in the subnet, for any reason (v6-allocation-fail).", s("v6-allocation-fail")),
		withExtra(counter(d, ScopeSubnet, "kea_dhcp6_subnet_allocation_failures_by_reason_total", "Lease allocation failures in the subnet, by reason (v6-allocation-fail-<reason>).",
			allocFailReasons("v6")...,
		), "reason"),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_address_lease_reuses_total", "IA_NA leases renewed from the lease cache in the subnet (v6-ia-na-lease-reuses).", since(s("v6-ia-na-lease-reuses"), kea24)),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_prefix_lease_reuses_total", "IA_PD leases renewed from the lease cache in the subnet (v6-ia-pd-lease-reuses).", since(s("v6-ia-pd-lease-reuses"), kea24)),
		gauge(d, ScopeSubnet, "kea_dhcp6_subnet_addresses_registered", "Addresses currently registered by clients in the subnet (registered-nas).", since(s("registered-nas"), kea30)),
		counter(d, ScopeSubnet, "kea_dhcp6_subnet_addresses_registered_cumulative_total", "Addresses registered by clients in the subnet since start (cumulative-registered-nas).", since(s("cumulative-registered-nas"), kea30)),
		derived(d, ScopeSubnet, Gauge, "kea_dhcp6_subnet_address_utilization_ratio", "ratio", "Share of the subnet's IA_NA pool addresses that are leased (assigned-nas / total-nas).", "assigned-nas / total-nas of the subnet (total-nas from the configured pool ranges when Kea 2.2 reports -1); absent when the total is 0"),
		derived(d, ScopeSubnet, Gauge, "kea_dhcp6_subnet_prefix_utilization_ratio", "ratio", "Share of the subnet's IA_PD prefixes that are delegated (assigned-pds / total-pds).", "assigned-pds / total-pds of the subnet (total-pds from the configured pd-pools when Kea 2.2 reports -1); absent when the total is 0"),

		// Pool and prefix-delegation pool scopes, Kea 2.4+:
		// "subnet[N].pool[M].<stat>" and "subnet[N].pd-pool[M].<stat>",
		// M being the configured pool-id (0 when unset).
		gauge(d, ScopePool, "kea_dhcp6_pool_addresses", "IA_NA addresses in the pool, or in all address pools of the subnet that share its pool-id (total-nas)."+v6TotalFloat, since(s("total-nas"), kea24)),
		gauge(d, ScopePool, "kea_dhcp6_pool_addresses_assigned", "IA_NA addresses leased from the pool (assigned-nas).", since(s("assigned-nas"), kea24)),
		counter(d, ScopePool, "kea_dhcp6_pool_addresses_assigned_cumulative_total", "IA_NA addresses this server assigned from the pool since start (cumulative-assigned-nas).", since(s("cumulative-assigned-nas"), kea24)),
		gauge(d, ScopePool, "kea_dhcp6_pool_addresses_declined", "Addresses of the pool declined and in probation (declined-addresses).", since(s("declined-addresses"), kea24)),
		counter(d, ScopePool, "kea_dhcp6_pool_reclaimed_declined_addresses_total", "Declined addresses of the pool reclaimed (reclaimed-declined-addresses).", since(s("reclaimed-declined-addresses"), kea24)),
		counter(d, ScopePool, "kea_dhcp6_pool_reclaimed_leases_total", "Expired address leases of the pool reclaimed (reclaimed-leases).", since(s("reclaimed-leases"), kea24)),
		derived(d, ScopePool, Gauge, "kea_dhcp6_pool_utilization_ratio", "ratio", "Share of the pool's IA_NA addresses that are leased (assigned-nas / total-nas of the pool, Kea 2.4+).", "assigned-nas / total-nas of the pool; absent when the total is 0"),

		gauge(d, ScopePDPool, "kea_dhcp6_pd_pool_prefixes", "IA_PD prefixes in the prefix-delegation pool, or in all pd-pools of the subnet that share its pool-id (total-pds)."+v6TotalFloat, since(s("total-pds"), kea24)),
		gauge(d, ScopePDPool, "kea_dhcp6_pd_pool_prefixes_assigned", "IA_PD prefixes delegated from the pool (assigned-pds).", since(s("assigned-pds"), kea24)),
		counter(d, ScopePDPool, "kea_dhcp6_pd_pool_prefixes_assigned_cumulative_total", "IA_PD prefixes this server delegated from the pool since start (cumulative-assigned-pds).", since(s("cumulative-assigned-pds"), kea24)),
		counter(d, ScopePDPool, "kea_dhcp6_pd_pool_reclaimed_leases_total", "Expired prefix leases of the pool reclaimed (reclaimed-leases).", since(s("reclaimed-leases"), kea24)),
		derived(d, ScopePDPool, Gauge, "kea_dhcp6_pd_pool_utilization_ratio", "ratio", "Share of the pool's IA_PD prefixes that are delegated (assigned-pds / total-pds of the pd-pool, Kea 2.4+).", "assigned-pds / total-pds of the pd-pool; absent when the total is 0"),

		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_addresses", "", "IA_NA addresses in the pools of all subnets of the shared network (sum of the subnets' total-nas: Kea has no shared-network statistics)."+v6TotalFloat+v6Total22, "sum of total-nas over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_addresses_assigned", "", "IA_NA addresses leased in all subnets of the shared network (sum of the subnets' assigned-nas).", "sum of assigned-nas over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_address_utilization_ratio", "ratio", "Share of the shared network's IA_NA pool addresses that are leased (summed assigned-nas / summed total-nas).", "kea_dhcp6_shared_network_addresses_assigned / kea_dhcp6_shared_network_addresses; absent when the total is 0"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_prefixes", "", "IA_PD prefixes in the pd-pools of all subnets of the shared network (sum of the subnets' total-pds)."+v6TotalFloat+v6Total22PD, "sum of total-pds over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_prefixes_assigned", "", "IA_PD prefixes delegated in all subnets of the shared network (sum of the subnets' assigned-pds).", "sum of assigned-pds over the shared network's subnets"),
		derived(d, ScopeSharedNetwork, Gauge, "kea_dhcp6_shared_network_prefix_utilization_ratio", "ratio", "Share of the shared network's IA_PD prefixes that are delegated (summed assigned-pds / summed total-pds).", "kea_dhcp6_shared_network_prefixes_assigned / kea_dhcp6_shared_network_prefixes; absent when the total is 0"),
	}
}

// keaD2 covers kea-dhcp-ddns. Its global statistics exist from start-up; the
// per-key ones ("key[<TSIG key name>].<stat>", the key name as Kea prints it,
// with its trailing dot) exist for every configured TSIG key.
func keaD2() []*Metric {
	const d = "d2"
	return []*Metric{
		counter(d, ScopeGlobal, "kea_d2_ncr_received_total", "Name change requests received from the DHCP servers (ncr-received).", s("ncr-received")),
		counter(d, ScopeGlobal, "kea_d2_ncr_invalid_total", "Name change requests received that were invalid and discarded (ncr-invalid).", s("ncr-invalid")),
		counter(d, ScopeGlobal, "kea_d2_ncr_errors_total", "Errors receiving name change requests, other than the I/O cancel at shutdown (ncr-error).", s("ncr-error")),
		counter(d, ScopeGlobal, "kea_d2_queue_full_total", "Name change requests dropped because the D2 request queue was full (queue-mgr-queue-full; Kea creates it at the first occurrence).", s("queue-mgr-queue-full")),
		counter(d, ScopeGlobal, "kea_d2_updates_sent_total", "DNS update messages sent, signed or not (update-sent).", s("update-sent")),
		withExtra(counter(d, ScopeGlobal, "kea_d2_updates_sent_by_tsig_total", "DNS update messages sent, by whether they were TSIG-signed (update-signed, update-unsigned).",
			sl("update-signed", "tsig", "signed"),
			sl("update-unsigned", "tsig", "unsigned"),
		), "tsig"),
		withExtra(counter(d, ScopeGlobal, "kea_d2_updates_by_result_total", "DNS update messages by outcome (update-success, update-timeout, update-error).",
			sl("update-success", "result", "success"),
			sl("update-timeout", "result", "timeout"),
			sl("update-error", "result", "error"),
		), "result"),

		counter(d, ScopeKey, "kea_d2_key_updates_sent_total", "DNS update messages sent signed with the TSIG key (key[<name>].update-sent).", s("update-sent")),
		withExtra(counter(d, ScopeKey, "kea_d2_key_updates_by_result_total", "DNS update messages signed with the TSIG key, by outcome (key[<name>].update-success, key[<name>].update-timeout, key[<name>].update-error).",
			sl("update-success", "result", "success"),
			sl("update-timeout", "result", "timeout"),
			sl("update-error", "result", "error"),
		), "result"),
	}
}
