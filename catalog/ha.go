package catalog

// High Availability (libdhcp_ha) metrics. They are read with status-get and
// ha-heartbeat, not statistic-get-all, so every entry is derived. Labels:
//   - the daemon scope's server (the target) and daemon (dhcp4, dhcp6);
//   - relationship: the this-server-name of the relationship's primary peer,
//     from the HA configuration. Both peers of a pair (and every spoke of a
//     hub-and-spoke hub) see the same value, so series of the two peers join
//     on it;
//   - partner: the HA server name of the peer a series is about;
//   - peer_server: the ddiscope target that is the other member of a pair.
// docs/ha.md describes them with examples.

// HAStates are the states of Kea's HA state machine (Kea ARM, "Server
// States"). kea_ha_state and kea_ha_heartbeat_state have one series per
// state; a state Kea adds later gets its own series beside them.
var HAStates = []string{
	"backup", "communication-recovery", "hot-standby", "in-maintenance", "load-balancing",
	"partner-down", "partner-in-maintenance", "passive-backup", "ready", "syncing",
	"terminated", "waiting",
}

// HAPartnerStates adds "unavailable", what a server reports as its
// partner's last state once the partner stopped answering.
var HAPartnerStates = append(append([]string(nil), HAStates...), "unavailable")

// DHCPDisabledReasons are the dhcp-state flags of status-get (Kea 2.4+), as
// label values of kea_daemon_dhcp_disabled.
var DHCPDisabledReasons = []string{"user", "db_connection", "local_command", "remote_command", "global"}

// SocketStatuses are the values of status-get's sockets.status.
var SocketStatuses = []string{"ready", "retrying", "failed"}

