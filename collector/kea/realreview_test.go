package kea

import (
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// runningConfig is a real Kea's config-get arguments (Dhcp4 or Dhcp6).
func runningConfig(t *testing.T, lab *keatest.Lab, socket, top string) map[string]any {
	t.Helper()
	var reply struct {
		Result    int                       `json:"result"`
		Arguments map[string]map[string]any `json:"arguments"`
	}
	raw := lab.Command(t, socket, "config-get", nil)
	if err := json.Unmarshal(raw, &reply); err != nil || reply.Result != 0 {
		t.Fatalf("config-get: %v %.300s", err, raw)
	}
	return reply.Arguments[top]
}

// keaCommand sends a config-test or config-set and returns Kea's result.
func keaCommand(t *testing.T, lab *keatest.Lab, socket, command, top string, conf map[string]any) (int, string) {
	t.Helper()
	res, text, err := keatest.Result(lab.Command(t, socket, command, map[string]any{top: conf}))
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return res, text
}

// findingSubjects returns the subjects of one check's findings in a snapshot.
func findingSubjects(snap *collector.Snapshot, check string) []string {
	var out []string
	for _, s := range snap.Samples {
		if s.Metric.Name == "ddiscope_config_finding" && s.ExtraValues()[0] == check {
			out = append(out, s.ExtraValues()[2])
		}
	}
	slices.Sort(out)
	return out
}

// A real Kea 2.2 accepts these mistakes: each shows as a finding on the
// first poll, and goes once the configuration is fixed with config-set
// (Kea 2.2 has no config-hash-get: the poller reads config-get again on its
// refresh, here on every poll).
func TestRealKeaAcceptedMistakesAreFound(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{
		Subnet4: `[
		  {"id": 1, "subnet": "10.0.0.0/16", "pools": [{"pool": "10.0.3.100-10.0.3.120"}, {"pool": "10.0.9.1-10.0.9.2"}],
		   "reservations-out-of-pool": true,
		   "reservations": [{"hw-address": "02:00:00:00:aa:01", "ip-address": "10.0.9.1"}, {"hw-address": "02:00:00:00:aa:02", "ip-address": "10.0.9.2"}]},
		  {"id": 2, "subnet": "10.0.3.0/24", "pools": [{"pool": "10.0.3.110-10.0.3.130"}]},
		  {"id": 3, "subnet": "10.1.0.0/24", "user-context": {"ha-server-name": "server1"}}
		]`,
		SharedNetworks4: `[{"name": "alone", "subnet4": [{"id": 4, "subnet": "10.2.0.0/24", "pools": [{"pool": "10.2.0.10-10.2.0.20"}]}]}]`,
	})
	cat := testCat(t)
	p := socketPoller(t, cat, "lab", lab.Socket4, Options{ConfigRefresh: 1})
	snap := mustPoll(t, p)
	for check, subjects := range map[string][]string{
		catalog.CheckSubnetOverlap:          {"subnet 2 10.0.3.0/24 overlaps subnet 1 10.0.0.0/16"},
		catalog.CheckPoolOverlap:            {"subnet 2 10.0.3.0/24 pool 10.0.3.110-10.0.3.130 overlaps subnet 1 pool 10.0.3.100-10.0.3.120"},
		catalog.CheckReservationInPool:      {"subnet 1 10.0.0.0/16 reservation 10.0.9.1 in pool 10.0.9.1-10.0.9.2", "subnet 1 10.0.0.0/16 reservation 10.0.9.2 in pool 10.0.9.1-10.0.9.2"},
		catalog.CheckPoolReserved:           {"subnet 1 10.0.0.0/16 pool 10.0.9.1-10.0.9.2 (2 reserved of 2)"},
		catalog.CheckSubnetWithoutPools:     {"subnet 3 10.1.0.0/24"},
		catalog.CheckSharedNetworkOneSubnet: {"shared-network alone (1 subnets)"},
		catalog.CheckHookMissing:            {"ha (subnet 3 10.1.0.0/24 names ha-server-name server1)"},
	} {
		if got := findingSubjects(snap, check); !slices.Equal(got, subjects) {
			t.Errorf("%s: %q, want %q", check, got, subjects)
		}
		want(t, snap.Samples, "ddiscope_config_findings_omitted", map[string]string{"server": "lab", "daemon": "dhcp4", "check": check}, 0)
	}

	// Fixed: disjoint subnets, reservations out of the pools, a pool for
	// subnet 3, no stale ha-server-name, the lone subnet at the top level.
	conf := runningConfig(t, lab, lab.Socket4, "Dhcp4")
	conf["subnet4"] = []any{
		map[string]any{"id": 1, "subnet": "10.0.0.0/22", "pools": []any{map[string]any{"pool": "10.0.1.100-10.0.1.120"}, map[string]any{"pool": "10.0.2.1-10.0.2.2"}},
			"reservations-out-of-pool": true, "reservations": []any{map[string]any{"hw-address": "02:00:00:00:aa:01", "ip-address": "10.0.0.9"}}},
		map[string]any{"id": 2, "subnet": "10.0.4.0/24", "pools": []any{map[string]any{"pool": "10.0.4.110-10.0.4.130"}}},
		map[string]any{"id": 3, "subnet": "10.1.0.0/24", "pools": []any{map[string]any{"pool": "10.1.0.10-10.1.0.20"}}},
		map[string]any{"id": 4, "subnet": "10.2.0.0/24", "pools": []any{map[string]any{"pool": "10.2.0.10-10.2.0.20"}}},
	}
	conf["shared-networks"] = []any{}
	if res, text := keaCommand(t, lab, lab.Socket4, "config-set", "Dhcp4", conf); res != 0 {
		t.Fatalf("config-set of the fixed configuration: %d %s", res, text)
	}
	snap = mustPoll(t, p)
	absent(t, snap.Samples, "ddiscope_config_finding", nil)

	// What Kea 2.2 refuses is refused here too, so those checks are tested
	// on captured configurations broken by hand (review_test.go).
	for name, subnet := range map[string]map[string]any{
		"pool outside its subnet":        {"id": 9, "subnet": "10.9.0.0/24", "pools": []any{map[string]any{"pool": "10.9.1.1-10.9.1.5"}}},
		"pools overlapping in a subnet":  {"id": 9, "subnet": "10.9.0.0/24", "pools": []any{map[string]any{"pool": "10.9.0.1-10.9.0.5"}, map[string]any{"pool": "10.9.0.4-10.9.0.9"}}},
		"reservation outside its subnet": {"id": 9, "subnet": "10.9.0.0/24", "reservations": []any{map[string]any{"hw-address": "02:00:00:00:aa:09", "ip-address": "10.9.1.1"}}},
	} {
		bad := runningConfig(t, lab, lab.Socket4, "Dhcp4")
		bad["subnet4"] = append(bad["subnet4"].([]any), subnet)
		if res, text := keaCommand(t, lab, lab.Socket4, "config-test", "Dhcp4", bad); res != 1 {
			t.Errorf("%s: Kea 2.2's config-test gave %d %q, want it refused", name, res, text)
		}
	}
}

