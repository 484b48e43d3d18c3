package catalog

// Reload returns ddiscope's metrics about loading its configuration, under
// the names Prometheus and Alertmanager use for the same facts, so that an
// existing "bad configuration" alert pattern applies unchanged.
func Reload() []*Metric {
	const d = "ddiscope"
	return []*Metric{
		derived(d, ScopeProcess, Gauge, "ddiscope_config_last_reload_successful", "", "1 when the last configuration load (start-up, SIGHUP or POST /-/reload) succeeded, 0 when it failed and the previous configuration stayed in force.", "result of the last configuration load"),
		derived(d, ScopeProcess, Gauge, "ddiscope_config_last_reload_success_timestamp_seconds", "seconds", "Unix time of the last successful configuration load, start-up included.", "time of the last successful configuration load"),
	}
}
