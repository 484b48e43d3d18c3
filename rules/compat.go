package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

// Paths of the migration rule files. Prometheus loads them only when a
// rule_files entry names them: the example prometheus.yml does not.
const (
	KeaExporterCompatFile = "deploy/prometheus/compat/kea-exporter.rules.yml"
	StorkCompatFile       = "deploy/prometheus/compat/stork.rules.yml"
)

// CompatJob is the job label of every series the migration rules record.
// Four old names (kea_dhcp{4,6}_packets_{received,sent}_total) are also
// ddiscope metrics with another meaning; a job of their own keeps the old
// series out of every selector of ddiscope's rules and dashboards, and is
// what an old dashboard's job filter is pointed at.
const CompatJob = "ddiscope-compat"

// Legacy is one metric of an exporter ddiscope replaces, published again
// under its old name by a recording rule over ddiscope's series.
type Legacy struct {
	Name   string   // the old metric name
	Labels []string // its labels, besides job and instance
	Type   string   // its TYPE in the old exporter
	Expr   string   // the PromQL recording it from ddiscope's series
	Note   string   // what differs, for docs/migrating.md
}

// Unmapped is an old metric no rule publishes, and why.
type Unmapped struct {
	Name, Labels, Why string
}

// Exporter is an exporter ddiscope replaces: its metrics, the rule file
// that publishes them again, and what has no equivalent.
type Exporter struct {
	Key      string // rule group name and short name: "kea-exporter", "stork"
	Title    string // which exporter and version the names are from
	File     string
	Metrics  []Legacy
	Unmapped []Unmapped
}

// compat builds the expressions of the migration rules from ddiscope's
// metrics, with the configured selector.
type compat struct{ c *Config }

// subnet is a subnet-scope metric with the old label set: shared_network,
// which neither old exporter had, is dropped.
func (b compat) subnet(metric string) string {
	return "sum without (shared_network) (" + b.c.sel(metric) + ")"
}

// pool is a pool-scope metric without shared_network and pool_id: the old
// exporters told pools apart by the pool label only.
func (b compat) pool(metric string) string {
	return "sum without (shared_network, pool_id) (" + b.c.sel(metric) + ")"
}

// subnetAndPool is the kea-exporter shape: subnet series (no pool label,
// which is kea-exporter's pool="") and pool series in one name.
func (b compat) subnetAndPool(subnet, pool string) string {
	return union(b.subnet(subnet), b.pool(pool))
}

// stork is a subnet-scope metric with Stork's labels: shared_network as
// ddiscope has it, and prefix, the subnet prefix, which ddiscope always
// knows (from config-get).
func (b compat) stork(metric string) string {
	return fmt.Sprintf(`label_replace(%s, "prefix", "$1", "subnet", "(.*)")`, b.c.sel(metric))
}

// storkPool is a pool-scope metric with Stork's labels: pool_id as Kea
// numbers pools, and no pool (range) label.
func (b compat) storkPool(metric string) string {
	return fmt.Sprintf(`label_replace(sum without (pool) (%s), "prefix", "$1", "subnet", "(.*)")`, b.c.sel(metric))
}

// operations turns some values of a by-type metric's type label into the
// old operation label; re captures the operation from the type.
func (b compat) operations(metric, re string, types ...string) string {
	return fmt.Sprintf(`sum without (type) (label_replace(%s, "operation", "$1", "type", %q))`,
		b.c.sel(metric, fmt.Sprintf("type=~%q", regexAlt(types))), re)
}

// received is the old packets_received_total: packets by type, plus the
// two drop counters the old exporters filed under it as operations.
func (b compat) received(daemon string, types ...string) string {
	pkt := "kea_" + daemon + "_packets_"
	return union(
		b.operations(pkt+"received_by_type_total", "(.*)", types...),
		tag("sum without (reason) ("+b.c.sel(pkt+"dropped_by_reason_total", `reason="parse_failed"`)+")", "operation", "parse-failed"),
		tag(b.c.sel(pkt+"dropped_total"), "operation", "drop"),
	)
}

