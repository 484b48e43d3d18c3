package catalog

import (
	"strings"
	"testing"
)

// The HA and lease metrics follow kea.go's conventions too: kea_ha_… and
// kea_daemon_… for Kea's own facts, kea_<daemon>_subnet_… and
// kea_<daemon>_fleet_… for DHCP ones, ddiscope_… for ddiscope's; units in
// the name; every series of a family with one label set.
func TestHAAndLeaseNaming(t *testing.T) {
	c, err := New(append(HA(), Leases()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Metrics {
		var prefixes []string
		switch {
		case m.Daemon == "kea":
			prefixes = []string{"kea_ha_", "kea_daemon_"}
		case m.Daemon == "ddiscope":
			prefixes = []string{"ddiscope_"}
		case m.Scope == ScopeSubnet:
			prefixes = []string{"kea_" + m.Daemon + "_subnet_"}
		case m.Scope == ScopePool:
			prefixes = []string{"kea_" + m.Daemon + "_pool_"}
		case m.Scope == ScopePDPool:
			prefixes = []string{"kea_" + m.Daemon + "_pd_pool_"}
		case m.Scope == ScopeProcess:
			prefixes = []string{"kea_" + m.Daemon + "_fleet_"}
		}
		ok := false
		for _, p := range prefixes {
			ok = ok || strings.HasPrefix(m.Name, p)
		}
		if !ok {
			t.Errorf("%s (%s, %s scope): want a prefix among %v", m.Name, m.Daemon, m.Scope, prefixes)
		}
		if (m.Unit == "seconds") != strings.HasSuffix(m.Name, "_seconds") || (m.Unit == "ratio") != strings.HasSuffix(m.Name, "_ratio") {
			t.Errorf("%s: unit %q and name disagree", m.Name, m.Unit)
		}
		if len(m.Source) != 0 {
			t.Errorf("%s: HA and lease metrics are derived, not read from statistic-get-all", m.Name)
		}
		for _, l := range m.Extra {
			if l == "le" {
				t.Errorf("%s: label le is for histograms; these buckets are gauges (within)", m.Name)
			}
		}
	}
	for _, pair := range [][2]string{{"kea_ha_state", "state"}, {"kea_ha_partner_state", "state"}, {"kea_dhcp4_subnet_leases_expiring", "within"}} {
		m := c.Metric(pair[0])
		if m == nil || m.Extra[len(m.Extra)-1] != pair[1] {
			t.Errorf("%s: want its last label to be %s", pair[0], pair[1])
		}
	}
}

// Every state Kea documents is in the one-hot family, and the partner's
// family also has "unavailable".
func TestHAStates(t *testing.T) {
	for _, s := range []string{"waiting", "syncing", "ready", "load-balancing", "hot-standby", "backup", "partner-down",
		"partner-in-maintenance", "in-maintenance", "passive-backup", "communication-recovery", "terminated"} {
		found := false
		for _, h := range HAStates {
			found = found || h == s
		}
		if !found {
			t.Errorf("state %s missing from HAStates", s)
		}
	}
	if HAPartnerStates[len(HAPartnerStates)-1] != "unavailable" || len(HAPartnerStates) != len(HAStates)+1 {
		t.Errorf("HAPartnerStates = %v", HAPartnerStates)
	}
}
