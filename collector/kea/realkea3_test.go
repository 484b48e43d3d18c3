package kea

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// kea30Inventory is the list of statistic names (ids replaced by *) a real
// Kea 3.0.4 reported in TestRealKea30StatisticInventory, each with the
// metric and type ddiscope exports it as. Regenerate with
// DDISCOPE_UPDATE_INVENTORY=1 after a catalog change.
var kea30Inventory = filepath.Join("..", "..", "testdata", "kea", "kea3.0.4-statistics.txt")

// gaugeStat is what Kea's manual says of its statistics: the sizes and
// current counts of a scope (total-*, assigned-*, registered-nas,
// declined-addresses) go up and down; everything else (packets, cumulative
// assignments, reclaims, reuses, allocation failures, drops) only grows
// until Kea restarts or is told to reset.
var gaugeStat = regexp.MustCompile(`^(total|assigned|registered|declined)-(addresses|nas|pds|tas)$`)

var statIDs = regexp.MustCompile(`\[[0-9]+\]`)

// TestRealKea30StatisticInventory lists every statistic a real Kea 3.0.4
// reports after traffic (kea-dhcp4 in a load-balancing HA pair with DHCP
// clients and a declined lease; kea-dhcp6 with addresses and
// prefixes) and shows that each is either exported by the metric the catalog
// binds it to, with the type its meaning calls for, or counted as unknown
// (ddiscope_unknown_statistics): none is silently dropped. The list is kept
// in testdata, so a statistic 3.0 adds shows up in review.
func TestRealKea30StatisticInventory(t *testing.T) {
	t.Parallel()
	h := keatest.StartHA(t, keatest.HAOptions{Kea: keatest.Kea30, HTTP: true})
	if r := h.Perfdhcp4(t, 12); r.Completed() != 12 {
		t.Fatalf("perfdhcp -4: %d of 12:\n%s", r.Completed(), r.Output)
	}
	// A declined lease, which traffic does not make.
	decline := map[string]any{"ip-address": "198.18.3.20", "subnet-id": 4, "hw-address": "02:00:00:00:0f:01", "state": 1}
	if res, text, err := keatest.Result(h.Servers[0].Command(t, h.Servers[0].Socket4, "lease4-add", decline)); err != nil || res != 0 {
		t.Fatalf("lease4-add declined: %d %s %v", res, text, err)
	}
	lab6 := keatest.Start(t, keatest.Options{Kea: keatest.Kea30, DHCP6: true, Traffic: true, HTTP: true})
	if r := lab6.Perfdhcp6(t, 10); r.Completed() != 10 {
		t.Fatalf("perfdhcp -6: %d of 10:\n%s", r.Completed(), r.Output)
	}
	cat := testCat(t)
	lines := map[string]bool{}
	for _, tc := range []struct {
		daemon, url, socket string
		lab                 *keatest.Lab
	}{
		{"dhcp4", h.Servers[0].HTTP4URL, h.Servers[0].Socket4, h.Servers[0]},
		{"dhcp4", h.Servers[1].HTTP4URL, h.Servers[1].Socket4, h.Servers[1]},
		{"dhcp6", lab6.HTTP6URL, lab6.Socket6, lab6},
	} {
		p := urlPoller(t, cat, tc.daemon, tc.url, Options{})
		snap, unknown, err := p.Poll(context.Background())
		if err != nil {
			t.Fatalf("poll %s: %v", tc.url, err)
		}
		var reply struct {
			Result    int                `json:"result"`
			Arguments map[string][][]any `json:"arguments"`
		}
		raw := tc.lab.Command(t, tc.socket, "statistic-get-all", nil)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&reply); err != nil || reply.Result != 0 {
			t.Fatalf("%s statistic-get-all: %v %.300s", tc.daemon, err, raw)
		}
		var notInCatalog []string
		for name := range reply.Arguments {
			sn, ok := splitStatName([]byte(name))
			if !ok {
				t.Errorf("%s: %s: ddiscope cannot parse the name", tc.daemon, name)
				continue
			}
			norm := statIDs.ReplaceAllString(name, "[*]")
			b, ok := cat.Lookup(tc.daemon, sn.scope, string(sn.stat))
			if !ok {
				notInCatalog = append(notInCatalog, name)
				lines[fmt.Sprintf("%s %s unknown", tc.daemon, norm)] = true
				continue
			}
			if _, found := find(snap, b, sn); !found {
				t.Errorf("%s: %s is in the catalog (%s) but not exported", tc.daemon, name, b.Metric.Name)
			}
			wantType := catalog.Counter
			if gaugeStat.MatchString(string(sn.stat)) {
				wantType = catalog.Gauge
			}
			if b.Metric.Type != wantType {
				t.Errorf("%s: %s is exported as %s %v, want a %v", tc.daemon, name, b.Metric.Name, b.Metric.Type, wantType)
			}
			lines[fmt.Sprintf("%s %s %s %v", tc.daemon, norm, b.Metric.Name, b.Metric.Type)] = true
		}
		if unknown != len(notInCatalog) {
			t.Errorf("%s: the poll counted %d unknown statistics, but %d are not in the catalog: %v", tc.url, unknown, len(notInCatalog), notInCatalog)
		}
		if len(notInCatalog) > 0 {
			t.Errorf("%s: not in the catalog (counted in ddiscope_unknown_statistics, not exported): %v", tc.daemon, notInCatalog)
		}
		t.Logf("%s via %s: %d statistics, %d unknown", tc.daemon, tc.url, len(reply.Arguments), unknown)
	}
	got := slices.Sorted(func(yield func(string) bool) {
		for l := range lines {
			if !yield(l) {
				return
			}
		}
	})
	text := "# Statistics a real Kea 3.0.4 reports after traffic (HA pair for dhcp4), ids as [*]:\n# daemon statistic metric type (or \"unknown\"). Written by TestRealKea30StatisticInventory.\n" + strings.Join(got, "\n") + "\n"
	if os.Getenv("DDISCOPE_UPDATE_INVENTORY") != "" {
		if err := os.WriteFile(kea30Inventory, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(kea30Inventory)
	if err != nil {
		t.Fatalf("%v (DDISCOPE_UPDATE_INVENTORY=1 writes it)", err)
	}
	if string(want) != text {
		t.Errorf("Kea 3.0.4's statistics differ from %s (DDISCOPE_UPDATE_INVENTORY=1 rewrites it):\n%s", kea30Inventory, text)
	}
}

// Kea 3.0 reports statistics per pool-id and per pd-pool-id: ddiscope's pool
// utilisation is Kea's own pool assigned / total, labelled with the pool's
// id and range from config-get.
func TestRealKea30PoolUtilisation(t *testing.T) {
	t.Parallel()
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30, Traffic: true, DHCP6: true,
		Subnet4: `[ { "id": 3, "subnet": "198.18.2.0/24", "pools": [
		    { "pool": "198.18.2.10-198.18.2.14", "pool-id": 10 },
		    { "pool": "198.18.2.15-198.18.2.19", "pool-id": 20 } ] } ]`,
		SharedNetworks4: `[]`,
		Subnet6: `[ { "id": 1, "subnet": "2001:db8:1::/64", "interface": "` + keatest.ServerIface + `",
		    "pools": [ { "pool": "2001:db8:1::100/120", "pool-id": 5 } ],
		    "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56, "pool-id": 7 } ] } ]`,
	})
	if r := lab.Perfdhcp4Relay(t, keatest.RelayAddr4, 7); r.Completed() != 7 {
		t.Fatalf("perfdhcp -4 relayed: %d of 7:\n%s", r.Completed(), r.Output)
	}
	if r := lab.Perfdhcp6(t, 6); r.Completed() != 6 {
		t.Fatalf("perfdhcp -6: %d of 6:\n%s", r.Completed(), r.Output)
	}
	cat := testCat(t)
	for _, tc := range []struct {
		daemon, socket, ratio string
		pools                 map[string]string // pool-id -> the statistic prefix and range
		assigned, total       string
		wantAssigned          float64
	}{
		{"dhcp4", lab.Socket4, "kea_dhcp4_pool_utilization_ratio",
			map[string]string{"10": "subnet[3].pool[10]", "20": "subnet[3].pool[20]"}, "assigned-addresses", "total-addresses", 7},
		{"dhcp6", lab.Socket6, "kea_dhcp6_pool_utilization_ratio",
			map[string]string{"5": "subnet[1].pool[5]"}, "assigned-nas", "total-nas", 6},
		{"dhcp6", lab.Socket6, "kea_dhcp6_pd_pool_utilization_ratio",
			map[string]string{"7": "subnet[1].pd-pool[7]"}, "assigned-pds", "total-pds", 6},
	} {
		snap := mustPoll(t, socketPoller(t, cat, "lab", tc.socket, Options{}))
		sum := 0.0
		for id, prefix := range tc.pools {
			assigned, ok1 := statisticFloat(t, lab, tc.socket, prefix+"."+tc.assigned)
			total, ok2 := statisticFloat(t, lab, tc.socket, prefix+"."+tc.total)
			if !ok1 || !ok2 || total == 0 {
				t.Fatalf("Kea reports no %s.%s / %s (%v %v)", prefix, tc.assigned, tc.total, ok1, ok2)
			}
			sum += assigned
			want(t, snap.Samples, tc.ratio, map[string]string{"pool_id": id}, assigned/total)
		}
		if sum != tc.wantAssigned {
			t.Errorf("%s: Kea's pools %v hold %v leases, want %v", tc.daemon, tc.pools, sum, tc.wantAssigned)
		}
	}
}