// allocationFailures is kea-exporter's allocations_failed_total: ddiscope's
// reason label, as context, spelt with a hyphen as Kea's statistic is.
func (b compat) allocationFailures(daemon string) string {
	return fmt.Sprintf(`sum without (reason, shared_network) (label_replace(label_replace(%s, "context", "$1", "reason", "(.*)"), "context", "$1-$2", "context", "(.*)_(.*)"))`,
		b.c.sel("kea_"+daemon+"_subnet_allocation_failures_by_reason_total"))
}

// Exporters returns the exporters ddiscope publishes old names for.
func (c *Config) Exporters() []Exporter {
	return []Exporter{c.keaExporter(), c.storkAgent()}
}

var (
	dhcp4Received = []string{"discover", "offer", "request", "ack", "nak", "release", "decline", "inform", "unknown"}
	dhcp6Received = []string{"solicit", "advertise", "request", "reply", "renew", "rebind", "release", "decline", "infrequest", "unknown"}
	packetLabels  = []string{"operation"}
	subnetLabels  = []string{"subnet", "subnet_id"}
	poolLabels    = []string{"subnet", "subnet_id", "pool"}
	storkLabels   = []string{"subnet", "subnet_id", "prefix", "shared_network"}
	storkPoolLbls = []string{"pool_id", "subnet", "subnet_id", "prefix", "shared_network"}
)

const (
	notePackets   = "operation=parse-failed is `kea_DHCP_packets_dropped_by_reason_total{reason=\"parse_failed\"}`, operation=drop is `kea_DHCP_packets_dropped_total`."
	notePool      = "Subnet series have no pool label (kea-exporter's pool=\"\"); pool series (Kea 2.4+) have ddiscope's pool label: the pool's range without spaces, or the ranges sharing one pool-id joined by commas."
	noteDHCP4o6   = "operation is the type without its `dhcpv4_` prefix."
	noteContext   = "context is ddiscope's reason with `_` spelt `-` (shared-network, subnet, no-pools, classes)."
	noteStork     = "prefix is the subnet prefix, and so is subnet: Stork fell back to the subnet id when it could not list the subnets; ddiscope always has the prefix."
	noteStorkPool = "Kea 2.4+. pool_id is Kea's pool-id, as in Stork; ddiscope's pool (range) label is dropped."
	noteStorkGlob = "Stork's global gauges had no labels; these carry server, one series per Kea server."
)

