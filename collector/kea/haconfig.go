package kea

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// The HA hook's configuration, read from config-get's hooks-libraries. It
// names the relationships (so both peers label them alike), tells each
// server's partner (so ddiscope pairs targets without the operator saying
// so) and gives the fingerprints that show drift between peers.

// hookConf is one hooks-libraries entry; only the HA hook's parameters are
// read, and lazily, so that a malformed hook parameter never breaks the
// labels of the statistics.
type hookConf struct {
	Library    string          `json:"library"`
	Parameters json.RawMessage `json:"parameters"`
}

// haUserContext reads ha-server-name from a subnet's user-context, which
// associates the subnet with a relationship on a hub (Kea ARM, "Hub and
// Spoke Configuration"). user-context is free-form, so it never fails.
type haUserContext struct{ HAServerName string }

func (u *haUserContext) UnmarshalJSON(b []byte) error {
	var m struct {
		Name any `json:"ha-server-name"`
	}
	if json.Unmarshal(b, &m) == nil {
		u.HAServerName, _ = m.Name.(string)
	}
	return nil
}

type haPeerConf struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Role         string `json:"role"`
	AutoFailover *bool  `json:"auto-failover"`
	// Credentials for the peer (basic-auth-password-file from Kea 2.6).
	BasicAuthUser         string `json:"basic-auth-user"`
	BasicAuthPassword     string `json:"basic-auth-password"`
	BasicAuthPasswordFile string `json:"basic-auth-password-file"`
}

// haRelConf is one entry of the hook's high-availability list. Pointers
// tell an absent value from a zero one in the fingerprint.
type haRelConf struct {
	ThisServerName      string       `json:"this-server-name"`
	Mode                string       `json:"mode"`
	HeartbeatDelay      *int64       `json:"heartbeat-delay"`
	MaxResponseDelay    *int64       `json:"max-response-delay"`
	MaxAckDelay         *int64       `json:"max-ack-delay"`
	MaxUnackedClients   *int64       `json:"max-unacked-clients"`
	DelayedUpdatesLimit *int64       `json:"delayed-updates-limit"`
	SendLeaseUpdates    *bool        `json:"send-lease-updates"`
	SyncLeases          *bool        `json:"sync-leases"`
	Peers               []haPeerConf `json:"peers"`
}

// haRelationship is one relationship of this server, as ddiscope labels it.
type haRelationship struct {
	id      string // the primary peer's name: the same on every member
	this    string // this-server-name
	partner string // the other active peer; "" in passive-backup and on a backup
	mode    string
	role    string // this server's role
	peers   string // "name=url,…" sorted by name: identifies the relationship across the fleet
	scopes  []string
	names   map[string]bool // every peer name, for ha-server-name
	// 48-bit fingerprints (exact in a float64) of what both peers must share.
	subnetsFP, haFP uint64
	subnetSum       uint64 // order-independent sum of per-subnet hashes
	subnetCount     uint64
	// subnets are the relationship's subnets with their hashes, sorted by
	// first address, for the review across peers (hareview.go).
	subnets []haSubnet
	// plainAuthPeers are "name url" of peers reached with credentials over
	// plain http.
	plainAuthPeers []string
}

// haConfig is the HA hook's configuration of one daemon.
type haConfig struct {
	rels []*haRelationship
	// invalid counts relationships that could not be read (no peers,
	// this-server-name not among them, bad types).
	invalid int
	// subnetRel maps subnet ids to relationships, only when there are
	// several (a hub): with one, every subnet is in it.
	subnetRel map[int64]*haRelationship
}

type haConfigBuilder struct {
	cfg *haConfig
}

