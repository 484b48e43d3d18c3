package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// TestPromtoolChecksGeneratedFiles runs Debian's promtool over the rule
// files and the example configuration.
func TestPromtoolChecksGeneratedFiles(t *testing.T) {
	promtest.Require(t, promtest.Promtool)
	dir := generate(t, rules.Default())
	for _, args := range [][]string{
		{"check", "rules", filepath.Join(dir, rules.RecordingRulesFile), filepath.Join(dir, rules.AlertingRulesFile)},
		{"check", "config", filepath.Join(dir, rules.PrometheusFile)},
	} {
		if out, err := promtest.RunPromtool(t, args...); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// promtoolTests are the promtool unit test files, beside the rules they
// test once copied (their rule_files name the generated files).
func promtoolTests(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/promtool/*.test.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in testdata/promtool: %v", err)
	}
	return files
}

// TestPromtoolUnitTests runs every promtool test file against the rules
// generated with the defaults: alerts fire with their labels and exact
// annotations, links included, and stay quiet where they should.
func TestPromtoolUnitTests(t *testing.T) {
	promtest.Require(t, promtest.Promtool)
	dir := filepath.Join(generate(t, rules.Default()), filepath.Dir(rules.AlertingRulesFile))
	for _, src := range promtoolTests(t) {
		t.Run(filepath.Base(src), func(t *testing.T) {
			dst := filepath.Join(dir, filepath.Base(src))
			if err := os.WriteFile(dst, readFile(t, src), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := promtest.RunPromtool(t, "test", "rules", dst); err != nil {
				t.Errorf("promtool test rules %s: %v\n%s", filepath.Base(src), err, out)
			}
		})
	}
}

// promtoolFile is the part of a promtool test file the coverage check reads.
type promtoolFile struct {
	Tests []struct {
		Name  string `yaml:"name"`
		Cases []struct {
			Alertname string `yaml:"alertname"`
			Exp       []struct {
				Labels      map[string]string `yaml:"exp_labels"`
				Annotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertHasAFiringAndAQuietPromtoolCase: no alert ships untested.
// Each has a case expecting it to fire, with every annotation (and a
// remediation_url exactly when it links to the config editor), and a case
// expecting it quiet.
func TestEveryAlertHasAFiringAndAQuietPromtoolCase(t *testing.T) {
	fires, quiet := map[string]int{}, map[string]int{}
	byName := map[string]rules.Alert{}
	for _, a := range defaultAlerts(t) {
		byName[a.Name] = a
	}
	for _, src := range promtoolTests(t) {
		var f promtoolFile
		if err := yaml.Unmarshal(readFile(t, src), &f); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		for _, tc := range f.Tests {
			for _, c := range tc.Cases {
				a, ok := byName[c.Alertname]
				if !ok {
					t.Errorf("%s: test %q expects alert %s, which the rules do not have", src, tc.Name, c.Alertname)
					continue
				}
				if len(c.Exp) == 0 {
					quiet[c.Alertname]++
					continue
				}
				fires[c.Alertname]++
				for _, e := range c.Exp {
					want := []string{"summary", "description", "runbook_url", "dashboard_url"}
					if a.Remediation != "" {
						want = append(want, "remediation_url")
					}
					for _, k := range want {
						if e.Annotations[k] == "" {
							t.Errorf("%s: test %q: the expected %s lacks the %s annotation", src, tc.Name, c.Alertname, k)
						}
					}
					if len(e.Annotations) != len(want) {
						t.Errorf("%s: test %q: %s expects annotations %v, want exactly %v", src, tc.Name, c.Alertname, keys(e.Annotations), want)
					}
					if e.Labels["severity"] != string(a.Severity) {
						t.Errorf("%s: test %q: %s expected with severity %q, the rule has %q", src, tc.Name, c.Alertname, e.Labels["severity"], a.Severity)
					}
				}
			}
		}
	}
	for name := range byName {
		if fires[name] == 0 {
			t.Errorf("%s has no promtool case that fires it", name)
		}
		if quiet[name] == 0 {
			t.Errorf("%s has no promtool case that keeps it quiet", name)
		}
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
