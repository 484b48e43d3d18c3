package dashboards

import (
	"fmt"

	"github.com/ddiscope/ddiscope/rules"
)

// refs are the dashboards by role, each with its UID, slug, title and
// variables from rules, never spelled twice.
type refs struct {
	overview, dhcp4, dhcp6, subnets, ha, leases, bind, self rules.Dashboard
}

func lookupRefs() (refs, error) {
	all := map[string]rules.Dashboard{}
	for _, d := range rules.Dashboards() {
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
	r := refs{
		// The fleet overview is the dashboard the Kea service alerts
		// (daemon down, packet drops, NAKs, declines) open.
		overview: get(rules.UIDKeaOverview),
		dhcp4:    get(rules.UIDKeaDHCP4),
		dhcp6:    get(rules.UIDKeaDHCP6),
		subnets:  get(rules.UIDKeaSubnets),
		ha:       get(rules.UIDKeaHA),
		leases:   get(rules.UIDKeaLeases),
		bind:     get(rules.UIDBIND),
		self:     get(rules.UIDSelf),
	}
	return r, err
}

// all lists the dashboards in the order of the header links.
func (r refs) all() []rules.Dashboard {
	return []rules.Dashboard{r.overview, r.dhcp4, r.dhcp6, r.subnets, r.ha, r.leases, r.bind, r.self}
}
