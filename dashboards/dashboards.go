// Package dashboards generates ddiscope's Grafana dashboards with
// grafana-foundation-sdk, from the metric catalog and the same
// rules.Config as the alerts: the selector, the thresholds, the dashboard
// UIDs the alerts link to and the config editor's URLs all come from
// package rules, so a dashboard's orange line is where its alert fires and
// an alert's dashboard_url opens the dashboard that explains it.
//
// ddiscope-gen writes them, with Grafana's provisioning files, under
// deploy/grafana (Write). The daemon never imports this package.
package dashboards

import (
	"github.com/ddiscope/ddiscope/rules"
)

// boards describes every dashboard, in the order of rules.Dashboards and
// the header links.
func boards(cfg *rules.Config) ([]board, error) {
	r, err := lookupRefs()
	if err != nil {
		return nil, err
	}
	g := newGen(cfg)
	return []board{
		g.overview(r),
		g.dhcp(r, dhcp4),
		g.dhcp(r, dhcp6),
		g.subnets(r),
		g.ha(r),
		g.leases(r),
		g.bind(r),
		g.self(r),
	}, nil
}
