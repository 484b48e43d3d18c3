package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// sharedNetworkOf reads shared network lab-lan from a peer's config-get.
func (he *haEditor) sharedNetworkOf(peer int) map[string]any {
	he.t.Helper()
	pcs, err := he.a.Read(context.Background(), "dhcp4", he.peers[peer:peer+1])
	if err != nil {
		he.t.Fatal(err)
	}
	d, err := pcs[0].Config.Daemon("dhcp4")
	if err != nil {
		he.t.Fatal(err)
	}
	for _, sn := range d["shared-networks"].([]any) {
		if m := sn.(map[string]any); m["name"] == "lab-lan" {
			return m
		}
	}
	he.t.Fatal("kea has no shared network lab-lan")
	return nil
}

func TestRealHAEditSharedNetwork(t *testing.T) {
	he := newHAEditor(t)
	otto := he.signedIn("otto")
	const page = "/servers/kea1/dhcp4/shared-networks/lab-lan"
	const settings = page + "/edit/settings"

	t.Run("ViewerMayNotEdit", func(t *testing.T) {
		vic := he.signedIn("vic")
		if resp, body := he.get(vic, page); resp.StatusCode != http.StatusOK || strings.Contains(body, "Edit shared network settings") {
			t.Fatalf("a viewer is offered the edit link (%s)", resp.Status)
		}
		if _, body := he.get(otto, page); !strings.Contains(body, "/edit/settings") {
			t.Fatal("an operator is not offered the edit link")
		}
		if resp, _ := he.get(vic, settings); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer GET: %s", resp.Status)
		}
		before := he.hashes()
		_, f := he.openForm(otto, settings)
		f.Set("valid", "7200")
		f.Set("csrf_token", he.token(vic))
		if resp, _ := he.post(vic, settings, f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer POST: %s", resp.Status)
		}
		if he.hashes() != before {
			t.Fatal("Kea changed")
		}
	})

	bad := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"LifetimesOutOfOrder", map[string]string{"renew": "3000"}, "lifetimes out of order: renew-timer (3000) must be less than rebind-timer (1800)"},
		{"RebindAfterValid", map[string]string{"valid": "1000"}, "lifetimes out of order: rebind-timer (1800) must be less than valid-lifetime (1000)"},
		{"RouterOutsideEverySubnet", map[string]string{"routers": "198.18.9.1"}, "router 198.18.9.1 is outside every subnet of shared network lab-lan (198.18.0.0/24, 198.18.1.0/24)"},
		{"RouterNotAnAddress", map[string]string{"routers": "198.18.0.300"}, `"198.18.0.300" is not an IPv4 address`},
		{"BadDomainName", map[string]string{"domain_name": "bad_name!.example"}, "is not a domain name"},
		{"RelayTwice", map[string]string{"relay": "198.18.7.250, 198.18.7.250"}, "198.18.7.250 is listed twice"},
		{"UndefinedClass", map[string]string{"client_class": "nosuch"}, "is not defined in client-classes"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := he.hashes()
			action, f := he.openForm(otto, settings)
			for k, v := range b.set {
				f.Set(k, v)
			}
			resp, body := he.post(otto, action, f)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), b.want) {
				t.Fatalf("want 400 with %q, got %s:\n%s", b.want, resp.Status, body)
			}
			for k, v := range b.set {
				if !strings.Contains(htmlUnescape(body), `value="`+v+`"`) {
					t.Errorf("the user's input %s=%q is not kept", k, v)
				}
			}
			if he.hashes() != before {
				t.Fatal("Kea changed")
			}
		})
	}

	t.Run("SettingsReachBothPeersAndTheirSubnets", func(t *testing.T) {
		action, f := he.openForm(otto, settings)
		if f.Get("valid") != "3600" || f.Get("rebind") != "1800" {
			t.Fatalf("the form does not show the values in effect: %v", f)
		}
		for k, v := range map[string]string{"valid": "7200", "renew": "1000", "rebind": "2000", "routers": "198.18.0.1",
			"dns_servers": "198.18.0.53", "domain_name": "lan.lab.example", "relay": "198.18.7.250"} {
			f.Set(k, v)
		}
		body := he.applyForm(otto, action, f)
		if !strings.Contains(body, "settings of shared network lab-lan") && !strings.Contains(body, "valid-lifetime") {
			t.Errorf("the result shows neither the change nor its diff:\n%s", body)
		}
		for peer := range 2 {
			sn := he.sharedNetworkOf(peer)
			got := map[string]string{}
			for _, o := range sn["option-data"].([]any) {
				om := o.(map[string]any)
				got[om["name"].(string)] = om["data"].(string)
			}
			if s := fmt.Sprintf("%v %v %v %v", sn["valid-lifetime"], sn["renew-timer"], sn["rebind-timer"], sn["relay"]); s != "7200 1000 2000 map[ip-addresses:[198.18.7.250]]" ||
				got["routers"] != "198.18.0.1" || got["domain-name-servers"] != "198.18.0.53" || got["domain-name"] != "lan.lab.example" {
				t.Fatalf("kea%d shared network: %s %v", peer+1, s, got)
			}
			// The subnets inherit the new lifetimes: Kea's own config-get
			// writes the values in effect into each of them.
			for _, id := range []int64{1, 2} {
				s, in := he.subnetOf(peer, id)
				if in != "lab-lan" || fmt.Sprintf("%v %v %v", s["valid-lifetime"], s["renew-timer"], s["rebind-timer"]) != "7200 1000 2000" {
					t.Fatalf("kea%d subnet %d does not inherit: %v", peer+1, id, s)
				}
			}
		}
		// A client on the LAN gets a lease from lab-lan with the new lifetime.
		if r := he.h.Perfdhcp4(t, 4); r.Completed() == 0 {
			t.Fatal("perfdhcp got no leases")
		}
		var all struct {
			Arguments struct {
				Leases []struct {
					IP       string `json:"ip-address"`
					SubnetID int64  `json:"subnet-id"`
					ValidLft int64  `json:"valid-lft"`
				} `json:"leases"`
			} `json:"arguments"`
		}
		lab := he.h.Servers[0]
		raw := lab.Command(t, lab.Socket4, "lease4-get-all", nil)
		if err := json.Unmarshal(raw, &all); err != nil || len(all.Arguments.Leases) == 0 {
			t.Fatalf("lease4-get-all: %v %s", err, raw)
		}
		inLAN := 0
		for _, l := range all.Arguments.Leases {
			if l.SubnetID == 1 || l.SubnetID == 2 {
				inLAN++
			}
			if (l.SubnetID == 1 || l.SubnetID == 2) && l.ValidLft != 7200 {
				t.Errorf("lease %s of subnet %d: valid-lft %d, want the shared network's 7200", l.IP, l.SubnetID, l.ValidLft)
			}
		}
		if inLAN == 0 {
			t.Fatalf("no lease of lab-lan's subnets: %s", raw)
		}
		// A subnet outside the shared network keeps the global values.
		if s, _ := he.subnetOf(1, 3); fmt.Sprint(s["valid-lifetime"]) != "3600" {
			t.Fatalf("subnet 3 changed: %v", s["valid-lifetime"])
		}
	})
}
