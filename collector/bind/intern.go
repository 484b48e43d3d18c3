package bind

import "github.com/ddiscope/ddiscope/catalog"

// maxInterned bounds the caches below: a BIND (or something posing as one)
// sending ever new names cannot grow them without limit; past the bound they
// start over.
const maxInterned = 50000

// interner keeps one copy of each view name and counter name, so that the
// samples of every poll share them instead of allocating.
type interner struct{ m map[string]string }

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (in *interner) intern(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if len(in.m) >= maxInterned {
		clear(in.m)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// extraCache keeps the label values of server and view samples across
// polls: they are the same from one poll to the next.
type extraCache struct{ m map[extraKey]*[]string }

type extraKey struct {
	b          *binding
	m          *catalog.Metric
	view, name string
}

func newExtraCache() *extraCache { return &extraCache{m: map[extraKey]*[]string{}} }

// binding returns the label values of a binding for a view and a counter name.
func (c *extraCache) binding(bd *binding, view, name string) *[]string {
	k := extraKey{b: bd, view: view, name: name}
	if p, ok := c.m[k]; ok {
		return p
	}
	vals := make([]string, len(bd.consts))
	copy(vals, bd.consts)
	fillPositions(vals, bd, view, "", name)
	return c.put(k, vals)
}

// get returns a one-label value set for a metric (bind_build_info).
func (c *extraCache) get(m *catalog.Metric, value string) *[]string {
	k := extraKey{m: m, name: value}
	if p, ok := c.m[k]; ok {
		return p
	}
	return c.put(k, []string{value})
}

func (c *extraCache) put(k extraKey, vals []string) *[]string {
	if len(c.m) >= maxInterned {
		clear(c.m)
	}
	c.m[k] = &vals
	return &vals
}
