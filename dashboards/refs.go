package dashboards

import (
	"fmt"

	"github.com/ddiscope/ddiscope/rules"
)

// The dashboards the alerts do not link to yet, so rules/links.go does not
// name them. TODO(rules): move these to rules.Dashboards() beside the
// others, so that alerts may link to them too (the DHCPv4 NAK alert to the
// DHCPv4 dashboard, the lease backlog alert to the leases dashboard).
func extraDashboards() []rules.Dashboard {
	return []rules.Dashboard{
		{UID: "ddiscope-kea-dhcp4", Slug: "kea-dhcp4", Title: "Kea DHCPv4", Vars: []string{"server"}},
		{UID: "ddiscope-kea-dhcp6", Slug: "kea-dhcp6", Title: "Kea DHCPv6", Vars: []string{"server"}},
		{UID: "ddiscope-kea-leases", Slug: "kea-leases", Title: "Kea leases", Vars: []string{"server", "subnet_id"}},
	}
}

// refs are the dashboards by role, each with its UID, slug, title and
// variables from rules (or extraDashboards), never spelled twice.
type refs struct {
	overview, dhcp4, dhcp6, subnets, ha, leases, bind, self rules.Dashboard
}

func lookupRefs() (refs, error) {
	all := map[string]rules.Dashboard{}
	for _, d := range append(rules.Dashboards(), extraDashboards()...) {
		all[d.UID] = d
	}
	var err error
	get := func(uid string) rules.Dashboard {
		d, ok := all[uid]
		if !ok && err == nil {
			err = fmt.Errorf("dashboards: no dashboard with UID %q", uid)
		}
		return d
	}
	extra := extraDashboards()
	r := refs{
		// The fleet overview is the dashboard the Kea service alerts
		// (daemon down, packet drops, NAKs, declines) open.
		overview: get(rules.UIDKeaOverview),
		dhcp4:    get(extra[0].UID),
		dhcp6:    get(extra[1].UID),
		subnets:  get(rules.UIDKeaSubnets),
		ha:       get(rules.UIDKeaHA),
		leases:   get(extra[2].UID),
		bind:     get(rules.UIDBIND),
		self:     get(rules.UIDSelf),
	}
	return r, err
}

// all lists the dashboards in the order of the header links.
func (r refs) all() []rules.Dashboard {
	return []rules.Dashboard{r.overview, r.dhcp4, r.dhcp6, r.subnets, r.ha, r.leases, r.bind, r.self}
}
