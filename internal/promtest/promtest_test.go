package promtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAlertTravelsFromPrometheusToWebhook: Prometheus scrapes Alertmanager,
// a rule on that scrape fires, Alertmanager delivers it to the webhook with
// its annotation.
func TestAlertTravelsFromPrometheusToWebhook(t *testing.T) {
	Require(t, Prometheus, Alertmanager)
	hook := NewWebhook(t)
	am := StartAlertmanager(t, AlertmanagerOptions{Config: []byte(fmt.Sprintf(`
route:
  receiver: hook
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: hook
    webhook_configs:
      - url: %s/inbox
`, hook.URL))})
	prom := StartPrometheus(t, PrometheusOptions{
		Jobs: []Job{{Name: "alertmanager", Targets: []string{am.Addr}}},
		RuleFiles: map[string][]byte{"test.yml": []byte(`
groups:
  - name: test
    rules:
      - alert: AlertmanagerScraped
        expr: up{job="alertmanager"} == 1
        annotations:
          description: '{{ $labels.instance }} is up'
`)},
		Alertmanagers: []string{am.Addr},
	})

	Eventually(t, 30*time.Second, "Alertmanager scraped", func() bool {
		v, err := prom.Query(`up{job="alertmanager"}`)
		return err == nil && len(v) == 1 && v[0].Value == 1
	})
	if ts, err := prom.Targets(); err != nil || len(ts) != 1 || ts[0].Health != "up" {
		t.Errorf("targets = %+v, %v; want the one Alertmanager, up", ts, err)
	}
	a := prom.WaitForAlert(t, 30*time.Second, "AlertmanagerScraped", "firing")
	if a.Annotations["description"] != am.Addr+" is up" {
		t.Errorf("description %q, want the instance templated in", a.Annotations["description"])
	}
	msg, got := hook.WaitFor(t, 30*time.Second, "the alert at the webhook", func(_ WebhookMessage, a WebhookAlert) bool {
		return a.Labels["alertname"] == "AlertmanagerScraped"
	})
	if msg.Receiver != "hook" || got.Status != "firing" || got.Annotations["description"] != am.Addr+" is up" {
		t.Errorf("webhook got receiver %q, alert %+v", msg.Receiver, got)
	}
	held, err := am.Alerts()
	if err != nil || len(held) != 1 || held[0].Status.State != "active" {
		t.Errorf("Alertmanager holds %+v, %v; want the one alert, active", held, err)
	}
	if _, err := prom.Query(`up{`); err == nil {
		t.Error("a query that does not parse returned no error")
	}
}

func TestToolsReportValidity(t *testing.T) {
	Require(t, Promtool, Amtool)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(good, []byte("groups:\n  - name: g\n    rules:\n      - record: x:y:sum\n        expr: sum(up)\n"), 0o644)
	os.WriteFile(bad, []byte("groups:\n  - name: g\n    rules:\n      - record: x:y:sum\n        expr: sum(up\n"), 0o644)
	if out, err := RunPromtool(t, "check", "rules", good); err != nil {
		t.Errorf("promtool check rules on a good file: %v\n%s", err, out)
	}
	if out, err := RunPromtool(t, "check", "rules", bad); err == nil {
		t.Errorf("promtool check rules on a bad file succeeded:\n%s", out)
	}
	am := filepath.Join(dir, "am.yml")
	os.WriteFile(am, []byte("route:\n  receiver: r\nreceivers:\n  - name: r\n"), 0o644)
	if out, err := RunAmtool(t, "check-config", am); err != nil || !strings.Contains(out, "SUCCESS") {
		t.Errorf("amtool check-config: %v\n%s", err, out)
	}
}

func TestRequireNamesTheDebianPackage(t *testing.T) {
	if got := debianPackage(Alertmanager); got != "prometheus-alertmanager" {
		t.Errorf("package of %s = %q", Alertmanager, got)
	}
	if got := debianPackage(Promtool); got != "prometheus" {
		t.Errorf("package of %s = %q", Promtool, got)
	}
	if _, err := find("no-such-binary-promtest"); err == nil {
		t.Error("found a binary that does not exist")
	}
}
