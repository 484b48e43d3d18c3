package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestDaemonServesRealKea runs the ddiscope binary against a real Kea (its
// Control Agent and its kea-dhcp4 socket) after perfdhcp traffic, scrapes
// /metrics like Prometheus, and exercises reload, /probe and readiness.
// It runs on Kea 2.2 and on Kea 3.0.4.
func TestDaemonServesRealKea(t *testing.T) {
	keatest.Versions(t, testDaemonServesRealKea)
}

func testDaemonServesRealKea(t *testing.T, v keatest.Version) {
	// On 3.0 kea-dhcp4 also serves its own HTTPS control socket with basic
	// auth: a third way in, configured with trust-anchor, user and password.
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Traffic: true, Kea: v,
		HTTPTLS: v.AtLeast30(), HTTPAuth: v.AtLeast30()})
	lab.Perfdhcp4(t, 10)

	dir := t.TempDir()
	servers := []string{"lab-ca", "lab-socket"}
	https := ""
	if v.AtLeast30() {
		servers = append(servers, "lab-https")
		https = fmt.Sprintf("  - name: lab-https\n    url: %s\n    trust-anchor: %s\n    user: %s\n    password: %s\n",
			lab.HTTP4URL, lab.TLS.CAFile, keatest.HTTPUser, lab.HTTPPassword)
	}
	conf := writeFile(t, dir, "ddiscope.yml", fmt.Sprintf(`# two (on 3.0 three) ways into the same Kea
defaults:
  interval: 1s
  timeout: 1s
kea:
  - name: lab-ca
    url: %s
  - name: lab-socket
    url: unix://%s
%s`, lab.CAURL, lab.Socket4, https))
	p := start(t, "--config.file="+conf)
	waitFor(t, 15*time.Second, "every target up", func() bool {
		m := p.metrics(t)
		for _, server := range servers {
			if up, _ := value(m, "ddiscope_target_up", map[string]string{"server": server}); up != 1 {
				return false
			}
		}
		return true
	})
	m := p.metrics(t)
	for _, server := range servers {
		for id := 1; id <= 4; id++ {
			for stat, metric := range map[string]string{"assigned-addresses": "kea_dhcp4_subnet_addresses_assigned", "total-addresses": "kea_dhcp4_subnet_addresses"} {
				want, ok := lab.Statistic(t, lab.Socket4, fmt.Sprintf("subnet[%d].%s", id, stat))
				if !ok {
					continue
				}
				got, found := value(m, metric, map[string]string{"server": server, "subnet_id": strconv.Itoa(id)})
				if !found || got != float64(want) {
					t.Errorf("%s subnet %d: %s = %v (found %v), Kea says %d", server, id, metric, got, found, want)
				}
			}
		}
	}
	if v, ok := value(m, "kea_daemon_up", map[string]string{"server": "lab-ca", "daemon": "dhcp6"}); !ok || v != 1 {
		t.Errorf("kea_daemon_up for dhcp6 behind the agent = %v, %v", v, ok)
	}

	// Kea's dhcp6 stops: the agent still answers, the daemon is down.
	lab.Stop6(t)
	waitFor(t, 10*time.Second, "dhcp6 reported down", func() bool {
		v, _ := value(p.metrics(t), "kea_daemon_up", map[string]string{"server": "lab-ca", "daemon": "dhcp6"})
		return v == 0
	})
	lab.Start6(t)

	// /probe polls live, bounded by Prometheus's timeout header.
	req, _ := http.NewRequest("GET", "http://"+p.addr+"/probe?target=lab-socket", nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "5")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var probe strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		probe.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(probe.String(), `ddiscope_target_up{kind="kea",server="lab-socket"} 1`) ||
		!strings.Contains(probe.String(), "kea_dhcp4_subnet_addresses_assigned{") {
		t.Errorf("/probe: HTTP %d:\n%.500s", resp.StatusCode, probe.String())
	}
	if code, _ := p.get(t, "/probe?target=nope"); code != 404 {
		t.Errorf("/probe of an unknown target: HTTP %d", code)
	}

	// Reload: a broken file keeps the old targets; a good one applies.
	writeFile(t, dir, "ddiscope.yml", "kea:\n  - name: x\n    url: http://127.0.0.1:1/\n    bogus: 1\n")
	resp, err = http.Post("http://"+p.addr+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("reload of a bad file: %v %v", err, resp.Status)
	}
	if v, _ := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "lab-ca"}); v != 1 {
		t.Error("a failed reload dropped a working target")
	}
	writeFile(t, dir, "ddiscope.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab-socket\n    url: unix://%s\n", lab.Socket4))
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "lab-ca removed by the SIGHUP reload", func() bool {
		_, found := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "lab-ca"})
		return !found
	})
	if code, body := p.get(t, "/-/ready"); code != 200 {
		t.Errorf("/-/ready: %d %s", code, body)
	}
}

