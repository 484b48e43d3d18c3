package catalog

// BIND 9 conventions (on top of those in kea.go):
//   - Every BIND metric is ScopeGlobal (the server label is the target's
//     name); views, zones and kinds are extra labels.
//   - Source.Stat is where BIND reports the value, as the JSON v1 path with
//     the view and zone left out: "nsstats.QrySuccess" is
//     {"nsstats":{"QrySuccess":N}}, "resolver.stats.Queryv4" is
//     views.<view>.resolver.stats.Queryv4 and "zones.rcodes.QrySuccess" is
//     views.<view>.zones[i].rcodes.QrySuccess. docs/bind.md maps each to XML v3.
//   - A label value of "*" (Wildcard) is taken from the data: "view" is the
//     view's name, "zone_name" the zone's, and any other label the counter's
//     own name. A Stat ending in ".*" matches every counter of its section
//     that no exact Stat names (query types, opcodes, rcodes, size ranges).
//   - Names bind_exporter exports are kept where they are right; its counters
//     that are gauges (bind_zone_serial, bind_recursive_clients) are gauges here.

// Wildcard, as a Source label value, means the value comes from BIND's data.
const Wildcard = "*"

// bindLabels is a label map for BIND sources: pairs of name, value.
func bindLabels(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

func bindSrc(stat string, pairs ...string) Source {
	return Source{Stat: stat, Labels: bindLabels(pairs...)}
}

func bindMetric(typ Type, name, unit, help string, extra []string, srcs ...Source) *Metric {
	return &Metric{Name: name, Type: typ, Unit: unit, Help: help, Daemon: "bind", Scope: ScopeGlobal, Extra: extra, Source: srcs}
}

// bindMember is one counter of a labelled family: BIND's name and the label value.
type bindMember struct{ stat, value string }

// bindFamily builds a metric fed by several counters of one section, told apart
// by one label. prefix is the section ("nsstats."), fixed are labels that
// come before the family's own (view, zone_name: always Wildcard).
func bindFamily(typ Type, name, unit, help, prefix string, fixed []string, label string, members ...bindMember) *Metric {
	extra := append(append([]string(nil), fixed...), label)
	srcs := make([]Source, len(members))
	for i, m := range members {
		var pairs []string
		for _, f := range fixed {
			pairs = append(pairs, f, Wildcard)
		}
		srcs[i] = bindSrc(prefix+m.stat, append(pairs, label, m.value)...)
	}
	return bindMetric(typ, name, unit, help, extra, srcs...)
}

// bindSingle builds a metric fed by one counter.
func bindSingle(typ Type, name, unit, help, stat string, fixed []string) *Metric {
	var pairs []string
	for _, f := range fixed {
		pairs = append(pairs, f, Wildcard)
	}
	return bindMetric(typ, name, unit, help, append([]string(nil), fixed...), bindSrc(stat, pairs...))
}

// bindWildcard builds a metric with one series per counter name of a section.
func bindWildcard(typ Type, name, help, section string, fixed []string, label string) *Metric {
	var pairs []string
	for _, f := range fixed {
		pairs = append(pairs, f, Wildcard)
	}
	extra := append(append([]string(nil), fixed...), label)
	return bindMetric(typ, name, "", help, extra, bindSrc(section+".*", append(pairs, label, Wildcard)...))
}

// The labels that come before a family's own: none for server-wide
// statistics, the view for resolver and cache ones, view and zone for zones.
// Functions, not variables: callers may append to them.
func bindServerWide() []string { return nil }
func bindPerView() []string    { return []string{"view"} }
func bindPerZone() []string    { return []string{"view", "zone_name"} }

// Bind returns the catalog entries for BIND 9's statistics channel (JSON v1
// and XML v3, BIND 9.18 and 9.20).
func Bind() []*Metric {
	var ms []*Metric
	ms = append(ms, bindServer()...)
	ms = append(ms, bindNSStats()...)
	ms = append(ms, bindZoneMaintenance()...)
	ms = append(ms, bindSockets()...)
	ms = append(ms, bindTraffic()...)
	ms = append(ms, bindResolver()...)
	ms = append(ms, bindCache()...)
	ms = append(ms, bindMemoryAndTasks()...)
	ms = append(ms, bindZones()...)
	return ms
}

func bindServer() []*Metric {
	return []*Metric{
		derived("bind", ScopeGlobal, Gauge, "bind_up", "", "1 in every successful poll of the BIND statistics channel. While the channel cannot be read the target's series are absent and ddiscope_target_up{kind=\"bind\"} is 0 with the reason.", "1 when the statistics channel answered"),
		withExtra(derived("bind", ScopeGlobal, Gauge, "bind_build_info", "", "Always 1; the version label is BIND's version string (version).", "1, labelled with the version BIND reports"), "version"),
		bindMetric(Gauge, "bind_boot_time_seconds", "seconds", "Unix time named started (boot-time).", nil, bindSrc("boot-time")),
		bindMetric(Gauge, "bind_config_time_seconds", "seconds", "Unix time named last loaded its configuration (config-time).", nil, bindSrc("config-time")),
		bindWildcard(Counter, "bind_incoming_requests_total", "Requests received, by DNS opcode (opcodes.<OPCODE>).", "opcodes", bindServerWide(), "opcode"),
		bindWildcard(Counter, "bind_incoming_queries_total", "Queries received, by query type (qtypes.<TYPE>; \"Others\" for types BIND does not count one by one).", "qtypes", bindServerWide(), "type"),
		bindWildcard(Counter, "bind_response_rcodes_total", "Responses sent, by RCODE (rcodes.<RCODE>).", "rcodes", bindServerWide(), "rcode"),
	}
}

// bindNSGroup is a family of name server statistics (nsstats): BIND keeps the
// same counters per zone (zones.rcodes, with zone-statistics full), which
// become the zone family when zone is set.
type bindNSGroup struct {
	typ          Type
	server, zone string // metric names; zone "" when BIND has no per-zone value
	help         string // without the statistic names, added from members
	label        string // "" for a bindSingle counter
	members      []bindMember
}

func bindNSGroups() []bindNSGroup {
	m := func(stat, value string) bindMember { return bindMember{stat, value} }
	return []bindNSGroup{
		{Counter, "bind_requests_total", "bind_zone_requests_total", "Requests received, by IP version", "family", []bindMember{m("Requestv4", "ipv4"), m("Requestv6", "ipv6")}},
		{Counter, "bind_requests_tcp_total", "bind_zone_requests_tcp_total", "Requests received over TCP", "", []bindMember{m("ReqTCP", "")}},
		{Counter, "bind_request_features_total", "bind_zone_request_features_total", "Requests received with EDNS(0), an unsupported EDNS version, TSIG, SIG(0) or an invalid signature", "feature", []bindMember{m("ReqEdns0", "edns0"), m("ReqBadEDNSVer", "bad_edns_version"), m("ReqTSIG", "tsig"), m("ReqSIG0", "sig0"), m("ReqBadSIG", "bad_signature")}},
		{Gauge, "bind_tcp_connections_high_water", "", "Most TCP connections open at once since start", "", []bindMember{m("TCPConnHighWater", "")}},
		{Counter, "bind_queries_rejected_total", "bind_zone_queries_rejected_total", "Queries refused by allow-query (authoritative) or allow-recursion (recursive)", "kind", []bindMember{m("AuthQryRej", "authoritative"), m("RecQryRej", "recursive")}},
		{Counter, "bind_responses_sent_total", "bind_zone_responses_sent_total", "Responses sent", "", []bindMember{m("Response", "")}},
		{Counter, "bind_responses_truncated_total", "bind_zone_responses_truncated_total", "Responses sent truncated (TC bit)", "", []bindMember{m("TruncatedResp", "")}},
		{Counter, "bind_response_features_total", "bind_zone_response_features_total", "Responses sent with EDNS(0), TSIG or SIG(0)", "feature", []bindMember{m("RespEDNS0", "edns0"), m("RespTSIG", "tsig"), m("RespSIG0", "sig0")}},
		{Counter, "bind_responses_total", "bind_zone_responses_total", "Queries by result: successful answer, referral, no such RRset, SERVFAIL, FORMERR, NXDOMAIN (bind_exporter's label values)", "result", []bindMember{m("QrySuccess", "Success"), m("QryReferral", "Referral"), m("QryNxrrset", "Nxrrset"), m("QrySERVFAIL", "SERVFAIL"), m("QryFORMERR", "FORMERR"), m("QryNXDOMAIN", "NXDOMAIN")}},
		{Counter, "bind_query_answers_total", "bind_zone_query_answers_total", "Queries answered authoritatively or not", "kind", []bindMember{m("QryAuthAns", "authoritative"), m("QryNoauthAns", "non_authoritative")}},
		{Counter, "bind_query_recursions_total", "bind_zone_query_recursions_total", "Queries that caused recursion", "", []bindMember{m("QryRecursion", "")}},
		{Counter, "bind_query_duplicates_total", "bind_zone_query_duplicates_total", "Duplicate queries received", "", []bindMember{m("QryDuplicate", "")}},
		{Counter, "bind_query_errors_total", "bind_zone_query_errors_total", "Queries dropped or failed for other reasons (bind_exporter's label values)", "error", []bindMember{m("QryDropped", "Dropped"), m("QryFailure", "Failure")}},
		{Counter, "bind_recursive_client_limit_drops_total", "bind_zone_recursive_client_limit_drops_total", "Queries dropped because the recursive-clients limit was reached", "", []bindMember{m("RecLimitDropped", "")}},
		{Counter, "bind_zone_transfers_served_total", "", "Zone transfers this server completed for others (outgoing AXFR/IXFR)", "", []bindMember{m("XfrReqDone", "")}},
		{Counter, "bind_zone_transfer_rejected_total", "", "Zone transfer requests rejected", "", []bindMember{m("XfrRej", "")}},
		{Counter, "bind_dynamic_updates_total", "bind_zone_dynamic_updates_total", "Dynamic updates by outcome", "result", []bindMember{m("UpdateDone", "done"), m("UpdateFail", "failed"), m("UpdateBadPrereq", "bad_prerequisite"), m("UpdateRej", "rejected"), m("UpdateQuota", "quota_exceeded")}},
		{Counter, "bind_dynamic_updates_forwarded_total", "bind_zone_dynamic_updates_forwarded_total", "Dynamic updates forwarded to the primary: requests and responses forwarded, forwards failed", "result", []bindMember{m("UpdateReqFwd", "request_forwarded"), m("UpdateRespFwd", "response_forwarded"), m("UpdateFwdFail", "failed")}},
		{Gauge, "bind_recursive_clients", "", "Clients waiting for recursion now", "", []bindMember{m("RecursClients", "")}},
		{Gauge, "bind_recursive_clients_high_water", "", "Most clients waiting for recursion at once since start (BIND 9.20 and later)", "", []bindMember{m("RecursHighwater", "")}},
		{Counter, "bind_dns64_answers_total", "bind_zone_dns64_answers_total", "Queries answered by DNS64 synthesis", "", []bindMember{m("DNS64", "")}},
		{Counter, "bind_rate_limited_responses_total", "bind_zone_rate_limited_responses_total", "Responses dropped or truncated (slipped) by response rate limiting", "action", []bindMember{m("RateDropped", "dropped"), m("RateSlipped", "slipped")}},
		{Counter, "bind_rpz_rewrites_total", "bind_zone_rpz_rewrites_total", "Responses rewritten by a response policy zone", "", []bindMember{m("RPZRewrites", "")}},
		{Counter, "bind_queries_by_transport_total", "bind_zone_queries_by_transport_total", "Queries received over UDP and TCP", "transport", []bindMember{m("QryUDP", "udp"), m("QryTCP", "tcp")}},
		{Counter, "bind_edns_options_received_total", "bind_zone_edns_options_received_total", "EDNS options received, by option", "option", []bindMember{m("NSIDOpt", "nsid"), m("ExpireOpt", "expire"), m("KeepAliveOpt", "keepalive"), m("PadOpt", "padding"), m("ECSOpt", "ecs"), m("KeyTagOpt", "keytag"), m("CookieIn", "cookie"), m("OtherOpt", "other")}},
		{Counter, "bind_cookies_total", "bind_zone_cookies_total", "DNS COOKIE handling: client cookie only, bad size, bad time, no match, match, BADCOOKIE sent", "result", []bindMember{m("CookieNew", "client_only"), m("CookieBadSize", "bad_size"), m("CookieBadTime", "bad_time"), m("CookieNoMatch", "no_match"), m("CookieMatch", "match"), m("QryBADCOOKIE", "badcookie_sent")}},
		{Counter, "bind_nxdomain_redirects_total", "bind_zone_nxdomain_redirects_total", "NXDOMAIN answers redirected, and those whose redirect lookup succeeded", "result", []bindMember{m("QryNXRedir", "redirected"), m("QryNXRedirRLookup", "remote_lookup")}},
		{Counter, "bind_synthesized_responses_total", "bind_zone_synthesized_responses_total", "Responses synthesized from the cache (RFC 8198): NXDOMAIN, no data, wildcard", "kind", []bindMember{m("SynthNXDOMAIN", "nxdomain"), m("SynthNODATA", "nodata"), m("SynthWILDCARD", "wildcard")}},
		{Counter, "bind_stale_answers_total", "bind_zone_stale_answers_total", "Attempts to answer from stale cache data after a failed lookup, and successes", "result", []bindMember{m("QryTryStale", "tried"), m("QryUsedStale", "used")}},
		{Counter, "bind_prefetches_total", "bind_zone_prefetches_total", "Queries that triggered a prefetch", "", []bindMember{m("Prefetch", "")}},
	}
}

// bindStatList names a family's statistics for its help text.
func bindStatList(prefix string, members []bindMember) string {
	s := ""
	for i, m := range members {
		if i > 0 {
			s += ", "
		}
		s += prefix + m.stat
	}
	return s
}

func bindNSStats() []*Metric {
	var ms []*Metric
	for _, g := range bindNSGroups() {
		ms = append(ms, bindNSMetric(g.typ, g.server, g.help, "nsstats.", bindServerWide(), g.label, g.members))
	}
	// Per zone (zone-statistics full): the same counters, zones.rcodes.<name>.
	// BIND names this section "rcodes" in JSON and <counters type="rcode">
	// in XML, though it holds the name server statistics.
	for _, g := range bindNSGroups() {
		if g.zone == "" {
			continue
		}
		ms = append(ms, bindNSMetric(g.typ, g.zone, g.help+" in the zone", "zones.rcodes.", bindPerZone(), g.label, g.members))
	}
	ms = append(ms, bindFamily(Counter, "bind_zone_outgoing_transfers_total", "", "Zone transfers of the zone served to others (done) and refused (rejected) (zones.rcodes.XfrReqDone, zones.rcodes.XfrRej).", "zones.rcodes.", bindPerZone(), "result",
		bindMember{"XfrReqDone", "done"}, bindMember{"XfrRej", "rejected"}))
	return ms
}

func bindNSMetric(typ Type, name, help, prefix string, fixed []string, label string, members []bindMember) *Metric {
	help += " (" + bindStatList(prefix, members) + ")."
	if label == "" {
		return bindSingle(typ, name, "", help, prefix+members[0].stat, fixed)
	}
	return bindFamily(typ, name, "", help, prefix, fixed, label, members...)
}

func bindZoneMaintenance() []*Metric {
	z := "zonestats."
	return []*Metric{
		bindSingle(Counter, "bind_zone_transfer_success_total", "", "Incoming zone transfers that succeeded (zonestats.XfrSuccess).", z+"XfrSuccess", bindServerWide()),
		bindSingle(Counter, "bind_zone_transfer_failure_total", "", "Incoming zone transfers that failed (zonestats.XfrFail).", z+"XfrFail", bindServerWide()),
		bindMetric(Counter, "bind_zone_transfer_requests_total", "", "Incoming zone transfers requested, by type and IP version (zonestats.AXFRReqv4, AXFRReqv6, IXFRReqv4, IXFRReqv6).", []string{"type", "family"},
			bindSrc(z+"AXFRReqv4", "type", "axfr", "family", "ipv4"), bindSrc(z+"AXFRReqv6", "type", "axfr", "family", "ipv6"),
			bindSrc(z+"IXFRReqv4", "type", "ixfr", "family", "ipv4"), bindSrc(z+"IXFRReqv6", "type", "ixfr", "family", "ipv6")),
		bindFamily(Counter, "bind_notifies_sent_total", "", "NOTIFY messages sent, by IP version (zonestats.NotifyOutv4, NotifyOutv6).", z, bindServerWide(), "family", bindMember{"NotifyOutv4", "ipv4"}, bindMember{"NotifyOutv6", "ipv6"}),
		bindFamily(Counter, "bind_notifies_received_total", "", "NOTIFY messages received, by IP version (zonestats.NotifyInv4, NotifyInv6).", z, bindServerWide(), "family", bindMember{"NotifyInv4", "ipv4"}, bindMember{"NotifyInv6", "ipv6"}),
		bindSingle(Counter, "bind_notifies_rejected_total", "", "NOTIFY messages rejected (zonestats.NotifyRej).", z+"NotifyRej", bindServerWide()),
		bindFamily(Counter, "bind_soa_queries_sent_total", "", "SOA queries sent to primaries to check serials, by IP version (zonestats.SOAOutv4, SOAOutv6).", z, bindServerWide(), "family", bindMember{"SOAOutv4", "ipv4"}, bindMember{"SOAOutv6", "ipv6"}),
	}
}

func bindSockets() []*Metric {
	s := "sockstats."
	tr := func(stats ...string) []bindMember {
		out := make([]bindMember, len(stats))
		for i, st := range stats {
			out[i] = bindMember{st, bindSockTransport(st)}
		}
		return out
	}
	f := func(typ Type, name, help string, members []bindMember) *Metric {
		return bindFamily(typ, name, "", help+" ("+bindStatList(s, members)+").", s, bindServerWide(), "transport", members...)
	}
	return []*Metric{
		f(Counter, "bind_sockets_opened_total", "Sockets opened, by transport", tr("UDP4Open", "UDP6Open", "TCP4Open", "TCP6Open", "UnixOpen", "RawOpen")),
		f(Counter, "bind_socket_open_failures_total", "Sockets that could not be opened, by transport", tr("UDP4OpenFail", "UDP6OpenFail", "TCP4OpenFail", "TCP6OpenFail", "UnixOpenFail", "RawOpenFail")),
		f(Counter, "bind_sockets_closed_total", "Sockets closed, by transport", tr("UDP4Close", "UDP6Close", "TCP4Close", "TCP6Close", "UnixClose", "FDWatchClose", "RawClose")),
		f(Counter, "bind_socket_bind_failures_total", "Socket bind failures, by transport", tr("UDP4BindFail", "UDP6BindFail", "TCP4BindFail", "TCP6BindFail", "UnixBindFail", "FdwatchBindFail")),
		f(Counter, "bind_socket_connect_failures_total", "Socket connect failures, by transport", tr("UDP4ConnFail", "UDP6ConnFail", "TCP4ConnFail", "TCP6ConnFail", "UnixConnFail", "FDwatchConnFail")),
		f(Counter, "bind_socket_connections_total", "Connections established, by transport", tr("UDP4Conn", "UDP6Conn", "TCP4Conn", "TCP6Conn", "UnixConn", "FDwatchConn")),
		f(Counter, "bind_socket_accept_failures_total", "Incoming connections that could not be accepted, by transport", tr("TCP4AcceptFail", "TCP6AcceptFail", "UnixAcceptFail")),
		f(Counter, "bind_socket_accepts_total", "Incoming connections accepted, by transport", tr("TCP4Accept", "TCP6Accept", "UnixAccept")),
		f(Counter, "bind_socket_send_errors_total", "Socket send errors, by transport", tr("UDP4SendErr", "UDP6SendErr", "TCP4SendErr", "TCP6SendErr", "UnixSendErr", "FDwatchSendErr")),
		f(Counter, "bind_socket_receive_errors_total", "Socket receive errors, by transport", tr("UDP4RecvErr", "UDP6RecvErr", "TCP4RecvErr", "TCP6RecvErr", "UnixRecvErr", "FDwatchRecvErr", "RawRecvErr")),
		f(Gauge, "bind_sockets_active", "Sockets open now, by transport", tr("UDP4Active", "UDP6Active", "TCP4Active", "TCP6Active", "UnixActive", "RawActive")),
		bindFamily(Gauge, "bind_tcp_clients", "", "TCP clients connected now, by IP version (sockstats.TCP4Clients, sockstats.TCP6Clients).", s, bindServerWide(), "family", bindMember{"TCP4Clients", "ipv4"}, bindMember{"TCP6Clients", "ipv6"}),
	}
}

// bindSockTransport is the transport label of a socket statistic: udp4, udp6,
// tcp4, tcp6, unix, raw or fdwatch.
func bindSockTransport(stat string) string {
	for _, p := range []struct{ prefix, value string }{
		{"UDP4", "udp4"}, {"UDP6", "udp6"}, {"TCP4", "tcp4"}, {"TCP6", "tcp6"},
		{"Unix", "unix"}, {"Raw", "raw"}, {"FDWatch", "fdwatch"}, {"FDwatch", "fdwatch"}, {"Fdwatch", "fdwatch"},
	} {
		if len(stat) >= len(p.prefix) && stat[:len(p.prefix)] == p.prefix {
			return p.value
		}
	}
	return stat
}

func bindTraffic() []*Metric {
	hist := func(dir string) []Source {
		var out []Source
		for _, tr := range []string{"udp", "tcp"} {
			for _, fam := range []string{"ipv4", "ipv6"} {
				section := "traffic.dns-" + tr + "-" + dir + "-" + fam + ".*"
				out = append(out, bindSrc(section, "transport", tr, "family", fam, "size", Wildcard))
			}
		}
		return out
	}
	return []*Metric{
		bindMetric(Counter, "bind_traffic_requests_received_total", "", "Requests received, by transport, IP version and size range in bytes as BIND reports it (\"48-63\", \"288+\"): BIND's own non-cumulative histogram (traffic.dns-<udp|tcp>-requests-sizes-received-<ipv4|ipv6>.<range>; only non-zero ranges are listed).", []string{"transport", "family", "size"}, hist("requests-sizes-received")...),
		bindMetric(Counter, "bind_traffic_responses_sent_total", "", "Responses sent, by transport, IP version and size range in bytes as BIND reports it (\"96-111\", \"4096+\"): BIND's own non-cumulative histogram (traffic.dns-<udp|tcp>-responses-sizes-sent-<ipv4|ipv6>.<range>; only non-zero ranges are listed).", []string{"transport", "family", "size"}, hist("responses-sizes-sent")...),
		bindFamily(Counter, "bind_dnstap_messages_total", "", "dnstap messages written and dropped (dnstapstats.DNSTAPsuccess, dnstapstats.DNSTAPdropped; only while dnstap is on).", "dnstapstats.", bindServerWide(), "result", bindMember{"DNSTAPsuccess", "written"}, bindMember{"DNSTAPdropped", "dropped"}),
		bindFamily(Gauge, "bind_dispatch_queries_in_progress", "", "Outgoing queries in progress in the dispatcher shared by all views, by transport (resstats.QueryCurUDP, resstats.QueryCurTCP).", "resstats.", bindServerWide(), "transport", bindMember{"QueryCurUDP", "udp"}, bindMember{"QueryCurTCP", "tcp"}),
		bindSingle(Counter, "bind_dispatch_response_mismatch_total", "", "Responses the shared dispatcher could not match to a query (resstats.Mismatch).", "resstats.Mismatch", bindServerWide()),
		bindFamily(Counter, "bind_dispatch_query_errors_total", "", "Outgoing queries of the shared dispatcher aborted by quota or failed to open a socket (resstats.QueryAbort, resstats.QuerySockFail).", "resstats.", bindServerWide(), "error", bindMember{"QueryAbort", "QueryAbort"}, bindMember{"QuerySockFail", "QuerySockFail"}),
	}
}

func bindResolver() []*Metric {
	r := "resolver.stats."
	f := func(typ Type, name, help, label string, members ...bindMember) *Metric {
		return bindFamily(typ, name, "", help+" ("+bindStatList(r, members)+").", r, bindPerView(), label, members...)
	}
	one := func(typ Type, name, help, stat string) *Metric {
		return bindSingle(typ, name, "", help+" ("+r+stat+").", r+stat, bindPerView())
	}
	return []*Metric{
		bindWildcard(Counter, "bind_resolver_queries_total", "Queries the view's resolver sent, by query type (resolver.qtypes.<TYPE>).", "resolver.qtypes", bindPerView(), "type"),
		f(Counter, "bind_resolver_queries_sent_total", "Queries the view's resolver sent, by IP version", "family", bindMember{"Queryv4", "ipv4"}, bindMember{"Queryv6", "ipv6"}),
		f(Counter, "bind_resolver_responses_received_total", "Responses the view's resolver received, by IP version", "family", bindMember{"Responsev4", "ipv4"}, bindMember{"Responsev6", "ipv6"}),
		f(Counter, "bind_resolver_response_errors_total", "Error responses the view's resolver received, by RCODE (bind_exporter's label values, plus BADVERS and BADCOOKIE)", "error",
			bindMember{"NXDOMAIN", "NXDOMAIN"}, bindMember{"SERVFAIL", "SERVFAIL"}, bindMember{"FORMERR", "FORMERR"}, bindMember{"REFUSED", "REFUSED"}, bindMember{"OtherError", "OtherError"}, bindMember{"BadEDNSVersion", "BadEDNSVersion"}, bindMember{"BadCookieRcode", "BadCookieRcode"}),
		f(Counter, "bind_resolver_query_errors_total", "Queries of the view's resolver aborted by quota, failed to open a socket, or timed out (bind_exporter's label values)", "error",
			bindMember{"QueryAbort", "QueryAbort"}, bindMember{"QuerySockFail", "QuerySockFail"}, bindMember{"QueryTimeout", "QueryTimeout"}),
		one(Counter, "bind_resolver_query_edns0_errors_total", "EDNS(0) query failures", "EDNS0Fail"),
		one(Counter, "bind_resolver_response_mismatch_total", "Responses that did not match the query", "Mismatch"),
		one(Counter, "bind_resolver_response_truncated_total", "Truncated responses received", "Truncated"),
		one(Counter, "bind_resolver_response_lame_total", "Lame delegations received", "Lame"),
		one(Counter, "bind_resolver_query_retries_total", "Query retries", "Retry"),
		f(Gauge, "bind_resolver_queries_in_progress", "Outgoing queries of the view's resolver in progress now, by transport", "transport", bindMember{"QueryCurUDP", "udp"}, bindMember{"QueryCurTCP", "tcp"}),
		f(Counter, "bind_resolver_glue_fetches_total", "Fetches of name server addresses, by IP version", "family", bindMember{"GlueFetchv4", "ipv4"}, bindMember{"GlueFetchv6", "ipv6"}),
		f(Counter, "bind_resolver_glue_fetch_failures_total", "Failed fetches of name server addresses, by IP version", "family", bindMember{"GlueFetchv4Fail", "ipv4"}, bindMember{"GlueFetchv6Fail", "ipv6"}),
		one(Counter, "bind_resolver_dnssec_validation_attempts_total", "DNSSEC validations attempted", "ValAttempt"),
		f(Counter, "bind_resolver_dnssec_validation_success_total", "DNSSEC validations that succeeded, positive (ValOk) and negative (ValNegOk) answers", "result", bindMember{"ValOk", "ValOk"}, bindMember{"ValNegOk", "ValNegOk"}),
		one(Counter, "bind_resolver_dnssec_validation_errors_total", "DNSSEC validations that failed", "ValFail"),
		f(Counter, "bind_resolver_queries_by_rtt_total", "Responses received by round-trip time class, as BIND counts them: one series per class, not cumulative (see docs/bind.md for why this is not bind_exporter's histogram)", "rtt",
			bindMember{"QryRTT10", "0-10ms"}, bindMember{"QryRTT100", "10-100ms"}, bindMember{"QryRTT500", "100-500ms"}, bindMember{"QryRTT800", "500-800ms"}, bindMember{"QryRTT1600", "800-1600ms"}, bindMember{"QryRTT1600+", "1600ms+"}),
		one(Gauge, "bind_resolver_active_fetches", "Fetches in progress now", "NumFetch"),
		one(Gauge, "bind_resolver_buckets", "Buckets of the resolver's fetch table", "BucketSize"),
		f(Counter, "bind_resolver_cookies_total", "DNS COOKIE use by the view's resolver: sent with a client cookie only, sent with a server cookie, replies with a cookie, client cookie matched", "kind",
			bindMember{"ClientCookieOut", "client_only_sent"}, bindMember{"ServerCookieOut", "server_cookie_sent"}, bindMember{"CookieIn", "received"}, bindMember{"CookieClientOk", "client_ok"}),
		f(Counter, "bind_resolver_quota_spills_total", "Fetches dropped by fetches-per-zone, fetches-per-server or clients-per-query", "quota", bindMember{"ZoneQuota", "zone"}, bindMember{"ServerQuota", "server"}, bindMember{"ClientQuota", "clients_per_query"}),
		one(Counter, "bind_resolver_next_item_waits_total", "Times the resolver waited for the next item of a response", "NextItem"),
		one(Counter, "bind_resolver_priming_queries_total", "Root priming queries sent", "Priming"),
	}
}

func bindCache() []*Metric {
	c := "resolver.cachestats."
	one := func(typ Type, name, unit, help, stat string) *Metric {
		return bindSingle(typ, name, unit, help+" ("+c+stat+").", c+stat, bindPerView())
	}
	a := "resolver.adb."
	return []*Metric{
		bindWildcard(Gauge, "bind_resolver_cache_rrsets", "RRsets in the view's cache, by type as BIND prints it (resolver.cache.<TYPE>: \"!A\" a negative entry, \"#A\" stale, \"~A\" ancient, \"NXDOMAIN\").", "resolver.cache", bindPerView(), "type"),
		one(Counter, "bind_resolver_cache_hits_total", "", "Cache lookups that found data", "CacheHits"),
		one(Counter, "bind_resolver_cache_misses_total", "", "Cache lookups that found nothing", "CacheMisses"),
		one(Counter, "bind_resolver_cache_query_hits_total", "", "Client queries answered from the cache", "QueryHits"),
		one(Counter, "bind_resolver_cache_query_misses_total", "", "Client queries not answered from the cache", "QueryMisses"),
		bindFamily(Counter, "bind_resolver_cache_deletes_total", "", "Cache entries removed for lack of memory (lru) or because their TTL ran out (ttl) (resolver.cachestats.DeleteLRU, resolver.cachestats.DeleteTTL).", c, bindPerView(), "reason", bindMember{"DeleteLRU", "lru"}, bindMember{"DeleteTTL", "ttl"}),
		one(Counter, "bind_resolver_cache_covering_nsec_total", "", "Covering NSEC records found for synthesized answers", "CoveringNSEC"),
		one(Gauge, "bind_resolver_cache_nodes", "", "Nodes in the cache database", "CacheNodes"),
		one(Gauge, "bind_resolver_cache_nsec_nodes", "", "NSEC nodes in the cache database", "CacheNSECNodes"),
		one(Gauge, "bind_resolver_cache_buckets", "", "Hash buckets of the cache database", "CacheBuckets"),
		one(Counter, "bind_resolver_cache_tree_memory_allocated_bytes_total", "bytes", "Bytes ever allocated for the cache's tree memory: BIND's running total, it only grows", "TreeMemTotal"),
		one(Gauge, "bind_resolver_cache_tree_memory_in_use_bytes", "bytes", "Bytes of tree memory the cache uses now", "TreeMemInUse"),
		one(Gauge, "bind_resolver_cache_tree_memory_max_in_use_bytes", "bytes", "Most tree memory the cache used at once (0 unless BIND tracks it)", "TreeMemMax"),
		one(Counter, "bind_resolver_cache_heap_memory_allocated_bytes_total", "bytes", "Bytes ever allocated for the cache's heap memory: BIND's running total, it only grows", "HeapMemTotal"),
		one(Gauge, "bind_resolver_cache_heap_memory_in_use_bytes", "bytes", "Bytes of heap memory the cache uses now", "HeapMemInUse"),
		one(Gauge, "bind_resolver_cache_heap_memory_max_in_use_bytes", "bytes", "Most heap memory the cache used at once (0 unless BIND tracks it)", "HeapMemMax"),
		bindSingle(Gauge, "bind_resolver_adb_address_buckets", "", "Size of the address database's address hash table ("+a+"nentries).", a+"nentries", bindPerView()),
		bindSingle(Gauge, "bind_resolver_adb_addresses", "", "Addresses in the address database ("+a+"entriescnt).", a+"entriescnt", bindPerView()),
		bindSingle(Gauge, "bind_resolver_adb_name_buckets", "", "Size of the address database's name hash table ("+a+"nnames).", a+"nnames", bindPerView()),
		bindSingle(Gauge, "bind_resolver_adb_names", "", "Names in the address database ("+a+"namescnt).", a+"namescnt", bindPerView()),
	}
}

func bindMemoryAndTasks() []*Metric {
	m := "memory."
	return []*Metric{
		bindSingle(Counter, "bind_memory_allocated_bytes_total", "bytes", "Bytes named ever allocated through its memory contexts: BIND's running total (memory.TotalUse), it only grows.", m+"TotalUse", bindServerWide()),
		bindSingle(Gauge, "bind_memory_in_use_bytes", "bytes", "Bytes of memory named uses now (memory.InUse).", m+"InUse", bindServerWide()),
		bindSingle(Gauge, "bind_memory_malloced_bytes", "bytes", "Bytes named holds from malloc now, including allocator overhead (memory.Malloced).", m+"Malloced", bindServerWide()),
		bindSingle(Gauge, "bind_memory_context_size_bytes", "bytes", "Bytes taken by the memory contexts themselves (memory.ContextSize).", m+"ContextSize", bindServerWide()),
		bindSingle(Gauge, "bind_memory_lost_bytes", "bytes", "Bytes BIND counts as lost (memory.Lost; BIND 9.18).", m+"Lost", bindServerWide()),
		{Name: "bind_tasks_running", Type: Gauge, Help: "Tasks running now (taskmgr.tasks-running up to BIND 9.16; from 9.18 the tasks of taskmgr.tasks in state running). BIND 9.20 has no task manager: absent.", Daemon: "bind", Scope: ScopeGlobal,
			Source: []Source{s("taskmgr.tasks-running")}, Derived: "from 9.18: count of taskmgr.tasks whose state is running"},
		derived("bind", ScopeGlobal, Gauge, "bind_tasks", "", "Tasks the task manager lists (taskmgr.tasks; BIND 9.18 and earlier, absent from 9.20).", "count of taskmgr.tasks"),
		bindSingle(Gauge, "bind_worker_threads", "", "Worker threads of the task manager (taskmgr.worker-threads; BIND 9.16 and earlier only: 9.18 and 9.20 do not report it).", "taskmgr.worker-threads", bindServerWide()),
	}
}

func bindZones() []*Metric {
	z := "zones."
	return []*Metric{
		derived("bind", ScopeGlobal, Gauge, "bind_zone_statistics_up", "", "With zones enabled: 1 when the last read of the zone statistics succeeded, 0 when it failed (the zone series are then absent until the next read, one zone interval later; the rest of the poll goes on).", "result of the last zone read"),
		derived("bind", ScopeGlobal, Gauge, "bind_zone_statistics_timestamp_seconds", "seconds", "With zones enabled: Unix time of the last successful read of the zone statistics, which the polls in between reuse.", "time of the last successful zone read"),
		bindSingle(Gauge, "bind_zone_serial", "", "SOA serial of the zone as loaded (zones.serial; absent while a secondary has not loaded it). Read with zones enabled, on their own interval.", z+"serial", bindPerZone()),
		withExtra(derived("bind", ScopeGlobal, Gauge, "bind_zone_info", "", "Always 1 for every zone BIND lists; zone_type is BIND's type (primary, secondary, mirror, stub, static-stub, redirect, builtin, …) and class the zone's class (zones.type, zones.class).", "1 per zone, labelled with its type and class"), "view", "zone_name", "zone_type", "class"),
		bindSingle(Gauge, "bind_zone_loaded_timestamp_seconds", "seconds", "Unix time the zone was last loaded or transferred (zones.loaded).", z+"loaded", bindPerZone()),
		bindSingle(Gauge, "bind_zone_expire_timestamp_seconds", "seconds", "Unix time a secondary zone expires unless refreshed (zones.expires; secondaries only, where BIND reports it: 9.18.49 and 9.20 do).", z+"expires", bindPerZone()),
		bindSingle(Gauge, "bind_zone_refresh_timestamp_seconds", "seconds", "Unix time of a secondary zone's next refresh check (zones.refresh; secondaries).", z+"refresh", bindPerZone()),
		bindWildcard(Counter, "bind_zone_incoming_queries_total", "Queries received for the zone, by query type (zones.qtypes.<TYPE>; bind_exporter's bind_imcoming_zone_queries_total, spelled right).", z+"qtypes", bindPerZone(), "type"),
		bindFamily(Counter, "bind_zone_glue_cache_total", "", "Glue cache lookups of the zone: hits and inserts, for glue present and absent (zones.gluecache.GLUECACHEhitspresent, GLUECACHEhitsabsent, GLUECACHEinsertspresent, GLUECACHEinsertsabsent).", z+"gluecache.", bindPerZone(), "result",
			bindMember{"GLUECACHEhitspresent", "hit_present"}, bindMember{"GLUECACHEhitsabsent", "hit_absent"}, bindMember{"GLUECACHEinsertspresent", "insert_present"}, bindMember{"GLUECACHEinsertsabsent", "insert_absent"}),
		bindWildcard(Counter, "bind_zone_dnssec_signatures_total", "Signatures created for the zone, by key as BIND names it, algorithm+key tag (zones.dnssec-sign.<alg+tag>).", z+"dnssec-sign", bindPerZone(), "key"),
		bindWildcard(Counter, "bind_zone_dnssec_refreshes_total", "Signatures refreshed in the zone, by key, algorithm+key tag (zones.dnssec-refresh.<alg+tag>).", z+"dnssec-refresh", bindPerZone(), "key"),
		withExtra(derived("bind", ScopeGlobal, Gauge, "bind_zone_serial_behind", "", "How far the zone's serial on this secondary is behind its primary's, in RFC 1982 serial arithmetic: 0 when in step, positive when behind, negative when the secondary is ahead. Computed when the primary (type primary for the zone) and the secondary are both targets with zones enabled; primary is the primary's target name.", "RFC 1982 distance from this target's bind_zone_serial to the primary target's, for zones of type secondary or mirror"), "view", "zone_name", "primary"),
	}
}
