package dashboards

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// startHAPair starts a real hot-standby pair (keatest.StartHA waits until
// both servers are in hot-standby) for the HA panels.
func startHAPair(t *testing.T) *keatest.HAPair {
	t.Helper()
	return startHAPairKea(t, keatest.Kea22)
}

// startHAPairKea is startHAPair on Kea version v.
func startHAPairKea(t *testing.T, v keatest.Version) *keatest.HAPair {
	t.Helper()
	return keatest.StartHA(t, keatest.HAOptions{Mode: "hot-standby", Kea: v})
}

// haTargets is the pair in ddiscope's configuration, polled on their
// sockets and named as in their HA configuration.
func haTargets(p *keatest.HAPair) string {
	var b strings.Builder
	for i, lab := range p.Servers {
		fmt.Fprintf(&b, "  - name: %s\n    url: unix://%s\n", p.Names[i], lab.Socket4)
	}
	return b.String()
}
