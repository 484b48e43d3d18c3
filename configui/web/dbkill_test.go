package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// webhookOf is one notification of three alerts with fingerprints of its
// own, so that what was stored can be told apart per notification.
func webhookOf(n int) string {
	var alerts []string
	for j := range 3 {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"KeaSubnetUtilizationHigh","server":"kea1","daemon":"dhcp4","subnet_id":"%d"},
"annotations":{},"startsAt":"2026-01-02T03:04:05Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"%016x"}`, n*3+j, n*3+j))
	}
	return `{"version":"4","status":"firing","receiver":"configui-inbox","alerts":[` + strings.Join(alerts, ",") + `]}`
}

// TestDatabaseKilledDuringInboxWrites SIGKILLs PostgreSQL while
// notifications arrive four at a time. A notification answered 2xx is
// stored whole; one answered 5xx (Alertmanager retries it) is stored whole
// or not at all, never in part; after the restart and the retries, every
// alert is there once.
func TestDatabaseKilledDuringInboxWrites(t *testing.T) {
	pg := pgtest.Start(t)
	e := newEditor(t, pg, "")
	const senders, each = 4, 40
	status := make([]int, senders*each)
	var wg sync.WaitGroup
	killed := make(chan struct{})
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				n := s*each + i
				if i == each/4 && s == 0 {
					close(killed) // a quarter in: kill while the others write
				}
				resp, _ := e.webhook(webhookOf(n), webhookToken)
				status[n] = resp.StatusCode
			}
		})
	}
	<-killed
	pg.Kill(t)
	wg.Wait()
	pg.Restart(t)

	stored := func() map[string]bool {
		deadline := time.Now().Add(20 * time.Second)
		for {
			as, _, err := e.store.Alerts(context.Background(), store.AlertQuery{Limit: 10 * senders * each})
			if err == nil {
				m := map[string]bool{}
				for _, a := range as {
					m[a.Fingerprint] = true
				}
				return m
			}
			if time.Now().After(deadline) {
				t.Fatalf("store not back 20 s after the restart: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	got := stored()
	var ok, refused int
	for n, code := range status {
		have := 0
		for j := range 3 {
			if got[fmt.Sprintf("%016x", n*3+j)] {
				have++
			}
		}
		switch {
		case code == http.StatusOK:
			ok++
			if have != 3 {
				t.Errorf("notification %d answered 200 but %d of its 3 alerts are stored", n, have)
			}
		case code >= 500:
			refused++
			if have != 0 && have != 3 {
				t.Errorf("notification %d answered %d and is half-written: %d of 3 alerts", n, code, have)
			}
		default:
			t.Errorf("notification %d answered %d", n, code)
		}
	}
	t.Logf("%d notifications stored before the kill, %d refused with 5xx", ok, refused)
	if refused == 0 {
		t.Error("no notification was refused: the kill did not land during the writes")
	}
	// Alertmanager retries the refused ones: all arrive, none twice.
	for n, code := range status {
		if code == http.StatusOK {
			continue
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, body := e.webhook(webhookOf(n), webhookToken)
			if resp.StatusCode == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("notification %d still %s after the restart: %s", n, resp.Status, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if n := e.alertCount(); n != 3*senders*each {
		t.Errorf("%d alerts stored after the retries, want %d", n, 3*senders*each)
	}
}

// TestRealHADatabaseKilledMidApply SIGKILLs PostgreSQL while an apply
// from the pools form is between the two peers of a real Kea 2.2 pair:
// the result page says the change was rolled back on kea1, that the change
// log could not record it, and keeps the user's input. Then the editor
// that made it is gone (restarted: its kept outcome with it), so the row
// stays running: every change to the pair is refused, with the input kept,
// until an admin closes it as interrupted; then the kept input applies.
func TestRealHADatabaseKilledMidApply(t *testing.T) {
	he := newHAEditor(t)
	otto := he.signedIn("otto")
	ada := he.signedIn("ada")
	he.srv.apply = apply.New(apply.Options{Store: he.store, Logger: quiet, AfterSet: func(i int) {
		if i == 0 {
			he.pg.Kill(t)
		}
	}})
	action, f := he.openPoolsForm(otto, "3")
	f.Set("pool.1", "198.18.2.15-198.18.2.33")
	_, body := he.post(otto, action, f)
	_, confirm := editForm(t, body)
	before := he.hashes()
	resp, body := he.post(otto, action, confirm)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "Not applied (rolled-back)") ||
		!strings.Contains(body, "lock was lost before kea2") || !strings.Contains(body, "could not record this outcome") {
		t.Fatalf("the result page: %s\n%s", resp.Status, body)
	}
	if he.hashes() != before {
		t.Fatal("half-applied: a peer kept the change")
	}
	action, kept := editForm(t, body)
	if kept.Get("pool.1") != "198.18.2.15-198.18.2.33" || kept.Get("step") != "preview" {
		t.Fatalf("the input is not kept: %v", kept)
	}

	he.pg.Restart(t)
	he.srv.apply = apply.New(apply.Options{Store: he.store, Logger: quiet}) // the editor restarted
	deadline := time.Now().Add(30 * time.Second)
	for !he.store.Up() {
		if time.Now().After(deadline) {
			t.Fatal("the store is not back 30 s after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cs, err := he.store.Changes(context.Background(), store.ChangeFilter{Limit: 1})
	if err != nil || cs[0].Status != store.ChangeRunning {
		t.Fatalf("the change log: %+v %v", cs, err)
	}
	id := cs[0].ID
	_, body = he.post(otto, action, kept)
	_, confirm = editForm(t, body)
	resp, body = he.post(otto, action, confirm)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, fmt.Sprintf("change #%d by otto", id)) ||
		!strings.Contains(body, "has no recorded outcome") || !strings.Contains(body, `value="198.18.2.15-198.18.2.33"`) {
		t.Fatalf("a change while #%d is in doubt: %s\n%s", id, resp.Status, body)
	}
	if he.hashes() != before {
		t.Fatal("a refused change touched a peer")
	}

	// An operator may not close it; an admin who checked the servers may.
	if resp, _ := he.post(otto, fmt.Sprintf("/changes/%d/close", id), url.Values{"note": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("an operator closing a change: %s", resp.Status)
	}
	resp, body = he.get(ada, fmt.Sprintf("/changes/%d", id))
	m := regexp.MustCompile(`(?s)<form method="post" action="(/changes/\d+/close)">.*?name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("no close form for the admin: %s\n%s", resp.Status, body)
	}
	if resp, body := he.post(ada, m[1], url.Values{"csrf_token": {htmlUnescape(m[2])}, "note": {""}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "note") {
		t.Fatalf("closing without a note: %s", resp.Status)
	}
	if resp, body := he.post(ada, m[1], url.Values{"csrf_token": {htmlUnescape(m[2])}, "note": {"kea1 and kea2 both hold the configuration from before"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("closing: %s\n%s", resp.Status, body)
	}
	c, err := he.store.Change(context.Background(), id)
	if err != nil || c.Status != store.ChangeInterrupted || c.FinishedAt == nil || !strings.Contains(c.Error, "Closed as interrupted by ada: kea1 and kea2") {
		t.Fatalf("closed row: %+v %v", c, err)
	}

	// Now the kept input applies.
	_, body = he.post(otto, action, kept)
	_, confirm = editForm(t, body)
	if resp, body = he.post(otto, action, confirm); resp.StatusCode != 200 || !strings.Contains(body, "Applied") {
		t.Fatalf("applying the kept input: %s\n%s", resp.Status, body)
	}
	if got := he.pools(1, 3); got[1] != "198.18.2.15-198.18.2.33" {
		t.Fatalf("kea2 pools: %v", got)
	}
}
