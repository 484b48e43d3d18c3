package rules

import "fmt"

// targetDownSilences are what a target that cannot be polled silences: its
// own alerts of the component, and ddiscope's alerts about polling it.
func targetDownSilences(component ...string) []Silence {
	return []Silence{
		{Matchers: component, Equal: []string{"server"}, Why: "a target that cannot be polled has no data: its alerts would only repeat this one"},
		{Matchers: []string{`alertname=~"DdiscopeTargetDataStale|DdiscopePollErrorsHigh|DdiscopeKeaCommandUnavailable"`}, Equal: []string{"server"}, Why: "stale data and failing polls are what a down target means"},
	}
}

// selfGroup alerts on ddiscope itself: Prometheus cannot scrape it, it
// cannot poll a target, its data is stale, or a target grows too many
// series. When ddiscope is blind, every other alert is silent, so these
// come first.
func selfGroup(c *Config) Group {
	t := c.Thresholds
	target := []string{"server", "kind"}
	return Group{Name: "self", Alerts: []Alert{
		{
			Name: "DdiscopeDown", Severity: Critical, Component: ComponentDdiscope,
			Expr:        c.sel("up") + " == 0",
			For:         minutes(5),
			Summary:     "Prometheus cannot scrape ddiscope.",
			Description: "Prometheus has failed to scrape ddiscope at " + label("instance") + " (job " + label("job") + ") for 5 minutes: no Kea or BIND metrics arrive, and no alert about them can fire.",
			Condition:   "`up` of the ddiscope job is 0",
			Dashboard:   UIDSelf,
			Identity:    []string{"job", "instance"},
			Runbook: Runbook{
				Meaning:   "The Prometheus scrape of ddiscope's `/metrics` fails: the process is not running, not listening where Prometheus looks, or refuses the scrape (TLS, basic auth, timeout).",
				Impact:    "Every Kea, HA and BIND alert is blind while this fires: their series go stale and they resolve or never fire.",
				Diagnosis: "On the Prometheus targets page (`/targets`) read the scrape error. On the ddiscope host: `systemctl status ddiscope`, `journalctl -u ddiscope`, and `curl -s http://127.0.0.1:19547/-/healthy`.",
				Fix:       "Start or restart ddiscope; fix `--web.listen-address`, `--web.config.file` or the scrape configuration so that they agree.",
			},
		},
		{
			Name: "DdiscopeTargetDown", Severity: Critical, Component: ComponentDdiscope,
			Expr:        c.sel("ddiscope_target_up", `kind!="bind"`) + " == 0", // BindDown covers BIND targets
			For:         minutes(5),
			Summary:     "ddiscope cannot poll a Kea server.",
			Description: "Every poll of " + label("kind") + " target " + label("server") + " has failed for 5 minutes; its metrics are gone and its subnet and HA alerts are silenced. ddiscope_poll_errors_total{server=\"" + label("server") + "\"} gives the reason.",
			Condition:   "`ddiscope_target_up` is 0 (Kea targets; BIND has `BindDown`)",
			Dashboard:   UIDSelf,
			Identity:    target,
			Silences:    targetDownSilences(`component=~"kea|ha"`),
			Runbook: Runbook{
				Meaning:   "ddiscope's last polls of this target failed. Either the server (Kea's Control Agent or daemon, BIND's statistics channel) is down or unreachable, or ddiscope's target configuration no longer matches it (URL, credentials, TLS).",
				Impact:    "Nothing is known about this server: its utilisation, HA and DNS alerts are inhibited while this fires. If the server itself is down, its clients get no leases or answers.",
				Diagnosis: "`ddiscope_poll_errors_total{server=\"…\"}` tells the reason: `connect` and `timeout` mean the server or the path to it; `unauthorized` and `forbidden` the credentials; `http_status`, `malformed` and `result_error` a server that answers but not as expected. ddiscope logs each failure with the URL it used.",
				Fix:       "Bring the server back (`keactrl status`, `systemctl status kea-ctrl-agent kea-dhcp4-server`, `rndc status`), or correct the target in ddiscope's configuration file and reload ddiscope (`kill -HUP` or `POST /-/reload`).",
			},
		},
		{
			Name: "DdiscopeTargetDataStale", Severity: Warning, Component: ComponentDdiscope,
			Expr: "time() - " + c.sel("ddiscope_last_success_timestamp_seconds") + " > " + secs(t.StaleAfter) + "\n" +
				"and\n" + c.sel("ddiscope_last_success_timestamp_seconds") + " > 0",
			For:         minutes(2),
			Summary:     "ddiscope's data about a target is stale.",
			Description: "The last successful poll of " + label("kind") + " target " + label("server") + " was {{ $value | humanizeDuration }} ago: its metrics describe the past.",
			Condition:   fmt.Sprintf("last successful poll older than %s", durText(t.StaleAfter)),
			Dashboard:   UIDSelf,
			Identity:    target,
			Runbook: Runbook{
				Meaning:   "The target has not been polled successfully for longer than the staleness limit, yet ddiscope does not report it down: polls hang, or the poll interval is longer than the limit.",
				Impact:    "Utilisation and HA alerts for this server are computed from old numbers.",
				Diagnosis: "Compare `ddiscope_poll_duration_seconds` with the target's interval and timeout; read ddiscope's log for the target.",
				Fix:       "Shorten the target's `timeout`, lengthen its `interval`, or reduce what it polls (large Kea configurations make `config-get` slow); restart ddiscope if a poll is stuck.",
			},
		},
		{
			Name: "DdiscopePollErrorsHigh", Severity: Warning, Component: ComponentDdiscope,
			Expr: "sum by (job, instance, server, kind, reason) (rate(" + c.sel("ddiscope_poll_errors_total") + "[15m]))\n" +
				"/ ignoring (reason) group_left\n" +
				"sum by (job, instance, server, kind) (rate(" + c.sel("ddiscope_polls_total") + "[15m]))\n" +
				"> " + num(t.PollErrorRatio),
			For:         minutes(15),
			Summary:     "Many polls of a target fail.",
			Description: "{{ $value | humanizePercentage }} of the polls of " + label("kind") + " target " + label("server") + " failed with reason " + label("reason") + " over the last 15 minutes.",
			Condition:   fmt.Sprintf("more than %s of polls fail, by reason", pct(t.PollErrorRatio)),
			Dashboard:   UIDSelf,
			Identity:    append(target, "reason"),
			Runbook: Runbook{
				Meaning:   "A share of the polls of this target fail although some succeed: the target flaps, or times out under load.",
				Impact:    "Gaps in the target's metrics; rate() based alerts see fewer samples.",
				Diagnosis: "The `reason` label says why. `timeout` under load is common with large Kea configurations polled through the Control Agent (Kea 2.2's agent is slow on large replies); compare `ddiscope_poll_duration_seconds` with the timeout.",
				Fix:       "Raise the target's `timeout`, poll the daemon's UNIX socket or direct HTTP listener instead of the Control Agent, or fix the network path.",
			},
		},
		{
			Name: "DdiscopeSeriesBudgetExceeded", Severity: Warning, Component: ComponentDdiscope,
			Expr:        c.sel("ddiscope_target_series") + " > " + num(t.SeriesBudget),
			For:         minutes(15),
			Summary:     "A target produces more series than its budget.",
			Description: label("kind") + " target " + label("server") + " produced {{ $value | humanize }} series in its last poll, above the budget of " + num(t.SeriesBudget) + ".",
			Condition:   fmt.Sprintf("`ddiscope_target_series` > %s", num(t.SeriesBudget)),
			Dashboard:   UIDSelf,
			Identity:    target,
			Runbook: Runbook{
				Meaning:   "The number of series one poll of this target produces exceeds the budget set when the rules were generated (`thresholds.series-budget`).",
				Impact:    "Prometheus memory and storage grow with every series; a configuration that multiplied subnets or pools may have been applied by mistake.",
				Diagnosis: "Compare with the count a week ago (`ddiscope_target_series offset 1w`); count subnets and pools in the server's configuration.",
				Fix:       "If the growth is expected, raise `series-budget` and regenerate the rules. Otherwise find the configuration change that added the subnets or pools.",
			},
		},
		{
			Name: "DdiscopeUnknownStatistics", Severity: Info, Component: ComponentDdiscope,
			Expr:        c.sel("ddiscope_unknown_statistics") + " > 0",
			For:         hours(1),
			Summary:     "A server reports statistics ddiscope does not know.",
			Description: label("kind") + " target " + label("server") + " reports {{ $value }} statistics that ddiscope's metric catalog does not define; they are not exported.",
			Condition:   "`ddiscope_unknown_statistics` > 0",
			Dashboard:   UIDSelf,
			Identity:    target,
			Runbook: Runbook{
				Meaning:   "The server is newer than this ddiscope, or runs a hook library whose statistics ddiscope does not know.",
				Impact:    "None now: the known statistics are exported. The unknown ones are not.",
				Diagnosis: "ddiscope logs each unknown statistic once, with its name.",
				Fix:       "Upgrade ddiscope, or report the statistic names so that the catalog learns them.",
			},
		},
		{
			Name: "DdiscopeKeaCommandUnavailable", Severity: Info, Component: ComponentDdiscope,
			Expr:        c.sel("ddiscope_kea_command_unavailable") + " == 1",
			For:         hours(1),
			Summary:     "Kea refuses a command ddiscope needs.",
			Description: "Kea's " + label("daemon") + " on " + label("server") + " answers " + label("command") + " with " + label("reason") + ": the metrics that need it are missing.",
			Condition:   "`ddiscope_kea_command_unavailable` is 1",
			Dashboard:   UIDSelf,
			Identity:    []string{"server", "daemon", "command", "reason"},
			Runbook: Runbook{
				Meaning:   "Beside statistic-get-all ddiscope sends status-get and ha-heartbeat (HA metrics), lease4-get-page / lease6-get-page (lease metrics) and stat-lease4-get / stat-lease6-get. Kea refused one (`unauthorized`, `forbidden`: the credentials lack access) or does not support it (`unsupported`: the lease_cmds, stat_cmds or ha hook is not loaded).",
				Impact:    "The alerts built on those metrics cannot fire: the HA alerts without status-get, `KeaLeaseReclamationBacklog` without the lease commands.",
				Diagnosis: "ddiscope's log names the command and Kea's answer.",
				Fix:       "Grant the command to ddiscope's user in the Control Agent or daemon's authorization (docs/ha.md), or load the hook. If it is deliberate, disable this alert when generating the rules.",
			},
		},
		{
			Name: "DdiscopeHAPartnerUnmonitored", Severity: Info, Component: ComponentDdiscope,
			Expr:        c.sel("ddiscope_kea_ha_partner_monitored") + " == 0",
			For:         hours(1),
			Summary:     "ddiscope does not poll a Kea server's HA partner.",
			Description: "The HA partner " + label("partner") + " of " + label("server") + " (" + label("daemon") + ", relationship " + label("relationship") + ") is not a target ddiscope polls successfully: split brain, state mismatch, clock skew and configuration drift cannot be detected.",
			Condition:   "`ddiscope_kea_ha_partner_monitored` is 0",
			Dashboard:   UIDKeaHA,
			Identity:    []string{"server", "daemon", "relationship", "partner"},
			Runbook: Runbook{
				Meaning:   "The partner named in the server's HA configuration is not among ddiscope's targets, or it is down.",
				Impact:    "The alerts across the pair (`KeaHASplitBrain`, `KeaHAStateMismatch`, `KeaHAClockSkew`, `KeaHAConfigDrift`) are blind for this relationship.",
				Diagnosis: "Compare ddiscope's targets with the peers of the HA configuration (`kea_ha_info` lists them).",
				Fix:       "Add the partner as a target of the same ddiscope, named so that ddiscope can match it (docs/ha.md).",
			},
		},
		{
			Name: "DdiscopeOTLPExportFailing", Severity: Warning, Component: ComponentDdiscope,
			Expr:        "sum without (result) (rate(" + c.sel("ddiscope_otlp_exports_total", `result="failed"`) + "[10m])) * 60 > 0",
			For:         minutes(15),
			Summary:     "ddiscope's OTLP pushes fail.",
			Description: "ddiscope at " + label("instance") + " has failed {{ $value | humanize }} OTLP exports a minute for 15 minutes; data points are dropped.",
			Condition:   "failed OTLP exports for 15 minutes",
			Dashboard:   UIDSelf,
			Identity:    []string{"job", "instance"},
			Runbook: Runbook{
				Meaning:   "Export requests to the OTLP receiver are refused, answered with an error, or time out after their retries.",
				Impact:    "The OpenTelemetry pipeline misses data points (`ddiscope_otlp_data_points_dropped_total`); Prometheus scraping is unaffected.",
				Diagnosis: "Read ddiscope's log for the export error; check the OpenTelemetry Collector's receiver and its health.",
				Fix:       "Fix the OTLP endpoint, its TLS or headers, or the receiver.",
			},
		},
		reloadAlert(c),
	}}
}
