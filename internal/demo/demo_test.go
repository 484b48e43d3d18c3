//go:build demo

// The demo is a test binary because it stands on internal/keatest, the same
// real-Kea lab the tests use. `make demo` runs it; `make test` never builds it.
package demo

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestDemo starts a real Kea (kea-dhcp4, kea-dhcp6, kea-ctrl-agent) in
// network namespaces, gives it DHCP traffic with perfdhcp, and runs ddiscope
// against it on DEMO_ADDR (default 127.0.0.1:19547) until Ctrl-C or
// DEMO_MINUTES (default 30) have passed. A few new clients arrive every
// 20 seconds, so the counters move.
func TestDemo(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent", "perfdhcp")
	addr := envOr("DEMO_ADDR", "127.0.0.1:19547")
	minutes, err := strconv.Atoi(envOr("DEMO_MINUTES", "30"))
	if err != nil || minutes <= 0 {
		t.Fatalf("DEMO_MINUTES=%q: want a positive number", os.Getenv("DEMO_MINUTES"))
	}
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Traffic: true})
	lab.Perfdhcp4(t, 10)
	lab.Perfdhcp4Relay(t, keatest.RelayAddr4, 6)
	lab.Perfdhcp6(t, 10)

	dir := t.TempDir()
	bin := filepath.Join(dir, "ddiscope")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ddiscope").CombinedOutput(); err != nil {
		t.Fatalf("building ddiscope: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "ddiscope.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`# The demo's targets: one Kea reached three ways.
defaults:
  interval: 5s
kea:
  - name: demo-agent        # the Control Agent: dhcp4 and dhcp6 behind it
    url: %s
  - name: demo-dhcp4-socket # kea-dhcp4's own UNIX control socket
    url: unix://%s
`, lab.CAURL, lab.Socket4)), 0o644)
	cmd := exec.Command(bin, "--config.file="+conf, "--web.listen-address="+addr)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()
	fmt.Printf(`
ddiscope is polling a real Kea:
  metrics:   curl -s http://%[1]s/metrics | grep -E '^kea_dhcp4_subnet_(addresses|utilization)'
  live poll: curl -s 'http://%[1]s/probe?target=demo-agent'
  config:    %[2]s (edit it, then: curl -X POST http://%[1]s/-/reload)
Kea's own answer, for comparison:
  curl -s -X POST -H 'Content-Type: application/json' -d '{"command":"statistic-get-all","service":["dhcp4"]}' %[3]s
Stop with Ctrl-C (or after %[4]d minutes).

`, addr, conf, lab.CAURL, minutes)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	deadline := time.After(time.Duration(minutes) * time.Minute)
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for round := 0; ; round++ {
		select {
		case <-stop:
			return
		case <-deadline:
			return
		case <-tick.C:
			if round < 40 { // the tiny pools fill; subnet 2 has room for 200
				lab.Perfdhcp4(t, 3)
			}
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
