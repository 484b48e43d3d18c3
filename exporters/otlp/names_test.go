package otlp

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
)

// The OTel names and units the push uses, derived from the catalog by the
// rule of catalog/otlp.go.
func TestOTelNames(t *testing.T) {
	cat := testCatalog(t)
	for prom, want := range map[string][2]string{
		"kea_dhcp4_packets_received_total":                     {"kea.dhcp4.packets.received", "{packet}"},
		"kea_dhcp4_packets_received_by_type_total":             {"kea.dhcp4.packets.received.by_type", "{packet}"},
		"kea_dhcp4_subnet_addresses_assigned":                  {"kea.dhcp4.subnet.addresses.assigned", "{address}"},
		"kea_dhcp4_subnet_utilization_ratio":                   {"kea.dhcp4.subnet.utilization", "1"},
		"kea_dhcp4_shared_network_addresses":                   {"kea.dhcp4.shared_network.addresses", "{address}"},
		"kea_dhcp6_pd_pool_prefixes_assigned_cumulative_total": {"kea.dhcp6.pd_pool.prefixes.assigned.cumulative", "{prefix}"},
		"kea_dhcp6_subnet_prefix_lease_reuses_total":           {"kea.dhcp6.subnet.prefix.lease.reuses", "{reuse}"},
		"kea_d2_ncr_received_total":                            {"kea.d2.ncr.received", "{request}"},
		"kea_d2_queue_full_total":                              {"kea.d2.queue.full", "{request}"},
		"kea_d2_updates_by_result_total":                       {"kea.d2.updates.by_result", "{update}"},
		"kea_daemon_up":                                        {"kea.daemon.up", ""},
		"ddiscope_poll_duration_seconds":                       {"ddiscope.poll.duration", "s"},
		"ddiscope_last_success_timestamp_seconds":              {"ddiscope.last_success.timestamp", "s"},
		"ddiscope_poll_errors_total":                           {"ddiscope.poll.errors", "{error}"},
		"ddiscope_otlp_data_points_dropped_total":              {"ddiscope.otlp.data_points.dropped", "{data_point}"},
	} {
		m := cat.Metric(prom)
		if m == nil {
			t.Errorf("%s is not in the catalog", prom)
			continue
		}
		if got := [2]string{catalog.OTelName(m), catalog.OTelUnit(m)}; got != want {
			t.Errorf("%s → %q %q, want %q %q", prom, got[0], got[1], want[0], want[1])
		}
	}
}

// otelName is the OpenTelemetry API's instrument name syntax.
var otelName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$`)

// Every catalog metric gets a valid, unique OTel name, and every Kea
// statistic says what it counts.
func TestOTelNamesCoverTheCatalog(t *testing.T) {
	cat := testCatalog(t)
	if err := checkNames(cat); err != nil {
		t.Fatal(err)
	}
	for _, m := range cat.Metrics {
		n, u := catalog.OTelName(m), catalog.OTelUnit(m)
		if !otelName.MatchString(n) {
			t.Errorf("%s → %q is not a valid instrument name", m.Name, n)
		}
		if strings.Contains(n, "__") || strings.Contains(n, "..") || strings.HasSuffix(n, ".total") {
			t.Errorf("%s → %q", m.Name, n)
		}
		// A Kea statistic without a unit is a count.
		keaCount := strings.HasPrefix(m.Name, "kea_") && len(m.Source) > 0 && m.Unit == ""
		if keaCount && !strings.HasPrefix(u, "{") {
			t.Errorf("%s counts something but its unit is %q: add its noun to catalog/otlp.go", m.Name, u)
		}
	}
}
