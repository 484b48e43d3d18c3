package inbox

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/promtest"
)

type memSink struct {
	saved    []Alert
	firing   []string
	resolved int64
}

func (m *memSink) SaveAlerts(_ context.Context, as []Alert) error {
	m.saved = append(m.saved, as...)
	return nil
}
func (m *memSink) ResolveMissing(_ context.Context, fps []string) (int64, error) {
	m.firing = fps
	return m.resolved, nil
}

// The poller reads what a real Alertmanager holds, with Alertmanager's own
// fingerprints, so an alert sent while the editor was away is found.
func TestPollerReadsRealAlertmanager(t *testing.T) {
	promtest.Require(t, promtest.Alertmanager)
	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")})
	body := `[{"labels":{"alertname":"KeaSubnetUtilizationHigh","server":"kea1","daemon":"dhcp4","subnet_id":"1"},
		"annotations":{"runbook_url":"http://r/KeaSubnetUtilizationHigh.md"},"startsAt":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"}]`
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("posting to alertmanager: %s", resp.Status)
	}
	sink := &memSink{}
	p := &Poller{URL: am.URL, Sink: sink, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	promtest.Eventually(t, 20*time.Second, "alert polled", func() bool {
		sink.saved = nil
		n, _, err := p.PollOnce(context.Background())
		return err == nil && n == 1
	})
	a := sink.saved[0]
	if a.Status != "firing" || a.Labels["subnet_id"] != "1" || a.Annotations["runbook_url"] == "" || a.Source != "poll" {
		t.Fatalf("polled: %+v", a)
	}
	if len(sink.firing) != 1 || sink.firing[0] != a.Fingerprint {
		t.Fatalf("firing set %v", sink.firing)
	}
	// The derived fingerprint of a webhook alert without one equals
	// Alertmanager's, so both paths update the same row.
	w := Alert{Status: "firing", Labels: a.Labels, StartsAt: a.StartsAt}
	if err := w.normalise(); err != nil || w.Fingerprint != a.Fingerprint {
		t.Fatalf("derived fingerprint %q, alertmanager's %q (%v)", w.Fingerprint, a.Fingerprint, err)
	}
	bad := &Poller{URL: "http://" + promtest.FreeAddr(t), Sink: sink, Log: p.Log}
	if _, _, err := bad.PollOnce(context.Background()); err == nil {
		t.Fatal("no error from an absent alertmanager")
	}
}

// An alert that Alertmanager inhibits (a warning under its critical) is not
// notified, so the poll does not add it to the inbox either; it still fires,
// so it is not resolved.
func TestPollerLeavesOutInhibitedAlerts(t *testing.T) {
	promtest.Require(t, promtest.Alertmanager)
	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: []byte(`route:
  receiver: blackhole
receivers:
  - name: blackhole
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [server, subnet_id]
`)})
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	body := `[{"labels":{"alertname":"KeaSubnetUtilizationCritical","severity":"critical","server":"kea1","daemon":"dhcp4","subnet_id":"1"},"startsAt":"` + at + `"},
		{"labels":{"alertname":"KeaSubnetUtilizationHigh","severity":"warning","server":"kea1","daemon":"dhcp4","subnet_id":"1"},"startsAt":"` + at + `"}]`
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("posting to alertmanager: %s", resp.Status)
	}
	sink := &memSink{}
	p := &Poller{URL: am.URL, Sink: sink, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	// Alertmanager marks the warning inhibited once it has processed both.
	promtest.Eventually(t, 20*time.Second, "the critical stored, the inhibited warning left out but kept firing", func() bool {
		sink.saved = nil
		n, _, err := p.PollOnce(context.Background())
		return err == nil && n == 1 && len(sink.firing) == 2
	})
	if got := sink.saved[0].Labels["alertname"]; got != "KeaSubnetUtilizationCritical" {
		t.Fatalf("stored %s, want only the critical alert", got)
	}
}
