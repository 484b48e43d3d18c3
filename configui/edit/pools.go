package edit

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// PoolRow is one row of the pools form: an existing pool (its range, "" to
// remove it) or a new one.
type PoolRow struct {
	Range string
	Class string // client-class of a new pool; an existing pool keeps its own
}

// Pools is the address-pools form of one subnet: add, extend, shrink or
// remove pools. Rows[:Existing] are the subnet's pools in configuration
// order when the form was built (the base hash guarantees the order is
// still the same); the rest are new pools.
type Pools struct {
	Daemon   string
	SubnetID int64
	Rows     []PoolRow
	Existing int
}

// PoolField is the form field of row i, the name Problems use.
func PoolField(i int) string { return "pool." + strconv.Itoa(i) }

func family(daemon string) int {
	if daemon == "dhcp6" {
		return 6
	}
	return 4
}

// builtinClass says whether Kea defines a class name itself.
func builtinClass(name string) bool {
	switch name {
	case "ALL", "KNOWN", "UNKNOWN", "BOOTP", "DROP":
		return true
	}
	return strings.HasPrefix(name, "HA_") || strings.HasPrefix(name, "VENDOR_CLASS_") || strings.HasPrefix(name, "SPAWN_")
}

// classDefined says whether a client class is defined in the daemon's
// configuration or by Kea.
func classDefined(d map[string]any, name string) bool {
	if builtinClass(name) {
		return true
	}
	cs, _ := d["client-classes"].([]any)
	for _, c := range cs {
		if m, ok := c.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}

// located reads the subnet and its prefix.
func locate(c apply.Config, daemon string, id int64) (Located, netip.Prefix, map[string]any, error) {
	d, err := c.Daemon(daemon)
	if err != nil {
		return Located{}, netip.Prefix{}, nil, err
	}
	loc, err := FindSubnet(c, daemon, id)
	if err != nil {
		return Located{}, netip.Prefix{}, nil, err
	}
	s, _ := loc.Subnet["subnet"].(string)
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return Located{}, netip.Prefix{}, nil, errorf("subnet", "Kea's subnet %d has prefix %q, which the editor cannot read", id, s)
	}
	return loc, p.Masked(), d, nil
}

// oldRanges are the subnet's pools as configured now.
func oldRanges(s map[string]any, fam int) []addrRange {
	var out []addrRange
	for _, p := range poolList(s, false) {
		pm, _ := p.(map[string]any)
		r, err := parseRange(fmt.Sprint(pm["pool"]), fam)
		if err == nil {
			out = append(out, r)
		}
	}
	return out
}

// Check validates the form against a configuration: every range readable,
// inside the subnet, no two overlapping, classes defined, new pools of a
// load-balancing pair carrying a server's class, and something changed.
func (f Pools) Check(c apply.Config) error {
	var p Problems
	loc, prefix, d, err := locate(c, f.Daemon, f.SubnetID)
	if err != nil {
		return err
	}
	fam := family(f.Daemon)
	cur := poolList(loc.Subnet, false)
	if len(cur) != f.Existing {
		return errorf("pools", "subnet %d now has %d pools, the form was built for %d: reload the page", f.SubnetID, len(cur), f.Existing)
	}
	type kept struct {
		row int
		r   addrRange
	}
	var ranges []kept
	haClasses := len(cur) > 0
	for _, e := range cur {
		pm, _ := e.(map[string]any)
		if cl, _ := pm["client-class"].(string); !strings.HasPrefix(cl, "HA_") {
			haClasses = false
		}
	}
	changed := false
	for i, row := range f.Rows {
		field := PoolField(i)
		text := strings.TrimSpace(row.Range)
		if i < f.Existing {
			pm, _ := cur[i].(map[string]any)
			if text != fmt.Sprint(pm["pool"]) {
				changed = true
			}
		} else if text != "" {
			changed = true
		}
		if text == "" {
			continue
		}
		r, err := parseRange(text, fam)
		if err != nil {
			p.add(field, err.Error())
			continue
		}
		if !r.within(prefix) {
			p.add(field, fmt.Sprintf("%s is outside subnet %s", text, prefix))
			continue
		}
		for _, k := range ranges {
			if k.r.overlaps(r) {
				p.add(field, fmt.Sprintf("%s overlaps pool %d (%s)", text, k.row+1, k.r))
				break
			}
		}
		ranges = append(ranges, kept{i, r})
		if i >= f.Existing {
			cl := strings.TrimSpace(row.Class)
			switch {
			case cl != "" && !classDefined(d, cl):
				p.add(field, fmt.Sprintf("client class %q is not defined in client-classes", cl))
			case cl == "" && haClasses:
				p.add(field, "every pool of this subnet is limited to one HA server's class (HA_…): give the new pool one, or both servers would hand out its addresses")
			}
		}
	}
	if len(p) == 0 && !changed {
		return apply.ErrNoChange
	}
	return p.err()
}

