package configbackend

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// cbHook is the hook library holding the PostgreSQL configuration backend.
var cbHook = map[keatest.Version]string{keatest.Kea22: "libdhcp_pgsql_cb.so", keatest.Kea30: "libdhcp_pgsql.so"}

// The acceptance test of the issue: the schema from kea-admin, a real
// kea-dhcp4 pulling from it every second, a subnet and pool added through
// the package the editor calls, seen in config-get after the pull and
// serving a perfdhcp client from the new pool; then deleted and gone.
func TestRealKeaPullsEditorChanges(t *testing.T) {
	pg := pgtest.Start(t)
	keatest.Versions(t, func(t *testing.T, v keatest.Version) {
		db := keaSchema(t, pg, v)
		extra, _ := json.Marshal(map[string]any{
			"config-control": map[string]any{
				"config-databases": []any{map[string]any{
					"type": "postgresql", "name": db.Name, "user": "postgres", "password": "unused",
					// The server runs in its own network namespace: it reaches
					// PostgreSQL by its socket directory.
					"host": pg.SocketDir(), "port": pg.Port,
					"max-reconnect-tries": 3, "reconnect-wait-time": 500, "on-fail": "serve-retry-continue",
				}},
				"config-fetch-wait-time": 1,
			},
		})
		lab := keatest.Start(t, keatest.Options{Kea: v, Traffic: true, Extra4: string(extra),
			Hooks: []string{"libdhcp_lease_cmds.so", cbHook[v]}})

		// What the editor does: read config-get, find the backend, connect.
		args := configGet(t, lab)
		srv, err := Parse("dhcp4", args)
		if err != nil {
			t.Fatal(err)
		}
		if srv.ServerTag != "all" || srv.FetchWaitTime != time.Second || len(srv.Databases) != 1 {
			t.Fatalf("detected %+v", srv)
		}
		d := srv.Databases[0]
		if d.Host != pg.SocketDir() || d.Port != pg.Port || d.Name != db.Name || d.MaxReconnectTries != 3 ||
			d.ReconnectWaitTime != 500*time.Millisecond || d.OnFail != "serve-retry-continue" {
			t.Fatalf("connection settings from config-get: %+v", d)
		}
		b := open(t, d)
		file := allSubnets(t, "kea", args) // before the first pull: all from the file

		res, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 50, Prefix: "198.18.5.0/24", Tags: []string{srv.ServerTag}}, Meta{Actor: "test", FileSubnets: file})
		if err != nil {
			t.Fatal(err)
		}
		res, err = b.AddPool(ctx, "dhcp4", 50, "198.18.5.10-198.18.5.20", res.After.ModificationTS, Meta{Actor: "test", FileSubnets: file})
		if err != nil {
			t.Fatal(err)
		}
		took := waitSubnet(t, lab, 50, func(s keaSubnet) bool { return len(s.Pools) == 1 })
		t.Logf("Kea %s had subnet 50 with its pool in config-get %s after the commit", v, took)
		sub := subnetOf(t, configGet(t, lab), 50)
		if sub.Subnet != "198.18.5.0/24" || sub.Pools[0].Pool != "198.18.5.10-198.18.5.20" {
			t.Fatalf("Kea's subnet 50: %+v", sub)
		}
		// config-get does not say where a subnet came from: the backend's
		// own rows do.
		cfg, err := b.Read(ctx, "dhcp4", srv.ServerTag)
		if err != nil {
			t.Fatal(err)
		}
		if got := FileOnly(allSubnets(t, "kea", configGet(t, lab)), cfg); !slices.Equal(got, file) {
			t.Fatalf("file subnets after the pull %v, want %v", got, file)
		}

		perf := lab.Perfdhcp4Relay(t, "198.18.5.250", 3)
		if perf.Completed() == 0 {
			t.Fatalf("no client got a lease from the backend's pool:\n%s", perf.Output)
		}
		lo, hi := netip.MustParseAddr("198.18.5.10"), netip.MustParseAddr("198.18.5.20")
		for _, l := range perf.Leases {
			a := netip.MustParseAddr(l.Address)
			if a.Less(lo) || hi.Less(a) {
				t.Fatalf("lease %s is not from the pool 198.18.5.10-198.18.5.20", a)
			}
		}
		t.Logf("perfdhcp: %d clients leased from the new pool: %+v", perf.Completed(), perf.Leases)

		if _, err := b.DeleteSubnet(ctx, "dhcp4", 50, res.After.ModificationTS, Meta{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		took = waitSubnet(t, lab, 50, nil)
		t.Logf("Kea %s dropped subnet 50 %s after the commit", v, took)
		if subnetOf(t, configGet(t, lab), 3).Subnet != "198.18.2.0/24" {
			t.Fatal("the file's subnets must stay")
		}
	})
}

func configGet(t *testing.T, lab *keatest.Lab) json.RawMessage {
	t.Helper()
	var r struct {
		Result    int             `json:"result"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(lab.Command(t, lab.Socket4, "config-get", nil), &r); err != nil || r.Result != 0 {
		t.Fatalf("config-get: %v (result %d)", err, r.Result)
	}
	return r.Arguments
}

type keaSubnet struct {
	ID     uint32                  `json:"id"`
	Subnet string                  `json:"subnet"`
	Pools  []struct{ Pool string } `json:"pools"`
}

func subnets(t *testing.T, args json.RawMessage) []keaSubnet {
	t.Helper()
	var doc struct {
		Dhcp4 struct {
			Subnet4        []keaSubnet `json:"subnet4"`
			SharedNetworks []struct {
				Subnet4 []keaSubnet `json:"subnet4"`
			} `json:"shared-networks"`
		}
	}
	if err := json.Unmarshal(args, &doc); err != nil {
		t.Fatal(err)
	}
	l := doc.Dhcp4.Subnet4
	for _, n := range doc.Dhcp4.SharedNetworks {
		l = append(l, n.Subnet4...)
	}
	return l
}

func subnetOf(t *testing.T, args json.RawMessage, id uint32) keaSubnet {
	t.Helper()
	for _, s := range subnets(t, args) {
		if s.ID == id {
			return s
		}
	}
	return keaSubnet{}
}

func allSubnets(t *testing.T, server string, args json.RawMessage) []SubnetRef {
	var l []SubnetRef
	for _, s := range subnets(t, args) {
		l = append(l, SubnetRef{Server: server, ID: s.ID, Prefix: netip.MustParsePrefix(s.Subnet)})
	}
	return l
}

// waitSubnet waits (bounded) until config-get has the subnet and ok(it)
// holds, or, with ok nil, until it no longer has it.
func waitSubnet(t *testing.T, lab *keatest.Lab, id uint32, ok func(keaSubnet) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 30*time.Second {
		i := slices.IndexFunc(subnets(t, configGet(t, lab)), func(s keaSubnet) bool { return s.ID == id })
		if (ok == nil && i < 0) || (ok != nil && i >= 0 && ok(subnets(t, configGet(t, lab))[i])) {
			return time.Since(start).Round(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("subnet %d not as expected in config-get within 30 s:\n%s", id, fmt.Sprint(lab.Log("dhcp4")))
	return 0
}
