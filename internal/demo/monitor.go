package demo

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/dashboards"
	"github.com/ddiscope/ddiscope/rules"
)

// AdminUser is the editor's user the demo creates.
const AdminUser = "admin"

// AlertFor is the `for` of the utilisation alerts in the demo's rules
// (the defaults wait 5 to 15 minutes, which no newcomer does).
const AlertFor = "15s"

// rulesOverride is the demo's ddiscope-gen -rules.config: the links point at
// the demo's editor and Grafana, and the utilisation alerts and
// Alertmanager wait seconds, not minutes.
func (s *State) rulesOverride() string {
	return fmt.Sprintf(`links:
  configui: http://127.0.0.1:%d
  grafana: http://127.0.0.1:%d
alertmanager:
  group-wait: 5s
  group-interval: 15s
alerts:
  KeaSubnetUtilizationHigh: {for: %[3]s}
  KeaSubnetUtilizationCritical: {for: %[3]s}
  KeaPoolUtilizationHigh: {for: %[3]s}
  KeaPoolUtilizationCritical: {for: %[3]s}
`, s.Info.Ports.ConfigUI, s.Info.Ports.Grafana, AlertFor)
}

// generate writes the rules, the Alertmanager configuration and the
// dashboards, from the same packages as ddiscope-gen, under gen/.
func (s *State) generate() (map[string][]byte, error) {
	override := s.rulesOverride()
	if err := os.WriteFile(s.path("rules-override.yml"), []byte(override), 0o644); err != nil {
		return nil, err
	}
	rc, err := rules.Load("the demo's rules override", strings.NewReader(override))
	if err != nil {
		return nil, err
	}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		return nil, err
	}
	files, err := rules.Files(rc, cat)
	if err != nil {
		return nil, err
	}
	dash, err := dashboards.Files(rc)
	if err != nil {
		return nil, err
	}
	for p, b := range dash {
		files[p] = b
	}
	for p, b := range files {
		if !strings.HasPrefix(p, "deploy/") {
			continue // runbooks and docs: the repository has them
		}
		dst := s.path("gen", p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// withInboxToken gives the generated Alertmanager configuration's inbox
// receiver the editor's webhook token, as docs/configui.md tells an
// operator to.
func withInboxToken(am []byte, tokenFile string) ([]byte, error) {
	var conf map[string]any
	if err := yaml.Unmarshal(am, &conf); err != nil {
		return nil, fmt.Errorf("generated alertmanager.yml: %w", err)
	}
	recvs, _ := conf["receivers"].([]any)
	for _, r := range recvs {
		m, _ := r.(map[string]any)
		if m["name"] != rules.InboxReceiver {
			continue
		}
		hooks, _ := m["webhook_configs"].([]any)
		for _, h := range hooks {
			if hm, ok := h.(map[string]any); ok {
				hm["http_config"] = map[string]any{"authorization": map[string]any{"credentials_file": tokenFile}}
				return yaml.Marshal(conf)
			}
		}
	}
	return nil, fmt.Errorf("generated alertmanager.yml has no %s webhook", rules.InboxReceiver)
}

func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// startAlertmanager writes its configuration (the generated one, with the
// inbox's token) and starts it, clustering off.
func (s *State) startAlertmanager(files map[string][]byte) error {
	bin, err := findBinary("prometheus-alertmanager")
	if err != nil {
		if bin, err = findBinary("alertmanager"); err != nil {
			return fmt.Errorf("prometheus-alertmanager not found (Debian package prometheus-alertmanager)")
		}
	}
	dir := s.path("alertmanager")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf, err := withInboxToken(files[rules.AlertmanagerFile], s.path("configui", "webhook-token"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), conf, 0o644); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", s.Info.Ports.Alertmanager)
	_, exited, err := s.spawn(launch{Name: "alertmanager", Dir: dir, Log: filepath.Join(dir, "alertmanager.log"),
		Args: []string{bin, "--config.file=" + filepath.Join(dir, "alertmanager.yml"), "--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr, "--cluster.listen-address="}})
	if err != nil {
		return err
	}
	return waitFor(30*time.Second, exited, "Alertmanager ready", func() error { return httpOK("http://" + addr + "/-/ready") })
}

// startPrometheus writes a configuration scraping ddiscope every 5 s with
// the generated rules and starts Prometheus.
func (s *State) startPrometheus(files map[string][]byte) error {
	bin, err := findBinary("prometheus")
	if err != nil {
		return fmt.Errorf("prometheus not found (Debian package prometheus)")
	}
	dir := s.path("prometheus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []string{rules.RecordingRulesFile, rules.AlertingRulesFile} {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), files[f], 0o644); err != nil {
			return err
		}
	}
	conf := fmt.Sprintf(`# The demo's Prometheus: deploy/prometheus/prometheus.yml with 5 s intervals.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files: [ddiscope.rules.yml, ddiscope.alerts.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["127.0.0.1:%d"]}]
scrape_configs:
  - job_name: ddiscope    # the generated rules select job="ddiscope"
    static_configs: [{targets: ["127.0.0.1:%d"]}]
`, s.Info.Ports.Alertmanager, s.Info.Ports.Ddiscope)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(conf), 0o644); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", s.Info.Ports.Prometheus)
	_, exited, err := s.spawn(launch{Name: "prometheus", Dir: dir, Log: filepath.Join(dir, "prometheus.log"),
		Args: []string{bin, "--config.file=" + filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr}})
	if err != nil {
		return err
	}
	return waitFor(60*time.Second, exited, "Prometheus ready", func() error { return httpOK("http://" + addr + "/-/ready") })
}

// startDdiscope writes ddiscope's configuration, one target per real
// server: each HA peer once (ddiscope pairs the two itself and counts the
// pair once in its fleet totals), the DHCPv6 server, and both named.
func (s *State) startDdiscope(binDir string) error {
	dir := s.path("ddiscope")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(`# The demo's ddiscope: every real server once. Edit, then: curl -X POST http://127.0.0.1:PORT/-/reload
defaults:
  interval: 5s
  timeout: 4s
  lease-interval: 15s   # lease passes: pool utilisation on Kea 2.2, lease ages (docs/leases.md)
kea:
`)
	for _, k := range s.keaServers() {
		fmt.Fprintf(&b, "  - name: %s\n    url: unix://%s\n", k.Name, k.Socket)
	}
	fmt.Fprintf(&b, "bind:\n  - name: %s\n    url: http://127.0.0.1:%d/\n    zone-interval: 15s\n  - name: %s\n    url: http://127.0.0.1:%d/\n    zone-interval: 15s\n",
		NSPrimary, s.Info.Ports.PrimaryStats, NSSecondary, s.Info.Ports.SecondaryStat)
	conf := filepath.Join(dir, "ddiscope.yml")
	if err := os.WriteFile(conf, []byte(strings.ReplaceAll(b.String(), "PORT", fmt.Sprint(s.Info.Ports.Ddiscope))), 0o644); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", s.Info.Ports.Ddiscope)
	_, exited, err := s.spawn(launch{Name: "ddiscope", Dir: dir, Log: filepath.Join(dir, "ddiscope.log"),
		Args: []string{filepath.Join(binDir, "ddiscope"), "--config.file=" + conf, "--web.listen-address=" + addr}})
	if err != nil {
		return err
	}
	return waitFor(30*time.Second, exited, "ddiscope ready", func() error { return httpOK("http://" + addr + "/-/ready") })
}

// writeSecrets writes the editor's webhook token (which Alertmanager
// sends too) and session key.
func (s *State) writeSecrets() error {
	dir := s.path("configui")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "webhook-token"), []byte(randomSecret(24)+"\n"), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "session-key"), []byte(randomSecret(48)), 0o600)
}

