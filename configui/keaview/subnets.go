package keaview

import (
	"context"
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
)

// Statistic names (Kea ARM, "Statistics in the DHCPv4/DHCPv6 Server").
func statNames(daemon string) (addrTotal, addrAssigned, pdTotal, pdAssigned string) {
	if daemon == "dhcp6" {
		return "total-nas", "assigned-nas", "total-pds", "assigned-pds"
	}
	return "total-addresses", "assigned-addresses", "", ""
}

// subnetFilter is a SubnetQuery checked once, so that filtering 10,000
// subnets allocates nothing.
type subnetFilter struct {
	q      SubnetQuery
	prefix netip.Prefix
	addr   netip.Addr
	text   string
	server string
	daemon string
}

func newFilter(server, daemon string, q SubnetQuery) (*subnetFilter, error) {
	f := &subnetFilter{q: q, server: server, daemon: daemon}
	if s := strings.TrimSpace(q.Prefix); s != "" {
		if p, err := netip.ParsePrefix(s); err == nil {
			f.prefix = p.Masked()
		} else if a, err := netip.ParseAddr(s); err == nil {
			f.addr = a
		} else {
			f.text = strings.ToLower(s)
		}
	}
	if q.AlertingOnly && q.Alerting == nil {
		return nil, fmt.Errorf("subnet filter: alerting only needs the inbox's predicate")
	}
	return f, nil
}

func (f *subnetFilter) keep(s *SubnetConfig) bool {
	if f.q.ID != 0 && s.ID != f.q.ID {
		return false
	}
	if f.q.SharedNetwork != "" && s.SharedNetwork != f.q.SharedNetwork {
		return false
	}
	if f.prefix.IsValid() || f.addr.IsValid() || f.text != "" {
		p := s.prefix
		switch {
		case f.prefix.IsValid() && !f.prefix.Overlaps(p):
			return false
		case f.addr.IsValid() && !p.Contains(f.addr):
			return false
		case f.text != "" && !strings.HasPrefix(s.lowerPrefix, f.text):
			return false
		}
	}
	if f.q.AlertingOnly && !f.q.Alerting(subnetLabels(f.server, f.daemon, s)) {
		return false
	}
	return true
}

func subnetLabels(server, daemon string, s *SubnetConfig) Labels {
	return Labels{Server: server, Daemon: daemon, SubnetID: s.idText, SharedNetwork: s.SharedNetwork}
}

// Subnets is the subnet list of a daemon: the cached configuration filtered
// and paged, and Kea's statistics of the page's subnets only.
func (v *View) Subnets(ctx context.Context, server, daemon string, q SubnetQuery) (SubnetPage, error) {
	t, dc, err := v.daemon(ctx, server, daemon)
	if err != nil {
		return SubnetPage{}, err
	}
	cfg, err := v.config(ctx, t, daemon, dc)
	if err != nil {
		return SubnetPage{}, err
	}
	f, err := newFilter(server, daemon, q)
	if err != nil {
		return SubnetPage{}, err
	}
	if q.PerPage <= 0 {
		q.PerPage = 50
	}
	q.PerPage = min(q.PerPage, 1000)
	q.Page = max(q.Page, 1)
	page := SubnetPage{Server: server, Daemon: daemon, Total: len(cfg.subnets), Page: q.Page, PerPage: q.PerPage,
		ConfigHash: cfg.hash, ConfigRead: cfg.read}
	from := (q.Page - 1) * q.PerPage
	var picked []*SubnetConfig
	if strings.TrimSpace(q.Prefix) == "" && q.ID == 0 && q.SharedNetwork == "" && !q.AlertingOnly {
		page.Matched = len(cfg.subnets)
		if from < len(cfg.subnets) {
			picked = cfg.subnets[from:min(from+q.PerPage, len(cfg.subnets))]
		}
	} else {
		picked = make([]*SubnetConfig, 0, q.PerPage)
		for _, s := range cfg.subnets {
			if !f.keep(s) {
				continue
			}
			if page.Matched >= from && len(picked) < q.PerPage {
				picked = append(picked, s)
			}
			page.Matched++
		}
	}
	page.Pages = max(1, (page.Matched+q.PerPage-1)/q.PerPage)
	page.Rows = make([]SubnetRow, len(picked))
	for i, s := range picked {
		page.Rows[i] = SubnetRow{Config: s, Labels: subnetLabels(server, daemon, s)}
	}
	page.StatsErr = v.fillRows(ctx, t, daemon, page.Rows)
	return page, nil
}

