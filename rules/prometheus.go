package rules

import (
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Paths of the generated Prometheus files, relative to the output root.
const (
	RecordingRulesFile = "deploy/prometheus/ddiscope.rules.yml"
	AlertingRulesFile  = "deploy/prometheus/ddiscope.alerts.yml"
	PrometheusFile     = "deploy/prometheus/prometheus.yml"
)

// rule is one entry of a Prometheus rule group, fields in the usual order.
type rule struct {
	Record      string            `yaml:"record,omitempty"`
	Alert       string            `yaml:"alert,omitempty"`
	Expr        string            `yaml:"expr"`
	For         model.Duration    `yaml:"for,omitempty"`
	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations *Annotations      `yaml:"annotations,omitempty"`
}

// RecordingRules renders the recording rule groups (one per family that
// has any), each rule with its purpose as a comment.
func (c *Config) RecordingRules(groups []Group) ([]byte, error) {
	var gs []*yaml.Node
	for _, g := range groups {
		if len(g.Recordings) == 0 {
			continue
		}
		var rs []*yaml.Node
		for _, r := range g.Recordings {
			n, err := node(rule{Record: r.Record, Expr: r.Expr}, r.Help)
			if err != nil {
				return nil, err
			}
			rs = append(rs, n)
		}
		gs = append(gs, mapping("name", scalar("ddiscope-"+g.Name+".rules"), "rules", sequence(rs)))
	}
	return render(mapping("groups", sequence(gs)), "# Recording rules: the alerts in ddiscope.alerts.yml and the dashboards read these series.\n")
}

// AlertingRules renders the alerting rule groups, one per family.
func (c *Config) AlertingRules(groups []Group) ([]byte, error) {
	var gs []*yaml.Node
	for _, g := range groups {
		if len(g.Alerts) == 0 {
			continue
		}
		var rs []*yaml.Node
		for _, a := range g.Alerts {
			ann, err := c.annotations(a)
			if err != nil {
				return nil, err
			}
			n, err := node(rule{
				Alert: a.Name, Expr: a.Expr, For: a.For,
				Labels:      map[string]string{"severity": string(a.Severity), "component": a.Component},
				Annotations: &ann,
			}, "")
			if err != nil {
				return nil, err
			}
			rs = append(rs, n)
		}
		gs = append(gs, mapping("name", scalar("ddiscope-"+g.Name+".alerts"), "rules", sequence(rs)))
	}
	return render(mapping("groups", sequence(gs)), "# Alerting rules. Every alert links to its runbook (docs/runbooks/), its dashboard and, where the\n# cause is fixed in the config editor, to that page (remediation_url).\n")
}

// PrometheusConfig renders an example prometheus.yml that scrapes ddiscope,
// loads the rules and sends alerts to Alertmanager.
func (c *Config) PrometheusConfig() ([]byte, error) {
	doc := map[string]any{
		"global":     map[string]string{"scrape_interval": "30s", "evaluation_interval": "30s"},
		"rule_files": []string{"ddiscope.rules.yml", "ddiscope.alerts.yml"},
		"alerting": map[string]any{"alertmanagers": []any{map[string]any{
			"static_configs": []any{map[string]any{"targets": []string{"localhost:9093"}}},
		}}},
		"scrape_configs": []any{map[string]any{
			"job_name":       "ddiscope",
			"static_configs": []any{map[string]any{"targets": []string{"localhost:19547"}}},
		}},
	}
	return render(doc, "# An example Prometheus configuration: ddiscope scraped as job \"ddiscope\" (the rules' selector is\n# "+c.Selector+"), the rules beside this file, alerts to a local Alertmanager.\n")
}
