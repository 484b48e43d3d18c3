package kea

import (
	"cmp"
	"encoding/json"
	"fmt"
	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"math"
	"math/big"
	"net/netip"
	"slices"
	"strings"
)

// daemonConfig is what the poller needs from config-get: the subnets with
// their prefixes, shared networks and pools, to label statistics.
type daemonConfig struct {
	hash    string
	subnets map[int64]*subnetInfo
	// In configuration order; idx fields index these, so that per-poll
	// arithmetic uses slices, not maps.
	subnetList []*subnetInfo
	poolList   []*poolInfo
	// ha is the HA hook's relationships, nil when the hook is not loaded.
	ha *haConfig
	// findings are the configuration review's (review.go), run once per
	// configuration; version findings are added once the version is known.
	findings []finding
	checks   []string // the checks that ran
	review   findingSet
}

type subnetInfo struct {
	idx           int // in daemonConfig.subnetList; -1 for a subnet the configuration lacks
	id            int64
	prefix        string
	sharedNetwork string
	haServer      string // user-context ha-server-name
	// Sorted by the id Kea uses in subnet[N].pool[M]. Slices, not maps: a
	// subnet has a few pools, and at 10,000 subnets maps cost megabytes.
	pools   []*poolInfo
	pdPools []*poolInfo
	// Sizes computed from the pool ranges, for Kea 2.2's -1 totals.
	addresses, prefixes float64
	identity            *collector.Identity
	// ranges are the configured address ranges ([0]) and pd-pool prefixes
	// ([1]), each sorted by first address, that lease passes count leases
	// in (Kea before 2.4 has no pool statistics).
	ranges [2][]*rangeInfo
}

// rangeInfo is one configured pool range or pd-pool prefix. Kea's pools do
// not overlap (it refuses such a configuration), so a lease lies in one at
// most.
type rangeInfo struct {
	first, last netip.Addr
	poolID      int64
	rng         string
	size        float64
	slot        int // index in the subnet's per-range lease counts
	identity    *collector.Identity
}

// poolInfo is one pool-id of a subnet. Its identity is built on first use:
// Kea 2.2 has no pool statistics, and at 10,000 subnets the labels of pools
// nobody reports on would cost megabytes.
type poolInfo struct {
	idx      int // in daemonConfig.poolList; -1 when the configuration lacks the pool
	id       int64
	rng      string
	size     float64
	identity *collector.Identity
}

// configReply is the arguments of config-get, from a Control Agent or any
// daemon; only what ddiscope reads is decoded.
type configReply struct {
	Dhcp4 *dhcpConfig  `json:"Dhcp4"`
	Dhcp6 *dhcpConfig  `json:"Dhcp6"`
	D2    *struct{}    `json:"DhcpDdns"`
	Agent *agentConfig `json:"Control-agent"`
	Hash  string       `json:"hash"`
}

type dhcpConfig struct {
	HooksLibraries []hookConf   `json:"hooks-libraries"`
	Subnet4        []subnetConf `json:"subnet4"`
	Subnet6        []subnetConf `json:"subnet6"`
	SharedNetworks []struct {
		Name    string       `json:"name"`
		Subnet4 []subnetConf `json:"subnet4"`
		Subnet6 []subnetConf `json:"subnet6"`
		reservationModes
	} `json:"shared-networks"`
	reservationModes
	// Read by the configuration review (review.go) only.
	SampleCount    *int64           `json:"statistic-default-sample-count"`
	ControlSocket  *ctrlSocketConf  `json:"control-socket"`
	ControlSockets []ctrlSocketConf `json:"control-sockets"` // Kea 2.7.2+
}

// agentConfig is the Control Agent's configuration.
type agentConfig struct {
	ControlSockets map[string]json.RawMessage `json:"control-sockets"`
	httpTLS
}

// httpTLS is how a Kea HTTP listener (the Control Agent, a daemon's HTTP
// control socket) authenticates clients and whether it speaks TLS.
type httpTLS struct {
	Authentication *struct {
		Type    string            `json:"type"`
		Clients []json.RawMessage `json:"clients"`
	} `json:"authentication"`
	CertFile string `json:"cert-file"`
}

// ctrlSocketConf is a daemon's control socket: UNIX, or HTTP(S) from Kea 2.7.2.
type ctrlSocketConf struct {
	SocketType    string `json:"socket-type"`
	SocketAddress string `json:"socket-address"`
	SocketPort    int    `json:"socket-port"`
	httpTLS
}

// reservationModes are the reservation settings a subnet inherits from its
// shared network and the global level: Kea 2.0+'s flags and the older
// reservation-mode.
type reservationModes struct {
	OutOfPool *bool  `json:"reservations-out-of-pool"`
	Mode      string `json:"reservation-mode"`
}

// outOfPool says what the level sets, if anything.
func (r *reservationModes) outOfPool() *bool {
	if r.OutOfPool != nil {
		return r.OutOfPool
	}
	if r.Mode != "" {
		v := r.Mode == "out-of-pool"
		return &v
	}
	return nil
}

type reservationConf struct {
	IPAddress   string   `json:"ip-address"`
	IPAddresses []string `json:"ip-addresses"`
	Prefixes    []string `json:"prefixes"`
}