// keaExporter is kea-exporter 0.7 (github.com/mweinelt/kea-exporter). Every
// metric of 0.7 is a gauge, its names all end in _total; subnet and pool
// series share a name, told apart by pool ("" on subnet series).
func (c *Config) keaExporter() Exporter {
	b := compat{c}
	g := func(name string, ls []string, expr, note string) Legacy {
		return Legacy{Name: name, Labels: ls, Type: "gauge", Expr: expr, Note: note}
	}
	return Exporter{
		Key:   "kea-exporter",
		Title: "kea-exporter 0.7 (github.com/mweinelt/kea-exporter)",
		File:  KeaExporterCompatFile,
		Metrics: []Legacy{
			g("kea_dhcp4_packets_sent_total", packetLabels, b.operations("kea_dhcp4_packets_sent_by_type_total", "(.*)", "ack", "nak", "offer"), ""),
			g("kea_dhcp4_packets_received_total", packetLabels, b.received("dhcp4", dhcp4Received...), strings.ReplaceAll(notePackets, "DHCP", "dhcp4")),
			g("kea_dhcp4_allocations_failed_total", []string{"subnet", "subnet_id", "context"}, b.allocationFailures("dhcp4"), noteContext),
			g("kea_dhcp4_addresses_assigned_total", poolLabels, b.subnetAndPool("kea_dhcp4_subnet_addresses_assigned", "kea_dhcp4_pool_addresses_assigned"), notePool),
			g("kea_dhcp4_addresses_declined_total", poolLabels, b.subnetAndPool("kea_dhcp4_subnet_addresses_declined", "kea_dhcp4_pool_addresses_declined"), notePool),
			g("kea_dhcp4_addresses_declined_reclaimed_total", poolLabels, b.subnetAndPool("kea_dhcp4_subnet_reclaimed_declined_addresses_total", "kea_dhcp4_pool_reclaimed_declined_addresses_total"), notePool),
			g("kea_dhcp4_addresses_reclaimed_total", poolLabels, b.subnetAndPool("kea_dhcp4_subnet_reclaimed_leases_total", "kea_dhcp4_pool_reclaimed_leases_total"), notePool),
			g("kea_dhcp4_addresses_total", poolLabels, b.subnetAndPool("kea_dhcp4_subnet_addresses", "kea_dhcp4_pool_addresses"), notePool),
			g("kea_dhcp4_reservation_conflicts_total", subnetLabels, b.subnet("kea_dhcp4_subnet_reservation_conflicts_total"), ""),
			g("kea_dhcp4_leases_reused_total", subnetLabels, b.subnet("kea_dhcp4_subnet_lease_reuses_total"), ""),

			g("kea_dhcp6_packets_sent_total", packetLabels, b.operations("kea_dhcp6_packets_sent_by_type_total", "(.*)", "advertise", "reply"), ""),
			g("kea_dhcp6_packets_received_total", packetLabels, b.received("dhcp6", dhcp6Received...), strings.ReplaceAll(notePackets, "DHCP", "dhcp6")),
			g("kea_dhcp6_packets_sent_dhcp4_total", packetLabels, b.operations("kea_dhcp6_packets_sent_by_type_total", "dhcpv4_(.*)", "dhcpv4_response"), noteDHCP4o6),
			g("kea_dhcp6_packets_received_dhcp4_total", packetLabels, b.operations("kea_dhcp6_packets_received_by_type_total", "dhcpv4_(.*)", "dhcpv4_query", "dhcpv4_response"), noteDHCP4o6),
			g("kea_dhcp6_allocations_failed_total", []string{"subnet", "subnet_id", "context"}, b.allocationFailures("dhcp6"), noteContext),
			g("kea_dhcp6_addresses_declined_total", poolLabels, b.subnetAndPool("kea_dhcp6_subnet_addresses_declined", "kea_dhcp6_pool_addresses_declined"), notePool),
			g("kea_dhcp6_addresses_declined_reclaimed_total", poolLabels, b.subnetAndPool("kea_dhcp6_subnet_reclaimed_declined_addresses_total", "kea_dhcp6_pool_reclaimed_declined_addresses_total"), notePool),
			g("kea_dhcp6_addresses_reclaimed_total", poolLabels, b.subnetAndPool("kea_dhcp6_subnet_reclaimed_leases_total", "kea_dhcp6_pool_reclaimed_leases_total"), notePool+" Prefix-delegation pools are left out, as kea-exporter left them out."),
			g("kea_dhcp6_na_assigned_total", poolLabels, b.subnetAndPool("kea_dhcp6_subnet_addresses_assigned", "kea_dhcp6_pool_addresses_assigned"), notePool),
			g("kea_dhcp6_na_total", poolLabels, b.subnetAndPool("kea_dhcp6_subnet_addresses", "kea_dhcp6_pool_addresses"), notePool),
			g("kea_dhcp6_na_reuses_total", poolLabels, b.subnet("kea_dhcp6_subnet_address_lease_reuses_total"), "Kea reports reuses per subnet only: every series has pool=\"\"."),
			g("kea_dhcp6_pd_assigned_total", subnetLabels, b.subnet("kea_dhcp6_subnet_prefixes_assigned"), ""),
			g("kea_dhcp6_pd_total", subnetLabels, b.subnet("kea_dhcp6_subnet_prefixes"), ""),
			g("kea_dhcp6_pd_reuses_total", poolLabels, b.subnet("kea_dhcp6_subnet_prefix_lease_reuses_total"), "Kea reports reuses per subnet only: every series has pool=\"\"."),
		},
		Unmapped: []Unmapped{
			{"kea_dhcp6_reservation_conflicts_total", "subnet, subnet_id", "kea-exporter maps a v6-reservation-conflicts statistic, but Kea's DHCPv6 server reports none (not in the statistic-get-all captures of Kea 2.2 to 3.1 under testdata/kea), so the series never had a value and ddiscope's catalog has no such metric."},
			{"per-pool series of kea-exporter's pool index", "pool", "kea-exporter read `subnet[N].pool[M]` with M as the position of the pool in the configuration; Kea 2.4+ numbers them by pool-id. ddiscope labels pool series by pool-id (pool_id, pool), so they match kea-exporter's only where pools have no pool-id or ids equal to their positions."},
		},
	}
}

