package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// benchEditor is an editor with n firing alerts about kea1, one per subnet,
// and a signed-in viewer's cookie.
func benchEditor(b *testing.B, n int) (*Server, *http.Cookie) {
	pg := pgtest.Start(b)
	cfg, err := config.Parse("b.yml", []byte("kea: [{name: kea1, url: 'http://127.0.0.1:1/'}]\ndatabase: {name: x}\n"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, quiet, pg.NewDatabase(b), 4, store.Settings{RetryOnStartup: true, OnFail: "serve-retry-continue", ReconnectWaitTime: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 1000 {
		var as []inbox.Alert
		for j := i; j < min(n, i+1000); j++ {
			as = append(as, inbox.Alert{Fingerprint: fmt.Sprintf("%016x", j), Status: "firing", StartsAt: start.Add(time.Duration(j) * time.Second), Source: "webhook",
				Labels: map[string]string{"alertname": "KeaSubnetUtilizationHigh", "severity": "warning", "server": "kea1", "daemon": "dhcp4", "subnet_id": fmt.Sprint(j + 1)},
				Annotations: map[string]string{"summary": "Subnet nearly full", "description": fmt.Sprintf("Subnet %d is 91%% used.", j+1),
					"runbook_url": "https://runbooks.example/KeaSubnetUtilizationHigh.md", "dashboard_url": "https://grafana.example/d/x?var-subnet_id=" + fmt.Sprint(j+1)}})
		}
		if err := st.SaveAlerts(ctx, as); err != nil {
			b.Fatal(err)
		}
	}
	h, _ := auth.Hash("viewer-password-1")
	st.CreateUser(ctx, "vic", h, auth.Viewer)
	srv, err := New(Options{Config: cfg, Store: st, Log: quiet, SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		b.Fatal(err)
	}
	u, _ := st.UserByName(ctx, "vic")
	exp := time.Now().Add(time.Hour)
	st.CreateSession(ctx, "bench-session", u.ID, exp, "")
	ck := &http.Cookie{Name: sessionCookie, Value: srv.sign(claims{SID: "bench-session", UserID: u.ID, Username: "vic", Role: auth.Viewer, Expires: exp.Unix()})}
	return srv, ck
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPage(b *testing.B, srv *Server, ck *http.Cookie, path string) {
	b.ReportAllocs()
	var bytes int
	cpu0 := cpuNow()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, rec.Code)
		}
		bytes = rec.Body.Len()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuNow()-cpu0)/float64(b.N), "editor-cpu-ns/op")
	b.ReportMetric(float64(bytes), "html-bytes")
}

// The inbox with 10,000 stored alerts: one page of 100, newest first, and
// the total count.
func BenchmarkInbox10kAlerts(b *testing.B) {
	srv, ck := benchEditor(b, 10_000)
	benchPage(b, srv, ck, "/inbox")
}

// A subnet page when its server has 10,000 firing alerts: every one is read
// and matched against the page's labels.
func BenchmarkSubnetPage10kFiring(b *testing.B) {
	srv, ck := benchEditor(b, 10_000)
	benchPage(b, srv, ck, "/servers/kea1/dhcp4/subnets/5000")
}
