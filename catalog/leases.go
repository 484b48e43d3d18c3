package catalog

// Lease metrics: ddiscope walks the lease database with lease4-get-page /
// lease6-get-page (lease_cmds hook) on its own, slower interval and counts
// per subnet; it never keeps a lease, and no series has a per-client label.
//
// The two distributions (time to expiry, time since the client's last
// contact) describe the population at one moment: they go up and down, so
// they are gauges with cumulative buckets, not Prometheus histograms (whose
// buckets are counters of observations). The bucket label is "within", not
// "le", for the same reason; histogram_quantile works after
// label_replace(…, "le", "$1", "within", "(.*)") (docs/leases.md).

// LeaseStates are the label values of kea_dhcp*_subnet_leases{state}, by
// Kea's lease state number: 0 default, 1 declined, 2 expired-reclaimed, 3
// released (Kea 3.0+), 4 registered (DHCPv6 address registration, Kea
// 3.0+). The first three are always exported; the others when seen, and
// any other number as "other".
var LeaseStates = []string{"default", "declined", "expired_reclaimed", "released", "registered", "other"}

// LeaseExpiryBuckets are the upper bounds (seconds to expiry) of
// kea_dhcp*_subnet_leases_expiring; 0 holds leases already expired but not
// yet reclaimed. The last bucket, +Inf, is every lease in the default state.
var LeaseExpiryBuckets = []float64{0, 300, 900, 3600, 14400, 86400}

// LeaseAgeBuckets are the upper bounds (seconds since the client's last
// transaction, cltt) of kea_dhcp*_subnet_leases_renewed.
var LeaseAgeBuckets = []float64{300, 900, 3600, 14400, 86400, 604800}

// LeaseTypes are the DHCPv6 lease types, as label values.
var LeaseTypes = []string{"na", "ta", "pd"}

