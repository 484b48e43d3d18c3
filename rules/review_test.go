package rules

import (
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
)

// Every check of the configuration review has its alert (and so its
// runbook, the check's documentation) with the check's severity.
func TestEveryConfigCheckHasAnAlert(t *testing.T) {
	groups, err := Build(Default())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Alert{}
	for _, a := range Alerts(groups) {
		byName[a.Name] = a
	}
	for _, c := range catalog.ConfigChecks {
		a, ok := byName[reviewAlertName(c.Name)]
		if !ok {
			t.Errorf("check %s has no alert %s", c.Name, reviewAlertName(c.Name))
			continue
		}
		if string(a.Severity) != c.Severity {
			t.Errorf("%s: severity %s, the check's is %s", a.Name, a.Severity, c.Severity)
		}
	}
	if len(reviewRunbooks) != len(catalog.ConfigChecks) {
		t.Errorf("%d runbooks for %d checks", len(reviewRunbooks), len(catalog.ConfigChecks))
	}
}
