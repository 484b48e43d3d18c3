package apply

import (
	"errors"
	"strings"
	"testing"
)

func mustConfig(t testing.TB, s string) Config {
	t.Helper()
	c, err := ParseConfig([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDiff(t *testing.T) {
	base := `{"Dhcp4": {"valid-lifetime": 4000, "subnet4": [
		{"id": 1, "subnet": "10.0.0.0/24", "pools": [{"pool": "10.0.0.10-10.0.0.20"}, {"pool": "10.0.0.30-10.0.0.40"}]},
		{"id": 2, "subnet": "10.0.1.0/24", "pools": []}],
		"option-data": [{"name": "routers", "data": "10.0.0.1"}]}}`
	cases := []struct {
		name, to string
		want     []string
	}{
		{"same", base, nil},
		{"pool extended in place", strings.Replace(base, "10.0.0.10-10.0.0.20", "10.0.0.10-10.0.0.25", 1),
			[]string{`~ Dhcp4.subnet4[id=1].pools[0].pool: "10.0.0.10-10.0.0.20" → "10.0.0.10-10.0.0.25"`}},
		{"first pool removed", strings.Replace(base, `{"pool": "10.0.0.10-10.0.0.20"}, `, "", 1),
			[]string{`- Dhcp4.subnet4[id=1].pools[0]: {"pool":"10.0.0.10-10.0.0.20"}`}},
		{"pool added", strings.Replace(base, `"pools": []`, `"pools": [{"pool": "10.0.1.5-10.0.1.9"}]`, 1),
			[]string{`+ Dhcp4.subnet4[id=2].pools[0]: {"pool":"10.0.1.5-10.0.1.9"}`}},
		{"subnet removed, number changed, member added",
			strings.Replace(strings.Replace(base, `{"id": 2, "subnet": "10.0.1.0/24", "pools": []}`, `{"id": 3, "subnet": "10.0.3.0/24"}`, 1), `4000`, `7200, "renew-timer": 900`, 1),
			[]string{
				`+ Dhcp4.renew-timer: 900`,
				`- Dhcp4.subnet4[id=2]: {"id":2,"pools":[],"subnet":"10.0.1.0/24"}`,
				`+ Dhcp4.subnet4[id=3]: {"id":3,"subnet":"10.0.3.0/24"}`,
				`~ Dhcp4.valid-lifetime: 4000 → 7200`,
			}},
		{"option keyed by name", strings.Replace(base, `"data": "10.0.0.1"`, `"data": "10.0.0.2"`, 1),
			[]string{`~ Dhcp4.option-data[name=routers].data: "10.0.0.1" → "10.0.0.2"`}},
		{"type change", strings.Replace(base, `"pools": []`, `"pools": {}`, 1),
			[]string{`~ Dhcp4.subnet4[id=2].pools: [] → {}`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DiffConfigs(mustConfig(t, base), mustConfig(t, c.to))
			var lines []string
			for _, e := range got {
				lines = append(lines, e.String())
			}
			if strings.Join(lines, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(c.want, "\n"))
			}
			// Stable: the same inputs give the same text.
			if again := Render(DiffConfigs(mustConfig(t, base), mustConfig(t, c.to))); again != Render(got) {
				t.Errorf("unstable diff")
			}
		})
	}
}

func TestCanonicalKeepsNumbersExact(t *testing.T) {
	a := mustConfig(t, `{"Dhcp6": {"x": 18446744073709551617, "b": 1, "a": 2.50}}`)
	if got := string(a.Canonical()); got != `{"Dhcp6":{"a":2.50,"b":1,"x":18446744073709551617}}` {
		t.Fatalf("canonical: %s", got)
	}
	b := mustConfig(t, `{"Dhcp6": {"a": 2.50, "x": 18446744073709551617, "b": 1}}`)
	if a.Hash() != b.Hash() {
		t.Fatal("member order changed the hash")
	}
	c := b.Clone()
	c["Dhcp6"].(map[string]any)["b"] = "changed"
	if b.Hash() != a.Hash() {
		t.Fatal("Clone shares maps with the original")
	}
	if _, err := ParseConfig([]byte(`{"Dhcp4": {}} {}`)); err == nil {
		t.Fatal("trailing data accepted")
	}
}

func TestContains(t *testing.T) {
	got := mustConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "pools": [{"pool": "a", "option-data": []}]}], "extra": true}}`)
	want := mustConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "pools": [{"pool": "a"}]}]}}`)
	if p, ok := contains(map[string]any(got), map[string]any(want), ""); !ok {
		t.Fatalf("defaults added by Kea rejected at %s", p)
	}
	want2 := mustConfig(t, `{"Dhcp4": {"subnet4": [{"id": 1, "pools": [{"pool": "b"}]}]}}`)
	if p, ok := contains(map[string]any(got), map[string]any(want2), ""); ok || p != "Dhcp4.subnet4[0].pools[0].pool" {
		t.Fatalf("a different pool accepted (%q, %v)", p, ok)
	}
}

