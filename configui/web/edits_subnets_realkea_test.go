package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/configui/edit"
)

// openForm opens an edit page and returns its form.
func (he *haEditor) openForm(c *http.Client, path string) (string, url.Values) {
	he.t.Helper()
	resp, body := he.get(c, path)
	if resp.StatusCode != http.StatusOK {
		he.t.Fatalf("%s: %s\n%s", path, resp.Status, body)
	}
	return editForm(he.t, body)
}

// applyForm submits a form, confirms the preview and expects it applied.
func (he *haEditor) applyForm(c *http.Client, action string, f url.Values) string {
	he.t.Helper()
	resp, body := he.post(c, action, f)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Apply to 2 server(s)") {
		he.t.Fatalf("preview: %s\n%s", resp.Status, body)
	}
	action, confirm := editForm(he.t, body)
	resp, body = he.post(c, action, confirm)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Applied to kea1 and kea2") {
		he.t.Fatalf("apply: %s\n%s", resp.Status, body)
	}
	return body
}

// subnetOf reads a subnet from a peer's config-get.
func (he *haEditor) subnetOf(peer int, id int64) (map[string]any, string) {
	he.t.Helper()
	pcs, err := he.a.Read(context.Background(), "dhcp4", he.peers[peer:peer+1])
	if err != nil {
		he.t.Fatal(err)
	}
	loc, err := edit.FindSubnet(pcs[0].Config, "dhcp4", id)
	if err != nil {
		return nil, ""
	}
	return loc.Subnet, loc.SharedNetwork
}