// Kea 2.2 keeps statistics in signed 64 bits: the lab's kea-dhcp6 subnet 2
// has a whole-/64 pool, whose total-nas Kea reports as -1. Found from the
// version Kea reports; gone once the pool is a /80.
func TestRealKea6CounterOverflow(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6")
	lab := keatest.Start(t, keatest.Options{DHCP6: true})
	cat := testCat(t)
	p := socketPoller(t, cat, "lab6", lab.Socket6, Options{ConfigRefresh: 1})
	snap := mustPoll(t, p)
	if got, want := findingSubjects(snap, catalog.CheckV6CounterOverflow), []string{"subnet 2 2001:db8:2::/64 (2^64 addresses in pools, Kea 2.2.0)"}; !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
	conf := runningConfig(t, lab, lab.Socket6, "Dhcp6")
	for _, s := range conf["subnet6"].([]any) {
		if s.(map[string]any)["id"] == float64(2) {
			s.(map[string]any)["pools"] = []any{map[string]any{"pool": "2001:db8:2::/80"}}
		}
	}
	if res, text := keaCommand(t, lab, lab.Socket6, "config-set", "Dhcp6", conf); res != 0 {
		t.Fatalf("config-set: %d %s", res, text)
	}
	snap = mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckV6CounterOverflow); len(got) != 0 {
		t.Errorf("after the fix: %q", got)
	}
	want(t, snap.Samples, "ddiscope_config_findings_omitted", map[string]string{"daemon": "dhcp6", "check": catalog.CheckV6CounterOverflow}, 0)
}

