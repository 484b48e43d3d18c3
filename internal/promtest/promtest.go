// Package promtest starts Debian's Prometheus and Alertmanager (Prometheus
// 2.42, Alertmanager 0.25) as plain processes on 127.0.0.1 for tests, and
// runs promtool and amtool.
//
//	promtest.Require(t, promtest.Prometheus, promtest.Alertmanager)
//	hook := promtest.NewWebhook(t)
//	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: amYAML})
//	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{
//		Jobs:          []promtest.Job{{Name: "ddiscope", Targets: []string{addr}}},
//		RuleFiles:     map[string][]byte{"ddiscope.alerts.yml": rules},
//		Alertmanagers: []string{am.Addr},
//	})
//	a := prom.WaitForAlert(t, 90*time.Second, "KeaSubnetUtilizationCritical", "firing")
//	msg := hook.WaitFor(t, 90*time.Second, "the alert at the webhook", func(a promtest.WebhookAlert) bool { … })
//
// Every process gets its own temporary directory and free port, is stopped
// by t.Cleanup, and its output is logged when the test fails. Nothing is
// global: tests may run in parallel.
package promtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Binaries the harness runs.
const (
	Prometheus   = "prometheus"
	Promtool     = "promtool"
	Alertmanager = "prometheus-alertmanager" // Debian's name for alertmanager
	Amtool       = "amtool"
)

// debianPackage names the Debian 12 package shipping each binary.
func debianPackage(bin string) string {
	switch bin {
	case Prometheus, Promtool:
		return "prometheus"
	case Alertmanager, Amtool:
		return "prometheus-alertmanager"
	}
	return "unknown package"
}

// find looks a binary up on PATH, then under the names other distributions
// use (alertmanager).
func find(bin string) (string, error) {
	names := []string{bin}
	if bin == Alertmanager {
		names = append(names, "alertmanager")
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH", bin)
}

// Require skips the test when a binary is missing, or fails it when the
// environment has CI=true, naming the Debian package to install.
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	var missing, pkgs []string
	for _, b := range binaries {
		if _, err := find(b); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", b, debianPackage(b)))
			if p := debianPackage(b); !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("promtest: missing %s; install with apt-get install %s", strings.Join(missing, ", "), strings.Join(pkgs, " "))
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true, so this is an error)", msg)
	}
	t.Skip(msg)
}

// binary returns the path of a binary, after Require.
func binary(t testing.TB, bin string) string {
	t.Helper()
	Require(t, bin)
	p, err := find(bin)
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	return p
}

// FreeAddr returns a free 127.0.0.1:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("promtest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeFiles writes name → content into dir.
func writeFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}
