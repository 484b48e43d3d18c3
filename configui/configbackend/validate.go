package configbackend

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ValidationError is a value the editor refuses, naming the field at fault.
// Nothing was written when one is returned.
type ValidationError struct {
	Field string // id, prefix, pools[N], valid-lifetime, tags, shared-network
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// SubnetEdit is a DHCPv4 or DHCPv6 subnet as a form submits it. Values
// left nil are inherited (from the shared network or the global level).
type SubnetEdit struct {
	ID            uint32
	Prefix        string   // "198.18.5.0/24", "2001:db8:5::/64"
	Pools         []string // "198.18.5.10-198.18.5.20", "198.18.5.10 - 198.18.5.20" or "198.18.5.64/26"
	SharedNetwork string
	ValidLifetime *int64
	RenewTimer    *int64
	RebindTimer   *int64
	// PreferredLifetime is DHCPv6 only.
	PreferredLifetime *int64
	// PDPools are a DHCPv6 subnet's prefix delegation pools: "prefix/len"
	// and the length delegated, as "2001:db8:8000::/48 56". Rows kept by
	// an update keep their excluded prefix and options.
	PDPools []string
	// Interface binds the subnet to a server interface: how Kea selects a
	// subnet for directly connected clients (DHCPv6 needs it for them).
	Interface string
	// Tags are the server tags the subnet is for: ["all"], or one or more
	// named server tags that exist in dhcp4_server.
	Tags []string
}

// EditOf is the edit that would leave s as it is (what a form starts from).
func EditOf(s Subnet) SubnetEdit {
	e := SubnetEdit{ID: s.ID, Prefix: s.Prefix.String(), SharedNetwork: s.SharedNetwork, ValidLifetime: s.ValidLifetime,
		RenewTimer: s.RenewTimer, RebindTimer: s.RebindTimer, PreferredLifetime: s.PreferredLifetime, Interface: s.Interface, Tags: slices.Clone(s.Tags)}
	for _, p := range s.PDPools {
		e.PDPools = append(e.PDPools, fmt.Sprintf("%s %d", p.Prefix, p.DelegatedLen))
	}
	for _, p := range s.Pools {
		e.Pools = append(e.Pools, p.Range())
	}
	return e
}

// SubnetRef is a subnet the servers already have from elsewhere (their
// configuration file), which a backend subnet must not collide with.
type SubnetRef struct {
	Server string
	ID     uint32
	Prefix netip.Prefix
}

// checked is a validated SubnetEdit.
type checked struct {
	SubnetEdit
	family string
	prefix netip.Prefix
	pools  [][2]netip.Addr
	pd     []pdPool
}

// pdPool is a validated prefix delegation pool.
type pdPool struct {
	prefix    netip.Prefix
	delegated int
}

// ParsePDPool reads "prefix/len delegated" (or "prefix/len/delegated").
func ParsePDPool(s string) (netip.Prefix, int, error) {
	s = strings.TrimSpace(s)
	f := strings.Fields(s)
	if len(f) == 1 && strings.Count(f[0], "/") == 2 {
		i := strings.LastIndex(f[0], "/")
		f = []string{f[0][:i], f[0][i+1:]}
	}
	if len(f) != 2 {
		return netip.Prefix{}, 0, fmt.Errorf("%q is not \"prefix/length delegated-length\" like \"2001:db8:8000::/48 56\"", s)
	}
	p, err := netip.ParsePrefix(f[0])
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return p, 0, fmt.Errorf("%q is not an IPv6 prefix", f[0])
	}
	if p.Masked() != p {
		return p, 0, fmt.Errorf("%s has host bits set (did you mean %s?)", p, p.Masked())
	}
	var d int
	if _, err := fmt.Sscanf(f[1], "%d", &d); err != nil || fmt.Sprint(d) != f[1] || d < p.Bits() || d > 128 {
		return p, 0, fmt.Errorf("delegated length %q must be a number from %d to 128", f[1], p.Bits())
	}
	return p, d, nil
}

