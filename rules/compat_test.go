package rules_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// TestCompatRulesReadOnlyCatalogMetrics reads the generated migration
// rules back with Prometheus's rulefmt and PromQL parser: every selector
// names a metric of the catalog (never an old name, nor a recorded series)
// with the configured selector, and every rule records an old name of its
// exporter's table with job set to rules.CompatJob.
func TestCompatRulesReadOnlyCatalogMetrics(t *testing.T) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	for _, selector := range []string{`job="ddiscope"`, `job="ddiscope-prod"`} {
		c := rules.Default()
		c.Selector = selector
		required, err := parser.NewParser(parser.Options{}).ParseMetricSelector("{" + selector + "}")
		if err != nil {
			t.Fatal(err)
		}
		dir := generate(t, c)
		p := parser.NewParser(parser.Options{})
		for _, e := range c.Exporters() {
			want := map[string]bool{}
			for _, m := range e.Metrics {
				if want[m.Name] {
					t.Errorf("%s: %s is in the table twice", e.Key, m.Name)
				}
				want[m.Name] = true
			}
			groups, errs := rulefmt.ParseFile(filepath.Join(dir, e.File), false, model.UTF8Validation, p, promslog.NewNopLogger())
			if len(errs) > 0 {
				t.Fatalf("%s does not parse as Prometheus rules: %v", e.File, errs)
			}
			recorded := map[string]bool{}
			for _, g := range groups.Groups {
				for _, r := range g.Rules {
					if r.Alert != "" || !want[r.Record] {
						t.Errorf("%s: rule %s%s is not an old name of %s", e.File, r.Record, r.Alert, e.Key)
					}
					recorded[r.Record] = true
					if r.Labels["job"] != rules.CompatJob {
						t.Errorf("%s: %s sets job %q, want %q", e.File, r.Record, r.Labels["job"], rules.CompatJob)
					}
					expr, err := p.ParseExpr(r.Expr)
					if err != nil {
						t.Errorf("%s: %s: %v", e.File, r.Record, err)
						continue
					}
					parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
						vs, ok := n.(*parser.VectorSelector)
						if !ok {
							return nil
						}
						name := vs.Name
						if cat.Metric(name) == nil {
							t.Errorf("%s: %s reads %q, which is not in the catalog", e.File, r.Record, name)
						}
						for _, req := range required {
							if !slices.ContainsFunc(vs.LabelMatchers, func(m *labels.Matcher) bool { return m.String() == req.String() }) {
								t.Errorf("%s: %s: selector %s lacks %s", e.File, r.Record, vs, req)
							}
						}
						return nil
					})
				}
			}
			for name := range want {
				if !recorded[name] {
					t.Errorf("%s: %s of the table has no rule", e.File, name)
				}
			}
		}
	}
}

// TestCompatRulesAreNotLoadedByDefault: the example prometheus.yml loads
// ddiscope's own rules only; the migration rules are opt-in.
func TestCompatRulesAreNotLoadedByDefault(t *testing.T) {
	var conf struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(generate(t, rules.Default()), rules.PrometheusFile)), &conf); err != nil {
		t.Fatal(err)
	}
	if len(conf.RuleFiles) == 0 {
		t.Fatal("prometheus.yml loads no rule files")
	}
	for _, e := range rules.Default().Exporters() {
		rel, err := filepath.Rel(filepath.Dir(rules.PrometheusFile), e.File)
		if err != nil {
			t.Fatal(err)
		}
		for _, pattern := range conf.RuleFiles {
			if ok, _ := filepath.Match(pattern, rel); ok {
				t.Errorf("prometheus.yml loads %s (rule_files entry %q)", e.File, pattern)
			}
		}
	}
}

// TestCompatRulesFailTheCheckOnAnUnknownMetric: the catalog check that
// guards the generated files also guards the migration rules.
func TestCompatRulesFailTheCheckOnAnUnknownMetric(t *testing.T) {
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	c := rules.Default()
	groups := c.CompatGroups()
	if err := rules.Check(c, groups, cat); err != nil {
		t.Fatalf("the migration rules fail the catalog check: %v", err)
	}
	groups[0].Recordings[0].Expr = strings.Replace(groups[0].Recordings[0].Expr, "kea_dhcp4_packets_sent_by_type_total", "kea_dhcp4_packets_sent_by_kind_total", 1)
	if err := rules.Check(c, groups, cat); err == nil || !strings.Contains(err.Error(), "kea_dhcp4_packets_sent_by_kind_total") {
		t.Errorf("a rule reading a metric the catalog lacks passes the check: %v", err)
	}
}

// TestPromtoolChecksCompatRules runs Debian's promtool over the migration
// rule files.
func TestPromtoolChecksCompatRules(t *testing.T) {
	promtest.Require(t, promtest.Promtool)
	dir := generate(t, rules.Default())
	args := []string{"check", "rules"}
	for _, e := range rules.Default().Exporters() {
		args = append(args, filepath.Join(dir, e.File))
	}
	if out, err := promtest.RunPromtool(t, args...); err != nil {
		t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
