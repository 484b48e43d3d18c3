package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/promtest"
)

// haPair is two kea-dhcp4 servers in a hot-standby relationship, in the
// root namespace without DHCP sockets: they exchange heartbeats and
// synchronise leases over their own HTTP listeners on 127.0.0.1, which is
// all the HA panels need.
type haPair struct {
	primary, standby *keatest.Lab
}

// haNames are the servers' HA names; the ddiscope targets take them too.
var haNames = [2]string{"ha-primary", "ha-standby"}

// startHAPair starts the pair and waits until both are in hot-standby.
func startHAPair(t *testing.T) *haPair {
	t.Helper()
	urls := [2]string{"http://" + promtest.FreeAddr(t) + "/", "http://" + promtest.FreeAddr(t) + "/"}
	var labs [2]*keatest.Lab
	for i := range labs {
		labs[i] = keatest.Start(t, keatest.Options{Hooks: []string{}, Extra4: haExtra(t, haNames[i], urls)})
	}
	p := &haPair{primary: labs[0], standby: labs[1]}
	deadline := time.Now().Add(60 * time.Second)
	for {
		a, b := p.state(t, p.primary), p.state(t, p.standby)
		if a == "hot-standby" && b == "hot-standby" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("HA pair not in hot-standby after 60 s: primary %q, standby %q\nprimary log:\n%s\nstandby log:\n%s",
				a, b, p.primary.Log("kea-dhcp4"), p.standby.Log("kea-dhcp4"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// haExtra is the Dhcp4 members that make a lab one peer of the pair:
// multi-threading (for HA's dedicated listener, whose URL is known before
// the partner starts), and the hooks HA needs.
func haExtra(t *testing.T, this string, urls [2]string) string {
	t.Helper()
	dir := hookDir(t)
	peers := []map[string]any{
		{"name": haNames[0], "url": urls[0], "role": "primary", "auto-failover": true},
		{"name": haNames[1], "url": urls[1], "role": "standby", "auto-failover": true},
	}
	extra := map[string]any{
		"multi-threading": map[string]any{"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16},
		"hooks-libraries": []any{
			map[string]any{"library": dir + "/libdhcp_lease_cmds.so"},
			map[string]any{"library": dir + "/libdhcp_ha.so", "parameters": map[string]any{
				"high-availability": []any{map[string]any{
					"this-server-name":    this,
					"mode":                "hot-standby",
					"heartbeat-delay":     1000,
					"max-response-delay":  3000,
					"max-ack-delay":       1000,
					"max-unacked-clients": 0,
					"sync-timeout":        5000,
					"multi-threading": map[string]any{
						"enable-multi-threading": true, "http-dedicated-listener": true,
						"http-listener-threads": 1, "http-client-threads": 1,
					},
					"peers": peers,
				}},
			}},
		},
	}
	b, err := json.Marshal(extra)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hookDir is where Debian installs Kea's hooks.
func hookDir(t *testing.T) string {
	t.Helper()
	for _, d := range []string{"/usr/lib/x86_64-linux-gnu/kea/hooks", "/usr/lib/aarch64-linux-gnu/kea/hooks", "/usr/lib/kea/hooks"} {
		if _, err := os.Stat(d + "/libdhcp_ha.so"); err == nil {
			return d
		}
	}
	t.Fatal("libdhcp_ha.so not found (Debian package kea-common)")
	return ""
}

// state is the local HA state status-get reports, "" before there is one.
func (p *haPair) state(t *testing.T, lab *keatest.Lab) string {
	t.Helper()
	raw, err := lab.TryCommand(lab.Socket4, "status-get", nil)
	if err != nil {
		return ""
	}
	var r struct {
		Arguments struct {
			HA []struct {
				Servers struct {
					Local struct {
						State string `json:"state"`
					} `json:"local"`
				} `json:"ha-servers"`
			} `json:"high-availability"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(raw, &r); err != nil || len(r.Arguments.HA) == 0 {
		return ""
	}
	return r.Arguments.HA[0].Servers.Local.State
}

// targets is the pair in ddiscope's configuration, polled on their sockets.
func (p *haPair) targets() string {
	var b strings.Builder
	for i, lab := range []*keatest.Lab{p.primary, p.standby} {
		fmt.Fprintf(&b, "  - name: %s\n    url: unix://%s\n", haNames[i], lab.Socket4)
	}
	return b.String()
}
