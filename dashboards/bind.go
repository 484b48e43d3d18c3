package dashboards

// notListed is why many BIND panels may rightly be empty: named lists a
// counter only once it is non-zero.
const notListed = "BIND lists a counter only once it is non-zero"

// bind is the BIND 9 dashboard: is named up, what it is asked and answers,
// how its resolver and cache do, and whether its zones are current.
func (g *gen) bind(r refs) board {
	t := g.t
	view := []string{onServer, onView}
	zone := []string{onServer, onView, onZone}
	pct := f(0)
	return board{
		ref:         r.bind,
		description: "BIND 9 on the selected servers: whether named is up, the queries it gets and the answers it gives, its resolver and cache, and whether its zones are loaded, current and in step with their primaries.",
		vars:        []variable{g.serverVar("bind"), g.viewVar(), g.zoneVar()},
		rows: []row{
			{title: "Is named up?", panels: []panel{
				{
					title: "Up", help: "Does named's statistics channel answer ddiscope? When it does not, the server's series are absent and the ddiscope dashboard says why.",
					viz: statViz, width: 6,
					queries: []query{{expr: g.sel("ddiscope_target_up", onServer, `kind="bind"`), legend: "{{server}}", instant: true}},
					steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
				},
				{
					title: "Version", help: "BIND's version on each server.",
					viz: tableViz, width: 6,
					queries: []query{{expr: g.sel("bind_build_info", onServer)}},
				},
				{
					title: "Uptime and configuration age", help: "Since when named runs, and since when its configuration is loaded: trouble right after a reload points at the change.",
					unit: "s", width: 6,
					queries: []query{
						{expr: "time() - " + g.sel("bind_boot_time_seconds", onServer), legend: "{{server}} up"},
						{expr: "time() - " + g.sel("bind_config_time_seconds", onServer), legend: "{{server}} since configuration"},
					},
				},
				{
					title: "Memory in use", help: "Memory named uses now.",
					unit: "bytes", width: 6,
					queries: []query{{expr: g.sel("bind_memory_in_use_bytes", onServer), legend: "{{server}}"}},
				},
			}},
			{title: "Queries and answers", panels: []panel{
				{
					title: "Queries by type", help: "Queries received a second, by query type.",
					unit: "reqps", stack: true, width: 8,
					queries: []query{{expr: "sum by (server, type) (" + g.rate("bind_incoming_queries_total", onServer) + ")", legend: "{{server}} {{type}}"}},
				},
				{
					title: "Responses by RCODE", help: "Responses sent a second, by RCODE: NXDOMAIN for names that do not exist, REFUSED for clients or zones not served, SERVFAIL for failures.",
					unit: "reqps", stack: true, width: 8,
					queries: []query{{expr: "sum by (server, rcode) (" + g.rate("bind_response_rcodes_total", onServer) + ")", legend: "{{server}} {{rcode}}"}},
				},
				{
					title: "SERVFAIL ratio", help: "Share of queries answered SERVFAIL: a broken resolver path or zone. Orange is the BindServfailRatioHigh threshold (which also waits for " + fmtFloat(t.BINDMinQueriesPerMinute) + " queries a minute).",
					unit: "percentunit", min: pct, width: 8,
					queries: []query{{expr: g.servfailRatio(), legend: "{{server}}"}},
					steps:   above(t.BINDServfailRatio, orange),
				},
				{
					title: "Query results", help: "Queries by result a second: success, referral, NXRRSET, NXDOMAIN, SERVFAIL, FORMERR.",
					unit: "reqps", width: 8,
					queries: []query{{expr: "sum by (server, result) (" + g.rate("bind_responses_total", onServer) + ")", legend: "{{server}} {{result}}"}},
				},
				{
					title: "Rejected, dropped and rate-limited", help: "Queries refused by allow-query or allow-recursion, dropped or failed, dropped at the recursive-clients limit (BindRecursiveClientsDropped), and responses dropped or truncated by rate limiting, a second.",
					unit: "reqps", width: 8,
					queries: []query{
						{expr: g.rate("bind_queries_rejected_total", onServer), legend: "{{server}} rejected {{kind}}"},
						{expr: g.rate("bind_recursive_client_limit_drops_total", onServer), legend: "{{server}} dropped at recursive-clients"},
						{expr: g.rate("bind_query_errors_total", onServer), legend: "{{server}} {{error}}"},
						{expr: g.rate("bind_rate_limited_responses_total", onServer), legend: "{{server}} rate-limited {{action}}"},
					},
					empty: notListed,
				},
				{
					title: "Recursive clients", help: "Clients waiting for recursion now; orange is " + pctText(t.BINDRecursiveClientsRatio) + " of recursive-clients (" + fmtFloat(t.BINDRecursiveClientsLimit) + "), the BindRecursiveClientsNearLimit threshold. At the limit named drops queries.",
					width:   8,
					queries: []query{{expr: g.sel("bind_recursive_clients", onServer), legend: "{{server}}"}},
					steps:   above(t.BINDRecursiveClientsLimit*t.BINDRecursiveClientsRatio, orange),
					empty:   "named lists it only while it resolves for clients",
				},
			}},
			{title: "Resolver", panels: []panel{
				{
					title: "Resolver queries and responses", help: "Queries the resolver sends to other servers and the responses it gets, a second.",
					unit: "reqps", width: 8,
					queries: []query{
						{expr: "sum by (server, view) (" + g.rate("bind_resolver_queries_sent_total", view...) + ")", legend: "{{server}} {{view}} sent"},
						{expr: "sum by (server, view) (" + g.rate("bind_resolver_responses_received_total", view...) + ")", legend: "{{server}} {{view}} received"},
					},
					empty: notListed,
				},
				{
					title: "Resolver errors", help: "Error responses the resolver receives, by RCODE, and its queries that time out or fail, a second.",
					unit: "reqps", width: 8,
					queries: []query{
						{expr: g.rate("bind_resolver_response_errors_total", view...), legend: "{{server}} {{view}} {{error}}"},
						{expr: g.rate("bind_resolver_query_errors_total", view...), legend: "{{server}} {{view}} {{error}}"},
					},
					empty: notListed,
				},
				{
					title: "Round-trip times", help: "Responses the resolver received a second, by round-trip time class as BIND counts them.",
					unit: "reqps", stack: true, width: 8,
					queries: []query{{expr: g.rate("bind_resolver_queries_by_rtt_total", view...), legend: "{{server}} {{view}} {{rtt}}"}},
					empty:   notListed,
				},
				{
					title: "DNSSEC validation", help: "Validations attempted, succeeded and failed a second: failures with a working resolver mean broken signatures or a broken trust anchor.",
					unit: "ops", width: 12,
					queries: []query{
						{expr: g.rate("bind_resolver_dnssec_validation_attempts_total", view...), legend: "{{server}} {{view}} attempted"},
						{expr: g.rate("bind_resolver_dnssec_validation_success_total", view...), legend: "{{server}} {{view}} {{result}}"},
						{expr: g.rate("bind_resolver_dnssec_validation_errors_total", view...), legend: "{{server}} {{view}} failed"},
					},
					empty: notListed,
				},
				{
					title: "Cache hit ratio", help: "Share of client queries answered from the cache.",
					unit: "percentunit", min: pct, width: 12,
					queries: []query{{
						expr: g.rate("bind_resolver_cache_query_hits_total", view...) + "\n/\n(" +
							g.rate("bind_resolver_cache_query_hits_total", view...) + " + " + g.rate("bind_resolver_cache_query_misses_total", view...) + ")",
						legend: "{{server}} {{view}}",
					}},
					empty: notListed,
				},
				{
					title: "Cache size", help: "RRsets in each view's cache and the memory it takes.",
					width: 12,
					queries: []query{
						{expr: "sum by (server, view) (" + g.sel("bind_resolver_cache_rrsets", view...) + ")", legend: "{{server}} {{view}} RRsets"},
						{expr: g.sel("bind_resolver_cache_nodes", view...), legend: "{{server}} {{view}} nodes"},
					},
				},
				{
					title: "Cache memory", help: "Memory each view's cache uses now.",
					unit: "bytes", width: 12,
					queries: []query{
						{expr: g.sel("bind_resolver_cache_tree_memory_in_use_bytes", view...), legend: "{{server}} {{view}} tree"},
						{expr: g.sel("bind_resolver_cache_heap_memory_in_use_bytes", view...), legend: "{{server}} {{view}} heap"},
					},
				},
			}},
			{title: "Zones", panels: []panel{
				{
					title: "Zone serials", help: "The SOA serial of every zone as loaded.",
					viz: tableViz, width: 8, height: 10,
					queries: []query{{expr: g.sel("bind_zone_serial", zone...)}},
				},
				{
					title: "Serial behind the primary", help: "How far each secondary's serial is behind its primary's (negative: ahead): it should return to 0 soon after every change. BindZoneSerialDrift fires when it stays off 0 for " + t.BINDSerialDriftTime.String() + ". Needs the primary and the secondary polled with zones.",
					width: 8, height: 10,
					queries: []query{{expr: g.sel("bind_zone_serial_behind", zone...), legend: "{{server}} {{view}} {{zone_name}} (primary {{primary}})"}},
					steps:   within(0, orange),
				},
				{
					title: "Time until a secondary zone expires", help: "Time until each secondary zone expires unless refreshed from its primary: at expiry named answers SERVFAIL for it. Orange is the BindZoneExpiringSoon threshold (" + t.BINDZoneExpiry.String() + ").",
					viz: tableViz, unit: "s", width: 8, height: 10, ascending: true,
					queries: []query{{expr: g.sel("bind_zone_expire_timestamp_seconds", zone...) + " - time()"}},
					steps:   below(seconds(t.BINDZoneExpiry), orange),
				},
				{
					title: "Zone transfers", help: "Incoming zone transfers that succeeded and failed (BindZoneTransferFailures fires on any failure in 30 minutes), and NOTIFYs sent and received, a minute.",
					width: 12,
					queries: []query{
						{expr: g.perMinute("bind_zone_transfer_success_total", onServer), legend: "{{server}} transfers in"},
						{expr: g.perMinute("bind_zone_transfer_failure_total", onServer), legend: "{{server}} transfers failed"},
						{expr: "sum by (server) (" + g.perMinute("bind_notifies_sent_total", onServer) + ")", legend: "{{server}} NOTIFY sent"},
						{expr: "sum by (server) (" + g.perMinute("bind_notifies_received_total", onServer) + ")", legend: "{{server}} NOTIFY received"},
					},
					empty: notListed,
				},
				{
					title: "Queries per zone", help: "Queries received for each zone a second (zone-statistics full).",
					unit: "reqps", width: 12,
					queries: []query{{expr: "sum by (server, view, zone_name) (" + g.rate("bind_zone_incoming_queries_total", zone...) + ")", legend: "{{server}} {{view}} {{zone_name}}"}},
				},
			}},
		},
	}
}
