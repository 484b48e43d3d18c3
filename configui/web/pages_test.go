package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/internal/pgtest"
	"github.com/ddiscope/ddiscope/rules"
)

// Every remediation_url the generated alerts carry opens a page: the routes
// are the rules.ConfigUI* patterns, walked with real label values.
func TestEveryRemediationLinkOpensAPage(t *testing.T) {
	pg := pgtest.Start(t)
	e := newEditor(t, pg, "")
	c := e.signedIn("vic")
	groups, err := rules.Build(rules.Default())
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{"server": "kea1", "daemon": "dhcp4", "subnet_id": "1", "pool_id": "0", "shared_network": "floor 1/2"}
	var links rules.Links
	seen := map[string]bool{}
	for _, a := range rules.Alerts(groups) {
		patterns := []string{a.Remediation}
		if a.RemediationIf != nil {
			patterns = append(patterns, a.RemediationIf.Pattern)
		}
		for _, p := range patterns {
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			path := links.ConfigUIURL(p, values)
			resp, body := e.get(c, path)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>") {
				t.Errorf("%s (%s): %s", a.Name, path, resp.Status)
			}
		}
	}
	if len(seen) < 4 {
		t.Fatalf("only %d remediation patterns among the generated alerts", len(seen))
	}
	// Unknown servers, daemons and IDs are 404s, not empty pages.
	for _, p := range []string{"/servers/nope", "/servers/kea1/dhcp5/subnets/1", "/servers/kea1/dhcp4/subnets/x", "/servers/kea1/dhcp4/subnets/0"} {
		if resp, _ := e.get(c, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s", p, resp.Status)
		}
	}
}
