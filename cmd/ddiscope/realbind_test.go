package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/bindtest"
)

// TestDaemonServesRealBind runs ddiscope against a real primary and
// secondary named (one from --bind.target, one found through a named.conf),
// and checks the BIND series, serial drift across them, and bind_up going to
// 0 when named dies while the other target is unaffected.
func TestDaemonServesRealBind(t *testing.T) {
	bindtest.Require(t, "named", "dig", "rndc")
	lab := bindtest.Start(t, bindtest.Options{Secondary: true})
	dir := t.TempDir()
	conf := writeFile(t, dir, "ddiscope.yml", fmt.Sprintf(`defaults:
  interval: 1s
  timeout: 1s
bind:
  - name: primary
    url: %s
    zones: true
    zone-interval: 1s
  - name: secondary
    url: %s
    format: xml
    zones: true
    zone-interval: 1s
`, lab.Primary.StatsURL, lab.Secondary.StatsURL))
	statuses := lab.Dig(t, lab.Primary, "", bindtest.Q("www.lab.example", "A"), bindtest.Q("nope.lab.example", "A"), bindtest.Q("example.com", "A"))
	if strings.Join(statuses, ",") != "NOERROR,NXDOMAIN,REFUSED" {
		t.Fatalf("dig answers %v", statuses)
	}
	p := start(t, "--config.file="+conf)
	waitFor(t, 15*time.Second, "both named up with zones", func() bool {
		m := p.metrics(t)
		a, _ := value(m, "bind_up", map[string]string{"server": "primary"})
		b, _ := value(m, "bind_up", map[string]string{"server": "secondary"})
		_, drift := value(m, "bind_zone_serial_behind", map[string]string{"server": "secondary", "zone_name": "lab.example"})
		return a == 1 && b == 1 && drift
	})
	m := p.metrics(t)
	// The primary answered NXDOMAIN once and REFUSED once.
	for rcode, want := range map[string]float64{"NXDOMAIN": 1, "REFUSED": 1} {
		if v, ok := value(m, "bind_response_rcodes_total", map[string]string{"server": "primary", "rcode": rcode}); !ok || v < want {
			t.Errorf("bind_response_rcodes_total{rcode=%q} = %v (%v), want at least %v", rcode, v, ok, want)
		}
	}
	if v, _ := value(m, "bind_zone_serial_behind", map[string]string{"server": "secondary", "zone_name": "lab.example", "primary": "primary"}); v != 0 {
		t.Errorf("drift %v before any change", v)
	}
	// A zone change: the primary's new serial reaches the secondary by NOTIFY.
	serial := lab.BumpSerial(t, "lab.example")
	lab.WaitSerial(t, lab.Secondary, "lab.example", serial)
	waitFor(t, 15*time.Second, "both serials at the new value and drift 0", func() bool {
		m := p.metrics(t)
		a, _ := value(m, "bind_zone_serial", map[string]string{"server": "primary", "zone_name": "lab.example"})
		b, _ := value(m, "bind_zone_serial", map[string]string{"server": "secondary", "zone_name": "lab.example"})
		d, ok := value(m, "bind_zone_serial_behind", map[string]string{"server": "secondary", "zone_name": "lab.example"})
		return a == float64(serial) && b == float64(serial) && ok && d == 0
	})
	// The primary dies: bind_up 0 with the reason; the secondary is unaffected.
	lab.Primary.Kill(t)
	waitFor(t, 10*time.Second, "the primary down", func() bool {
		m := p.metrics(t)
		up, _ := value(m, "bind_up", map[string]string{"server": "primary"})
		refused, _ := value(m, "ddiscope_poll_errors_total", map[string]string{"server": "primary", "reason": "connect"})
		other, _ := value(m, "bind_up", map[string]string{"server": "secondary"})
		return up == 0 && refused > 0 && other == 1
	})
}

// TestZeroConfigFindsLocalBind: with no target, ddiscope reads
// statistics-channels from named.conf.
func TestZeroConfigFindsLocalBind(t *testing.T) {
	bindtest.Require(t, "named")
	lab := bindtest.Start(t, bindtest.Options{})
	bindDir := t.TempDir()
	port := lab.Primary.StatsURL[strings.LastIndex(lab.Primary.StatsURL, ":")+1 : len(lab.Primary.StatsURL)-1]
	os.WriteFile(filepath.Join(bindDir, "named.conf.options"), []byte(`// as Debian lays it out
options { directory "/var/cache/bind"; };
statistics-channels { inet 127.0.0.1 port `+port+` allow { 127.0.0.1; }; };
`), 0o644)
	p := start(t, "--kea.config-dir="+t.TempDir(), "--bind.config-dir="+bindDir)
	waitFor(t, 15*time.Second, "local-bind up", func() bool {
		v, _ := value(p.metrics(t), "bind_up", map[string]string{"server": "local-bind"})
		return v == 1
	})
}
