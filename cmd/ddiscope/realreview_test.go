package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// The acceptance case of the configuration review: a real Kea 2.2 started
// with an overlapping subnet (10.0.0.0/16 beside 10.0.3.0/24) and a subnet
// without pools shows both findings on /metrics after one poll (the
// interval is long enough that there is no second).
func TestDaemonShowsConfigFindingsOfRealKea(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{
		Subnet4: `[
		  {"id": 1, "subnet": "10.0.0.0/16", "pools": [{"pool": "10.0.1.10-10.0.1.200"}]},
		  {"id": 2, "subnet": "10.0.3.0/24"}
		]`,
		SharedNetworks4: "[]",
	})
	conf := writeFile(t, t.TempDir(), "ddiscope.yml", fmt.Sprintf("defaults:\n  interval: 10m\n  timeout: 5s\nkea:\n  - name: lab\n    url: unix://%s\n", lab.Socket4))
	p := start(t, "--config.file="+conf)
	waitFor(t, 15*time.Second, "the first poll", func() bool {
		v, _ := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "lab"})
		return v == 1
	})
	m := p.metrics(t)
	if n, _ := value(m, "ddiscope_polls_total", map[string]string{"server": "lab"}); n != 1 {
		t.Fatalf("%v polls, want the first one only", n)
	}
	for _, f := range []map[string]string{
		{"server": "lab", "daemon": "dhcp4", "check": "subnet-overlap", "severity": "warning", "subject": "subnet 2 10.0.3.0/24 overlaps subnet 1 10.0.0.0/16"},
		{"server": "lab", "daemon": "dhcp4", "check": "subnet-without-pools", "severity": "warning", "subject": "subnet 2 10.0.3.0/24"},
	} {
		if v, ok := value(m, "ddiscope_config_finding", f); !ok || v != 1 {
			t.Errorf("ddiscope_config_finding%v = %v, %v", f, v, ok)
		}
	}
	if v, ok := value(m, "ddiscope_config_findings_omitted", map[string]string{"server": "lab", "check": "pool-overlap"}); !ok || v != 0 {
		t.Errorf("ddiscope_config_findings_omitted{check=pool-overlap} = %v, %v", v, ok)
	}
	if v, ok := value(m, "ddiscope_config_finding", map[string]string{"check": "pool-overlap"}); ok {
		t.Errorf("pools 10.0.1.10-10.0.1.200 and none do not overlap, yet: %v", v)
	}
}
