package kea

import (
	"bytes"

	"github.com/ddiscope/ddiscope/catalog"
)

// memo remembers, by position in the last statistic-get-all of a daemon,
// which catalog binding each statistic name had and which subnet each run
// of a subnet's statistics belonged to. Kea sends its statistics in the
// same order on every poll, so on the next poll each name is compared with
// the one remembered at its position instead of being looked up in two
// maps keyed by strings, and each subnet id with the one remembered at its
// run instead of in the configuration's map: at 10,000 subnets that is
// 100,000 string-keyed lookups and 10,000 int-keyed ones a poll, the
// largest part of labelling a reply after the scan itself. A name or id
// that differs (the configuration or Kea's set of statistics changed) is
// looked up and remembered in its place.
type memo struct {
	cfg *daemonConfig
	// names holds, by position, an index into distinct plus one (0: not
	// known). Positions are small integers rather than pointers so that the
	// garbage collector has nothing to scan in them.
	names    []uint16
	distinct []memoName // the few different (scope, statistic) pairs
	subnets  []*subnetInfo
	ni, si   int // positions in this poll
}

type memoName struct {
	scope   catalog.Scope
	stat    []byte
	binding *catalog.Binding
	ok      bool
}

// start begins a poll; the subnets remembered for another configuration
// are dropped.
func (m *memo) start(cfg *daemonConfig) {
	if m.cfg != cfg {
		m.subnets = m.subnets[:0]
		m.cfg = cfg
	}
	m.ni, m.si = 0, 0
}

// binding returns the binding of the statistic at the next position.
func (m *memo) binding(sn statName, lookup func() (*catalog.Binding, bool)) (*catalog.Binding, bool) {
	i := m.ni
	m.ni++
	if i < len(m.names) {
		if d := m.names[i]; d > 0 {
			if e := &m.distinct[d-1]; e.scope == sn.scope && bytes.Equal(e.stat, sn.stat) {
				return e.binding, e.ok
			}
		}
	} else if len(m.names) < maxMemoNames {
		m.names = append(m.names, 0)
	}
	b, ok := lookup()
	if i >= len(m.names) {
		return b, ok
	}
	// The pair is most likely one already seen at another position.
	for d := range m.distinct {
		if e := &m.distinct[d]; e.scope == sn.scope && bytes.Equal(e.stat, sn.stat) {
			m.names[i] = uint16(d + 1)
			return b, ok
		}
	}
	if len(m.distinct) < maxMemoDistinct {
		m.distinct = append(m.distinct, memoName{scope: sn.scope, stat: bytes.Clone(sn.stat), binding: b, ok: ok})
		m.names[i] = uint16(len(m.distinct))
	} else {
		m.names[i] = 0
	}
	return b, ok
}

// subnet returns the subnet of the next run of a subnet's statistics.
// Subnets the configuration lacks are not remembered: they get fresh
// labels each poll until the configuration is read again.
func (m *memo) subnet(id int64, lookup func() *subnetInfo) *subnetInfo {
	i := m.si
	m.si++
	if i < len(m.subnets) && m.subnets[i] != nil && m.subnets[i].id == id {
		return m.subnets[i]
	}
	si := lookup()
	keep := si
	if si.idx < 0 {
		keep = nil
	}
	switch {
	case i < len(m.subnets):
		m.subnets[i] = keep
	case len(m.subnets) < maxMemoNames:
		m.subnets = append(m.subnets, keep)
	}
	return si
}

// maxMemoDistinct bounds the different names remembered: Kea has a few
// dozen kinds of statistic; garbage names beyond that are looked up.
const maxMemoDistinct = 1000

// maxMemoNames bounds what is remembered, so that a Kea sending millions of
// names cannot grow it without end (2,000,000: a 50,000-subnet Kea 2.4+
// with two pools a subnet sends about 1.2 million).
const maxMemoNames = 2_000_000