// startConfigUI writes the editor's configuration and secrets, creates the
// admin user (whose generated password it returns) and starts the editor.
func (s *State) startConfigUI(binDir string) (string, error) {
	dir := s.path("configui")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	token, key := filepath.Join(dir, "webhook-token"), filepath.Join(dir, "session-key")
	var b strings.Builder
	b.WriteString("# The demo's config editor (docs/configui.md): the same Kea servers, under the same names as ddiscope's.\nkea:\n")
	for _, k := range s.keaServers() {
		fmt.Fprintf(&b, "  - name: %s\n    url: unix://%s\n", k.Name, k.Socket)
	}
	fmt.Fprintf(&b, `alertmanager:
  url: http://127.0.0.1:%d
  poll-interval: 30s
database:
  host: 127.0.0.1
  port: %d
  name: %s
  user: postgres
web:
  external-url: http://127.0.0.1:%d/
  webhook-token-file: %s
  session-key-file: %s
`, s.Info.Ports.Alertmanager, s.Info.Ports.Postgres, pgDatabase, s.Info.Ports.ConfigUI, token, key)
	conf := filepath.Join(dir, "configui.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(binDir, "ddiscope-configui")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "--config.file="+conf, "serve", "--check-config").CombinedOutput(); err != nil {
		return "", fmt.Errorf("ddiscope-configui --check-config: %v\n%s", err, out)
	}
	out, err := exec.CommandContext(ctx, bin, "--config.file="+conf, "user", "add", AdminUser, "--role=admin").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ddiscope-configui user add: %v\n%s", err, out)
	}
	password := ""
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "user "+AdminUser+": password "); ok {
			password = strings.TrimSpace(rest)
		}
	}
	if password == "" {
		return "", fmt.Errorf("ddiscope-configui user add printed no password: %s", out)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", s.Info.Ports.ConfigUI)
	_, exited, err := s.spawn(launch{Name: "ddiscope-configui", Dir: dir, Log: filepath.Join(dir, "configui.log"),
		Args: []string{bin, "--config.file=" + conf, "serve", "--web.listen-address=" + addr}})
	if err != nil {
		return "", err
	}
	return password, waitFor(30*time.Second, exited, "ddiscope-configui ready", func() error { return httpOK("http://" + addr + "/-/ready") })
}