// fillRows reads the utilisation of the rows' subnets.
func (v *View) fillRows(ctx context.Context, t *target, daemon string, rows []SubnetRow) error {
	at, aa, pt, pa := statNames(daemon)
	names := make([]string, 0, len(rows)*4)
	for _, r := range rows {
		p := "subnet[" + r.Config.idText + "]."
		names = append(names, p+at, p+aa)
		if pt != "" {
			names = append(names, p+pt, p+pa)
		}
	}
	vals, err := v.stats(ctx, t, t.service(daemon), names)
	for i := range rows {
		r := &rows[i]
		p := "subnet[" + r.Config.idText + "]."
		r.Addresses = usage(vals, p+aa, p+at, r.Config.addrSize)
		if pt != "" {
			r.Prefixes = usage(vals, p+pa, p+pt, r.Config.pdSize)
		}
	}
	return err
}

// usage builds a Usage from statistics; a negative or missing total is
// replaced by the size of the configured ranges.
func usage(vals map[string]*big.Int, assigned, total string, size *big.Int) Usage {
	u := Usage{Assigned: vals[assigned], Total: vals[total]}
	if u.Assigned == nil && u.Total == nil {
		return Usage{Total: size, FromConfig: true}
	}
	if u.Total == nil || u.Total.Sign() < 0 {
		u.Total, u.FromConfig = size, true
	}
	return u
}

// Subnet is one subnet's page: its configuration, utilisation and pools.
func (v *View) Subnet(ctx context.Context, server, daemon string, id int64) (Subnet, error) {
	t, dc, err := v.daemon(ctx, server, daemon)
	if err != nil {
		return Subnet{}, err
	}
	cfg, err := v.config(ctx, t, daemon, dc)
	if err != nil {
		return Subnet{}, err
	}
	sc, ok := cfg.subnet(id)
	if !ok {
		return Subnet{}, fmt.Errorf("server %q %s: subnet %d: %w", server, daemon, id, ErrNotFound)
	}
	out := Subnet{SubnetRow: SubnetRow{Config: sc, Labels: subnetLabels(server, daemon, sc)}, Daemon: daemon}
	out.Pools = poolRows(out.Labels, sc.Pools)
	out.PDPools = poolRows(out.Labels, sc.PDPools)
	out.StatsErr = v.fillSubnet(ctx, t, daemon, dc, &out.SubnetRow, out.Pools, out.PDPools)
	return out, nil
}

func poolRows(l Labels, pools []*PoolConfig) []PoolRow {
	rows := make([]PoolRow, len(pools))
	for i, p := range pools {
		pl := l
		pl.PoolID = strconv.FormatInt(p.ID, 10)
		rows[i] = PoolRow{Config: p, Labels: pl, Usage: Usage{Total: p.Size, FromConfig: true}}
	}
	return rows
}

// fillSubnet reads a subnet's statistics and those of the given pools
// (pool statistics only from Kea 2.4, which has them).
func (v *View) fillSubnet(ctx context.Context, t *target, daemon string, dc *daemonCache, row *SubnetRow, pools, pdPools []PoolRow) error {
	rows := []SubnetRow{*row}
	err := v.fillRows(ctx, t, daemon, rows)
	*row = rows[0]
	if err != nil || len(pools)+len(pdPools) == 0 {
		return err
	}
	ver, err := v.version(ctx, t, daemon, dc)
	if err != nil {
		return err
	}
	if !hasPoolStats(ver) {
		return nil
	}
	at, aa, pt, pa := statNames(daemon)
	base := "subnet[" + row.Config.idText + "]."
	var names []string
	for _, p := range pools {
		names = append(names, base+"pool["+p.Labels.PoolID+"]."+at, base+"pool["+p.Labels.PoolID+"]."+aa)
	}
	for _, p := range pdPools {
		names = append(names, base+"pd-pool["+p.Labels.PoolID+"]."+pt, base+"pd-pool["+p.Labels.PoolID+"]."+pa)
	}
	vals, err := v.stats(ctx, t, t.service(daemon), names)
	for i := range pools {
		p := base + "pool[" + pools[i].Labels.PoolID + "]."
		if vals[p+aa] != nil {
			pools[i].Usage, pools[i].Stats = usage(vals, p+aa, p+at, pools[i].Config.Size), true
		}
	}
	for i := range pdPools {
		p := base + "pd-pool[" + pdPools[i].Labels.PoolID + "]."
		if vals[p+pa] != nil {
			pdPools[i].Usage, pdPools[i].Stats = usage(vals, p+pa, p+pt, pdPools[i].Config.Size), true
		}
	}
	return err
}