// 1,000 subnets with Kea's default of 20 samples a statistic: found; gone
// with statistic-default-sample-count 1.
func TestRealKeaSampleCountOnALargeConfig(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{Subnet4: keagen.Subnet4(largeConfigSubnets), SharedNetworks4: "[]"})
	cat := testCat(t)
	p := socketPoller(t, cat, "lab", lab.Socket4, Options{ConfigRefresh: 1})
	snap := mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckSampleCount); len(got) != 1 || !strings.HasPrefix(got[0], "statistic-default-sample-count 20 with 1000 subnets") {
		t.Errorf("findings %q", got)
	}
	conf := runningConfig(t, lab, lab.Socket4, "Dhcp4")
	conf["statistic-default-sample-count"] = 1
	if res, text := keaCommand(t, lab, lab.Socket4, "config-set", "Dhcp4", conf); res != 0 {
		t.Fatalf("config-set: %d %s", res, text)
	}
	snap = mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckSampleCount); len(got) != 0 {
		t.Errorf("after the fix: %q", got)
	}
}

// caPoller polls a Control Agent with credentials and, for https, its trust anchor.
func caPoller(t *testing.T, cat *catalog.Catalog, lab *keatest.Lab, auth *keatest.BasicAuth, files *keatest.CATLSFiles) *Poller {
	t.Helper()
	opts := keactl.Options{Name: "lab", URL: lab.CAURL, Username: auth.User, Password: auth.Password}
	if files != nil {
		opts.CAFile = files.TrustAnchor
	}
	client, err := keactl.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{})
	t.Cleanup(p.Close)
	return p
}

// A real Kea 2.2 Control Agent asking for basic authentication over plain
// HTTP: ddiscope, polling with those credentials, finds them sent in
// clear. The agent restarted with TLS (a throwaway self-signed
// certificate), and ddiscope pointed at https, finds nothing.
func TestRealKeaAgentCredentialsWithoutTLS(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-ctrl-agent")
	auth := &keatest.BasicAuth{User: "ddiscope", Password: "s3cret"}
	lab := keatest.Start(t, keatest.Options{ControlAgent: true, CAAuth: auth})
	cat := testCat(t)
	agent := map[string]string{"server": "lab", "daemon": "ca", "check": catalog.CheckCredentialsNoTLS}
	snap := mustPoll(t, caPoller(t, cat, lab, auth, nil))
	if got, want := findingSubjects(snap, catalog.CheckCredentialsNoTLS), []string{"control-agent (authentication without cert-file)"}; !slices.Equal(got, want) {
		t.Errorf("over http: %q, want %q", got, want)
	}
	want(t, snap.Samples, "ddiscope_config_finding", map[string]string{"server": "lab", "daemon": "ca", "severity": "warning"}, 1)
	want(t, snap.Samples, "ddiscope_config_findings_omitted", agent, 0)

	files := keatest.SelfSignedTLS(t)
	lab.ReconfigureCA(t, auth, files)
	snap = mustPoll(t, caPoller(t, cat, lab, auth, files))
	if got := findingSubjects(snap, catalog.CheckCredentialsNoTLS); len(got) != 0 {
		t.Errorf("over https: %q", got)
	}
	want(t, snap.Samples, "ddiscope_config_findings_omitted", agent, 0) // the check ran
	want(t, snap.Samples, "kea_daemon_up", map[string]string{"daemon": "dhcp4"}, 1)
}

// A real Kea 2.2 loads the ha hook without lease_cmds (the pair then
// cannot send lease updates or synchronise): found; gone once lease_cmds
// is loaded with config-set. (The other variant, ha-server-name without
// the ha hook, is in TestRealKeaAcceptedMistakesAreFound.) The peer is
// never started: the finding is about this server's configuration.
func TestRealKeaHAHookWithoutLeaseCmds(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	ha := map[string]any{"library": keatest.HookPath(t, "libdhcp_ha.so"), "parameters": map[string]any{
		"high-availability": []any{map[string]any{"this-server-name": "server1", "mode": "hot-standby", "peers": []any{
			map[string]any{"name": "server1", "url": "http://127.0.0.1:1/", "role": "primary"},
			map[string]any{"name": "server2", "url": "http://127.0.0.2:1/", "role": "standby"},
		}}}}}
	extra, err := json.Marshal(map[string]any{"hooks-libraries": []any{map[string]any{"library": keatest.HookPath(t, "libdhcp_stat_cmds.so")}, ha}})
	if err != nil {
		t.Fatal(err)
	}
	lab := keatest.Start(t, keatest.Options{Extra4: string(extra)})
	cat := testCat(t)
	p := socketPoller(t, cat, "lab", lab.Socket4, Options{ConfigRefresh: 1})
	snap := mustPoll(t, p)
	if got, want := findingSubjects(snap, catalog.CheckHookMissing), []string{"lease_cmds (needed by the ha hook: lease updates and synchronisation between peers)"}; !slices.Equal(got, want) {
		t.Errorf("ha without lease_cmds: %q, want %q", got, want)
	}
	want(t, snap.Samples, "ddiscope_config_finding", map[string]string{"check": catalog.CheckHookMissing, "severity": "critical"}, 1)

	conf := runningConfig(t, lab, lab.Socket4, "Dhcp4")
	conf["hooks-libraries"] = append([]any{map[string]any{"library": keatest.HookPath(t, "libdhcp_lease_cmds.so")}}, conf["hooks-libraries"].([]any)...)
	if res, text := keaCommand(t, lab, lab.Socket4, "config-set", "Dhcp4", conf); res != 0 {
		t.Fatalf("config-set with lease_cmds: %d %s", res, text)
	}
	snap = mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckHookMissing); len(got) != 0 {
		t.Errorf("with lease_cmds: %q", got)
	}
	want(t, snap.Samples, "ddiscope_config_findings_omitted", map[string]string{"check": catalog.CheckHookMissing}, 0)
}

