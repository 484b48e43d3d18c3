package rules

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
)

func TestConfigUIURLEscapesEachSegment(t *testing.T) {
	l := Links{ConfigUI: "https://kea-admin.example.net/"}
	got := l.ConfigUIURL(ConfigUISharedNetwork, map[string]string{"server": "kea 1", "daemon": "dhcp4", "shared_network": "campus/east+west"})
	want := "https://kea-admin.example.net/servers/kea%201/dhcp4/shared-networks/campus%2Feast+west"
	if got != want {
		t.Errorf("ConfigUIURL = %s, want %s", got, want)
	}
}

func TestDashboardURLSetsTheVariablesItHas(t *testing.T) {
	l := Links{Grafana: "http://grafana:3000"}
	got, err := l.DashboardURL(UIDKeaSubnets, map[string]string{"server": "kea 1", "subnet_id": "7", "unrelated": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://grafana:3000/d/ddiscope-kea-subnets/kea-subnets?var-server=kea+1&var-subnet_id=7"; got != want {
		t.Errorf("DashboardURL = %s, want %s", got, want)
	}
	if _, err := l.DashboardURL("nope", nil); err == nil {
		t.Error("a dashboard that does not exist got a URL")
	}
}

func TestDashboardUIDsAreUniqueAndEveryAlertHasOne(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Dashboards() {
		if seen[d.UID] || len(d.UID) > 40 {
			t.Errorf("dashboard UID %q is repeated or longer than Grafana's 40 characters", d.UID)
		}
		seen[d.UID] = true
	}
	groups, _ := Build(Default())
	for _, a := range Alerts(groups) {
		if !seen[a.Dashboard] {
			t.Errorf("%s links to dashboard %q, which is not in Dashboards()", a.Name, a.Dashboard)
		}
	}
}

// Every label a remediation page needs is one the alert carries, so the
// link is never missing a segment.
func TestRemediationPagesUseOnlyTheAlertsIdentity(t *testing.T) {
	groups, _ := Build(Default())
	for _, a := range Alerts(groups) {
		patterns := []string{a.Remediation}
		if a.RemediationIf != nil {
			patterns = append(patterns, a.RemediationIf.Pattern)
		}
		for _, p := range patterns {
			for _, l := range Placeholders(p) {
				if !slices.Contains(a.Identity, l) {
					t.Errorf("%s: page %s needs %s, not among its identity labels %v", a.Name, p, l, a.Identity)
				}
			}
		}
	}
}

// expandLike runs an annotation template the way Prometheus does for an
// alert (text/template, $labels, urlquery and reReplaceAll).
func expandLike(t *testing.T, text string, labels map[string]string) string {
	t.Helper()
	tmpl, err := template.New("a").Funcs(template.FuncMap{
		"reReplaceAll": func(pattern, repl, text string) string {
			return regexp.MustCompile(pattern).ReplaceAllString(text, repl)
		},
	}).Parse("{{$labels := .Labels}}" + text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, map[string]any{"Labels": labels}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The templated remediation_url, filled by Prometheus, decodes to the same
// page as the config editor's own ConfigUIURL for the same labels, even for
// names with spaces, plus signs, slashes and non-ASCII letters.
func TestRemediationTemplatesMatchConfigUIURL(t *testing.T) {
	c := Default()
	for _, server := range []string{"kea1", "dhcp server 2", "a+b", "a/b", "serveur-é"} {
		labels := map[string]string{"server": server, "daemon": "dhcp6", "subnet_id": "12", "pool_id": "3", "shared_network": "campus east", "lease_type": "prefix"}
		groups, _ := Build(c)
		for _, a := range Alerts(groups) {
			tmpl := c.remediationTemplate(a)
			if tmpl == "" {
				continue
			}
			pattern := a.Remediation
			if a.RemediationIf != nil && labels[a.RemediationIf.Label] == a.RemediationIf.Value {
				pattern = a.RemediationIf.Pattern
			}
			got, err := url.PathUnescape(expandLike(t, tmpl, labels))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := url.PathUnescape(c.Links.ConfigUIURL(pattern, labels))
			if got != want {
				t.Errorf("%s with server %q: template gives %s, ConfigUIURL %s", a.Name, server, got, want)
			}
			if strings.Count(expandLike(t, tmpl, labels), "/") != strings.Count(c.Links.ConfigUIURL(pattern, labels), "/") {
				t.Errorf("%s with server %q: a label value adds path segments", a.Name, server)
			}
		}
	}
}
