// Package keaview reads what the config editor's pages show, live from Kea,
// as typed view models (no HTML). It is given named Kea targets, each an
// *keactl.Client (a Control Agent with dhcp4/dhcp6 behind it, a Kea 3.x
// daemon's own HTTP listener, or a daemon's UNIX socket), and answers:
//
//	v, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "kea1", Client: c}}, Logger: log})
//	ov := v.Overview(ctx)                                  // servers and HA pairs: state, partner, versions, daemons
//	srv, err := v.Server(ctx, "kea1")                      // one server
//	rels, err := v.HA(ctx, "kea1")                         // its HA relationships, status-get live
//	page, err := v.Subnets(ctx, "kea1", "dhcp4", keaview.SubnetQuery{Page: 1, PerPage: 50})
//	sub, err := v.Subnet(ctx, "kea1", "dhcp4", 12)         // pools, pd-pools, lifetimes, options, relay, classes, reservations
//	pool, err := v.Pool(ctx, "kea1", "dhcp6", 12, keaview.PD, 0)
//	sn, err := v.SharedNetwork(ctx, "kea1", "dhcp4", "campus")
//	q, err := keaview.ParseLeaseQuery("", "02:00:00:00:aa:01") // validates: IP, MAC, hex client-id/DUID, hostname
//	res := v.SearchLeases(ctx, q)                          // every server at once; failures beside the results
//	err = v.Warm(ctx)                                      // at start: read every config-get once
//	v.Invalidate("kea1", "dhcp4")                          // after the editor's own config-set
//
// Errors: an unknown server, daemon, subnet, pool or shared network wraps
// ErrNotFound (a 404 for the web layer); a Kea that cannot be reached comes
// back as *keactl.Error. A page whose statistics could not be read still has
// its configuration: the row's Usage says Known == false and the page's
// StatsErr says why.
//
// Alerts: keaview knows nothing of the inbox. Every subnet, pool and shared
// network row carries Labels (server, daemon, subnet_id, shared_network,
// pool_id), the label set an alert of that object carries, and
// SubnetQuery.Alerting is a predicate the web layer fills from its inbox for
// the "alerting only" filter (applied to the cached index, before any
// statistic is read).
//
// What it sends to Kea (docs/configui-kea.md has the costs):
//   - config-get once per daemon, cached and parsed into an index sorted by
//     subnet id; it is read again only when it changed: config-hash-get on Kea
//     2.4+ (a 64-character hash, checked at most once per HashCheckEvery); Kea
//     2.2 answers config-hash-get with result 2, so there the cheap check is
//     status-get's "reload" (seconds since the configuration was last loaded:
//     config-set and config-reload reset it), with ConfigTTL (default 10 min)
//     as a backstop for changes that do not reload.
//   - statistic-get, one statistic per call (Kea 2.2 has no batch form), only
//     for the subnets and pools on the requested page, at most
//     StatConcurrency calls in flight per target. Never statistic-get-all.
//   - version-get and status-get for the server pages, live.
//   - lease4-get, lease4-get-by-hw-address, lease4-get-by-client-id,
//     lease4-get-by-hostname, lease6-get, lease6-get-by-duid,
//     lease6-get-by-hostname (and lease6-get-by-hw-address where Kea has it)
//     for lease search, read-only.
//
// Numbers are exact: totals are big integers (IPv6 pools exceed 2^64). Kea
// 2.2 reports total-nas = -1 for a whole /64 pool; the total is then
// computed from the configured ranges and Usage.FromConfig says so. Pools
// are identified as Kea's statistics and ddiscope's pool_id label identify
// them: by "pool-id" (Kea 2.4+), 0 when unset, pools sharing an id being one
// pool with several ranges (Kea ARM, "Statistics in the DHCPv4 Server").
//
// keaview never imports collector/ or exporters/: the editor is its own binary.
package keaview
