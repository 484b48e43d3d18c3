package kea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestRealKea polls a real kea-dhcp4 and kea-dhcp6 (Debian's Kea, hooks
// stat_cmds and lease_cmds) that perfdhcp gave leases to, through the
// Control Agent and through each UNIX socket, and checks every statistic
// Kea reports against what ddiscope exports.
//
// On Kea 3.0 the same checks also run over each daemon's own HTTPS control
// socket with basic auth, where Kea adds pool-level statistics (per pool-id
// and pd-pool-id) and counts totals of 2^64 and more exactly.
func TestRealKea(t *testing.T) {
	keatest.Versions(t, testRealKea)
}

func testRealKea(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Traffic: true,
		Kea: v, HTTPTLS: v.AtLeast30(), HTTPAuth: v.AtLeast30()})
	if got := lab.Perfdhcp4(t, 20).Completed(); got == 0 {
		t.Fatalf("perfdhcp -4 completed no exchange:\n%s", lab.Log("kea-dhcp4"))
	}
	if got := lab.Perfdhcp6(t, 10).Completed(); got == 0 {
		t.Fatalf("perfdhcp -6 completed no exchange:\n%s", lab.Log("kea-dhcp6"))
	}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	type way struct {
		name    string
		url     string
		daemons map[string]string // daemon -> its socket, to ask Kea itself
	}
	ways := []way{
		{"control-agent", lab.CAURL, map[string]string{"dhcp4": lab.Socket4, "dhcp6": lab.Socket6}},
		{"socket-dhcp4", "unix://" + lab.Socket4, map[string]string{"dhcp4": lab.Socket4}},
		{"socket-dhcp6", "unix://" + lab.Socket6, map[string]string{"dhcp6": lab.Socket6}},
	}
	if v.AtLeast30() {
		ways = append(ways,
			way{"https-dhcp4", lab.HTTP4URL, map[string]string{"dhcp4": lab.Socket4}},
			way{"https-dhcp6", lab.HTTP6URL, map[string]string{"dhcp6": lab.Socket6}})
	}
	for _, tc := range ways {
		t.Run(tc.name, func(t *testing.T) {
			opts := keactl.Options{Name: "lab", URL: tc.url}
			if strings.HasPrefix(tc.url, "https:") {
				opts.CAFile, opts.Username, opts.Password = lab.TLS.CAFile, keatest.HTTPUser, lab.HTTPPassword
			}
			client, err := keactl.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{})
			defer p.Close()
			snap, unknown, err := p.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if unknown != 0 {
				t.Errorf("%d statistics of the real Kea are not in the catalog", unknown)
			}
			for daemon, socket := range tc.daemons {
				checkEveryStatistic(t, lab, v, cat, snap, daemon, socket)
			}
		})
	}
}

