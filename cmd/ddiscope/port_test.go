package main

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestDefaultPortClashesWithNoNeighbour pins the reason for ddiscope's port:
// during a migration it runs beside kea-exporter, the Stork agent and
// bind_exporter, and beside whatever exporters Prometheus' list of default
// ports (https://github.com/prometheus/prometheus/wiki/Default-port-allocations)
// puts on the same host.
func TestDefaultPortClashesWithNoNeighbour(t *testing.T) {
	_, p, err := net.SplitHostPort(defaultListen)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	taken := map[int]string{
		9547: "kea-exporter and the Stork agent's Kea exporter",
		9119: "bind_exporter and the Stork agent's BIND exporter",
		8080: "the Stork agent's API",
		8000: "Kea's Control Agent (ISC's suggested port)",
		8004: "kea-dhcp4's own HTTP listener (ISC's suggested port)",
		8006: "kea-dhcp6's own HTTP listener (ISC's suggested port)",
		8053: "named's statistics channel",
		3000: "Grafana",
	}
	if who, ok := taken[port]; ok {
		t.Errorf("default port %d is %s's", port, who)
	}
	// Prometheus' list: its own components on 9090-9094, exporters on
	// 9100-9999 (every port of that range has been allocated since 2023).
	if port >= 9090 && port <= 9999 {
		t.Errorf("default port %d is inside Prometheus' allocated range 9090-9999", port)
	}
	// Linux hands out 32768-60999 as source ports of outgoing connections.
	if port >= 32768 {
		t.Errorf("default port %d is in the ephemeral range", port)
	}
}

// TestDocsAndDeployUseTheDefaultPort keeps the README, the generated
// Prometheus scrape configurations, the systemd unit and the runbooks on the port the
// binary listens on.
func TestDocsAndDeployUseTheDefaultPort(t *testing.T) {
	_, port, _ := net.SplitHostPort(defaultListen)
	old := regexp.MustCompile(`(^|[^0-9])9547([^0-9]|$)`)
	root := filepath.Join("..", "..")
	for _, f := range []string{"README.md", "deploy/prometheus/prometheus.yml", "deploy/prometheus/scrape/static.yml", "deploy/systemd/ddiscope.service", "docs/runbooks/DdiscopeDown.md"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if old.Match(b) {
			t.Errorf("%s still names port 9547 (kea-exporter's)", f)
		}
		if !regexp.MustCompile(`[:]` + port + `\b`).Match(b) {
			t.Errorf("%s does not name ddiscope's port %s", f, port)
		}
	}
}
