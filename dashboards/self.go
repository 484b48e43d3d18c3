package dashboards

// self is ddiscope's own health: when ddiscope is blind every other alert
// is silent, so this answers first whether the data can be trusted. The
// ddiscope alerts open it.
func (g *gen) self(r refs) board {
	t := g.t
	pct := f(0)
	return board{
		ref:         r.self,
		description: "ddiscope itself: whether Prometheus scrapes it, whether each Kea and BIND target is polled and how fresh its data is, why polls fail, how many series each target makes, the Kea commands ddiscope is refused, and its OTLP pushes.",
		vars:        []variable{g.serverVar("")},
		rows: []row{
			{title: "Is the data fresh?", panels: []panel{
				{
					title: "Scraped by Prometheus", help: "Does Prometheus reach ddiscope? When it does not, every other panel and alert is blind (DdiscopeDown).",
					viz: statViz, width: 6,
					queries: []query{{expr: g.sel("up"), legend: "{{instance}}", instant: true}},
					steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
				},
				{
					title: "Targets up", help: "Which targets ddiscope polls successfully, since when (DdiscopeTargetDown).",
					viz: timeline, width: 18,
					queries: []query{{expr: g.sel("ddiscope_target_up", onServer), legend: "{{server}} ({{kind}})"}},
					steps:   []step{{color: red}, {value: f(1), color: green}}, mapping: upDown("down", "up"),
				},
				{
					title: "Age of each target's data", help: "Time since the last successful poll of each target; orange is the DdiscopeTargetDataStale threshold (" + t.StaleAfter.String() + ").",
					unit: "s", width: 12,
					queries: []query{{
						expr:   "time() - " + g.sel("ddiscope_last_success_timestamp_seconds", onServer) + "\nand\n" + g.sel("ddiscope_last_success_timestamp_seconds", onServer) + " > 0",
						legend: "{{server}}",
					}},
					steps: above(seconds(t.StaleAfter), orange),
				},
				{
					title: "Poll duration", help: "How long the last poll of each target took, failed or not: close to the target's timeout means polls are about to fail.",
					unit: "s", width: 12,
					queries: []query{{expr: g.sel("ddiscope_poll_duration_seconds", onServer), legend: "{{server}}"}},
				},
			}},
			{title: "Why polls fail", panels: []panel{
				{
					title: "Poll errors, by reason", help: "Share of each target's polls failing, by reason (connect, timeout, unauthorized, …); orange is the DdiscopePollErrorsHigh threshold.",
					unit: "percentunit", min: pct, width: 12,
					queries: []query{{
						expr: "sum by (job, instance, server, kind, reason) (" + g.rate("ddiscope_poll_errors_total", onServer) + ")\n/ ignoring (reason) group_left\n" +
							"sum by (job, instance, server, kind) (" + g.rate("ddiscope_polls_total", onServer) + ")",
						legend: "{{server}} {{reason}}",
					}},
					steps: above(t.PollErrorRatio, orange),
					empty: "no poll has failed since ddiscope started",
				},
				{
					title: "Polls a minute", help: "Polls of each target a minute, successful or not.",
					width:   12,
					queries: []query{{expr: g.perMinute("ddiscope_polls_total", onServer), legend: "{{server}}"}},
				},
				{
					title: "Kea commands refused or failing", help: "Commands beside statistic-get-all that Kea refuses (grant them to ddiscope's user) or that fail, a minute; without them the HA and lease panels are empty.",
					width: 12,
					queries: []query{
						{expr: g.sel("ddiscope_kea_command_unavailable", onServer) + " == 1", legend: "{{server}} {{daemon}} {{command}} {{reason}}"},
						{expr: g.perMinute("ddiscope_kea_command_errors_total", onServer), legend: "{{server}} {{daemon}} {{command}} {{reason}} errors/min"},
					},
					empty: "Kea grants every command and none failed",
				},
				{
					title: "Unreadable", help: "Statistics a target reports that ddiscope does not know (not exported; DdiscopeUnknownStatistics), and HA relationships it could not read.",
					width: 12,
					queries: []query{
						{expr: g.sel("ddiscope_unknown_statistics", onServer), legend: "{{server}} unknown statistics"},
						{expr: g.sel("ddiscope_kea_ha_relationships_invalid", onServer), legend: "{{server}} {{daemon}} unreadable HA relationships", empty: "only where the HA hook is loaded"},
					},
				},
			}},
			{title: "Cost", panels: []panel{
				{
					title: "Series per target", help: "Series each target's last poll produced; orange is the DdiscopeSeriesBudgetExceeded threshold.",
					width:   24,
					queries: []query{{expr: g.sel("ddiscope_target_series", onServer), legend: "{{server}}"}},
					steps:   above(t.SeriesBudget, orange),
				},
			}},
			{title: "OTLP export", panels: []panel{
				{
					title: "OTLP exports", help: "OTLP export requests a minute by result, and data points dropped a minute (DdiscopeOTLPExportFailing).",
					width: 12,
					queries: []query{
						{expr: g.perMinute("ddiscope_otlp_exports_total"), legend: "{{instance}} {{result}}"},
						{expr: g.perMinute("ddiscope_otlp_data_points_dropped_total"), legend: "{{instance}} points dropped"},
					},
					empty: "OTLP export is off",
				},
				{
					title: "OTLP export duration", help: "Wall time of the last push, retries included.",
					unit: "s", width: 12,
					queries: []query{{expr: g.sel("ddiscope_otlp_export_duration_seconds"), legend: "{{instance}}"}},
					empty:   "OTLP export is off",
				},
			}},
		},
	}
}
