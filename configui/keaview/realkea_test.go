package keaview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

func client(t *testing.T, name, url string) *keactl.Client { return client2(t, name, url) }

func client2(t testing.TB, name, url string) *keactl.Client {
	t.Helper()
	c, err := keactl.New(keactl.Options{Name: name, URL: url, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// closedURL is a loopback URL where nothing listens: a server that is down.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

// statOf is what Kea itself reports for a statistic, read on the daemon's
// socket beside the view (nil: Kea has no such statistic).
func statOf(t *testing.T, lab *keatest.Lab, socket, name string) *big.Int {
	t.Helper()
	n, ok := lab.Statistic(t, socket, name)
	if !ok {
		return nil
	}
	return big.NewInt(n)
}

func eqInt(a, b *big.Int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Cmp(b) == 0
}

// TestRealKea22 runs the views against Debian's Kea 2.2 with perfdhcp's
// leases: a Control Agent with dhcp4 and dhcp6, dhcp6's own UNIX socket,
// and a server that is down.
func TestRealKea22(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Traffic: true, DHCP6: true, ControlAgent: true})
	bcast := lab.Perfdhcp4(t, 10) // subnet 1: 4 of 4, subnet 2: 6
	relay := lab.Perfdhcp4Relay(t, keatest.RelayAddr4, 8)
	v6 := lab.Perfdhcp6(t, 10)
	if bcast.Completed() != 10 || relay.Completed() != 8 || v6.Completed() != 10 {
		t.Fatalf("perfdhcp: %d/10 broadcast, %d/8 relayed, %d/10 v6", bcast.Completed(), relay.Completed(), v6.Completed())
	}
	v, err := New(Options{Targets: []Target{
		{Name: "kea", Client: client(t, "kea", lab.CAURL)},
		{Name: "kea6-socket", Client: client(t, "kea6-socket", "unix://"+lab.Socket6)},
		{Name: "down", Client: client(t, "down", closedURL(t))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Warm reads what it can and names the server that is down.
	if err := v.Warm(ctx); err == nil || !strings.Contains(err.Error(), `"down"`) || v.targets["kea"].daemons["dhcp6"].cfg == nil {
		t.Fatalf("Warm: %v", err)
	}

	t.Run("overview", func(t *testing.T) {
		ov := v.Overview(ctx)
		if len(ov.Servers) != 3 {
			t.Fatalf("servers: %+v", ov.Servers)
		}
		kea, sock, down := ov.Servers[0], ov.Servers[1], ov.Servers[2]
		if kea.Err != nil || kea.Transport != "control-agent" || kea.AgentVersion != "2.2.0" || len(kea.Daemons) != 2 {
			t.Fatalf("kea: %+v", kea)
		}
		var ver struct {
			Text string `json:"text"`
		}
		json.Unmarshal(lab.Command(t, lab.Socket4, "version-get", nil), &ver)
		for _, d := range kea.Daemons {
			if !d.Up || d.Err != nil || d.Version != ver.Text {
				t.Errorf("daemon %s: up %v err %v version %q, Kea says %q", d.Name, d.Up, d.Err, d.Version, ver.Text)
			}
		}
		if d := kea.Daemons[0]; d.Name != "dhcp4" || d.Subnets != 4 || d.SharedNetworks != 1 || d.HA != nil {
			t.Errorf("dhcp4: %+v", d)
		}
		if d := kea.Daemons[1]; d.Name != "dhcp6" || d.Subnets != 3 || d.SharedNetworks != 0 || d.Pools != 5 {
			t.Errorf("dhcp6: %+v", d)
		}
		var st struct {
			Arguments struct{ Uptime int64 } `json:"arguments"`
		}
		json.Unmarshal(lab.Command(t, lab.Socket6, "status-get", nil), &st)
		if got := int64(kea.Daemons[1].Uptime / time.Second); got > st.Arguments.Uptime || got < st.Arguments.Uptime-1 {
			t.Errorf("dhcp6 uptime %ds, Kea says %ds", got, st.Arguments.Uptime)
		}
		if sock.Err != nil || sock.Transport != "unix" || len(sock.Daemons) != 1 || sock.Daemons[0].Name != "dhcp6" || !sock.Daemons[0].Up {
			t.Errorf("socket: %+v", sock)
		}
		var ke *keactl.Error
		if down.Err == nil || !errors.As(down.Err, &ke) || ke.Reason != keactl.ReasonConnect {
			t.Errorf("down: want a connect error, got %v", down.Err)
		}
	})

	t.Run("subnets dhcp4 equal Kea's statistics", func(t *testing.T) {
		page, err := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{})
		if err != nil || page.StatsErr != nil {
			t.Fatalf("%v %v", err, page.StatsErr)
		}
		if page.Total != 4 || page.Matched != 4 || len(page.Rows) != 4 || page.Pages != 1 {
			t.Fatalf("page: %+v", page)
		}
		for _, r := range page.Rows {
			p := fmt.Sprintf("subnet[%d].", r.Config.ID)
			if !eqInt(r.Addresses.Assigned, statOf(t, lab, lab.Socket4, p+"assigned-addresses")) ||
				!eqInt(r.Addresses.Total, statOf(t, lab, lab.Socket4, p+"total-addresses")) || r.Addresses.FromConfig {
				t.Errorf("subnet %d: %v/%v, Kea says %v/%v", r.Config.ID, r.Addresses.Assigned, r.Addresses.Total,
					statOf(t, lab, lab.Socket4, p+"assigned-addresses"), statOf(t, lab, lab.Socket4, p+"total-addresses"))
			}
			if r.Labels != (Labels{Server: "kea", Daemon: "dhcp4", SubnetID: fmt.Sprint(r.Config.ID), SharedNetwork: r.Config.SharedNetwork}) {
				t.Errorf("labels %+v", r.Labels)
			}
		}
		if r := page.Rows[0]; r.Addresses.Percent() != "100.0%" {
			t.Errorf("subnet 1 is full (4 of 4): %s", r.Addresses.Percent())
		}
	})

	t.Run("subnets dhcp6: -1 totals from the configuration", func(t *testing.T) {
		for _, server := range []string{"kea", "kea6-socket"} {
			page, err := v.Subnets(ctx, server, "dhcp6", SubnetQuery{})
			if err != nil || page.StatsErr != nil || len(page.Rows) != 3 {
				t.Fatalf("%s: %v %v %+v", server, err, page.StatsErr, page)
			}
			for _, r := range page.Rows {
				p := fmt.Sprintf("subnet[%d].", r.Config.ID)
				kt := statOf(t, lab, lab.Socket6, p+"total-nas")
				if kt.Sign() < 0 {
					// Kea 2.2 says -1 for the whole /64: the page has 2^64.
					if !r.Addresses.FromConfig || r.Addresses.Total.Cmp(new(big.Int).Lsh(big.NewInt(1), 64)) != 0 {
						t.Errorf("subnet %d: total %v (from config %v), want 2^64", r.Config.ID, r.Addresses.Total, r.Addresses.FromConfig)
					}
				} else if !eqInt(r.Addresses.Total, kt) {
					t.Errorf("subnet %d: total-nas %v, Kea %v", r.Config.ID, r.Addresses.Total, kt)
				}
				for _, c := range []struct {
					got  *big.Int
					stat string
				}{{r.Addresses.Assigned, "assigned-nas"}, {r.Prefixes.Assigned, "assigned-pds"}, {r.Prefixes.Total, "total-pds"}} {
					if want := statOf(t, lab, lab.Socket6, p+c.stat); !eqInt(c.got, want) {
						t.Errorf("%s subnet %d %s: %v, Kea %v", server, r.Config.ID, c.stat, c.got, want)
					}
				}
			}
			// Equal to Kea above; at least what perfdhcp saw complete (an
			// exchange perfdhcp gave up on may still have left a lease).
			if a := page.Rows[0].Addresses.Assigned; a == nil || a.Int64() < int64(v6.Completed()) {
				t.Errorf("subnet 1: perfdhcp completed %d exchanges, the page says %v leases", v6.Completed(), a)
			}
		}
	})

	t.Run("subnets equal Kea's config-get", func(t *testing.T) {
		for _, c := range []struct{ daemon, socket, top, list string }{{"dhcp4", lab.Socket4, "Dhcp4", "subnet4"}, {"dhcp6", lab.Socket6, "Dhcp6", "subnet6"}} {
			var raw struct {
				Arguments map[string]map[string]json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(lab.Command(t, c.socket, "config-get", nil), &raw); err != nil {
				t.Fatal(err)
			}
			want := map[int64]kSubnet{}
			var plain []kSubnet
			json.Unmarshal(raw.Arguments[c.top][c.list], &plain)
			for _, s := range plain {
				want[s.ID] = s
			}
			var shared []struct {
				Name    string    `json:"name"`
				Subnet4 []kSubnet `json:"subnet4"`
				Subnet6 []kSubnet `json:"subnet6"`
			}
			json.Unmarshal(raw.Arguments[c.top]["shared-networks"], &shared)
			for _, sn := range shared {
				for _, s := range append(sn.Subnet4, sn.Subnet6...) {
					s.Shared = sn.Name
					want[s.ID] = s
				}
			}
			page, err := v.Subnets(ctx, "kea", c.daemon, SubnetQuery{})
			if err != nil || page.Total != len(want) {
				t.Fatalf("%s: %d subnets, Kea's config-get has %d (%v)", c.daemon, page.Total, len(want), err)
			}
			for _, r := range page.Rows {
				w := want[r.Config.ID]
				ranges := 0
				for _, p := range r.Config.Pools {
					ranges += len(p.Ranges)
				}
				valid := int64(-1)
				for _, l := range r.Config.Lifetimes {
					if l.Name == "valid-lifetime" {
						valid = l.Seconds
					}
				}
				if r.Config.Prefix != w.Subnet || r.Config.SharedNetwork != w.Shared || ranges != len(w.Pools) || valid != w.Valid {
					t.Errorf("%s subnet %d: %s %q %d ranges valid %d; Kea: %s %q %d valid %d", c.daemon, r.Config.ID,
						r.Config.Prefix, r.Config.SharedNetwork, ranges, valid, w.Subnet, w.Shared, len(w.Pools), w.Valid)
				}
			}
		}
	})

	t.Run("filters and paging", func(t *testing.T) {
		ids := func(q SubnetQuery) []int64 {
			t.Helper()
			page, err := v.Subnets(ctx, "kea", "dhcp4", q)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, r := range page.Rows {
				out = append(out, r.Config.ID)
			}
			return out
		}
		for _, c := range []struct {
			q    SubnetQuery
			want string
		}{
			{SubnetQuery{Prefix: "198.18.1.77"}, "[2]"},
			{SubnetQuery{Prefix: "198.18.0.0/23"}, "[1 2]"},
			{SubnetQuery{Prefix: "198.18.3"}, "[4]"},
			{SubnetQuery{ID: 3}, "[3]"},
			{SubnetQuery{SharedNetwork: "lab-lan"}, "[1 2]"},
			{SubnetQuery{AlertingOnly: true, Alerting: func(l Labels) bool { return l.SubnetID == "3" || l.SharedNetwork == "lab-lan" }}, "[1 2 3]"},
			{SubnetQuery{PerPage: 1, Page: 2}, "[2]"},
			{SubnetQuery{SharedNetwork: "lab-lan", PerPage: 1, Page: 2}, "[2]"},
			{SubnetQuery{PerPage: 3, Page: 9}, "[]"},
		} {
			if got := fmt.Sprint(ids(c.q)); got != c.want {
				t.Errorf("%+v: %s, want %s", c.q, got, c.want)
			}
		}
		page, _ := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{PerPage: 3, Page: 2})
		if page.Pages != 2 || page.Matched != 4 {
			t.Errorf("pages %d matched %d", page.Pages, page.Matched)
		}
	})

	t.Run("subnet, pool and shared network pages", func(t *testing.T) {
		s, err := v.Subnet(ctx, "kea", "dhcp4", 3)
		if err != nil || s.StatsErr != nil {
			t.Fatal(err, s.StatsErr)
		}
		if !eqInt(s.Addresses.Assigned, statOf(t, lab, lab.Socket4, "subnet[3].assigned-addresses")) || s.Addresses.Assigned.Int64() != 8 {
			t.Errorf("subnet 3: %v assigned; perfdhcp made 8", s.Addresses.Assigned)
		}
		// Kea 2.2: two pools without pool-id are pool 0, with no statistics of its own.
		if len(s.Pools) != 1 || len(s.Pools[0].Config.Ranges) != 2 || s.Pools[0].Usage.Total.Int64() != 10 || s.Pools[0].Stats || s.Pools[0].Labels.PoolID != "0" {
			t.Errorf("pools: %+v", s.Pools)
		}
		if len(s.Config.Lifetimes) == 0 || len(s.Config.Options) < 2 {
			t.Errorf("lifetimes %+v options %+v", s.Config.Lifetimes, s.Config.Options)
		}
		p, err := v.Pool(ctx, "kea", "dhcp6", 1, PD, 0)
		if err != nil || p.Pool.Config.Ranges[0].Range != "2001:db8:8000::/48" || p.Pool.Usage.Total.Int64() != 256 {
			t.Errorf("pd-pool: %+v %v", p, err)
		}
		if _, err := v.Pool(ctx, "kea", "dhcp4", 3, Addresses, 7); !errors.Is(err, ErrNotFound) {
			t.Errorf("pool 7: %v, want not found", err)
		}
		if _, err := v.Subnet(ctx, "kea", "dhcp4", 99); !errors.Is(err, ErrNotFound) {
			t.Errorf("subnet 99: %v", err)
		}
		sn, err := v.SharedNetwork(ctx, "kea", "dhcp4", "lab-lan")
		if err != nil || sn.StatsErr != nil || len(sn.Rows) != 2 {
			t.Fatal(err, sn.StatsErr)
		}
		want := new(big.Int).Add(statOf(t, lab, lab.Socket4, "subnet[1].assigned-addresses"), statOf(t, lab, lab.Socket4, "subnet[2].assigned-addresses"))
		if !eqInt(sn.Addresses.Assigned, want) || sn.Addresses.Total.Int64() != 204 {
			t.Errorf("lab-lan: %v/%v, Kea's subnets sum to %v/204", sn.Addresses.Assigned, sn.Addresses.Total, want)
		}
	})

	t.Run("lease search", func(t *testing.T) {
		l4 := relay.Leases[0]
		q, err := ParseLeaseQuery("", l4.Address)
		if err != nil {
			t.Fatal(err)
		}
		res := v.SearchLeases(ctx, q)
		if len(res.Leases) != 1 || res.Leases[0].Server != "kea" || res.Leases[0].HWAddress != strings.ToLower(l4.Client) ||
			res.Leases[0].SubnetID != 3 || res.Leases[0].Subnet != "198.18.2.0/24" || res.Leases[0].StateName != "default" {
			t.Errorf("by IP %s: %+v", l4.Address, res.Leases)
		}
		// The server that is down is reported beside the lease, not instead of it.
		if len(res.Failures) != 1 || res.Failures[0].Server != "down" {
			t.Errorf("failures: %+v", res.Failures)
		}
		q, _ = ParseLeaseQuery("", l4.Client)
		res = v.SearchLeases(ctx, q)
		if len(res.Leases) != 1 || res.Leases[0].Address != l4.Address {
			t.Errorf("by MAC %s: %+v", l4.Client, res.Leases)
		}
		if !strings.Contains(strings.Join(res.Unsupported, ","), "lease6-get-by-hw-address") {
			t.Errorf("Kea 2.2 has no lease6-get-by-hw-address; unsupported: %v", res.Unsupported)
		}
		// perfdhcp sends no hostname: give the lease one with lease4-update.
		reply := lab.Command(t, lab.Socket4, "lease4-update", map[string]any{"ip-address": l4.Address, "hw-address": l4.Client,
			"subnet-id": 3, "hostname": "perf-client.lab.example"})
		if r, text, _ := keatest.Result(reply); r != 0 {
			t.Fatalf("lease4-update: %d %s", r, text)
		}
		q, _ = ParseLeaseQuery("", "Perf-Client.lab.example")
		res = v.SearchLeases(ctx, q)
		if len(res.Leases) != 1 || res.Leases[0].Address != l4.Address || res.Leases[0].Hostname != "perf-client.lab.example" {
			t.Errorf("by hostname: %+v", res.Leases)
		}
		// DHCPv6: by address, then by the DUID Kea stored. The CA and the
		// socket reach the same daemon, so both answer.
		l6 := v6.Leases[0]
		q, _ = ParseLeaseQuery("", l6.Address)
		res = v.SearchLeases(ctx, q)
		if len(res.Leases) != 2 || res.Leases[0].Type != "IA_NA" || res.Leases[0].DUID == "" {
			t.Fatalf("by v6 address %s: %+v", l6.Address, res.Leases)
		}
		q, err = ParseLeaseQuery("duid", res.Leases[0].DUID)
		if err != nil {
			t.Fatal(err)
		}
		res = v.SearchLeases(ctx, q)
		types := map[string]bool{}
		for _, l := range res.Leases {
			types[l.Type] = true
		}
		if !types["IA_NA"] || !types["IA_PD"] {
			t.Errorf("by DUID: want the address and the prefix, got %+v", res.Leases)
		}
		// Not found is no lease and no failure.
		q, _ = ParseLeaseQuery("", "198.18.3.77")
		res = v.SearchLeases(ctx, q)
		if len(res.Leases) != 0 || len(res.Failures) != 1 {
			t.Errorf("unknown address: %+v", res)
		}
	})

	t.Run("config cache: reused until Kea reloads", func(t *testing.T) {
		v.opts.HashCheckEvery = time.Nanosecond // check on every view
		dc := v.targets["kea"].daemons["dhcp4"]
		if _, err := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{}); err != nil {
			t.Fatal(err)
		}
		before := dc.cfg
		if !dc.noHash {
			t.Error("Kea 2.2 answers config-hash-get with result 2: the view should know")
		}
		if _, err := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{}); err != nil || dc.cfg != before {
			t.Fatalf("config-get was read again with no change (err %v)", err)
		}
		v.Invalidate("kea", "dhcp4")
		if _, err := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{}); err != nil || dc.cfg == before {
			t.Fatalf("Invalidate must make the next view read config-get (err %v)", err)
		}
		before = dc.cfg
		// Add subnet 5 with config-set, as the editor will: status-get's
		// reload goes back to 0, and the next view reads config-get again.
		// Kea 2.2 counts reload in whole seconds, so a change is told from
		// rounding once a second has passed since the last check.
		time.Sleep(1100 * time.Millisecond)
		var cg struct {
			Arguments map[string]map[string]any `json:"arguments"`
		}
		if err := json.Unmarshal(lab.Command(t, lab.Socket4, "config-get", nil), &cg); err != nil {
			t.Fatal(err)
		}
		d4 := cg.Arguments["Dhcp4"]
		d4["subnet4"] = append(d4["subnet4"].([]any), map[string]any{"id": 5, "subnet": "198.18.9.0/24",
			"pools": []any{map[string]any{"pool": "198.18.9.10-198.18.9.19"}}})
		if r, text, _ := keatest.Result(lab.Command(t, lab.Socket4, "config-set", map[string]any{"Dhcp4": d4})); r != 0 {
			t.Fatalf("config-set: %d %s", r, text)
		}
		page, err := v.Subnets(ctx, "kea", "dhcp4", SubnetQuery{ID: 5})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].Addresses.Total.Int64() != 10 || dc.cfg == before {
			t.Fatalf("after config-set: %+v %v", page, err)
		}
	})

	t.Run("a daemon down behind a working agent", func(t *testing.T) {
		lab.Stop6(t)
		ov := v.Overview(ctx)
		d4, d6 := ov.Servers[0].Daemons[0], ov.Servers[0].Daemons[1]
		if !d4.Up || d6.Up || d6.Err == nil {
			t.Errorf("dhcp4 up %v; dhcp6 up %v err %v", d4.Up, d6.Up, d6.Err)
		}
		q, _ := ParseLeaseQuery("", relay.Leases[1].Address)
		res := v.SearchLeases(ctx, q)
		if len(res.Leases) != 1 {
			t.Errorf("dhcp4's lease must still be found: %+v", res)
		}
		// Back, twice within about a second: status-get's reload (whole
		// seconds) cannot tell the second start from the first; its new pid does.
		v.opts.HashCheckEvery = time.Nanosecond
		dc := v.targets["kea6-socket"].daemons["dhcp6"]
		lab.Start6(t)
		if _, err := v.Subnets(ctx, "kea6-socket", "dhcp6", SubnetQuery{}); err != nil {
			t.Fatal(err)
		}
		first, pid := dc.cfg, dc.pid
		lab.Stop6(t)
		lab.Start6(t)
		if _, err := v.Subnets(ctx, "kea6-socket", "dhcp6", SubnetQuery{}); err != nil || dc.cfg == first || dc.pid == pid {
			t.Errorf("after a restart config-get must be read again (err %v, pid %d -> %d)", err, pid, dc.pid)
		}
	})
}

// kSubnet is what the test reads of a subnet in Kea's own config-get.
type kSubnet struct {
	ID     int64             `json:"id"`
	Subnet string            `json:"subnet"`
	Pools  []json.RawMessage `json:"pools"`
	Valid  int64             `json:"valid-lifetime"`
	Shared string            `json:"-"`
}
