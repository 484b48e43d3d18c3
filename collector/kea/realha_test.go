package kea

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// pollInterval is how often the real-Kea HA tests poll, as a short
// production interval would.
const pollInterval = time.Second

func socketPoller(t *testing.T, cat *catalog.Catalog, name, socket string, opts Options) *Poller {
	t.Helper()
	client, err := keactl.New(keactl.Options{Name: name, URL: "unix://" + socket})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), opts)
	t.Cleanup(p.Close)
	return p
}

// urlPoller polls a Kea over HTTP (a daemon's own listener or an agent).
func urlPoller(t *testing.T, cat *catalog.Catalog, name, url string, opts Options) *Poller {
	t.Helper()
	client, err := keactl.New(keactl.Options{Name: name, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), opts)
	t.Cleanup(p.Close)
	return p
}

func mustPoll(t *testing.T, p *Poller) *collector.Snapshot {
	t.Helper()
	snap, _, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll %s: %v", p.Name(), err)
	}
	return snap
}

// stateOf returns the HA state a snapshot says the server is in.
func stateOf(snap *collector.Snapshot) string {
	for _, s := range snap.Samples {
		if s.Metric.Name == "kea_ha_state" && s.Value == 1 {
			return s.ExtraValues()[1]
		}
	}
	return ""
}

// pollUntil polls every pollInterval until cond holds of the snapshots, and
// returns how long it took; it fails after timeout.
func pollUntil(t *testing.T, timeout time.Duration, what string, cond func(snaps []*collector.Snapshot) bool, ps ...*Poller) ([]*collector.Snapshot, time.Duration) {
	t.Helper()
	began := time.Now()
	var snaps []*collector.Snapshot
	for {
		snaps = snaps[:0]
		for _, p := range ps {
			if snap, _, err := p.Poll(context.Background()); err == nil {
				snaps = append(snaps, snap)
			}
		}
		if len(snaps) == len(ps) && cond(snaps) {
			return snaps, time.Since(began)
		}
		if time.Since(began) > timeout {
			var states []string
			for _, s := range snaps {
				states = append(states, s.Target+":"+stateOf(s))
			}
			t.Fatalf("%s: not within %s (states %v)", what, timeout, states)
		}
		time.Sleep(pollInterval)
	}
}

// leasesByKea counts lease4-get-all's (or lease6-get-all's) leases per
// subnet, type and state, as Kea reports them.
func leasesByKea(t *testing.T, lab *keatest.Lab, socket, command string) map[string]float64 {
	t.Helper()
	var reply struct {
		Result    int `json:"result"`
		Arguments struct {
			Leases []struct {
				SubnetID int64  `json:"subnet-id"`
				State    int    `json:"state"`
				Type     string `json:"type"`
			} `json:"leases"`
		} `json:"arguments"`
	}
	raw := lab.Command(t, socket, command, nil)
	if err := json.Unmarshal(raw, &reply); err != nil || (reply.Result != 0 && reply.Result != 3) {
		t.Fatalf("%s: %v %.300s", command, err, raw)
	}
	counts := map[string]float64{}
	for _, l := range reply.Arguments.Leases {
		typ := map[string]string{"IA_NA": "na", "IA_TA": "ta", "IA_PD": "pd", "": ""}[l.Type]
		counts[fmt.Sprintf("%d/%s/%s", l.SubnetID, typ, catalog.LeaseStates[l.State])]++
	}
	return counts
}

// leasesByDdiscope reads kea_dhcp*_subnet_leases the same way.
func leasesByDdiscope(snap *collector.Snapshot, daemon string) map[string]float64 {
	counts := map[string]float64{}
	for _, s := range snap.Samples {
		if s.Metric.Name != "kea_"+daemon+"_subnet_leases" || s.Value == 0 {
			continue
		}
		e := s.ExtraValues()
		typ, state := "", e[0]
		if daemon == "dhcp6" {
			typ, state = e[0], e[1]
		}
		counts[s.ID.Values[1]+"/"+typ+"/"+state] += s.Value
	}
	return counts
}

func sameCounts(t *testing.T, what string, kea, ours map[string]float64) {
	t.Helper()
	for k, v := range kea {
		if ours[k] != v {
			t.Errorf("%s: subnet/type/state %s: Kea has %v leases, ddiscope exports %v", what, k, v, ours[k])
		}
	}
	for k, v := range ours {
		if _, ok := kea[k]; !ok {
			t.Errorf("%s: ddiscope exports %v leases for %s, Kea has none", what, v, k)
		}
	}
}