// storkAgent is the Stork agent's Prometheus exporter for Kea
// (isc-projects/stork, backend/agent/promkeaexporter.go, as in current 2.x
// releases). Every metric is a gauge, counters and sizes alike, most named
// _total.
func (c *Config) storkAgent() Exporter {
	b := compat{c}
	g := func(name string, ls []string, expr, note string) Legacy {
		return Legacy{Name: name, Labels: ls, Type: "gauge", Expr: expr, Note: note}
	}
	return Exporter{
		Key:   "stork",
		Title: "the Stork agent's Kea exporter (github.com/isc-projects/stork, backend/agent/promkeaexporter.go, current 2.x)",
		File:  StorkCompatFile,
		Metrics: []Legacy{
			g("kea_dhcp4_packets_sent_total", packetLabels, b.operations("kea_dhcp4_packets_sent_by_type_total", "(.*)", "ack", "nak", "offer"), ""),
			g("kea_dhcp4_packets_received_total", packetLabels, b.received("dhcp4", dhcp4Received...), strings.ReplaceAll(notePackets, "DHCP", "dhcp4")),
			g("kea_dhcp4_addresses_assigned_total", storkLabels, b.stork("kea_dhcp4_subnet_addresses_assigned"), noteStork),
			g("kea_dhcp4_addresses_declined_total", storkLabels, b.stork("kea_dhcp4_subnet_addresses_declined"), noteStork),
			g("kea_dhcp4_addresses_declined_reclaimed_total", storkLabels, b.stork("kea_dhcp4_subnet_reclaimed_declined_addresses_total"), noteStork),
			g("kea_dhcp4_addresses_reclaimed_total", storkLabels, b.stork("kea_dhcp4_subnet_reclaimed_leases_total"), noteStork),
			g("kea_dhcp4_addresses_total", storkLabels, b.stork("kea_dhcp4_subnet_addresses"), noteStork),
			g("kea_dhcp4_cumulative_addresses_assigned_total", storkLabels, b.stork("kea_dhcp4_subnet_addresses_assigned_cumulative_total"), noteStork),
			g("kea_dhcp4_pool_addresses_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_addresses_assigned"), noteStorkPool),
			g("kea_dhcp4_pool_addresses_declined_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_addresses_declined"), noteStorkPool),
			g("kea_dhcp4_pool_addresses_reclaimed_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_reclaimed_leases_total"), noteStorkPool),
			g("kea_dhcp4_pool_addresses_declined_reclaimed_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_reclaimed_declined_addresses_total"), noteStorkPool),
			g("kea_dhcp4_pool_addresses_cumulative_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_addresses_assigned_cumulative_total"), noteStorkPool),
			g("kea_dhcp4_pool_addresses_total", storkPoolLbls, b.storkPool("kea_dhcp4_pool_addresses"), noteStorkPool),
			g("kea_dhcp4_global4_cumulative_addresses_assigned_total", nil, b.c.sel("kea_dhcp4_addresses_assigned_cumulative_total"), noteStorkGlob),
			g("kea_dhcp4_global4_addresses_declined_total", nil, b.c.sel("kea_dhcp4_addresses_declined"), noteStorkGlob),
			g("kea_dhcp4_global4_addresses_declined_reclaimed_total", nil, b.c.sel("kea_dhcp4_reclaimed_declined_addresses_total"), noteStorkGlob),
			g("kea_dhcp4_global4_addresses_reclaimed_total", nil, b.c.sel("kea_dhcp4_reclaimed_leases_total"), noteStorkGlob),

			g("kea_dhcp6_packets_sent_total", packetLabels, b.operations("kea_dhcp6_packets_sent_by_type_total", "(.*)", "advertise", "reply"), ""),
			g("kea_dhcp6_packets_received_total", packetLabels, b.received("dhcp6", dhcp6Received...), strings.ReplaceAll(notePackets, "DHCP", "dhcp6")),
			g("kea_dhcp6_packets_sent_dhcp4_total", packetLabels, b.operations("kea_dhcp6_packets_sent_by_type_total", "dhcpv4_(.*)", "dhcpv4_response"), noteDHCP4o6),
			g("kea_dhcp6_packets_received_dhcp4_total", packetLabels, b.operations("kea_dhcp6_packets_received_by_type_total", "dhcpv4_(.*)", "dhcpv4_query", "dhcpv4_response"), noteDHCP4o6),
			g("kea_dhcp6_na_total", storkLabels, b.stork("kea_dhcp6_subnet_addresses"), noteStork),
			g("kea_dhcp6_na_assigned_total", storkLabels, b.stork("kea_dhcp6_subnet_addresses_assigned"), noteStork),
			g("kea_dhcp6_pd_total", storkLabels, b.stork("kea_dhcp6_subnet_prefixes"), noteStork),
			g("kea_dhcp6_pd_assigned_total", storkLabels, b.stork("kea_dhcp6_subnet_prefixes_assigned"), noteStork),
			g("kea_dhcp6_addresses_reclaimed_total", storkLabels, b.stork("kea_dhcp6_subnet_reclaimed_leases_total"), noteStork),
			g("kea_dhcp6_addresses_declined_total", storkLabels, b.stork("kea_dhcp6_subnet_addresses_declined"), noteStork),
			g("kea_dhcp6_addresses_declined_reclaimed_total", storkLabels, b.stork("kea_dhcp6_subnet_reclaimed_declined_addresses_total"), noteStork),
			g("kea_dhcp6_cumulative_nas_assigned_total", storkLabels, b.stork("kea_dhcp6_subnet_addresses_assigned_cumulative_total"), noteStork),
			g("kea_dhcp6_cumulative_pds_assigned_total", storkLabels, b.stork("kea_dhcp6_subnet_prefixes_assigned_cumulative_total"), noteStork),
			g("kea_dhcp6_pool_na_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_addresses_assigned"), noteStorkPool),
			g("kea_dhcp6_pool_addresses_declined_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_addresses_declined"), noteStorkPool),
			g("kea_dhcp6_pool_addresses_reclaimed_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_reclaimed_leases_total"), noteStorkPool),
			g("kea_dhcp6_pool_addresses_declined_reclaimed_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_reclaimed_declined_addresses_total"), noteStorkPool),
			g("kea_dhcp6_pool_cumulative_nas_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_addresses_assigned_cumulative_total"), noteStorkPool),
			g("kea_dhcp6_pool_na_total", storkPoolLbls, b.storkPool("kea_dhcp6_pool_addresses"), noteStorkPool),
			g("kea_dhcp6_pool_pd_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp6_pd_pool_prefixes_assigned"), noteStorkPool),
			g("kea_dhcp6_pool_pd_addresses_reclaimed_total", storkPoolLbls, b.storkPool("kea_dhcp6_pd_pool_reclaimed_leases_total"), noteStorkPool),
			g("kea_dhcp6_pool_cumulative_pds_assigned_total", storkPoolLbls, b.storkPool("kea_dhcp6_pd_pool_prefixes_assigned_cumulative_total"), noteStorkPool),
			g("kea_dhcp6_pool_pd_total", storkPoolLbls, b.storkPool("kea_dhcp6_pd_pool_prefixes"), noteStorkPool),
			g("kea_dhcp6_global6_addresses_declined_total", nil, b.c.sel("kea_dhcp6_addresses_declined"), noteStorkGlob),
			g("kea_dhcp6_global6_cumulative_nas_assigned_total", nil, b.c.sel("kea_dhcp6_addresses_assigned_cumulative_total"), noteStorkGlob),
			g("kea_dhcp6_global6_cumulative_pds_assigned_total", nil, b.c.sel("kea_dhcp6_prefixes_assigned_cumulative_total"), noteStorkGlob),
			g("kea_dhcp6_global6_addresses_declined_reclaimed_total", nil, b.c.sel("kea_dhcp6_reclaimed_declined_addresses_total"), noteStorkGlob),
			g("kea_dhcp6_global6_addresses_reclaimed_total", nil, b.c.sel("kea_dhcp6_reclaimed_leases_total"), noteStorkGlob),
		},
		Unmapped: []Unmapped{
			{"storkagent_promkeaexporter_uptime_seconds", "", "The Stork agent's own uptime. ddiscope's own health is in its self-metrics (`ddiscope_target_up`, `ddiscope_last_success_timestamp_seconds`, docs/metrics.md), which mean something else."},
			{"storkagent_appmonitor_monitored_kea_apps_total", "", "How many Kea applications the agent found on its host. ddiscope polls the targets of its configuration: `ddiscope_target_up` has one series per target."},
			{"storkagent_promkeaexporter_{active,configured}_dhcp{4,6}_daemons_total", "", "Daemons behind the agent's Control Agent. ddiscope's `kea_daemon_up{daemon}` says per daemon whether it answers; counting them is `count by (server) (kea_daemon_up == 1)`, not a name an old dashboard knows."},
			{"kea_exporter_build_info", "version, revision, …", "The Stork agent's build; ddiscope exports no build-info series of its own."},
			{"older agents' label sets", "", "Older Stork agents labelled subnet series with subnet only, later subnet, subnet_id and prefix, and had no pool series; the rules give the current, fuller set, which the older dashboards' selectors still match."},
		},
	}
}