// maxSubnetID is Kea's largest subnet id (SubnetID is 32 bits, the last value reserved).
const maxSubnetID = 4294967294

// ParsePool reads a pool as Kea writes one: "first-last" or "prefix/len".
func ParsePool(s string) (netip.Addr, netip.Addr, error) {
	s = strings.TrimSpace(s)
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err := netip.ParseAddr(strings.TrimSpace(first))
		if err != nil {
			return a, a, fmt.Errorf("%q: first address: %w", s, err)
		}
		z, err := netip.ParseAddr(strings.TrimSpace(last))
		if err != nil {
			return a, z, fmt.Errorf("%q: last address: %w", s, err)
		}
		if a.Is4() != z.Is4() {
			return a, z, fmt.Errorf("%q mixes IPv4 and IPv6", s)
		}
		if z.Less(a) {
			return a, z, fmt.Errorf("%q: the last address is before the first", s)
		}
		return a, z, nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("%q is neither first-last nor a prefix", s)
	}
	if p.Masked() != p {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("%q has host bits set (did you mean %s?)", s, p.Masked())
	}
	return p.Addr(), lastAddr(p), nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func validTag(t string) error {
	if t == "" || len(t) > 64 || strings.ContainsAny(t, " \t\r\n") {
		return fmt.Errorf("server tag %q: 1 to 64 characters without spaces", t)
	}
	return nil
}