// Stranded checks a shrink or removal against the subnet's active leases:
// an address leased now from a pool must stay inside some pool, or Kea
// will not renew it. leases are the active leases' addresses.
func (f Pools) Stranded(c apply.Config, leases []netip.Addr) error {
	loc, _, _, err := locate(c, f.Daemon, f.SubnetID)
	if err != nil {
		return err
	}
	fam := family(f.Daemon)
	var after []addrRange
	for _, row := range f.Rows {
		if r, err := parseRange(row.Range, fam); err == nil && strings.TrimSpace(row.Range) != "" {
			after = append(after, r)
		}
	}
	cur := poolList(loc.Subnet, false)
	stranded := map[int][]netip.Addr{}
	for _, a := range leases {
		inAfter := slices.ContainsFunc(after, func(r addrRange) bool { return r.contains(a) })
		if inAfter {
			continue
		}
		for i, e := range cur {
			pm, _ := e.(map[string]any)
			if r, err := parseRange(fmt.Sprint(pm["pool"]), fam); err == nil && r.contains(a) {
				stranded[i] = append(stranded[i], a)
				break
			}
		}
	}
	var p Problems
	for i := range cur {
		as := stranded[i]
		if len(as) == 0 {
			continue
		}
		slices.SortFunc(as, func(x, y netip.Addr) int { return x.Compare(y) })
		shown := as
		if len(shown) > 5 {
			shown = shown[:5]
		}
		var list []string
		for _, a := range shown {
			list = append(list, a.String())
		}
		more := ""
		if len(as) > len(shown) {
			more = ", …"
		}
		verb := "shrinking"
		if i < len(f.Rows) && strings.TrimSpace(f.Rows[i].Range) == "" {
			verb = "removing"
		}
		p.add(PoolField(i), fmt.Sprintf("%s this pool would strand %d active lease(s) (%s%s): Kea does not renew an address outside every pool", verb, len(as), strings.Join(list, ", "), more))
	}
	return p.err()
}

// Edit is the change: each peer's subnet gets the form's pools, existing
// pools keeping their other members (client class, options, pool-id).
func (f Pools) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		if err := f.Check(c); err != nil {
			return err
		}
		loc, _, _, err := locate(c, f.Daemon, f.SubnetID)
		if err != nil {
			return err
		}
		cur := poolList(loc.Subnet, false)
		out := []any{}
		for i, row := range f.Rows {
			text := strings.TrimSpace(row.Range)
			if text == "" {
				continue
			}
			if i < f.Existing {
				pm := cur[i].(map[string]any)
				pm["pool"] = text
				out = append(out, pm)
				continue
			}
			np := map[string]any{"pool": text}
			if cl := strings.TrimSpace(row.Class); cl != "" {
				np["client-class"] = cl
			}
			out = append(out, np)
		}
		loc.Subnet["pools"] = out
		return nil
	}
}

// Summary says the change in a line, for the audit trail.
func (f Pools) Summary() string {
	return fmt.Sprintf("pools of subnet %d (%s)", f.SubnetID, f.Daemon)
}