// ddiscope reads config-get once and then asks Kea 3.0 for config-hash-get
// only; a changed configuration (config-set adding a subnet) is read again
// at the next poll and its subnet exported.
func TestRealKea30ConfigHash(t *testing.T) {
	t.Parallel()
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30})
	p := socketPoller(t, testCat(t), "lab", lab.Socket4, Options{})
	for range 3 {
		mustPoll(t, p)
	}
	count := func(cmd string) int { return strings.Count(lab.Log("dhcp4"), "Received command '"+cmd+"'") }
	if n, h := count("config-get"), count("config-hash-get"); n != 1 || h < 2 {
		t.Errorf("3 polls: %d config-get and %d config-hash-get, want 1 and at least 2", n, h)
	}
	var cfg struct {
		Arguments struct {
			Dhcp4 map[string]any `json:"Dhcp4"` // beside it, 3.0 adds "hash"
		} `json:"arguments"`
	}
	if err := json.Unmarshal(lab.Command(t, lab.Socket4, "config-get", nil), &cfg); err != nil {
		t.Fatal(err)
	}
	d4 := cfg.Arguments.Dhcp4
	d4["subnet4"] = append(d4["subnet4"].([]any), map[string]any{"id": 9, "subnet": "198.18.9.0/24",
		"pools": []any{map[string]any{"pool": "198.18.9.10-198.18.9.19"}}})
	reply := lab.Command(t, lab.Socket4, "config-set", map[string]any{"Dhcp4": d4})
	if res, text, err := keatest.Result(reply); err != nil || res != 0 {
		t.Fatalf("config-set: %d %s %v", res, text, err)
	}
	before := count("config-get")
	snap := mustPoll(t, p)
	if count("config-get") != before+1 {
		t.Errorf("the poll after config-set did not read config-get again")
	}
	want(t, snap.Samples, "kea_dhcp4_subnet_addresses", map[string]string{"subnet_id": "9", "subnet": "198.18.9.0/24"}, 10)
}

// Kea 3.0's dedicated HA listener answers the HA commands its peer sends
// (ha-heartbeat) but refuses the others with {"result": 403}: ddiscope
// pointed at a peer URL instead of a control socket says "forbidden" at
// once, rather than polling something half-working.
func TestRealKea30HAListenerIsNotAControlSocket(t *testing.T) {
	t.Parallel()
	h := keatest.StartHA(t, keatest.HAOptions{Kea: keatest.Kea30})
	url := h.HAListenerURL(t, 0)
	client, err := keactl.New(keactl.Options{Name: "ha-url", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if r, err := client.Call(context.Background(), "ha-heartbeat", "dhcp4", nil); err != nil || r.Result != 0 {
		t.Errorf("ha-heartbeat on the HA listener: %+v %v, want result 0", r, err)
	}
	p := urlPoller(t, testCat(t), "ha-url", url, Options{})
	_, _, err = p.Poll(context.Background())
	var kerr *keactl.Error
	if !errors.As(err, &kerr) || kerr.Reason != keactl.ReasonForbidden {
		t.Errorf("polling the HA listener: %v, want reason %s", err, keactl.ReasonForbidden)
	}
}
