package keaview

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// daemonConfig is one daemon's config-get, parsed into what the pages show,
// with the subnets sorted by id for paging. It is immutable once built and
// shared by every page view until the configuration changes.
type daemonConfig struct {
	daemon  string
	hash    string // Kea 2.4+; "" on 2.2
	read    time.Time
	subnets []*SubnetConfig // by id
	shared  []*SharedNetworkConfig
	ha      []haConf
	pools   int
}

// haConf is one relationship of the HA hook's parameters.
type haConf struct {
	ThisServerName string `json:"this-server-name"`
	Mode           string `json:"mode"`
	Peers          []struct {
		Name         string `json:"name"`
		URL          string `json:"url"`
		Role         string `json:"role"`
		AutoFailover *bool  `json:"auto-failover"`
	} `json:"peers"`
}

// key identifies the relationship across its peers: every peer configures
// the same list of names and URLs.
func (h *haConf) key() string {
	ps := make([]string, 0, len(h.Peers))
	for _, p := range h.Peers {
		ps = append(ps, p.Name+"="+p.URL)
	}
	slices.Sort(ps)
	return strings.Join(ps, ",")
}

// The config-get shapes read here: only what the pages show.
type configArgs struct {
	Dhcp4 *rawDaemon      `json:"Dhcp4"`
	Dhcp6 *rawDaemon      `json:"Dhcp6"`
	Agent *rawAgentConfig `json:"Control-agent"`
	D2    *struct{}       `json:"DhcpDdns"`
	Hash  string          `json:"hash"`
}

type rawAgentConfig struct {
	ControlSockets map[string]json.RawMessage `json:"control-sockets"`
}

type rawLifetimes struct {
	Valid        *int64 `json:"valid-lifetime"`
	MinValid     *int64 `json:"min-valid-lifetime"`
	MaxValid     *int64 `json:"max-valid-lifetime"`
	Preferred    *int64 `json:"preferred-lifetime"`
	MinPreferred *int64 `json:"min-preferred-lifetime"`
	MaxPreferred *int64 `json:"max-preferred-lifetime"`
	Renew        *int64 `json:"renew-timer"`
	Rebind       *int64 `json:"rebind-timer"`
}

func (l *rawLifetimes) list() []struct {
	name string
	v    *int64
} {
	return []struct {
		name string
		v    *int64
	}{{"valid-lifetime", l.Valid}, {"min-valid-lifetime", l.MinValid}, {"max-valid-lifetime", l.MaxValid},
		{"preferred-lifetime", l.Preferred}, {"min-preferred-lifetime", l.MinPreferred}, {"max-preferred-lifetime", l.MaxPreferred},
		{"renew-timer", l.Renew}, {"rebind-timer", l.Rebind}}
}

type rawOption struct {
	Code       int    `json:"code"`
	Name       string `json:"name"`
	Space      string `json:"space"`
	Data       string `json:"data"`
	AlwaysSend bool   `json:"always-send"`
}

type rawRelay struct {
	IPAddresses []string `json:"ip-addresses"`
	IPAddress   string   `json:"ip-address"` // before Kea 1.4, still accepted
}

func (r *rawRelay) list() []string {
	if r == nil {
		return nil
	}
	if len(r.IPAddresses) > 0 {
		return r.IPAddresses
	}
	if r.IPAddress != "" {
		return []string{r.IPAddress}
	}
	return nil
}

type rawCommon struct {
	rawLifetimes
	OptionData     []rawOption     `json:"option-data"`
	Relay          *rawRelay       `json:"relay"`
	Interface      string          `json:"interface"`
	InterfaceID    string          `json:"interface-id"`
	ClientClass    string          `json:"client-class"`
	RequireClasses []string        `json:"require-client-classes"`
	Additional     []string        `json:"evaluate-additional-classes"` // Kea 3.0's name for it
	UserContext    json.RawMessage `json:"user-context"`
}

type rawPool struct {
	Pool           string          `json:"pool"`
	Prefix         string          `json:"prefix"`
	PrefixLen      int             `json:"prefix-len"`
	DelegatedLen   int             `json:"delegated-len"`
	ExcludedPrefix string          `json:"excluded-prefix"`
	ExcludedLen    int             `json:"excluded-prefix-len"`
	PoolID         *int64          `json:"pool-id"`
	ClientClass    string          `json:"client-class"`
	RequireClasses []string        `json:"require-client-classes"`
	Additional     []string        `json:"evaluate-additional-classes"`
	OptionData     []rawOption     `json:"option-data"`
	UserContext    json.RawMessage `json:"user-context"`
}

