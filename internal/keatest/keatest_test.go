package keatest

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// stat reads one statistic and fails when Kea does not know it.
func stat(t *testing.T, l *Lab, socket, name string) int64 {
	t.Helper()
	v, ok := l.Statistic(t, socket, name)
	if !ok {
		t.Fatalf("statistic %s not reported on %s", name, socket)
	}
	return v
}

func wantResult(t *testing.T, reply []byte, want int) string {
	t.Helper()
	res, text, err := Result(reply)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if res != want {
		t.Fatalf("result %d (%s), want %d; reply %s", res, text, want, reply)
	}
	return text
}

func TestTrafficLab(t *testing.T) {
	t.Parallel()
	Versions(t, testTrafficLab)
}

func testTrafficLab(t *testing.T, v Version) {
	began := time.Now()
	// On 3.0 the daemons also get HTTP listeners, reached through the
	// forwarders into the server namespace.
	l := Start(t, Options{Traffic: true, DHCP6: true, ControlAgent: true, Kea: v, HTTP: v.AtLeast30()})
	t.Logf("Start (netns, kea-dhcp4, kea-dhcp6, kea-ctrl-agent): %s", time.Since(began).Round(time.Millisecond))
	defer func(began time.Time) {
		t.Logf("whole test before cleanup: %s", time.Since(began).Round(time.Millisecond))
	}(began)

	// v4: 10 broadcast clients fill the tiny subnet 1 and overflow into 2.
	r := l.Perfdhcp4(t, 10)
	if r.Completed() != 10 || r.ExitCode != 0 {
		t.Fatalf("broadcast DORA: completed %d of 10, exit %d:\n%s", r.Completed(), r.ExitCode, r.Output)
	}
	t.Logf("Perfdhcp4(10): %s, %d re-runs", r.Duration.Round(time.Millisecond), r.Retried)
	// 8 relayed clients land in subnet 3.
	if r := l.Perfdhcp4Relay(t, RelayAddr4, 8); r.Completed() != 8 {
		t.Fatalf("relayed DORA: completed %d of 8:\n%s", r.Completed(), r.Output)
	}
	// v6: 10 SARR with address and prefix.
	r = l.Perfdhcp6(t, 10)
	if r.Completed() != 10 || r.ExitCode != 0 {
		t.Fatalf("SARR: completed %d of 10, exit %d:\n%s", r.Completed(), r.ExitCode, r.Output)
	}
	t.Logf("Perfdhcp6(10): %s, %d re-runs", r.Duration.Round(time.Millisecond), r.Retried)
	for _, lease := range r.Leases {
		if lease.Address == "" || !strings.HasPrefix(lease.Prefix, "2001:db8:8000:") {
			t.Errorf("v6 lease %+v: want an address and a prefix from 2001:db8:8000::/48", lease)
		}
	}

	if got := stat(t, l, l.Socket4, "pkt4-ack-sent"); got < 18 {
		t.Errorf("pkt4-ack-sent = %d, want >= 18", got)
	}
	for subnet, want := range map[string]int64{"1": 4, "2": 6, "3": 8, "4": 0} {
		if got := stat(t, l, l.Socket4, "subnet["+subnet+"].assigned-addresses"); got != want {
			t.Errorf("subnet[%s].assigned-addresses = %d, want %d", subnet, got, want)
		}
	}
	for name, want := range map[string]int64{
		"subnet[1].total-addresses": 4,
		"subnet[2].total-addresses": 200,
		"subnet[3].total-addresses": 10,
		"subnet[4].total-addresses": 241,
	} {
		if got := stat(t, l, l.Socket4, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	for name, want := range map[string]int64{
		"subnet[1].assigned-nas": 10,
		"subnet[1].assigned-pds": 10,
		"subnet[1].total-nas":    256,
		"subnet[1].total-pds":    256,
		"subnet[3].total-nas":    1 << 48,
		"subnet[3].total-pds":    1 << 24,
		"subnet[2].assigned-nas": 0,
	} {
		if got := stat(t, l, l.Socket6, name); got != want {
			t.Errorf("dhcp6 %s = %d, want %d", name, got, want)
		}
	}
	// A whole /64 pool: 2^64 does not fit Kea 2.2's int64 counter (-1);
	// Kea 3.0 counts it in 128 bits and says 18446744073709551616.
	wantHuge := map[Version]string{Kea22: "-1", Kea30: "18446744073709551616"}[v]
	if got := rawStat(t, l, l.Socket6, "subnet[2].total-nas"); got != wantHuge {
		t.Errorf("dhcp6 subnet[2].total-nas = %s, want %s on Kea %s", got, wantHuge, v)
	}
	if v.AtLeast30() {
		// The same statistics over the daemon's own HTTP listener in the
		// server namespace.
		for url, name := range map[string]string{l.HTTP4URL: "subnet[3].assigned-addresses", l.HTTP6URL: "subnet[1].assigned-pds"} {
			var viaHTTP []struct {
				Result    int                            `json:"result"`
				Arguments map[string][][]json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(l.HTTPCommand(t, url, "statistic-get", map[string]any{"name": name}), &viaHTTP); err != nil {
				t.Fatal(err)
			}
			if len(viaHTTP) != 1 || viaHTTP[0].Result != 0 || len(viaHTTP[0].Arguments[name]) == 0 {
				t.Errorf("statistic-get %s via %s: %+v", name, url, viaHTTP)
			} else if got := string(viaHTTP[0].Arguments[name][0][0]); got != map[string]string{l.HTTP4URL: "8", l.HTTP6URL: "10"}[url] {
				t.Errorf("statistic-get %s via %s = %s", name, url, got)
			}
		}
	}
	if got := stat(t, l, l.Socket6, "pkt6-reply-sent"); got < 10 {
		t.Errorf("pkt6-reply-sent = %d, want >= 10", got)
	}

	// The lease database agrees with the statistics.
	var leases struct {
		Arguments struct {
			Leases []struct {
				IP     string `json:"ip-address"`
				Subnet int    `json:"subnet-id"`
			} `json:"leases"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(l.Command(t, l.Socket4, "lease4-get-all", nil), &leases); err != nil {
		t.Fatal(err)
	}
	if n := len(leases.Arguments.Leases); n != 18 {
		t.Errorf("lease4-get-all: %d leases, want 18", n)
	}

	// The control agent forwards to both daemons.
	reply := l.CACommand(t, "version-get", []string{"dhcp4"}, nil)
	if text := wantResult(t, reply, 0); !strings.HasPrefix(text, v.String()) {
		t.Errorf("version-get via CA: text %q", text)
	}
	wantResult(t, l.CACommand(t, "version-get", []string{"dhcp6"}, nil), 0)
	var viaCA []struct {
		Result    int                            `json:"result"`
		Arguments map[string][][]json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(l.CACommand(t, "statistic-get", []string{"dhcp4"}, map[string]any{"name": "subnet[3].assigned-addresses"}), &viaCA); err != nil {
		t.Fatal(err)
	}
	if len(viaCA) != 1 || viaCA[0].Result != 0 || string(viaCA[0].Arguments["subnet[3].assigned-addresses"][0][0]) != "8" {
		t.Errorf("statistic-get via CA: %+v", viaCA)
	}

	// A second call uses new clients: more leases, not renewals.
	if r := l.Perfdhcp4(t, 3); r.Completed() != 3 {
		t.Fatalf("second broadcast run: completed %d of 3:\n%s", r.Completed(), r.Output)
	}
	if got := stat(t, l, l.Socket4, "subnet[2].assigned-addresses"); got != 9 {
		t.Errorf("after 3 more clients subnet[2].assigned-addresses = %d, want 9", got)
	}
	if !strings.Contains(l.Log("dhcp4"), "DHCP4_LEASE_ALLOC") {
		t.Errorf("kea-dhcp4 log has no DHCP4_LEASE_ALLOC:\n%s", tailLines(l.Log("dhcp4"), 20))
	}

	// A daemon restarted inside the namespace serves again, leases kept.
	l.Kill6(t)
	began6 := time.Now()
	l.Start6(t)
	t.Logf("Start6 after Kill6: %s", time.Since(began6).Round(time.Millisecond))
	if r := l.Perfdhcp6(t, 2); r.Completed() != 2 {
		t.Fatalf("SARR after restart: completed %d of 2:\n%s", r.Completed(), r.Output)
	}
	if got := stat(t, l, l.Socket6, "subnet[1].assigned-nas"); got != 12 {
		t.Errorf("after restart and 2 more clients subnet[1].assigned-nas = %d, want 12", got)
	}
}

// rawStat returns the newest sample of a statistic as Kea wrote it.
func rawStat(t *testing.T, l *Lab, socket, name string) string {
	t.Helper()
	var r struct {
		Arguments map[string][][]json.RawMessage `json:"arguments"`
	}
	reply := l.Command(t, socket, "statistic-get", map[string]any{"name": name})
	if err := json.Unmarshal(reply, &r); err != nil || len(r.Arguments[name]) == 0 {
		t.Fatalf("statistic-get %s: %v %s", name, err, reply)
	}
	return string(r.Arguments[name][0][0])
}

// TestPopulated checks the data set that Populated documents.
func TestPopulated(t *testing.T) {
	t.Parallel()
	Versions(t, testPopulated)
}

func testPopulated(t *testing.T, v Version) {
	l := PopulatedKea(t, v)
	// Packet counters can exceed the clients a little on a loaded machine
	// (perfdhcp's rate control catches up in bursts, see Perfdhcp4); the
	// leases are exact.
	if got := stat(t, l, l.Socket4, "pkt4-ack-sent"); got < 18 || got > 18+18/2 {
		t.Errorf("dhcp4 pkt4-ack-sent = %d, want 18 (a few more under load)", got)
	}
	if got := stat(t, l, l.Socket6, "pkt6-reply-sent"); got < 10 || got > 10+10/2 {
		t.Errorf("dhcp6 pkt6-reply-sent = %d, want 10 (a few more under load)", got)
	}
	for name, want := range map[string]int64{
		"subnet[1].assigned-addresses": 4,
		"subnet[2].assigned-addresses": 6,
		"subnet[3].assigned-addresses": 8,
		"subnet[4].assigned-addresses": 0,
	} {
		if got := stat(t, l, l.Socket4, name); got != want {
			t.Errorf("dhcp4 %s = %d, want %d", name, got, want)
		}
	}
	for name, want := range map[string]int64{
		"subnet[1].assigned-nas": 10,
		"subnet[1].assigned-pds": 10,
	} {
		if got := stat(t, l, l.Socket6, name); got != want {
			t.Errorf("dhcp6 %s = %d, want %d", name, got, want)
		}
	}
}

// TestPerfdhcpRetriesNAKs floods the tiny pool: Kea 2.2 offers the same free
// address to overlapping DISCOVERs and NAKs the second REQUEST. The harness
// re-runs those clients, so every client still ends up with a lease.
func TestPerfdhcpRetriesNAKs(t *testing.T) {
	t.Parallel()
	Versions(t, func(t *testing.T, v Version) {
		testPerfdhcpRetriesNAKs(t, Start(t, Options{Traffic: true, Kea: v}))
	})
}

func testPerfdhcpRetriesNAKs(t *testing.T, l *Lab) {
	r := l.Perfdhcp4(t, 12, "-r", "5000")
	if r.Completed() != 12 || r.ExitCode != 0 {
		t.Fatalf("completed %d of 12 (exit %d, %d re-runs):\n%s", r.Completed(), r.ExitCode, r.Retried, r.Output)
	}
	naks, _ := l.Statistic(t, l.Socket4, "pkt4-nak-sent")
	t.Logf("%d NAKs, %d single-client re-runs, %.0f ms", naks, r.Retried, r.Duration.Seconds()*1000)
	seen := map[string]bool{}
	for _, lease := range r.Leases {
		if seen[lease.Address] {
			t.Errorf("address %s reported for two clients", lease.Address)
		}
		seen[lease.Address] = true
	}
	a1 := stat(t, l, l.Socket4, "subnet[1].assigned-addresses")
	a2 := stat(t, l, l.Socket4, "subnet[2].assigned-addresses")
	if a1 != 4 || a1+a2 != 12 {
		t.Errorf("assigned: subnet 1 %d (want 4), subnets 1+2 %d (want 12)", a1, a1+a2)
	}
}

func TestStopKillStart4(t *testing.T) {
	t.Parallel()
	Versions(t, testStopKillStart4)
}

func testStopKillStart4(t *testing.T, v Version) {
	l := Start(t, Options{ControlAgent: true, Kea: v})
	if l.Socket6 != "" || l.ServerNS != "" {
		t.Fatalf("unexpected v6 socket %q or namespace %q", l.Socket6, l.ServerNS)
	}
	// No traffic: create a lease through lease_cmds; memfile keeps it across restarts.
	lease := map[string]any{"ip-address": "198.18.3.77", "hw-address": "02:00:00:00:aa:77", "subnet-id": 4}
	wantResult(t, l.Command(t, l.Socket4, "lease4-add", lease), 0)
	if got := stat(t, l, l.Socket4, "subnet[4].assigned-addresses"); got != 1 {
		t.Errorf("subnet[4].assigned-addresses = %d after lease4-add, want 1", got)
	}
	get := map[string]any{"ip-address": "198.18.3.77"}

	// Clean stop: the socket file goes away and the CA says so.
	pid := l.Pid("dhcp4")
	l.Stop4(t)
	if l.Running("dhcp4") {
		t.Fatal("dhcp4 still running after Stop4")
	}
	if _, err := os.Stat(l.Socket4); !os.IsNotExist(err) {
		t.Errorf("socket %s after clean stop: %v, want it removed", l.Socket4, err)
	}
	if _, err := l.TryCommand(l.Socket4, "version-get", nil); err == nil {
		t.Error("TryCommand succeeded against a stopped daemon")
	}
	if text := wantResult(t, l.CACommand(t, "version-get", []string{"dhcp4"}, nil), 1); !strings.Contains(text, "No such file or directory") {
		t.Errorf("CA text after stop: %q", text)
	}

	l.Start4(t)
	if l.Pid("dhcp4") == pid || l.Pid("dhcp4") == 0 {
		t.Errorf("pid after restart %d (was %d)", l.Pid("dhcp4"), pid)
	}
	wantResult(t, l.Command(t, l.Socket4, "lease4-get", get), 0)

	// SIGKILL: the socket file stays and connections are refused.
	pid = l.Pid("dhcp4")
	l.Kill4(t)
	if l.Running("dhcp4") || l.Pid("dhcp4") != 0 {
		t.Errorf("dhcp4 (was pid %d) still running after Kill4", pid)
	}
	if _, err := os.Stat(l.Socket4); err != nil {
		t.Errorf("socket after SIGKILL: %v, want it left behind", err)
	}
	if text := wantResult(t, l.CACommand(t, "version-get", []string{"dhcp4"}, nil), 1); !strings.Contains(text, "Connection refused") {
		t.Errorf("CA text after kill: %q", text)
	}

	l.Start4(t)
	wantResult(t, l.Command(t, l.Socket4, "lease4-get", get), 0)
	wantResult(t, l.CACommand(t, "version-get", []string{"dhcp4"}, nil), 0)
	if !strings.Contains(l.Log("kea-dhcp4"), "DHCP4_SHUTDOWN") {
		t.Errorf("log lacks the clean shutdown of the first run")
	}
}

// TestCleanup checks that a lab's processes and namespaces are gone once the
// (sub)test that owned it has finished.
func TestCleanup(t *testing.T) {
	t.Parallel()
	Versions(t, testCleanup)
}

func testCleanup(t *testing.T, v Version) {
	var pids []int
	var nss []string
	var dir string
	t.Run("lab", func(t *testing.T) {
		l := Start(t, Options{Traffic: true, DHCP6: true, ControlAgent: true, Kea: v, HTTP: v.AtLeast30()})
		pids = []int{l.Pid("dhcp4"), l.Pid("dhcp6"), l.Pid("ca")}
		nss = []string{l.ServerNS, l.ClientNS}
		dir = l.Dir
		for _, ns := range nss {
			if _, err := os.Stat("/run/netns/" + ns); err != nil {
				t.Fatalf("namespace %s: %v", ns, err)
			}
		}
	})
	if len(pids) == 0 {
		t.Skip("lab subtest did not run")
	}
	for _, pid := range pids {
		if pid == 0 {
			t.Errorf("a daemon had no pid")
			continue
		}
		if _, state, err := procStat(pid); err == nil {
			t.Errorf("pid %d still present (state %c) after cleanup", pid, state)
		}
	}
	for _, ns := range nss {
		if _, err := os.Stat("/run/netns/" + ns); !os.IsNotExist(err) {
			t.Errorf("namespace %s still present after cleanup: %v", ns, err)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("lab dir %s still present: %v", dir, err)
	}
}

func TestBadOptionFailsFast(t *testing.T) {
	t.Parallel()
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Start(ft, Options{Subnet4: "[{not json"})
	}()
	if !strings.Contains(ft.fatal, "Options.Subnet4 is not valid JSON") {
		t.Errorf("fatal message %q", ft.fatal)
	}

	// Valid JSON that Kea rejects: the daemon exits and Start says so at once.
	ft = &fakeTB{TB: t}
	began := time.Now()
	var l *Lab
	func() {
		defer func() { _ = recover() }()
		l = Start(ft, Options{Subnet4: `[{"id": 9, "subnet": "198.18.9.0/24", "pools": [{"pool": "10.0.0.1-10.0.0.5"}]}]`})
	}()
	if !strings.Contains(ft.fatal, "kea-dhcp4 exited during start-up") || time.Since(began) > 10*time.Second {
		t.Errorf("after %s: fatal message %q", time.Since(began), ft.fatal)
	}
	if l != nil {
		t.Errorf("Start returned a lab after Fatalf")
	}
}

// fakeTB records Skip/Fatal instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic("fatal") // Start must not continue after Fatalf
}

func TestRequire(t *testing.T) {
	t.Setenv("CI", "")
	ft := &fakeTB{TB: t}
	Require(ft, "kea-dhcp4", "perfdhcp")
	if ft.skipped != "" || ft.fatal != "" {
		t.Fatalf("installed binaries reported missing: %q %q", ft.skipped, ft.fatal)
	}
	Require(ft, "kea-no-such-daemon-xyz")
	if !strings.Contains(ft.skipped, "kea-no-such-daemon-xyz") {
		t.Errorf("skip message %q does not name the binary", ft.skipped)
	}
	t.Setenv("CI", "true")
	ft = &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Require(ft, "kea-no-such-daemon-xyz")
	}()
	if !strings.Contains(ft.fatal, "kea-no-such-daemon-xyz") || ft.skipped != "" {
		t.Errorf("CI=true: fatal %q skipped %q", ft.fatal, ft.skipped)
	}
}

// TestOptionsFragments checks that caller-supplied JSON reaches Kea.
func TestOptionsFragments(t *testing.T) {
	t.Parallel()
	l := Start(t, Options{
		Subnet4:         `[{"id": 7, "subnet": "198.18.7.0/24", "pools": [{"pool": "198.18.7.10-198.18.7.20"}]}]`,
		SharedNetworks4: `[]`,
		DHCP6:           true,
		Subnet6:         `[]`,
		Hooks:           []string{},
		Extra4:          `{"valid-lifetime": 1234}`,
	})
	var cfg struct {
		Arguments struct {
			Dhcp4 struct {
				ValidLifetime int               `json:"valid-lifetime"`
				Hooks         []json.RawMessage `json:"hooks-libraries"`
				Subnets       []struct {
					ID int `json:"id"`
				} `json:"subnet4"`
				SharedNetworks []json.RawMessage `json:"shared-networks"`
			} `json:"Dhcp4"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(l.Command(t, l.Socket4, "config-get", nil), &cfg); err != nil {
		t.Fatal(err)
	}
	d := cfg.Arguments.Dhcp4
	if d.ValidLifetime != 1234 || len(d.Hooks) != 0 || len(d.Subnets) != 1 || d.Subnets[0].ID != 7 || len(d.SharedNetworks) != 0 {
		t.Errorf("config-get: %+v", d)
	}
	if got := stat(t, l, l.Socket4, "subnet[7].total-addresses"); got != 11 {
		t.Errorf("subnet[7].total-addresses = %d, want 11", got)
	}
	if _, ok := l.Statistic(t, l.Socket6, "subnet[1].total-nas"); ok {
		t.Errorf("dhcp6 has a subnet 1 although Subnet6 was []")
	}
	// Without hooks, lease commands are unknown (result 2).
	wantResult(t, l.Command(t, l.Socket4, "lease4-get-all", nil), 2)
	if _, err := l.TryCACommand("version-get", nil, nil); err == nil {
		t.Error("TryCACommand without a control agent succeeded")
	}
}

// The Control Agent with basic authentication refuses a request without
// credentials; reconfigured with TLS it serves HTTPS with the lab's
// certificate, and plain HTTP no longer reaches it.
func TestControlAgentAuthAndTLS(t *testing.T) {
	t.Parallel()
	auth := &BasicAuth{User: "ddiscope", Password: "s3cret"}
	l := Start(t, Options{ControlAgent: true, CAAuth: auth})
	if !strings.HasPrefix(l.CAURL, "http://") {
		t.Fatalf("CAURL %q", l.CAURL)
	}
	wantResult(t, l.CACommand(t, "version-get", []string{"dhcp4"}, nil), 0)
	anonymous := &Lab{CAURL: l.CAURL}
	if reply, err := anonymous.TryCACommand("version-get", nil, nil); err == nil || !strings.Contains(string(reply), "Unauthorized") {
		t.Errorf("without credentials: %v %s, want 401 Unauthorized", err, reply)
	}

	files := SelfSignedTLS(t)
	plain := l.CAURL
	l.ReconfigureCA(t, auth, files)
	if !strings.HasPrefix(l.CAURL, "https://127.0.0.1:") {
		t.Fatalf("CAURL after TLS %q", l.CAURL)
	}
	wantResult(t, l.CACommand(t, "version-get", []string{"dhcp4"}, nil), 0)
	var conf []struct {
		Arguments struct {
			Agent map[string]any `json:"Control-agent"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal(l.CACommand(t, "config-get", nil, nil), &conf); err != nil || len(conf) != 1 {
		t.Fatalf("config-get: %v", err)
	}
	if got := conf[0].Arguments.Agent["cert-file"]; got != files.CertFile {
		t.Errorf("the agent's cert-file is %v, want %s", got, files.CertFile)
	}
	anonymous.CAURL = "http" + strings.TrimPrefix(l.CAURL, "https")
	if _, err := anonymous.TryCACommand("version-get", nil, nil); err == nil {
		t.Errorf("plain HTTP to the TLS agent (was %s) answered", plain)
	}
}