// TestZeroConfigFindsLocalKea: with no target, ddiscope reads the Control
// Agent's configuration file (comments and all) and polls it.
func TestZeroConfigFindsLocalKea(t *testing.T) {
	keatest.Versions(t, testZeroConfigFindsLocalKea)
}

func testZeroConfigFindsLocalKea(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{ControlAgent: true, Kea: v})
	u, err := url.Parse(lab.CAURL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "kea-ctrl-agent.conf", fmt.Sprintf(`// written by the test, in Kea's own syntax
{
  "Control-agent": {
    # the agent listens here
    "http-host": "%s", /* loopback only */
    "http-port": %s,
    "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": "%s" } }
  }
}
`, u.Hostname(), u.Port(), lab.Socket4))
	p := start(t, "--kea.config-dir="+dir, "--bind.config-dir="+t.TempDir())
	waitFor(t, 15*time.Second, "the discovered target up", func() bool {
		v, _ := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "local"})
		return v == 1
	})
	if !strings.Contains(p.stderr.String(), "found a local server") || !strings.Contains(p.stderr.String(), "kea-ctrl-agent.conf") {
		t.Errorf("the log does not say what was found: %s", p.stderr)
	}
}

// TestZeroConfigFindsLocalKea30Daemons: a Kea 3.0 without a Control Agent,
// configured as 3.0 wants (socket names without a directory, in
// KEA_CONTROL_SOCKET_DIR): ddiscope finds each daemon's socket from
// kea-dhcp4.conf and kea-dhcp6.conf and polls both.
func TestZeroConfigFindsLocalKea30Daemons(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30, DHCP6: true})
	dir := t.TempDir()
	for _, f := range []struct{ file, top, socket string }{
		{"kea-dhcp4.conf", "Dhcp4", lab.Socket4},
		{"kea-dhcp6.conf", "Dhcp6", lab.Socket6},
	} {
		writeFile(t, dir, f.file, fmt.Sprintf(`// Kea 3.0: sockets live in KEA_CONTROL_SOCKET_DIR
{ "%s": { "control-sockets": [ { "socket-type": "unix", "socket-name": "%s" } ] } }
`, f.top, filepath.Base(f.socket)))
	}
	t.Setenv("KEA_CONTROL_SOCKET_DIR", lab.SocketDir) // as in Kea's own environment
	p := start(t, "--kea.config-dir="+dir, "--bind.config-dir="+t.TempDir())
	waitFor(t, 15*time.Second, "both discovered daemons up", func() bool {
		m := p.metrics(t)
		a, _ := value(m, "ddiscope_target_up", map[string]string{"server": "local-dhcp4"})
		b, _ := value(m, "ddiscope_target_up", map[string]string{"server": "local-dhcp6"})
		return a == 1 && b == 1
	})
	want, _ := lab.Statistic(t, lab.Socket4, "subnet[4].total-addresses")
	if got, ok := value(p.metrics(t), "kea_dhcp4_subnet_addresses", map[string]string{"server": "local-dhcp4", "subnet_id": "4"}); !ok || got != float64(want) {
		t.Errorf("kea_dhcp4_subnet_addresses subnet 4 = %v (found %v), Kea says %d", got, ok, want)
	}
	if !strings.Contains(p.stderr.String(), "unix://"+lab.Socket4) {
		t.Errorf("the log does not name the socket found in %s: %s", lab.SocketDir, p.stderr)
	}
}