// Pool is one pool's page (kind Addresses for /pools/, PD for /pd-pools/).
func (v *View) Pool(ctx context.Context, server, daemon string, subnetID int64, kind PoolKind, poolID int64) (Pool, error) {
	t, dc, err := v.daemon(ctx, server, daemon)
	if err != nil {
		return Pool{}, err
	}
	cfg, err := v.config(ctx, t, daemon, dc)
	if err != nil {
		return Pool{}, err
	}
	sc, ok := cfg.subnet(subnetID)
	if !ok {
		return Pool{}, fmt.Errorf("server %q %s: subnet %d: %w", server, daemon, subnetID, ErrNotFound)
	}
	list := sc.Pools
	if kind == PD {
		list = sc.PDPools
	}
	var pc *PoolConfig
	for _, p := range list {
		if p.ID == poolID {
			pc = p
		}
	}
	if pc == nil {
		return Pool{}, fmt.Errorf("server %q %s: subnet %d: %s %d: %w", server, daemon, subnetID, kind, poolID, ErrNotFound)
	}
	out := Pool{Subnet: SubnetRow{Config: sc, Labels: subnetLabels(server, daemon, sc)}, Daemon: daemon}
	rows := poolRows(out.Subnet.Labels, []*PoolConfig{pc})
	if kind == PD {
		out.StatsErr = v.fillSubnet(ctx, t, daemon, dc, &out.Subnet, nil, rows)
	} else {
		out.StatsErr = v.fillSubnet(ctx, t, daemon, dc, &out.Subnet, rows, nil)
	}
	out.Pool = rows[0]
	return out, nil
}

// SharedNetwork is one shared network's page: its subnets with their
// utilisation, and the sums.
func (v *View) SharedNetwork(ctx context.Context, server, daemon, name string) (SharedNetwork, error) {
	t, dc, err := v.daemon(ctx, server, daemon)
	if err != nil {
		return SharedNetwork{}, err
	}
	cfg, err := v.config(ctx, t, daemon, dc)
	if err != nil {
		return SharedNetwork{}, err
	}
	sn, ok := cfg.sharedNetwork(name)
	if !ok {
		return SharedNetwork{}, fmt.Errorf("server %q %s: shared network %q: %w", server, daemon, name, ErrNotFound)
	}
	out := SharedNetwork{Config: sn, Daemon: daemon, Labels: Labels{Server: server, Daemon: daemon, SharedNetwork: name}}
	out.Rows = make([]SubnetRow, len(sn.Subnets))
	for i, s := range sn.Subnets {
		out.Rows[i] = SubnetRow{Config: s, Labels: subnetLabels(server, daemon, s)}
	}
	out.StatsErr = v.fillRows(ctx, t, daemon, out.Rows)
	out.Addresses = Usage{Assigned: new(big.Int), Total: new(big.Int)}
	if daemon == "dhcp6" {
		out.Prefixes = Usage{Assigned: new(big.Int), Total: new(big.Int)}
	}
	for _, r := range out.Rows {
		out.Addresses = out.Addresses.Add(r.Addresses)
		if daemon == "dhcp6" {
			out.Prefixes = out.Prefixes.Add(r.Prefixes)
		}
	}
	return out, nil
}
