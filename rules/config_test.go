package rules

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

func load(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	return Load("my-rules.yml", strings.NewReader(yaml))
}

func find(groups []Group, name string) (Alert, bool) {
	for _, a := range Alerts(groups) {
		if a.Name == name {
			return a, true
		}
	}
	return Alert{}, false
}

func TestAnEmptyOverrideFileIsTheDefault(t *testing.T) {
	c, err := load(t, "# nothing to change\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Thresholds.UtilizationWarning != Default().Thresholds.UtilizationWarning || c.Selector != Default().Selector {
		t.Errorf("an empty file changed the defaults: %+v", c)
	}
}

func TestOverridesChangeOnlyWhatTheyName(t *testing.T) {
	c, err := load(t, `
selector: 'job="ddiscope-prod"'
links:
  configui: https://kea-admin.example.net
thresholds:
  utilization-warning: 0.85
alertmanager:
  repeat-interval: {critical: 30m}
alerts:
  KeaSubnetUtilizationHigh: {for: 30m, severity: info}
  DdiscopeOTLPExportFailing: {disabled: true}
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Thresholds.UtilizationCritical != 0.95 || c.Links.Grafana != Default().Links.Grafana {
		t.Errorf("keys the file does not name changed: %+v %+v", c.Thresholds, c.Links)
	}
	if c.Alertmanager.RepeatInterval[Critical] != model.Duration(30*time.Minute) || c.Alertmanager.RepeatInterval[Info] != model.Duration(24*time.Hour) {
		t.Errorf("repeat intervals %v: critical overridden, the others kept", c.Alertmanager.RepeatInterval)
	}
	groups, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	high, _ := find(groups, "KeaSubnetUtilizationHigh")
	if high.For != model.Duration(30*time.Minute) || high.Severity != Info {
		t.Errorf("KeaSubnetUtilizationHigh: for %s severity %s, want 30m info", high.For, high.Severity)
	}
	if !strings.Contains(high.Expr, `> 0.85`) {
		t.Errorf("the threshold did not reach the expression: %s", high.Expr)
	}
	if _, ok := find(groups, "DdiscopeOTLPExportFailing"); ok {
		t.Error("a disabled alert is still generated")
	}
	down, _ := find(groups, "KeaDaemonDown")
	if !strings.Contains(down.Expr, `job="ddiscope-prod"`) {
		t.Errorf("the selector did not reach the expressions: %s", down.Expr)
	}
}

func TestDisablingAnAlertDropsItsInhibitions(t *testing.T) {
	c, err := load(t, "alerts:\n  KeaSubnetUtilizationHigh: {disabled: true}\n")
	if err != nil {
		t.Fatal(err)
	}
	groups, err := Build(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range Inhibitions(groups) {
		if slices.ContainsFunc(in.Target, func(m string) bool { return strings.Contains(m, "KeaSubnetUtilizationHigh") }) {
			t.Errorf("inhibition %v targets a disabled alert", in)
		}
	}
}

func TestBadOverridesAreRejectedNamingTheKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"thresholds:\n  utilisation-warning: 0.9\n", "utilisation-warning"},
		{"alerts:\n  KeaSubnetUtilisationHigh: {for: 1m}\n", `no alert named "KeaSubnetUtilisationHigh"`},
		{"alerts:\n  KeaDaemonDown: {severity: page}\n", `severity "page"`},
		{"thresholds:\n  utilization-critical: 1.5\n", "utilization-critical is 1.5"},
		{"thresholds:\n  utilization-warning: 0.97\n", "must be below utilization-critical"},
		{"thresholds:\n  stale-after: 0s\n", "stale-after must be a positive duration"},
		{"thresholds:\n  stale-after: soon\n", "soon"},
		{"alertmanager:\n  webhooks:\n    urgent: [http://x/]\n", `"urgent" is not a severity`},
		{"alertmanager:\n  webhooks:\n    critical: [/hook]\n", `webhooks: critical: "/hook": want an absolute http:// or https:// URL`},
		{"links:\n  configui: kea-admin:9548\n", `links: configui "kea-admin:9548"`},
		{"alertmanager:\n  inbox-token-file: \"\"\n", "inbox-token-file is empty"},
	} {
		c, err := load(t, tc.yaml)
		if err == nil {
			_, err = Build(c)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one naming %q", tc.yaml, err, tc.want)
		}
		if err != nil && !strings.Contains(err.Error(), "my-rules.yml") && !strings.Contains(err.Error(), "alerts:") {
			t.Errorf("%q: error %v does not name the file", tc.yaml, err)
		}
	}
}

func TestShortForOverrideKeepsTheExpression(t *testing.T) {
	c, err := load(t, "alerts:\n  KeaSubnetUtilizationCritical: {for: 1s}\n")
	if err != nil {
		t.Fatal(err)
	}
	def, _ := Build(Default())
	got, _ := Build(c)
	a, _ := find(def, "KeaSubnetUtilizationCritical")
	b, _ := find(got, "KeaSubnetUtilizationCritical")
	if a.Expr != b.Expr || b.For != model.Duration(time.Second) {
		t.Errorf("for override changed more than for: %+v", b)
	}
}
