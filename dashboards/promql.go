package dashboards

import (
	"strings"

	"github.com/ddiscope/ddiscope/rules"
)

// gen builds every dashboard from one rules.Config, so that the selector,
// the thresholds and the links are the ones the alerts use.
type gen struct {
	cfg *rules.Config
	t   rules.Thresholds
}

func newGen(cfg *rules.Config) *gen { return &gen{cfg: cfg, t: cfg.Thresholds} }

// The template variables as label matchers. A variable set to All is ".*",
// which also matches the empty value (subnets outside a shared network).
const (
	onServer        = `server=~"$server"`
	onDaemon        = `daemon=~"$daemon"`
	onSharedNetwork = `shared_network=~"$shared_network"`
	onSubnet        = `subnet_id=~"$subnet_id"`
	onPool          = `pool_id=~"$pool_id"`
	onRelationship  = `relationship=~"$relationship"`
	onView          = `view=~"$view"`
	onZone          = `zone_name=~"$zone_name"`
)

// rateInterval is Grafana's window for rate(): at least four scrapes.
const rateInterval = "$__rate_interval"

// sel is a selector of one of ddiscope's series (or of a series recorded
// from them): the configured selector first, as in the rules.
func (g *gen) sel(metric string, matchers ...string) string {
	var ms []string
	if g.cfg.Selector != "" {
		ms = append(ms, g.cfg.Selector)
	}
	ms = append(ms, matchers...)
	if len(ms) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(ms, ", ") + "}"
}

// rate is the per-second rate of a counter over Grafana's rate interval.
func (g *gen) rate(metric string, matchers ...string) string {
	return "rate(" + g.sel(metric, matchers...) + "[" + rateInterval + "])"
}

// perMinute is a counter's rate per minute, the unit of the alert
// thresholds on allocation failures and declines.
func (g *gen) perMinute(metric string, matchers ...string) string {
	return g.rate(metric, matchers...) + " * 60"
}

// onlyDaemon keeps a DHCPv4 or DHCPv6 series while the daemon variable
// selects that daemon: kea_dhcp4_* series have no daemon label to filter.
func (g *gen) onlyDaemon(expr, daemon string) string {
	return "(" + expr + ")\nand on (server)\n" + g.sel("kea_daemon_up", onServer, `daemon="`+daemon+`"`, onDaemon)
}

// tag sets a constant label on every series of expr, as the rules do, so
// that a table can tell DHCPv4 rows from DHCPv6 rows.
func tag(expr, label, value string) string {
	return `label_replace(` + expr + `, "` + label + `", "` + value + `", "", "")`
}
