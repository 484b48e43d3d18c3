package kea

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
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
