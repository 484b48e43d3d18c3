package rules

import (
	"fmt"
	"net/url"
	"strings"
)

// Links are the base URLs every generated link starts from. Alerts,
// dashboards and the config editor share them, so that an alert's
// dashboard_url opens the same dashboard a dashboard's data link does.
type Links struct {
	// Runbooks is where the runbook pages live; an alert's page is
	// {runbooks}/{AlertName}.md.
	Runbooks string `yaml:"runbooks"`
	// Grafana is the Grafana root URL; dashboards are {grafana}/d/{uid}/{slug}.
	Grafana string `yaml:"grafana"`
	// ConfigUI is the config editor's root URL; its pages are the
	// ConfigUI* patterns below under it. Empty when there is no editor:
	// alerts then have no remediation_url and Alertmanager no inbox.
	ConfigUI string `yaml:"configui"`
}

// Grafana dashboard UIDs. The dashboards package generates the dashboards
// with these UIDs and slugs; alerts link to them. Renaming one breaks every
// link already sent in a notification, so they never change.
const (
	UIDSelf        = "ddiscope-self"
	UIDKeaOverview = "ddiscope-kea-overview"
	UIDKeaSubnets  = "ddiscope-kea-subnets"
	UIDKeaHA       = "ddiscope-kea-ha"
	UIDKeaDHCP4    = "ddiscope-kea-dhcp4"
	UIDKeaDHCP6    = "ddiscope-kea-dhcp6"
	UIDKeaLeases   = "ddiscope-kea-leases"
	UIDBIND        = "ddiscope-bind"
)

// Dashboard is one Grafana dashboard that links point to. Vars are the
// template variables it takes: each is named after the label it filters
// (?var-server=kea1), so a link fills it from the label of the same name.
type Dashboard struct {
	UID   string
	Slug  string
	Title string
	Vars  []string
}

// Dashboards returns every dashboard links may point to.
func Dashboards() []Dashboard {
	return []Dashboard{
		{UID: UIDSelf, Slug: "ddiscope", Title: "ddiscope", Vars: []string{"server"}},
		{UID: UIDKeaOverview, Slug: "kea-overview", Title: "Kea overview", Vars: []string{"server", "daemon"}},
		{UID: UIDKeaSubnets, Slug: "kea-subnets", Title: "Kea subnets, pools and shared networks",
			Vars: []string{"server", "daemon", "shared_network", "subnet_id", "pool_id"}},
		{UID: UIDKeaHA, Slug: "kea-ha", Title: "Kea high availability", Vars: []string{"server", "daemon", "relationship"}},
		{UID: UIDKeaDHCP4, Slug: "kea-dhcp4", Title: "Kea DHCPv4", Vars: []string{"server"}},
		{UID: UIDKeaDHCP6, Slug: "kea-dhcp6", Title: "Kea DHCPv6", Vars: []string{"server"}},
		{UID: UIDKeaLeases, Slug: "kea-leases", Title: "Kea leases", Vars: []string{"server", "subnet_id"}},
		{UID: UIDBIND, Slug: "bind", Title: "BIND 9", Vars: []string{"server", "view", "zone_name"}},
	}
}

// DashboardByUID returns the dashboard with that UID.
func DashboardByUID(uid string) (Dashboard, bool) {
	for _, d := range Dashboards() {
		if d.UID == uid {
			return d, true
		}
	}
	return Dashboard{}, false
}

// Config editor pages, relative to Links.ConfigUI. {label} stands for the
// value of that label, path-escaped. Kea numbers DHCPv4 and DHCPv6 subnets
// (and pools) independently, so every subnet page is under its daemon.
const (
	ConfigUIServer        = "/servers/{server}"
	ConfigUIHA            = "/servers/{server}/ha"
	ConfigUISubnet        = "/servers/{server}/{daemon}/subnets/{subnet_id}"
	ConfigUIPool          = "/servers/{server}/{daemon}/subnets/{subnet_id}/pools/{pool_id}"
	ConfigUIPDPool        = "/servers/{server}/{daemon}/subnets/{subnet_id}/pd-pools/{pool_id}"
	ConfigUISharedNetwork = "/servers/{server}/{daemon}/shared-networks/{shared_network}"
	// ConfigUIInbox is where Alertmanager POSTs its webhook (JSON version 4)
	// for the config editor's alert inbox.
	ConfigUIInbox = "/api/alertmanager/webhook"
)

// Placeholders returns the label names a pattern refers to, in order.
func Placeholders(pattern string) []string {
	var ls []string
	Expand(pattern, func(l string) string { ls = append(ls, l); return "" })
	return ls
}

// Expand replaces every {label} of pattern with value(label). Alerts pass
// a function giving a Prometheus template; dashboards one giving a Grafana
// variable; the config editor one giving a real value.
func Expand(pattern string, value func(label string) string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(pattern, '{')
		end := strings.IndexByte(pattern[open+1:], '}')
		if open < 0 || end < 0 {
			b.WriteString(pattern)
			return b.String()
		}
		b.WriteString(pattern[:open])
		b.WriteString(value(pattern[open+1 : open+1+end]))
		pattern = pattern[open+1+end+1:]
	}
}

// PathValue escapes a real label value for one path segment of a pattern.
func PathValue(v string) string { return url.PathEscape(v) }

// ConfigUIURL is the config editor page of pattern with real label values,
// as the config editor itself and tests build it.
func (l Links) ConfigUIURL(pattern string, labels map[string]string) string {
	return strings.TrimRight(l.ConfigUI, "/") + Expand(pattern, func(name string) string { return PathValue(labels[name]) })
}

// DashboardURL is the dashboard's URL with its variables set from labels
// (variables without a label value are left out, so Grafana shows "All").
func (l Links) DashboardURL(uid string, labels map[string]string) (string, error) {
	d, ok := DashboardByUID(uid)
	if !ok {
		return "", fmt.Errorf("no dashboard with UID %q", uid)
	}
	q := url.Values{}
	for _, v := range d.Vars {
		if labels[v] != "" {
			q.Set("var-"+v, labels[v])
		}
	}
	u := fmt.Sprintf("%s/d/%s/%s", strings.TrimRight(l.Grafana, "/"), d.UID, d.Slug)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

// RunbookURL is the runbook page of an alert.
func (l Links) RunbookURL(alert string) string {
	return strings.TrimRight(l.Runbooks, "/") + "/" + alert + ".md"
}

// HasConfigUI says whether a config editor is deployed to link to.
func (l Links) HasConfigUI() bool { return strings.TrimSpace(l.ConfigUI) != "" }

// InboxURL is where Alertmanager sends every alert for the config editor.
func (l Links) InboxURL() string {
	return strings.TrimRight(l.ConfigUI, "/") + ConfigUIInbox
}
