package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseAppliesDefaults(t *testing.T) {
	f, err := Parse("ddiscope.yml", []byte(`
defaults:
  interval: 30s
  on-fail: serve-retry-exit
  max-reconnect-tries: 5
kea:
  - name: a
    url: https://kea-a.example.net:8000/
    user: ddiscope
    password-file: /etc/ddiscope/a.pass
    trust-anchor: /etc/ddiscope/ca.pem
  - name: b
    url: unix:///run/kea/kea4-ctrl-socket
    interval: 5s
    daemons: [dhcp4]
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Kea) != 2 || f.Kea[0].Line != 7 || f.Kea[1].Line != 12 {
		t.Fatalf("targets %+v", f.Kea)
	}
	a, b := f.Kea[0].Effective(f.Defaults), f.Kea[1].Effective(f.Defaults)
	if *a.Interval != 30*time.Second || *b.Interval != 5*time.Second || *b.OnFail != "serve-retry-exit" || *b.MaxReconnectTries != 5 {
		t.Fatalf("effective settings: %+v %+v", a, b)
	}
}

func TestParseRejectsWithFileLineAndKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"kea:\n  - name: a\n    url: http://x:1/\n    pasword: s\n", `ddiscope.yml:4: unknown key "pasword"`},
		{"kea:\n  - name: a\n    url: http://x:1/\n    password: s\n    password-file: /p\n", `ddiscope.yml:4: kea target "a": keys "password" and "password-file"`},
		{"kea:\n  - name: a\n    url: http://x:1/\n    cert-file: c.pem\n", `"cert-file" and "key-file" go together`},
		{"kea:\n  - name: a\n    url: http://x:1/\n    daemons: [dhcp5]\n", `"daemons": "dhcp5"`},
		{"kea:\n  - url: http://x:1/\n", `key "name" is missing`},
		{"defaults:\n  timeout: 20s\n  interval: 10s\nkea:\n  - name: a\n    url: http://x:1/\n", `"timeout" (20s) is longer than "interval" (10s)`},
		{"kea: 7\n", "ddiscope.yml:1"},
		{"kea:\n  - name: a\n    url: unix://relative/path\n", "unix:///absolute/path"},
	} {
		_, err := Parse("ddiscope.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

// The lease pacing keys: lease-burst is inherited from defaults like the
// others, and a file written before it existed loads with the daemon's
// default (nil here).
func TestLeasePacingKeys(t *testing.T) {
	f, err := Parse("ddiscope.yml", []byte(`
defaults:
  lease-interval: 10m
  lease-pages-per-second: 5
  lease-burst: 20
kea:
  - name: a
    url: http://x:1/
  - name: b
    url: http://x:2/
    lease-burst: 1
    lease-budget: 3s
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := f.Kea[0].Effective(f.Defaults), f.Kea[1].Effective(f.Defaults)
	if *a.LeaseBurst != 20 || *b.LeaseBurst != 1 || *b.LeasePagesPerSecond != 5 || a.LeaseBudget != nil || *b.LeaseBudget != 3*time.Second {
		t.Fatalf("lease-burst %d and %d, lease-pages-per-second %v", *a.LeaseBurst, *b.LeaseBurst, *b.LeasePagesPerSecond)
	}
	old, err := Parse("ddiscope.yml", []byte("defaults:\n  lease-interval: 10m\n  lease-pages-per-second: 10\nkea:\n  - name: a\n    url: http://x:1/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := old.Kea[0].Effective(old.Defaults); e.LeaseBurst != nil || e.LeaseBudget != nil {
		t.Fatalf("lease-burst %d without the key", *e.LeaseBurst)
	}
}

// An error points at the line of the key that holds the bad value, not at
// the start of its target.
func TestErrorsNameTheLineOfTheKeyAtFault(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"bad on-fail", "kea:\n  - name: a\n    url: http://x:1/\n    on-fail: retry-forever\n",
			`ddiscope.yml:4: kea target "a": key "on-fail": "retry-forever" is not`},
		{"bad on-fail from defaults", "defaults:\n  interval: 10s\n  on-fail: retry-forever\nkea:\n  - name: a\n    url: http://x:1/\n",
			`ddiscope.yml:3: kea target "a" (from defaults): key "on-fail"`},
		{"bad url", "kea:\n  - name: a\n    daemons: [dhcp4]\n    url: ftp://x/\n", `ddiscope.yml:4: kea target "a": key "url"`},
		{"bad bind format", "bind:\n  - name: ns1\n    url: http://x:1/\n    format: yaml\n", `ddiscope.yml:4: bind target "ns1": key "format"`},
		{"timeout longer than interval", "kea:\n  - name: a\n    url: http://x:1/\n    interval: 5s\n    timeout: 9s\n",
			`ddiscope.yml:5: kea target "a": key "timeout" (9s)`},
		{"lease-burst zero", "kea:\n  - name: a\n    url: http://x:1/\n    lease-burst: 0\n",
			`ddiscope.yml:4: kea target "a": key "lease-burst" 0: must be 1 to 1000 pages`},
		{"lease-burst on bind", "bind:\n  - name: ns1\n    url: http://x:1/\n    lease-burst: 5\n",
			`ddiscope.yml:4: bind target "ns1": keys "ha-heartbeat", "lease-*"`},
		{"lease-budget not under timeout", "defaults:\n  timeout: 5s\nkea:\n  - name: a\n    url: http://x:1/\n    lease-budget: 5s\n",
			`ddiscope.yml:6: kea target "a": key "lease-budget" (5s) must be shorter than "timeout" (5s)`},
		{"bad otlp protocol", "otlp:\n  endpoint: x:4317\n  protocol: udp\n", `ddiscope.yml:3: otlp: key "protocol"`},
		{"duplicate name", "kea:\n  - name: a\n    url: http://x:1/\n  - url: http://x:2/\n    name: a\n",
			`ddiscope.yml:5: kea target "a": name "a" is already used by the kea target at ddiscope.yml:2`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("ddiscope.yml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// A name given twice, once by a flag, says which flag and which line.
func TestDuplicateNameFromFlagAndFile(t *testing.T) {
	f, err := Parse("ddiscope.yml", []byte("kea:\n  - name: other\n    url: http://x:1/\n  - name: a\n    url: http://x:2/\n"))
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseTargetFlag("a=http://127.0.0.1:8000/")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseBindFlag("a=http://127.0.0.1:8053/")
	if err != nil {
		t.Fatal(err)
	}
	f.Kea = append(f.Kea, k)
	f.Bind = append(f.Bind, b)
	err = f.Check()
	for _, want := range []string{
		`--kea.target "a=http://127.0.0.1:8000/": name "a" is already used by the kea target at ddiscope.yml:4`,
		`--bind.target "a=http://127.0.0.1:8053/": name "a" is already used by the kea target at ddiscope.yml:4`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}

func TestUnknownKeySuggestsTheClosest(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"kea:\n  - name: a\n    url: http://x:1/\n    on-fial: stop-retry-exit\n", `ddiscope.yml:4: unknown key "on-fial" (did you mean "on-fail"?)`},
		{"kea:\n  - name: a\n    url: http://x:1/\n    pasword: s\n", `unknown key "pasword" (did you mean "password"?)`},
		{"kea:\n  - name: a\n    url: http://x:1/\n    trust_anchor: /ca.pem\n", `(did you mean "trust-anchor"?)`},
		{"default:\n  interval: 10s\n", `ddiscope.yml:1: unknown key "default" (did you mean "defaults"?)`},
		{"defaults:\n  intervl: 10s\n", `(did you mean "interval"?)`},
		{"bind:\n  - name: ns1\n    url: http://x:1/\n    zone: true\n", `(did you mean "zones"?)`},
		{"otlp:\n  endpoit: x:4317\n", `(did you mean "endpoint"?)`},
	} {
		_, err := Parse("ddiscope.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
	// Nothing near enough: no guess.
	_, err := Parse("ddiscope.yml", []byte("kea:\n  - name: a\n    url: http://x:1/\n    colour: blue\n"))
	if err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), `unknown key "colour"`) {
		t.Errorf("error %v: want an unknown key without a guess", err)
	}
}

func TestDiscoverPrefersTheControlAgent(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kea-ctrl-agent.conf"), []byte(`{ "Control-agent": { "http-host": "0.0.0.0", "http-port": 8000 } }`), 0o644)
	os.WriteFile(filepath.Join(dir, "kea-dhcp4.conf"), []byte(`{ "Dhcp4": { "control-socket": { "socket-type": "unix", "socket-name": "/run/kea/k4" } } }`), 0o644)
	ts, found, err := Discover(dir)
	if err != nil || len(ts) != 1 || ts[0].URL != "http://127.0.0.1:8000/" || len(found) != 1 {
		t.Fatalf("%+v %v %v", ts, found, err)
	}
}

func TestDiscoverDaemonSockets(t *testing.T) {
	dir := t.TempDir()
	// Kea's own syntax: comments of three kinds, a "//" inside a string.
	os.WriteFile(filepath.Join(dir, "kea-dhcp4.conf"), []byte(`# Kea 2.2
{ "Dhcp4": {
    // the socket
    "control-socket": { "socket-type": "unix", "socket-name": "/run/kea/kea4-ctrl-socket" },
    /* not "http://" */ "option-data": [ { "name": "tftp-server-name", "data": "http://boot/x" } ]
} }`), 0o644)
	// Kea 3.x: an HTTP control socket on the daemon itself.
	os.WriteFile(filepath.Join(dir, "kea-dhcp6.conf"), []byte(`{ "Dhcp6": { "control-sockets": [ { "socket-type": "http", "socket-address": "::", "socket-port": 8006 } ] } }`), 0o644)
	ts, _, err := Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].URL != "unix:///run/kea/kea4-ctrl-socket" || ts[1].URL != "http://[::1]:8006/" {
		t.Fatalf("%+v", ts)
	}
}

// Kea 3.0 configs name sockets without a directory: they live in
// KEA_CONTROL_SOCKET_DIR (default /run/kea); an HTTP socket with a
// certificate serves TLS.
func TestDiscoverKea30SocketNames(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kea-dhcp4.conf"), []byte(`{ "Dhcp4": { "control-sockets": [ { "socket-type": "unix", "socket-name": "kea4-ctrl-socket" } ] } }`), 0o644)
	os.WriteFile(filepath.Join(dir, "kea-dhcp6.conf"), []byte(`{ "Dhcp6": { "control-sockets": [ { "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8006, "cert-file": "/etc/kea/kea.pem" } ] } }`), 0o644)
	t.Setenv("KEA_CONTROL_SOCKET_DIR", "")
	ts, _, err := Discover(dir)
	if err != nil || len(ts) != 2 || ts[0].URL != "unix:///run/kea/kea4-ctrl-socket" || ts[1].URL != "https://127.0.0.1:8006/" {
		t.Fatalf("%+v %v", ts, err)
	}
	t.Setenv("KEA_CONTROL_SOCKET_DIR", "/srv/kea/sockets")
	if ts, _, err := Discover(dir); err != nil || ts[0].URL != "unix:///srv/kea/sockets/kea4-ctrl-socket" {
		t.Fatalf("with KEA_CONTROL_SOCKET_DIR: %+v %v", ts, err)
	}
}

func TestDiscoverNothing(t *testing.T) {
	_, _, err := Discover(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--kea.target") {
		t.Fatalf("%v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kea-dhcp4.conf"), []byte(`{ "Dhcp4": { `), 0o644)
	if _, _, err := Discover(dir); err == nil || !strings.Contains(err.Error(), "kea-dhcp4.conf") {
		t.Fatalf("broken file: %v", err)
	}
}

func TestModeDefaultsToPollAndIsInherited(t *testing.T) {
	f, err := Parse("ddiscope.yml", []byte(`
defaults:
  mode: probe
kea:
  - name: a
    url: http://x:1/
  - name: b
    url: http://x:2/
    mode: poll
bind:
  - name: c
    url: http://127.0.0.1:8053/
`))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Kea[0].Effective(f.Defaults).ProbeOnly() || f.Kea[1].Effective(f.Defaults).ProbeOnly() || !f.Bind[0].Poll.Effective(f.Defaults).ProbeOnly() {
		t.Errorf("modes: a %v, b %v, c %v; want probe, poll, probe", *f.Kea[0].Effective(f.Defaults).Mode, *f.Kea[1].Effective(f.Defaults).Mode, *f.Bind[0].Poll.Effective(f.Defaults).Mode)
	}
	f, err = Parse("ddiscope.yml", []byte("kea:\n  - name: a\n    url: http://x:1/\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Kea[0].Effective(f.Defaults).ProbeOnly() {
		t.Error("a target with no mode is probe-only; the default is poll")
	}
}

func TestBadModeNamesFileLineAndKey(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"kea:\n  - name: a\n    url: http://x:1/\n  - name: b\n    url: http://x:2/\n    mode: probes\n",
			`ddiscope.yml:6: kea target "b": key "mode": "probes" is not poll`},
		{"bind:\n  - name: n\n    url: http://127.0.0.1:8053/\n    mode: pull\n",
			`ddiscope.yml:4: bind target "n": key "mode": "pull" is not poll`},
		{"# the defaults\ndefaults:\n  mode: Probe\nkea:\n  - name: a\n    url: http://x:1/\n",
			`ddiscope.yml:3: defaults: key "mode": "Probe" is not poll`},
	} {
		_, err := Parse("ddiscope.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
		if err != nil && strings.Count(err.Error(), `key "mode"`) != 1 {
			t.Errorf("%q: the bad mode is reported more than once: %v", tc.yaml, err)
		}
	}
}
