package config

import (
	"strings"
	"testing"
)

const good = `
kea:
  - name: kea1
    url: http://127.0.0.1:8000/
    daemons: [dhcp4, dhcp6]
    user: admin
    password-file: /etc/kea/pw
    timeout: 5s
alertmanager:
  url: http://127.0.0.1:9093
  poll-interval: 30s
database:
  host: /run/postgresql
  name: ddiscope
  user: configui
  on-fail: serve-retry-continue
  retry-on-startup: true
  max-reconnect-tries: 10
  reconnect-wait-time: 2s
web:
  external-url: https://configui.example/
  webhook-token-file: /etc/ddiscope/webhook-token
  sso-header: X-Forwarded-User
  trusted-proxies: [127.0.0.1, 10.0.0.0/8]
`

func TestParseGood(t *testing.T) {
	f, err := Parse("c.yml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := f.Server("kea1"); !ok || k.PasswordFile != "/etc/kea/pw" || len(k.Daemons) != 2 {
		t.Fatalf("kea1: %+v", k)
	}
	if got := f.TrustedProxies(); len(got) != 2 || got[0].String() != "127.0.0.1/32" {
		t.Fatalf("proxies %v", got)
	}
}

// Mistakes are named with their key (and line, for unknown keys).
func TestParseBad(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"database: {name: x}\nlease-interval: 1s\n", `c.yml:2: unknown key "lease-interval"`},
		{"database: {name: x}\nkea: [{name: a, url: ftp://x}]\n", `key "url"`},
		{"database: {name: x, on-fail: explode}\n", `"explode" is not stop-retry-exit`},
		{"database: {}\n", `key "name" is missing`},
		{"database: {name: x}\nweb: {sso-header: X-User}\n", `"sso-header" and "trusted-proxies" go together`},
		{"database: {name: x}\nweb: {sso-header: X-User, trusted-proxies: [nonsense]}\n", `"nonsense" is not a CIDR`},
		{"database: {name: x}\nkea: [{name: a, url: 'http://h/'}, {name: a, url: 'http://h/'}]\n", `is already used by the kea target #1`},
	} {
		_, err := Parse("c.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
