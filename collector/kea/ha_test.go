package kea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

const (
	captured = "../../testdata/kea/"
	haDir    = "../../testdata/kea/ha/"
)

func testCat(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// pollOnce polls a replayed Kea named name once.
func pollOnce(t *testing.T, cat *catalog.Catalog, name, url string, opts Options) (*Poller, *collector.Snapshot) {
	t.Helper()
	client, err := keactl.New(keactl.Options{Name: name, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), opts)
	t.Cleanup(p.Close)
	snap, _, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll %s: %v", name, err)
	}
	return p, snap
}

// replay serves files by "service:command" like keafixture, and answers
// the commands in refuse with HTTP 403 and Kea's single-map body, as a Kea
// 3.x with role-based access does for a command the role may not send.
func replay(t *testing.T, files map[string]string, refuse ...string) (*httptest.Server, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Command string   `json:"command"`
			Service []string `json:"service"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		svc := "ca"
		if len(req.Service) > 0 {
			svc = req.Service[0]
		}
		key := svc + ":" + req.Command
		seen = append(seen, key)
		w.Header().Set("Content-Type", "application/json")
		for _, c := range refuse {
			if c == key {
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{ "result": 403, "text": "Forbidden" }`)
				return
			}
		}
		if path, ok := files[key]; ok {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("replay: %v", err)
			}
			w.Write(b)
			return
		}
		fmt.Fprintf(w, `[ { "result": 2, "text": "'%s' command not supported." } ]`, req.Command)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// value finds one series: labels names every identity and extra label