// TestEveryDaemonStoppedBehindTheAgent: the Control Agent answers but
// kea-dhcp4 and kea-dhcp6 are both down. The poll fails (no statistics from
// anyone: ddiscope_target_up 0, reason result_error), yet kea_daemon_up
// stays, at 0 for each daemon, which tells this case from an agent that is
// gone.
//
// It runs on Kea 2.2 and on Kea 3.0.4 (whose Control Agent is deprecated but
// still there).
func TestEveryDaemonStoppedBehindTheAgent(t *testing.T) {
	keatest.Versions(t, testEveryDaemonStoppedBehindTheAgent)
}

func testEveryDaemonStoppedBehindTheAgent(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Kea: v})
	conf := writeFile(t, t.TempDir(), "ddiscope.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: lab-ca\n    url: %s\n", lab.CAURL))
	p := start(t, "--config.file="+conf)
	ca := map[string]string{"server": "lab-ca"}
	daemon := func(d string) map[string]string { return map[string]string{"server": "lab-ca", "daemon": d} }
	waitFor(t, 15*time.Second, "lab-ca up", func() bool { v, _ := value(p.metrics(t), "ddiscope_target_up", ca); return v == 1 })

	lab.Stop4(t)
	lab.Stop6(t)
	waitFor(t, 15*time.Second, "lab-ca down", func() bool { v, _ := value(p.metrics(t), "ddiscope_target_up", ca); return v == 0 })
	// Several polls with every daemon down: the series must stay, not flicker.
	for range 3 {
		m := p.metrics(t)
		for _, d := range []string{"dhcp4", "dhcp6"} {
			if v, ok := value(m, "kea_daemon_up", daemon(d)); !ok || v != 0 {
				t.Fatalf("kea_daemon_up{daemon=%q} = %v (found %v) with every daemon down behind a working agent; want 0", d, v, ok)
			}
		}
		if v, _ := value(m, "ddiscope_target_up", ca); v != 0 {
			t.Fatalf("ddiscope_target_up = %v with every daemon down; want 0", v)
		}
		if _, ok := value(m, "kea_dhcp4_subnet_addresses", ca); ok {
			t.Fatal("statistics of a stopped daemon are still served")
		}
		time.Sleep(1200 * time.Millisecond)
	}
	// A probe of the same target tells the same: each daemon at 0.
	if code, body := p.get(t, "/probe?target=lab-ca"); code != 200 ||
		!strings.Contains(body, `kea_daemon_up{daemon="dhcp4",server="lab-ca"} 0`) ||
		!strings.Contains(body, `kea_daemon_up{daemon="dhcp6",server="lab-ca"} 0`) {
		t.Errorf("/probe with every daemon down: HTTP %d, want kea_daemon_up 0 for dhcp4 and dhcp6:\n%.800s", code, body)
	}
	if v, _ := value(p.metrics(t), "ddiscope_poll_errors_total", map[string]string{"server": "lab-ca", "reason": "result_error"}); v == 0 {
		t.Error("the failed polls are not counted as result_error (the agent's answer)")
	}

	lab.Start4(t)
	waitFor(t, 15*time.Second, "dhcp4 back", func() bool {
		m := p.metrics(t)
		up, _ := value(m, "ddiscope_target_up", ca)
		d4, _ := value(m, "kea_daemon_up", daemon("dhcp4"))
		d6, ok6 := value(m, "kea_daemon_up", daemon("dhcp6"))
		return up == 1 && d4 == 1 && ok6 && d6 == 0
	})
}
