// Package e2e tests the generated rules end to end: a real Kea, ddiscope,
// Prometheus with the rules and Alertmanager with the generated
// configuration, all on this machine.
package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// wait bounds every wait of the test.
const wait = 90 * time.Second

// tinySubnet is one subnet, outside any shared network (so that its own
// utilisation alerts apply), whose 4-address pool a broadcast perfdhcp run
// fills: giaddr 198.18.0.250 selects it.
const tinySubnet = `[{"id": 1, "subnet": "198.18.0.0/24", "pools": [{"pool": "198.18.0.10-198.18.0.13"}]}]`

// TestFullSubnetAlertReachesTheConfigEditorInbox: perfdhcp fills a real
// Kea's tiny pool; ddiscope polls Kea; Prometheus, loaded with the rules
// generated through rules.Load (short `for` only), fires the critical
// utilisation alert; Alertmanager, with the generated configuration, delivers
// it to the config editor's inbox webhook with its remediation_url, and
// holds back the warning it supersedes.
//
// It runs on Kea 2.2 and on Kea 3.0.4.
func TestFullSubnetAlertReachesTheConfigEditorInbox(t *testing.T) {
	promtest.Require(t, promtest.Prometheus, promtest.Alertmanager)
	keatest.Versions(t, testFullSubnetAlertReachesTheConfigEditorInbox)
}

func testFullSubnetAlertReachesTheConfigEditorInbox(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{Traffic: true, Subnet4: tinySubnet, SharedNetworks4: "[]", Kea: v})
	inbox := promtest.NewWebhook(t)

	files := generate(t, fmt.Sprintf(`# the defaults, with the config editor at the test's webhook and no waiting
links:
  configui: %s
alertmanager:
  group-wait: 1s
  group-interval: 1s
alerts:
  KeaSubnetUtilizationHigh: {for: 1s}
  KeaSubnetUtilizationCritical: {for: 1s}
`, inbox.URL))
	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: files[rules.AlertmanagerFile]})
	exporter := promtest.StartDdiscope(t, promtest.BuildDdiscope(t, t.TempDir()), fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab\n    url: unix://%s\n", lab.Socket4))
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{
		Jobs: []promtest.Job{{Name: "ddiscope", Targets: []string{exporter}}},
		RuleFiles: map[string][]byte{
			"ddiscope.rules.yml":  files[rules.RecordingRulesFile],
			"ddiscope.alerts.yml": files[rules.AlertingRulesFile],
		},
		Alertmanagers: []string{am.Addr},
	})

	utilization := `kea:subnet_utilization:ratio{server="lab", daemon="dhcp4", subnet_id="1"}`
	promtest.Eventually(t, wait, "the empty subnet recorded by Prometheus", func() bool {
		v, err := prom.Query(utilization)
		return err == nil && len(v) == 1 && v[0].Value == 0
	})
	if as, err := prom.Alerts(); err != nil || slices.ContainsFunc(as, func(a promtest.Alert) bool {
		return strings.HasPrefix(a.Labels["alertname"], "KeaSubnet")
	}) {
		t.Fatalf("subnet alerts before any lease: %+v, %v", as, err)
	}

	res := lab.Perfdhcp4(t, 6)
	t.Logf("perfdhcp: %d clients got a lease", res.Completed())
	alert := prom.WaitForAlert(t, wait, "KeaSubnetUtilizationCritical", "firing")
	if alert.Labels["subnet"] != "198.18.0.0/24" || alert.Labels["severity"] != "critical" {
		t.Errorf("Prometheus fired %+v", alert)
	}

	msg, got := inbox.WaitFor(t, wait, "KeaSubnetUtilizationCritical at the config editor's inbox", func(_ promtest.WebhookMessage, a promtest.WebhookAlert) bool {
		return a.Labels["alertname"] == "KeaSubnetUtilizationCritical" && a.Status == "firing"
	})
	if msg.Receiver != rules.InboxReceiver {
		t.Errorf("delivered by receiver %q, want %q", msg.Receiver, rules.InboxReceiver)
	}
	want := map[string]string{
		"remediation_url": inbox.URL + "/servers/lab/dhcp4/subnets/1",
		"dashboard_url":   "http://localhost:3000/d/ddiscope-kea-subnets/kea-subnets?var-server=lab&var-daemon=dhcp4&var-subnet_id=1",
		"runbook_url":     "https://github.com/ddiscope/ddiscope/blob/main/docs/runbooks/KeaSubnetUtilizationCritical.md",
		"description":     "Subnet 198.18.0.0/24 (dhcp4 subnet-id 1) on lab has 100% of its addresses leased (critical above 95%).",
	}
	for k, v := range want {
		if got.Annotations[k] != v {
			t.Errorf("delivered %s = %q, want %q", k, got.Annotations[k], v)
		}
	}

	// The warning fires in Prometheus too, but the critical alert inhibits it.
	prom.WaitForAlert(t, wait, "KeaSubnetUtilizationHigh", "firing")
	promtest.Eventually(t, wait, "KeaSubnetUtilizationHigh held back by Alertmanager", func() bool {
		as, err := am.Alerts()
		if err != nil {
			return false
		}
		for _, a := range as {
			if a.Labels["alertname"] == "KeaSubnetUtilizationHigh" {
				return a.Status.State == "suppressed" && len(a.Status.InhibitedBy) > 0
			}
		}
		return false
	})
	for _, m := range inbox.Messages() {
		for _, a := range m.Alerts {
			if a.Labels["alertname"] == "KeaSubnetUtilizationHigh" {
				t.Errorf("the inhibited warning reached the inbox: %+v", a)
			}
		}
	}
}

// generate makes the rule files from a YAML override, as ddiscope-gen
// -rules.config does.
func generate(t *testing.T, override string) map[string][]byte {
	t.Helper()
	c, err := rules.Load("e2e override", strings.NewReader(override))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	files, err := rules.Files(c, cat)
	if err != nil {
		t.Fatal(err)
	}
	return files
}