var passLeases = LeaseOptions{Interval: time.Hour, PageSize: 7, PagesPerSecond: -1, Budget: 30 * time.Second}

// A real load-balancing pair with perfdhcp traffic: both reach
// load-balancing; the lease counts of each equal what lease4-get-all
// returns; the fleet counts the pair once; stopping server2 shows
// partner-down on server1 within max-response-delay plus one poll interval
// (plus Kea's heartbeat granularity); restarting it brings both back.
//
// On Kea 3.0 the pair talks HA over its dedicated listeners and ddiscope
// polls each server over its own HTTP control socket.
func TestRealHALoadBalancing(t *testing.T) {
	t.Parallel()
	keatest.Versions(t, testRealHALoadBalancing)
}

func testRealHALoadBalancing(t *testing.T, v keatest.Version) {
	h := keatest.StartHA(t, keatest.HAOptions{Kea: v, HTTP: v.AtLeast30()})
	if r := h.Perfdhcp4(t, 20); r.Completed() != 20 {
		t.Fatalf("perfdhcp: %d of 20 completed:\n%s", r.Completed(), r.Output)
	}
	cat := testCat(t)
	ps := [2]*Poller{}
	for i, l := range h.Servers {
		if v.AtLeast30() {
			ps[i] = urlPoller(t, cat, h.Names[i], l.HTTP4URL, Options{Leases: passLeases})
		} else {
			ps[i] = socketPoller(t, cat, h.Names[i], l.Socket4, Options{Leases: passLeases})
		}
	}
	snaps, _ := pollUntil(t, 10*time.Second, "both in load-balancing", func(s []*collector.Snapshot) bool {
		return stateOf(s[0]) == "load-balancing" && stateOf(s[1]) == "load-balancing"
	}, ps[0], ps[1])
	for i, snap := range snaps {
		want(t, snap.Samples, "kea_ha_info", map[string]string{"relationship": "server1", "this_server": h.Names[i],
			"partner": h.Names[1-i], "mode": "load-balancing"}, 1)
		want(t, snap.Samples, "kea_ha_scope_served", map[string]string{"scope": h.Names[i]}, 1)
		want(t, snap.Samples, "kea_ha_scope_served", map[string]string{"scope": h.Names[1-i]}, 0)
		want(t, snap.Samples, "kea_ha_partner_in_touch", nil, 1)
		oneHot(t, snap.Samples, "kea_ha_heartbeat_state", map[string]string{"relationship": "server1"}, "state", "load-balancing")
		sameCounts(t, h.Names[i], leasesByKea(t, h.Servers[i], h.Servers[i].Socket4, "lease4-get-all"), leasesByDdiscope(snap, "dhcp4"))
	}
	out := derive(cat, snaps...)
	for _, who := range h.Names {
		pair := map[string]string{"server": who, "relationship": "server1"}
		want(t, out, "kea_ha_pair_state_mismatch", pair, 0)
		want(t, out, "kea_ha_pair_split_brain", pair, 0)
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": who, "part": "subnets"}, 0)
		want(t, out, "ddiscope_kea_ha_partner_monitored", pair, 1)
	}
	leased := 0.0
	for _, s := range snaps[0].Samples {
		if s.Metric.Name == "kea_dhcp4_subnet_addresses_assigned" {
			leased += s.Value
		}
	}
	if leased != 20 {
		t.Errorf("server1 reports %v addresses assigned, want the pair's 20", leased)
	}
	want(t, out, "kea_dhcp4_fleet_addresses_assigned", nil, 20)                                                           // not 40
	want(t, out, "kea_dhcp4_fleet_shared_network_addresses_assigned", map[string]string{"shared_network": "lab-lan"}, 20) // subnets 1 and 2

	// Failover.
	h.Servers[1].Stop4(t)
	bound := h.MaxResponseDelay + pollInterval + h.HeartbeatDelay
	_, took := pollUntil(t, bound+5*time.Second, "server1 in partner-down", func(s []*collector.Snapshot) bool {
		return stateOf(s[0]) == "partner-down"
	}, ps[0])
	t.Logf("server2 stopped: server1's metrics show partner-down after %s (max-response-delay %s + poll interval %s + heartbeat %s = %s)",
		took.Round(10*time.Millisecond), h.MaxResponseDelay, pollInterval, h.HeartbeatDelay, bound)
	if took > bound {
		t.Errorf("partner-down seen after %s, more than %s", took, bound)
	}
	alone := mustPoll(t, ps[0])
	want(t, alone.Samples, "kea_ha_scope_served", map[string]string{"scope": "server2"}, 1)
	oneHot(t, alone.Samples, "kea_ha_partner_state", map[string]string{"partner": "server2"}, "state", "unavailable")
	want(t, derive(cat, alone), "ddiscope_kea_ha_partner_monitored", map[string]string{"server": "server1"}, 0)

	// Recovery.
	h.Servers[1].Start4(t)
	_, took = pollUntil(t, 30*time.Second, "both back in load-balancing", func(s []*collector.Snapshot) bool {
		return stateOf(s[0]) == "load-balancing" && stateOf(s[1]) == "load-balancing"
	}, ps[0], ps[1])
	t.Logf("server2 restarted: both in load-balancing after %s", took.Round(10*time.Millisecond))
}

