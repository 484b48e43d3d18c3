// Package catalog is the single source of truth for every metric ddiscope
// exports: its name, type, unit, help, labels and the Kea (or BIND) statistic
// it comes from. Exporters, rules, dashboards and docs/metrics.md all read it.
package catalog

import (
	"fmt"
	"slices"
	"strings"
)

// Type is the Prometheus metric type.
type Type int

const (
	Gauge Type = iota
	Counter
)

func (t Type) String() string {
	if t == Counter {
		return "counter"
	}
	return "gauge"
}

// Scope says which object a sample describes, and so which identity labels it
// carries. Kea encodes the scope in the statistic's name: "pkt4-received" is
// global, "subnet[3].assigned-addresses" per subnet, "subnet[3].pool[0].…" per
// pool, "subnet[3].pd-pool[0].…" per prefix-delegation pool and, for D2,
// "key[name].…" per TSIG key.
type Scope int

const (
	ScopeGlobal Scope = iota
	ScopeSubnet
	ScopePool
	ScopePDPool
	ScopeSharedNetwork
	ScopeKey    // D2 per TSIG key
	ScopeTarget // self-metrics about one polled target
	ScopeDaemon // one Kea daemon behind a target
	ScopeProcess
)

var scopeNames = [...]string{"global", "subnet", "pool", "pd-pool", "shared-network", "key", "target", "daemon", "process"}

func (s Scope) String() string { return scopeNames[s] }

// Identity labels, in the order they appear on every series of a scope.
const (
	LabelServer        = "server"
	LabelSubnetID      = "subnet_id"
	LabelSubnet        = "subnet"
	LabelSharedNetwork = "shared_network"
	LabelPoolID        = "pool_id"
	LabelPool          = "pool"
	LabelKey           = "key"
	LabelKind          = "kind"
	LabelDaemon        = "daemon"
)

// ScopeLabels returns the identity labels of a scope, in exposition order.
func ScopeLabels(s Scope) []string {
	switch s {
	case ScopeGlobal:
		return []string{LabelServer}
	case ScopeTarget:
		return []string{LabelServer, LabelKind}
	case ScopeDaemon:
		return []string{LabelServer, LabelDaemon}
	case ScopeSubnet:
		return []string{LabelServer, LabelSubnetID, LabelSubnet, LabelSharedNetwork}
	case ScopePool, ScopePDPool:
		return []string{LabelServer, LabelSubnetID, LabelSubnet, LabelSharedNetwork, LabelPoolID, LabelPool}
	case ScopeSharedNetwork:
		return []string{LabelServer, LabelSharedNetwork}
	case ScopeKey:
		return []string{LabelServer, LabelKey}
	default:
		return nil
	}
}

// Source is one Kea statistic feeding a metric. Several statistics may feed
// one metric family, told apart by the constant label values in Labels (for
// example pkt4-discover-received and pkt4-offer-received feed
// kea_dhcp4_packets_received_by_type_total with type="discover" and
// type="offer").
type Source struct {
	Stat   string            // the name as Kea reports it, without its scope prefix
	Labels map[string]string // constant values of the metric's extra labels
	Since  string            // first Kea version that reports it ("" = 2.2 or older)
}

// Metric describes one exported metric family.
type Metric struct {
	Name   string
	Type   Type
	Unit   string // base unit ("seconds", "bytes", "ratio") or "" for a plain count
	Help   string
	Daemon string // "dhcp4", "dhcp6", "d2", "bind" or "ddiscope"
	Scope  Scope
	Extra  []string // labels after the scope's identity labels (type, reason, …)
	Source []Source // Kea statistics it is read from; empty when Derived says how it is computed
	// Derived says how ddiscope computes the value when Kea has no such
	// statistic (utilisation, shared-network totals, self-metrics).
	Derived string
	// Index is the metric's position in its catalog, set by New: exporters
	// group samples by it.
	Index int
}

// Labels returns the metric's full label names in exposition order.
func (m *Metric) Labels() []string {
	return append(ScopeLabels(m.Scope), m.Extra...)
}

// Catalog is an indexed, validated set of metrics.
type Catalog struct {
	Metrics []*Metric
	byName  map[string]*Metric
	byStat  map[scopeKey]map[string]*Binding
}

type scopeKey struct {
	daemon string
	scope  Scope
}

// Binding tells the poller where a Kea statistic goes: the metric and the
// values of its extra labels, in Metric.Extra order.
type Binding struct {
	Metric      *Metric
	ExtraValues []string
}

// New indexes metrics and checks the invariants every consumer relies on:
// unique names, counters ending in _total and gauges not, every source stat
// bound once, and constant labels matching the declared extra labels.
func New(metrics []*Metric) (*Catalog, error) {
	c := &Catalog{Metrics: metrics, byName: map[string]*Metric{}, byStat: map[scopeKey]map[string]*Binding{}}
	for i, m := range metrics {
		m.Index = i
		if _, dup := c.byName[m.Name]; dup {
			return nil, fmt.Errorf("catalog: metric %q defined twice", m.Name)
		}
		c.byName[m.Name] = m
		if m.Type == Counter != strings.HasSuffix(m.Name, "_total") {
			return nil, fmt.Errorf("catalog: metric %q is a %s: counters and only counters end in _total", m.Name, m.Type)
		}
		if m.Help == "" {
			return nil, fmt.Errorf("catalog: metric %q has no help text", m.Name)
		}
		if len(m.Source) == 0 && m.Derived == "" {
			return nil, fmt.Errorf("catalog: metric %q has neither a source statistic nor a derivation", m.Name)
		}
		for _, s := range m.Source {
			k := scopeKey{m.Daemon, m.Scope}
			if c.byStat[k] == nil {
				c.byStat[k] = map[string]*Binding{}
			}
			if prev, dup := c.byStat[k][s.Stat]; dup {
				return nil, fmt.Errorf("catalog: %s statistic %q (%s scope) feeds both %q and %q", m.Daemon, s.Stat, m.Scope, prev.Metric.Name, m.Name)
			}
			vals := make([]string, len(m.Extra))
			for i, l := range m.Extra {
				v, ok := s.Labels[l]
				if !ok {
					return nil, fmt.Errorf("catalog: metric %q source %q has no value for label %q", m.Name, s.Stat, l)
				}
				vals[i] = v
			}
			if len(s.Labels) != len(m.Extra) {
				return nil, fmt.Errorf("catalog: metric %q source %q sets labels %v, the metric declares %v", m.Name, s.Stat, s.Labels, m.Extra)
			}
			c.byStat[k][s.Stat] = &Binding{Metric: m, ExtraValues: vals}
		}
	}
	return c, nil
}

// Lookup finds the metric a Kea statistic feeds. The stat name is without its
// scope prefix ("assigned-addresses", not "subnet[1].assigned-addresses").
func (c *Catalog) Lookup(daemon string, scope Scope, stat string) (Binding, bool) {
	b, ok := c.byStat[scopeKey{daemon, scope}][stat]
	if !ok {
		return Binding{}, false
	}
	return *b, true
}

// LookupBytes is Lookup for a name still in a read buffer; it does not
// allocate, which matters at 100,000 statistics a poll.
func (c *Catalog) LookupBytes(daemon string, scope Scope, stat []byte) (*Binding, bool) {
	b, ok := c.byStat[scopeKey{daemon, scope}][string(stat)]
	return b, ok
}

// Metric returns the metric of that name, or nil.
func (c *Catalog) Metric(name string) *Metric { return c.byName[name] }

// Names returns every metric name, sorted.
func (c *Catalog) Names() []string {
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
