package rules

import "fmt"

// bindGroup alerts on BIND 9: the statistics channel down, answers
// failing, zones not transferring or drifting, the recursion limit. The
// config editor does not manage BIND, so no alert has a remediation_url.
func bindGroup(c *Config) Group {
	t := c.Thresholds
	zone := []string{"server", "view", "zone_name"}
	alert := func(a Alert) Alert {
		a.Component, a.Dashboard = ComponentBIND, UIDBIND
		return a
	}
	responses := "sum without (result) (rate(" + c.sel("bind_responses_total") + "[5m]))"
	recursionLimit := t.BINDRecursiveClientsLimit * t.BINDRecursiveClientsRatio
	return Group{Name: "bind", Alerts: []Alert{
		alert(Alert{
			Name: "BindDown", Severity: Critical,
			Expr:        c.sel("ddiscope_target_up", `kind="bind"`) + " == 0",
			For:         minutes(5),
			Summary:     "BIND's statistics channel does not answer.",
			Description: "ddiscope has not read the statistics channel of BIND server " + label("server") + " for 5 minutes: named is down or its statistics channel is unreachable.",
			Condition:   "`ddiscope_target_up{kind=\"bind\"}` is 0",
			Identity:    []string{"server"},
			Silences:    targetDownSilences(`component="bind"`, `alertname!="BindDown"`),
			Runbook: Runbook{
				Meaning:   "Every poll of named's statistics channel failed: named is not running, or `statistics-channels` does not listen where ddiscope looks or does not allow its address.",
				Impact:    "If named is down, its zones and its resolver are not served. Its other alerts are silenced while this fires.",
				Diagnosis: "`rndc status`; `systemctl status named`; `curl http://127.0.0.1:8053/json/v1/server`. `ddiscope_poll_errors_total{server=\"…\"}` gives ddiscope's reason.",
				Fix:       "Start named, or fix `statistics-channels { inet … allow { … }; }` in named.conf and `rndc reconfig`.",
			},
		}),
		alert(Alert{
			Name: "BindServfailRatioHigh", Severity: Warning,
			Expr: "sum without (result) (rate(" + c.sel("bind_responses_total", `result="SERVFAIL"`) + "[5m]))\n/\n" + responses + "\n> " + num(t.BINDServfailRatio) +
				"\nand\n" + responses + " * 60 > " + num(t.BINDMinQueriesPerMinute),
			For:         minutes(15),
			Summary:     "BIND answers many queries with SERVFAIL.",
			Description: label("server") + " answers {{ $value | humanizePercentage }} of its queries with SERVFAIL.",
			Condition:   fmt.Sprintf("SERVFAIL / queries > %s (at more than %s queries a minute)", pct(t.BINDServfailRatio), num(t.BINDMinQueriesPerMinute)),
			Identity:    []string{"server"},
			Runbook: Runbook{
				Meaning:   "named could not produce an answer: for a resolver, upstream servers fail, time out or fail DNSSEC validation; for an authoritative server, a zone failed to load or expired.",
				Impact:    "Clients get no answer for the affected names.",
				Diagnosis: "`bind_resolver_response_errors_total`, `bind_resolver_query_errors_total{error=\"QueryTimeout\"}` and `bind_resolver_dnssec_validation_errors_total` tell which; named's log (`resolver` and `dnssec` categories); `dig +cd` tells a validation failure from an unreachable server.",
				Fix:       "Restore upstream reachability or forwarders; fix the zone or its DNSSEC signatures (expired RRSIGs, a broken DS); reload zones that failed to load.",
			},
		}),
		alert(Alert{
			Name: "BindZoneTransferFailures", Severity: Warning,
			Expr:        "increase(" + c.sel("bind_zone_transfer_failure_total") + "[30m]) > 0",
			For:         minutes(15),
			Summary:     "BIND fails to transfer zones from their primaries.",
			Description: "{{ $value | humanize }} incoming zone transfers failed on " + label("server") + " in the last 30 minutes.",
			Condition:   "incoming zone transfers failed in the last 30 minutes, for 15 minutes",
			Identity:    []string{"server"},
			Runbook: Runbook{
				Meaning:   "AXFR or IXFR requests of this secondary to its primaries fail.",
				Impact:    "The secondary serves old data, and stops serving a zone when it expires (`BindZoneExpiringSoon`).",
				Diagnosis: "named's log (`xfer-in` category) names the zone, the primary and the error: refused (`allow-transfer` on the primary), TSIG mismatch, timeout, or a bad zone from the primary.",
				Fix:       "Fix `allow-transfer` or the TSIG key on the primary, the `primaries` of the zone on the secondary, or the network path; `rndc retransfer <zone>` to retry at once.",
			},
		}),
		alert(Alert{
			Name: "BindZoneSerialDrift", Severity: Warning,
			Expr:        c.sel("bind_zone_serial_behind") + " != 0",
			For:         t.BINDSerialDriftTime,
			Summary:     "A BIND secondary's zone serial differs from its primary's.",
			Description: "Zone " + label("zone_name") + " (view " + label("view") + ") on " + label("server") + " has been {{ $value }} serial increments behind its primary " + label("primary") + " (negative: ahead) for more than " + durText(t.BINDSerialDriftTime) + ".",
			Condition:   fmt.Sprintf("`bind_zone_serial_behind` not 0 for %s", durText(t.BINDSerialDriftTime)),
			Identity:    append(zone, "primary"),
			Runbook: Runbook{
				Meaning:   "NOTIFY and IXFR normally bring a secondary in step within seconds; this one has stayed behind (or ahead: the primary's serial went backwards) for long.",
				Impact:    "Clients asking the secondary get outdated records.",
				Diagnosis: "`dig @primary <zone> SOA` against `dig @secondary <zone> SOA`; `BindZoneTransferFailures`; `bind_notifies_sent_total` on the primary. A secondary ahead means the primary's serial was lowered.",
				Fix:       "Fix the transfers (see `BindZoneTransferFailures`); `rndc retransfer <zone>` on the secondary. If the primary's serial went backwards, raise it past the secondary's (RFC 1982) and `rndc reload <zone>`.",
			},
		}),
		alert(Alert{
			Name: "BindZoneExpiringSoon", Severity: Warning,
			Expr:        c.sel("bind_zone_expire_timestamp_seconds") + " - time() < " + secs(t.BINDZoneExpiry),
			For:         minutes(5),
			Summary:     "A secondary zone of BIND is about to expire.",
			Description: "Zone " + label("zone_name") + " (view " + label("view") + ") on " + label("server") + " expires in {{ $value | humanizeDuration }} unless it is refreshed from its primary.",
			Condition:   fmt.Sprintf("secondary zone expires within %s", durText(t.BINDZoneExpiry)),
			Identity:    zone,
			Runbook: Runbook{
				Meaning:   "The secondary has not refreshed the zone from any primary for nearly the SOA expire time.",
				Impact:    "When it expires, named answers SERVFAIL for the whole zone.",
				Diagnosis: "See `BindZoneTransferFailures`: the refresh queries or transfers to the primaries fail.",
				Fix:       "Restore the transfers; `rndc refresh <zone>` once the primary is reachable.",
			},
		}),
		alert(Alert{
			Name: "BindRecursiveClientsNearLimit", Severity: Warning,
			Expr:        c.sel("bind_recursive_clients") + " > " + num(recursionLimit),
			For:         minutes(5),
			Summary:     "BIND's recursive clients approach the recursive-clients limit.",
			Description: "{{ $value }} clients wait for recursion on " + label("server") + "; named drops new ones at recursive-clients " + num(t.BINDRecursiveClientsLimit) + ".",
			Condition:   fmt.Sprintf("`bind_recursive_clients` > %s (%s of recursive-clients %s)", num(recursionLimit), pct(t.BINDRecursiveClientsRatio), num(t.BINDRecursiveClientsLimit)),
			Identity:    []string{"server"},
			Runbook: Runbook{
				Meaning:   "Many queries wait for upstream answers at once: upstream servers are slow or unreachable, or query volume grew.",
				Impact:    "At the limit named drops new recursive queries (`BindRecursiveClientsDropped`).",
				Diagnosis: "`bind_resolver_query_errors_total{error=\"QueryTimeout\"}`, `bind_resolver_queries_by_rtt_total`; `rndc recursing` lists the waiting queries.",
				Fix:       "Fix upstream reachability; raise `recursive-clients` in named.conf if the load is legitimate (and `bind-recursive-clients-limit` when regenerating the rules).",
			},
		}),
		alert(Alert{
			Name: "BindRecursiveClientsDropped", Severity: Warning,
			Expr:        "rate(" + c.sel("bind_recursive_client_limit_drops_total") + "[5m]) * 60 > 0",
			For:         minutes(5),
			Summary:     "BIND drops queries at the recursive-clients limit.",
			Description: label("server") + " drops {{ $value | humanize }} recursive queries a minute at its recursive-clients limit.",
			Condition:   "queries dropped at the recursive-clients limit",
			Identity:    []string{"server"},
			Supersedes:  []string{"BindRecursiveClientsNearLimit"},
			Runbook: Runbook{
				Meaning:   "named has reached `recursive-clients` and drops the queries beyond it.",
				Impact:    "Clients get no answer and retry or fail over to another resolver.",
				Diagnosis: "As for `BindRecursiveClientsNearLimit`.",
				Fix:       "As for `BindRecursiveClientsNearLimit`.",
			},
		}),
	}}
}
