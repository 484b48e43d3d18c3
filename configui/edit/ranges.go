package edit

import (
	"fmt"
	"math/big"
	"net/netip"
	"strings"
)

// addrRange is an inclusive range of addresses.
type addrRange struct{ first, last netip.Addr }

func (r addrRange) String() string { return r.first.String() + "-" + r.last.String() }

func (r addrRange) contains(a netip.Addr) bool {
	return r.first.Compare(a) <= 0 && a.Compare(r.last) <= 0
}

func (r addrRange) overlaps(o addrRange) bool {
	return r.first.Compare(o.last) <= 0 && o.first.Compare(r.last) <= 0
}

func (r addrRange) within(p netip.Prefix) bool {
	return p.Contains(r.first) && p.Contains(r.last)
}

// size is the number of addresses.
func (r addrRange) size() *big.Int {
	a, b := new(big.Int).SetBytes(r.first.AsSlice()), new(big.Int).SetBytes(r.last.AsSlice())
	return b.Sub(b, a).Add(b, big.NewInt(1))
}

// lastOf is the last address of a prefix.
func lastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// parsePrefix reads a subnet prefix of the family (4 or 6), which must be
// written as its network address.
func parsePrefix(s string, family int) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a prefix (address/length)", s)
	}
	if fam(p.Addr()) != family {
		return netip.Prefix{}, fmt.Errorf("%q is not an IPv%d prefix", s, family)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%q has host bits set: the network is %s", s, p.Masked())
	}
	return p, nil
}

func fam(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// parseRange reads a pool as Kea writes it: "first-last" or "prefix/len".
func parseRange(s string, family int) (addrRange, error) {
	s = strings.TrimSpace(s)
	if first, last, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(first))
		b, err2 := netip.ParseAddr(strings.TrimSpace(last))
		if err1 != nil || err2 != nil || a.Zone() != "" || b.Zone() != "" {
			return addrRange{}, fmt.Errorf("%q is not a range of two addresses (first-last)", s)
		}
		if fam(a) != family || fam(b) != family || a.Is4In6() || b.Is4In6() {
			return addrRange{}, fmt.Errorf("%q is not an IPv%d range", s, family)
		}
		if b.Less(a) {
			return addrRange{}, fmt.Errorf("%q ends before it starts", s)
		}
		return addrRange{a, b}, nil
	}
	if strings.Contains(s, "/") {
		p, err := parsePrefix(s, family)
		if err != nil {
			return addrRange{}, err
		}
		return addrRange{p.Addr(), lastOf(p)}, nil
	}
	return addrRange{}, fmt.Errorf("%q is not an address range (first-last, or prefix/length)", s)
}
