package rules_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/rules"
)

// TestGeneratedExpressionsNameOnlyCatalogMetrics reads the generated rule
// files back with Prometheus's rulefmt, parses every expression with its
// PromQL parser and fails on any metric name the catalog does not define.
// Recorded series are defined by the recording rules; `up` by Prometheus.
func TestGeneratedExpressionsNameOnlyCatalogMetrics(t *testing.T) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	dir := generate(t, rules.Default())
	p := parser.NewParser(parser.Options{})
	defined := map[string]bool{"up": true}
	seen := map[string]bool{}
	for _, file := range []string{rules.RecordingRulesFile, rules.AlertingRulesFile} {
		groups, errs := rulefmt.Parse(readFile(t, filepath.Join(dir, file)), false, model.UTF8Validation, p, promslog.NewNopLogger())
		if len(errs) > 0 {
			t.Fatalf("%s does not parse as Prometheus rules: %v", file, errs)
		}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				expr, err := p.ParseExpr(r.Expr)
				if err != nil {
					t.Errorf("%s %s%s: %v", file, r.Record, r.Alert, err)
					continue
				}
				parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
					vs, ok := n.(*parser.VectorSelector)
					if !ok {
						return nil
					}
					name := vs.Name
					for _, m := range vs.LabelMatchers {
						if m.Name == labels.MetricName {
							name = m.Value
						}
					}
					seen[name] = true
					if cat.Metric(name) == nil && !defined[name] {
						t.Errorf("%s %s%s: metric %q is not in the catalog", file, r.Record, r.Alert, name)
					}
					return nil
				})
				if r.Record != "" {
					defined[r.Record] = true
				}
			}
		}
	}
	if len(seen) < 20 {
		t.Errorf("only %d metric names found in the rules: the walk is broken", len(seen))
	}
}

// TestCheckRejectsWhatTheCatalogDoesNotDefine: rules.Check (run by
// ddiscope-gen before it writes anything) catches each kind of mistake.
func TestCheckRejectsWhatTheCatalogDoesNotDefine(t *testing.T) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	c := rules.Default()
	good, err := rules.Build(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := rules.Check(c, good, cat); err != nil {
		t.Fatalf("the default rules fail the check: %v", err)
	}
	for _, tc := range []struct{ expr, description, want string }{
		{`kea_dhcp4_subnet_utilisation_ratio{job="ddiscope"} > 0.8`, "", `"kea_dhcp4_subnet_utilisation_ratio" is not in the catalog`},
		{`rate(kea_dhcp4_packets_sent_by_type_total{job="ddiscope", type="nack"}[5m]) > 0`, "", `never has type="nack"`},
		{`kea_daemon_up{job="ddiscope", subnet_id="1"} == 0`, "", `matches label "subnet_id"`},
		{`kea_daemon_up == 0`, "", `lacks the configured selector`},
		{`sum by (subnet) (kea_daemon_up{job="ddiscope"}) == 0`, "", `groups or matches on label "subnet"`},
		{`kea_daemon_up{job="ddiscope"} == 0`, "{{ $labels.subnet_id }}", `$labels.subnet_id`},
		{`kea_daemon_up{job="ddiscope"} ==`, "", `does not parse`},
	} {
		bad := []rules.Group{{Name: "bad", Alerts: []rules.Alert{{
			Name: "Bad", Severity: rules.Warning, Component: rules.ComponentKea, Expr: tc.expr,
			Summary: "s", Description: tc.description, Dashboard: rules.UIDKeaOverview,
		}}}}
		err := rules.Check(c, append(good[:len(good):len(good)], bad...), cat)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Check(%s) = %v, want an error with %q", tc.expr, err, tc.want)
		}
	}
}

// TestDaemonDoesNotImportRulesDependencies: Prometheus's and
// Alertmanager's modules stay out of the ddiscope binary.
func TestDaemonDoesNotImportRulesDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/ddiscope/ddiscope/cmd/ddiscope").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/prometheus/prometheus/", "github.com/prometheus/alertmanager/", "github.com/ddiscope/ddiscope/rules"} {
			if strings.HasPrefix(dep+"/", banned) {
				t.Errorf("cmd/ddiscope depends on %s", dep)
			}
		}
	}
}
