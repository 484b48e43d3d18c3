// Package e2e drives the config editor in Chromium against the whole stack
// (internal/stacktest): real Kea, PostgreSQL, ddiscope, Prometheus with the
// generated rules, Alertmanager with the generated configuration, and the
// ddiscope-configui binary.
package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/internal/browsertest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/internal/stacktest"
)

func TestMain(m *testing.M) { os.Exit(stacktest.Main(m)) }

// wait bounds every wait of the tests.
const wait = 60 * time.Second

// perfHostname is the host name perfdhcp's clients send (option 12), which
// Kea stores in their leases.
const perfHostname = "perf-client"

// TestRemediationLinkInTheBrowser is issue 13's acceptance: perfdhcp fills
// the HA pair's tiny subnet; ddiscope, Prometheus (generated rules) and
// Alertmanager (generated configuration) fire and deliver the critical
// utilisation alert to the editor's inbox; Chromium follows the alert's
// remediation_url from Alertmanager's API signed out, signs in, lands on
// the subnet page and sees the alert and the utilisation Kea reports. The
// inbox lists it; lease search finds perfdhcp's leases by IP, MAC and host
// name on the peers that hold them.
func TestRemediationLinkInTheBrowser(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	perf := s.HA.Perfdhcp4(t, 12, "-o", "12,"+hex.EncodeToString([]byte(perfHostname)))
	t.Logf("perfdhcp: %d clients got a lease", perf.Completed())
	for _, server := range []string{stacktest.ServerA, stacktest.ServerB} {
		if a := s.Statistic(t, server, "dhcp4", "subnet[1].assigned-addresses"); a != 4 {
			t.Fatalf("%s: subnet 1 has %d of 4 addresses leased after perfdhcp", server, a)
		}
	}

	alert := s.WaitForAlert(t, "KeaSubnetUtilizationCritical", func(a promtest.AMAlert) bool {
		return a.Labels["server"] == stacktest.ServerA && a.Labels["subnet_id"] == "1"
	})
	link := alert.Annotations["remediation_url"]
	if want := s.URL + "/servers/" + stacktest.ServerA + "/dhcp4/subnets/1"; link != want {
		t.Fatalf("remediation_url %q, want %q", link, want)
	}
	// Alertmanager delivers it to the inbox (the editor polls Alertmanager
	// only at start, before the alert, and then hourly: see Options).
	promtest.Eventually(t, wait, "the alert stored by the inbox webhook", func() bool {
		return storedBy(t, s, "KeaSubnetUtilizationCritical", stacktest.ServerA) == "webhook"
	})

	ctx := s.Browser(t)
	s.SignIn(t, ctx, link)
	page := s.Text(t, ctx, "main")
	assigned := s.Statistic(t, stacktest.ServerA, "dhcp4", "subnet[1].assigned-addresses")
	total := s.Statistic(t, stacktest.ServerA, "dhcp4", "subnet[1].total-addresses")
	usage := fmt.Sprintf("%d of %d", assigned, total)
	if row := s.Text(t, ctx, `//table[starts-with(caption, "Subnet ")]//tr[th="Addresses"]/td`); !strings.HasPrefix(row, usage) {
		t.Errorf("subnet page: addresses %q, Kea reports %s", row, usage)
	}
	for _, want := range []string{"Subnet 1 " + stacktest.TinySubnetPrefix, "KeaSubnetUtilizationCritical", alert.Annotations["description"]} {
		if !strings.Contains(page, want) {
			t.Errorf("subnet page lacks %q:\n%s", want, page)
		}
	}
	shot := s.Screenshot(t, ctx, "configui-subnet.png")

	page = s.Open(t, ctx, "/inbox")
	for _, want := range []string{"KeaSubnetUtilizationCritical", stacktest.ServerA + " dhcp4 subnet 1", "runbook", "dashboard"} {
		if !strings.Contains(page, want) {
			t.Errorf("inbox lacks %q:\n%s", want, page)
		}
	}
	// The inbox links back to the page the alert is about.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`table.alerts a[href^="/servers/`+stacktest.ServerA+`/"]`), "href"))
	if err != nil || href.Value != "/servers/"+stacktest.ServerA+"/dhcp4/subnets/1" {
		t.Errorf("inbox link to the subnet page: %+v %v", href, err)
	}
	t.Logf("screenshots: %s, %s", shot, s.Screenshot(t, ctx, "configui-inbox.png"))

	t.Run("lease search on the HA pair", func(t *testing.T) { leaseSearch(t, s, ctx) })
	t.Run("dhcp6 subnet page", func(t *testing.T) { dhcp6Subnet(t, s, ctx) })
}