func TestContainsPoolInKeasForm(t *testing.T) {
	got := mustConfig(t, `{"Dhcp4": {"pools": [{"pool": "198.18.0.12/31"}, {"pool": "198.18.0.16/28"}]}}`)
	want := mustConfig(t, `{"Dhcp4": {"pools": [{"pool": "198.18.0.12-198.18.0.13"}, {"pool": "198.18.0.16 - 198.18.0.31"}]}}`)
	if p, ok := contains(map[string]any(got), map[string]any(want), ""); !ok {
		t.Fatalf("Kea's prefix form of the same range rejected at %s", p)
	}
	other := mustConfig(t, `{"Dhcp4": {"pools": [{"pool": "198.18.0.12-198.18.0.14"}, {"pool": "198.18.0.16 - 198.18.0.31"}]}}`)
	if _, ok := contains(map[string]any(got), map[string]any(other), ""); ok {
		t.Fatal("a different range accepted")
	}
}

func TestChangedSubnets(t *testing.T) {
	base := `{"Dhcp4": {"valid-lifetime": 1, "subnet4": [{"id": 1, "pools": [{"pool": "a"}], "reservations": []}, {"id": 2, "reservations": [{"hw-address": "x"}]}],
		"shared-networks": [{"name": "n", "subnet4": [{"id": 3, "pools": []}]}]}}`
	cases := []struct {
		name, to string
		ok       bool
		n        int
	}{
		{"pool of a top-level subnet", strings.Replace(base, `"pool": "a"`, `"pool": "b"`, 1), true, 1},
		{"subnet in a shared network", strings.Replace(base, `{"id": 3, "pools": []}`, `{"id": 3, "pools": [{"pool": "c"}]}`, 1), true, 1},
		{"global parameter", strings.Replace(base, `"valid-lifetime": 1`, `"valid-lifetime": 2`, 1), false, 0},
		{"subnet added", strings.Replace(base, `"pools": []}]}]`, `"pools": []}, {"id": 4}]}]`, 1), false, 0},
		{"subnet moved out of its shared network", `{"Dhcp4": {"valid-lifetime": 1, "subnet4": [{"id": 1, "pools": [{"pool": "a"}], "reservations": []}, {"id": 2, "reservations": [{"hw-address": "x"}]}, {"id": 3, "pools": []}],
		"shared-networks": [{"name": "n", "subnet4": []}]}}`, false, 0},
		{"a subnet with reservations", strings.Replace(base, `{"id": 2, `, `{"id": 2, "valid-lifetime": 5, `, 1), false, 0},
		{"reservation added", strings.Replace(base, `"reservations": []}`, `"reservations": [{"hw-address": "y"}]}`, 1), false, 0},
	}
	for _, c := range cases {
		subs, ok := changedSubnets(mustConfig(t, base), mustConfig(t, c.to), "dhcp4")
		if ok != c.ok || len(subs) != c.n {
			t.Errorf("%s: ok %v with %d subnets, want %v with %d", c.name, ok, len(subs), c.ok, c.n)
		}
		for _, s := range subs {
			if _, has := s.(map[string]any)["reservations"]; has {
				t.Errorf("%s: reservations sent to subnet4-update", c.name)
			}
		}
	}
}

func TestConfigBackendServersRefused(t *testing.T) {
	a := New(Options{})
	cb := mustConfig(t, `{"Dhcp4": {"config-control": {"config-databases": [{"type": "postgresql", "name": "kea"}]}, "subnet4": []}}`)
	_, err := a.edit(Request{Daemon: "dhcp4", Edit: func(string, Config) error { return nil }}, []PeerConfig{{Peer: "kea1", Config: cb, Hash: cb.Hash()}})
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "configuration backend") {
		t.Fatalf("a server on a configuration backend: %v", err)
	}
	plain := mustConfig(t, `{"Dhcp4": {"config-control": {"config-fetch-wait-time": 30}, "subnet4": []}}`)
	_, err = a.edit(Request{Daemon: "dhcp4", Edit: func(_ string, c Config) error { c["Dhcp4"].(map[string]any)["x"] = true; return nil }},
		[]PeerConfig{{Peer: "kea1", Config: plain, Hash: plain.Hash()}})
	if err != nil {
		t.Fatalf("config-control without databases: %v", err)
	}
}
