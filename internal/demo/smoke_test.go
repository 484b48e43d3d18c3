package demo_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ddiscope/ddiscope/internal/browsertest"
	"github.com/ddiscope/ddiscope/internal/demo"
)

// alertWait bounds the wait for the utilisation alert: the demo promises
// about two minutes from the start.
const alertWait = 3 * time.Minute

// serviceBinaries are the programs of the system services the demo's
// packages bring: one of them running as a daemon (parent PID 1) that was
// not there before the demo is a service the demo started.
var serviceBinaries = []string{"kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent", "named", "postgres", "prometheus", "prometheus-aler", "grafana-server", "grafana"}

// TestDemoSmoke runs the demo as a newcomer does (`make demo`, which runs
// `ddiscope-demo up`), waits for the utilisation alert to reach the config
// editor's inbox, checks the fleet totals against the real servers, takes
// the README's screenshots, stops the demo (`make demo-stop`) and checks
// that nothing it started is left: no process, no listener, no namespace,
// no service started or enabled.
//
// It needs root and the demo's Debian packages; it skips without them, and
// fails under CI=true. UPDATE_SCREENSHOTS=1 writes the screenshots to
// docs/screenshots/.
func TestDemoSmoke(t *testing.T) {
	requireDemo(t)
	bin := buildBinaries(t)
	dir, err := os.MkdirTemp("", "ddd") // short: Kea's socket paths must fit in 108 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	offset := freeOffset(t)
	bootBefore := bootLinkList(t)
	daemonsBefore := serviceDaemons(t)

	out := runMake(t, bin, dir, offset, "demo", "--no-install --traffic-minutes=10")
	t.Cleanup(func() { runDemo(t, bin, dir, offset, "down") }) // also when the test fails half-way
	info := readInfo(t, dir)
	if !strings.Contains(out, "password "+info.Password) || info.Password == "" {
		t.Errorf("up did not print the admin password:\n%s", out)
	}
	for _, want := range []string{"Grafana", fmt.Sprintf("http://127.0.0.1:%d/inbox", info.Ports.ConfigUI), "make demo-stop"} {
		if !strings.Contains(out, want) {
			t.Errorf("up's summary lacks %q:\n%s", want, out)
		}
	}
	procs := readProcs(t, dir)
	if len(procs) < 10 {
		t.Fatalf("up recorded %d processes: %+v", len(procs), procs)
	}

	// A second up leaves the running demo alone.
	again := runDemo(t, bin, dir, offset, "up", "--no-install")
	if !strings.Contains(again, "already running") || len(readProcs(t, dir)) != len(procs) {
		t.Errorf("a second up did not leave the running demo alone:\n%s", again)
	}

	editor := fmt.Sprintf("http://127.0.0.1:%d", info.Ports.ConfigUI)
	client := login(t, editor, info.Admin, info.Password)
	eventually(t, alertWait, "KeaSubnetUtilizationCritical in the config editor's inbox", func() error {
		page := get(t, client, editor+"/inbox")
		if !strings.Contains(page, "KeaSubnetUtilizationCritical") {
			return fmt.Errorf("not in the inbox yet")
		}
		return nil
	})
	subnetPage := editor + "/servers/" + demo.KeaHA1 + "/dhcp4/subnets/1"
	if page := get(t, client, subnetPage); !strings.Contains(page, "KeaSubnetUtilizationCritical") {
		t.Errorf("the full subnet's page does not show its alert:\n%.2000s", page)
	}
	checkFleetTotals(t, dir, info)
	screenshots(t, editor, subnetPage, info)

	runMake(t, bin, dir, offset, "demo-stop", "")
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("after down, %s (pid %d) still runs", p.Name, p.PID)
		}
	}
	for _, port := range info.Ports.TCPPorts() {
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
			t.Errorf("after down, port %d is still taken: %v", port, err)
		} else {
			l.Close()
		}
	}
	for _, ns := range readInfo(t, dir).Namespaces {
		t.Errorf("demo.json still lists namespace %s", ns)
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "ddiscope-demo-") && strings.Contains(e.Name(), nsID(dir)) {
			t.Errorf("after down, namespace %s remains", e.Name())
		}
	}
	if after := bootLinkList(t); !slices.Equal(bootBefore, after) {
		t.Errorf("boot links changed: before %v, after %v", bootBefore, after)
	}
	for _, d := range serviceDaemons(t) {
		if !slices.Contains(daemonsBefore, d) {
			t.Errorf("a service daemon runs that did not before the demo: %s", d)
		}
	}
}

// freeOffset finds a port offset at which every demo port is free, below
// the ephemeral range (32768 up) where other programs' connections come and go.
func freeOffset(t *testing.T) int {
	t.Helper()
	for i := 0; i < 30; i++ {
		offset := 10000 + ((os.Getpid()+i)%30)*100
		if demo.CheckPorts(demo.DefaultPorts(offset)) == nil {
			return offset
		}
	}
	t.Fatal("no port offset with every demo port free")
	return 0
}

