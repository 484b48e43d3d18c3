package edit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// As Kea 2.2's config-get writes it: the inherited lifetimes are written
// into the shared network and every subnet; subnet 2 has its own valid
// lifetime (5000).
const snConf = `{"Dhcp4": {"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800, "min-valid-lifetime": 3600, "max-valid-lifetime": 3600,
  "shared-networks": [{"name": "lab-lan", "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800, "min-valid-lifetime": 3600, "max-valid-lifetime": 3600,
    "option-data": [], "relay": {"ip-addresses": []},
    "subnet4": [
      {"id": 1, "subnet": "198.18.0.0/24", "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800, "min-valid-lifetime": 3600, "max-valid-lifetime": 3600},
      {"id": 2, "subnet": "198.18.1.0/24", "valid-lifetime": 5000, "renew-timer": 900, "rebind-timer": 1800, "min-valid-lifetime": 3600, "max-valid-lifetime": 5000}]}]}}`

func snEdit(t *testing.T, f SharedNetworkSettings) (map[string]any, error) {
	t.Helper()
	c, err := apply.ParseConfig([]byte(snConf))
	if err != nil {
		t.Fatal(err)
	}
	f.Daemon = "dhcp4"
	if f.Name == "" {
		f.Name = "lab-lan"
	}
	err = f.Edit()("kea1", c)
	d, _ := c.Daemon("dhcp4")
	return d["shared-networks"].([]any)[0].(map[string]any), err
}

func TestSharedNetworkSettingsSubnetsFollow(t *testing.T) {
	sn, err := snEdit(t, SharedNetworkSettings{Settings: Settings{Valid: "7200", Renew: "1000", Rebind: "2000", Routers: "198.18.1.1", Relay: "198.18.2.250"}})
	if err != nil {
		t.Fatal(err)
	}
	if vals(sn["valid-lifetime"], sn["renew-timer"], sn["rebind-timer"], sn["min-valid-lifetime"], sn["max-valid-lifetime"]) != "7200 1000 2000 7200 7200" {
		t.Fatalf("shared network: %v", sn)
	}
	if fmt.Sprint(sn["option-data"], sn["relay"]) != "[map[data:198.18.1.1 name:routers]] map[ip-addresses:[198.18.2.250]]" {
		t.Fatalf("options and relay: %v %v", sn["option-data"], sn["relay"])
	}
	subs := sn["subnet4"].([]any)
	s1, s2 := subs[0].(map[string]any), subs[1].(map[string]any)
	// Subnet 1 had the shared network's values: it inherits the new ones.
	for _, k := range followKeys {
		if _, ok := s1[k]; ok {
			t.Errorf("subnet 1 keeps %s = %v: it would not follow the shared network", k, s1[k])
		}
	}
	// Subnet 2 keeps its own valid lifetime and bound, follows the rest.
	if vals(s2["valid-lifetime"], s2["max-valid-lifetime"], s2["renew-timer"], s2["min-valid-lifetime"]) != "5000 5000 <nil> <nil>" {
		t.Errorf("subnet 2: %v", s2)
	}
}

func TestSharedNetworkSettingsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		f    SharedNetworkSettings
		want string
	}{
		{"RenewAfterRebind", SharedNetworkSettings{Settings: Settings{Renew: "3000"}}, "lifetimes out of order: renew-timer (3000) must be less than rebind-timer (1800)"},
		{"ValidBeforeRebindInherited", SharedNetworkSettings{Settings: Settings{Valid: "1000", Renew: "900", Rebind: "1800"}}, "rebind-timer (1800) must be less than valid-lifetime (1000)"},
		{"RouterOutsideEverySubnet", SharedNetworkSettings{Settings: Settings{Routers: "198.18.9.1"}}, "router 198.18.9.1 is outside every subnet of shared network lab-lan (198.18.0.0/24, 198.18.1.0/24)"},
		{"RouterNotAnAddress", SharedNetworkSettings{Settings: Settings{Routers: "198.18.0.300"}}, `"198.18.0.300" is not an IPv4 address`},
		{"UndefinedClass", SharedNetworkSettings{Settings: Settings{ClientClass: "nosuch"}}, `client class "nosuch" is not defined`},
		// Subnet 2's own valid lifetime (5000) is below the new rebind timer.
		{"SubnetOwnValueOutOfOrder", SharedNetworkSettings{Settings: Settings{Valid: "9000", Renew: "3000", Rebind: "6000"}}, "subnet 2 keeps a value of its own: lifetimes out of order: rebind-timer (6000) must be less than valid-lifetime (5000)"},
		{"UnknownSharedNetwork", SharedNetworkSettings{Name: "nosuch"}, `there is no shared network "nosuch"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := snEdit(t, c.f); !strings.Contains(message(err), c.want) {
				t.Fatalf("got %q, want %q", message(err), c.want)
			}
		})
	}
}

func TestCurrentSharedNetworkSettings(t *testing.T) {
	c, _ := apply.ParseConfig([]byte(snConf))
	f, ps, err := CurrentSharedNetworkSettings(c, "dhcp4", "lab-lan")
	if err != nil || f.Valid != "3600" || f.Rebind != "1800" || len(ps) != 2 {
		t.Fatalf("%+v %v %v", f, ps, err)
	}
}

// vals writes values separated by spaces (fmt.Sprint does not separate
// json.Number, a string type).
func vals(v ...any) string { return strings.TrimSuffix(fmt.Sprintln(v...), "\n") }