// checkEveryStatistic asks Kea for statistic-get-all and, for each statistic,
// finds the exported sample it feeds; for each subnet it also asks
// statistic-get for assigned and total, as an operator would.
func checkEveryStatistic(t *testing.T, lab *keatest.Lab, v keatest.Version, cat *catalog.Catalog, snap *collector.Snapshot, daemon, socket string) {
	t.Helper()
	var reply struct {
		Result    int                `json:"result"`
		Arguments map[string][][]any `json:"arguments"`
	}
	raw := lab.Command(t, socket, "statistic-get-all", nil)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // exact integers
	if err := dec.Decode(&reply); err != nil || reply.Result != 0 {
		t.Fatalf("%s statistic-get-all: %v %s", daemon, err, raw)
	}
	if len(reply.Arguments) < 20 {
		t.Fatalf("%s reports only %d statistics", daemon, len(reply.Arguments))
	}
	subnets := map[int64]bool{}
	for name, samples := range reply.Arguments {
		sn, ok := splitStatName([]byte(name))
		if !ok {
			t.Errorf("%s: %s: cannot split", daemon, name)
			continue
		}
		b, ok := cat.Lookup(daemon, sn.scope, string(sn.stat))
		if !ok {
			t.Errorf("%s: %s is not in the catalog", daemon, name)
			continue
		}
		if sn.scope == catalog.ScopeSubnet {
			subnets[sn.subnet] = true
		}
		got, found := find(snap, b, sn)
		if !found {
			t.Errorf("%s: %s (%s) not exported", daemon, name, b.Metric.Name)
			continue
		}
		num, ok := samples[0][0].(json.Number)
		if !ok {
			t.Errorf("%s: %s: value %v is not a number", daemon, name, samples[0][0])
			continue
		}
		want, _ := strconv.ParseFloat(num.String(), 64)
		if want < 0 {
			continue // checked against the configuration below
		}
		// The servers are idle after perfdhcp, so the values are stable.
		if got != want {
			t.Errorf("%s: %s = %v, exported %s = %v", daemon, name, want, b.Metric.Name, got)
		}
	}
	if len(subnets) == 0 {
		t.Fatalf("%s: no subnet statistics", daemon)
	}
	assigned, total := "assigned-addresses", "total-addresses"
	if daemon == "dhcp6" {
		assigned, total = "assigned-nas", "total-nas"
	}
	leased, huge := 0.0, 0
	for id := range subnets {
		for _, stat := range []string{assigned, total} {
			name := fmt.Sprintf("subnet[%d].%s", id, stat)
			v, ok := statisticFloat(t, lab, socket, name)
			if !ok {
				t.Errorf("%s: statistic-get %s: no value", daemon, name)
				continue
			}
			b, _ := cat.Lookup(daemon, catalog.ScopeSubnet, stat)
			got, found := find(snap, b, statName{scope: catalog.ScopeSubnet, subnet: id})
			if !found {
				t.Errorf("%s: %s not exported", daemon, name)
				continue
			}
			switch {
			case v < 0 && stat == total:
				// Kea 2.2 cannot count a whole /64 pool: ddiscope takes the
				// size from the configured range.
				huge++
				if got != math.Ldexp(1, 64) {
					t.Errorf("%s: %s = %v from Kea; exported %v, want 2^64 from the /64 pool", daemon, name, v, got)
				}
			case v >= math.Ldexp(1, 63) && stat == total:
				huge++ // Kea 3.0 counts it exactly
				if got != v {
					t.Errorf("%s: %s = %v from Kea; exported %v", daemon, name, v, got)
				}
			case got != v:
				t.Errorf("%s: statistic-get %s = %v, exported %v", daemon, name, v, got)
			}
			if stat == assigned {
				leased += got
			}
		}
	}
	t.Logf("%s: %d statistics checked, %d subnets, %v addresses leased", daemon, len(reply.Arguments), len(subnets), leased)
	if leased == 0 {
		t.Errorf("%s: perfdhcp ran but no subnet has an assigned address", daemon)
	}
	if daemon == "dhcp6" && huge == 0 {
		t.Errorf("dhcp6: the lab has a whole /64 pool, for which Kea %s reports total-nas %s, but none was seen",
			v, map[bool]string{false: "-1", true: "2^64"}[v.AtLeast30()])
	}
}

// statisticFloat is statistic-get of one statistic as a float64: Kea 3.0
// writes totals of 2^64 and more as exact integers beyond int64.
func statisticFloat(t *testing.T, lab *keatest.Lab, socket, name string) (float64, bool) {
	t.Helper()
	var r struct {
		Arguments map[string][][]json.RawMessage `json:"arguments"` // [value, timestamp]
	}
	if err := json.Unmarshal(lab.Command(t, socket, "statistic-get", map[string]any{"name": name}), &r); err != nil {
		t.Fatalf("statistic-get %s: %v", name, err)
	}
	s := r.Arguments[name]
	if len(s) == 0 || len(s[0]) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(s[0][0]), 64)
	if err != nil {
		t.Fatalf("statistic-get %s: %v", name, err)
	}
	return f, true
}

// find returns the value of the sample that statistic feeds.
func find(snap *collector.Snapshot, b catalog.Binding, sn statName) (float64, bool) {
	for _, s := range snap.Samples {
		if s.Metric != b.Metric || fmt.Sprint(s.ExtraValues()) != fmt.Sprint(b.ExtraValues) {
			continue
		}
		v := s.ID.Values
		switch sn.scope {
		case catalog.ScopeGlobal:
			return s.Value, true
		case catalog.ScopeSubnet:
			if v[1] == strconv.FormatInt(sn.subnet, 10) {
				return s.Value, true
			}
		case catalog.ScopePool, catalog.ScopePDPool:
			if v[1] == strconv.FormatInt(sn.subnet, 10) && v[4] == strconv.FormatInt(sn.pool, 10) {
				return s.Value, true
			}
		}
	}
	return 0, false
}
