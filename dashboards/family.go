package dashboards

import "strings"

// family is one Kea DHCP daemon: its metrics differ only in their prefix
// (kea_dhcp4_…, kea_dhcp6_…), so the two dashboards and the overview's
// service panels are built from one description.
type family struct {
	daemon string // the daemon label value: "dhcp4", "dhcp6"
	name   string // "DHCPv4"
	// request is the message type whose NAKs count (DHCPv4 only).
	request string
}

func (fm family) m(suffix string) string { return "kea_" + fm.daemon + "_" + suffix }

var (
	dhcp4 = family{daemon: "dhcp4", name: "DHCPv4", request: "request"}
	dhcp6 = family{daemon: "dhcp6", name: "DHCPv6"}
)

func families() []family { return []family{dhcp4, dhcp6} }

// dropRatio is the share of received packets dropped, by reason, leaving
// out the reasons the thresholds call normal: the alert's expression over
// Grafana's rate interval.
func (g *gen) dropRatio(fm family) string {
	m := []string{onServer}
	if len(g.t.DropReasonsIgnored) > 0 {
		m = append(m, `reason!~"`+strings.Join(g.t.DropReasonsIgnored, "|")+`"`)
	}
	return g.rate(fm.m("packets_dropped_by_reason_total"), m...) + "\n/ ignoring (reason) group_left\n" +
		g.rate(fm.m("packets_received_total"), onServer)
}

// nakRatio is the share of DHCPREQUESTs answered with a DHCPNAK.
func (g *gen) nakRatio() string {
	return "sum without (type) (" + g.rate(dhcp4.m("packets_sent_by_type_total"), onServer, `type="nak"`) + ")\n/\n" +
		"sum without (type) (" + g.rate(dhcp4.m("packets_received_by_type_total"), onServer, `type="`+dhcp4.request+`"`) + ")"
}

// declines is DECLINEs received a minute.
func (g *gen) declines(fm family) string {
	return "sum without (type) (" + g.rate(fm.m("packets_received_by_type_total"), onServer, `type="decline"`) + ") * 60"
}
