package dashboards

// Template variables. Each is named after the label it filters, so that
// the alerts' dashboard_url (?var-server=kea1) and the data links between
// dashboards set it. Each lists the values of series that exist in the
// selected time range, narrowed by the variables before it.

func (g *gen) serverVar(kind string) variable {
	m := []string{}
	if kind != "" {
		m = append(m, `kind="`+kind+`"`)
	}
	return variable{name: "server", label: "Server", query: "label_values(" + g.sel("ddiscope_target_up", m...) + ", server)"}
}

func (g *gen) daemonVar() variable {
	return variable{name: "daemon", label: "Daemon", query: "label_values(" + g.sel("kea_daemon_up", onServer) + ", daemon)"}
}

func (g *gen) sharedNetworkVar() variable {
	return variable{name: "shared_network", label: "Shared network",
		query: "label_values(" + g.sel(recordedNetwork, onServer, onDaemon) + ", shared_network)"}
}

func (g *gen) subnetVar(from string, matchers ...string) variable {
	return variable{name: "subnet_id", label: "Subnet ID",
		query: "label_values(" + g.sel(from, append([]string{onServer}, matchers...)...) + ", subnet_id)"}
}

func (g *gen) poolVar() variable {
	return variable{name: "pool_id", label: "Pool ID",
		query: "label_values(" + g.sel(recordedPool, onServer, onDaemon, onSharedNetwork, onSubnet) + ", pool_id)",
		empty: noPoolStats}
}

func (g *gen) relationshipVar() variable {
	return variable{name: "relationship", label: "HA relationship",
		query: "label_values(" + g.sel("kea_ha_info", onServer, onDaemon) + ", relationship)"}
}

func (g *gen) viewVar() variable {
	return variable{name: "view", label: "View", query: "label_values(" + g.sel("bind_zone_info", onServer) + ", view)"}
}

func (g *gen) zoneVar() variable {
	return variable{name: "zone_name", label: "Zone", query: "label_values(" + g.sel("bind_zone_info", onServer, onView) + ", zone_name)"}
}
