package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/internal/browsertest"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/promtest"
	"github.com/ddiscope/ddiscope/internal/stacktest"
)

// The extended range of the tiny subnet's second pool (HA_server2's).
const extendedPool = "198.18.0.12-198.18.0.49"

// TestAlertToFixInTheBrowser is issue 14's acceptance: perfdhcp fills the
// HA pair's tiny subnet until KeaSubnetUtilizationCritical fires in
// Prometheus and reaches the inbox; Chromium opens the alert's
// remediation_url, extends the pool, sees the diff and confirms, in at
// most 3 clicks from the remediation page. Then: both peers' config-get
// hold the new pool, a Kea restart keeps it, at least one peer served at
// every 200 ms status-get sample during the apply, ddiscope's utilisation
// falls, the alert resolves in Prometheus and shows as resolved in the
// inbox, and the audit row holds the user and the diff.
func TestAlertToFixInTheBrowser(t *testing.T) {
	s := stacktest.Start(t, stacktest.Options{})
	perf := s.HA.Perfdhcp4(t, 12)
	t.Logf("perfdhcp: %d clients got a lease", perf.Completed())
	alert := s.WaitForAlert(t, "KeaSubnetUtilizationCritical", func(a promtest.AMAlert) bool {
		return a.Labels["server"] == stacktest.ServerA && a.Labels["subnet_id"] == "1"
	})
	link := alert.Annotations["remediation_url"]
	promtest.Eventually(t, wait, "the alert stored by the inbox webhook", func() bool {
		return storedBy(t, s, "KeaSubnetUtilizationCritical", stacktest.ServerA) == "webhook"
	})

	ctx := s.Browser(t)
	s.SignIn(t, ctx, link) // lands on the remediation page, the subnet
	clicks := 0
	click := func(sel, waitFor string) {
		t.Helper()
		clicks++
		if err := browsertest.Do(t, ctx, 60*time.Second, chromedp.Click(chromedp.Search(sel)), chromedp.WaitVisible(chromedp.Search(waitFor))); err != nil {
			t.Fatalf("click %d (%s): %v", clicks, sel, err)
		}
	}
	click(`//a[text()="Edit pools"]`, `//button[text()="Preview the change"]`)
	if err := browsertest.Do(t, ctx, 30*time.Second, chromedp.SetValue(chromedp.CSS(`input[name="pool.1"]`), extendedPool)); err != nil {
		t.Fatalf("typing the new range: %v", err)
	}
	click(`//button[text()="Preview the change"]`, `//pre[contains(@class, "diff")]`)
	diff := s.Text(t, ctx, "pre.diff")
	if want := `"198.18.0.12/31" → "` + extendedPool + `"`; !strings.Contains(diff, want) { // Kea writes the 2-address range as a prefix
		t.Fatalf("the diff %q lacks %s", diff, want)
	}
	t.Logf("diff shown before confirming: %s", diff)
	shotDiff := s.Screenshot(t, ctx, "configui-edit-diff.png")

	// Click 3 applies: status-get every 200 ms on both peers meanwhile.
	stop := make(chan struct{})
	gaps, samples := watchServing(t, s.HA, stop)
	click(`//button[starts-with(text(), "Apply to")]`, `//main//p[starts-with(normalize-space(.), "Applied to") or starts-with(normalize-space(.), "Not applied")]`)
	close(stop)
	n, g := samples(), gaps()
	result := s.Text(t, ctx, "main")
	if !strings.Contains(result, "Applied to "+stacktest.ServerA+" and "+stacktest.ServerB) {
		t.Fatalf("result page:\n%s", result)
	}
	if clicks > 3 {
		t.Fatalf("%d clicks from the remediation page to the applied change, want at most 3", clicks)
	}
	t.Logf("%d clicks from the remediation page to the applied change; %d status-get samples, none without a serving peer", clicks, n)
	if n < 5 || len(g) > 0 {
		t.Fatalf("status-get every 200 ms on both peers: %d samples, %d without a serving peer: %v", n, len(g), g)
	}
	shotResult := s.Screenshot(t, ctx, "configui-edit-result.png")

	for _, server := range []string{stacktest.ServerA, stacktest.ServerB} {
		if got := tinyPools(t, s.Lab(server)); got != "198.18.0.10/31,"+extendedPool {
			t.Fatalf("%s config-get: pools %s", server, got)
		}
	}
	// Written to disk: a restart of kea-a's daemon keeps it.
	s.HA.Servers[0].Stop4(t)
	s.HA.Servers[0].Start4(t)
	s.HA.WaitState(t, 0, s.HA.NormalState(), wait)
	if got := tinyPools(t, s.HA.Servers[0]); got != "198.18.0.10/31,"+extendedPool {
		t.Fatalf("after a restart kea-a has pools %s", got)
	}

	// ddiscope's next polls show the new numbers; the alert resolves.
	promtest.Eventually(t, wait, "ddiscope's utilisation of subnet 1 below 0.5 in Prometheus", func() bool {
		v, err := s.Prometheus.Query(`kea:subnet_utilization:ratio{server="` + stacktest.ServerA + `",subnet_id="1"} < 0.5`)
		return err == nil && len(v) == 1
	})
	promtest.Eventually(t, wait, "KeaSubnetUtilizationCritical on kea-a subnet 1 gone from Prometheus", func() bool {
		as, err := s.Prometheus.Alerts()
		if err != nil {
			return false
		}
		for _, a := range as {
			if a.Labels["alertname"] == "KeaSubnetUtilizationCritical" && a.Labels["server"] == stacktest.ServerA && a.Labels["subnet_id"] == "1" {
				return false
			}
		}
		return true
	})
	promtest.Eventually(t, wait, "the inbox marks the alert resolved (Alertmanager's resolved notification)", func() bool {
		return inboxStatus(t, s, "KeaSubnetUtilizationCritical", stacktest.ServerA) == "resolved"
	})
	// The subnet page (the remediation URL) shows the new pool and the
	// alert no longer firing.
	page := s.Open(t, ctx, link)
	if !strings.Contains(page, extendedPool) || strings.Contains(s.Text(t, ctx, "main"), "KeaSubnetUtilizationCritical") {
		t.Errorf("the subnet page after the fix:\n%s", page)
	}
	page = s.Open(t, ctx, "/inbox?status=resolved")
	if !strings.Contains(page, "KeaSubnetUtilizationCritical") {
		t.Fatalf("the inbox's resolved alerts lack it:\n%s", page)
	}
	shotResolved := s.Screenshot(t, ctx, "configui-alert-resolved.png")

	// The audit row: the user, the diff, every peer's steps.
	user, status, auditDiff, steps := lastChange(t, s)
	if user != stacktest.Admin || status != "applied" || !strings.Contains(auditDiff, extendedPool) || !strings.Contains(steps, "config-write") {
		t.Fatalf("audit row: user %q status %q diff %q steps %s", user, status, auditDiff, steps)
	}
	t.Logf("screenshots: %s, %s, %s", shotDiff, shotResult, shotResolved)
}

