package catalog

import (
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The fixtures in testdata/kea/fixtures stand in for Kea versions the lab
// cannot run. These tests keep them self-consistent: sizes match the
// configured ranges, pools add up to their subnet, nothing assigned exceeds
// its total, and the 3.1+ drop reasons add up to pkt*-receive-drop.

type poolConf struct {
	Pool         string       `json:"pool"`
	PoolID       *json.Number `json:"pool-id"`
	Prefix       string       `json:"prefix"`
	PrefixLen    int          `json:"prefix-len"`
	DelegatedLen int          `json:"delegated-len"`
}

type subnetConf struct {
	ID      json.Number `json:"id"`
	Subnet  string      `json:"subnet"`
	Pools   []poolConf  `json:"pools"`
	PDPools []poolConf  `json:"pd-pools"`
}

type daemonConf struct {
	Subnet4        []subnetConf `json:"subnet4"`
	Subnet6        []subnetConf `json:"subnet6"`
	SharedNetworks []struct {
		Name    string       `json:"name"`
		Subnet4 []subnetConf `json:"subnet4"`
		Subnet6 []subnetConf `json:"subnet6"`
	} `json:"shared-networks"`
}

type configReply struct {
	Result    int `json:"result"`
	Arguments struct {
		Dhcp4 *daemonConf `json:"Dhcp4"`
		Dhcp6 *daemonConf `json:"Dhcp6"`
		Hash  string      `json:"hash"`
	} `json:"arguments"`
}

func (c *configReply) subnets() []subnetConf {
	d := c.Arguments.Dhcp4
	if d == nil {
		d = c.Arguments.Dhcp6
	}
	if d == nil {
		return nil
	}
	out := append(append([]subnetConf(nil), d.Subnet4...), d.Subnet6...)
	for _, sn := range d.SharedNetworks {
		out = append(out, sn.Subnet4...)
		out = append(out, sn.Subnet6...)
	}
	return out
}

func addrInt(a netip.Addr) *big.Int {
	b := a.As16()
	return new(big.Int).SetBytes(b[:])
}

// poolSize counts the addresses of "first-last" or "prefix/len".
func poolSize(t *testing.T, p string) *big.Int {
	t.Helper()
	if first, last, ok := strings.Cut(p, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(first))
		b, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil {
			t.Fatalf("bad pool %q", p)
		}
		n := new(big.Int).Sub(addrInt(b), addrInt(a))
		return n.Add(n, big.NewInt(1))
	}
	pfx, err := netip.ParsePrefix(p)
	if err != nil {
		t.Fatalf("bad pool %q: %v", p, err)
	}
	return new(big.Int).Lsh(big.NewInt(1), uint(pfx.Addr().BitLen()-pfx.Bits()))
}

func poolID(p poolConf) string {
	if p.PoolID == nil {
		return "0"
	}
	return p.PoolID.String()
}

// values holds the newest sample of every statistic, exactly.
func newestValues(t *testing.T, r statResponse) map[string]*big.Int {
	t.Helper()
	out := map[string]*big.Int{}
	for name, samples := range r.Arguments {
		if len(samples) == 0 {
			t.Fatalf("%s has no sample", name)
		}
		var sample []json.RawMessage
		if err := json.Unmarshal(samples[0], &sample); err != nil || len(sample) != 2 {
			t.Fatalf("%s: sample %s is not [value, timestamp]", name, samples[0])
		}
		var ts string
		if err := json.Unmarshal(sample[1], &ts); err != nil || !keaTimestamp.MatchString(ts) {
			t.Errorf("%s: timestamp %s is not Kea's YYYY-MM-DD HH:MM:SS.ffffff", name, sample[1])
		}
		v, ok := new(big.Int).SetString(string(sample[0]), 10)
		if !ok {
			t.Fatalf("%s: value %s is not an integer", name, sample[0])
		}
		out[name] = v
	}
	return out
}