type rawReservation struct {
	HWAddress     string      `json:"hw-address"`
	ClientID      string      `json:"client-id"`
	DUID          string      `json:"duid"`
	CircuitID     string      `json:"circuit-id"`
	FlexID        string      `json:"flex-id"`
	IPAddress     string      `json:"ip-address"`
	IPAddresses   []string    `json:"ip-addresses"`
	Prefixes      []string    `json:"prefixes"`
	Hostname      string      `json:"hostname"`
	ClientClasses []string    `json:"client-classes"`
	OptionData    []rawOption `json:"option-data"`
}

type rawSubnet struct {
	rawCommon
	ID           int64            `json:"id"`
	Subnet       string           `json:"subnet"`
	Pools        []rawPool        `json:"pools"`
	PDPools      []rawPool        `json:"pd-pools"`
	Reservations []rawReservation `json:"reservations"`
}

type rawShared struct {
	rawCommon
	Name    string      `json:"name"`
	Subnet4 []rawSubnet `json:"subnet4"`
	Subnet6 []rawSubnet `json:"subnet6"`
}

type rawDaemon struct {
	rawLifetimes
	OptionData     []rawOption `json:"option-data"`
	Subnet4        []rawSubnet `json:"subnet4"`
	Subnet6        []rawSubnet `json:"subnet6"`
	SharedNetworks []rawShared `json:"shared-networks"`
	HooksLibraries []struct {
		Library    string          `json:"library"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"hooks-libraries"`
}

// parseConfigReply reads a whole config-get reply as captured (an array
// from a Control Agent or daemon HTTP listener, an object from a socket).
func parseConfigReply(daemon string, reply []byte) (*daemonConfig, error) {
	reply = bytes.TrimSpace(reply)
	var env struct {
		Result    int        `json:"result"`
		Text      string     `json:"text"`
		Arguments configArgs `json:"arguments"`
	}
	if len(reply) > 0 && reply[0] == '[' {
		var many []json.RawMessage
		if err := json.Unmarshal(reply, &many); err != nil {
			return nil, fmt.Errorf("config-get reply: %w", err)
		}
		if len(many) != 1 {
			return nil, fmt.Errorf("config-get reply: %d elements, want 1", len(many))
		}
		reply = many[0]
	}
	if err := json.Unmarshal(reply, &env); err != nil {
		return nil, fmt.Errorf("config-get reply: %w", err)
	}
	if env.Result != 0 {
		return nil, fmt.Errorf("config-get reply: result %d: %s", env.Result, env.Text)
	}
	return buildConfig(daemon, &env.Arguments, time.Time{})
}

// buildConfig indexes one daemon's configuration from config-get's arguments.
func buildConfig(daemon string, args *configArgs, read time.Time) (*daemonConfig, error) {
	rd := args.Dhcp4
	if daemon == "dhcp6" {
		rd = args.Dhcp6
	}
	if rd == nil {
		return nil, fmt.Errorf("config-get: the reply has no %s configuration", map[string]string{"dhcp4": "Dhcp4", "dhcp6": "Dhcp6"}[daemon])
	}
	dc := &daemonConfig{daemon: daemon, hash: args.Hash, read: read}
	global := levelOf("global", &rd.rawLifetimes, rd.OptionData)
	byID := map[int64]bool{}
	add := func(sn *SharedNetworkConfig, snLevel *level, relay []string, list []rawSubnet) error {
		for i := range list {
			rs := &list[i]
			if byID[rs.ID] {
				return fmt.Errorf("config-get: subnet id %d appears twice", rs.ID)
			}
			byID[rs.ID] = true
			levels := []*level{global}
			if snLevel != nil {
				levels = []*level{snLevel, global}
			}
			sc, err := newSubnet(rs, sn, levels, relay)
			if err != nil {
				return fmt.Errorf("config-get: subnet %d (%s): %w", rs.ID, rs.Subnet, err)
			}
			dc.subnets = append(dc.subnets, sc)
			if sn != nil {
				sn.Subnets = append(sn.Subnets, sc)
			}
		}
		return nil
	}
	if err := add(nil, nil, nil, append(rd.Subnet4, rd.Subnet6...)); err != nil {
		return nil, err
	}
	for i := range rd.SharedNetworks {
		rsn := &rd.SharedNetworks[i]
		if rsn.Name == "" {
			return nil, fmt.Errorf("config-get: shared network %d has no name", i)
		}
		snLevel := levelOf("shared-network", &rsn.rawLifetimes, rsn.OptionData)
		sn := &SharedNetworkConfig{Name: rsn.Name, Relay: rsn.Relay.list(), Interface: rsn.Interface,
			ClientClass: rsn.ClientClass, UserContext: compact(rsn.UserContext),
			Lifetimes: effectiveLifetimes([]*level{snLevel, global}),
			Options:   effectiveOptions([]*level{snLevel, global})}
		if err := add(sn, snLevel, sn.Relay, append(rsn.Subnet4, rsn.Subnet6...)); err != nil {
			return nil, err
		}
		slices.SortFunc(sn.Subnets, func(a, b *SubnetConfig) int { return cmp.Compare(a.ID, b.ID) })
		dc.shared = append(dc.shared, sn)
	}
	slices.SortFunc(dc.subnets, func(a, b *SubnetConfig) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(dc.shared, func(a, b *SharedNetworkConfig) int { return cmp.Compare(a.Name, b.Name) })
	for _, s := range dc.subnets {
		dc.pools += len(s.Pools) + len(s.PDPools)
	}
	for _, h := range rd.HooksLibraries {
		if !strings.Contains(h.Library, "libdhcp_ha") || len(h.Parameters) == 0 {
			continue
		}
		var p struct {
			HA []haConf `json:"high-availability"`
		}
		if err := json.Unmarshal(h.Parameters, &p); err != nil {
			return nil, fmt.Errorf("config-get: the HA hook's parameters: %w", err)
		}
		dc.ha = append(dc.ha, p.HA...)
	}
	return dc, nil
}

// level is one level of Kea's parameter inheritance.
type level struct {
	name      string
	lifetimes *rawLifetimes
	options   []rawOption
}

func levelOf(name string, l *rawLifetimes, opts []rawOption) *level {
	return &level{name: name, lifetimes: l, options: opts}
}

// effectiveLifetimes takes each timer from the first level that sets it.
func effectiveLifetimes(levels []*level) []Lifetime {
	var out []Lifetime
	for i, item := range (&rawLifetimes{}).list() {
		for _, lv := range levels {
			if v := lv.lifetimes.list()[i].v; v != nil {
				out = append(out, Lifetime{Name: item.name, Seconds: *v, From: lv.name})
				break
			}
		}
	}
	return out
}

// effectiveOptions lists each level's options, dropping those a lower level
// overrides (same space and code, or same name where the code is absent).
func effectiveOptions(levels []*level) []Option {
	var out []Option
	seen := map[string]bool{}
	for _, lv := range levels {
		for _, o := range lv.options {
			space := o.Space
			if space == "" {
				space = "dhcp"
			}
			k := space + "/" + strconv.Itoa(o.Code)
			if o.Code == 0 {
				k = space + "/" + o.Name
			}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Option{Code: o.Code, Name: o.Name, Space: o.Space, Data: o.Data, AlwaysSend: o.AlwaysSend, From: lv.name})
		}
	}
	return out
}

func ownOptions(from string, opts []rawOption) []Option {
	if len(opts) == 0 {
		return nil
	}
	out := make([]Option, len(opts))
	for i, o := range opts {
		out[i] = Option{Code: o.Code, Name: o.Name, Space: o.Space, Data: o.Data, AlwaysSend: o.AlwaysSend, From: from}
	}
	return out
}

func compact(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return ""
	}
	return b.String()
}

