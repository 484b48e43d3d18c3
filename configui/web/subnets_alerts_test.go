package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// A real Kea 2.2 with 1,500 subnets, 1,200 of them alerting, and one alert
// about the daemon itself, the oldest of all: the subnet list shows every
// row's alerts, "alerting only" keeps all 1,200 subnets, and the daemon's
// own alert is on the page, though the inbox returns at most 1,000 alerts
// a query.
func TestSubnetListWithMoreAlertsThanOneQueryReturns(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Subnet4: keagen.Subnet4(1500), SharedNetworks4: "[]", StartTimeout: 60 * time.Second})
	pg := pgtest.Start(t)
	c, err := keactl.New(keactl.Options{Name: "gen", URL: "unix://" + lab.Socket4, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	view, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "gen", Client: c}}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, "\n  - name: gen\n    url: unix://"+lab.Socket4+"\n", "", view)
	// Subnet 1's alert is the oldest subnet alert: newest first, it is the
	// last of the 1,200.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	as := []inbox.Alert{{Fingerprint: "00000000000000ff", Status: "firing", StartsAt: start, Source: "webhook",
		Labels: map[string]string{"alertname": "KeaDaemonDown", "severity": "critical", "server": "gen", "daemon": "dhcp4"}, Annotations: map[string]string{}}}
	for id := 1; id <= 1200; id++ {
		as = append(as, inbox.Alert{Fingerprint: fmt.Sprintf("%016x", 0x1000+id), Status: "firing", StartsAt: start.Add(time.Duration(id) * time.Minute), Source: "webhook",
			Labels: map[string]string{"alertname": "KeaSubnetUtilizationHigh", "severity": "warning", "server": "gen", "daemon": "dhcp4", "subnet_id": fmt.Sprint(id)}, Annotations: map[string]string{}})
	}
	if err := e.store.SaveAlerts(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	b := e.signedIn("vic")

	_, body := e.get(b, "/servers/gen/dhcp4/subnets")
	if !strings.Contains(body, "1500 of 1500 subnets, page 1 of 30") {
		t.Fatalf("subnet list page 1:\n%.3000s", body)
	}
	// Subnets 1 to 50, each with its alert, and the daemon's alert above.
	if n := strings.Count(body, ">KeaSubnetUtilizationHigh<"); n != 50 {
		t.Errorf("page 1 shows %d subnet alerts, want one on each of its 50 rows", n)
	}
	if !strings.Contains(body, "KeaDaemonDown") {
		t.Error("the daemon's own alert is missing from its subnet list")
	}

	_, body = e.get(b, "/servers/gen/dhcp4/subnets?alerting=1&page=24")
	if !strings.Contains(body, "1200 of 1500 subnets, page 24 of 24") {
		t.Errorf("alerting only, last page: not the 1,200 alerting subnets:\n%.3000s", body)
	}
	if n := strings.Count(body, ">KeaSubnetUtilizationHigh<"); n != 50 {
		t.Errorf("alerting only, last page: %d subnet alerts, want 50", n)
	}
}
