package rules

// reloadAlert fires when ddiscope refused its configuration file on reload:
// the previous configuration still runs, so nothing breaks at once, but the
// change the operator made is not in force and the next restart fails.
// Prometheus' own mixin alerts the same way on its reloads.
func reloadAlert(c *Config) Alert {
	return Alert{
		Name: "DdiscopeConfigReloadFailed", Severity: Warning, Component: ComponentDdiscope,
		Expr:        "max_over_time(" + c.sel("ddiscope_config_last_reload_successful") + "[5m]) == 0",
		For:         minutes(10),
		Summary:     "ddiscope could not reload its configuration.",
		Description: "ddiscope at " + label("instance") + " refused its configuration file on the last reload, 10 minutes or more ago; it still runs the previous configuration.",
		Condition:   "`ddiscope_config_last_reload_successful` is 0 for 10 minutes",
		Dashboard:   UIDSelf,
		Identity:    []string{"job", "instance"},
		Runbook: Runbook{
			Meaning:   "A `SIGHUP` or `POST /-/reload` found the configuration file invalid (an unknown key, a bad value, a duplicate target name, a target that cannot be built). ddiscope kept the previous configuration, whole.",
			Impact:    "The change made to the file is not in force: added targets are not polled, removed ones still are. ddiscope will refuse to start with this file after a restart.",
			Diagnosis: "ddiscope's log has the error (`reload failed`), naming the file, the line and the key; so does the body of `POST /-/reload`. `ddiscope_config_last_reload_success_timestamp_seconds` says when the configuration in force was loaded.",
			Fix:       "Correct the file and reload again (`kill -HUP` or `curl -X POST http://127.0.0.1:19547/-/reload`); the alert resolves once a reload succeeds.",
		},
	}
}