var keaTimestamp = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$`)

func TestFixturesConsistent(t *testing.T) {
	files, err := filepath.Glob("../testdata/kea/fixtures/kea*-statistic-get-all*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			base := filepath.Base(f)
			version, _, _ := strings.Cut(strings.TrimPrefix(base, "kea"), "-")
			daemon := daemonOf(f)
			var r statResponse
			decodeReply(t, f, &r)
			vals := newestValues(t, r)
			get := func(name string) *big.Int {
				if v, ok := vals[name]; ok {
					return v
				}
				return new(big.Int)
			}

			if daemon == "d2" {
				sent := get("update-sent")
				if s := new(big.Int).Add(get("update-signed"), get("update-unsigned")); s.Cmp(sent) != 0 {
					t.Errorf("update-signed + update-unsigned = %v, update-sent = %v", s, sent)
				}
				return
			}

			pkt := map[string]string{"dhcp4": "pkt4", "dhcp6": "pkt6"}[daemon]
			if version >= "3.1" {
				sum := new(big.Int)
				for _, s := range mustKea(t).Metric("kea_" + daemon + "_packets_dropped_by_reason_total").Source {
					v, ok := vals[s.Stat]
					if !ok {
						t.Errorf("3.1+ fixture lacks %s", s.Stat)
						continue
					}
					sum.Add(sum, v)
				}
				if sum.Cmp(get(pkt+"-receive-drop")) != 0 {
					t.Errorf("drop reasons add up to %v, %s-receive-drop is %v", sum, pkt, get(pkt+"-receive-drop"))
				}
			}

			var cfg configReply
			decodeReply(t, filepath.Join(filepath.Dir(f), fmt.Sprintf("kea%s-%s-config-get.json", version, daemon)), &cfg)
			subnets := cfg.subnets()
			if len(subnets) < 3 || len(subnets) > 4 {
				t.Errorf("%d subnets configured, want 3 or 4", len(subnets))
			}

			total, assigned := "total-addresses", "assigned-addresses"
			poolStats := []string{"total-addresses", "assigned-addresses", "cumulative-assigned-addresses", "declined-addresses", "reclaimed-declined-addresses", "reclaimed-leases"}
			if daemon == "dhcp6" {
				total, assigned = "total-nas", "assigned-nas"
				poolStats = []string{"total-nas", "assigned-nas", "cumulative-assigned-nas", "declined-addresses", "reclaimed-declined-addresses"}
			}
			huge := false
			globalCum := new(big.Int)
			for _, sn := range subnets {
				id := sn.ID.String()
				sub := func(stat string) *big.Int { return get("subnet[" + id + "]." + stat) }
				pool := func(kind, pid, stat string) *big.Int {
					return get("subnet[" + id + "]." + kind + "[" + pid + "]." + stat)
				}
				if _, ok := vals["subnet["+id+"]."+total]; !ok {
					t.Errorf("subnet %s has no %s", id, total)
					continue
				}
				globalCum.Add(globalCum, sub("cumulative-"+assigned))

				// Sizes from the configuration, per pool-id.
				sizes, order := map[string]*big.Int{}, []string{}
				subnetSize := new(big.Int)
				for _, p := range sn.Pools {
					n := poolSize(t, p.Pool)
					subnetSize.Add(subnetSize, n)
					pid := poolID(p)
					if sizes[pid] == nil {
						sizes[pid] = new(big.Int)
						order = append(order, pid)
					}
					sizes[pid].Add(sizes[pid], n)
				}
				if sub(total).Cmp(subnetSize) != 0 {
					t.Errorf("subnet[%s].%s = %v, the configured pools hold %v", id, total, sub(total), subnetSize)
				}
				if sub(total).Cmp(two64) >= 0 {
					huge = true
				}
				if sub(assigned).Cmp(sub(total)) > 0 {
					t.Errorf("subnet[%s]: %s %v > %s %v", id, assigned, sub(assigned), total, sub(total))
				}
				for _, pid := range order {
					if pool("pool", pid, total).Cmp(sizes[pid]) != 0 {
						t.Errorf("subnet[%s].pool[%s].%s = %v, the pools with pool-id %s hold %v", id, pid, total, pool("pool", pid, total), pid, sizes[pid])
					}
					if pool("pool", pid, assigned).Cmp(pool("pool", pid, total)) > 0 {
						t.Errorf("subnet[%s].pool[%s]: assigned > total", id, pid)
					}
				}
				for _, stat := range poolStats {
					sum := new(big.Int)
					for _, pid := range order {
						sum.Add(sum, pool("pool", pid, stat))
					}
					if sum.Cmp(sub(stat)) != 0 {
						t.Errorf("subnet[%s]: pools' %s add up to %v, the subnet reports %v", id, stat, sum, sub(stat))
					}
				}

				reclaimed := new(big.Int)
				for _, pid := range order {
					reclaimed.Add(reclaimed, pool("pool", pid, "reclaimed-leases"))
				}
				if daemon == "dhcp6" {
					pdSizes, pdOrder := map[string]*big.Int{}, []string{}
					pdSize := new(big.Int)
					for _, p := range sn.PDPools {
						n := new(big.Int).Lsh(big.NewInt(1), uint(p.DelegatedLen-p.PrefixLen))
						pdSize.Add(pdSize, n)
						pid := poolID(p)
						if pdSizes[pid] == nil {
							pdSizes[pid] = new(big.Int)
							pdOrder = append(pdOrder, pid)
						}
						pdSizes[pid].Add(pdSizes[pid], n)
					}
					if sub("total-pds").Cmp(pdSize) != 0 {
						t.Errorf("subnet[%s].total-pds = %v, the configured pd-pools hold %v", id, sub("total-pds"), pdSize)
					}
					if sub("assigned-pds").Cmp(sub("total-pds")) > 0 {
						t.Errorf("subnet[%s]: assigned-pds > total-pds", id)
					}
					for _, pid := range pdOrder {
						if pool("pd-pool", pid, "total-pds").Cmp(pdSizes[pid]) != 0 {
							t.Errorf("subnet[%s].pd-pool[%s].total-pds = %v, want %v", id, pid, pool("pd-pool", pid, "total-pds"), pdSizes[pid])
						}
						if pool("pd-pool", pid, "total-pds").Cmp(two64) >= 0 {
							huge = true
						}
						reclaimed.Add(reclaimed, pool("pd-pool", pid, "reclaimed-leases"))
					}
					for _, stat := range []string{"assigned-pds", "cumulative-assigned-pds"} {
						sum := new(big.Int)
						for _, pid := range pdOrder {
							sum.Add(sum, pool("pd-pool", pid, stat))
						}
						if sum.Cmp(sub(stat)) != 0 {
							t.Errorf("subnet[%s]: pd-pools' %s add up to %v, the subnet reports %v", id, stat, sum, sub(stat))
						}
					}
				}
				if reclaimed.Cmp(sub("reclaimed-leases")) != 0 {
					t.Errorf("subnet[%s]: pools' reclaimed-leases add up to %v, the subnet reports %v", id, reclaimed, sub("reclaimed-leases"))
				}
			}
			if globalCum.Cmp(get("cumulative-"+assigned)) != 0 {
				t.Errorf("subnets' cumulative-%s add up to %v, the global statistic is %v", assigned, globalCum, get("cumulative-"+assigned))
			}
			if daemon == "dhcp6" && !huge {
				t.Errorf("no IPv6 total of 2^64 or more")
			}
		})
	}
}