// A hot-standby pair whose peers serve different subnet sets: the drift
// shows at once; cutting the HA link sends both into partner-down, where
// both serve the primary's scope: split brain.
func TestRealHAHotStandbyDriftAndSplitBrain(t *testing.T) {
	t.Parallel()
	keatest.Versions(t, testRealHAHotStandbyDriftAndSplitBrain)
}

func testRealHAHotStandbyDriftAndSplitBrain(t *testing.T, v keatest.Version) {
	other := `[ { "id": 3, "subnet": "198.18.2.0/24", "pools": [ { "pool": "198.18.2.10-198.18.2.19" } ] },
	            { "id": 5, "subnet": "198.18.5.0/24", "pools": [ { "pool": "198.18.5.10-198.18.5.20" } ] } ]`
	h := keatest.StartHA(t, keatest.HAOptions{Mode: "hot-standby", Subnet4: [2]string{"", other}, Kea: v})
	if r := h.Perfdhcp4(t, 6); r.Completed() != 6 {
		t.Fatalf("perfdhcp: %d of 6 completed:\n%s", r.Completed(), r.Output)
	}
	cat := testCat(t)
	p1 := socketPoller(t, cat, "kea-a", h.Servers[0].Socket4, Options{})
	p2 := socketPoller(t, cat, "kea-b", h.Servers[1].Socket4, Options{})
	snaps, _ := pollUntil(t, 10*time.Second, "both in hot-standby", func(s []*collector.Snapshot) bool {
		return stateOf(s[0]) == "hot-standby" && stateOf(s[1]) == "hot-standby"
	}, p1, p2)
	want(t, snaps[0].Samples, "kea_ha_scope_served", map[string]string{"scope": "server1"}, 1)
	want(t, snaps[1].Samples, "kea_ha_scope_served", map[string]string{"scope": "server1"}, 0)
	out := derive(cat, snaps...)
	for _, who := range []string{"kea-a", "kea-b"} {
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": who, "part": "subnets"}, 1)
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": who, "part": "ha"}, 0)
		want(t, out, "kea_ha_pair_split_brain", map[string]string{"server": who}, 0)
		want(t, out, "kea_ha_pair_state_mismatch", map[string]string{"server": who}, 0)
	}

	// A silent link (no reset, unlike a stopped peer) is noticed when Kea's
	// HA HTTP client gives up on the heartbeat, after 10 s in Kea 2.2.
	h.CutHALink(t)
	snaps, took := pollUntil(t, 30*time.Second, "both in partner-down", func(s []*collector.Snapshot) bool {
		return stateOf(s[0]) == "partner-down" && stateOf(s[1]) == "partner-down"
	}, p1, p2)
	t.Logf("HA link cut: both peers in partner-down after %s", took.Round(10*time.Millisecond))
	out = derive(cat, snaps...)
	for _, who := range []string{"kea-a", "kea-b"} {
		want(t, out, "kea_ha_pair_split_brain", map[string]string{"server": who}, 1)
		want(t, out, "kea_ha_pair_partner_view_stale", map[string]string{"server": who}, 1) // each heard the other "unavailable"
		want(t, out, "kea_ha_pair_state_mismatch", map[string]string{"server": who}, 0)
	}
}

