package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
	"github.com/ddiscope/ddiscope/internal/procstat"
)

// BenchmarkSubnetList10kSubnets is the subnet list page of a real Kea 2.2
// with 10,000 subnets (internal/keagen's), through the whole editor: the
// session, the server's firing alerts from PostgreSQL (one on every tenth
// subnet: 1,000), the cached configuration index, 100 statistic-get (50
// rows, DHCPv4) and the template. The configuration is read once before
// the timer (Warm, as the editor does at start). ns/op is the latency of a
// render; editor-cpu-ns/op the editor's own CPU (this process), kea-cpu-ns/op
// Kea's (kea-dhcp4, and the agent when it is in the path). Pages go round
// the 200 pages of the list; alerting-only filters the 10,000 subnets down
// to the 1,000 alerting ones first; page-no-alerts is the same list with an
// empty inbox, which shows what reading the alerts costs.
func BenchmarkSubnetList10kSubnets(b *testing.B) {
	lab := keatest.Start(b, keatest.Options{ControlAgent: true, StartTimeout: 60 * time.Second,
		Subnet4: keagen.Subnet4(10_000), SharedNetworks4: "[]"})
	pg := pgtest.Start(b)
	for _, c := range []struct {
		name, url string
		pids      []string
	}{
		{"unix", "unix://" + lab.Socket4, []string{"dhcp4"}},
		{"control-agent", lab.CAURL, []string{"dhcp4", "ca"}},
	} {
		// config-get of 10,000 subnets through Kea 2.2's agent takes seconds.
		cl, err := keactl.New(keactl.Options{Name: "gen", URL: c.url, Timeout: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(cl.Close)
		view, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "gen", Client: cl}}, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if err := view.Warm(context.Background()); err != nil {
			b.Fatal(err)
		}
		srv, ck := benchKeaEditor(b, pg, "gen", c.url, view, 10)
		kea := func() time.Duration {
			var sum float64
			for _, name := range c.pids {
				s, err := procstat.CPUSeconds(lab.Pid(name))
				if err != nil {
					b.Fatal(err)
				}
				sum += s
			}
			return time.Duration(sum * float64(time.Second))
		}
		empty, emptyCookie := benchKeaEditor(b, pg, "gen", c.url, view, 0)
		for _, q := range []struct {
			name, query string
			srv         *Server
			ck          *http.Cookie
		}{
			{"page", "page=%d", srv, ck}, {"alerting-only", "alerting=1&page=%d", srv, ck},
			{"page-no-alerts", "page=%d", empty, emptyCookie},
		} {
			srv, ck := q.srv, q.ck
			b.Run(c.name+"/"+q.name, func(b *testing.B) {
				pages := 200
				if q.name == "alerting-only" {
					pages = 20
				}
				b.ReportAllocs()
				kea0, cpu0 := kea(), cpuNow()
				var size int
				for i := 0; b.Loop(); i++ {
					path := "/servers/gen/dhcp4/subnets?" + fmt.Sprintf(q.query, 1+i%pages)
					req := httptest.NewRequest("GET", path, nil)
					req.AddCookie(ck)
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					body := rec.Body.String()
					if rec.Code != http.StatusOK || strings.Contains(body, "could not be read") || !strings.Contains(body, "of 200 (") {
						b.Fatalf("%s: %d\n%.2000s", path, rec.Code, body)
					}
					if q.name == "alerting-only" && !strings.Contains(body, "50 of 1000 subnets") && !strings.Contains(body, "1000 of 10000 subnets") {
						b.Fatalf("%s: not the 1,000 alerting subnets:\n%.2000s", path, body)
					}
					size = len(body)
				}
				b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "editor-cpu-ns/op")
				b.ReportMetric(float64(kea()-kea0)/float64(b.N), "kea-cpu-ns/op")
				b.ReportMetric(float64(size), "html-bytes")
			})
		}
	}
}

// benchKeaEditor is an editor over view with the target at url, a firing
// alert on every nth subnet of 10,000 (none when n is 0) and a signed-in
// viewer.
func benchKeaEditor(b *testing.B, pg *pgtest.Server, name, url string, view *keaview.View, n int) (*Server, *http.Cookie) {
	cfg, err := config.Parse("b.yml", []byte(fmt.Sprintf("kea: [{name: %s, url: '%s'}]\ndatabase: {name: x}\n", name, url)))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, quiet, pg.NewDatabase(b), 4, store.Settings{RetryOnStartup: true, OnFail: "serve-retry-continue", ReconnectWaitTime: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	var as []inbox.Alert
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for id := n; n > 0 && id <= 10_000; id += n {
		as = append(as, inbox.Alert{Fingerprint: fmt.Sprintf("%016x", id), Status: "firing", StartsAt: start.Add(time.Duration(id) * time.Second), Source: "webhook",
			Labels: map[string]string{"alertname": "KeaSubnetUtilizationHigh", "severity": "warning", "server": name, "daemon": "dhcp4", "subnet_id": fmt.Sprint(id)},
			Annotations: map[string]string{"summary": "Subnet nearly full", "description": fmt.Sprintf("Subnet %d is 91%% used.", id),
				"runbook_url": "https://runbooks.example/KeaSubnetUtilizationHigh.md"}})
	}
	if len(as) > 0 {
		if err := st.SaveAlerts(ctx, as); err != nil {
			b.Fatal(err)
		}
	}
	h, _ := auth.Hash("viewer-password-1")
	if err := st.CreateUser(ctx, "vic", h, auth.Viewer); err != nil {
		b.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, Store: st, Kea: view, Log: quiet, SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := st.UserByName(ctx, "vic")
	exp := time.Now().Add(time.Hour)
	if err := st.CreateSession(ctx, "bench-session", u.ID, exp, ""); err != nil {
		b.Fatal(err)
	}
	return srv, &http.Cookie{Name: sessionCookie, Value: srv.sign(claims{SID: "bench-session", UserID: u.ID, Username: "vic", Role: auth.Viewer, Expires: exp.Unix()})}
}