func TestRealHAEditSubnets(t *testing.T) {
	he := newHAEditor(t)
	if r := he.h.Perfdhcp4(t, 6); r.Completed() == 0 {
		t.Fatal("perfdhcp got no leases")
	}
	otto := he.signedIn("otto")
	const settings3 = "/servers/kea1/dhcp4/subnets/3/edit/settings"
	const add = "/servers/kea1/dhcp4/edit/subnet-add"

	// Every bad value is refused with its message, and Kea is untouched.
	bad := []struct {
		name, path string
		set        map[string]string
		want       string
	}{
		{"LifetimesOutOfOrder", settings3, map[string]string{"renew": "3000"}, "lifetimes out of order: renew-timer (3000) must be less than rebind-timer (1800)"},
		{"RebindAfterValid", settings3, map[string]string{"valid": "1000"}, "lifetimes out of order: rebind-timer (1800) must be less than valid-lifetime (1000)"},
		{"NegativeLifetime", settings3, map[string]string{"valid": "-5"}, "is not a number of seconds"},
		{"RouterOutsideSubnet", settings3, map[string]string{"routers": "198.18.9.1"}, "router 198.18.9.1 is outside subnet 198.18.2.0/24"},
		{"RouterNotAnAddress", settings3, map[string]string{"routers": "300.1.1.1"}, "is not an IPv4 address"},
		{"DNSServerWrongFamily", settings3, map[string]string{"dns_servers": "2001:db8::53"}, "is not an IPv4 address"},
		{"BadDomainName", settings3, map[string]string{"domain_name": "bad_name!.example"}, "is not a domain name"},
		{"RelayTwice", settings3, map[string]string{"relay": "198.18.2.250, 198.18.2.250"}, "198.18.2.250 is listed twice"},
		{"UndefinedClass", settings3, map[string]string{"client_class": "nosuch"}, "is not defined in client-classes"},
		{"SubnetPrefixHostBits", add, map[string]string{"id": "5", "prefix": "198.18.5.1/24"}, "has host bits set: the network is 198.18.5.0/24"},
		{"SubnetBadPrefix", add, map[string]string{"id": "5", "prefix": "198.18.5.0/33"}, "is not a prefix"},
		{"SubnetOverlaps", add, map[string]string{"id": "5", "prefix": "198.18.2.128/25"}, "198.18.2.128/25 overlaps subnet 3 (198.18.2.0/24)"},
		{"DuplicateSubnetID", add, map[string]string{"id": "3", "prefix": "198.18.5.0/24"}, "subnet id 3 is already used by 198.18.2.0/24"},
		{"SubnetIDNotANumber", add, map[string]string{"id": "x", "prefix": "198.18.5.0/24"}, "is not a subnet id"},
		{"NewSubnetPoolOutside", add, map[string]string{"id": "5", "prefix": "198.18.5.0/24", "pool": "198.18.6.10-198.18.6.20", "pool_class": "HA_server1"}, "198.18.6.10-198.18.6.20 is outside subnet 198.18.5.0/24"},
		{"NewSubnetPoolWithoutHAClass", add, map[string]string{"id": "5", "prefix": "198.18.5.0/24", "pool": "198.18.5.10-198.18.5.20"}, "load-balancing pair"},
		{"RemoveSubnetWithLeases", "/servers/kea1/dhcp4/subnets/1/edit/remove", nil, "subnet 1 has"},
		{"OptionDataNotAnAddress", "/servers/kea1/dhcp4/subnets/3/edit/options", map[string]string{"option": "ntp-servers", "data": "198.18.0.1, ntp.example"}, `ntp-servers: "ntp.example" is not an ipv4-address`},
		{"OptionOneValueOnly", "/servers/kea1/dhcp4/subnets/3/edit/options", map[string]string{"option": "interface-mtu", "data": "1500, 9000"}, "interface-mtu takes one uint16, not a list"},
		{"OptionNumberTooBig", "/servers/kea1/dhcp4/subnets/3/edit/options", map[string]string{"option": "26", "data": "70000"}, `"70000" is not a uint16`},
		{"OptionCodeOutOfRange", "/servers/kea1/dhcp4/subnets/3/edit/options", map[string]string{"option": "300", "data": "1"}, "code 300 is not an option code"},
		{"MoveOutOfNone", "/servers/kea1/dhcp4/subnets/3/edit/shared-network", map[string]string{"shared_network": ""}, "subnet 3 is not in a shared network"},
		{"MoveIntoUnknown", "/servers/kea1/dhcp4/subnets/3/edit/shared-network", map[string]string{"shared_network": "nosuch"}, "there is no shared network"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := he.hashes()
			action, f := he.openForm(otto, b.path)
			for k, v := range b.set {
				f.Set(k, v)
			}
			resp, body := he.post(otto, action, f)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), b.want) {
				t.Fatalf("want 400 with %q, got %s:\n%s", b.want, resp.Status, body)
			}
			for k, v := range b.set {
				if v != "" && k != "shared_network" && !strings.Contains(htmlUnescape(body), `value="`+v+`"`) {
					t.Errorf("the user's input %s=%q is not kept", k, v)
				}
			}
			if he.hashes() != before {
				t.Fatal("Kea changed")
			}
		})
	}

	t.Run("SettingsApplied", func(t *testing.T) {
		action, f := he.openForm(otto, settings3)
		for k, v := range map[string]string{"valid": "7200", "renew": "1000", "rebind": "2000", "routers": "198.18.2.1",
			"dns_servers": "198.18.0.53,198.18.0.54", "domain_name": "relayed.lab.example", "relay": "198.18.2.250"} {
			f.Set(k, v)
		}
		he.applyForm(otto, action, f)
		s, _ := he.subnetOf(1, 3)
		got := map[string]string{}
		for _, o := range s["option-data"].([]any) {
			om := o.(map[string]any)
			got[om["name"].(string)] = om["data"].(string)
		}
		if s["valid-lifetime"].(interface{ String() string }).String() != "7200" || got["routers"] != "198.18.2.1" ||
			got["domain-name-servers"] != "198.18.0.53, 198.18.0.54" || got["domain-name"] != "relayed.lab.example" ||
			s["relay"].(map[string]any)["ip-addresses"].([]any)[0] != "198.18.2.250" {
			t.Fatalf("kea2 subnet 3: %v", s)
		}
		// Emptied fields go back to what is set above the subnet (Kea 2.2's
		// config-get then writes the global values into the subnet).
		action, f = he.openForm(otto, settings3)
		for _, k := range []string{"valid", "renew", "rebind", "routers", "dns_servers", "domain_name", "relay"} {
			f.Set(k, "")
		}
		he.applyForm(otto, action, f)
		if s, _ := he.subnetOf(0, 3); fmt.Sprintf("%v %v", s["valid-lifetime"], s["max-valid-lifetime"]) != "3600 3600" || len(s["option-data"].([]any)) != 0 {
			t.Fatalf("kea1 subnet 3 after emptying: %v", s)
		}
	})

	t.Run("RawOptions", func(t *testing.T) {
		const path = "/servers/kea1/dhcp4/subnets/3/edit/options"
		action, f := he.openForm(otto, path)
		f.Set("option", "ntp-servers")
		f.Set("data", "198.18.0.123")
		f.Set("always", "1")
		he.applyForm(otto, action, f)
		s, _ := he.subnetOf(1, 3)
		if got := fmt.Sprint(s["option-data"]); !strings.Contains(got, "198.18.0.123") || !strings.Contains(got, "always-send:true") {
			t.Fatalf("kea2 subnet 3 options: %s", got)
		}
		// An option the editor has no definition of goes to Kea's: its
		// config-test refuses it and nothing is applied.
		before := he.hashes()
		action, f = he.openForm(otto, path)
		f.Set("option", "250")
		f.Set("data", "hello")
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("preview of option 250: %s\n%s", resp.Status, body)
		}
		action, confirm := editForm(t, body)
		resp, body = he.post(otto, action, confirm)
		if resp.StatusCode != http.StatusBadGateway || !strings.Contains(htmlUnescape(body), "Not applied (failed): config-test on kea1") {
			t.Fatalf("option 250 without a definition: %s\n%s", resp.Status, body)
		}
		t.Logf("Kea's answer: %s", regexp.MustCompile(`config-test on kea1: [^(]*`).FindString(htmlUnescape(body)))
		if he.hashes() != before {
			t.Fatal("Kea changed")
		}
		// Removed.
		action, f = he.openForm(otto, path)
		f.Set("option", "ntp-servers")
		f.Set("remove", "1")
		he.applyForm(otto, action, f)
		if s, _ := he.subnetOf(0, 3); strings.Contains(fmt.Sprint(s["option-data"]), "198.18.0.123") {
			t.Fatal("ntp-servers not removed")
		}
	})

	t.Run("AddMoveRemoveSubnet", func(t *testing.T) {
		action, f := he.openForm(otto, add)
		for k, v := range map[string]string{"id": "5", "prefix": "198.18.5.0/24", "pool": "198.18.5.10-198.18.5.20", "pool_class": "HA_server1", "shared_network": "lab-lan"} {
			f.Set(k, v)
		}
		he.applyForm(otto, action, f)
		for i := range he.peers {
			if s, sn := he.subnetOf(i, 5); s == nil || sn != "lab-lan" {
				t.Fatalf("kea%d: subnet 5 %v in %q", i+1, s, sn)
			}
		}
		action, f = he.openForm(otto, "/servers/kea1/dhcp4/subnets/5/edit/shared-network")
		f.Set("shared_network", "")
		he.applyForm(otto, action, f)
		if s, sn := he.subnetOf(1, 5); s == nil || sn != "" {
			t.Fatalf("subnet 5 not moved out: %v in %q", s, sn)
		}
		action, f = he.openForm(otto, "/servers/kea1/dhcp4/subnets/5/edit/remove")
		he.applyForm(otto, action, f)
		for i := range he.peers {
			if s, _ := he.subnetOf(i, 5); s != nil {
				t.Fatalf("kea%d still has subnet 5", i+1)
			}
		}
	})
}
