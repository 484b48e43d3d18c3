package catalog

// All returns every metric ddiscope exports: Kea's, BIND's, then
// ddiscope's own. Each source adds its list here.
func All() []*Metric {
	var all []*Metric
	for _, part := range [][]*Metric{Kea(), HA(), Leases(), Bind(), Self(), OTLPSelf(), Reload(), Review()} {
		all = append(all, part...)
	}
	return all
}

// Self returns ddiscope's metrics about its own work: one set per target,
// whatever its kind.
func Self() []*Metric {
	const d = "ddiscope"
	return []*Metric{
		derived(d, ScopeTarget, Gauge, "ddiscope_target_up", "", "1 when the last poll of the target succeeded, 0 when it failed (the reason is counted in ddiscope_poll_errors_total).", "result of the last poll"),
		derived(d, ScopeTarget, Gauge, "ddiscope_poll_duration_seconds", "seconds", "How long the last poll of the target took, failed or not.", "wall time of the last poll"),
		derived(d, ScopeTarget, Gauge, "ddiscope_last_success_timestamp_seconds", "seconds", "Unix time of the last successful poll of the target; 0 before the first.", "time of the last successful poll"),
		derived(d, ScopeTarget, Counter, "ddiscope_polls_total", "", "Polls of the target, successful or not.", "count of polls"),
		withExtra(derived(d, ScopeTarget, Counter, "ddiscope_poll_errors_total", "", "Failed polls of the target, by reason (connect, timeout, http_status, unauthorized, forbidden, too_large, malformed, result_error, unsupported, empty, conflict, canceled).", "count of failed polls by reason"), "reason"),
		derived(d, ScopeTarget, Gauge, "ddiscope_target_series", "", "Series the target's last successful poll produced (0 while it is down).", "samples in the target's snapshot"),
		derived(d, ScopeTarget, Gauge, "ddiscope_unknown_statistics", "", "Statistics the target reported in its last poll that the catalog does not know; each is logged once. They are not exported.", "statistics with no catalog entry"),
		derived("kea", ScopeDaemon, Gauge, "kea_daemon_up", "", "1 when the Kea daemon (dhcp4, dhcp6, d2) behind the target answered its last poll, 0 when it did not (for example a daemon down behind a working Control Agent). It stays at 0 while the agent answers with every daemon down (ddiscope_target_up is then 0); it is absent when the agent itself does not answer.", "result of the daemon's last statistic-get-all"),
	}
}
