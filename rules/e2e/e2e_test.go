// Package e2e tests the generated rules end to end: a real Kea, ddiscope,
// Prometheus with the rules and Alertmanager with the generated
// configuration, all on this machine.
package e2e

import (
	"fmt"
	"os"
	"path/filepath"
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
	token := filepath.Join(t.TempDir(), "inbox.token")
	if err := os.WriteFile(token, []byte("e2e-inbox-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	files := generate(t, fmt.Sprintf(`# the defaults, with the config editor at the test's webhook and no waiting
links:
  configui: %s
alertmanager:
  group-wait: 1s
  group-interval: 1s
  inbox-token-file: %s
alerts:
  KeaSubnetUtilizationHigh: {for: 1s}
  KeaSubnetUtilizationCritical: {for: 1s}
`, inbox.URL, token))
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
	// Alertmanager trims the file's trailing newline, as the editor does.
	if msg.Authorization != "Bearer e2e-inbox-token-0123456789" {
		t.Errorf("delivered with Authorization %q, want the bearer token from inbox-token-file", msg.Authorization)
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

// TestWithoutConfigEditorAndWithMigrationRules: generated without a config
// editor (links.configui empty) and with kea-exporter's migration rules
// loaded, a real Prometheus publishes kea-exporter's names from ddiscope's
// series of a real Kea, and the real Alertmanager (Debian's, which rejected
// the inbox webhook without a URL) delivers the critical alert to the
// critical receiver, without a remediation_url.
func TestWithoutConfigEditorAndWithMigrationRules(t *testing.T) {
	promtest.Require(t, promtest.Prometheus, promtest.Alertmanager)
	lab := keatest.Start(t, keatest.Options{Traffic: true, Subnet4: tinySubnet, SharedNetworks4: "[]"})
	pager := promtest.NewWebhook(t)

	files := generate(t, fmt.Sprintf(`links:
  configui: ""
alertmanager:
  group-wait: 1s
  group-interval: 1s
  webhooks:
    critical: [%s]
alerts:
  KeaSubnetUtilizationCritical: {for: 1s}
`, pager.URL))
	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: files[rules.AlertmanagerFile]})
	exporter := promtest.StartDdiscope(t, promtest.BuildDdiscope(t, t.TempDir()), fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab\n    url: unix://%s\n", lab.Socket4))
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{
		Jobs: []promtest.Job{{Name: "ddiscope", Targets: []string{exporter}}},
		RuleFiles: map[string][]byte{
			"ddiscope.rules.yml":     files[rules.RecordingRulesFile],
			"ddiscope.alerts.yml":    files[rules.AlertingRulesFile],
			"kea-exporter.rules.yml": files[rules.KeaExporterCompatFile],
		},
		Alertmanagers: []string{am.Addr},
	})

	old := `kea_dhcp4_addresses_total{job="` + rules.CompatJob + `", server="lab", subnet_id="1", subnet="198.18.0.0/24", pool=""}`
	promtest.Eventually(t, wait, "kea-exporter's kea_dhcp4_addresses_total of the tiny subnet", func() bool {
		v, err := prom.Query(old)
		return err == nil && len(v) == 1 && v[0].Value == 4
	})

	res := lab.Perfdhcp4(t, 6)
	t.Logf("perfdhcp: %d clients got a lease", res.Completed())
	promtest.Eventually(t, wait, "kea-exporter's kea_dhcp4_addresses_assigned_total equal to ddiscope's series", func() bool {
		o, err1 := prom.Query(`kea_dhcp4_addresses_assigned_total{job="` + rules.CompatJob + `", subnet_id="1"}`)
		n, err2 := prom.Query(`kea_dhcp4_subnet_addresses_assigned{job="ddiscope", subnet_id="1"}`)
		return err1 == nil && err2 == nil && len(o) == 1 && len(n) == 1 && o[0].Value == n[0].Value && n[0].Value > 0
	})

	msg, got := pager.WaitFor(t, wait, "KeaSubnetUtilizationCritical at the critical receiver", func(_ promtest.WebhookMessage, a promtest.WebhookAlert) bool {
		return a.Labels["alertname"] == "KeaSubnetUtilizationCritical" && a.Status == "firing"
	})
	if msg.Receiver != "critical" {
		t.Errorf("delivered by receiver %q, want critical", msg.Receiver)
	}
	if u, ok := got.Annotations["remediation_url"]; ok {
		t.Errorf("delivered with remediation_url %q, without a config editor", u)
	}
}

// twoPoolSubnet is one subnet outside any shared network with two pools:
// the first, 4 addresses, fills with a broadcast perfdhcp run of 4 clients
// (Kea hands out the first pool first); the second, 40, stays empty, and so
// does the subnet as a whole (4 of 44).
const twoPoolSubnet = `[{"id": 1, "subnet": "198.18.0.0/24", "pools": [{"pool": "198.18.0.10-198.18.0.13"}, {"pool": "198.18.0.20-198.18.0.59"}]}]`

// TestPoolAlertFromLeasePassesOnKea22: Debian's Kea 2.2 reports no pool
// statistics; with lease passes on, ddiscope counts each pool range, the
// recording rule takes those counts where Kea has none, and Prometheus fires
// KeaPoolUtilizationCritical for the full pool only, while the subnet is far
// from its thresholds.
func TestPoolAlertFromLeasePassesOnKea22(t *testing.T) {
	promtest.Require(t, promtest.Prometheus)
	lab := keatest.Start(t, keatest.Options{Traffic: true, Subnet4: twoPoolSubnet, SharedNetworks4: "[]"})
	files := generate(t, `# the defaults, with no waiting
alerts:
  KeaPoolUtilizationHigh: {for: 1s}
  KeaPoolUtilizationCritical: {for: 1s}
`)
	exporter := promtest.StartDdiscope(t, promtest.BuildDdiscope(t, t.TempDir()),
		fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\n  lease-interval: 1s\nkea:\n  - name: lab\n    url: unix://%s\n", lab.Socket4))
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{
		Jobs: []promtest.Job{{Name: "ddiscope", Targets: []string{exporter}}},
		RuleFiles: map[string][]byte{
			"ddiscope.rules.yml":  files[rules.RecordingRulesFile],
			"ddiscope.alerts.yml": files[rules.AlertingRulesFile],
		},
	})
	full := `kea:pool_utilization:ratio{server="lab", daemon="dhcp4", lease_type="address", subnet_id="1", pool_id="0", pool="198.18.0.10-198.18.0.13"}`
	promtest.Eventually(t, wait, "both empty pools recorded from the lease passes", func() bool {
		v, err := prom.Query(`kea:pool_utilization:ratio{server="lab"} == 0`)
		return err == nil && len(v) == 2
	})

	if r := lab.Perfdhcp4(t, 4); r.Completed() != 4 {
		t.Fatalf("perfdhcp: %d of 4 clients got a lease:\n%s", r.Completed(), r.Output)
	}
	alert := prom.WaitForAlert(t, wait, "KeaPoolUtilizationCritical", "firing")
	if alert.Labels["pool"] != "198.18.0.10-198.18.0.13" || alert.Labels["pool_id"] != "0" || alert.Labels["lease_type"] != "address" {
		t.Errorf("Prometheus fired %+v, want the full pool 198.18.0.10-198.18.0.13", alert)
	}
	// The number came from the lease passes: Kea 2.2 has no pool statistics.
	if v, err := prom.Query(`kea_dhcp4_pool_utilization_ratio`); err != nil || len(v) != 0 {
		t.Errorf("Kea 2.2 pool statistics in Prometheus: %v, %v", v, err)
	}
	if v, err := prom.Query(full); err != nil || len(v) != 1 || v[0].Value != 1 {
		t.Errorf("%s = %v, %v; want one series at 1", full, v, err)
	}
	as, err := prom.Alerts()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.Labels["pool"] == "198.18.0.20-198.18.0.59" || strings.HasPrefix(a.Labels["alertname"], "KeaSubnet") {
			t.Errorf("alert for the empty pool or the subnet (4 of 44 leased): %+v", a)
		}
	}
}
