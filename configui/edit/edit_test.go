package edit

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// A configuration in Kea 2.2's config-get shape, trimmed.
const conf = `{"Dhcp4": {"valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
  "client-classes": [{"name": "voip"}],
  "subnet4": [{"id": 3, "subnet": "198.18.2.0/24", "pools": [{"pool": "198.18.2.10-198.18.2.14"}, {"pool": "198.18.2.16/28"}], "reservations": []}],
  "shared-networks": [{"name": "lab", "valid-lifetime": 600, "subnet4": [{"id": 1, "subnet": "198.18.0.0/24", "pools": [{"pool": "198.18.0.10-198.18.0.29"}]}]}]}}`

func cfg(t *testing.T) apply.Config {
	t.Helper()
	c, err := apply.ParseConfig([]byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func message(err error) string {
	var p Problems
	if errors.As(err, &p) {
		return p.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseRange(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1-10.0.0.9":    "10.0.0.1-10.0.0.9",
		" 10.0.0.1 - 10.0.0.9": "10.0.0.1-10.0.0.9",
		"10.0.0.16/28":         "10.0.0.16-10.0.0.31",
		"2001:db8::/120":       "2001:db8::-2001:db8::ff",
	} {
		fam := 4
		if strings.Contains(in, ":") {
			fam = 6
		}
		r, err := parseRange(in, fam)
		if err != nil || r.String() != want {
			t.Errorf("%q: %v %v, want %s", in, r, err, want)
		}
	}
	for in, want := range map[string]string{
		"10.0.0.9-10.0.0.1":   "ends before it starts",
		"10.0.0.17/28":        "has host bits set: the network is 10.0.0.16/28",
		"10.0.0.1":            "is not an address range",
		"10.0.0.1-2001:db8::": "is not an IPv4 range",
	} {
		if _, err := parseRange(in, 4); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	for _, in := range []string{"02:00:00:00:AA:01", "02-00-00-00-aa-01", "0200.0000.aa01", "02000000aa01"} {
		if got, err := NormalizeID("hw-address", in); err != nil || got != "02:00:00:00:aa:01" {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := NormalizeID("duid", "01:02"); err == nil {
		t.Error("a 2-octet DUID accepted")
	}
	if _, err := NormalizeID("mac", "02:00:00:00:aa:01"); err == nil {
		t.Error("an unknown identifier type accepted")
	}
}

func TestPoolsCheck(t *testing.T) {
	c := cfg(t)
	rows := func(r ...string) Pools {
		p := Pools{Daemon: "dhcp4", SubnetID: 3, Existing: 2}
		for _, x := range r {
			p.Rows = append(p.Rows, PoolRow{Range: x})
		}
		return p
	}
	if err := rows("198.18.2.10-198.18.2.15", "198.18.2.16/28").Check(c); err != nil {
		t.Errorf("an extension: %v", err)
	}
	if err := rows("198.18.2.10-198.18.2.14", "198.18.2.16/28").Check(c); !errors.Is(err, apply.ErrNoChange) {
		t.Errorf("no change: %v", err)
	}
	if got := message(rows("198.18.2.10-198.18.2.20", "198.18.2.16/28").Check(c)); !strings.Contains(got, "pool.1: 198.18.2.16/28 overlaps pool 1 (198.18.2.10-198.18.2.20)") {
		t.Errorf("overlap: %s", got)
	}
	stale := rows("198.18.2.10-198.18.2.14")
	stale.Existing = 1
	if got := message(stale.Check(c)); !strings.Contains(got, "subnet 3 now has 2 pools, the form was built for 1") {
		t.Errorf("rows of another configuration: %s", got)
	}
	// A shrink that leaves a leased address outside every pool.
	f := rows("198.18.2.10-198.18.2.11", "198.18.2.16/28")
	leases := []netip.Addr{netip.MustParseAddr("198.18.2.10"), netip.MustParseAddr("198.18.2.13"), netip.MustParseAddr("198.18.2.20")}
	if got := message(f.Stranded(c, leases)); !strings.Contains(got, "pool.0: shrinking this pool would strand 1 active lease(s) (198.18.2.13)") {
		t.Errorf("stranded: %s", got)
	}
	if err := f.Stranded(c, leases[:1]); err != nil {
		t.Errorf("a lease still inside: %v", err)
	}
	// The edit keeps the pools' other members and adds the new one.
	g := rows("198.18.2.10-198.18.2.15", "", "198.18.2.100-198.18.2.120")
	g.Rows[2].Class = "voip"
	if err := g.Edit()("kea1", c); err != nil {
		t.Fatal(err)
	}
	loc, _ := FindSubnet(c, "dhcp4", 3)
	if got := apply.Render(apply.Diff(map[string]any{}, map[string]any{"pools": loc.Subnet["pools"]})); !strings.Contains(got, `[{"pool":"198.18.2.10-198.18.2.15"},{"client-class":"voip","pool":"198.18.2.100-198.18.2.120"}]`) {
		t.Errorf("pools after the edit: %s", got)
	}
}

func TestSettingsLifetimesInherited(t *testing.T) {
	c := cfg(t)
	// Subnet 1 is in shared network "lab" (valid-lifetime 600, the timers
	// global): a renew timer of 700 is out of order with the valid
	// lifetime in effect; the inherited rebind timer's own disorder is not
	// the form's fault and not reported.
	f := Settings{Daemon: "dhcp4", SubnetID: 1, Renew: "700"}
	if got := message(f.Check(c)); got != "renew: lifetimes out of order: renew-timer (700) must be less than valid-lifetime (600)" {
		t.Errorf("renew over inherited values: %s", got)
	}
	f = Settings{Daemon: "dhcp4", SubnetID: 1, Valid: "7200", Renew: "1000", Rebind: "2000", Routers: "198.18.0.1", DomainName: "lab.example"}
	if err := f.Check(c); err != nil {
		t.Errorf("good settings: %v", err)
	}
	if got := message(Settings{Daemon: "dhcp4", SubnetID: 1, Routers: "198.18.1.1"}.Check(c)); !strings.Contains(got, "router 198.18.1.1 is outside subnet 198.18.0.0/24") {
		t.Errorf("router: %s", got)
	}
}

func TestNewSubnetCheck(t *testing.T) {
	c := cfg(t)
	for _, tc := range []struct {
		f    NewSubnet
		want string
	}{
		{NewSubnet{Daemon: "dhcp4", ID: "3", Prefix: "10.0.0.0/24"}, "subnet id 3 is already used by 198.18.2.0/24"},
		{NewSubnet{Daemon: "dhcp4", ID: "9", Prefix: "198.18.0.128/25"}, "198.18.0.128/25 overlaps subnet 1 (198.18.0.0/24)"},
		{NewSubnet{Daemon: "dhcp4", ID: "9", Prefix: "10.0.0.0/24", SharedNetwork: "nope"}, `there is no shared network "nope"`},
		{NewSubnet{Daemon: "dhcp4", ID: "9", Prefix: "10.0.0.0/24", Pool: "10.0.1.1-10.0.1.9"}, "is outside subnet 10.0.0.0/24"},
	} {
		if got := message(tc.f.Check(c)); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
		}
	}
	if err := (NewSubnet{Daemon: "dhcp4", ID: "9", Prefix: "10.0.0.0/24", Pool: "10.0.0.10-10.0.0.20", SharedNetwork: "lab"}).Edit()("", c); err != nil {
		t.Fatal(err)
	}
	if loc, err := FindSubnet(c, "dhcp4", 9); err != nil || loc.SharedNetwork != "lab" {
		t.Errorf("added subnet: %+v %v", loc, err)
	}
}