func requireDemo(t *testing.T) {
	t.Helper()
	skip := func(format string, args ...any) {
		if os.Getenv("CI") == "true" {
			t.Fatalf(format+" (CI=true, so this is an error)", args...)
		}
		t.Skipf(format, args...)
	}
	if os.Geteuid() != 0 {
		skip("the demo needs root (network namespaces)")
	}
	missing, err := demo.Missing()
	if err != nil {
		skip("%v", err)
	}
	if len(missing) > 0 {
		skip("missing Debian packages %s (scripts/install-deps.sh installs them)", strings.Join(missing, " "))
	}
}

// buildBinaries builds what `make build` does into a temporary directory.
func buildBinaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	for _, c := range []string{"ddiscope", "ddiscope-configui", "ddiscope-demo"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, c), "../../cmd/"+c).CombinedOutput()
		if err != nil {
			t.Fatalf("building %s: %v\n%s", c, err, out)
		}
	}
	return bin
}

// runMake runs `make demo` or `make demo-stop` as a newcomer does, with the
// binaries in bin, the state in dir and the ports moved by offset.
func runMake(t *testing.T, bin, dir string, offset int, target, flags string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "-C", "../..", target, "BIN="+bin, "DEMO_FLAGS="+flags)
	cmd.Env = append(os.Environ(), "DEMO_DIR="+dir, "DEMO_PORT_OFFSET="+strconv.Itoa(offset))
	out, err := cmd.CombinedOutput()
	t.Logf("make %s:\n%s", target, out)
	if err != nil {
		t.Fatalf("make %s: %v", target, err)
	}
	return string(out)
}

func runDemo(t *testing.T, bin, dir string, offset int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "ddiscope-demo"), append([]string{"--dir", dir}, args...)...)
	cmd.Env = append(os.Environ(), "DEMO_PORT_OFFSET="+strconv.Itoa(offset))
	out, err := cmd.CombinedOutput()
	t.Logf("ddiscope-demo %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		t.Fatalf("ddiscope-demo %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

func readInfo(t *testing.T, dir string) demo.Info {
	t.Helper()
	s, err := demo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s.Info
}

func readProcs(t *testing.T, dir string) []demo.Proc {
	t.Helper()
	s, err := demo.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s.Procs()
}

func nsID(dir string) string {
	lan := demo.NamespaceNames(dir)[0]
	return strings.TrimSuffix(strings.TrimPrefix(lan, "ddiscope-demo-"), "-lan")
}

// login signs in to the editor as a browser would: the sign-in form's CSRF
// token and pre-session cookie, then the form.
func login(t *testing.T, editor, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(get(t, c, editor+"/login"))
	if m == nil {
		t.Fatal("no CSRF token in the sign-in form")
	}
	resp, err := c.PostForm(editor+"/login", url.Values{"csrf_token": {m[1]}, "next": {"/inbox"}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(string(body), `name="password"`) {
		t.Fatalf("sign-in as %s: HTTP %d\n%.1000s", user, resp.StatusCode, body)
	}
	return c
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d\n%.1000s", u, resp.StatusCode, b)
	}
	return string(b)
}

func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, timeout, err)
		}
		time.Sleep(2 * time.Second)
	}
}

// checkFleetTotals: ddiscope's fleet totals are what the real servers
// hold, with the HA pair counted once — per subnet the peer reporting more
// leases, as docs/ha.md says — and the DHCPv6 server's own numbers.
func checkFleetTotals(t *testing.T, dir string, info demo.Info) {
	t.Helper()
	ha1, ha2, v6 := filepath.Join(dir, "kea/ha1/kea4.sock"), filepath.Join(dir, "kea/ha2/kea4.sock"), filepath.Join(dir, "kea/v6/kea6.sock")
	stat := func(sock, name string) int64 {
		n, err := demo.Statistic(sock, name)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, time.Minute, "fleet totals equal to the real servers'", func() error {
		var size, assigned, pairSum int64
		for id := 1; id <= 4; id++ {
			size += stat(ha1, fmt.Sprintf("subnet[%d].total-addresses", id))
			a1, a2 := stat(ha1, fmt.Sprintf("subnet[%d].assigned-addresses", id)), stat(ha2, fmt.Sprintf("subnet[%d].assigned-addresses", id))
			assigned += max(a1, a2)
			pairSum += a1 + a2
		}
		want := map[string]float64{
			"kea_dhcp4_fleet_addresses":          float64(size),
			"kea_dhcp4_fleet_addresses_assigned": float64(assigned),
			"kea_dhcp6_fleet_prefixes":           float64(stat(v6, "subnet[1].total-pds")),
			"kea_dhcp6_fleet_prefixes_assigned":  float64(stat(v6, "subnet[1].assigned-pds")),
			"kea_dhcp6_fleet_addresses_assigned": float64(stat(v6, "subnet[1].assigned-nas") + stat(v6, "subnet[2].assigned-nas")),
		}
		got := scrape(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", info.Ports.Ddiscope))
		for name, w := range want {
			if got[name] != w {
				return fmt.Errorf("%s = %v, the servers say %v (the pair's peers summed: %d)", name, got[name], w, pairSum)
			}
		}
		if size != 410 || assigned < 10 {
			return fmt.Errorf("the pair's subnets hold %d addresses, %d leased; want 410, at least 10", size, assigned)
		}
		return nil
	})
}

// scrape reads the unlabelled series of a /metrics page.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") && !strings.Contains(f[0], "{") {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out
}