// statisticNames returns the names of a real Kea's statistics that start with prefix.
func statisticNames(t *testing.T, lab *keatest.Lab, socket, prefix string) []string {
	t.Helper()
	var reply struct {
		Result    int                        `json:"result"`
		Arguments map[string]json.RawMessage `json:"arguments"`
	}
	raw := lab.Command(t, socket, "statistic-get-all", nil)
	if err := json.Unmarshal(raw, &reply); err != nil || reply.Result != 0 {
		t.Fatalf("statistic-get-all: %v %.300s", err, raw)
	}
	var names []string
	for n := range reply.Arguments {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Kea 2.2 keeps statistics of a subnet that config-set removed:
// subnet[N].v4-reservation-conflicts always, and assigned-addresses while
// leases of the subnet remain (the recount after the reconfiguration
// creates it again; config-reload does the same). Found on the next poll;
// gone once the statistics are removed with statistic-remove.
func TestRealKeaSubnetInStatisticsMissingFromConfig(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{})
	lease := map[string]any{"ip-address": "198.18.3.77", "hw-address": "02:00:00:00:aa:77", "subnet-id": 4}
	if res, text, err := keatest.Result(lab.Command(t, lab.Socket4, "lease4-add", lease)); err != nil || res != 0 {
		t.Fatalf("lease4-add: %d %s %v", res, text, err)
	}
	cat := testCat(t)
	p := socketPoller(t, cat, "lab", lab.Socket4, Options{ConfigRefresh: 1})
	check := map[string]string{"server": "lab", "daemon": "dhcp4", "check": catalog.CheckSubnetNotConfigured}
	snap := mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckSubnetNotConfigured); len(got) != 0 {
		t.Fatalf("before: %q", got)
	}
	want(t, snap.Samples, "ddiscope_config_findings_omitted", check, 0)

	conf := runningConfig(t, lab, lab.Socket4, "Dhcp4")
	conf["subnet4"] = slices.DeleteFunc(conf["subnet4"].([]any), func(s any) bool { return s.(map[string]any)["id"] == float64(4) })
	if res, text := keaCommand(t, lab, lab.Socket4, "config-set", "Dhcp4", conf); res != 0 {
		t.Fatalf("config-set without subnet 4: %d %s", res, text)
	}
	stale := statisticNames(t, lab, lab.Socket4, "subnet[4].")
	if len(stale) == 0 {
		t.Fatal("Kea dropped subnet 4's statistics with the subnet: nothing left to find")
	}
	t.Logf("Kea 2.2 keeps %q after config-set removed subnet 4", stale)
	snap = mustPoll(t, p)
	if got, want := findingSubjects(snap, catalog.CheckSubnetNotConfigured), []string{"subnet 4"}; !slices.Equal(got, want) {
		t.Errorf("after config-set: %q, want %q", got, want)
	}
	want(t, snap.Samples, "ddiscope_config_finding", map[string]string{"check": catalog.CheckSubnetNotConfigured, "severity": "warning"}, 1)

	for _, name := range stale {
		if res, text, err := keatest.Result(lab.Command(t, lab.Socket4, "statistic-remove", map[string]any{"name": name})); err != nil || res != 0 {
			t.Fatalf("statistic-remove %s: %d %s %v", name, res, text, err)
		}
	}
	snap = mustPoll(t, p)
	if got := findingSubjects(snap, catalog.CheckSubnetNotConfigured); len(got) != 0 {
		t.Errorf("after statistic-remove: %q", got)
	}
	want(t, snap.Samples, "ddiscope_config_findings_omitted", check, 0)
}

