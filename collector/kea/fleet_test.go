package kea

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// A server in no HA relationship adds each of its subnets once to the
// fleet totals and to its shared networks' totals, beside a pair whose
// subnets are counted once for both peers.
func TestFleetCountsAStandaloneServerOnce(t *testing.T) {
	cat := testCat(t)
	dir := t.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	os.WriteFile(stats, keagen.StatisticGetAll4(300, 1, false), 0o644)
	os.WriteFile(conf, keagen.ConfigGet4(300), 0o644)
	alone := keafixture.New(t, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	_, c := pollOnce(t, cat, "kea-alone", alone.URL, Options{Daemons: []string{"dhcp4"}})
	s1, _ := replay(t, kea22Pair("server1"))
	s2, _ := replay(t, kea22Pair("server2"))
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	pair := derive(cat, a, b)
	pairTotal, _ := value(pair, "kea_dhcp4_fleet_addresses", nil)
	pairAssigned, _ := value(pair, "kea_dhcp4_fleet_addresses_assigned", nil)

	var total, assigned, sharedTotal, sharedAssigned float64
	for _, s := range c.Samples {
		var to, sh *float64
		switch s.Metric.Name {
		case "kea_dhcp4_subnet_addresses":
			to, sh = &total, &sharedTotal
		case "kea_dhcp4_subnet_addresses_assigned":
			to, sh = &assigned, &sharedAssigned
		default:
			continue
		}
		*to += s.Value
		if s.ID.Values[3] == "gen-shared" {
			*sh += s.Value
		}
	}
	if total == 0 || assigned == 0 || sharedTotal == 0 || sharedAssigned == 0 || sharedTotal == total {
		t.Fatalf("the standalone server's data do not exercise the totals: %v %v %v %v", total, assigned, sharedTotal, sharedAssigned)
	}
	out := derive(cat, a, c, b)
	want(t, out, "kea_dhcp4_fleet_addresses", nil, pairTotal+total)
	want(t, out, "kea_dhcp4_fleet_addresses_assigned", nil, pairAssigned+assigned)
	want(t, out, "kea_dhcp4_fleet_shared_network_addresses", map[string]string{"shared_network": "gen-shared"}, sharedTotal)
	want(t, out, "kea_dhcp4_fleet_shared_network_addresses_assigned", map[string]string{"shared_network": "gen-shared"}, sharedAssigned)
	want(t, out, "kea_dhcp4_fleet_shared_network_utilization_ratio", map[string]string{"shared_network": "gen-shared"}, sharedAssigned/sharedTotal)
}