// watchServing polls status-get on both peers every 200 ms until stop.
func watchServing(t *testing.T, h *keatest.HAPair, stop <-chan struct{}) (gaps func() []string, samples func() int) {
	var mu sync.Mutex
	var g []string
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for range 3000 { // bounded: 10 minutes
			var st [2]string
			var wg sync.WaitGroup
			for i := range st {
				wg.Go(func() { st[i] = h.HAState(i) })
			}
			wg.Wait()
			mu.Lock()
			n++
			if !serving(st[0]) && !serving(st[1]) {
				g = append(g, fmt.Sprintf("%s %q %q", time.Now().Format("15:04:05.000"), st[0], st[1]))
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	wait := func() { <-done }
	return func() []string { wait(); mu.Lock(); defer mu.Unlock(); return g },
		func() int { wait(); mu.Lock(); defer mu.Unlock(); return n }
}

func serving(state string) bool {
	switch state {
	case "load-balancing", "hot-standby", "partner-down":
		return true
	}
	return false
}

// tinyPools is subnet 1's pool ranges in a peer's config-get.
func tinyPools(t *testing.T, l *keatest.Lab) string {
	t.Helper()
	var reply struct {
		Arguments struct {
			Dhcp4 struct {
				Subnet4 []struct {
					ID    int `json:"id"`
					Pools []struct {
						Pool string `json:"pool"`
					} `json:"pools"`
				} `json:"subnet4"`
			} `json:"Dhcp4"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(l.Command(t, l.Socket4, "config-get", nil), &reply); err != nil {
		t.Fatal(err)
	}
	for _, s := range reply.Arguments.Dhcp4.Subnet4 {
		if s.ID == 1 {
			var p []string
			for _, x := range s.Pools {
				p = append(p, x.Pool)
			}
			return strings.Join(p, ",")
		}
	}
	return ""
}

func inboxStatus(t *testing.T, s *stacktest.Stack, name, server string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DB)
	if err != nil {
		return ""
	}
	defer conn.Close(ctx)
	var status string
	if err := conn.QueryRow(ctx, `SELECT status FROM alerts WHERE alertname = $1 AND server = $2 AND labels->>'subnet_id' = '1'
		ORDER BY starts_at DESC LIMIT 1`, name, server).Scan(&status); err != nil {
		return ""
	}
	return status
}

func lastChange(t *testing.T, s *stacktest.Stack) (user, status, diff, steps string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, `SELECT username, status, diff, steps::text FROM changes ORDER BY id DESC LIMIT 1`).Scan(&user, &status, &diff, &steps); err != nil {
		t.Fatal(err)
	}
	return
}
