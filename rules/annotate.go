package rules

import (
	"fmt"
	"strings"
)

// Annotations are an alert's annotations, in the order they are written.
type Annotations struct {
	Summary        string `yaml:"summary"`
	Description    string `yaml:"description"`
	RunbookURL     string `yaml:"runbook_url"`
	DashboardURL   string `yaml:"dashboard_url"`
	RemediationURL string `yaml:"remediation_url,omitempty"`
}

// annotations renders the alert's annotations: links are Prometheus
// templates that fill in the firing alert's labels.
func (c *Config) annotations(a Alert) (Annotations, error) {
	dash, err := c.dashboardTemplate(a)
	if err != nil {
		return Annotations{}, fmt.Errorf("alert %s: %w", a.Name, err)
	}
	return Annotations{
		Summary:        a.Summary,
		Description:    a.Description,
		RunbookURL:     c.Links.RunbookURL(a.Name),
		DashboardURL:   dash,
		RemediationURL: c.remediationTemplate(a),
	}, nil
}

// dashboardTemplate links to the alert's dashboard with the variables its
// labels can fill.
func (c *Config) dashboardTemplate(a Alert) (string, error) {
	d, ok := DashboardByUID(a.Dashboard)
	if !ok {
		return "", fmt.Errorf("no dashboard with UID %q", a.Dashboard)
	}
	var q []string
	for _, v := range dashboardVars(a, d) {
		q = append(q, "var-"+v+"={{ $labels."+v+" | urlquery }}")
	}
	u := fmt.Sprintf("%s/d/%s/%s", strings.TrimRight(c.Links.Grafana, "/"), d.UID, d.Slug)
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u, nil
}

// remediationTemplate links to the config editor page where the cause is
// fixed, or is empty (also when there is no config editor).
func (c *Config) remediationTemplate(a Alert) string {
	if a.Remediation == "" || !c.Links.HasConfigUI() {
		return ""
	}
	page := func(pattern string) string {
		return strings.TrimRight(c.Links.ConfigUI, "/") + Expand(pattern, pathLabel)
	}
	if a.RemediationIf == nil {
		return page(a.Remediation)
	}
	r := a.RemediationIf
	return fmt.Sprintf(`{{ if eq $labels.%s %q }}%s{{ else }}%s{{ end }}`, r.Label, r.Value, page(r.Pattern), page(a.Remediation))
}

// pathLabel is a label's value escaped for a URL path segment. Prometheus
// templates have only urlquery (query escaping: a space becomes "+"), so the
// "+" it leaves for spaces become %20; a literal "+" it has escaped already.
// Labels whose values are numbers or fixed words need no escaping.
func pathLabel(name string) string {
	switch name {
	case "daemon", "subnet_id", "pool_id":
		return label(name)
	}
	return `{{ $labels.` + name + ` | urlquery | reReplaceAll "[+]" "%20" }}`
}