// CompatGroups returns the migration rules as rule groups, one per
// exporter, for Check.
func (c *Config) CompatGroups() []Group {
	var gs []Group
	for _, e := range c.Exporters() {
		g := Group{Name: "compat-" + e.Key}
		for _, m := range e.Metrics {
			g.Recordings = append(g.Recordings, Recording{Record: m.Name, Expr: m.Expr, Help: m.Note})
		}
		gs = append(gs, g)
	}
	return gs
}

// CompatRules renders one exporter's rule file: every rule records an old
// name with job set to CompatJob.
func (c *Config) CompatRules(e Exporter) ([]byte, error) {
	var rs []*yaml.Node
	for _, m := range e.Metrics {
		n, err := node(rule{Record: m.Name, Expr: m.Expr, Labels: map[string]string{"job": CompatJob}},
			fmt.Sprintf("%s {%s} (%s)", m.Name, strings.Join(m.Labels, ", "), m.Type))
		if err != nil {
			return nil, err
		}
		rs = append(rs, n)
	}
	doc := mapping("groups", sequence([]*yaml.Node{mapping("name", scalar("ddiscope-compat-"+e.Key), "rules", sequence(rs))}))
	return render(doc, fmt.Sprintf(`# Migration rules: the metric names and labels of %s,
# recorded from ddiscope's series so that existing dashboards keep working during a migration (docs/migrating.md).
# Not loaded by default: add this file to rule_files in prometheus.yml. Every series has job=%q.
`, e.Title, CompatJob))
}

// MetricsOf returns the metric names an expression's selectors read, in
// order of first use.
func MetricsOf(expr string) ([]string, error) {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
					name = m.Value
				}
			}
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		return nil
	})
	return names, nil
}