// screenshots takes the README's pictures with headless Chromium: the full
// subnet's page with its alert, the inbox, and Prometheus' alerts page.
func screenshots(t *testing.T, editor, subnetPage string, info demo.Info) {
	t.Helper()
	outDir := t.TempDir()
	if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
		outDir = filepath.Join("..", "..", "docs", "screenshots")
	}
	ctx := browsertest.Start(t, browsertest.Options{Width: 1280, Height: 800})
	if err := browsertest.Do(t, ctx, time.Minute,
		chromedp.Navigate(editor+"/login"),
		chromedp.SendKeys(chromedp.CSS("#username"), info.Admin),
		chromedp.SendKeys(chromedp.CSS("#password"), info.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitNotPresent(chromedp.CSS("#password")),
	); err != nil {
		t.Fatalf("signing in with Chromium: %v", err)
	}
	shots := []struct{ url, file, text string }{
		{subnetPage, "configui-subnet-alert.png", "KeaSubnetUtilizationCritical"},
		{editor + "/inbox", "configui-inbox.png", "KeaSubnetUtilizationCritical"},
		{demo.PrometheusAlertsURL(info.Ports.Prometheus), "prometheus-alerts.png", "KeaSubnetUtilizationCritical"},
	}
	for _, s := range shots {
		if err := browsertest.Do(t, ctx, time.Minute,
			chromedp.Navigate(s.url),
			chromedp.WaitReady(chromedp.CSS("body")),
		); err != nil {
			t.Fatalf("opening %s: %v", s.url, err)
		}
		// Prometheus' page is a JavaScript application: wait for its content.
		var body string
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
			if err == nil && strings.Contains(text, s.text) {
				body = text
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if body == "" {
			t.Errorf("%s does not show %s", s.url, s.text)
		}
		browsertest.Screenshot(t, ctx, filepath.Join(outDir, s.file))
	}
}

// bootLinkList lists what makes services start at boot.
func bootLinkList(t *testing.T) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir("/etc/systemd/system", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSymlink != 0 && strings.HasSuffix(filepath.Dir(p), ".wants") {
			out = append(out, p)
		}
		return nil
	})
	rc, _ := filepath.Glob("/etc/rc[0-6S].d/S*")
	out = append(out, rc...)
	slices.Sort(out)
	return out
}

// serviceDaemons lists the running processes of the services' programs
// that are daemons (parent PID 1), as "pid comm". The demo's own processes
// are daemons too while it runs; after down none may be left.
func serviceDaemons(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || closing < open {
			continue
		}
		f := strings.Fields(s[closing+2:])
		if len(f) < 2 || f[0] == "Z" || f[1] != "1" {
			continue
		}
		if comm := s[open+1 : closing]; slices.Contains(serviceBinaries, comm) {
			out = append(out, fmt.Sprintf("%d %s", pid, comm))
		}
	}
	return out
}

// A port in use stops the demo before it starts anything, naming the port
// and what needed it.
func TestDemoRefusesAPortInUse(t *testing.T) {
	requireDemo(t)
	bin := buildBinaries(t)
	dir, err := os.MkdirTemp("", "ddd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	offset := freeOffset(t)
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", demo.DefaultPorts(offset).Prometheus))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cmd := exec.Command(filepath.Join(bin, "ddiscope-demo"), "--dir", dir, "up", "--no-install", "--port-offset", strconv.Itoa(offset))
	out, err := cmd.CombinedOutput()
	want := fmt.Sprintf("port %d (Prometheus) is in use on 127.0.0.1", demo.DefaultPorts(offset).Prometheus)
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("up with Prometheus' port taken: %v\n%s\nwant %q", err, out, want)
	}
	if procs := readProcs(t, dir); len(procs) != 0 {
		t.Errorf("up started %v anyway", procs)
	}
	for _, ns := range demo.NamespaceNames(dir) {
		if _, err := os.Stat("/run/netns/" + ns); err == nil {
			t.Errorf("namespace %s created", ns)
		}
	}
}
