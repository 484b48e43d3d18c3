package edit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

// ActiveLeases reads a subnet's active address leases from Kea
// (lease4-get-all or lease6-get-all with the subnet's id; lease_cmds hook):
// leases in the default state whose lifetime has not run out. In an HA
// pair every peer holds every lease, so one peer is enough.
func ActiveLeases(ctx context.Context, c *keactl.Client, service, daemon string, subnetID int64, now time.Time) ([]netip.Addr, error) {
	cmd := "lease4-get-all"
	if daemon == "dhcp6" {
		cmd = "lease6-get-all"
	}
	resp, err := c.Call(ctx, cmd, service, map[string]any{"subnets": []int64{subnetID}})
	if err != nil {
		return nil, fmt.Errorf("reading the leases of subnet %d: %w", subnetID, err)
	}
	if resp.Result == keactl.ResultEmpty || len(resp.Arguments) == 0 {
		return nil, nil
	}
	var args struct {
		Leases []struct {
			IP       string `json:"ip-address"`
			Type     string `json:"type"` // DHCPv6: IA_NA, IA_TA, IA_PD
			State    int    `json:"state"`
			CLTT     int64  `json:"cltt"`
			ValidLft int64  `json:"valid-lft"`
		} `json:"leases"`
	}
	if err := json.Unmarshal(resp.Arguments, &args); err != nil {
		return nil, fmt.Errorf("reading the leases of subnet %d: %s: %w", subnetID, cmd, err)
	}
	var out []netip.Addr
	for _, l := range args.Leases {
		if l.State != 0 || l.Type == "IA_PD" || time.Unix(l.CLTT+l.ValidLft, 0).Before(now) {
			continue
		}
		a, err := netip.ParseAddr(l.IP)
		if err != nil {
			return nil, fmt.Errorf("reading the leases of subnet %d: Kea sent lease address %q", subnetID, l.IP)
		}
		out = append(out, a)
	}
	return out, nil
}

// ActivePrefixes reads a DHCPv6 subnet's active delegated prefixes
// (lease6-get-all, type IA_PD).
func ActivePrefixes(ctx context.Context, c *keactl.Client, service string, subnetID int64, now time.Time) ([]netip.Prefix, error) {
	resp, err := c.Call(ctx, "lease6-get-all", service, map[string]any{"subnets": []int64{subnetID}})
	if err != nil {
		return nil, fmt.Errorf("reading the leases of subnet %d: %w", subnetID, err)
	}
	if resp.Result == keactl.ResultEmpty || len(resp.Arguments) == 0 {
		return nil, nil
	}
	var args struct {
		Leases []struct {
			IP        string `json:"ip-address"`
			PrefixLen int    `json:"prefix-len"`
			Type      string `json:"type"`
			State     int    `json:"state"`
			CLTT      int64  `json:"cltt"`
			ValidLft  int64  `json:"valid-lft"`
		} `json:"leases"`
	}
	if err := json.Unmarshal(resp.Arguments, &args); err != nil {
		return nil, fmt.Errorf("reading the leases of subnet %d: lease6-get-all: %w", subnetID, err)
	}
	var out []netip.Prefix
	for _, l := range args.Leases {
		if l.Type != "IA_PD" || l.State != 0 || time.Unix(l.CLTT+l.ValidLft, 0).Before(now) {
			continue
		}
		a, err := netip.ParseAddr(l.IP)
		if err != nil {
			return nil, fmt.Errorf("reading the leases of subnet %d: Kea sent prefix %q", subnetID, l.IP)
		}
		p, err := a.Prefix(l.PrefixLen)
		if err != nil {
			return nil, fmt.Errorf("reading the leases of subnet %d: Kea sent prefix %s/%d", subnetID, l.IP, l.PrefixLen)
		}
		out = append(out, p)
	}
	return out, nil
}
