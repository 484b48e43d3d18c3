package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// PostgreSQL stopped mid-test: signed-in users keep reading Kea pages,
// whatever must be recorded is refused with a clear message, Alertmanager
// gets a 5xx (so it retries), and all resumes when the database returns.
func TestDatabaseAway(t *testing.T) {
	pg := pgtest.Start(t)
	e := newEditor(t, pg, "")
	c := e.signedIn("ada")
	tok := e.token(c)
	pg.Stop(t)

	// The session cache would hide the outage for 30 s: forget it, so the
	// signed cookie alone has to carry the user.
	e.srv.sessions.m = map[string]cachedSession{}
	for _, p := range []string{"/servers", "/servers/kea1", "/servers/kea1/ha", "/servers/kea1/dhcp4/subnets",
		"/servers/kea1/dhcp4/subnets/1", "/servers/kea1/dhcp4/subnets/1/pools/0", "/leases?by=ip&q=198.18.0.10"} {
		resp, body := e.get(c, p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s with the database away: %s", p, resp.Status)
		}
		if !strings.Contains(body, "database is unavailable") {
			t.Errorf("%s does not say the database is away", p)
		}
	}
	if resp, body := e.webhook(v4Body("kea1", "firing"), webhookToken); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "retry") {
		t.Errorf("webhook with the database away: %s %q", resp.Status, body)
	}
	if resp, body := e.post(c, "/users", url.Values{"username": {"late"}, "password": {"long-enough-password"}, "role": {"viewer"}, "csrf_token": {tok}}); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be recorded") {
		t.Errorf("adding a user with the database away: %s", resp.Status)
	}
	if resp := e.login(e.client(), "vic", passwords["vic"], "/"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("signing in with the database away: %s", resp.Status)
	}
	if resp, body := e.get(e.client(), "/-/ready"); resp.StatusCode != 200 || !strings.Contains(body, "unavailable") {
		t.Errorf("ready: %s %q", resp.Status, body)
	}

	pg.Restart(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, _ := e.webhook(v4Body("kea1", "firing"), webhookToken)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook still %s 20 s after the database returned", resp.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, body := e.get(c, "/servers/kea1/dhcp4/subnets/1"); !strings.Contains(body, "KeaSubnetUtilizationHigh") {
		t.Error("after recovery the page lacks the alert")
	}
	if resp := e.login(e.client(), "vic", passwords["vic"], "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signing in after recovery: %s", resp.Status)
	}
}