type subnetConf struct {
	ID     int64  `json:"id"`
	Subnet string `json:"subnet"`
	Pools  []struct {
		Pool        string `json:"pool"`
		PoolID      *int64 `json:"pool-id"`
		ClientClass string `json:"client-class"`
	} `json:"pools"`
	PDPools []struct {
		Prefix       string `json:"prefix"`
		PrefixLen    int    `json:"prefix-len"`
		DelegatedLen int    `json:"delegated-len"`
		PoolID       *int64 `json:"pool-id"`
	} `json:"pd-pools"`
	UserContext  haUserContext     `json:"user-context"`
	Reservations []reservationConf `json:"reservations"`
	reservationModes
}

// parseConfigReply reads a whole config-get reply (array or object), as
// captured; the poller gets the arguments from keactl already.
func parseConfigReply(server, daemon string, reply []byte) (*daemonConfig, error) {
	var rs []struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(reply, &rs); err != nil || len(rs) != 1 {
		var r struct {
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal(reply, &r); err != nil {
			return nil, fmt.Errorf("config-get reply: %w", err)
		}
		return parseConfig(server, daemon, r.Arguments)
	}
	return parseConfig(server, daemon, rs[0].Arguments)
}

// parseConfig reads the arguments of a config-get reply for one daemon.
func parseConfig(server, daemon string, args []byte) (*daemonConfig, error) {
	var reply configReply
	if err := json.Unmarshal(args, &reply); err != nil {
		return nil, fmt.Errorf("config-get: %w", err)
	}
	return labelsFromConfig(server, daemon, &reply)
}

// labelsFromConfig indexes a decoded configuration for one daemon.
func labelsFromConfig(server, daemon string, reply *configReply) (*daemonConfig, error) {
	dc := reply.Dhcp4
	if daemon == "dhcp6" {
		dc = reply.Dhcp6
	}
	if dc == nil {
		return nil, fmt.Errorf("config-get: reply has no %s configuration", map[string]string{"dhcp4": "Dhcp4", "dhcp6": "Dhcp6"}[daemon])
	}
	cfg := &daemonConfig{hash: reply.Hash, subnets: map[int64]*subnetInfo{}}
	ha := newHAConfigBuilder(dc.HooksLibraries)
	add := func(shared string, subnets []subnetConf) error {
		for _, sc := range subnets {
			ha.addSubnet(shared, &sc)
			if _, dup := cfg.subnets[sc.ID]; dup {
				return fmt.Errorf("config-get: subnet id %d appears twice", sc.ID)
			}
			si, err := newSubnetInfo(server, shared, sc)
			if err != nil {
				return fmt.Errorf("config-get: subnet %d (%s): %w", sc.ID, sc.Subnet, err)
			}
			cfg.subnets[sc.ID] = si
			cfg.subnetList = append(cfg.subnetList, si)
		}
		return nil
	}
	if err := add("", append(dc.Subnet4, dc.Subnet6...)); err != nil {
		return nil, err
	}
	for _, sn := range dc.SharedNetworks {
		if err := add(sn.Name, append(sn.Subnet4, sn.Subnet6...)); err != nil {
			return nil, err
		}
	}
	cfg.ha = ha.build()
	// Derived samples come out in this order: by subnet id, then pool id.
	slices.SortFunc(cfg.subnetList, func(a, b *subnetInfo) int { return cmp.Compare(a.id, b.id) })
	for i, si := range cfg.subnetList {
		si.idx = i
		for _, list := range [][]*poolInfo{si.pools, si.pdPools} {
			for _, pi := range list {
				pi.idx = len(cfg.poolList)
				cfg.poolList = append(cfg.poolList, pi)
			}
		}
	}
	cfg.findings = reviewConfig(daemon, dc, cfg)
	cfg.checks = configChecks
	return cfg, nil
}

func newSubnetInfo(server, shared string, sc subnetConf) (*subnetInfo, error) {
	id := fmt.Sprint(sc.ID)
	si := &subnetInfo{id: sc.ID, prefix: sc.Subnet, sharedNetwork: shared, haServer: sc.UserContext.HAServerName,
		identity: collector.NewIdentity(catalog.ScopeSubnet, server, id, sc.Subnet, shared)}
	// From Kea 2.4, subnet[N].pool[M] statistics are per pool-id, not per
	// position: pools without one have id 0, and pools sharing an id are
	// counted together (testdata/kea/fixtures/SOURCES.md). So a pool label
	// lists every range of its id.
	addPool := func(list *[]*poolInfo, pid int64, rng string, size float64) {
		i, found := findPool(*list, pid)
		if !found {
			*list = slices.Insert(*list, i, &poolInfo{id: pid})
		} else {
			rng = (*list)[i].rng + "," + rng
		}
		pi := (*list)[i]
		pi.rng, pi.size = rng, pi.size+size
	}
	for _, p := range sc.Pools {
		var pid int64
		if p.PoolID != nil {
			pid = *p.PoolID
		}
		size, err := poolSize(p.Pool)
		if err != nil {
			return nil, err
		}
		si.addresses += size
		rng := strings.Join(strings.Fields(p.Pool), "") // "a - b" -> "a-b"
		addPool(&si.pools, pid, rng, size)
		first, last, err := poolBounds(p.Pool)
		if err != nil {
			return nil, err
		}
		si.ranges[0] = append(si.ranges[0], &rangeInfo{first: first, last: last, poolID: pid, rng: rng, size: size})
	}
	for _, p := range sc.PDPools {
		var pid int64
		if p.PoolID != nil {
			pid = *p.PoolID
		}
		if p.DelegatedLen < p.PrefixLen || p.DelegatedLen > 128 || p.PrefixLen < 0 {
			return nil, fmt.Errorf("pd-pool %s/%d: delegated-len %d", p.Prefix, p.PrefixLen, p.DelegatedLen)
		}
		size := math.Ldexp(1, p.DelegatedLen-p.PrefixLen)
		si.prefixes += size
		rng := fmt.Sprintf("%s/%d", p.Prefix, p.PrefixLen)
		addPool(&si.pdPools, pid, rng, size)
		first, last, err := poolBounds(rng)
		if err != nil {
			return nil, fmt.Errorf("pd-pool %s: %w", rng, err)
		}
		si.ranges[1] = append(si.ranges[1], &rangeInfo{first: first, last: last, poolID: pid, rng: rng, size: size})
	}
	slot := 0
	for _, list := range si.ranges {
		slices.SortFunc(list, func(a, b *rangeInfo) int { return a.first.Compare(b.first) })
		for _, ri := range list {
			ri.slot = slot
			slot++
		}
	}
	return si, nil
}

// poolBounds returns the first and last address of "first - last" or
// "prefix/len".
func poolBounds(pool string) (first, last netip.Addr, err error) {
	if a, b, ok := strings.Cut(pool, "-"); ok {
		first, err1 := netip.ParseAddr(strings.TrimSpace(a))
		last, err2 := netip.ParseAddr(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || first.Is4() != last.Is4() || last.Less(first) {
			return first, last, fmt.Errorf("pool %q: not a range of addresses", pool)
		}
		return first, last, nil
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(pool))
	if err != nil {
		return first, last, fmt.Errorf("pool %q: %w", pool, err)
	}
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := range b {
		if host := p.Bits() - 8*i; host < 8 {
			if host < 0 {
				host = 0
			}
			b[i] |= byte(0xff >> host)
		}
	}
	last, _ = netip.AddrFromSlice(b)
	return p.Addr(), last, nil
}

// rangeOf returns the range of kind k (0 addresses, 1 pd-pools) holding a,
// or nil.
func (si *subnetInfo) rangeOf(k int, a netip.Addr) *rangeInfo {
	list := si.ranges[k]
	i, found := slices.BinarySearchFunc(list, a, func(ri *rangeInfo, a netip.Addr) int { return ri.first.Compare(a) })
	if !found {
		i-- // the last range starting before a
	}
	if i < 0 || list[i].last.Less(a) {
		return nil
	}
	return list[i]
}

// rangeCount is how many ranges and pd-pool prefixes the subnet has.
func (si *subnetInfo) rangeCount() int { return len(si.ranges[0]) + len(si.ranges[1]) }

// ident returns the range's identity labels (scope pool or pd-pool),
// building them on first use.
func (ri *rangeInfo) ident(si *subnetInfo, scope catalog.Scope) *collector.Identity {
	if ri.identity == nil {
		v := si.identity.Values
		ri.identity = collector.NewIdentity(scope, v[0], v[1], v[2], v[3], fmt.Sprint(ri.poolID), ri.rng)
	}
	return ri.identity
}

// findPool finds the pool of an id in a subnet's pools, sorted by id, or
// where it would go.
func findPool(list []*poolInfo, id int64) (int, bool) {
	return slices.BinarySearchFunc(list, id, func(pi *poolInfo, id int64) int { return cmp.Compare(pi.id, id) })
}

// poolSize counts the addresses of "first - last" or "prefix/len".
func poolSize(pool string) (float64, error) {
	if first, last, ok := strings.Cut(pool, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(first))
		b, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil || a.Is4() != b.Is4() || b.Less(a) {
			return 0, fmt.Errorf("pool %q: not a range of addresses", pool)
		}
		x := new(big.Int).SetBytes(a.AsSlice())
		y := new(big.Int).SetBytes(b.AsSlice())
		f, _ := new(big.Float).SetInt(y.Sub(y, x).Add(y, big.NewInt(1))).Float64()
		return f, nil
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(pool))
	if err != nil {
		return 0, fmt.Errorf("pool %q: %w", pool, err)
	}
	return math.Ldexp(1, p.Addr().BitLen()-p.Bits()), nil
}

// ident returns the pool's identity labels, building them on first use.
func (pi *poolInfo) ident(si *subnetInfo, scope catalog.Scope) *collector.Identity {
	if pi.identity == nil {
		v := si.identity.Values
		pi.identity = collector.NewIdentity(scope, v[0], v[1], v[2], v[3], fmt.Sprint(pi.id), pi.rng)
	}
	return pi.identity
}
