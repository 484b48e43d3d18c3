package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/pgtest"
)

func v4Body(server, status string) string {
	ends := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		ends = time.Now().UTC().Format(time.RFC3339)
	}
	return `{"version":"4","groupKey":"g","truncatedAlerts":0,"status":"` + status + `","receiver":"configui-inbox","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am",
"alerts":[{"status":"` + status + `","labels":{"alertname":"KeaSubnetUtilizationHigh","severity":"warning","server":"` + server + `","daemon":"dhcp4","subnet_id":"1"},
"annotations":{"summary":"Subnet 1 is nearly full","runbook_url":"https://runbooks.example/KeaSubnetUtilizationHigh.md","dashboard_url":"javascript:alert(1)"},
"startsAt":"2026-01-02T03:04:05Z","endsAt":"` + ends + `","generatorURL":"http://prom","fingerprint":"00aa11bb22cc33dd"}]}`
}

func TestWebhook(t *testing.T) {
	pg := pgtest.Start(t)
	e := newEditor(t, pg, "")

	t.Run("BadBodiesStoreNothing", func(t *testing.T) {
		for _, tc := range []struct {
			name, body, token string
			status            int
			msg               string
		}{
			{"garbage", "{{{not json", webhookToken, 400, "not Alertmanager's JSON"},
			{"huge", `{"version":"4","alerts":[` + strings.Repeat(`{"status":"firing"},`, 5000) + `]}`, webhookToken, 413, "over 65536 bytes"},
			{"wrong token", v4Body("kea1", "firing"), "not-the-token-at-all", 401, "bearer token"},
			{"no token", v4Body("kea1", "firing"), "", 401, "bearer token"},
			{"unknown version", strings.Replace(v4Body("kea1", "firing"), `"version":"4"`, `"version":"3"`, 1), webhookToken, 400, `version "3" is not supported`},
			{"one bad alert of two", strings.Replace(v4Body("kea1", "firing"), `"alerts":[`, `"alerts":[{"status":"firing","labels":{},"startsAt":"2026-01-02T03:04:05Z"},`, 1), webhookToken, 400, `alert #1: label "alertname" is missing`},
		} {
			resp, body := e.webhook(tc.body, tc.token)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.msg) {
				t.Errorf("%s: %s %q, want %d %q", tc.name, resp.Status, body, tc.status, tc.msg)
			}
		}
		if n := e.alertCount(); n != 0 {
			t.Fatalf("%d alerts stored from bad bodies", n)
		}
	})

	t.Run("FiringThenResolved", func(t *testing.T) {
		if resp, body := e.webhook(v4Body("kea1", "firing"), webhookToken); resp.StatusCode != 200 {
			t.Fatalf("%s %s", resp.Status, body)
		}
		c := e.signedIn("vic")
		_, body := e.get(c, "/inbox")
		for _, want := range []string{"KeaSubnetUtilizationHigh", "Subnet 1 is nearly full", `href="https://runbooks.example/KeaSubnetUtilizationHigh.md"`,
			`href="/servers/kea1/dhcp4/subnets/1"`, "firing"} {
			if !strings.Contains(body, want) {
				t.Errorf("inbox lacks %q", want)
			}
		}
		if strings.Contains(body, `href="javascript:`) {
			t.Error("a javascript: dashboard_url became a link")
		}
		// The subnet page shows it; another subnet's page does not.
		if _, body := e.get(c, "/servers/kea1/dhcp4/subnets/1"); !strings.Contains(body, "KeaSubnetUtilizationHigh") {
			t.Error("subnet 1 page lacks its alert")
		}
		if _, body := e.get(c, "/servers/kea1/dhcp4/subnets/2"); strings.Contains(body, "KeaSubnetUtilizationHigh") {
			t.Error("subnet 2 page shows subnet 1's alert")
		}
		e.webhook(v4Body("kea1", "resolved"), webhookToken)
		if _, body := e.get(c, "/servers/kea1/dhcp4/subnets/1"); strings.Contains(body, "KeaSubnetUtilizationHigh") {
			t.Error("a resolved alert still shows as firing")
		}
		if _, body := e.get(c, "/inbox?status=resolved"); !strings.Contains(body, "KeaSubnetUtilizationHigh") || !strings.Contains(body, "ended") {
			t.Error("the inbox lacks the resolved alert")
		}
		if n := e.alertCount(); n != 1 {
			t.Fatalf("%d rows for one alert", n)
		}
	})

	t.Run("DisabledWithoutToken", func(t *testing.T) {
		e.srv.token = nil
		defer func() { e.srv.token = []byte(webhookToken) }()
		if resp, _ := e.webhook(v4Body("kea1", "firing"), ""); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s", resp.Status)
		}
	})
}
