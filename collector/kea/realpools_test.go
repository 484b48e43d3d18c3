package kea

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// labRange is a pool range of the lab's default configuration
// (keatest.DefaultSharedNetworks4, DefaultSubnet4, DefaultSubnet6), written
// out here rather than read back through ddiscope's own config parsing.
type labRange struct {
	subnet      string
	pool        string // the pool label: the range as configured
	first, last netip.Addr
}

func labRanges(t *testing.T, specs ...[3]string) []labRange {
	t.Helper()
	var out []labRange
	for _, s := range specs {
		r := labRange{subnet: s[0], pool: s[1]}
		if p, err := netip.ParsePrefix(s[2]); err == nil {
			r.first = p.Masked().Addr()
			b := r.first.As16()
			if r.first.Is4() {
				b4 := r.first.As4()
				for i := range 4 {
					if host := p.Bits() - 8*i; host < 8 {
						b4[i] |= byte(0xff >> max(host, 0))
					}
				}
				r.last = netip.AddrFrom4(b4)
			} else {
				for i := range 16 {
					if host := p.Bits() - 8*i; host < 8 {
						b[i] |= byte(0xff >> max(host, 0))
					}
				}
				r.last = netip.AddrFrom16(b)
			}
		} else {
			var a, z string
			if _, err := fmt.Sscanf(s[2], "%s %s", &a, &z); err != nil {
				t.Fatalf("range %q: %v", s[2], err)
			}
			r.first, r.last = netip.MustParseAddr(a), netip.MustParseAddr(z)
		}
		out = append(out, r)
	}
	return out
}

