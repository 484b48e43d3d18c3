package edit

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ddiscope/ddiscope/configui/apply"
)

// PDRow is one row of the pd-pools form: the pool's prefix
// ("2001:db8:8000::/48", "" to remove an existing pool) and the length of
// the prefixes it delegates.
type PDRow struct {
	Prefix    string
	Delegated string
}

// PDPools is the prefix-delegation pools form of a DHCPv6 subnet, shaped
// like Pools: Rows[:Existing] are the subnet's pd-pools in order.
type PDPools struct {
	SubnetID int64
	Rows     []PDRow
	Existing int
}

// PDField is the prefix field of row i; PDLenField its delegated length.
func PDField(i int) string    { return "pd." + strconv.Itoa(i) }
func PDLenField(i int) string { return "pdlen." + strconv.Itoa(i) }

// pdOf reads a configured pd-pool.
func pdOf(pm map[string]any) (netip.Prefix, int64, bool) {
	a, err := netip.ParseAddr(fmt.Sprint(pm["prefix"]))
	pl, ok1 := number(pm["prefix-len"])
	dl, ok2 := number(pm["delegated-len"])
	if err != nil || !ok1 || !ok2 {
		return netip.Prefix{}, 0, false
	}
	p, err := a.Prefix(int(pl))
	return p, dl, err == nil
}

func (f PDPools) parse(i int, row PDRow) (netip.Prefix, int, error) {
	p, err := parsePrefix(row.Prefix, 6)
	if err != nil {
		return p, 0, err
	}
	dl, err := strconv.Atoi(strings.TrimSpace(row.Delegated))
	if err != nil || dl < p.Bits() || dl > 128 {
		return p, 0, fmt.Errorf("delegated length %q must be a number from %d (the pool's prefix length) to 128", row.Delegated, p.Bits())
	}
	return p, dl, nil
}

// Check validates the form: prefixes readable and written as networks,
// delegated lengths in range, no overlap with another pd-pool of this
// subnet or any other subnet.
func (f PDPools) Check(c apply.Config) error {
	loc, _, d, err := locate(c, "dhcp6", f.SubnetID)
	if err != nil {
		return err
	}
	cur := poolList(loc.Subnet, true)
	if len(cur) != f.Existing {
		return errorf("pd-pools", "subnet %d now has %d pd-pools, the form was built for %d: reload the page", f.SubnetID, len(cur), f.Existing)
	}
	// Other subnets' pd-pools.
	type other struct {
		where string
		p     netip.Prefix
	}
	var others []other
	Subnets(d, "dhcp6", func(l Located) bool {
		if n, _ := number(l.Subnet["id"]); n == f.SubnetID {
			return true
		}
		for _, e := range poolList(l.Subnet, true) {
			if p, _, ok := pdOf(e.(map[string]any)); ok {
				others = append(others, other{fmt.Sprintf("a pd-pool of subnet %v", l.Subnet["id"]), p})
			}
		}
		return true
	})
	var p Problems
	changed := false
	for i, row := range f.Rows {
		text := strings.TrimSpace(row.Prefix)
		if i < f.Existing {
			op, dl, _ := pdOf(cur[i].(map[string]any))
			if text != op.String() || strings.TrimSpace(row.Delegated) != strconv.FormatInt(dl, 10) {
				changed = true
			}
		} else if text != "" {
			changed = true
		}
		if text == "" {
			continue
		}
		pr, _, err := f.parse(i, row)
		if err != nil {
			field := PDField(i)
			if strings.HasPrefix(err.Error(), "delegated") {
				field = PDLenField(i)
			}
			p.add(field, err.Error())
			continue
		}
		for _, o := range others {
			if o.p.Overlaps(pr) {
				p.add(PDField(i), fmt.Sprintf("%s overlaps %s (%s)", pr, o.where, o.p))
				break
			}
		}
		others = append(others, other{fmt.Sprintf("pd-pool %d of this subnet", i+1), pr})
	}
	if len(p) == 0 && !changed {
		return apply.ErrNoChange
	}
	return p.err()
}

// Stranded refuses a change that leaves a delegated prefix in use outside
// every pd-pool.
func (f PDPools) Stranded(c apply.Config, prefixes []netip.Prefix) error {
	var after []netip.Prefix
	for i, row := range f.Rows {
		if strings.TrimSpace(row.Prefix) == "" {
			continue
		}
		if p, _, err := f.parse(i, row); err == nil {
			after = append(after, p)
		}
	}
	var out []string
	for _, lp := range prefixes {
		if !slices.ContainsFunc(after, func(p netip.Prefix) bool { return p.Contains(lp.Addr()) && p.Bits() <= lp.Bits() }) {
			out = append(out, lp.String())
		}
	}
	if len(out) == 0 {
		return nil
	}
	n := len(out)
	if len(out) > 5 {
		out = append(out[:5], "…")
	}
	return Problems{{Field: "pd-pools", Msg: fmt.Sprintf("the change would strand %d delegated prefix(es) in use (%s): Kea does not renew a prefix outside every pd-pool", n, strings.Join(out, ", "))}}
}

// Edit sets the subnet's pd-pools, existing ones keeping their other
// members.
func (f PDPools) Edit() apply.EditFunc {
	return func(_ string, c apply.Config) error {
		if err := f.Check(c); err != nil {
			return err
		}
		loc, err := FindSubnet(c, "dhcp6", f.SubnetID)
		if err != nil {
			return err
		}
		cur := poolList(loc.Subnet, true)
		out := []any{}
		for i, row := range f.Rows {
			if strings.TrimSpace(row.Prefix) == "" {
				continue
			}
			p, dl, _ := f.parse(i, row)
			pm := map[string]any{}
			if i < f.Existing {
				pm = cur[i].(map[string]any)
			}
			pm["prefix"] = p.Addr().String()
			pm["prefix-len"] = jsonInt(strconv.Itoa(p.Bits()))
			pm["delegated-len"] = jsonInt(strconv.Itoa(dl))
			out = append(out, pm)
		}
		loc.Subnet["pd-pools"] = out
		return nil
	}
}

// Summary says the change in a line.
func (f PDPools) Summary() string { return fmt.Sprintf("pd-pools of subnet %d (dhcp6)", f.SubnetID) }

// CurrentPDPools are the subnet's pd-pools as form rows.
func CurrentPDPools(c apply.Config, id int64) ([]PDRow, error) {
	loc, err := FindSubnet(c, "dhcp6", id)
	if err != nil {
		return nil, err
	}
	var rows []PDRow
	for _, e := range poolList(loc.Subnet, true) {
		p, dl, _ := pdOf(e.(map[string]any))
		rows = append(rows, PDRow{Prefix: p.String(), Delegated: strconv.FormatInt(dl, 10)})
	}
	return rows, nil
}