// that matters (others are not compared).
func value(snap []collector.Sample, name string, labels map[string]string) (float64, bool) {
	for _, s := range snap {
		if s.Metric.Name != name {
			continue
		}
		all := map[string]string{}
		for i, l := range catalog.ScopeLabels(s.Metric.Scope) {
			if i < len(s.ID.Values) {
				all[l] = s.ID.Values[i]
			}
		}
		for i, l := range s.Metric.Extra {
			all[l] = s.ExtraValues()[i]
		}
		match := true
		for k, v := range labels {
			if all[k] != v {
				match = false
				break
			}
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

func want(t *testing.T, samples []collector.Sample, name string, labels map[string]string, v float64) {
	t.Helper()
	got, ok := value(samples, name, labels)
	if !ok {
		t.Errorf("%s%v: not exported", name, labels)
		return
	}
	if got != v {
		t.Errorf("%s%v = %v, want %v", name, labels, got, v)
	}
}

func absent(t *testing.T, samples []collector.Sample, name string, labels map[string]string) {
	t.Helper()
	if v, ok := value(samples, name, labels); ok {
		t.Errorf("%s%v = %v, want no such series", name, labels, v)
	}
}

// oneHot checks that exactly state is 1 among the series of a state family.
func oneHot(t *testing.T, samples []collector.Sample, name string, labels map[string]string, label, state string) {
	t.Helper()
	ones, zeros := []string{}, 0
	for _, s := range samples {
		if s.Metric.Name != name {
			continue
		}
		if _, ok := value([]collector.Sample{s}, name, labels); !ok {
			continue
		}
		v, _ := value([]collector.Sample{s}, name, nil)
		idx := -1
		for i, l := range s.Metric.Extra {
			if l == label {
				idx = i
			}
		}
		if v == 1 {
			ones = append(ones, s.ExtraValues()[idx])
		} else {
			zeros++
		}
	}
	if len(ones) != 1 || ones[0] != state || zeros < 10 {
		t.Errorf("%s%v: states at 1 %v (with %d at 0), want only %q", name, labels, ones, zeros, state)
	}
}

func kea22Pair(server string) map[string]string {
	files := map[string]string{
		"ca:config-get":    captured + "kea2.2-ca-config-get.json",
		"dhcp4:config-get": captured + "kea2.2-dhcp4-config-get.json",
		// The captured config-get of server1 is the lab's; server2's differs
		// in this-server-name only (testdata/kea/SOURCES.md).
		"dhcp4:statistic-get-all": captured + "kea2.2-dhcp4-statistic-get-all.json",
		"dhcp4:status-get":        captured + "kea2.2-dhcp4-status-get.json",
		"dhcp4:ha-heartbeat":      captured + "kea2.2-dhcp4-ha-heartbeat.json",
	}
	if server == "server2" {
		files["dhcp4:config-get"] = captured + "kea2.2-dhcp4-server2-config-get.json"
		files["dhcp4:statistic-get-all"] = captured + "kea2.2-dhcp4-server2-statistic-get-all.json"
		files["dhcp4:status-get"] = captured + "kea2.2-dhcp4-server2-status-get.json"
		files["dhcp4:ha-heartbeat"] = captured + "kea2.2-dhcp4-server2-ha-heartbeat.json"
	}
	return files
}

// Kea 2.2's status-get has one relationship and no server names: they come
// from the HA configuration, which is also where the relationship is named.
func TestHAStatusKea22LoadBalancing(t *testing.T) {
	cat := testCat(t)
	srv, _ := replay(t, kea22Pair("server1"))
	_, snap := pollOnce(t, cat, "kea1", srv.URL, Options{Daemons: []string{"dhcp4"}})
	s := snap.Samples
	rel := map[string]string{"server": "kea1", "daemon": "dhcp4", "relationship": "server1"}
	want(t, s, "kea_ha_info", map[string]string{"relationship": "server1", "this_server": "server1", "partner": "server2",
		"mode": "load-balancing", "role": "primary", "peers": "server1=http://198.18.0.1:8101/,server2=http://198.18.0.2:8102/"}, 1)
	oneHot(t, s, "kea_ha_state", rel, "state", "load-balancing")
	want(t, s, "kea_ha_scope_served", map[string]string{"relationship": "server1", "scope": "server1"}, 1)
	want(t, s, "kea_ha_scope_served", map[string]string{"relationship": "server1", "scope": "server2"}, 0)
	partner := map[string]string{"relationship": "server1", "partner": "server2"}
	want(t, s, "kea_ha_partner_age_seconds", partner, 4)
	want(t, s, "kea_ha_partner_in_touch", partner, 1)
	want(t, s, "kea_ha_partner_communication_interrupted", partner, 0)
	want(t, s, "kea_ha_partner_unacked_clients_left", partner, 0)
	absent(t, s, "kea_ha_partner_clock_skew_seconds", partner) // Kea 2.4+
	oneHot(t, s, "kea_ha_partner_state", partner, "state", "load-balancing")
	oneHot(t, s, "kea_ha_heartbeat_state", rel, "state", "load-balancing")
	want(t, s, "kea_ha_unsent_updates_total", rel, 0)
	if _, ok := value(s, "kea_ha_heartbeat_clock_offset_seconds", rel); !ok {
		t.Error("no clock offset from ha-heartbeat's date-time")
	}
	want(t, s, "kea_daemon_multi_threading_enabled", map[string]string{"daemon": "dhcp4"}, 1)
	want(t, s, "kea_daemon_sockets_status", map[string]string{"status": "ready"}, 1)
	want(t, s, "kea_daemon_sockets_status", map[string]string{"status": "failed"}, 0)
	want(t, s, "kea_daemon_uptime_seconds", nil, 31)
	absent(t, s, "kea_daemon_dhcp_disabled", nil) // dhcp-state is Kea 2.4+
	want(t, s, "ddiscope_kea_ha_relationships_invalid", nil, 0)
	for _, part := range []string{"subnets", "ha"} {
		if v, ok := value(s, "kea_ha_config_fingerprint", map[string]string{"part": part}); !ok || v <= 0 || v >= 1<<48 {
			t.Errorf("fingerprint %s = %v (%v), want a 48-bit value", part, v, ok)
		}
	}
	absent(t, s, "ddiscope_kea_command_errors_total", nil)
}

// derive runs the pair deriver over snapshots, as /metrics does.
func derive(cat *catalog.Catalog, snaps ...*collector.Snapshot) []collector.Sample {
	return HAPairs(cat)(snaps)
}

// Two peers of the lab's load-balancing pair, each with its own captures:
// the pair is found from their HA configurations, and is healthy.
func TestHAPairHealthy(t *testing.T) {
	cat := testCat(t)
	s1, _ := replay(t, kea22Pair("server1"))
	s2, _ := replay(t, kea22Pair("server2"))
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	out := derive(cat, a, b)
	for _, side := range []struct{ server, peer, partner string }{{"kea-a", "kea-b", "server2"}, {"kea-b", "kea-a", "server1"}} {
		pair := map[string]string{"server": side.server, "relationship": "server1", "peer_server": side.peer}
		want(t, out, "kea_ha_pair_state_mismatch", pair, 0)
		want(t, out, "kea_ha_pair_split_brain", pair, 0)
		want(t, out, "kea_ha_pair_partner_view_stale", pair, 0)
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": side.server, "part": "subnets"}, 0)
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": side.server, "part": "ha"}, 0)
		want(t, out, "ddiscope_kea_ha_partner_monitored", map[string]string{"server": side.server, "partner": side.partner}, 1)
		if _, ok := value(out, "kea_ha_pair_clock_skew_seconds", pair); !ok {
			t.Errorf("%s: no pair clock skew", side.server)
		}
	}
	// Both peers hold every lease (load balancing syncs them): the fleet
	// counts the pair's subnets once, from the peer with more leases.
	var wantTotal, wantAssigned float64
	for _, smp := range b.Samples {
		switch smp.Metric.Name {
		case "kea_dhcp4_subnet_addresses":
			wantTotal += smp.Value
		case "kea_dhcp4_subnet_addresses_assigned":
			wantAssigned += smp.Value
		}
	}
	want(t, out, "kea_dhcp4_fleet_addresses", nil, wantTotal)
	want(t, out, "kea_dhcp4_fleet_addresses_assigned", nil, wantAssigned)
	alone := derive(cat, a)
	want(t, alone, "ddiscope_kea_ha_partner_monitored", map[string]string{"server": "kea-a", "partner": "server2"}, 0)
	absent(t, alone, "kea_ha_pair_state_mismatch", nil)
}

// The lab's config-test bug froze server1's HA listener: server1 still says
// load-balancing, its view of server2 frozen, while server2 took both scopes
// in partner-down. Both serve scope server1: split brain.
func TestHAPairSplitBrainFromCaptures(t *testing.T) {
	cat := testCat(t)
	f1, f2 := kea22Pair("server1"), kea22Pair("server2")
	f1["dhcp4:status-get"] = captured + "kea2.2-ha-splitbrain-server1-status-get.json"
	f2["dhcp4:status-get"] = captured + "kea2.2-ha-splitbrain-server2-status-get.json"
	f2["dhcp4:ha-heartbeat"] = captured + "kea2.2-ha-splitbrain-server2-ha-heartbeat.json"
	s1, _ := replay(t, f1)
	s2, _ := replay(t, f2)
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	want(t, a.Samples, "kea_ha_partner_age_seconds", map[string]string{"partner": "server2"}, 17)
	want(t, a.Samples, "kea_daemon_multi_threading_enabled", nil, 0)
	out := derive(cat, a, b)
	pa := map[string]string{"server": "kea-a", "peer_server": "kea-b"}
	want(t, out, "kea_ha_pair_split_brain", pa, 1)
	want(t, out, "kea_ha_pair_state_mismatch", pa, 1)
	want(t, out, "kea_ha_pair_partner_view_stale", pa, 1) // server1 still believes load-balancing
}

// Kea 3.x hub-and-spoke (ARM "Hub and Spoke Configuration"): a hub with two
// relationships reports both in one status-get, with server names, clock
// skew and dhcp-state. Each relationship pairs with its branch; the fleet
// counts a subnet once whether the hub or the branch reports it.
func TestHAHubAndSpoke(t *testing.T) {
	cat := testCat(t)
	hub, hubSeen := replay(t, map[string]string{
		"ca:config-get":        haDir + "kea3.0-hub-dhcp6-config-get.json",
		"ca:statistic-get-all": haDir + "kea3.0-hub-dhcp6-statistic-get-all.json",
		"ca:status-get":        haDir + "kea3.0-hub-dhcp6-status-get.json",
		"ca:ha-heartbeat":      haDir + "kea3.0-hub-dhcp6-ha-heartbeat.json",
	})
	branch, _ := replay(t, map[string]string{
		"ca:config-get":        haDir + "kea3.0-branch1-dhcp6-config-get.json",
		"ca:statistic-get-all": haDir + "kea3.0-branch1-dhcp6-statistic-get-all.json",
		"ca:status-get":        haDir + "kea3.0-branch1-dhcp6-status-get.json",
		"ca:ha-heartbeat":      haDir + "kea3.0-branch1-dhcp6-ha-heartbeat.json",
	})
	_, h := pollOnce(t, cat, "hub", hub.URL, Options{})
	_, b := pollOnce(t, cat, "branch1", branch.URL, Options{})
	s := h.Samples
	r1 := map[string]string{"server": "hub", "daemon": "dhcp6", "relationship": "server1"}
	r2 := map[string]string{"server": "hub", "daemon": "dhcp6", "relationship": "server3"}
	oneHot(t, s, "kea_ha_state", r1, "state", "hot-standby")
	oneHot(t, s, "kea_ha_state", r2, "state", "partner-down")
	want(t, s, "kea_ha_info", map[string]string{"relationship": "server3", "this_server": "server4", "partner": "server3", "role": "standby", "mode": "hot-standby"}, 1)
	want(t, s, "kea_ha_scope_served", map[string]string{"relationship": "server3", "scope": "server3"}, 1)
	want(t, s, "kea_ha_partner_clock_skew_seconds", map[string]string{"relationship": "server1", "partner": "server1"}, -2)
	want(t, s, "kea_ha_partner_unacked_clients", map[string]string{"relationship": "server3", "partner": "server3"}, 10)
	want(t, s, "kea_ha_partner_communication_interrupted", map[string]string{"relationship": "server3"}, 1)
	oneHot(t, s, "kea_ha_partner_state", map[string]string{"relationship": "server3"}, "state", "unavailable")
	for _, r := range []string{"user", "db_connection", "local_command", "remote_command", "global"} {
		want(t, s, "kea_daemon_dhcp_disabled", map[string]string{"reason": r}, 0)
	}
	want(t, s, "kea_dhcp6_subnet_ha_relationship", map[string]string{"subnet_id": "1", "relationship": "server1"}, 1)
	want(t, s, "kea_dhcp6_subnet_ha_relationship", map[string]string{"subnet_id": "2", "relationship": "server3"}, 1)
	// One heartbeat per relationship, each naming it.
	hbs := 0
	for _, c := range *hubSeen {
		if c == "ca:ha-heartbeat" {
			hbs++
		}
	}
	if hbs != 2 {
		t.Errorf("hub: %d ha-heartbeat sent, want one per relationship (2): %v", hbs, *hubSeen)
	}

	out := derive(cat, h, b)
	want(t, out, "ddiscope_kea_ha_partner_monitored", map[string]string{"server": "hub", "relationship": "server1", "partner": "server1"}, 1)
	want(t, out, "ddiscope_kea_ha_partner_monitored", map[string]string{"server": "hub", "relationship": "server3", "partner": "server3"}, 0)
	want(t, out, "kea_ha_pair_state_mismatch", map[string]string{"server": "hub", "relationship": "server1", "peer_server": "branch1"}, 0)
	want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": "branch1", "part": "subnets"}, 0)
	// Subnet 1 is on both hub and branch1 (relationship server1): once.
	// Subnet 2 is the hub's alone (its branch is not polled).
	want(t, out, "kea_dhcp6_fleet_addresses_assigned", nil, 120+45)
	want(t, out, "kea_dhcp6_fleet_addresses", nil, 2*281474976710656)
}

// passive-backup (ARM "Supported Configurations"): no partner in status-get
// and no pair states, but the backup's configuration can drift from the
// primary's, and the fleet counts their shared subnet once.
func TestHAPassiveBackup(t *testing.T) {
	cat := testCat(t)
	files := func(who string) map[string]string {
		return map[string]string{
			"ca:config-get":        haDir + "kea3.0-passive-" + who + "-dhcp4-config-get.json",
			"ca:statistic-get-all": haDir + "kea3.0-passive-" + who + "-dhcp4-statistic-get-all.json",
			"ca:status-get":        haDir + "kea3.0-passive-" + who + "-dhcp4-status-get.json",
		}
	}
	ps, _ := replay(t, files("primary"))
	bs, _ := replay(t, files("backup2"))
	_, p := pollOnce(t, cat, "primary", ps.URL, Options{})
	_, b := pollOnce(t, cat, "backup2", bs.URL, Options{})
	oneHot(t, p.Samples, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", "passive-backup")
	oneHot(t, b.Samples, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", "backup")
	want(t, p.Samples, "kea_ha_info", map[string]string{"partner": "", "mode": "passive-backup", "role": "primary"}, 1)
	absent(t, p.Samples, "kea_ha_partner_age_seconds", nil)
	out := derive(cat, p, b)
	want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": "primary", "peer_server": "backup2", "part": "subnets"}, 1)
	want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": "primary", "peer_server": "backup2", "part": "ha"}, 0)
	absent(t, out, "kea_ha_pair_split_brain", nil)
	absent(t, out, "ddiscope_kea_ha_partner_monitored", nil)
	want(t, out, "kea_dhcp4_fleet_addresses_assigned", nil, 30)
}

// A relationship missing its local state is skipped and counted; the good
// one and everything else is still exported. The flat layout (local and
// remote beside ha-mode, high-availability an object) is read too.
func TestHAStatusBadAndFlatLayouts(t *testing.T) {
	cat := testCat(t)
	for _, tc := range []struct {
		file    string
		invalid float64
		state   string
	}{
		{"bad-relationship-missing-fields-status-get.json", 2, ""},
		{"flat-layout-status-get.json", 0, "load-balancing"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f := kea22Pair("server1")
			f["dhcp4:status-get"] = haDir + tc.file
			srv, _ := replay(t, f)
			_, snap := pollOnce(t, cat, "kea1", srv.URL, Options{Daemons: []string{"dhcp4"}})
			s := snap.Samples
			want(t, s, "ddiscope_kea_ha_relationships_invalid", nil, tc.invalid)
			if tc.state != "" {
				oneHot(t, s, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", tc.state)
			} else {
				absent(t, s, "kea_ha_state", map[string]string{"state": "load-balancing"})
			}
			// The relationship is still known from the configuration, and
			// the statistics are all there.
			want(t, s, "kea_ha_info", map[string]string{"relationship": "server1"}, 1)
			if _, ok := value(s, "kea_dhcp4_subnet_addresses_assigned", map[string]string{"subnet_id": "1"}); !ok {
				t.Error("statistics missing")
			}
		})
	}
}

// Kea 3.x with role-based access refuses ha-heartbeat (a write command) to
// a read-only role: ddiscope says so in ddiscope_kea_command_unavailable,
// keeps exporting status-get's HA state, and does not ask on every poll.
func TestHAHeartbeatRefused(t *testing.T) {
	cat := testCat(t)
	srv, seen := replay(t, kea22Pair("server1"), "dhcp4:ha-heartbeat")
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	p := NewPoller(client, cat, slog.New(slog.NewTextHandler(&logged, nil)), Options{Daemons: []string{"dhcp4"}})
	defer p.Close()
	var snap *collector.Snapshot
	for range 3 {
		if snap, _, err = p.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	s := snap.Samples
	want(t, s, "ddiscope_kea_command_unavailable", map[string]string{"command": "ha-heartbeat", "reason": "forbidden"}, 1)
	want(t, s, "ddiscope_kea_command_errors_total", map[string]string{"command": "ha-heartbeat", "reason": "forbidden"}, 1)
	oneHot(t, s, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", "load-balancing")
	absent(t, s, "kea_ha_heartbeat_state", nil)
	n := 0
	for _, c := range *seen {
		if c == "dhcp4:ha-heartbeat" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ha-heartbeat sent %d times in 3 polls after a refusal, want once", n)
	}
	if c := strings.Count(logged.String(), "refuses or lacks a command"); c != 1 {
		t.Errorf("refusal logged %d times, want once:\n%s", c, logged.String())
	}
	// Ten minutes later ddiscope asks again.
	p.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
	if _, _, err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	n = 0
	for _, c := range *seen {
		if c == "dhcp4:ha-heartbeat" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("ha-heartbeat sent %d times after the retry delay, want 2", n)
	}
}

// The golden fixtures without HA know nothing of status-get: the poll is as
// before, with the missing command said once.
func TestStatusGetUnsupportedIsNotAnError(t *testing.T) {
	cat := testCat(t)
	srv := keafixture.New(t, map[string]string{
		"ca:config-get":        "../../testdata/kea/fixtures/kea3.0-dhcp4-config-get.json",
		"ca:statistic-get-all": "../../testdata/kea/fixtures/kea3.0-dhcp4-statistic-get-all.json",
	})
	_, snap := pollOnce(t, cat, "kea1", srv.URL, Options{})
	want(t, snap.Samples, "ddiscope_kea_command_unavailable", map[string]string{"command": "status-get", "reason": "unsupported"}, 1)
	absent(t, snap.Samples, "ddiscope_kea_command_errors_total", nil)
	absent(t, snap.Samples, "kea_ha_info", nil)
}

func TestHAStatesCatalogSorted(t *testing.T) {
	if !sort.StringsAreSorted(catalog.HAStates) {
		t.Error("catalog.HAStates not sorted: series order would look random")
	}
}

// The lab's failover, captured on server1 and server2: each state reads as
// Kea reported it.
func TestHAStatusFailoverCaptures(t *testing.T) {
	cat := testCat(t)
	for _, tc := range []struct {
		server, status, state string
		check                 func(t *testing.T, s []collector.Sample)
	}{
		{"server1", "kea2.2-ha-server1-status-get-partner-interrupted.json", "communication-recovery", func(t *testing.T, s []collector.Sample) {
			oneHot(t, s, "kea_ha_partner_state", map[string]string{"partner": "server2"}, "state", "unavailable")
			want(t, s, "kea_ha_partner_communication_interrupted", nil, 0)
		}},
		{"server1", "kea2.2-ha-server1-status-get-partner-down.json", "partner-down", func(t *testing.T, s []collector.Sample) {
			want(t, s, "kea_ha_scope_served", map[string]string{"scope": "server1"}, 1)
			want(t, s, "kea_ha_scope_served", map[string]string{"scope": "server2"}, 1)
			want(t, s, "kea_ha_partner_communication_interrupted", nil, 1)
			want(t, s, "kea_ha_partner_unacked_clients_left", nil, 1)
		}},
		{"server2", "kea2.2-ha-server2-status-get-rejoining.json", "waiting", func(t *testing.T, s []collector.Sample) {
			want(t, s, "kea_ha_partner_in_touch", map[string]string{"partner": "server1"}, 0)
			want(t, s, "kea_ha_scope_served", map[string]string{"scope": "server2"}, 0)
			for _, smp := range s {
				if smp.Metric.Name == "kea_ha_partner_state" && smp.Value != 0 {
					t.Errorf("before the first contact no partner state is 1: %v", smp.ExtraValues())
				}
			}
		}},
	} {
		t.Run(tc.status, func(t *testing.T) {
			f := kea22Pair(tc.server)
			f["dhcp4:status-get"] = captured + tc.status
			srv, _ := replay(t, f)
			_, snap := pollOnce(t, cat, "kea1", srv.URL, Options{Daemons: []string{"dhcp4"}})
			oneHot(t, snap.Samples, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", tc.state)
			tc.check(t, snap.Samples)
		})
	}
	// A daemon without the HA hook: its status, no HA series, and
	// ha-heartbeat never sent.
	srv, seen := replay(t, map[string]string{
		"ca:config-get":           captured + "kea2.2-ca-config-get.json",
		"dhcp6:config-get":        captured + "kea2.2-dhcp6-config-get.json",
		"dhcp6:statistic-get-all": captured + "kea2.2-dhcp6-statistic-get-all.json",
		"dhcp6:status-get":        captured + "kea2.2-dhcp6-status-get.json",
		"dhcp6:ha-heartbeat":      captured + "kea2.2-error-ha-heartbeat-dhcp6.json",
	})
	_, snap := pollOnce(t, cat, "kea1", srv.URL, Options{Daemons: []string{"dhcp6"}})
	want(t, snap.Samples, "kea_daemon_multi_threading_enabled", map[string]string{"daemon": "dhcp6"}, 0)
	absent(t, snap.Samples, "kea_ha_info", nil)
	absent(t, snap.Samples, "ddiscope_kea_ha_relationships_invalid", nil)
	for _, c := range *seen {
		if c == "dhcp6:ha-heartbeat" {
			t.Error("ha-heartbeat sent to a daemon without the HA hook")
		}
	}
}

// The pair and fleet series go through /metrics as any other: valid text
// exposition, one family each, lint-clean.
func TestHAPairsRender(t *testing.T) {
	cat := testCat(t)
	s1, _ := replay(t, kea22Pair("server1"))
	s2, _ := replay(t, kea22Pair("server2"))
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	store := collector.NewStore()
	for _, snap := range []*collector.Snapshot{a, b} {
		store.Register(snap.Target, "kea")
		store.Success(snap.Target, snap, time.Millisecond, 0)
	}
	body := promexp.NewHandler(cat, store, nil, slog.New(slog.DiscardHandler), HAPairs(cat)).Render()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, name := range []string{"kea_ha_pair_split_brain", "kea_dhcp4_fleet_addresses", "kea_dhcp4_fleet_shared_network_utilization_ratio", "ddiscope_kea_ha_partner_monitored"} {
		if families[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "kea_ha") || strings.Contains(p.Metric, "fleet") || strings.Contains(p.Metric, "lease") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// The fleet takes each subnet of a pair from whichever peer reports more
// leases in that subnet, not one peer for the whole pair: with kea-a ahead
// in one subnet and kea-b in another, the total has both peers' larger
// counts (docs/ha.md).
func TestFleetChoosesThePeerPerSubnet(t *testing.T) {
	cat := testCat(t)
	s1, _ := replay(t, kea22Pair("server1"))
	s2, _ := replay(t, kea22Pair("server2"))
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	bump := func(snap *collector.Snapshot, subnet string, by float64) {
		for i := range snap.Samples {
			if s := &snap.Samples[i]; s.Metric.Name == "kea_dhcp4_subnet_addresses_assigned" && s.ID.Values[1] == subnet {
				s.Value += by
				return
			}
		}
		t.Fatalf("%s: no subnet %s", snap.Target, subnet)
	}
	var base float64
	for _, s := range b.Samples {
		if s.Metric.Name == "kea_dhcp4_subnet_addresses_assigned" {
			base += s.Value
		}
	}
	bump(a, "1", 5) // kea-a ahead in subnet 1 (kea-b has not synced those yet)
	bump(b, "2", 7) // kea-b ahead in subnet 2
	want(t, derive(cat, a, b), "kea_dhcp4_fleet_addresses_assigned", nil, base+5+7)
}