// poolsByKea counts lease4-get-all's (lease6-get-all's) leases of one type
// by the lab range holding their address: "subnet/pool/state".
func poolsByKea(t *testing.T, lab *keatest.Lab, socket, command, typ string, ranges []labRange) map[string]float64 {
	t.Helper()
	var reply struct {
		Result    int `json:"result"`
		Arguments struct {
			Leases []struct {
				Addr     string `json:"ip-address"`
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
		if l.Type != typ {
			continue
		}
		a := netip.MustParseAddr(l.Addr)
		for _, r := range ranges {
			if r.subnet == fmt.Sprint(l.SubnetID) && !a.Less(r.first) && !r.last.Less(a) {
				counts[r.subnet+"/"+r.pool+"/"+catalog.LeaseStates[l.State]]++
			}
		}
	}
	return counts
}

// poolsByDdiscope reads a per-range lease metric the same way, leaving out
// zeros.
func poolsByDdiscope(snap *collector.Snapshot, metric string) map[string]float64 {
	counts := map[string]float64{}
	for _, s := range snap.Samples {
		if s.Metric.Name != metric || s.Value == 0 {
			continue
		}
		v := s.ID.Values // server, subnet_id, subnet, shared_network, pool_id, pool
		counts[v[1]+"/"+v[5]+"/"+s.ExtraValues()[0]] += s.Value
	}
	return counts
}

// Kea 2.2 reports no pool statistics. With lease passes on, ddiscope counts
// each configured range: per range and state its counts equal the leases
// lease4-get-all and lease6-get-all return in that range. Subnet 3 has two
// pools, both with leases (7 clients for 5 + 5 addresses, and a declined
// lease added in the second); DHCPv6 subnet 1 has a pd-pool.
func TestRealPoolLeasesMatchLeaseGetAll(t *testing.T) {
	t.Parallel()
	lab := keatest.Start(t, keatest.Options{Traffic: true, DHCP6: true})
	if r := lab.Perfdhcp4(t, 10); r.Completed() != 10 {
		t.Fatalf("perfdhcp -4: %d of 10:\n%s", r.Completed(), r.Output)
	}
	if r := lab.Perfdhcp4Relay(t, keatest.RelayAddr4, 7); r.Completed() != 7 {
		t.Fatalf("perfdhcp -4 relayed: %d of 7:\n%s", r.Completed(), r.Output)
	}
	if r := lab.Perfdhcp6(t, 8); r.Completed() != 8 {
		t.Fatalf("perfdhcp -6: %d of 8:\n%s", r.Completed(), r.Output)
	}
	// A declined lease in subnet 3's second pool (traffic makes none); the
	// address Kea has not handed out yet, the last of the pool.
	args := map[string]any{"ip-address": "198.18.2.19", "subnet-id": 3, "hw-address": "02:00:00:00:0f:19", "state": 1}
	if res, text, err := keatest.Result(lab.Command(t, lab.Socket4, "lease4-add", args)); err != nil || res != 0 {
		t.Fatalf("lease4-add declined: %d %s %v", res, text, err)
	}
	if _, ok := lab.Statistic(t, lab.Socket4, "subnet[3].pool[0].assigned-addresses"); ok {
		t.Fatal("Kea 2.2 was expected to have no pool statistics")
	}
	cat := testCat(t)
	snap4 := mustPoll(t, socketPoller(t, cat, "lab", lab.Socket4, Options{Leases: passLeases}))
	snap6 := mustPoll(t, socketPoller(t, cat, "lab", lab.Socket6, Options{Leases: passLeases}))

	v4 := labRanges(t,
		[3]string{"1", "198.18.0.10-198.18.0.13", "198.18.0.10 198.18.0.13"},
		[3]string{"2", "198.18.1.10-198.18.1.209", "198.18.1.10 198.18.1.209"},
		[3]string{"3", "198.18.2.10-198.18.2.14", "198.18.2.10 198.18.2.14"},
		[3]string{"3", "198.18.2.15-198.18.2.19", "198.18.2.15 198.18.2.19"},
		[3]string{"4", "198.18.3.10-198.18.3.250", "198.18.3.10 198.18.3.250"})
	na := labRanges(t,
		[3]string{"1", "2001:db8:1::100/120", "2001:db8:1::100/120"},
		[3]string{"2", "2001:db8:2::/64", "2001:db8:2::/64"},
		[3]string{"3", "2001:db8:3::/80", "2001:db8:3::/80"})
	pd := labRanges(t,
		[3]string{"1", "2001:db8:8000::/48", "2001:db8:8000::/48"},
		[3]string{"3", "2001:db8:9000::/40", "2001:db8:9000::/40"})

	kea4 := poolsByKea(t, lab, lab.Socket4, "lease4-get-all", "", v4)
	sameCounts(t, "dhcp4 pools", kea4, poolsByDdiscope(snap4, "kea_dhcp4_pool_leases"))
	sameCounts(t, "dhcp6 address pools", poolsByKea(t, lab, lab.Socket6, "lease6-get-all", "IA_NA", na), poolsByDdiscope(snap6, "kea_dhcp6_pool_leases"))
	kea6pd := poolsByKea(t, lab, lab.Socket6, "lease6-get-all", "IA_PD", pd)
	sameCounts(t, "dhcp6 pd-pools", kea6pd, poolsByDdiscope(snap6, "kea_dhcp6_pd_pool_leases"))

	t.Logf("lease4-get-all per range: %v; lease6-get-all per pd-pool: %v", kea4, kea6pd)
	first, second := kea4["3/198.18.2.10-198.18.2.14/default"], kea4["3/198.18.2.15-198.18.2.19/default"]
	if first == 0 || second == 0 || first+second != 7 {
		t.Errorf("subnet 3's 7 leases: %v in the first pool, %v in the second; want both pools used", first, second)
	}
	if kea6pd["1/2001:db8:8000::/48/default"] != 8 {
		t.Errorf("pd-pool of subnet 1 holds %v prefixes by lease6-get-all, want 8", kea6pd["1/2001:db8:8000::/48/default"])
	}
	// Utilisation per range counts declined leases as Kea's statistics do.
	pool := func(subnet, rng string) map[string]string {
		return map[string]string{"subnet_id": subnet, "pool_id": "0", "pool": rng}
	}
	want(t, snap4.Samples, "kea_dhcp4_pool_lease_utilization_ratio", pool("3", "198.18.2.10-198.18.2.14"), first/5)
	want(t, snap4.Samples, "kea_dhcp4_pool_lease_utilization_ratio", pool("3", "198.18.2.15-198.18.2.19"), (second+1)/5)
	want(t, snap4.Samples, "kea_dhcp4_pool_lease_utilization_ratio", pool("4", "198.18.3.10-198.18.3.250"), 0)
	want(t, snap6.Samples, "kea_dhcp6_pd_pool_lease_utilization_ratio", pool("1", "2001:db8:8000::/48"), 8.0/256)
	want(t, snap6.Samples, "kea_dhcp6_pool_lease_utilization_ratio", pool("1", "2001:db8:1::100/120"), 8.0/256)
	// Subnet 1's leases are all in its pool: the subnet's utilisation and
	// the pool's agree.
	want(t, snap4.Samples, "kea_dhcp4_pool_lease_utilization_ratio", pool("1", "198.18.0.10-198.18.0.13"), 1)
	want(t, snap4.Samples, "kea_dhcp4_subnet_utilization_ratio", map[string]string{"subnet_id": "1"}, 1)
}
