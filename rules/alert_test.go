package rules

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryAlertIsComplete pins the mixin conventions every alert follows.
func TestEveryAlertIsComplete(t *testing.T) {
	groups, err := Build(Default())
	if err != nil {
		t.Fatal(err)
	}
	camel := regexp.MustCompile(`^[A-Z][a-z]+([A-Z0-9]+[a-z0-9]*)+$`)
	// A flag check (== 0, == 1, != 0, > 0 on a 0/1 gauge) has no value
	// worth printing; every threshold alert prints its value.
	stateCheck := regexp.MustCompile(`((==|!=) [01]|> 0)\s*$`)
	for _, a := range Alerts(groups) {
		if !camel.MatchString(a.Name) {
			t.Errorf("%s is not CamelCase", a.Name)
		}
		if !a.Severity.valid() {
			t.Errorf("%s: severity %q", a.Name, a.Severity)
		}
		if !slices.Contains([]string{ComponentDdiscope, ComponentKea, ComponentHA, ComponentBIND}, a.Component) {
			t.Errorf("%s: component %q", a.Name, a.Component)
		}
		if a.Summary == "" || strings.Contains(a.Summary, "{{") || !strings.HasSuffix(a.Summary, ".") {
			t.Errorf("%s: the summary %q must be one static sentence", a.Name, a.Summary)
		}
		if !strings.Contains(a.Description, "$labels.server") && !strings.Contains(a.Description, "$labels.instance") {
			t.Errorf("%s: the description does not name the server: %s", a.Name, a.Description)
		}
		if slices.Contains(a.Identity, "subnet_id") && !strings.Contains(a.Description, "$labels.subnet ") && !strings.Contains(a.Description, "$labels.subject ") { // the review's subject starts with the subnet
			t.Errorf("%s: the description does not name the subnet: %s", a.Name, a.Description)
		}
		if !stateCheck.MatchString(a.Expr) && !strings.Contains(a.Description, "$value") {
			t.Errorf("%s: a threshold alert whose description does not give the value: %s", a.Name, a.Description)
		}
		if a.For <= 0 {
			t.Errorf("%s: no for duration: one bad scrape would page", a.Name)
		}
		r := a.Runbook
		if r.Meaning == "" || r.Impact == "" || r.Diagnosis == "" || r.Fix == "" {
			t.Errorf("%s: the runbook lacks a section: %+v", a.Name, r)
		}
		if len(a.Identity) == 0 {
			t.Errorf("%s: no identity labels", a.Name)
		}
	}
}
