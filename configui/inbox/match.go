package inbox

// PageLabels are the labels that identify a page, in order: server first,
// then as much of daemon, subnet_id, pool_id and shared_network as the page
// has. They are the placeholders of the rules.ConfigUI* patterns.
type PageLabels map[string]string

// identity are the labels that place an alert on a page.
var identity = []string{"server", "daemon", "subnet_id", "pool_id", "shared_network"}

// Matches says whether an alert belongs on a page: it must be about the
// page's server, and every identity label that both carry must be equal. So
// a subnet page shows the subnet's alerts, its pools' alerts and its
// server's own alerts (HA down, Kea unreachable), but not another subnet's.
func Matches(page PageLabels, labels map[string]string) bool {
	if page["server"] == "" || labels["server"] != page["server"] {
		return false
	}
	// Which subnets form a shared network is Kea's to say, not the alert's:
	// a subnet's alert without the label stays off a shared network page.
	if _, ok := page["shared_network"]; ok && labels["shared_network"] == "" && labels["subnet_id"] != "" {
		return false
	}
	for _, l := range identity[1:] {
		pv, ok := page[l]
		if !ok {
			continue
		}
		if av, ok := labels[l]; ok && av != pv {
			return false
		}
	}
	return true
}

// Filter returns the alerts of as that belong on the page, keeping order.
func Filter(page PageLabels, as []Alert) []Alert {
	var out []Alert
	for _, a := range as {
		if Matches(page, a.Labels) {
			out = append(out, a)
		}
	}
	return out
}
