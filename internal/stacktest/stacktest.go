// Package stacktest starts the whole ddiscope stack on this machine for
// end-to-end tests: a real Kea (a kea-dhcp4 load-balancing HA pair with a
// Control Agent each, and a kea-dhcp6), a throwaway PostgreSQL cluster,
// ddiscope polling every Kea, a real Prometheus with the generated rules, a
// real Alertmanager with the generated configuration, and the config editor
// (ddiscope-configui) as a real process with its YAML file and an admin
// made by `ddiscope-configui user add`. Chromium (chromedp) signs in to it.
//
// Everything listens on loopback or in network namespaces the harness makes,
// and ends with the test. The binaries are built once per test run (call
// Main from the package's TestMain, which also removes them).
package stacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/browsertest"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/rules"
)

// The server names, as ddiscope, Prometheus, Alertmanager and the editor
// all call them (the `server` label).
const (
	ServerA = "kea-a" // HA "server1" (primary), dhcp4 through its Control Agent
	ServerB = "kea-b" // HA "server2" (secondary)
	Server6 = "kea-6" // kea-dhcp6 on its UNIX socket
	Admin   = "admin" // the editor's admin user
)

// TinySubnet is subnet 1 of the HA pair, 198.18.0.0/24, outside any shared
// network (so its own utilisation alerts apply): 4 addresses, two in each
// peer's scope. A broadcast Perfdhcp4 of the pair with a dozen clients
// fills it (clients whose peer's pool is full get no offer).
const (
	TinySubnetID     = 1
	TinySubnetPrefix = "198.18.0.0/24"
	tinySubnet4      = `[
  { "id": 1, "subnet": "198.18.0.0/24", "pools": [
      { "pool": "198.18.0.10-198.18.0.11", "client-class": "HA_server1" },
      { "pool": "198.18.0.12-198.18.0.13", "client-class": "HA_server2" } ] },
  { "id": 3, "subnet": "198.18.2.0/24", "pools": [
      { "pool": "198.18.2.10-198.18.2.14", "client-class": "HA_server1" },
      { "pool": "198.18.2.15-198.18.2.19", "client-class": "HA_server2" } ] } ]`
	sharedNetworks4 = `[ { "name": "lab-lan", "subnet4": [
  { "id": 2, "subnet": "198.18.1.0/24", "pools": [
      { "pool": "198.18.1.10-198.18.1.109", "client-class": "HA_server1" },
      { "pool": "198.18.1.110-198.18.1.209", "client-class": "HA_server2" } ] } ] } ]`
)

// wait bounds every wait of the harness.
const wait = 60 * time.Second

// Options tune the stack.
type Options struct {
	// Rules changes the generated rules after the harness's own settings
	// (links.configui is the editor, Alertmanager's group wait and
	// interval 1 s, the inbox token file, and `for: 1s` on the subnet
	// utilisation alerts), before the files are generated.
	Rules func(*rules.Config)
	// PollInterval is how often the editor reads Alertmanager's
	// /api/v2/alerts (it also does at start); default 1 h, so that the
	// alerts it holds arrived by the webhook.
	PollInterval time.Duration
}

// Stack is a running stack. Every field is read-only.
type Stack struct {
	HA *keatest.HAPair // ServerA and ServerB
	V6 *keatest.Lab    // Server6 (its lab also runs a kea-dhcp4 without subnets, unused)
	PG *pgtest.Server

	// DB is the editor's database connection string (superuser, loopback).
	DB           string
	Prometheus   *promtest.PrometheusServer
	Alertmanager *promtest.AlertmanagerServer
	Ddiscope     string            // host:port of ddiscope's /metrics
	Rules        map[string][]byte // the generated files, by path (rules.AlertmanagerFile, ...)

	URL           string // the editor's root, http://127.0.0.1:port (links.configui)
	ConfigFile    string // the editor's YAML file
	AdminPassword string // Admin's password, as `user add` printed it
	WebhookToken  string // the inbox's bearer token (web.webhook-token-file, alertmanager.inbox-token-file)
	Bin           Binaries
	// Screenshots is where Screenshot writes: $DDISCOPE_SCREENSHOTS (a
	// path relative to the module's root, e.g. docs/screenshots) when
	// set, else a temporary directory of the test.
	Screenshots string
}

// Binaries are the project's binaries the stack runs.
type Binaries struct{ Ddiscope, ConfigUI string }

// built holds the binaries of this test run: building them is most of a
// cold start, and they do not change between tests.
var built struct {
	once sync.Once
	dir  string
	bin  Binaries
	err  error
}

// Main runs the package's tests and removes the binaries built for them:
// call it from TestMain as os.Exit(stacktest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	return code
}

// Build returns the ddiscope and ddiscope-configui binaries, built the
// first time it is called in this test run.
func Build(t testing.TB) Binaries {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "stacktest-bin-")
		if built.err != nil {
			return
		}
		for _, b := range []struct {
			name string
			path *string
		}{{"ddiscope", &built.bin.Ddiscope}, {"ddiscope-configui", &built.bin.ConfigUI}} {
			*b.path = filepath.Join(built.dir, b.name)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			out, err := exec.CommandContext(ctx, "go", "build", "-o", *b.path, "github.com/ddiscope/ddiscope/cmd/"+b.name).CombinedOutput()
			cancel()
			if err != nil {
				built.err = fmt.Errorf("building %s: %v\n%s", b.name, err, out)
				return
			}
		}
	})
	if built.err != nil {
		t.Fatalf("stacktest: %v", built.err)
	}
	return built.bin
}