// Leases returns the lease metrics and ddiscope's metrics about its lease
// passes.
func Leases() []*Metric {
	const how = "counted in ddiscope's last complete pass over lease4-get-page"
	const how6 = "counted in ddiscope's last complete pass over lease6-get-page"
	const expiring = " The within label is an upper bound in seconds (cumulative buckets); within=\"0\" counts leases already expired and not yet reclaimed, within=\"+Inf\" every lease in the default state."
	const renewed = " The within label is an upper bound in seconds on the time since the client's last transaction (cltt), in cumulative buckets; within=\"+Inf\" is every lease in the default state."
	const pass = " From ddiscope's last complete lease pass."
	const poolPass = " One series per configured range (pd-pool prefix), labelled with its pool-id (0 when none is set, as always on Kea 2.2, which has no pool-id) and its range. Kea 2.4+ reports pools by pool-id instead, all ranges of one pool-id summed."
	return []*Metric{
		withExtra(derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_leases", "", "Leases in the subnet's lease database, by state (default: in use; declined; expired_reclaimed; released and registered when seen)."+pass, how), "state"),
		withExtra(derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_leases_expiring", "", "Leases in the default state whose valid lifetime ends within the given number of seconds."+expiring+pass, how+": cltt + valid-lft - time of the page"), "within"),
		withExtra(derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_leases_renewed", "", "Leases in the default state whose client last renewed or obtained them within the given number of seconds."+renewed+pass, how+": time of the page - cltt"), "within"),
		withExtra(derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_leases", "", "Leases in the subnet's lease database, by lease type (na, ta, pd) and state (default: in use; declined; expired_reclaimed; released and registered when seen)."+pass, how6), "type", "state"),
		withExtra(derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_leases_expiring", "", "Leases in the default state, by lease type, whose valid lifetime ends within the given number of seconds."+expiring+pass, how6+": cltt + valid-lft - time of the page"), "type", "within"),
		withExtra(derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_leases_renewed", "", "Leases in the default state, by lease type, whose client last renewed or obtained them within the given number of seconds."+renewed+pass, how6+": time of the page - cltt"), "type", "within"),

		// stat-lease4-get / stat-lease6-get (stat_cmds hook): Kea's own
		// count from the lease database, independent of its statistics.
		// Its assigned column counts leases in the default state only,
		// whereas Kea's assigned-addresses statistic also counts declined
		// leases: the drift metrics compare like with like.
		derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_lease_db_addresses_assigned", "", "Addresses leased (default state) in the subnet according to Kea's lease database (stat-lease4-get assigned-addresses, stat_cmds hook), read once per lease pass. Declined leases are not in it, whereas Kea's assigned-addresses statistic (kea_dhcp4_subnet_addresses_assigned) counts them: compare with kea_dhcp4_subnet_lease_db_addresses_drift.", "stat-lease4-get result-set column assigned-addresses"),
		derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_lease_db_addresses_declined", "", "Addresses declined in the subnet according to Kea's lease database (stat-lease4-get declined-addresses).", "stat-lease4-get result-set column declined-addresses"),
		derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_lease_db_addresses_drift", "", "Kea's assigned-addresses statistic of the subnet minus the leases its lease database holds as assigned or declined (stat-lease4-get assigned-addresses + declined-addresses), both read at the start of the last lease pass. Kea's statistic counts declined leases as assigned, so this is 0 on a healthy Kea, declines or not; a lasting non-zero value means Kea's statistics drifted from its lease database (after an HA sync, a statistic-reset, a restart on a changed lease file) and its utilisation is wrong by that many addresses.", "subnet[N].assigned-addresses - (stat-lease4-get assigned-addresses + declined-addresses), read in the same poll"),
		derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_lease_db_addresses_assigned", "", "IA_NA addresses leased (default state) in the subnet according to Kea's lease database (stat-lease6-get assigned-nas, stat_cmds hook), read once per lease pass. Declined leases are not in it, whereas Kea's assigned-nas statistic counts them: compare with kea_dhcp6_subnet_lease_db_addresses_drift.", "stat-lease6-get result-set column assigned-nas"),
		derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_lease_db_addresses_declined", "", "IA_NA addresses declined in the subnet according to Kea's lease database (stat-lease6-get declined-nas; declined-addresses from Kea 3.0).", "stat-lease6-get result-set column declined-nas (Kea 3.0: declined-addresses)"),
		derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_lease_db_addresses_drift", "", "Kea's assigned-nas statistic of the subnet minus the IA_NA leases its lease database holds as assigned or declined (stat-lease6-get assigned-nas + declined-nas), both read at the start of the last lease pass: 0 on a healthy Kea, declines or not; a lasting non-zero value means Kea's statistics drifted from its lease database.", "subnet[N].assigned-nas - (stat-lease6-get assigned-nas + declined-nas), read in the same poll"),
		derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_lease_db_prefixes_assigned", "", "IA_PD prefixes delegated in the subnet according to Kea's lease database (stat-lease6-get assigned-pds).", "stat-lease6-get result-set column assigned-pds"),
		derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_lease_db_prefixes_drift", "", "Kea's assigned-pds statistic of the subnet minus the IA_PD leases its lease database holds as assigned (stat-lease6-get assigned-pds), both read at the start of the last lease pass: 0 on a healthy Kea; a lasting non-zero value means Kea's statistics drifted from its lease database.", "subnet[N].assigned-pds - stat-lease6-get assigned-pds, read in the same poll"),

		// Per pool, from the lease pass: leases whose address (or delegated
		// prefix) lies in a configured range. Kea reports pool statistics
		// only from 2.4; the recorded pool utilisation takes Kea's where
		// they exist and these otherwise (rules/space.go).
		withExtra(derived("dhcp4", ScopePool, Gauge, "kea_dhcp4_pool_leases", "", "Leases whose address lies in the pool's range, by state (default: in use; declined; expired_reclaimed; released and registered when seen)."+poolPass+pass, how+": ip-address within the pool's first-last range"), "state"),
		derived("dhcp4", ScopePool, Gauge, "kea_dhcp4_pool_lease_utilization_ratio", "ratio", "Share of the pool's addresses leased, counted from the lease database: leases in the default or declined state over the addresses of the range (Kea's assigned-addresses counts declined leases too, so this matches kea_dhcp4_pool_utilization_ratio where Kea 2.4+ reports that)."+poolPass+pass, how+": (default + declined leases in the range) / addresses in the range; absent when the range is empty"),
		withExtra(derived("dhcp6", ScopePool, Gauge, "kea_dhcp6_pool_leases", "", "IA_NA leases whose address lies in the pool's range, by state (default: in use; declined; expired_reclaimed; released and registered when seen)."+poolPass+pass, how6+": IA_NA ip-address within the pool's range"), "state"),
		derived("dhcp6", ScopePool, Gauge, "kea_dhcp6_pool_lease_utilization_ratio", "ratio", "Share of the pool's IA_NA addresses leased, counted from the lease database: IA_NA leases in the default or declined state over the addresses of the range (as Kea 2.4+'s assigned-nas counts them)."+poolPass+pass, how6+": (default + declined IA_NA leases in the range) / addresses in the range; absent when the range is empty"),
		withExtra(derived("dhcp6", ScopePDPool, Gauge, "kea_dhcp6_pd_pool_leases", "", "IA_PD leases whose delegated prefix lies in the pd-pool's prefix, by state (default: in use; declined; expired_reclaimed; released when seen)."+poolPass+pass, how6+": IA_PD ip-address within the pd-pool's prefix/prefix-len"), "state"),
		derived("dhcp6", ScopePDPool, Gauge, "kea_dhcp6_pd_pool_lease_utilization_ratio", "ratio", "Share of the pd-pool's prefixes delegated, counted from the lease database: IA_PD leases in the default state over the prefixes of delegated-len the pool holds (as Kea 2.4+'s assigned-pds counts them)."+poolPass+pass, how6+": default-state IA_PD leases in the pd-pool / 2^(delegated-len - prefix-len); absent when the pool is empty"),

		// ddiscope's lease passes, per daemon.
		derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_lease_pass_duration_seconds", "seconds", "Wall time of the last complete lease pass, pauses between pages and polls included.", "end minus start of the last complete pass"),
		derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_lease_pass_timestamp_seconds", "seconds", "Unix time the last complete lease pass ended: the kea_dhcp*_subnet_leases* series describe the lease database then.", "end of the last complete pass"),
		derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_lease_pass_leases", "", "Leases read in the last complete lease pass.", "leases in the last complete pass"),
		derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_lease_pass_unknown_subnet_leases", "", "Leases in the last complete pass whose subnet-id the daemon's configuration does not have; they are in ddiscope_lease_pass_leases but in no subnet's series.", "leases of subnets missing from config-get"),
		derived("ddiscope", ScopeDaemon, Counter, "ddiscope_lease_pages_total", "", "Lease pages read (lease4-get-page or lease6-get-page), in complete passes or not.", "count of pages read"),
		withExtra(derived("ddiscope", ScopeDaemon, Counter, "ddiscope_lease_passes_total", "", "Lease passes, by result: complete, or abandoned (a page failed three times in a row, or Kea's paging did not move forward; the errors are in ddiscope_kea_command_errors_total).", "count of passes by result"), "result"),
	}
}