// dhcp6Subnet: after perfdhcp -6, the kea-dhcp6's subnet page shows the
// addresses and delegated prefixes its Kea reports.
func dhcp6Subnet(t *testing.T, s *stacktest.Stack, ctx context.Context) {
	if r := s.V6.Perfdhcp6(t, 5); r.Completed() == 0 {
		t.Fatalf("perfdhcp -6: no client got a lease:\n%s", r.Output)
	}
	s.Open(t, ctx, "/servers/"+stacktest.Server6+"/dhcp6/subnets/1")
	for row, stat := range map[string]string{"Addresses": "nas", "Delegated prefixes": "pds"} {
		want := fmt.Sprintf("%d of %d", s.Statistic(t, stacktest.Server6, "dhcp6", "subnet[1].assigned-"+stat),
			s.Statistic(t, stacktest.Server6, "dhcp6", "subnet[1].total-"+stat))
		if got := s.Text(t, ctx, `//table[starts-with(caption, "Subnet ")]//tr[th="`+row+`"]/td`); !strings.HasPrefix(got, want+" ") {
			t.Errorf("dhcp6 subnet 1: %s %q, Kea reports %s", row, got, want)
		} else {
			t.Logf("dhcp6 subnet 1: %s %s, as Kea reports", row, got)
		}
	}
}

// leaseSearch searches perfdhcp's leases of the tiny subnet by IP, MAC
// and host name in the browser: each is listed once for each peer whose
// own lease4-get-all has it (both: HA lease updates), named by the
// editor's server name and the peer's HA name.
func leaseSearch(t *testing.T, s *stacktest.Stack, ctx context.Context) {
	holders := map[string][]string{} // IP → the servers whose Kea has it
	var lease stacktest.Lease4
	for _, server := range []string{stacktest.ServerA, stacktest.ServerB} {
		for _, l := range s.Leases4(t, server) {
			if l.SubnetID == stacktest.TinySubnetID {
				holders[l.IP] = append(holders[l.IP], server)
				lease = l
			}
		}
	}
	if lease.IP == "" || lease.Hostname != perfHostname {
		t.Fatalf("no perfdhcp lease with host name %q in subnet 1: %+v", perfHostname, lease)
	}
	ha := map[string]string{stacktest.ServerA: "server1", stacktest.ServerB: "server2"}
	for _, q := range []struct{ by, value string }{{"ip", lease.IP}, {"mac", lease.HW}, {"hostname", perfHostname}} {
		// Through the form, as a user does.
		if err := browsertest.Do(t, ctx, 30*time.Second,
			chromedp.Navigate(s.URL+"/leases"),
			chromedp.SetValue(chromedp.CSS("#by"), q.by),
			chromedp.SendKeys(chromedp.CSS("#q"), q.value),
			chromedp.Submit(chromedp.CSS("#q")),
			chromedp.WaitVisible(chromedp.CSS("main table caption")),
		); err != nil {
			t.Fatalf("lease search by %s %s: %v", q.by, q.value, err)
		}
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if u, err := url.Parse(loc); err != nil || u.Query().Get("by") != q.by || u.Query().Get("q") != q.value {
			t.Errorf("lease search by %s went to %s", q.by, loc)
		}
		rows := rowsOf(t, ctx)
		for _, server := range holders[lease.IP] {
			want := server + " dhcp4 (HA " + ha[server] + ")"
			if !containsRow(rows, lease.IP, want) {
				t.Errorf("by %s %s: no row for %s answered by %q:\n%s", q.by, q.value, lease.IP, want, strings.Join(rows, "\n"))
			}
		}
		if q.by == "hostname" {
			// Every perfdhcp client sent the same name: all of their
			// leases, from both peers.
			n := 0
			for _, hs := range holders {
				n += len(hs)
			}
			if len(rows) != n {
				t.Errorf("by hostname: %d rows, the peers hold %d leases of subnet 1 named %s:\n%s", len(rows), n, perfHostname, strings.Join(rows, "\n"))
			}
		} else if len(rows) != len(holders[lease.IP]) {
			t.Errorf("by %s %s: %d rows, want one per peer holding it (%v):\n%s", q.by, q.value, len(rows), holders[lease.IP], strings.Join(rows, "\n"))
		}
		for _, r := range rows {
			if q.by != "ip" && !strings.Contains(r, perfHostname) {
				t.Errorf("by %s: a row without the host name: %s", q.by, r)
			}
		}
	}
}

// rowsOf returns the text of each row of the page's result table.
func rowsOf(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return browsertest.Rows(t, ctx, "main table tbody tr")
}

func containsRow(rows []string, ip, answeredBy string) bool {
	for _, r := range rows {
		if strings.HasPrefix(r, ip+" ") && strings.HasSuffix(r, answeredBy) {
			return true
		}
	}
	return false
}

// storedBy returns how the inbox got the newest firing alert of that name
// about server ("webhook" or "poll"), or "" when it has none, read from
// the editor's database.
func storedBy(t *testing.T, s *stacktest.Stack, name, server string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DB)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var source string
	if err := conn.QueryRow(ctx, `SELECT source FROM alerts WHERE alertname = $1 AND server = $2 AND status = 'firing'
		ORDER BY starts_at DESC LIMIT 1`, name, server).Scan(&source); err != nil {
		return ""
	}
	return source
}
