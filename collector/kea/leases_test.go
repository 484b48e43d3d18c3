package kea

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
)

// leaseReplay serves the lab's captures, and lease4-get-page by its "from"
// argument: pages maps a from value to a reply (a file, or the body itself
// when it does not name a file).
func leaseReplay(t *testing.T, pages map[string]string) (*httptest.Server, *int) {
	t.Helper()
	files := map[string]string{
		"ca:config-get":             captured + "kea2.2-ca-config-get.json",
		"dhcp4:config-get":          captured + "kea2.2-dhcp4-config-get.json",
		"dhcp4:statistic-get-all":   captured + "kea2.2-dhcp4-statistic-get-all.json",
		"dhcp4:status-get":          captured + "kea2.2-dhcp4-status-get.json",
		"dhcp4:ha-heartbeat":        captured + "kea2.2-dhcp4-ha-heartbeat.json",
		"dhcp4:stat-lease4-get":     captured + "kea2.2-dhcp4-stat-lease4-get.json",
		"dhcp4:lease4-get-page-end": captured + "kea2.2-dhcp4-lease4-get-page-end.json",
	}
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Command   string   `json:"command"`
			Service   []string `json:"service"`
			Arguments struct {
				From  string `json:"from"`
				Limit int    `json:"limit"`
			} `json:"arguments"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		svc := "ca"
		if len(req.Service) > 0 {
			svc = req.Service[0]
		}
		key := svc + ":" + req.Command
		if body, ok := pages[key]; ok {
			fmt.Fprint(w, body) // a reply the test writes itself
			return
		}
		if req.Command == "lease4-get-page" {
			requests++
			body, ok := pages[req.Arguments.From]
			if !ok {
				key += "-end"
			} else {
				if b, err := os.ReadFile(body); err == nil {
					w.Write(b)
				} else {
					fmt.Fprint(w, body)
				}
				return
			}
		}
		if path, ok := files[key]; ok {
			b, _ := os.ReadFile(path)
			w.Write(b)
			return
		}
		fmt.Fprintf(w, `[ { "result": 2, "text": "'%s' command not supported." } ]`, req.Command)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func leasePoller(t *testing.T, url string, now time.Time) *Poller {
	t.Helper()
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: url})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, testCat(t), slog.New(slog.DiscardHandler), Options{Daemons: []string{"dhcp4"},
		Leases: LeaseOptions{Interval: time.Hour, PageSize: 5, PagesPerSecond: -1, Budget: 10 * time.Second}})
	p.now = func() time.Time { return now }
	t.Cleanup(p.Close)
	return p
}

func poll(t *testing.T, p *Poller) []collector.Sample {
	t.Helper()
	snap, _, err := p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Samples
}

// Two captured pages of five leases and the captured end: ten leases, nine
// in subnet 1 and one in subnet 2, all in the default state, bucketed by
// time to expiry and since the last contact as of ten minutes after the
// capture.
func TestLeasePassFromCapturedPages(t *testing.T) {
	srv, _ := leaseReplay(t, map[string]string{
		"start":       captured + "kea2.2-dhcp4-lease4-get-page.json",
		"198.18.0.20": captured + "kea2.2-dhcp4-lease4-get-page-next.json",
	})
	p := leasePoller(t, srv.URL, time.Unix(1795295934+600, 0))
	s := poll(t, p)
	sub1 := map[string]string{"subnet_id": "1", "subnet": "198.18.0.0/24", "shared_network": "lab-lan"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range sub1 {
			m[a] = b
		}
		return m
	}
	want(t, s, "kea_dhcp4_subnet_leases", with("state", "default"), 9)
	want(t, s, "kea_dhcp4_subnet_leases", with("state", "declined"), 0)
	want(t, s, "kea_dhcp4_subnet_leases", with("state", "expired_reclaimed"), 0)
	absent(t, s, "kea_dhcp4_subnet_leases", with("state", "released"))
	want(t, s, "kea_dhcp4_subnet_leases", map[string]string{"subnet_id": "2", "state": "default"}, 1)
	want(t, s, "kea_dhcp4_subnet_leases", map[string]string{"subnet_id": "4", "state": "default"}, 0)
	// 3600 s leases obtained 596 to 600 s ago: ~3000 s left.
	for within, n := range map[string]float64{"0": 0, "300": 0, "900": 0, "3600": 9, "86400": 9, "+Inf": 9} {
		want(t, s, "kea_dhcp4_subnet_leases_expiring", with("within", within), n)
	}
	for within, n := range map[string]float64{"300": 0, "900": 9, "+Inf": 9} {
		want(t, s, "kea_dhcp4_subnet_leases_renewed", with("within", within), n)
	}
	d := map[string]string{"daemon": "dhcp4"}
	want(t, s, "ddiscope_lease_pass_leases", d, 10)
	want(t, s, "ddiscope_lease_pages_total", d, 3)
	want(t, s, "ddiscope_lease_passes_total", map[string]string{"result": "complete"}, 1)
	want(t, s, "ddiscope_lease_pass_unknown_subnet_leases", d, 0)
	// stat-lease4-get (stat_cmds), read once per pass.
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_assigned", map[string]string{"subnet_id": "2"}, 33)
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_declined", map[string]string{"subnet_id": "1"}, 0)
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "1"}, 0)
	// Per pool range: subnet 1's 198.18.0.200 is a reservation outside
	// both pools, counted in the subnet but in no pool.
	pool := func(id, rng, state string) map[string]string {
		return map[string]string{"subnet_id": id, "pool_id": "0", "pool": rng, "state": state}
	}
	want(t, s, "kea_dhcp4_pool_leases", pool("1", "198.18.0.10-198.18.0.13", "default"), 4)
	want(t, s, "kea_dhcp4_pool_leases", pool("1", "198.18.0.20/30", "default"), 4)
	want(t, s, "kea_dhcp4_pool_leases", pool("1", "198.18.0.20/30", "declined"), 0)
	want(t, s, "kea_dhcp4_pool_leases", pool("2", "198.18.1.10-198.18.1.109", "default"), 1)
	want(t, s, "kea_dhcp4_pool_leases", pool("2", "198.18.1.110-198.18.1.209", "default"), 0)
	ratio := func(id, rng string) map[string]string { return map[string]string{"subnet_id": id, "pool": rng} }
	want(t, s, "kea_dhcp4_pool_lease_utilization_ratio", ratio("1", "198.18.0.20/30"), 1)
	want(t, s, "kea_dhcp4_pool_lease_utilization_ratio", ratio("2", "198.18.1.10-198.18.1.109"), 0.01)
	want(t, s, "kea_dhcp4_pool_lease_utilization_ratio", ratio("4", "198.18.3.10-198.18.3.250"), 0)
	// The HA state is there as usual.
	oneHot(t, s, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", "load-balancing")
}

// A pass spreads over polls at the page rate: with a budget shorter than
// the gap between pages, each poll reads one page, three polls the three, and the counts appear when the
// pass is complete, not before.
func TestLeasePassSpreadsOverPolls(t *testing.T) {
	srv, requests := leaseReplay(t, map[string]string{
		"start":       captured + "kea2.2-dhcp4-lease4-get-page.json",
		"198.18.0.20": captured + "kea2.2-dhcp4-lease4-get-page-next.json",
	})
	p := leasePoller(t, srv.URL, time.Unix(1795295934+600, 0))
	p.opts.Leases.PagesPerSecond = 20 // 50 ms between pages
	p.opts.Leases.Burst = 1
	p.opts.Leases.Budget = 40 * time.Millisecond
	var s []collector.Sample
	for i := 1; i <= 3; i++ {
		time.Sleep(60 * time.Millisecond) // the poll interval
		s = poll(t, p)
		if *requests != i {
			t.Fatalf("after %d polls, %d pages asked, want %d", i, *requests, i)
		}
		_, done := value(s, "ddiscope_lease_pass_leases", nil)
		if done != (i == 3) {
			t.Fatalf("poll %d: pass complete = %v", i, done)
		}
	}
	want(t, s, "ddiscope_lease_pass_leases", nil, 10)
	// The next pass waits for the interval.
	poll(t, p)
	if *requests != 3 {
		t.Errorf("a new pass started before the interval: %d pages", *requests)
	}
}

// syntheticPages are n pages of five DHCPv4 leases in subnet 1, keyed by
// the "from" that asks for each, for leaseReplay.
func syntheticPages(n int) map[string]string {
	pages := map[string]string{}
	from := "start"
	for i := range n {
		var leases []string
		var addr string
		for k := range 5 {
			addr = fmt.Sprintf("198.18.0.%d", 10+5*i+k)
			leases = append(leases, fmt.Sprintf(`{"ip-address":%q,"subnet-id":1,"cltt":1795295934,"valid-lft":3600,"state":0}`, addr))
		}
		pages[from] = `[ { "arguments": { "count": 5, "leases": [` + strings.Join(leases, ",") + `] }, "result": 0 } ]`
		from = addr
	}
	return pages
}

// Pages go in bursts: a poll asks for up to Burst pages back to back, then
// waits for the rate cap to earn a whole burst again, which with this
// budget is for the next poll; over the test the average rate stays under
// PagesPerSecond.
func TestLeasePassBursts(t *testing.T) {
	srv, requests := leaseReplay(t, syntheticPages(8))
	p := leasePoller(t, srv.URL, time.Unix(1795295934+600, 0))
	p.opts.Leases.PagesPerSecond = 2 // a burst of 3 is earned in 1.5 s
	p.opts.Leases.Burst = 3
	p.opts.Leases.Budget = time.Second
	start := time.Now()
	poll(t, p)
	if *requests != 3 {
		t.Fatalf("first poll asked %d pages, want a burst of 3", *requests)
	}
	poll(t, p)
	if *requests != 3 {
		t.Fatalf("a poll right after the burst asked %d pages, want none until a whole burst is earned", *requests-3)
	}
	time.Sleep(1600 * time.Millisecond)
	s := poll(t, p)
	if *requests != 6 {
		t.Fatalf("after 1.6 s, %d pages in all, want 6 (a second burst)", *requests)
	}
	if limit := 3 + 2*time.Since(start).Seconds(); float64(*requests) > limit {
		t.Errorf("%d pages in %s: more than the burst plus the rate allows (%.1f)", *requests, time.Since(start), limit)
	}
	if _, done := value(s, "ddiscope_lease_pass_leases", nil); done {
		t.Fatalf("the pass is complete after 6 of 8 pages")
	}
}

// Garbage in a page: counted, retried, the pass abandoned after three tries
// in a row, the last complete pass (none here) kept, everything else served.
func TestLeasePageGarbage(t *testing.T) {
	for name, body := range map[string]string{
		"not json":        `[ { "arguments": { "count": 1, "leases": [ { "ip-address": "198.18.0.10", ` + "\x00" + ` } ] }, "result": 0 } ]`,
		"missing subnet":  `[ { "arguments": { "count": 1, "leases": [ { "ip-address": "198.18.0.10", "cltt": 1, "valid-lft": 3600, "state": 0 } ] }, "result": 0 } ]`,
		"count mismatch":  `[ { "arguments": { "count": 7, "leases": [ { "ip-address": "198.18.0.10", "subnet-id": 1, "cltt": 1, "valid-lft": 3600 } ] }, "result": 0 } ]`,
		"ipv6 in v4":      `[ { "arguments": { "count": 1, "leases": [ { "ip-address": "2001:db8::1", "subnet-id": 1, "cltt": 1, "valid-lft": 3600 } ] }, "result": 0 } ]`,
		"truncated":       `[ { "arguments": { "count": 1, "leases": [ { "ip-address": "198.18.0.10", "subnet-id": 1`,
		"too many leases": `[ { "arguments": { "leases": [ {"ip-address":"198.18.0.1","subnet-id":1,"cltt":1,"valid-lft":1}, {"ip-address":"198.18.0.2","subnet-id":1,"cltt":1,"valid-lft":1}, {"ip-address":"198.18.0.3","subnet-id":1,"cltt":1,"valid-lft":1}, {"ip-address":"198.18.0.4","subnet-id":1,"cltt":1,"valid-lft":1}, {"ip-address":"198.18.0.5","subnet-id":1,"cltt":1,"valid-lft":1}, {"ip-address":"198.18.0.6","subnet-id":1,"cltt":1,"valid-lft":1} ] }, "result": 0 } ]`,
		"kea error":       `[ { "result": 1, "text": "Failed to convert string to address 'start'" } ]`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, requests := leaseReplay(t, map[string]string{"start": body})
			p := leasePoller(t, srv.URL, time.Unix(1795295934, 0))
			var s []collector.Sample
			for range 4 {
				s = poll(t, p)
			}
			if *requests != 3 {
				t.Errorf("%d page requests, want 3 tries then none until the next interval", *requests)
			}
			n, _ := value(s, "ddiscope_kea_command_errors_total", map[string]string{"command": "lease4-get-page"})
			if n != 3 {
				t.Errorf("ddiscope_kea_command_errors_total{command=lease4-get-page} = %v, want 3", n)
			}
			want(t, s, "ddiscope_lease_passes_total", map[string]string{"result": "abandoned"}, 1)
			absent(t, s, "kea_dhcp4_subnet_leases", nil)
			if _, ok := value(s, "kea_dhcp4_subnet_addresses_assigned", map[string]string{"subnet_id": "1"}); !ok {
				t.Error("statistics missing")
			}
			oneHot(t, s, "kea_ha_state", map[string]string{"relationship": "server1"}, "state", "load-balancing")
		})
	}
}

// A page that does not move past "from" would page for ever.
func TestLeasePagingMustMoveForward(t *testing.T) {
	srv, requests := leaseReplay(t, map[string]string{
		"start":       captured + "kea2.2-dhcp4-lease4-get-page.json",
		"198.18.0.20": captured + "kea2.2-dhcp4-lease4-get-page.json", // the same page again
	})
	p := leasePoller(t, srv.URL, time.Unix(1795295934, 0))
	s := poll(t, p)
	if *requests != 2 {
		t.Errorf("%d pages asked, want 2 (the repeat ends the pass)", *requests)
	}
	want(t, s, "ddiscope_lease_passes_total", map[string]string{"result": "abandoned"}, 1)
	want(t, s, "ddiscope_kea_command_errors_total", map[string]string{"command": "lease4-get-page", "reason": "malformed"}, 1)
}

// Kea's assigned-addresses statistic counts declined leases; the lease
// database's assigned column does not. The drift adds the declined ones
// back: 0 when the two agree (subnet 1: 9 = 7 + 2), the difference when
// they do not (subnet 2: 33 - 30).
func TestLeaseDBDriftCountsDeclined(t *testing.T) {
	srv, _ := leaseReplay(t, map[string]string{
		"dhcp4:stat-lease4-get": `[ { "result": 0, "text": "stat-lease4-get: 4 rows found", "arguments": { "result-set": {
			"columns": [ "subnet-id", "total-addresses", "cumulative-assigned-addresses", "assigned-addresses", "declined-addresses" ],
			"rows": [ [ 1, 8, 4, 7, 2 ], [ 2, 200, 18, 30, 0 ], [ 3, 10, 5, 8, 0 ], [ 4, 241, 0, 0, 0 ] ], "timestamp": "2026-11-23 10:48:54" } } } ]`,
	})
	s := poll(t, leasePoller(t, srv.URL, time.Unix(1795295934, 0)))
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "1"}, 0)
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "2"}, 3)
	want(t, s, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "4"}, 0)
}
