package dashboards

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ddiscope/ddiscope/rules"
)

// placeholder leaves {label} for render to fill from the data.
func placeholder(label string) string { return "{" + label + "}" }

// configLink opens the config editor's page of pattern (a rules.ConfigUI*
// pattern) for the series' object. fixed gives labels the series lack, such
// as the daemon of a kea_dhcp4_* series. Without a config editor it is the
// zero link, which render leaves out: a relative /servers/... link would
// open a page of Grafana's own that does not exist.
func (g *gen) configLink(title, pattern string, fixed map[string]string) link {
	if !g.cfg.Links.HasConfigUI() {
		return link{}
	}
	path := rules.Expand(pattern, func(label string) string {
		if v, ok := fixed[label]; ok {
			return rules.PathValue(v)
		}
		return placeholder(label)
	})
	return link{title: title, url: strings.TrimRight(g.cfg.Links.ConfigUI, "/") + path}
}

// dashLink opens dashboard d with its variables set from the series'
// labels (only those the series has: a variable set to the empty value
// would filter everything out) and from fixed values.
func dashLink(title string, d rules.Dashboard, labels []string, fixed map[string]string) link {
	var q []string
	for _, v := range d.Vars {
		switch {
		case fixed[v] != "":
			q = append(q, "var-"+v+"="+url.QueryEscape(fixed[v]))
		case slices.Contains(labels, v):
			q = append(q, "var-"+v+"="+placeholder(v))
		}
	}
	u := "/d/" + d.UID + "/" + d.Slug
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return link{title: title, url: u, keepTime: true}
}

// Labels of the recorded address-space series and of raw Kea series, for
// the links built from them.
var (
	subnetLabels  = []string{"server", "daemon", "lease_type", "subnet_id", "subnet", "shared_network"}
	poolLabels    = append(slices.Clone(subnetLabels), "pool_id", "pool")
	networkLabels = []string{"server", "daemon", "lease_type", "shared_network"}
)

// subnetLinks are the links of every subnet panel: the subnet's page in the
// config editor and the subnet detail dashboard. daemon is "" when the
// series carry a daemon label (the recorded ones).
func (g *gen) subnetLinks(r refs, labels []string, daemon string) []link {
	fixed := map[string]string{}
	if daemon != "" {
		fixed["daemon"] = daemon
	}
	return []link{
		g.configLink("Edit subnet {subnet} in the config editor", rules.ConfigUISubnet, fixed),
		dashLink("Subnet detail", r.subnets, labels, fixed),
	}
}

// poolLinks are the links of every pool panel.
func (g *gen) poolLinks(r refs, pattern string, labels []string, daemon string) []link {
	fixed := map[string]string{}
	if daemon != "" {
		fixed["daemon"] = daemon
	}
	return []link{
		g.configLink("Edit pool {pool} in the config editor", pattern, fixed),
		dashLink("Pool detail", r.subnets, labels, fixed),
	}
}

// networkLinks are the links of every shared-network panel.
func (g *gen) networkLinks(r refs, labels []string, daemon string) []link {
	fixed := map[string]string{}
	if daemon != "" {
		fixed["daemon"] = daemon
	}
	return []link{
		g.configLink("Edit shared network {shared_network} in the config editor", rules.ConfigUISharedNetwork, fixed),
		dashLink("Shared network detail", r.subnets, labels, fixed),
	}
}
