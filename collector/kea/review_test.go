package kea

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// labConfig4 is the lab's captured kea-dhcp4 config-get (Kea 2.2, HA
// load-balancing, shared network lab-lan of subnets 1 and 2; subnets 3 and
// 4 plain), decoded so that a test can break it the way an operator would.
func labConfig(t *testing.T, file, top string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(captured + file)
	if err != nil {
		t.Fatal(err)
	}
	var reply []map[string]any
	if err := json.Unmarshal(b, &reply); err != nil {
		t.Fatal(err)
	}
	return reply[0]["arguments"].(map[string]any)[top].(map[string]any)
}

// findingsOf reads a configuration as the poller would and returns its
// findings as "check: subject".
func findingsOf(t *testing.T, daemon, top string, conf map[string]any) []string {
	t.Helper()
	b, err := json.Marshal(map[string]any{top: conf})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfig("kea1", daemon, b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range cfg.findings {
		out = append(out, f.check+": "+f.subject)
	}
	return out
}

// subnet finds a subnet of the lab's config by id, in or out of a shared
// network.
func confSubnet(conf map[string]any, key string, id float64) map[string]any {
	lists := []any{conf[key]}
	for _, sn := range conf["shared-networks"].([]any) {
		lists = append(lists, sn.(map[string]any)[key])
	}
	for _, l := range lists {
		for _, s := range l.([]any) {
			if s.(map[string]any)["id"] == id {
				return s.(map[string]any)
			}
		}
	}
	return nil
}

func appendTo(m map[string]any, key string, v any) {
	l, _ := m[key].([]any)
	m[key] = append(l, v)
}

func hostV4(mac, addr string) map[string]any {
	return map[string]any{"hw-address": mac, "ip-address": addr}
}

// Every configuration captured from a real Kea (the lab's, and those
// written from the ARM for 2.4 to 3.1) is clean: the checks find nothing.
func TestReviewOfCapturedConfigsFindsNothing(t *testing.T) {
	var files []string
	for _, glob := range []string{captured + "*config-get*.json", captured + "*/*config-get*.json", "../../../shared/captures/kea*-dhcp*-config-get*.json"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 15 {
		t.Fatalf("only %d captured configurations", len(files))
	}
	for _, f := range files {
		if strings.Contains(f, "-ca-") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		daemon := "dhcp4"
		if strings.Contains(filepath.Base(f), "dhcp6") {
			daemon = "dhcp6"
		}
		cfg, err := parseConfigReply("kea1", daemon, b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(cfg.findings) != 0 {
			t.Errorf("%s: findings in a working configuration: %v", filepath.Base(f), cfg.findings)
		}
	}
}

// Each check against the lab's configuration broken in one place; the
// unbroken configuration is the "fixed" case (the test above). Where Kea
// 2.2 itself refuses the mistake (noted), a configuration from another
// source (config backend, older Kea, a hand-edited file not yet loaded)
// can still carry it.
func TestReviewChecksOnBrokenLabConfig(t *testing.T) {
	for _, tc := range []struct {
		name   string
		daemon string
		break_ func(c map[string]any)
		want   []string
	}{
		{"subnet overlapping another", "dhcp4", func(c map[string]any) {
			appendTo(c, "subnet4", map[string]any{"id": 100, "subnet": "198.18.2.128/25", "pools": []any{map[string]any{"pool": "198.18.2.200-198.18.2.210"}}})
		}, []string{"subnet-overlap: subnet 100 198.18.2.128/25 overlaps subnet 3 198.18.2.0/24"}},
		// Kea 2.2 refuses it: "does not match the prefix of a subnet".
		{"pool outside its subnet", "dhcp4", func(c map[string]any) {
			appendTo(confSubnet(c, "subnet4", 3), "pools", map[string]any{"pool": "198.18.9.1-198.18.9.5"})
		}, []string{"pool-outside-subnet: subnet 3 198.18.2.0/24 pool 198.18.9.1-198.18.9.5"}},
		// Kea 2.2 refuses overlapping pools in one subnet; across
		// overlapping subnets it accepts them.
		{"pools overlapping in one subnet", "dhcp4", func(c map[string]any) {
			appendTo(confSubnet(c, "subnet4", 3), "pools", map[string]any{"pool": "198.18.2.12-198.18.2.13"})
		}, []string{"pool-overlap: subnet 3 198.18.2.0/24 pool 198.18.2.12-198.18.2.13 overlaps subnet 3 pool 198.18.2.10-198.18.2.14"}},
		{"pools overlapping across subnets", "dhcp4", func(c map[string]any) {
			appendTo(c, "subnet4", map[string]any{"id": 100, "subnet": "198.18.3.0/25", "pools": []any{map[string]any{"pool": "198.18.3.100-198.18.3.120"}}})
		}, []string{"subnet-overlap: subnet 100 198.18.3.0/25 overlaps subnet 4 198.18.3.0/24",
			"pool-overlap: subnet 100 198.18.3.0/25 pool 198.18.3.100-198.18.3.120 overlaps subnet 4 pool 198.18.3.10-198.18.3.250"}},
		// Kea 2.2 refuses it: "is not within the IPv4 subnet".
		{"reservation outside its subnet", "dhcp4", func(c map[string]any) {
			appendTo(confSubnet(c, "subnet4", 4), "reservations", hostV4("02:00:00:00:bb:01", "198.18.7.7"))
		}, []string{"reservation-outside-subnet: subnet 4 198.18.3.0/24 reservation 198.18.7.7"}},
		{"reservation in a pool, out-of-pool set globally", "dhcp4", func(c map[string]any) {
			c["reservations-out-of-pool"] = true
			appendTo(confSubnet(c, "subnet4", 4), "reservations", hostV4("02:00:00:00:bb:01", "198.18.3.20"))
			appendTo(confSubnet(c, "subnet4", 4), "reservations", hostV4("02:00:00:00:bb:02", "198.18.3.251")) // out of the pool: fine
		}, []string{"reservation-in-pool: subnet 4 198.18.3.0/24 reservation 198.18.3.20 in pool 198.18.3.10-198.18.3.250"}},
		{"reservation in a pool, out-of-pool set on the shared network", "dhcp4", func(c map[string]any) {
			sn := c["shared-networks"].([]any)[0].(map[string]any)
			sn["reservation-mode"] = "out-of-pool" // the pre-2.0 spelling
			appendTo(confSubnet(c, "subnet4", 1), "reservations", hostV4("02:00:00:00:bb:01", "198.18.0.11"))
			appendTo(confSubnet(c, "subnet4", 3), "reservations", hostV4("02:00:00:00:bb:02", "198.18.2.11")) // not in the network: in-pool allowed
		}, []string{"reservation-in-pool: subnet 1 198.18.0.0/24 reservation 198.18.0.11 in pool 198.18.0.10-198.18.0.13"}},
		{"reservation in a pool, out-of-pool overridden by the subnet", "dhcp4", func(c map[string]any) {
			c["reservations-out-of-pool"] = true
			confSubnet(c, "subnet4", 4)["reservations-out-of-pool"] = false
			appendTo(confSubnet(c, "subnet4", 4), "reservations", hostV4("02:00:00:00:bb:01", "198.18.3.20"))
		}, nil},
		{"pool exhausted by reservations", "dhcp4", func(c map[string]any) {
			for i := 10; i <= 14; i++ {
				appendTo(confSubnet(c, "subnet4", 3), "reservations", hostV4(fmt.Sprintf("02:00:00:00:bb:%02x", i), fmt.Sprintf("198.18.2.%d", i)))
			}
			appendTo(confSubnet(c, "subnet4", 3), "reservations", hostV4("02:00:00:00:bb:ff", "198.18.2.15")) // one of the next pool's five
		}, []string{"pool-exhausted-by-reservations: subnet 3 198.18.2.0/24 pool 198.18.2.10-198.18.2.14 (5 reserved of 5)"}},
		{"subnet without pools", "dhcp4", func(c map[string]any) {
			appendTo(c, "subnet4", map[string]any{"id": 101, "subnet": "198.18.9.0/24"})
		}, []string{"subnet-without-pools: subnet 101 198.18.9.0/24"}},
		{"shared network of one subnet", "dhcp4", func(c map[string]any) {
			sn := c["shared-networks"].([]any)[0].(map[string]any)
			sn["subnet4"] = sn["subnet4"].([]any)[:1]
			appendTo(c, "shared-networks", map[string]any{"name": "empty", "subnet4": []any{}})
		}, []string{"shared-network-single-subnet: shared-network lab-lan (1 subnets)", "shared-network-single-subnet: shared-network empty (0 subnets)"}},
		{"ha without lease_cmds", "dhcp4", func(c map[string]any) {
			c["hooks-libraries"] = slices.DeleteFunc(c["hooks-libraries"].([]any), func(h any) bool {
				return strings.Contains(h.(map[string]any)["library"].(string), "lease_cmds")
			})
		}, []string{"hook-missing: lease_cmds (needed by the ha hook: lease updates and synchronisation between peers)"}},
		{"ha-server-name without the ha hook", "dhcp4", func(c map[string]any) {
			c["hooks-libraries"] = []any{}
			confSubnet(c, "subnet4", 4)["user-context"] = map[string]any{"ha-server-name": "server1"}
		}, []string{"hook-missing: ha (subnet 4 198.18.3.0/24 names ha-server-name server1)"}},
		{"daemon http control socket with credentials, no TLS (Kea 2.7.2+)", "dhcp4", func(c map[string]any) {
			c["control-sockets"] = []any{map[string]any{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8004,
				"authentication": map[string]any{"type": "basic", "clients": []any{map[string]any{"user": "admin", "password": "x"}}}}}
		}, []string{"credentials-without-tls: control-socket http://127.0.0.1:8004"}},
		{"daemon https control socket with credentials", "dhcp4", func(c map[string]any) {
			c["control-sockets"] = []any{map[string]any{"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8004, "cert-file": "/etc/kea/kea.crt",
				"authentication": map[string]any{"type": "basic", "clients": []any{map[string]any{"user": "admin", "password": "x"}}}}}
		}, nil},
		{"ha peer credentials over http", "dhcp4", func(c map[string]any) {
			ha := c["hooks-libraries"].([]any)[2].(map[string]any)["parameters"].(map[string]any)["high-availability"].([]any)[0].(map[string]any)
			ha["peers"].([]any)[1].(map[string]any)["basic-auth-user"] = "ha"
			ha["peers"].([]any)[1].(map[string]any)["basic-auth-password"] = "secret"
		}, []string{"credentials-without-tls: ha peer server2 http://198.18.0.2:8102/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := labConfig(t, "kea2.2-dhcp4-config-get.json", "Dhcp4")
			tc.break_(c)
			got := findingsOf(t, tc.daemon, "Dhcp4", c)
			want := slices.Clone(tc.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings\n got %q\nwant %q", got, want)
			}
		})
	}
}

// IPv6: prefix reservations exhaust a pd-pool; with out-of-pool set,
// address and prefix reservations inside pools are both found.
func TestReviewV6Reservations(t *testing.T) {
	c := labConfig(t, "kea2.2-dhcp6-config-get.json", "Dhcp6")
	// Subnet 1's pd-pool 2001:db8:8000::/48 delegates /56: 256 prefixes.
	var prefixes []any
	for i := range 256 {
		prefixes = append(prefixes, fmt.Sprintf("2001:db8:8000:%x00::/56", i))
	}
	s1 := confSubnet(c, "subnet6", 1)
	appendTo(s1, "reservations", map[string]any{"duid": "01:02:03", "prefixes": prefixes, "ip-addresses": []any{"2001:db8:1::105"}})
	got := findingsOf(t, "dhcp6", "Dhcp6", c)
	want := []string{"pool-exhausted-by-reservations: subnet 1 2001:db8:1::/64 pd-pool 2001:db8:8000::/48 (256 reserved of 256)"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}

	c = labConfig(t, "kea2.2-dhcp6-config-get.json", "Dhcp6")
	s1 = confSubnet(c, "subnet6", 1)
	s1["reservations-out-of-pool"] = true
	appendTo(s1, "reservations", map[string]any{"duid": "01:02:03", "prefixes": []any{"2001:db8:8000:100::/56"}, "ip-addresses": []any{"2001:db8:1::105", "2001:db8:1::1"}})
	got = findingsOf(t, "dhcp6", "Dhcp6", c)
	want = []string{
		"reservation-in-pool: subnet 1 2001:db8:1::/64 reservation 2001:db8:1::105 in pool 2001:db8:1::100/120",
		"reservation-in-pool: subnet 1 2001:db8:1::/64 reservation 2001:db8:8000:100::/56 in pool 2001:db8:8000::/48",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// Kea before 2.5.3 keeps statistics in signed 64 bits: the lab's whole-/64
// pool (subnet 2) and subnet 3's pd-pool (2^24 /64s of a /40: fits) are
// checked against the version version-get reports.
func TestReviewV6CounterOverflowDependsOnVersion(t *testing.T) {
	b, err := os.ReadFile(captured + "kea2.2-dhcp6-config-get.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseConfigReply("kea1", "dhcp6", b)
	if err != nil {
		t.Fatal(err)
	}
	got := reviewVersion("dhcp6", cfg, parseKeaVersion("2.2.0"))
	want := []finding{{catalog.CheckV6CounterOverflow, "subnet 2 2001:db8:2::/64 (2^64 addresses in pools, Kea 2.2.0)"}}
	if !slices.Equal(got, want) {
		t.Errorf("Kea 2.2.0: %v, want %v", got, want)
	}
	for _, v := range []string{"2.5.3", "2.6.1", "3.0.4"} {
		if got := reviewVersion("dhcp6", cfg, parseKeaVersion(v)); len(got) != 0 {
			t.Errorf("Kea %s: %v", v, got)
		}
	}
	if got := reviewVersion("dhcp6", cfg, parseKeaVersion("2.5.2")); len(got) != 1 {
		t.Errorf("Kea 2.5.2: %v", got)
	}
	if got := reviewVersion("dhcp6", cfg, keaVersion{}); len(got) != 0 {
		t.Errorf("unknown version: %v", got)
	}
}

// statistic-default-sample-count: only large configurations, only when it
// is left at Kea's 20.
func TestReviewSampleCountOnLargeConfigs(t *testing.T) {
	for _, tc := range []struct {
		subnets int
		count   string
		want    int
	}{{largeConfigSubnets, "", 1}, {largeConfigSubnets, `"statistic-default-sample-count": 20, `, 1},
		{largeConfigSubnets, `"statistic-default-sample-count": 1, `, 0}, {largeConfigSubnets - 1, "", 0}} {
		body := strings.Replace(string(keagen.ConfigGet4(tc.subnets)), `"Dhcp4": {`, `"Dhcp4": {`+tc.count, 1)
		cfg, err := parseConfigReply("kea1", "dhcp4", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range cfg.findings {
			if f.check == catalog.CheckSampleCount {
				n++
			}
		}
		if n != tc.want {
			t.Errorf("%d subnets, %q: %d findings, want %d (%v)", tc.subnets, tc.count, n, tc.want, cfg.findings)
		}
	}
}

// The Control Agent's own configuration: authentication without cert-file.
func TestReviewControlAgent(t *testing.T) {
	var reply []struct {
		Arguments configReply `json:"arguments"`
	}
	b, _ := os.ReadFile(captured + "kea2.2-ca-config-get.json")
	if err := json.Unmarshal(b, &reply); err != nil {
		t.Fatal(err)
	}
	a := reply[0].Arguments.Agent
	if got := reviewAgent(a); len(got) != 0 {
		t.Errorf("captured agent: %v", got)
	}
	if err := json.Unmarshal([]byte(`{"type": "basic", "clients": [{"user": "u", "password": "p"}]}`), &a.Authentication); err != nil {
		t.Fatal(err)
	}
	if got := reviewAgent(a); len(got) != 1 || got[0].subject != "control-agent (authentication without cert-file)" {
		t.Errorf("agent with basic auth over http: %v", got)
	}
	a.CertFile = "/etc/kea/ca.crt"
	if got := reviewAgent(a); len(got) != 0 {
		t.Errorf("agent with TLS: %v", got)
	}
}

// A check finding more than the bound exports the first 20 and counts the
// rest; every check that ran has its omitted series, 0 when nothing was cut.
func TestFindingsAreBoundedPerCheck(t *testing.T) {
	cat := testCat(t)
	c := labConfig(t, "kea2.2-dhcp4-config-get.json", "Dhcp4")
	for i := range 50 {
		appendTo(c, "subnet4", map[string]any{"id": 200 + i, "subnet": fmt.Sprintf("10.9.%d.0/24", i)})
	}
	b, _ := json.Marshal(map[string]any{"Dhcp4": c})
	cfg, err := parseConfig("kea1", "dhcp4", b)
	if err != nil {
		t.Fatal(err)
	}
	id := collector.NewIdentity(catalog.ScopeDaemon, "kea1", "dhcp4")
	set := newFindingSet(cat, id, cfg.checks, cfg.findings)
	n := 0
	for _, s := range set.samples {
		if s.Metric.Name == "ddiscope_config_finding" {
			n++
			if e := s.ExtraValues(); e[0] != catalog.CheckSubnetWithoutPools || e[1] != "warning" || s.Value != 1 {
				t.Errorf("finding %v = %v", e, s.Value)
			}
		}
	}
	if n != catalog.MaxFindingsPerCheck {
		t.Errorf("%d finding series, want %d", n, catalog.MaxFindingsPerCheck)
	}
	want(t, set.samples, "ddiscope_config_findings_omitted", map[string]string{"check": catalog.CheckSubnetWithoutPools}, 30)
	want(t, set.samples, "ddiscope_config_findings_omitted", map[string]string{"check": catalog.CheckSubnetOverlap}, 0)
	for _, check := range configChecks {
		if _, ok := value(set.samples, "ddiscope_config_findings_omitted", map[string]string{"check": check}); !ok {
			t.Errorf("no omitted series for %s", check)
		}
	}
}

// The sweep reports exactly the ranges that start before an earlier
// (sorted) range ends, as comparing every pair would.
func TestSweepMatchesPairwiseOverlap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var rs []addrRange
		for range r.IntN(30) {
			a := r.IntN(200)
			b := a + r.IntN(20)
			rs = append(rs, addrRange{first: netip.AddrFrom4([4]byte{10, 0, 0, byte(a)}), last: netip.AddrFrom4([4]byte{10, 0, 0, byte(min(b, 255))}), what: fmt.Sprint(len(rs))})
		}
		got := map[string]bool{}
		sweepOverlaps(rs, func(later, cover *addrRange) {
			if cover.last.Less(later.first) || later.first.Less(cover.first) {
				t.Fatalf("round %d: %v reported against %v, which it does not overlap", round, later, cover)
			}
			got[later.what] = true
		})
		// rs is sorted now; pairwise: a range overlaps some range before it.
		for i := range rs {
			overlaps := false
			for j := range i {
				overlaps = overlaps || !rs[j].last.Less(rs[i].first)
			}
			if overlaps != got[rs[i].what] {
				t.Fatalf("round %d: range %v overlap %v, sweep says %v", round, rs[i], overlaps, got[rs[i].what])
			}
		}
	}
}

func TestParseKeaVersion(t *testing.T) {
	for s, want := range map[string][3]int{"2.2.0": {2, 2, 0}, "2.5.3": {2, 5, 3}, "3.0.4": {3, 0, 4}, "2.7.0-git": {2, 7, 0}} {
		v := parseKeaVersion(s)
		if !v.known || [3]int{v.major, v.minor, v.patch} != want {
			t.Errorf("%q: %+v", s, v)
		}
	}
	if parseKeaVersion("bogus").known {
		t.Error("bogus version parsed")
	}
}

// writeReply writes a configuration as a Control Agent's config-get reply,
// for replay.
func writeReply(t *testing.T, top string, conf map[string]any) string {
	t.Helper()
	b, err := json.Marshal([]any{map[string]any{"result": 0, "arguments": map[string]any{top: conf}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config-get.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Kea's statistics name subnet 4, which the configuration it gives lacks
// (Kea 2.2 keeps the statistics of a subnet removed without a restart in
// some paths; a stale config-get does the same): the finding names it, on
// the poll, and goes once the configuration has it again.
func TestReviewSubnetInStatisticsMissingFromConfig(t *testing.T) {
	cat := testCat(t)
	c := labConfig(t, "kea2.2-dhcp4-config-get.json", "Dhcp4")
	c["subnet4"] = slices.DeleteFunc(c["subnet4"].([]any), func(s any) bool { return s.(map[string]any)["id"] == float64(4) })
	files := kea22Pair("server1")
	files["dhcp4:config-get"] = writeReply(t, "Dhcp4", c)
	srv, _ := replay(t, files)
	p, snap := pollOnce(t, cat, "kea1", srv.URL, Options{Daemons: []string{"dhcp4"}})
	want(t, snap.Samples, "ddiscope_config_finding", map[string]string{"server": "kea1", "check": catalog.CheckSubnetNotConfigured, "severity": "warning", "subject": "subnet 4"}, 1)
	want(t, snap.Samples, "ddiscope_config_findings_omitted", map[string]string{"server": "kea1", "daemon": "dhcp4", "check": catalog.CheckSubnetNotConfigured}, 0)

	files["dhcp4:config-get"] = captured + "kea2.2-dhcp4-config-get.json"
	p.opts.ConfigRefresh = 1 // Kea 2.2 has no config-hash-get: read it again now
	snap2, _, err := p.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	absent(t, snap2.Samples, "ddiscope_config_finding", map[string]string{"check": catalog.CheckSubnetNotConfigured})
}

// The lab's HA pair as captured defines its subnets alike: no finding
// across peers. Broken on server2 (a pool changed, a subnet missing, one
// renumbered, one added over another's range), each server gets its side.
func TestReviewAcrossHAPeers(t *testing.T) {
	cat := testCat(t)
	s1, _ := replay(t, kea22Pair("server1"))
	s2, _ := replay(t, kea22Pair("server2"))
	_, a := pollOnce(t, cat, "kea-a", s1.URL, Options{Daemons: []string{"dhcp4"}})
	_, b := pollOnce(t, cat, "kea-b", s2.URL, Options{Daemons: []string{"dhcp4"}})
	out := derive(cat, a, b)
	absent(t, out, "ddiscope_config_finding", nil)
	for _, server := range []string{"kea-a", "kea-b"} {
		for _, check := range haChecks {
			want(t, out, "ddiscope_config_findings_omitted", map[string]string{"server": server, "check": check}, 0)
		}
	}

	c := labConfig(t, "kea2.2-dhcp4-server2-config-get.json", "Dhcp4")
	confSubnet(c, "subnet4", 3)["pools"].([]any)[1].(map[string]any)["pool"] = "198.18.2.15-198.18.2.29"
	c["subnet4"] = slices.DeleteFunc(c["subnet4"].([]any), func(s any) bool { return s.(map[string]any)["id"] == float64(4) })
	appendTo(c, "subnet4", map[string]any{"id": 40, "subnet": "198.18.3.0/24", "pools": []any{map[string]any{"pool": "198.18.3.10-198.18.3.250"}}})
	appendTo(c, "subnet4", map[string]any{"id": 50, "subnet": "198.18.0.128/25", "pools": []any{map[string]any{"pool": "198.18.0.200-198.18.0.210"}}})
	files := kea22Pair("server2")
	files["dhcp4:config-get"] = writeReply(t, "Dhcp4", c)
	s2b, _ := replay(t, files)
	_, b = pollOnce(t, cat, "kea-b", s2b.URL, Options{Daemons: []string{"dhcp4"}})
	out = derive(cat, a, b)
	got := map[string][]string{}
	for _, s := range out {
		if s.Metric.Name == "ddiscope_config_finding" {
			e := s.ExtraValues()
			got[s.ID.Values[0]] = append(got[s.ID.Values[0]], e[0]+"/"+e[1]+": "+e[2])
		}
	}
	wantA := []string{
		"ha-subnet-overlap/critical: subnet 1 198.18.0.0/24 overlaps subnet 50 198.18.0.128/25 on peer kea-b",
		"ha-subnet-overlap/critical: subnet 4 198.18.3.0/24 overlaps subnet 40 198.18.3.0/24 on peer kea-b",
		"ha-subnets-differ/critical: subnet 3 198.18.2.0/24 has other pools or shared network on peer kea-b",
		"ha-subnets-differ/critical: subnet 4 198.18.3.0/24 missing on peer kea-b",
	}
	wantB := []string{
		"ha-subnet-overlap/critical: subnet 40 198.18.3.0/24 overlaps subnet 4 198.18.3.0/24 on peer kea-a",
		"ha-subnet-overlap/critical: subnet 50 198.18.0.128/25 overlaps subnet 1 198.18.0.0/24 on peer kea-a",
		"ha-subnets-differ/critical: subnet 3 198.18.2.0/24 has other pools or shared network on peer kea-a",
		"ha-subnets-differ/critical: subnet 40 198.18.3.0/24 missing on peer kea-a",
		"ha-subnets-differ/critical: subnet 50 198.18.0.128/25 missing on peer kea-a",
	}
	for server, w := range map[string][]string{"kea-a": wantA, "kea-b": wantB} {
		g := got[server]
		slices.Sort(g)
		if !slices.Equal(g, w) {
			t.Errorf("%s:\n got %q\nwant %q", server, g, w)
		}
	}
	// The drift metric agrees that the subnets part differs.
	want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": "kea-a", "part": "subnets"}, 1)
}
