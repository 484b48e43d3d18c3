package inbox

import (
	"errors"
	"strings"
	"testing"
)

const v4 = `{"version":"4","groupKey":"{}:{alertname=\"KeaSubnetUtilizationHigh\"}","truncatedAlerts":0,"status":"firing","receiver":"configui-inbox",
"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
"alerts":[{"status":"firing","labels":{"alertname":"KeaSubnetUtilizationHigh","server":"kea1","daemon":"dhcp4","subnet_id":"1"},
"annotations":{"runbook_url":"http://r/x.md"},"startsAt":"2026-01-02T03:04:05Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://p","fingerprint":"0123abcd"},
{"status":"resolved","labels":{"alertname":"KeaDown","server":"kea2"},"annotations":{},"startsAt":"2026-01-02T03:00:00Z","endsAt":"2026-01-02T03:05:00Z"}]}`

func TestParseWebhook(t *testing.T) {
	as, err := ParseWebhook(strings.NewReader(v4), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Fingerprint != "0123abcd" || !as[0].EndsAt.IsZero() || as[0].Labels["subnet_id"] != "1" {
		t.Fatalf("first: %+v", as[0])
	}
	if as[1].Status != "resolved" || as[1].EndsAt.IsZero() || as[1].Fingerprint == "" {
		t.Fatalf("second (fingerprint derived from labels): %+v", as[1])
	}
}

// Bad bodies are refused whole, with a message naming what is wrong.
func TestParseWebhookRefuses(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"garbage", "not json at all", "not Alertmanager's JSON"},
		{"no version", `{"alerts":[]}`, `"version" is missing`},
		{"unknown version", strings.Replace(v4, `"version":"4"`, `"version":"5"`, 1), `version "5" is not supported`},
		{"no alerts", `{"version":"4","alerts":[]}`, `"alerts" is empty`},
		{"bad status", strings.Replace(v4, `"status":"resolved"`, `"status":"maybe"`, 1), `alert #2: status "maybe"`},
		{"no alertname", strings.Replace(v4, `"alertname":"KeaDown",`, ``, 1), `alert #2: label "alertname" is missing`},
		{"no start", strings.Replace(v4, `"startsAt":"2026-01-02T03:00:00Z",`, ``, 1), `alert #2: "startsAt" is missing`},
		{"bad fingerprint", strings.Replace(v4, `0123abcd`, `<script>`, 1), `fingerprint "<script>"`},
	} {
		_, err := ParseWebhook(strings.NewReader(tc.body), 1<<20)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
	_, err := ParseWebhook(strings.NewReader(v4), 100)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge: %v", err)
	}
}

func TestMatches(t *testing.T) {
	subnet := map[string]string{"alertname": "U", "server": "kea1", "daemon": "dhcp4", "subnet_id": "5"}
	pool := map[string]string{"alertname": "P", "server": "kea1", "daemon": "dhcp4", "subnet_id": "5", "pool_id": "0"}
	server := map[string]string{"alertname": "D", "server": "kea1"}
	other := map[string]string{"alertname": "U", "server": "kea1", "daemon": "dhcp4", "subnet_id": "6"}
	v6 := map[string]string{"alertname": "U", "server": "kea1", "daemon": "dhcp6", "subnet_id": "5"}
	elsewhere := map[string]string{"alertname": "U", "server": "kea2", "daemon": "dhcp4", "subnet_id": "5"}
	page := PageLabels{"server": "kea1", "daemon": "dhcp4", "subnet_id": "5"}
	for _, tc := range []struct {
		labels map[string]string
		want   bool
	}{{subnet, true}, {pool, true}, {server, true}, {other, false}, {v6, false}, {elsewhere, false}} {
		if got := Matches(page, tc.labels); got != tc.want {
			t.Errorf("subnet page, %v: %v", tc.labels, got)
		}
	}
	if Matches(PageLabels{"server": "kea1", "daemon": "dhcp4", "subnet_id": "5", "pool_id": "1"}, pool) {
		t.Error("pool 0 alert on pool 1 page")
	}
	if Matches(PageLabels{"server": "kea1", "daemon": "dhcp4", "shared_network": "net"}, subnet) {
		t.Error("subnet alert without shared_network on a shared network page")
	}
}