// haFindings returns the derived findings per server, as "check: subject".
func haFindings(out []collector.Sample) map[string][]string {
	got := map[string][]string{}
	for _, s := range out {
		if s.Metric.Name == "ddiscope_config_finding" {
			e := s.ExtraValues()
			got[s.ID.Values[0]] = append(got[s.ID.Values[0]], e[0]+": "+e[2])
		}
	}
	for _, g := range got {
		slices.Sort(g)
	}
	return got
}

// A real Kea 2.2 load-balancing pair whose peers define their subnets
// differently (each peer alone is valid): server2 has other pools in
// subnet 3, subnet 40 where server1 has subnet 4, and a subnet 50 inside
// server1's subnet 1. Both peers polled, the pair deriver finds the
// differences and the overlaps across the peers; config-set of server1's
// subnets on server2 makes them go.
func TestRealHASubnetsDifferAndOverlap(t *testing.T) {
	t.Parallel()
	server2 := `[
	  { "id": 3, "subnet": "198.18.2.0/24", "pools": [ { "pool": "198.18.2.10-198.18.2.14", "client-class": "HA_server1" },
	                                                   { "pool": "198.18.2.15-198.18.2.29", "client-class": "HA_server2" } ] },
	  { "id": 40, "subnet": "198.18.3.0/24", "pools": [ { "pool": "198.18.3.10-198.18.3.250" } ] },
	  { "id": 50, "subnet": "198.18.0.128/25", "pools": [ { "pool": "198.18.0.200-198.18.0.210" } ] } ]`
	h := keatest.StartHA(t, keatest.HAOptions{Subnet4: [2]string{"", server2}})
	cat := testCat(t)
	ps := [2]*Poller{}
	for i, l := range h.Servers {
		ps[i] = socketPoller(t, cat, []string{"kea-a", "kea-b"}[i], l.Socket4, Options{ConfigRefresh: 1})
	}
	out := derive(cat, mustPoll(t, ps[0]), mustPoll(t, ps[1]))
	wantFindings := map[string][]string{
		"kea-a": {
			"ha-subnet-overlap: subnet 1 198.18.0.0/24 overlaps subnet 50 198.18.0.128/25 on peer kea-b",
			"ha-subnet-overlap: subnet 4 198.18.3.0/24 overlaps subnet 40 198.18.3.0/24 on peer kea-b",
			"ha-subnets-differ: subnet 3 198.18.2.0/24 has other pools or shared network on peer kea-b",
			"ha-subnets-differ: subnet 4 198.18.3.0/24 missing on peer kea-b",
		},
		"kea-b": {
			"ha-subnet-overlap: subnet 40 198.18.3.0/24 overlaps subnet 4 198.18.3.0/24 on peer kea-a",
			"ha-subnet-overlap: subnet 50 198.18.0.128/25 overlaps subnet 1 198.18.0.0/24 on peer kea-a",
			"ha-subnets-differ: subnet 3 198.18.2.0/24 has other pools or shared network on peer kea-a",
			"ha-subnets-differ: subnet 40 198.18.3.0/24 missing on peer kea-a",
			"ha-subnets-differ: subnet 50 198.18.0.128/25 missing on peer kea-a",
		},
	}
	got := haFindings(out)
	for server, w := range wantFindings {
		if !slices.Equal(got[server], w) {
			t.Errorf("%s:\n got %q\nwant %q", server, got[server], w)
		}
	}
	want(t, out, "ddiscope_config_finding", map[string]string{"server": "kea-a", "check": catalog.CheckHASubnetOverlap, "severity": "critical"}, 1)
	want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": "kea-a", "part": "subnets"}, 1)

	// Fixed: server2 gets server1's subnets (config-set restarts its HA
	// service, which the review does not wait for).
	conf := runningConfig(t, h.Servers[1], h.Servers[1].Socket4, "Dhcp4")
	conf["subnet4"] = runningConfig(t, h.Servers[0], h.Servers[0].Socket4, "Dhcp4")["subnet4"]
	if res, text := keaCommand(t, h.Servers[1], h.Servers[1].Socket4, "config-set", "Dhcp4", conf); res != 0 {
		t.Fatalf("config-set of server1's subnets on server2: %d %s", res, text)
	}
	out = derive(cat, mustPoll(t, ps[0]), mustPoll(t, ps[1]))
	absent(t, out, "ddiscope_config_finding", nil)
	for _, server := range []string{"kea-a", "kea-b"} {
		for _, check := range haChecks {
			want(t, out, "ddiscope_config_findings_omitted", map[string]string{"server": server, "check": check}, 0)
		}
		want(t, out, "kea_ha_pair_config_drift", map[string]string{"server": server, "part": "subnets"}, 0)
	}
}