// HA returns the High Availability metrics, the daemon status read with
// status-get, the facts ddiscope derives across HA peers and fleet totals
// that count an HA pair once.
func HA() []*Metric {
	const k = "kea"
	rel := func(m *Metric, extra ...string) *Metric {
		return withExtra(m, append([]string{"relationship"}, extra...)...)
	}
	return []*Metric{
		// From the configuration (config-get) and status-get.
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_info", "", "Always 1: the HA relationship as configured (hooks-libraries parameters of libdhcp_ha) with this server's name, its partner's (empty in passive-backup, or on a backup server), the mode, this server's role and the relationship's peers as name=url pairs.", "1 per relationship in config-get"), "this_server", "partner", "mode", "role", "peers"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_state", "", "1 for the HA state this server is in for the relationship (status-get high-availability[].ha-servers.local.state), 0 for the other states Kea defines.", "one-hot of ha-servers.local.state"), "state"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_scope_served", "", "1 when this server serves the HA scope (status-get local.scopes), 0 for the relationship's other scopes (the active peers' names).", "one-hot of ha-servers.local.scopes"), "scope"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_age_seconds", "seconds", "Age of what this server knows of its partner: seconds since their last successful exchange (status-get remote.age). Growing while communication-interrupted stays false is the sign of a frozen HA listener.", "ha-servers.remote.age"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_in_touch", "", "1 when this server has communicated with its partner at least once since start (status-get remote.in-touch).", "ha-servers.remote.in-touch"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_communication_interrupted", "", "1 when this server has not reached its partner for longer than max-response-delay (status-get remote.communication-interrupted).", "ha-servers.remote.communication-interrupted"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_unacked_clients", "", "Clients considered unacked by the partner while communication is interrupted (status-get remote.unacked-clients).", "ha-servers.remote.unacked-clients"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_unacked_clients_left", "", "Further unacked clients before this server goes partner-down (status-get remote.unacked-clients-left).", "ha-servers.remote.unacked-clients-left"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_connecting_clients", "", "Distinct clients trying to get a lease from the partner while communication is interrupted (status-get remote.connecting-clients).", "ha-servers.remote.connecting-clients"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_analyzed_packets", "", "Packets directed to the partner that this server analysed since communication was interrupted; 0 again once it is restored (status-get remote.analyzed-packets).", "ha-servers.remote.analyzed-packets"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_clock_skew_seconds", "seconds", "This server's clock minus its partner's, as measured by Kea at their last heartbeat (status-get remote.clock-skew, Kea 2.4+). Kea warns above 30 s and terminates HA above 60 s.", "ha-servers.remote.clock-skew"), "partner"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_partner_state", "", "1 for the state this server last heard its partner in (status-get remote.last-state; unavailable once the partner stopped answering), 0 for the others; all 0 before the first contact.", "one-hot of ha-servers.remote.last-state"), "partner", "state"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_config_fingerprint", "", "A 48-bit fingerprint of the relationship's configuration on this server: part=subnets over the subnets it serves (id, prefix, pools and their client classes, pd-pools, shared network), part=ha over the HA parameters peers must share (mode, peers, timers). Equal on both peers of a healthy pair.", "FNV-1a of the canonical configuration part, truncated to 48 bits"), "part"),

		// From ha-heartbeat (write access on Kea 3.x).
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_heartbeat_state", "", "1 for the state ha-heartbeat reports for the relationship, 0 for the other states.", "one-hot of ha-heartbeat state"), "state"),
		rel(derived(k, ScopeDaemon, Counter, "kea_ha_unsent_updates_total", "", "Lease updates this server could not send to its partner since it started (ha-heartbeat unsent-update-count). Rising means the partner's lease database is falling behind.", "ha-heartbeat unsent-update-count")),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_heartbeat_clock_offset_seconds", "seconds", "This server's clock (ha-heartbeat date-time, whole seconds) minus ddiscope's at the reply's midpoint. Within ±1 s of the truth; differences between two servers polled by one ddiscope are what matters.", "ha-heartbeat date-time minus ddiscope's clock")),

		// Daemon status from status-get, HA or not.
		withExtra(derived(k, ScopeDaemon, Gauge, "kea_daemon_dhcp_disabled", "", "1 while DHCP service is disabled for the reason (status-get dhcp-state, Kea 2.4+): by the user (dhcp-disable), after a lost lease database connection, globally; for local_command and remote_command, the number of origins (such as HA relationships) holding it disabled.", "status-get dhcp-state"), "reason"),
		withExtra(derived(k, ScopeDaemon, Gauge, "kea_daemon_sockets_status", "", "1 for the state of the daemon's DHCP sockets (status-get sockets.status: ready, retrying, failed), 0 for the others.", "one-hot of status-get sockets.status"), "status"),
		derived(k, ScopeDaemon, Gauge, "kea_daemon_multi_threading_enabled", "", "1 when the daemon runs multi-threaded (status-get multi-threading-enabled). Kea 2.2's config-test can turn it off on a running HA server and freeze its HA listener.", "status-get multi-threading-enabled"),
		derived(k, ScopeDaemon, Gauge, "kea_daemon_uptime_seconds", "seconds", "Seconds since the daemon started (status-get uptime).", "status-get uptime"),
		derived(k, ScopeDaemon, Gauge, "kea_daemon_reload_seconds", "seconds", "Seconds since the daemon last (re)loaded its configuration (status-get reload). A config-set restarts the HA service.", "status-get reload"),

		// Across the peers of a relationship, computed at render time from
		// the targets' snapshots (collector/kea.HAPairs). One series per
		// member target and peer target.
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_pair_state_mismatch", "", "1 when this server and its peer are in different HA states (in load-balancing and hot-standby both peers share the normal state).", "kea_ha_state of the two targets differ"), "peer_server"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_pair_split_brain", "", "1 when this server and its peer both serve an HA scope, for example both in partner-down: two servers may hand out the same address. It can show for one poll interval during a fail-back; alert on it lasting.", "the two targets' kea_ha_scope_served overlap"), "peer_server"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_pair_partner_view_stale", "", "1 when the state this server last heard from its peer (remote.last-state) is not the state the peer reports itself: this server's view is frozen or lagging.", "kea_ha_partner_state of one target differs from kea_ha_state of the other"), "peer_server"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_pair_config_drift", "", "1 when the relationship's configuration differs between this server and its peer: part=subnets (subnet sets, pools) or part=ha (HA parameters).", "kea_ha_config_fingerprint of the two targets differ"), "peer_server", "part"),
		rel(derived(k, ScopeDaemon, Gauge, "kea_ha_pair_clock_skew_seconds", "seconds", "This server's clock minus its peer's, from their ha-heartbeat replies to ddiscope (resolution about 1 s), or from Kea's own clock-skew when heartbeats are not available.", "difference of kea_ha_heartbeat_clock_offset_seconds, else kea_ha_partner_clock_skew_seconds"), "peer_server"),

		// HA-aware fleet totals: every target's subnets, each HA
		// relationship's subnets counted once.
		derived("dhcp4", ScopeProcess, Gauge, "kea_dhcp4_fleet_addresses", "", "Addresses in the pools of every polled DHCPv4 subnet, each subnet served by an HA relationship counted once.", "sum of total-addresses over subnets, one member per HA relationship"),
		derived("dhcp4", ScopeProcess, Gauge, "kea_dhcp4_fleet_addresses_assigned", "", "Addresses leased in every polled DHCPv4 subnet, each subnet served by an HA relationship counted once: per subnet, from whichever peer reports more leases in it.", "sum of assigned-addresses over subnets; per subnet of an HA relationship, the member reporting more leases in that subnet"),
		withExtra(derived("dhcp4", ScopeProcess, Gauge, "kea_dhcp4_fleet_shared_network_addresses", "", "Addresses in the pools of the shared network's subnets across the fleet, an HA pair counted once.", "sum over the fleet of total-addresses of subnets in the shared network"), "shared_network"),
		withExtra(derived("dhcp4", ScopeProcess, Gauge, "kea_dhcp4_fleet_shared_network_addresses_assigned", "", "Addresses leased in the shared network's subnets across the fleet, an HA pair counted once.", "sum over the fleet of assigned-addresses of subnets in the shared network"), "shared_network"),
		withExtra(derived("dhcp4", ScopeProcess, Gauge, "kea_dhcp4_fleet_shared_network_utilization_ratio", "ratio", "Share of the shared network's pool addresses leased across the fleet, an HA pair counted once.", "fleet assigned / fleet total for the shared network; absent when the total is 0"), "shared_network"),
		derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_addresses", "", "IA_NA addresses in the pools of every polled DHCPv6 subnet, each subnet served by an HA relationship counted once.", "sum of total-nas over subnets, one member per HA relationship"),
		derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_addresses_assigned", "", "IA_NA addresses leased in every polled DHCPv6 subnet, each subnet served by an HA relationship counted once.", "sum of assigned-nas over subnets, one member per HA relationship"),
		derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_prefixes", "", "IA_PD prefixes in every polled DHCPv6 subnet, each subnet served by an HA relationship counted once.", "sum of total-pds over subnets, one member per HA relationship"),
		derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_prefixes_assigned", "", "IA_PD prefixes delegated in every polled DHCPv6 subnet, each subnet served by an HA relationship counted once.", "sum of assigned-pds over subnets, one member per HA relationship"),
		withExtra(derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_shared_network_addresses", "", "IA_NA addresses in the shared network's subnets across the fleet, an HA pair counted once.", "sum over the fleet of total-nas of subnets in the shared network"), "shared_network"),
		withExtra(derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_shared_network_addresses_assigned", "", "IA_NA addresses leased in the shared network's subnets across the fleet, an HA pair counted once.", "sum over the fleet of assigned-nas of subnets in the shared network"), "shared_network"),
		withExtra(derived("dhcp6", ScopeProcess, Gauge, "kea_dhcp6_fleet_shared_network_address_utilization_ratio", "ratio", "Share of the shared network's IA_NA pool addresses leased across the fleet, an HA pair counted once.", "fleet assigned / fleet total for the shared network; absent when the total is 0"), "shared_network"),
		// A hub serving several relationships says which subnet belongs to
		// which (user-context ha-server-name); fleet totals need it.
		withExtra(derived("dhcp4", ScopeSubnet, Gauge, "kea_dhcp4_subnet_ha_relationship", "", "Always 1: the HA relationship the subnet belongs to on a server with several relationships (hub-and-spoke), from the subnet's user-context ha-server-name.", "user-context ha-server-name of the subnet"), "relationship"),
		withExtra(derived("dhcp6", ScopeSubnet, Gauge, "kea_dhcp6_subnet_ha_relationship", "", "Always 1: the HA relationship the subnet belongs to on a server with several relationships (hub-and-spoke), from the subnet's user-context ha-server-name.", "user-context ha-server-name of the subnet"), "relationship"),

		// ddiscope's own view of the HA data.
		rel(derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_kea_ha_partner_monitored", "", "1 when the partner named in this server's HA configuration is another target ddiscope polls successfully, 0 when it is unknown to ddiscope or down: the facts across the pair (kea_ha_pair_*) need both.", "partner found among the up targets"), "partner"),
		derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_kea_ha_relationships_invalid", "", "Relationships in the last status-get that lacked fields ddiscope needs (ha-servers, local state) or could not be matched to the configuration; they are skipped, the others exported.", "count of unreadable high-availability entries"),
		withExtra(derived("ddiscope", ScopeDaemon, Counter, "ddiscope_kea_command_errors_total", "", "Failures of the commands ddiscope sends beside statistic-get-all (status-get, ha-heartbeat, lease4-get-page, lease6-get-page, stat-lease4-get, stat-lease6-get), by reason; the poll itself goes on.", "count of failed secondary commands"), "command", "reason"),
		withExtra(derived("ddiscope", ScopeDaemon, Gauge, "ddiscope_kea_command_unavailable", "", "1 while Kea refuses a command ddiscope wants (reason unauthorized or forbidden: grant it, see docs/ha.md) or does not support it (unsupported: hook not loaded); ddiscope then asks again only every 10 minutes and exports what it can without it.", "refused or unsupported secondary command"), "command", "reason"),
	}
}
