// Package e2e tests the generated rules end to end: a real Kea, ddiscope,
// Prometheus with the rules and Alertmanager with the generated
// configuration, all on this machine.
package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// ddiscopeBinary is built once by TestMain.
var ddiscopeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ddiscope-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ddiscopeBinary = filepath.Join(dir, "ddiscope")
	if out, err := exec.Command("go", "build", "-o", ddiscopeBinary, "github.com/ddiscope/ddiscope/cmd/ddiscope").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building ddiscope: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

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
func TestFullSubnetAlertReachesTheConfigEditorInbox(t *testing.T) {
	promtest.Require(t, promtest.Prometheus, promtest.Alertmanager)
	lab := keatest.Start(t, keatest.Options{Traffic: true, Subnet4: tinySubnet, SharedNetworks4: "[]"})
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
	exporter := startDdiscope(t, fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab\n    url: unix://%s\n", lab.Socket4))
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

// lockedBuffer is ddiscope's output, read when the test fails.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDdiscope runs the built ddiscope with the configuration on a free
// port and returns its address once it answers.
func startDdiscope(t *testing.T, config string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ddiscope.yml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := promtest.FreeAddr(t)
	out := &lockedBuffer{}
	cmd := exec.Command(ddiscopeBinary, "--web.listen-address="+addr, "--config.file="+path)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("ddiscope output:\n%s", out)
		}
	})
	promtest.Eventually(t, 15*time.Second, "ddiscope answering on "+addr, func() bool {
		resp, err := http.Get("http://" + addr + "/-/healthy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return addr
}
