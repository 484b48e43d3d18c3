package keaview

import (
	"errors"
	"math/big"
	"net/netip"
	"strconv"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// ErrNotFound is wrapped by every error about a server, daemon, subnet,
// pool or shared network that does not exist.
var ErrNotFound = errors.New("not found")

// Labels is the label set an alert about an object carries, the way
// ddiscope's metrics and rules label it. Empty fields do not apply (a
// subnet has no PoolID; a subnet outside any shared network has no
// SharedNetwork).
type Labels struct {
	Server, Daemon, SubnetID, SharedNetwork, PoolID string
}

// Map returns the non-empty labels by name, as an alert has them.
func (l Labels) Map() map[string]string {
	m := make(map[string]string, 5)
	for k, v := range map[string]string{"server": l.Server, "daemon": l.Daemon, "subnet_id": l.SubnetID,
		"shared_network": l.SharedNetwork, "pool_id": l.PoolID} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// Usage is the utilisation of a subnet, pool or shared network: Kea's own
// statistics (assigned-addresses/total-addresses for DHCPv4,
// assigned-nas/total-nas and assigned-pds/total-pds for DHCPv6).
type Usage struct {
	// Assigned and Total are exact; nil when unknown (statistics not read,
	// or Kea has none, as for pools before Kea 2.4).
	Assigned, Total *big.Int
	// FromConfig is set when Total was computed from the configured ranges:
	// Kea 2.2 reports -1 for totals that overflow its int64 counters (a whole
	// /64 pool), and has no pool statistics at all.
	FromConfig bool
}

// Known reports whether both numbers are there.
func (u Usage) Known() bool { return u.Assigned != nil && u.Total != nil }

// Ratio is Assigned/Total (0..1), false when unknown or Total is 0.
func (u Usage) Ratio() (float64, bool) {
	if !u.Known() || u.Total.Sign() <= 0 {
		return 0, false
	}
	r, _ := new(big.Rat).SetFrac(u.Assigned, u.Total).Float64()
	return r, true
}

// Percent formats the ratio as "12.5%", or "" when unknown.
func (u Usage) Percent() string {
	r, ok := u.Ratio()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
}

// Add sums two usages (for shared networks); unknown stays unknown.
func (u Usage) Add(o Usage) Usage {
	s := Usage{FromConfig: u.FromConfig || o.FromConfig}
	if u.Assigned != nil && o.Assigned != nil {
		s.Assigned = new(big.Int).Add(u.Assigned, o.Assigned)
	}
	if u.Total != nil && o.Total != nil {
		s.Total = new(big.Int).Add(u.Total, o.Total)
	}
	return s
}

// Lifetime is one timer or lifetime in effect for a subnet, and where it
// is set: "subnet", "shared-network" or "global".
type Lifetime struct {
	Name    string // Kea's key: valid-lifetime, renew-timer, …
	Seconds int64
	From    string
}

// Option is one option-data entry in effect, and where it is set:
// "pool", "subnet", "shared-network" or "global" (a lower level overrides
// the same code and space from a higher one).
type Option struct {
	Code       int
	Name       string
	Space      string
	Data       string
	AlwaysSend bool
	From       string
}

// Reservation is a host reservation from the configuration file (Kea 2.2
// has no host_cmds: reservations kept in a hosts database are not shown).
type Reservation struct {
	HWAddress, ClientID, DUID, CircuitID, FlexID string
	IPAddresses                                  []string // v4 ip-address, v6 ip-addresses
	Prefixes                                     []string // v6 delegated prefixes
	Hostname                                     string
	ClientClasses                                []string
	Options                                      []Option
}

// PoolKind tells address pools from prefix-delegation pools.
type PoolKind int

const (
	Addresses PoolKind = iota // pools: addresses (DHCPv4, DHCPv6 IA_NA)
	PD                        // pd-pools: delegated prefixes (DHCPv6 IA_PD)
)

func (k PoolKind) String() string {
	if k == PD {
		return "pd-pool"
	}
	return "pool"
}

// PoolRange is one entry of a subnet's pools or pd-pools list.
type PoolRange struct {
	Range          string // "10.0.0.10-10.0.0.99", "2001:db8::/120", pd: "2001:db8:8000::/48"
	DelegatedLen   int    // pd-pools only
	ExcludedPrefix string // pd-pools only
	Size           *big.Int
	ClientClass    string
	RequireClasses []string
	Options        []Option // the entry's own option-data
	UserContext    string   // compact JSON, "" when none
}

// PoolConfig is one pool as Kea's statistics and ddiscope's pool_id label
// see it: every range of the subnet with that pool-id.
type PoolConfig struct {
	ID     int64
	Kind   PoolKind
	Ranges []PoolRange
	Size   *big.Int // sum of the ranges
}

// SubnetConfig is a subnet as configured, with the parameters in effect.
// It belongs to the cached configuration: read it, never change it.
type SubnetConfig struct {
	ID             int64
	Prefix         string
	SharedNetwork  string
	Pools          []*PoolConfig // by pool-id
	PDPools        []*PoolConfig // by pool-id
	Lifetimes      []Lifetime
	Options        []Option // in effect: the subnet's, then inherited ones it does not override
	Relay          []string // relay ip-addresses (the subnet's, else its shared network's)
	Interface      string
	InterfaceID    string
	ClientClass    string
	RequireClasses []string
	Reservations   []Reservation
	UserContext    string // compact JSON, "" when none

	addrSize, pdSize *big.Int // totals of the pools, from the ranges
	idText           string
	lowerPrefix      string
	prefix           netip.Prefix
}

// SharedNetworkConfig is a shared network as configured.
type SharedNetworkConfig struct {
	Name        string
	Subnets     []*SubnetConfig // by id
	Lifetimes   []Lifetime
	Options     []Option
	Relay       []string
	Interface   string
	ClientClass string
	UserContext string
}

// SubnetRow is one line of the subnet list.
type SubnetRow struct {
	Config *SubnetConfig
	Labels Labels
	// Addresses: DHCPv4 addresses or DHCPv6 IA_NA addresses; Prefixes:
	// DHCPv6 delegated prefixes (zero Usage for DHCPv4).
	Addresses, Prefixes Usage
}

// SubnetQuery selects a page of a daemon's subnets. Filters combine.
type SubnetQuery struct {
	// Prefix: an address selects the subnets containing it; a prefix
	// (10.0.0.0/8) those overlapping it; other text those whose prefix
	// starts with it ("10.1.").
	Prefix string
	// ID selects one subnet id (0: any).
	ID int64
	// SharedNetwork selects one shared network's subnets ("": any).
	SharedNetwork string
	// AlertingOnly keeps the subnets for which Alerting returns true.
	AlertingOnly bool
	Alerting     func(Labels) bool
	// Page is 1-based; PerPage defaults to 50 and is at most 1000.
	Page, PerPage int
}

// SubnetPage is one page of the subnet list.
type SubnetPage struct {
	Server, Daemon string
	Rows           []SubnetRow
	Total          int // subnets the daemon has
	Matched        int // subnets the filters keep
	Page, PerPage  int
	Pages          int
	ConfigHash     string    // config-hash-get's hash ("" on Kea 2.2)
	ConfigRead     time.Time // when config-get was last read
	// StatsErr is set when Kea's statistics could not be read: the rows
	// still list the configuration, with unknown usage.
	StatsErr error
}

// PoolRow is a pool with its utilisation.
type PoolRow struct {
	Config *PoolConfig
	Labels Labels
	Usage  Usage
	// Stats is false when Kea has no statistics for this pool (Kea 2.2 has
	// none for pools): Usage then has the configured size only.
	Stats bool
}

// Subnet is one subnet's page.
type Subnet struct {
	SubnetRow
	Daemon   string
	Pools    []PoolRow
	PDPools  []PoolRow
	StatsErr error
}

// Pool is one pool's page.
type Pool struct {
	Subnet   SubnetRow
	Daemon   string
	Pool     PoolRow
	StatsErr error
}

// SharedNetwork is one shared network's page: its subnets with their
// utilisation and the sums (Kea has no shared-network statistics).
type SharedNetwork struct {
	Config              *SharedNetworkConfig
	Daemon              string
	Labels              Labels
	Rows                []SubnetRow
	Addresses, Prefixes Usage
	StatsErr            error
}

// Target is a named Kea server as the editor's configuration lists it.
type Target struct {
	Name   string
	Client *keactl.Client
}

// Server is one server on the overview and its own page.
type Server struct {
	Name string
	// Transport is "control-agent", "http" (a daemon's own listener) or
	// "unix" (a daemon's control socket).
	Transport    string
	AgentVersion string // the Control Agent's version, "" without one
	Daemons      []Daemon
	Err          error // the server could not be reached at all
}

// Daemon is one DHCP daemon of a server.
type Daemon struct {
	Name           string // "dhcp4" or "dhcp6"
	Version        string
	Up             bool
	Err            error
	Uptime         time.Duration
	SinceReload    time.Duration
	MultiThreading *bool
	Subnets        int
	SharedNetworks int
	Pools          int
	ConfigHash     string
	HA             []HARelationship
}

// HAPeer is a peer of an HA relationship, as configured.
type HAPeer struct {
	Name, URL, Role string
	AutoFailover    *bool
	// Target is the configured server that is this peer, "" when the
	// editor does not know it.
	Target string
}

// HARelationship is one HA relationship of a daemon: the configuration
// and, when status-get answered, its live state.
type HARelationship struct {
	Server, Daemon string
	Mode           string
	ThisServer     string // this-server-name
	Role           string
	Peers          []HAPeer
	// Live, from status-get:
	State                    string
	Scopes                   []string
	Partner                  string // the partner's HA name
	PartnerTarget            string // the configured server that is the partner
	PartnerRole              string
	PartnerState             string // the partner's state as last seen (remote last-state)
	PartnerScopes            []string
	CommunicationInterrupted *bool
	InTouch                  *bool
	Age                      *time.Duration // since the partner last answered
	UnackedClients           *int64
	UnackedClientsLeft       *int64
	ConnectingClients        *int64
	StatusErr                error // status-get failed or had no HA for this relationship

	key string
}

// HAPair is the servers of one HA relationship side by side.
type HAPair struct {
	Mode    string
	Members []HARelationship // ordered by peer name
}

// Overview is the servers page.
type Overview struct {
	Servers []Server
	Pairs   []HAPair
}