// newHAConfigBuilder reads the HA hook's parameters, if it is loaded.
func newHAConfigBuilder(hooks []hookConf) *haConfigBuilder {
	b := &haConfigBuilder{}
	for _, h := range hooks {
		if len(h.Parameters) == 0 {
			continue
		}
		var params struct {
			HA json.RawMessage `json:"high-availability"`
		}
		if json.Unmarshal(h.Parameters, &params) != nil || len(params.HA) == 0 {
			continue
		}
		if b.cfg == nil {
			b.cfg = &haConfig{}
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(params.HA, &raws); err != nil {
			b.cfg.invalid++
			continue
		}
		for _, raw := range raws {
			var rc haRelConf
			if err := json.Unmarshal(raw, &rc); err != nil {
				b.cfg.invalid++
				continue
			}
			rel, err := newHARelationship(&rc)
			if err != nil {
				b.cfg.invalid++
				continue
			}
			b.cfg.rels = append(b.cfg.rels, rel)
		}
	}
	return b
}

func newHARelationship(rc *haRelConf) (*haRelationship, error) {
	if len(rc.Peers) == 0 {
		return nil, fmt.Errorf("relationship of %q has no peers", rc.ThisServerName)
	}
	r := &haRelationship{this: rc.ThisServerName, mode: rc.Mode, names: map[string]bool{}}
	peers := slices.Clone(rc.Peers)
	slices.SortFunc(peers, func(a, b haPeerConf) int { return strings.Compare(a.Name, b.Name) })
	var pairs []string
	for _, p := range peers {
		r.names[p.Name] = true
		pairs = append(pairs, p.Name+"="+p.URL)
		switch p.Role {
		case "primary":
			if r.id == "" {
				r.id = p.Name
			}
		}
		if p.Name == r.this {
			r.role = p.Role
		}
	}
	if !r.names[r.this] {
		return nil, fmt.Errorf("this-server-name %q is not among the peers", r.this)
	}
	if r.id == "" {
		r.id = peers[0].Name
	}
	r.peers = strings.Join(pairs, ",")
	for _, p := range peers {
		if (p.BasicAuthUser != "" || p.BasicAuthPassword != "" || p.BasicAuthPasswordFile != "") && strings.HasPrefix(strings.ToLower(p.URL), "http:") {
			r.plainAuthPeers = append(r.plainAuthPeers, p.Name+" "+p.URL)
		}
	}
	// Scopes are the names of the active servers that own one: both in
	// load-balancing, the primary alone otherwise.
	for _, p := range rc.Peers {
		if p.Role == "primary" || (p.Role == "secondary" && r.mode == "load-balancing") {
			r.scopes = append(r.scopes, p.Name)
		}
	}
	if r.mode != "passive-backup" && r.role != "backup" {
		for _, p := range rc.Peers {
			if p.Name != r.this && (p.Role == "primary" || p.Role == "secondary" || p.Role == "standby") {
				r.partner = p.Name
				break
			}
		}
	}
	h := fnv.New64a()
	opt := func(v *int64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	optb := func(v *bool) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	fmt.Fprintf(h, "%s|%s|%s|%s|%s|%s|%s|%s", rc.Mode, opt(rc.HeartbeatDelay), opt(rc.MaxResponseDelay),
		opt(rc.MaxAckDelay), opt(rc.MaxUnackedClients), opt(rc.DelayedUpdatesLimit), optb(rc.SendLeaseUpdates), optb(rc.SyncLeases))
	for _, p := range peers {
		fmt.Fprintf(h, "|%s=%s/%s/%s", p.Name, p.URL, p.Role, optb(p.AutoFailover))
	}
	r.haFP = fp48(h.Sum64())
	return r, nil
}

func fp48(v uint64) uint64 { return v & (1<<48 - 1) }

// relationshipOf returns the relationship a subnet belongs to: the one
// whose peers include its ha-server-name, else the only one.
func (c *haConfig) relationshipOf(name string) *haRelationship {
	if name != "" {
		for _, r := range c.rels {
			if r.names[name] {
				return r
			}
		}
		return nil
	}
	if len(c.rels) == 1 {
		return c.rels[0]
	}
	return nil
}

// addSubnet adds a subnet to its relationship's fingerprint. The hash of
// each subnet is summed, so that the order of subnets in the configuration
// does not matter.
func (b *haConfigBuilder) addSubnet(shared string, sc *subnetConf) {
	if b.cfg == nil || len(b.cfg.rels) == 0 {
		return
	}
	r := b.cfg.relationshipOf(sc.UserContext.HAServerName)
	if r == nil {
		return
	}
	if len(b.cfg.rels) > 1 {
		if b.cfg.subnetRel == nil {
			b.cfg.subnetRel = map[int64]*haRelationship{}
		}
		b.cfg.subnetRel[sc.ID] = r
	}
	pools := make([]string, 0, len(sc.Pools)+len(sc.PDPools))
	for _, p := range sc.Pools {
		pools = append(pools, strings.Join(strings.Fields(p.Pool), "")+"/"+p.ClientClass)
	}
	for _, p := range sc.PDPools {
		pools = append(pools, fmt.Sprintf("pd:%s/%d/%d", p.Prefix, p.PrefixLen, p.DelegatedLen))
	}
	slices.Sort(pools)
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%s|%s", sc.ID, sc.Subnet, shared, strings.Join(pools, ","))
	r.subnetSum += h.Sum64()
	r.subnetCount++
	if first, last, err := poolBounds(sc.Subnet); err == nil {
		r.subnets = append(r.subnets, haSubnet{id: sc.ID, prefix: sc.Subnet, first: first, last: last, hash: h.Sum64()})
	}
}

func (b *haConfigBuilder) build() *haConfig {
	if b.cfg == nil {
		return nil
	}
	for _, r := range b.cfg.rels {
		slices.SortFunc(r.subnets, func(a, b haSubnet) int {
			return cmp.Or(a.first.Compare(b.first), b.last.Compare(a.last), cmp.Compare(a.id, b.id))
		})
		h := fnv.New64a()
		fmt.Fprintf(h, "%d|%d", r.subnetCount, r.subnetSum)
		r.subnetsFP = fp48(h.Sum64())
	}
	return b.cfg
}

// byName finds the relationship in which this server is named name.
func (c *haConfig) byName(name string) *haRelationship {
	for _, r := range c.rels {
		if r.this == name {
			return r
		}
	}
	return nil
}