func newSubnet(rs *rawSubnet, sn *SharedNetworkConfig, parents []*level, snRelay []string) (*SubnetConfig, error) {
	if rs.ID <= 0 || rs.ID > 1<<32-1 {
		return nil, fmt.Errorf("id %d is not a Kea subnet id", rs.ID)
	}
	p, err := netip.ParsePrefix(rs.Subnet)
	if err != nil {
		return nil, fmt.Errorf("prefix: %w", err)
	}
	self := levelOf("subnet", &rs.rawLifetimes, rs.OptionData)
	levels := append([]*level{self}, parents...)
	sc := &SubnetConfig{ID: rs.ID, Prefix: p.String(), Interface: rs.Interface, InterfaceID: rs.InterfaceID,
		ClientClass: rs.ClientClass, RequireClasses: append(rs.RequireClasses, rs.Additional...),
		UserContext: compact(rs.UserContext), Lifetimes: effectiveLifetimes(levels), Options: effectiveOptions(levels),
		Relay: rs.Relay.list(), addrSize: new(big.Int), pdSize: new(big.Int),
		idText: strconv.FormatInt(rs.ID, 10), lowerPrefix: strings.ToLower(p.String()), prefix: p.Masked()}
	if sn != nil {
		sc.SharedNetwork = sn.Name
		if sc.Relay == nil {
			sc.Relay = snRelay
		}
		if sc.Interface == "" {
			sc.Interface = sn.Interface
		}
	}
	for _, rp := range rs.Pools {
		pr, err := addressRange(rp)
		if err != nil {
			return nil, err
		}
		sc.Pools = addRange(sc.Pools, Addresses, rp.PoolID, pr)
		sc.addrSize.Add(sc.addrSize, pr.Size)
	}
	for _, rp := range rs.PDPools {
		pr, err := pdRange(rp)
		if err != nil {
			return nil, err
		}
		sc.PDPools = addRange(sc.PDPools, PD, rp.PoolID, pr)
		sc.pdSize.Add(sc.pdSize, pr.Size)
	}
	for _, rr := range rs.Reservations {
		r := Reservation{HWAddress: rr.HWAddress, ClientID: rr.ClientID, DUID: rr.DUID, CircuitID: rr.CircuitID,
			FlexID: rr.FlexID, IPAddresses: rr.IPAddresses, Prefixes: rr.Prefixes, Hostname: rr.Hostname,
			ClientClasses: rr.ClientClasses, Options: ownOptions("reservation", rr.OptionData)}
		if rr.IPAddress != "" {
			r.IPAddresses = append([]string{rr.IPAddress}, r.IPAddresses...)
		}
		sc.Reservations = append(sc.Reservations, r)
	}
	return sc, nil
}