// validate checks everything that needs no database, for family (dhcp4
// or dhcp6).
func (e SubnetEdit) validate(family string) (*checked, error) {
	if err := checkFamily(family); err != nil {
		return nil, err
	}
	v6 := family == "dhcp6"
	c := &checked{SubnetEdit: e, family: family}
	if e.ID == 0 || e.ID > maxSubnetID {
		return nil, invalid("id", "%d is not a subnet id (1 to %d)", e.ID, maxSubnetID)
	}
	p, err := netip.ParsePrefix(strings.TrimSpace(e.Prefix))
	if err != nil {
		if v6 {
			return nil, invalid("prefix", "%q is not a prefix like 2001:db8:5::/64", e.Prefix)
		}
		return nil, invalid("prefix", "%q is not a prefix like 198.18.5.0/24", e.Prefix)
	}
	if !v6 && !p.Addr().Is4() {
		return nil, invalid("prefix", "%s is not an IPv4 prefix", p)
	}
	if v6 && (!p.Addr().Is6() || p.Addr().Is4In6()) {
		return nil, invalid("prefix", "%s is not an IPv6 prefix", p)
	}
	if v6 && p.Addr().Zone() != "" {
		return nil, invalid("prefix", "%s has a zone", p)
	}
	if p.Masked() != p {
		return nil, invalid("prefix", "%s has host bits set (did you mean %s?)", p, p.Masked())
	}
	c.prefix = p
	for i, s := range e.Pools {
		a, z, err := ParsePool(s)
		field := fmt.Sprintf("pools[%d]", i)
		if err != nil {
			return nil, invalid(field, "%v", err)
		}
		if a.Is4() == v6 {
			return nil, invalid(field, "%q is not an %s range", s, map[bool]string{false: "IPv4", true: "IPv6"}[v6])
		}
		if !p.Contains(a) || !p.Contains(z) {
			return nil, invalid(field, "%s-%s is not inside the subnet %s", a, z, p)
		}
		for j, q := range c.pools {
			if !(z.Less(q[0]) || q[1].Less(a)) {
				return nil, invalid(field, "%s-%s overlaps pools[%d] %s-%s", a, z, j, q[0], q[1])
			}
		}
		c.pools = append(c.pools, [2]netip.Addr{a, z})
	}
	if len(e.PDPools) > 0 && !v6 {
		return nil, invalid("pd-pools[0]", "DHCPv4 has no prefix delegation")
	}
	for i, s := range e.PDPools {
		field := fmt.Sprintf("pd-pools[%d]", i)
		p, d, err := ParsePDPool(s)
		if err != nil {
			return nil, invalid(field, "%v", err)
		}
		for j, q := range c.pd {
			if q.prefix.Overlaps(p) {
				return nil, invalid(field, "%s overlaps pd-pools[%d] %s", p, j, q.prefix)
			}
		}
		c.pd = append(c.pd, pdPool{p, d})
	}
	for _, l := range []struct {
		name string
		v    *int64
	}{{"valid-lifetime", e.ValidLifetime}, {"renew-timer", e.RenewTimer}, {"rebind-timer", e.RebindTimer}, {"preferred-lifetime", e.PreferredLifetime}} {
		if l.v != nil && (*l.v < 0 || *l.v > 1<<32-1) {
			return nil, invalid(l.name, "%d is not 0 to 4294967295 seconds", *l.v)
		}
	}
	if e.RenewTimer != nil && e.RebindTimer != nil && *e.RenewTimer > *e.RebindTimer {
		return nil, invalid("renew-timer", "%d is after the rebind-timer %d", *e.RenewTimer, *e.RebindTimer)
	}
	if e.RebindTimer != nil && e.ValidLifetime != nil && *e.RebindTimer > *e.ValidLifetime {
		return nil, invalid("rebind-timer", "%d is after the valid-lifetime %d", *e.RebindTimer, *e.ValidLifetime)
	}
	if e.PreferredLifetime != nil && !v6 {
		return nil, invalid("preferred-lifetime", "DHCPv4 has no preferred-lifetime")
	}
	if e.PreferredLifetime != nil && e.ValidLifetime != nil && *e.PreferredLifetime > *e.ValidLifetime {
		return nil, invalid("preferred-lifetime", "%d is longer than the valid-lifetime %d", *e.PreferredLifetime, *e.ValidLifetime)
	}
	if len(e.Interface) > 128 || strings.ContainsAny(e.Interface, " \t\r\n/") {
		return nil, invalid("interface", "%q is not an interface name", e.Interface)
	}
	if len(e.SharedNetwork) > 128 {
		return nil, invalid("shared-network", "longer than 128 characters")
	}
	if len(e.Tags) == 0 {
		return nil, invalid("tags", "choose \"all\" or at least one server tag")
	}
	seen := map[string]bool{}
	for _, t := range e.Tags {
		if err := validTag(t); err != nil {
			return nil, invalid("tags", "%v", err)
		}
		if seen[t] {
			return nil, invalid("tags", "server tag %q given twice", t)
		}
		seen[t] = true
	}
	if seen["all"] && len(e.Tags) > 1 {
		return nil, invalid("tags", "\"all\" cannot be combined with other server tags")
	}
	c.Tags = slices.Sorted(slices.Values(e.Tags))
	return c, nil
}

// againstOthers checks an edit against the other subnets (the backend's
// and the servers' file subnets): ids and prefixes must not collide.
func (c *checked) againstOthers(self uint32, backend []Subnet, file []SubnetRef) error {
	for _, s := range backend {
		if s.ID == self {
			continue
		}
		if s.ID == c.ID {
			return invalid("id", "subnet id %d is already used in the backend by %s", c.ID, s.Prefix)
		}
		if s.Prefix.Overlaps(c.prefix) {
			return invalid("prefix", "%s overlaps the backend subnet %d (%s)", c.prefix, s.ID, s.Prefix)
		}
	}
	for _, s := range file {
		if s.ID == c.ID {
			return invalid("id", "subnet id %d is used by %s's configuration file (%s)", c.ID, s.Server, s.Prefix)
		}
		if s.Prefix.Overlaps(c.prefix) {
			return invalid("prefix", "%s overlaps subnet %d (%s) of %s's configuration file", c.prefix, s.ID, s.Prefix, s.Server)
		}
	}
	return nil
}

// Validate checks what needs no database (field-named ValidationError).
func (e SubnetEdit) Validate(family string) error {
	_, err := e.validate(family)
	return err
}
