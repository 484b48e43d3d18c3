package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// Against a real Kea 2.2 with perfdhcp's leases: a remediation link opens
// the subnet page with the alert from the inbox and the utilisation Kea
// itself reports; lease search finds perfdhcp's leases by IP and MAC.
func TestRealKeaPages(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Traffic: true, ControlAgent: true})
	if r := lab.Perfdhcp4(t, 10); r.Completed() == 0 {
		t.Fatal("perfdhcp got no leases")
	}
	pg := pgtest.Start(t)
	c, err := keactl.New(keactl.Options{Name: "kea", URL: lab.CAURL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	view, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "kea", Client: c}}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, "\n  - name: kea\n    url: "+lab.CAURL+"\n    daemons: [dhcp4]\n", "", view)
	if resp, body := e.webhook(strings.ReplaceAll(v4Body("kea1", "firing"), `"kea1"`, `"kea"`), webhookToken); resp.StatusCode != 200 {
		t.Fatalf("webhook: %s %s", resp.Status, body)
	}
	b := e.client()
	// The remediation link, signed out: sign in and land on it.
	resp, _ := e.get(b, "/servers/kea/dhcp4/subnets/1")
	u, _ := url.Parse(resp.Header.Get("Location"))
	if resp = e.login(b, "vic", passwords["vic"], u.Query().Get("next")); resp.Header.Get("Location") != "/servers/kea/dhcp4/subnets/1" {
		t.Fatalf("sign-in did not return to the subnet page: %q", resp.Header.Get("Location"))
	}
	resp, body := e.get(b, "/servers/kea/dhcp4/subnets/1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subnet page: %s\n%s", resp.Status, body)
	}
	assigned, _ := lab.Statistic(t, lab.Socket4, "subnet[1].assigned-addresses")
	total, _ := lab.Statistic(t, lab.Socket4, "subnet[1].total-addresses")
	want := strconv.FormatInt(assigned, 10) + " of " + strconv.FormatInt(total, 10)
	for _, w := range []string{"KeaSubnetUtilizationHigh", want} {
		if !strings.Contains(body, w) {
			t.Errorf("subnet page lacks %q", w)
		}
	}
	for _, p := range []string{"/servers", "/servers/kea", "/servers/kea/ha", "/servers/kea/dhcp4/subnets", "/servers/kea/dhcp4/subnets?alerting=1",
		"/servers/kea/dhcp4/subnets/1/pools/0"} {
		if resp, body := e.get(b, p); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s\n%s", p, resp.Status, body)
		}
	}
	if _, body := e.get(b, "/servers/kea/dhcp4/subnets?alerting=1"); !strings.Contains(body, "1 of ") {
		t.Error("alerting-only does not keep exactly the alerting subnet")
	}
	if resp, _ := e.get(b, "/servers/kea/dhcp4/subnets/999"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a subnet Kea does not have: %s", resp.Status)
	}

	var all struct {
		Arguments struct {
			Leases []struct {
				IP string `json:"ip-address"`
				HW string `json:"hw-address"`
			} `json:"leases"`
		} `json:"arguments"`
	}
	raw := lab.Command(t, lab.Socket4, "lease4-get-all", nil)
	if err := json.Unmarshal(raw, &all); err != nil || len(all.Arguments.Leases) == 0 {
		t.Fatalf("lease4-get-all: %v %s", err, raw)
	}
	l := all.Arguments.Leases[0]
	for by, q := range map[string]string{"ip": l.IP, "mac": l.HW} {
		_, body := e.get(b, "/leases?"+url.Values{"by": {by}, "q": {q}}.Encode())
		if !strings.Contains(body, l.IP) || !strings.Contains(body, "kea dhcp4") {
			t.Errorf("lease search by %s %s: lease %s not shown with its server", by, q, l.IP)
		}
	}
}