// Require skips the test when a part of the stack is missing, or fails it
// under CI=true, naming what to install.
func Require(t testing.TB) {
	t.Helper()
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent", "perfdhcp", "ip")
	promtest.Require(t, promtest.Prometheus, promtest.Alertmanager)
	pgtest.Require(t)
	browsertest.Require(t)
}

// Start starts the stack and waits until every part answers: the HA pair
// in load-balancing, Prometheus scraping ddiscope, ddiscope reading all
// three servers, and the editor ready with its database.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	Require(t)
	s := &Stack{Bin: Build(t), Screenshots: screenshotDir(t)}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Hour
	}
	s.HA = keatest.StartHA(t, keatest.HAOptions{ControlAgent: true,
		Subnet4: [2]string{tinySubnet4, tinySubnet4}, SharedNetworks4: [2]string{sharedNetworks4, sharedNetworks4}})
	s.V6 = keatest.Start(t, keatest.Options{Traffic: true, DHCP6: true, Subnet4: "[]", SharedNetworks4: "[]"})
	s.PG = pgtest.Start(t)
	s.DB = s.PG.NewDatabase(t)

	dir := t.TempDir()
	editorAddr := promtest.FreeAddr(t)
	s.URL = "http://" + editorAddr
	s.WebhookToken = "stacktest-webhook-token-0123456789"
	tokenFile := filepath.Join(dir, "webhook.token")
	writeFile(t, tokenFile, s.WebhookToken+"\n")

	c, err := rules.Load("stacktest rules", strings.NewReader(fmt.Sprintf(`links:
  configui: %s
alertmanager:
  group-wait: 1s
  group-interval: 1s
  inbox-token-file: %s
alerts:
  KeaSubnetUtilizationHigh: {for: 1s}
  KeaSubnetUtilizationCritical: {for: 1s}
`, s.URL, tokenFile)))
	if err != nil {
		t.Fatalf("stacktest: %v", err)
	}
	if opts.Rules != nil {
		opts.Rules(c)
	}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	if s.Rules, err = rules.Files(c, cat); err != nil {
		t.Fatalf("stacktest: generating the rules: %v", err)
	}
	s.Alertmanager = promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: s.Rules[rules.AlertmanagerFile]})

	targets := fmt.Sprintf(`  - name: %s
    url: %s
    daemons: [dhcp4]
  - name: %s
    url: %s
    daemons: [dhcp4]
  - name: %s
    url: unix://%s
`, ServerA, s.HA.Servers[0].CAURL, ServerB, s.HA.Servers[1].CAURL, Server6, s.V6.Socket6)
	s.Ddiscope = promtest.StartDdiscope(t, s.Bin.Ddiscope, "defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n"+targets)
	s.Prometheus = promtest.StartPrometheus(t, promtest.PrometheusOptions{
		Jobs: []promtest.Job{{Name: "ddiscope", Targets: []string{s.Ddiscope}}},
		RuleFiles: map[string][]byte{
			"ddiscope.rules.yml":  s.Rules[rules.RecordingRulesFile],
			"ddiscope.alerts.yml": s.Rules[rules.AlertingRulesFile],
		},
		Alertmanagers: []string{s.Alertmanager.Addr},
	})

	s.ConfigFile = filepath.Join(dir, "configui.yml")
	writeFile(t, s.ConfigFile, fmt.Sprintf(`kea:
%salertmanager:
  url: %s
  poll-interval: %s
database:
  host: 127.0.0.1
  port: %d
  user: postgres
  name: %s
  retry-on-startup: false
web:
  external-url: %s/
  webhook-token-file: %s
`, targets, s.Alertmanager.URL, opts.PollInterval, s.PG.Port, dbName(t, s.DB), s.URL, tokenFile))
	out, err := exec.Command(s.Bin.ConfigUI, "--config.file="+s.ConfigFile, "user", "add", Admin, "--role=admin").CombinedOutput()
	m := regexp.MustCompile(`user ` + Admin + `: password (\S+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("stacktest: ddiscope-configui user add: %v\n%s", err, out)
	}
	s.AdminPassword = string(m[1])
	promtest.StartProcess(t, "ddiscope-configui", s.URL+"/-/ready", s.Bin.ConfigUI,
		"--config.file="+s.ConfigFile, "--web.listen-address="+editorAddr, "--log.level=debug")

	promtest.Eventually(t, wait, "ddiscope's kea_daemon_up = 1 for the three servers in Prometheus", func() bool {
		v, err := s.Prometheus.Query(`kea_daemon_up == 1`)
		return err == nil && len(v) == 3
	})
	return s
}

// Lab returns the Kea lab of a server name.
func (s *Stack) Lab(server string) *keatest.Lab {
	switch server {
	case ServerA:
		return s.HA.Servers[0]
	case ServerB:
		return s.HA.Servers[1]
	case Server6:
		return s.V6
	}
	return nil
}

// WaitForAlert waits until Alertmanager's API holds an active alert of that
// name for which match (nil: any) holds, and returns it.
func (s *Stack) WaitForAlert(t testing.TB, name string, match func(promtest.AMAlert) bool) promtest.AMAlert {
	t.Helper()
	var got promtest.AMAlert
	promtest.Eventually(t, wait, name+" active at Alertmanager", func() bool {
		as, err := s.Alertmanager.Alerts()
		if err != nil {
			return false
		}
		for _, a := range as {
			if a.Labels["alertname"] == name && a.Status.State == "active" && (match == nil || match(a)) {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

// Browser starts a fresh headless Chromium (empty profile, signed out).
func (s *Stack) Browser(t testing.TB) context.Context {
	t.Helper()
	return browsertest.Start(t, browsertest.Options{Width: 1280, Height: 900})
}

// SignIn opens target (a path or URL of the editor) signed out, as a user
// following a link does: the editor sends the browser to its sign-in
// page, the admin signs in, and the browser is back on target. It fails
// the test when any step does not happen within 30 s.
func (s *Stack) SignIn(t testing.TB, ctx context.Context, target string) {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = s.URL + target
	}
	if err := browsertest.Do(t, ctx, 30*time.Second,
		chromedp.Navigate(target),
		chromedp.WaitVisible(chromedp.CSS("form.login #password")),
	); err != nil {
		t.Fatalf("stacktest: opening %s signed out: %v", target, err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, s.URL+"/login?") {
		t.Fatalf("stacktest: %s signed out went to %s, want the sign-in page", target, loc)
	}
	if err := browsertest.Do(t, ctx, 30*time.Second,
		chromedp.SendKeys(chromedp.CSS("#username"), Admin),
		chromedp.SendKeys(chromedp.CSS("#password"), s.AdminPassword),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	); err != nil {
		t.Fatalf("stacktest: signing in: %v", err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != target {
		t.Fatalf("stacktest: signed in on %s, want %s", loc, target)
	}
}

// Open navigates to target (a path or URL of the editor) and returns the
// text of its <main>.
func (s *Stack) Open(t testing.TB, ctx context.Context, target string) string {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = s.URL + target
	}
	if err := browsertest.Do(t, ctx, 30*time.Second, chromedp.Navigate(target), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatalf("stacktest: opening %s: %v", target, err)
	}
	return s.Text(t, ctx, "main")
}

// Text returns the visible text of the first element matching sel: a CSS
// selector, or an XPath expression when it starts with "/".
func (s *Stack) Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	return browsertest.Text(t, ctx, sel)
}

func screenshotDir(t testing.TB) string {
	t.Helper()
	d := os.Getenv("DDISCOPE_SCREENSHOTS")
	if d == "" {
		return t.TempDir()
	}
	if filepath.IsAbs(d) {
		return d
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("stacktest: DDISCOPE_SCREENSHOTS=%s: %v", d, err)
	}
	return filepath.Join(root, d)
}

// Screenshot writes a full-page PNG of the browser's page to
// Screenshots/name and returns its path.
func (s *Stack) Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	path := filepath.Join(s.Screenshots, name)
	browsertest.Screenshot(t, ctx, path)
	return path
}

func moduleRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		d = parent
	}
}

// Statistic reads one statistic from a server's own DHCP daemon socket:
// what Kea itself reports, for comparing with a page.
func (s *Stack) Statistic(t testing.TB, server, daemon, name string) int64 {
	t.Helper()
	l := s.Lab(server)
	socket := l.Socket4
	if daemon == "dhcp6" {
		socket = l.Socket6
	}
	v, ok := l.Statistic(t, socket, name)
	if !ok {
		t.Fatalf("stacktest: %s %s has no statistic %s", server, daemon, name)
	}
	return v
}

// Leases4 returns a server's DHCPv4 leases, from lease4-get-all on its
// own socket.
func (s *Stack) Leases4(t testing.TB, server string) []Lease4 {
	t.Helper()
	l := s.Lab(server)
	var r struct {
		Arguments struct {
			Leases []Lease4 `json:"leases"`
		} `json:"arguments"`
	}
	raw := l.Command(t, l.Socket4, "lease4-get-all", nil)
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("stacktest: lease4-get-all on %s: %v\n%s", server, err, raw)
	}
	return r.Arguments.Leases
}

// Lease4 is a lease as Kea's lease4-get-all reports it.
type Lease4 struct {
	IP       string `json:"ip-address"`
	HW       string `json:"hw-address"`
	Hostname string `json:"hostname"`
	SubnetID int    `json:"subnet-id"`
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// dbName is the dbname of a pgtest connection string.
func dbName(t testing.TB, conn string) string {
	t.Helper()
	for _, f := range strings.Fields(conn) {
		if v, ok := strings.CutPrefix(f, "dbname="); ok {
			return v
		}
	}
	t.Fatalf("stacktest: no dbname in %q", conn)
	return ""
}
