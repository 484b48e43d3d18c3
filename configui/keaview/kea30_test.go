package keaview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// startKea30 runs the real Kea 3.0.4 (keatest's bundle) with subnets in
// a shared network and at top level, answering on its own HTTP listener.
func startKea30(t *testing.T) string {
	t.Helper()
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30, HTTP: true,
		SharedNetworks4: `[ { "name": "campus", "subnet4": [
     { "id": 1, "subnet": "10.1.0.0/24", "pools": [ { "pool": "10.1.0.10-10.1.0.19", "pool-id": 1 }, { "pool": "10.1.0.20-10.1.0.29", "pool-id": 2 } ] } ] } ]`,
		Subnet4: `[ { "id": 3, "subnet": "192.0.2.0/24", "valid-lifetime": 600,
     "pools": [ { "pool": "192.0.2.100 - 192.0.2.149" }, { "pool": "192.0.2.150-192.0.2.199" }, { "pool": "192.0.2.200-192.0.2.219", "pool-id": 7 } ] } ]`,
		Extra4: `{"valid-lifetime": 7200, "option-data": []}`,
	})
	return lab.HTTP4URL
}

// TestRealKea30 runs the views against the real Kea 3.0.4 on its own HTTP
// listener: config-hash-get, pool-ids and pool statistics.
func TestRealKea30(t *testing.T) {
	url := startKea30(t)
	kc := client(t, "kea30", url)
	ctx := context.Background()
	kea := func(cmd string, args any) keactl.Response {
		t.Helper()
		r, err := kc.Call(ctx, cmd, "", args)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return r
	}
	stat := func(name string) *big.Int {
		t.Helper()
		vals := map[string][][]any{}
		decodeInto(t, kea("statistic-get", map[string]string{"name": name}).Arguments, &vals)
		if len(vals[name]) == 0 {
			return nil
		}
		n, _ := new(big.Int).SetString(fmt.Sprint(vals[name][0][0]), 10)
		return n
	}
	// Leases without packets: two in pool 7, one in pool 0, one in subnet 1's pool 2.
	for _, l := range []map[string]any{
		{"ip-address": "192.0.2.201", "hw-address": "02:00:00:00:00:07", "hostname": "seven.example"},
		{"ip-address": "192.0.2.202", "hw-address": "02:00:00:00:00:08"},
		{"ip-address": "192.0.2.120", "hw-address": "02:00:00:00:00:09"},
		{"ip-address": "10.1.0.25", "hw-address": "02:00:00:00:00:0a"},
	} {
		kea("lease4-add", l)
	}
	v, err := New(Options{Targets: []Target{{Name: "kea30", Client: kc}}, HashCheckEvery: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}

	srv, err := v.Server(ctx, "kea30")
	if err != nil || srv.Err != nil || srv.Transport != "http" || len(srv.Daemons) != 1 {
		t.Fatalf("server: %+v %v", srv, err)
	}
	if d := srv.Daemons[0]; d.Name != "dhcp4" || !d.Up || d.Version != kea("version-get", nil).Text || d.ConfigHash == "" {
		t.Errorf("daemon: %+v", d)
	}

	s, err := v.Subnet(ctx, "kea30", "dhcp4", 3)
	if err != nil || s.StatsErr != nil {
		t.Fatal(err, s.StatsErr)
	}
	if !eqInt(s.Addresses.Assigned, stat("subnet[3].assigned-addresses")) || s.Addresses.Assigned.Int64() != 3 || !eqInt(s.Addresses.Total, stat("subnet[3].total-addresses")) {
		t.Errorf("subnet 3: %v/%v", s.Addresses.Assigned, s.Addresses.Total)
	}
	if len(s.Pools) != 2 || s.Pools[0].Labels.PoolID != "0" || s.Pools[1].Labels.PoolID != "7" {
		t.Fatalf("pools: %+v", s.Pools)
	}
	for _, p := range s.Pools {
		name := "subnet[3].pool[" + p.Labels.PoolID + "]."
		if !p.Stats || !eqInt(p.Usage.Assigned, stat(name+"assigned-addresses")) || !eqInt(p.Usage.Total, stat(name+"total-addresses")) || p.Usage.Total.Cmp(p.Config.Size) != 0 {
			t.Errorf("pool %s: %+v, Kea %v/%v", p.Labels.PoolID, p.Usage, stat(name+"assigned-addresses"), stat(name+"total-addresses"))
		}
	}
	if life := s.Config.Lifetimes[0]; life.Name != "valid-lifetime" || life.Seconds != 600 || life.From != "subnet" {
		t.Errorf("lifetime: %+v", life)
	}
	p, err := v.Pool(ctx, "kea30", "dhcp4", 1, Addresses, 2)
	if err != nil || !p.Pool.Stats || p.Pool.Usage.Assigned.Int64() != 1 || p.Subnet.Config.SharedNetwork != "campus" || p.Pool.Labels.SharedNetwork != "campus" {
		t.Errorf("pool 2 of subnet 1: %+v %v", p, err)
	}

	// Kea 3.0 has config-hash-get: a config-set shows up as a new hash.
	dc := v.targets["kea30"].daemons["dhcp4"]
	if dc.noHash || dc.cfg.hash == "" {
		t.Fatalf("Kea 3.0 has config-hash-get; noHash %v hash %q", dc.noHash, dc.cfg.hash)
	}
	before := dc.cfg
	if _, err := v.Subnets(ctx, "kea30", "dhcp4", SubnetQuery{}); err != nil || dc.cfg != before {
		t.Fatalf("config-get read again with the same hash: %v", err)
	}
	var cg struct {
		Dhcp4 map[string]any
	}
	decodeInto(t, kea("config-get", nil).Arguments, &cg)
	d4 := cg.Dhcp4
	d4["subnet4"] = append(d4["subnet4"].([]any), map[string]any{"id": 9, "subnet": "198.51.100.0/24"})
	kea("config-set", map[string]any{"Dhcp4": d4})
	page, err := v.Subnets(ctx, "kea30", "dhcp4", SubnetQuery{})
	if err != nil || page.Total != 3 || dc.cfg == before {
		t.Fatalf("after config-set: total %d, err %v", page.Total, err)
	}

	q, _ := ParseLeaseQuery("", "seven.example")
	res := v.SearchLeases(ctx, q)
	if len(res.Leases) != 1 || res.Leases[0].Address != "192.0.2.201" || res.Leases[0].Subnet != "192.0.2.0/24" || len(res.Failures) != 0 {
		t.Errorf("by hostname: %+v", res)
	}
	q, _ = ParseLeaseQuery("", "02:00:00:00:00:0A")
	res = v.SearchLeases(ctx, q)
	if len(res.Leases) != 1 || res.Leases[0].Address != "10.1.0.25" || res.Leases[0].SharedNetwork != "campus" {
		t.Errorf("by MAC: %+v", res)
	}
}

func decodeInto(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %.200s: %v", raw, err)
	}
}