// startGrafana starts grafana-server where it is installed, with the
// generated dashboards and a data source for the demo's Prometheus. It
// reports false (and no error) when Grafana is not installed: Debian has no
// package for it.
func (s *State) startGrafana(password string) (bool, error) {
	bin, err := findBinary("grafana-server")
	if err != nil {
		return false, nil
	}
	home := "/usr/share/grafana"
	dir := s.path("grafana")
	prov := filepath.Join(dir, "provisioning")
	for _, d := range []string{filepath.Join(prov, "dashboards"), filepath.Join(prov, "datasources"), filepath.Join(prov, "plugins"),
		filepath.Join(prov, "alerting"), filepath.Join(dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return false, err
		}
	}
	files := map[string]string{
		filepath.Join(prov, "datasources", "ddiscope.yml"): fmt.Sprintf(`apiVersion: 1
datasources:
  - name: Prometheus (ddiscope demo)
    uid: ddiscope-prometheus
    type: prometheus
    access: proxy
    url: http://127.0.0.1:%d
    isDefault: true
    jsonData: {timeInterval: 5s}
`, s.Info.Ports.Prometheus),
		filepath.Join(prov, "dashboards", "ddiscope.yml"): fmt.Sprintf(`apiVersion: 1
providers:
  - name: ddiscope
    folder: ddiscope
    type: file
    options: {path: %s}
`, s.path("gen", dashboards.DashboardsDir)),
		filepath.Join(dir, "grafana.ini"): fmt.Sprintf(`[paths]
data = %[1]s/data
logs = %[1]s/data/log
plugins = %[1]s/data/plugins
provisioning = %[2]s
[server]
http_addr = 127.0.0.1
http_port = %[3]d
[security]
admin_user = admin
admin_password = %[4]s
[analytics]
reporting_enabled = false
check_for_updates = false
check_for_plugin_updates = false
[news]
news_feed_enabled = false
`, dir, prov, s.Info.Ports.Grafana, password),
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			return false, err
		}
	}
	_, exited, err := s.spawn(launch{Name: "grafana", Dir: dir, Log: filepath.Join(dir, "grafana.log"),
		Args: []string{bin, "--homepath=" + home, "--config=" + filepath.Join(dir, "grafana.ini")}})
	if err != nil {
		return false, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/api/health", s.Info.Ports.Grafana)
	return true, waitFor(60*time.Second, exited, "Grafana ready", func() error { return httpOK(url) })
}