// addRange adds a range to the pool of its pool-id (0 when unset, as Kea
// counts it), keeping the pools sorted by id.
func addRange(pools []*PoolConfig, kind PoolKind, id *int64, pr PoolRange) []*PoolConfig {
	var pid int64
	if id != nil {
		pid = *id
	}
	i, found := slices.BinarySearchFunc(pools, pid, func(p *PoolConfig, id int64) int { return cmp.Compare(p.ID, id) })
	if !found {
		pools = slices.Insert(pools, i, &PoolConfig{ID: pid, Kind: kind, Size: new(big.Int)})
	}
	p := pools[i]
	p.Ranges = append(p.Ranges, pr)
	p.Size.Add(p.Size, pr.Size)
	return pools
}

func poolCommon(rp rawPool, pr *PoolRange) {
	pr.ClientClass = rp.ClientClass
	pr.RequireClasses = append(rp.RequireClasses, rp.Additional...)
	pr.Options = ownOptions("pool", rp.OptionData)
	pr.UserContext = compact(rp.UserContext)
}

// addressRange reads "first - last" or "prefix/len".
func addressRange(rp rawPool) (PoolRange, error) {
	s := rp.Pool
	pr := PoolRange{}
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(first))
		b, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil || a.Is4() != b.Is4() || b.Less(a) {
			return pr, fmt.Errorf("pool %q: not a range of addresses", s)
		}
		x := new(big.Int).SetBytes(a.AsSlice())
		y := new(big.Int).SetBytes(b.AsSlice())
		pr.Range = a.String() + "-" + b.String()
		pr.Size = y.Sub(y, x).Add(y, big.NewInt(1))
	} else {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return pr, fmt.Errorf("pool %q: %w", s, err)
		}
		pr.Range = p.String()
		pr.Size = new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	}
	poolCommon(rp, &pr)
	return pr, nil
}

func pdRange(rp rawPool) (PoolRange, error) {
	a, err := netip.ParseAddr(rp.Prefix)
	if err != nil || !a.Is6() {
		return PoolRange{}, fmt.Errorf("pd-pool prefix %q: not an IPv6 address", rp.Prefix)
	}
	if rp.PrefixLen < 1 || rp.PrefixLen > 128 || rp.DelegatedLen < rp.PrefixLen || rp.DelegatedLen > 128 {
		return PoolRange{}, fmt.Errorf("pd-pool %s/%d: delegated-len %d", rp.Prefix, rp.PrefixLen, rp.DelegatedLen)
	}
	pr := PoolRange{Range: netip.PrefixFrom(a, rp.PrefixLen).String(), DelegatedLen: rp.DelegatedLen,
		Size: new(big.Int).Lsh(big.NewInt(1), uint(rp.DelegatedLen-rp.PrefixLen))}
	if rp.ExcludedPrefix != "" {
		pr.ExcludedPrefix = fmt.Sprintf("%s/%d", rp.ExcludedPrefix, rp.ExcludedLen)
	}
	poolCommon(rp, &pr)
	return pr, nil
}

// subnet finds a subnet by id.
func (dc *daemonConfig) subnet(id int64) (*SubnetConfig, bool) {
	i, ok := slices.BinarySearchFunc(dc.subnets, id, func(s *SubnetConfig, id int64) int { return cmp.Compare(s.ID, id) })
	if !ok {
		return nil, false
	}
	return dc.subnets[i], true
}

func (dc *daemonConfig) sharedNetwork(name string) (*SharedNetworkConfig, bool) {
	i, ok := slices.BinarySearchFunc(dc.shared, name, func(s *SharedNetworkConfig, n string) int { return cmp.Compare(s.Name, n) })
	if !ok {
		return nil, false
	}
	return dc.shared[i], true
}