// Leases of a real Kea, DHCPv4 and DHCPv6, through the Control Agent: per
// subnet, type and state, ddiscope's counts equal lease4-get-all's and
// lease6-get-all's, declined and expired-reclaimed leases included; the
// stat_cmds counts come along.
func TestRealLeasesMatchLeaseGetAll(t *testing.T) {
	t.Parallel()
	keatest.Versions(t, testRealLeasesMatchLeaseGetAll)
}

func testRealLeasesMatchLeaseGetAll(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{Traffic: true, DHCP6: true, ControlAgent: true, Kea: v})
	if r := lab.Perfdhcp4(t, 10); r.Completed() != 10 {
		t.Fatalf("perfdhcp -4: %d of 10:\n%s", r.Completed(), r.Output)
	}
	if r := lab.Perfdhcp4Relay(t, keatest.RelayAddr4, 5); r.Completed() != 5 {
		t.Fatalf("perfdhcp -4 relayed: %d of 5:\n%s", r.Completed(), r.Output)
	}
	if r := lab.Perfdhcp6(t, 8); r.Completed() != 8 {
		t.Fatalf("perfdhcp -6: %d of 8:\n%s", r.Completed(), r.Output)
	}
	// A declined and an expired-reclaimed lease, which traffic does not make.
	for i, state := range []int{1, 2} {
		args := map[string]any{"ip-address": "198.18.3." + strconv.Itoa(20+i), "subnet-id": 4,
			"hw-address": fmt.Sprintf("02:00:00:00:0f:%02x", i), "state": state}
		if res, text, err := keatest.Result(lab.Command(t, lab.Socket4, "lease4-add", args)); err != nil || res != 0 {
			t.Fatalf("lease4-add state %d: %d %s %v", state, res, text, err)
		}
	}
	cat := testCat(t)
	client, err := keactl.New(keactl.Options{Name: "lab", URL: lab.CAURL})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{Leases: passLeases})
	defer p.Close()
	snap := mustPoll(t, p)
	sameCounts(t, "dhcp4", leasesByKea(t, lab, lab.Socket4, "lease4-get-all"), leasesByDdiscope(snap, "dhcp4"))
	sameCounts(t, "dhcp6", leasesByKea(t, lab, lab.Socket6, "lease6-get-all"), leasesByDdiscope(snap, "dhcp6"))
	want(t, snap.Samples, "kea_dhcp4_subnet_leases", map[string]string{"subnet_id": "4", "state": "declined"}, 1)
	want(t, snap.Samples, "kea_dhcp4_subnet_leases", map[string]string{"subnet_id": "4", "state": "expired_reclaimed"}, 1)
	// Fresh leases: all expire in more than 900 s, none renewed over 300 s ago.
	want(t, snap.Samples, "kea_dhcp4_subnet_leases_expiring", map[string]string{"subnet_id": "3", "within": "900"}, 0)
	want(t, snap.Samples, "kea_dhcp4_subnet_leases_expiring", map[string]string{"subnet_id": "3", "within": "+Inf"}, 5)
	want(t, snap.Samples, "kea_dhcp4_subnet_leases_renewed", map[string]string{"subnet_id": "3", "within": "300"}, 5)
	want(t, snap.Samples, "kea_dhcp6_subnet_leases_expiring", map[string]string{"subnet_id": "1", "type": "pd", "within": "+Inf"}, 8)
	// stat-lease4-get agrees with lease4-get-all on what is assigned.
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_assigned", map[string]string{"subnet_id": "3"}, 5)
	want(t, snap.Samples, "kea_dhcp6_subnet_lease_db_prefixes_assigned", map[string]string{"subnet_id": "1"}, 8)
	// Kea 3.0 renames stat-lease6-get's declined-nas column declined-addresses:
	// both are read, so the declined count and the drift are there on both.
	want(t, snap.Samples, "kea_dhcp6_subnet_lease_db_addresses_declined", map[string]string{"subnet_id": "1"}, 0)
	want(t, snap.Samples, "kea_dhcp6_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "1"}, 0)
	for _, d := range []string{"dhcp4", "dhcp6"} {
		want(t, snap.Samples, "ddiscope_lease_passes_total", map[string]string{"daemon": d, "result": "complete"}, 1)
	}
	absent(t, snap.Samples, "ddiscope_kea_command_errors_total", nil)
}
