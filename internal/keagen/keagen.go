// Package keagen generates Kea replies of the real shape at any scale, for
// benchmarks: statistic-get-all and config-get for N subnets, as Kea 2.2
// writes them over the Control Agent (a one-element array; statistics by
// name, each a list of [value, "timestamp"] samples, newest first).
package keagen

import (
	"bytes"
	"fmt"
)

// subnetStats4 are the per-subnet statistics Kea 2.2's kea-dhcp4 reports
// (testdata/kea/kea2.2-dhcp4-statistic-get-all.json), with two of the
// allocation-failure statistics that appear after the first failure.
var subnetStats4 = []string{
	"assigned-addresses", "cumulative-assigned-addresses", "declined-addresses",
	"reclaimed-declined-addresses", "reclaimed-leases", "total-addresses",
	"v4-allocation-fail", "v4-allocation-fail-classes", "v4-reservation-conflicts",
}

var globalStats4 = []string{
	"cumulative-assigned-addresses", "declined-addresses", "pkt4-ack-received", "pkt4-ack-sent",
	"pkt4-decline-received", "pkt4-discover-received", "pkt4-inform-received", "pkt4-nak-received",
	"pkt4-nak-sent", "pkt4-offer-received", "pkt4-offer-sent", "pkt4-parse-failed", "pkt4-receive-drop",
	"pkt4-received", "pkt4-release-received", "pkt4-request-received", "pkt4-sent", "pkt4-unknown-received",
	"reclaimed-declined-addresses", "reclaimed-leases", "v4-allocation-fail", "v4-allocation-fail-classes",
	"v4-allocation-fail-no-pools", "v4-allocation-fail-shared-network", "v4-allocation-fail-subnet",
	"v4-reservation-conflicts",
}

// Pools per subnet in generated configs and pool statistics.
const poolsPerSubnet = 2

// StatisticGetAll4 returns a statistic-get-all reply of kea-dhcp4 with the
// given number of subnets and samples per statistic; with pools, also the
// per-pool statistics of Kea 2.4+.
func StatisticGetAll4(subnets, samples int, pools bool) []byte {
	var b bytes.Buffer
	b.Grow(subnets * 600 * samples)
	b.WriteString(`[ { "arguments": {`)
	first := true
	stat := func(name string, v int) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "\n \"%s\": [", name)
		for i := range samples {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, ` [ %d, "2026-11-21 21:18:%02d.%06d" ]`, max(v-i, 0), 59-i%60, 598429-i)
		}
		b.WriteString(" ]")
	}
	for i, n := range globalStats4 {
		stat(n, i*7)
	}
	// Kea sorts statistics by name: subnet[1], subnet[10], subnet[100], …
	for id := 1; id <= subnets; id++ {
		for _, n := range subnetStats4 {
			stat(fmt.Sprintf("subnet[%d].%s", id, n), statValue(id, n))
		}
		if pools {
			for p := range poolsPerSubnet {
				for _, n := range []string{"assigned-addresses", "cumulative-assigned-addresses", "declined-addresses", "reclaimed-declined-addresses", "reclaimed-leases", "total-addresses"} {
					stat(fmt.Sprintf("subnet[%d].pool[%d].%s", id, p, n), statValue(id, n)/poolsPerSubnet)
				}
			}
		}
	}
	b.WriteString("\n }, \"result\": 0 } ]\n")
	return b.Bytes()
}

func statValue(id int, name string) int {
	switch name {
	case "total-addresses":
		return 200
	case "assigned-addresses":
		return id % 200
	case "cumulative-assigned-addresses":
		return id%200 + 17
	}
	return id % 3
}

// ConfigGet4 returns a config-get reply of kea-dhcp4 for the same subnets:
// 10.x.y.0/24 with two pools of 100 addresses, every fourth subnet pair in a
// shared network.
func ConfigGet4(subnets int) []byte {
	var plain, shared bytes.Buffer
	for id := 1; id <= subnets; id++ {
		net := fmt.Sprintf("10.%d.%d", id/256%256, id%256)
		s := fmt.Sprintf(`{"id": %d, "subnet": "%s.0/24", "pools": [{"pool": "%s.10-%s.109", "pool-id": 0, "option-data": []}, {"pool": "%s.110 - %s.209", "pool-id": 1, "option-data": []}], "option-data": [], "valid-lifetime": 3600, "user-context": {"site": "gen"}}`,
			id, net, net, net, net, net)
		buf := &plain
		if id%4 == 0 {
			buf = &shared
		}
		if buf.Len() > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(s)
	}
	return fmt.Appendf(nil, `[{"arguments": {"Dhcp4": {"subnet4": [%s], "shared-networks": [{"name": "gen-shared", "subnet4": [%s]}], "valid-lifetime": 3600}}, "result": 0}]`,
		plain.String(), shared.String())
}

// Subnet4 returns a Dhcp4 "subnet4" list for a real kea-dhcp4 with the
// subnets and pools of ConfigGet4 (no shared networks): 10.x.y.0/24, two
// pools of 100 addresses each. Kea then reports the statistics of
// StatisticGetAll4(subnets, 1, false) in shape and size.
func Subnet4(subnets int) string {
	var b bytes.Buffer
	b.WriteByte('[')
	for id := 1; id <= subnets; id++ {
		if id > 1 {
			b.WriteByte(',')
		}
		net := fmt.Sprintf("10.%d.%d", id/256%256, id%256)
		fmt.Fprintf(&b, `{"id": %d, "subnet": "%s.0/24", "pools": [{"pool": "%s.10-%s.109"}, {"pool": "%s.110-%s.209"}], "valid-lifetime": 3600, "user-context": {"site": "gen"}}`,
			id, net, net, net, net, net)
	}
	b.WriteByte(']')
	return b.String()
}
