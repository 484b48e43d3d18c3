package bind

import (
	"strings"

	"github.com/ddiscope/ddiscope/catalog"
)

// level is where a section sits in BIND's statistics.
type level uint8

const (
	levelServer level = iota
	levelView         // views.<view>.resolver.…
	levelZone         // views.<view>.zones[i].…
)

// section is one group of counters as BIND reports it ("nsstats",
// "resolver.stats", "zones.rcodes", …), with the catalog bindings of its
// counters.
type section struct {
	name  string
	level level
	exact map[string]*binding
	wild  *binding // the binding of "<section>.*", if any
	// fill: the section has a fixed set of counters, which XML lists in
	// full but JSON lists only when non-zero; a known counter BIND left out
	// is exported as 0, so that both formats give the same series and a
	// counter exists before its first event.
	fill bool
	// dropZero: per-zone counters are exported only when non-zero (XML lists
	// all ~70 for every zone; at 3,000 zones that would be 200,000 series of 0).
	dropZero bool
	owner    endpoint   // the request whose reply holds the section (server-wide fill)
	filled   []*binding // exact bindings, in catalog order, for fill
	fillIdx  int        // position among the fill sections of its level
}

// binding is where a counter goes: its metric and extra label values, with
// the positions that BIND's data fills (view, zone, counter name).
type binding struct {
	metric  *catalog.Metric
	consts  []string  // Metric.Extra values, catalog.Wildcard where data fills
	constP  *[]string // &consts when nothing is filled from data, else nil
	viewPos int       // position of the view label, -1 when none
	zonePos int       // of zone_name
	namePos int       // of the label that takes the counter's name
	idx     int       // position in section.filled
	since   [2]int    // fill with 0 only from this BIND version (major, minor)
	sec     *section
	name    string // the counter's name in its section ("*" for a wildcard)
}

// table is the catalog's BIND metrics indexed the way the parsers meet the
// data. It is built once per poller and read-only after.
type table struct {
	sections map[string]*section
	byLevel  [3][]*section // fill sections of each level, by fillIdx
	boot     *binding
	config   *binding
	metric   map[string]*catalog.Metric // derived metrics the poller emits by name
	zoneSecs map[string]*section        // "rcodes" → zones.rcodes, …
	traffic  map[string]*section        // "dns-udp-requests-sizes-received-ipv4" → traffic.…
}

// fillSince lists counters that only some BIND versions have; they are
// filled with 0 only from that version, so that a gauge never reads 0 on a
// BIND that does not report it.
func fillSince(stat string) [2]int {
	switch stat {
	case "nsstats.RecursHighwater":
		return [2]int{9, 19}
	}
	return [2]int{}
}

// sectionTraits are the BIND facts about a section that the catalog does
// not carry: which request returns it and whether it is a fixed set.
func sectionTraits(name string) (lvl level, fill, dropZero bool, owner endpoint) {
	switch {
	case strings.HasPrefix(name, "resolver."):
		lvl = levelView
	case strings.HasPrefix(name, "zones."):
		lvl = levelZone
		dropZero = true
	}
	switch name {
	case "nsstats", "zonestats", "resstats":
		fill, owner = true, epServer
	case "sockstats":
		fill, owner = true, epNet
	case "resolver.stats", "resolver.adb":
		fill = true
	}
	return lvl, fill, dropZero, owner
}

func newTable(cat *catalog.Catalog) *table {
	t := &table{sections: map[string]*section{}, metric: map[string]*catalog.Metric{},
		zoneSecs: map[string]*section{}, traffic: map[string]*section{}}
	for _, m := range cat.Metrics {
		if m.Daemon != "bind" {
			continue
		}
		if len(m.Source) == 0 {
			t.metric[m.Name] = m
			continue
		}
		if m.Derived != "" {
			t.metric[m.Name] = m // a source and a fallback (bind_tasks_running)
		}
		for _, s := range m.Source {
			b := newBinding(m, s)
			dot := strings.LastIndexByte(s.Stat, '.')
			if dot < 0 {
				switch s.Stat { // top-level values of every reply
				case "boot-time":
					t.boot = b
				case "config-time":
					t.config = b
				}
				continue
			}
			secName, name := s.Stat[:dot], s.Stat[dot+1:]
			sec := t.sections[secName]
			if sec == nil {
				sec = &section{name: secName, exact: map[string]*binding{}}
				sec.level, sec.fill, sec.dropZero, sec.owner = sectionTraits(secName)
				t.sections[secName] = sec
				if sec.fill {
					sec.fillIdx = len(t.byLevel[sec.level])
					t.byLevel[sec.level] = append(t.byLevel[sec.level], sec)
				}
			}
			b.sec, b.name = sec, name
			if name == catalog.Wildcard {
				sec.wild = b
				continue
			}
			b.idx = len(sec.filled)
			b.since = fillSince(s.Stat)
			sec.filled = append(sec.filled, b)
			sec.exact[name] = b
		}
	}
	for name, sec := range t.sections {
		if rest, ok := strings.CutPrefix(name, "zones."); ok {
			t.zoneSecs[rest] = sec
		}
		if rest, ok := strings.CutPrefix(name, "traffic."); ok {
			t.traffic[rest] = sec
		}
	}
	return t
}

// zoneSection returns zones.<k> (k is "rcodes", "qtypes", …), or nil.
func (t *table) zoneSection(k []byte) *section { return t.zoneSecs[string(k)] }

// trafficSection returns traffic.<k>, or nil.
func (t *table) trafficSection(k []byte) *section { return t.traffic[string(k)] }

func newBinding(m *catalog.Metric, s catalog.Source) *binding {
	b := &binding{metric: m, viewPos: -1, zonePos: -1, namePos: -1}
	b.consts = make([]string, len(m.Extra))
	for i, l := range m.Extra {
		v := s.Labels[l]
		b.consts[i] = v
		if v != catalog.Wildcard {
			continue
		}
		switch l {
		case "view":
			b.viewPos = i
		case "zone_name":
			b.zonePos = i
		default:
			b.namePos = i
		}
	}
	if b.viewPos < 0 && b.zonePos < 0 && b.namePos < 0 && len(b.consts) > 0 {
		b.constP = &b.consts
	}
	return b
}

// section returns the named section, or nil when the catalog has none (its
// counters are then skipped).
func (t *table) section(name string) *section { return t.sections[name] }
