package keatest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// An HA pair: two kea-dhcp4 with the lease_cmds, stat_cmds and ha hooks,
// each in its own network namespace, both on one LAN (a bridge in the
// client namespace, where perfdhcp runs, so both peers see every client
// packet), and talking HA to each other over their dedicated listeners
// (Kea's HA+MT) on a separate link that a test can cut:
//
//	client ns: bridge cli0 198.18.N.250/24 ── p1 ══ kea0 198.18.0.1/24 (server1 ns)
//	                                       └─ p2 ══ kea0 198.18.0.2/24 (server2 ns)
//	server1 ns: ha0 198.19.255.1/30 ══ ha0 198.19.255.2/30 :server2 ns
//
// The peers' HA URLs are http://198.19.255.{1,2}:8001/. Through Control
// Agents instead would need the CAs in the servers' namespaces: Kea 2.2's
// classic HA+CA layout was only ever checked on loopback without traffic
// (shared/lab-notes.md). Each server may also get a Control Agent on
// 127.0.0.1 in the root namespace, for ddiscope to poll.

// HA link addresses (the dedicated listeners' link) and port.
const (
	HAAddr1 = "198.19.255.1"
	HAAddr2 = "198.19.255.2"
	HAPort  = 8001
	// HAIface is the HA link's interface in each server namespace.
	HAIface = "ha0"
)

// HAOptions select an HA pair.
type HAOptions struct {
	// Mode is "load-balancing" (default) or "hot-standby".
	Mode string
	// HeartbeatDelay and MaxResponseDelay are the HA timers: defaults 1 s
	// and 3 s, so that a failover is seen within seconds. The pair goes
	// partner-down as soon as communication is interrupted
	// (max-unacked-clients 0).
	HeartbeatDelay, MaxResponseDelay time.Duration
	// Subnet4 and SharedNetworks4 per server (index 0: server1); empty
	// means DefaultHASubnet4(Mode) and DefaultHASharedNetworks4(Mode).
	Subnet4, SharedNetworks4 [2]string
	// ControlAgent starts a Control Agent per server on 127.0.0.1.
	ControlAgent bool
	// Debug sets the daemons' log severity to DEBUG.
	Debug bool
	// Kea selects the version (Kea22 or Kea30), as Options.Kea.
	Kea Version
	// HTTP, HTTPTLS and HTTPAuth give each server its own HTTP control
	// socket, as in Options (Kea30 only): Servers[i].HTTP4URL.
	HTTP, HTTPTLS, HTTPAuth bool
	// ExtraHooks are hook libraries loaded by both servers beside
	// lease_cmds, stat_cmds and ha (such as Kea 3.0's libdhcp_host_cmds.so).
	ExtraHooks []string
}

// HAPair is a running HA pair. Servers[i] is a Lab with one kea-dhcp4
// (and a Control Agent with HAOptions.ControlAgent): its Socket4, Leases4,
// CAURL, Command, Statistic, Stop4, Kill4, Start4, Pid and Log work as for
// any lab. Perfdhcp4 and Perfdhcp4Relay of either reach both servers.
type HAPair struct {
	Servers  [2]*Lab
	Names    [2]string // HA server names: "server1" (primary), "server2"
	URLs     [2]string // HA URLs (dedicated listeners)
	ClientNS string
	Mode     string
	// HeartbeatDelay and MaxResponseDelay as configured.
	HeartbeatDelay, MaxResponseDelay time.Duration
	ipBin                            string
}

// DefaultHASharedNetworks4 is the pair's shared network "lab-lan": subnet 1
// (198.18.0.0/24, 20 addresses a peer) and subnet 2 (198.18.1.0/24, 100 a
// peer). In load-balancing each server's pools carry its scope's class
// (HA_server1, HA_server2), as Kea requires; in hot-standby there is one set
// of pools.
func DefaultHASharedNetworks4(mode string) string {
	return fmt.Sprintf(`[ { "name": "lab-lan", "subnet4": [
  { "id": 1, "subnet": "198.18.0.0/24", "pools": %s },
  { "id": 2, "subnet": "198.18.1.0/24", "pools": %s } ] } ]`,
		haPools(mode, "198.18.0.10-198.18.0.29", "198.18.0.30-198.18.0.49"),
		haPools(mode, "198.18.1.10-198.18.1.109", "198.18.1.110-198.18.1.209"))
}

// DefaultHASubnet4 is subnet 3 (198.18.2.0/24, reached by relayed traffic
// from RelayAddr4, 5 addresses a peer) and subnet 4 (unused).
func DefaultHASubnet4(mode string) string {
	return fmt.Sprintf(`[
  { "id": 3, "subnet": "198.18.2.0/24", "pools": %s },
  { "id": 4, "subnet": "198.18.3.0/24", "pools": [ { "pool": "198.18.3.10-198.18.3.250" } ] } ]`,
		haPools(mode, "198.18.2.10-198.18.2.14", "198.18.2.15-198.18.2.19"))
}

func haPools(mode, first, second string) string {
	if mode == "hot-standby" {
		return fmt.Sprintf(`[ { "pool": %q }, { "pool": %q } ]`, first, second)
	}
	return fmt.Sprintf(`[ { "pool": %q, "client-class": "HA_server1" }, { "pool": %q, "client-class": "HA_server2" } ]`, first, second)
}

// StartHA starts an HA pair and waits until both servers are in the mode's
// normal state (load-balancing, or hot-standby), so a test starts from a
// healthy pair. Everything is torn down by t.Cleanup. It skips (fails under
// CI=true) like Start when Kea, perfdhcp, the HA hook or root are missing.
func StartHA(t testing.TB, opts HAOptions) *HAPair {
	t.Helper()
	bundle := ""
	if opts.Kea.AtLeast30() {
		if bundle = Bundle(t); bundle == "" {
			return nil
		}
	}
	bins := []string{"kea-dhcp4", "ip", "perfdhcp"}
	if opts.ControlAgent {
		bins = append(bins, "kea-ctrl-agent")
	}
	requireVersion(t, opts.Kea, bundle, bins...)
	requireRoot(t)
	hooks, err := resolveHooksFor(opts.Kea, bundle, append(append([]string{"libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so"}, opts.ExtraHooks...), "libdhcp_ha.so"))
	if err != nil {
		skipOrFail(t, "%v", err)
		return nil
	}
	if opts.Mode == "" {
		opts.Mode = "load-balancing"
	}
	if opts.HeartbeatDelay <= 0 {
		opts.HeartbeatDelay = time.Second
	}
	if opts.MaxResponseDelay <= 0 {
		opts.MaxResponseDelay = 3 * time.Second
	}
	ipBin, _ := findBinary("ip")
	perfBin, _ := findBinary("perfdhcp")
	if bundle != "" {
		perfBin, _ = bundleBinary(bundle, "perfdhcp")
	}
	h := &HAPair{Names: [2]string{"server1", "server2"}, Mode: opts.Mode, ipBin: ipBin,
		URLs:           [2]string{fmt.Sprintf("http://%s:%d/", HAAddr1, HAPort), fmt.Sprintf("http://%s:%d/", HAAddr2, HAPort)},
		HeartbeatDelay: opts.HeartbeatDelay, MaxResponseDelay: opts.MaxResponseDelay}
	for i := range h.Servers {
		h.Servers[i] = &Lab{Dir: labDir(t), ipBin: ipBin, perfBin: perfBin, Kea: opts.Kea, bundle: bundle,
			opts: Options{Traffic: true, ControlAgent: opts.ControlAgent, Debug: opts.Debug, Kea: opts.Kea,
				HTTP: opts.HTTP, HTTPTLS: opts.HTTPTLS, HTTPAuth: opts.HTTPAuth,
				Subnet4: opts.Subnet4[i], SharedNetworks4: opts.SharedNetworks4[i]}}
		if err := h.Servers[i].setupDirs(); err != nil {
			t.Fatalf("keatest: %v", err)
		}
		if h.Servers[i].opts.Subnet4 == "" {
			h.Servers[i].opts.Subnet4 = DefaultHASubnet4(opts.Mode)
		}
		if h.Servers[i].opts.SharedNetworks4 == "" {
			h.Servers[i].opts.SharedNetworks4 = DefaultHASharedNetworks4(opts.Mode)
		}
	}
	t.Cleanup(func() { h.teardown(t) })
	if err := h.setupNetns(t); err != nil {
		t.Fatalf("keatest: HA network namespaces: %v", err)
	}
	for i, l := range h.Servers {
		if err := l.setupHTTP(); err != nil {
			t.Fatalf("keatest: %v", err)
		}
		l.Socket4 = l.socketPath("kea4.sock")
		l.Leases4 = filepath.Join(l.Dir, "kea-leases4.csv")
		extra, err := h.extra4(i, opts, hooks)
		if err != nil {
			t.Fatalf("keatest: %v", err)
		}
		l.opts.Extra4 = extra
		cfg, err := l.dhcp4Config(nil)
		if err != nil {
			t.Fatalf("keatest: %v", err)
		}
		l.dhcp4 = l.newDaemon("kea-dhcp4", cfg, l.Socket4)
	}
	for _, l := range h.Servers {
		if err := l.startSocketDaemon(l.dhcp4); err != nil {
			t.Fatalf("keatest: %v (logs follow)", err)
		}
		if opts.ControlAgent {
			if err := l.startCA(); err != nil {
				t.Fatalf("keatest: %v (logs follow)", err)
			}
		}
	}
	normal := h.NormalState()
	for i := range h.Servers {
		if _, err := h.waitState(i, normal, 60*time.Second); err != nil {
			t.Fatalf("keatest: HA pair did not reach %s: %v (logs follow)", normal, err)
		}
	}
	return h
}

// NormalState is the state both servers are in when all is well.
func (h *HAPair) NormalState() string {
	if h.Mode == "hot-standby" {
		return "hot-standby"
	}
	return "load-balancing"
}

// extra4 is the HA server's Dhcp4 members beyond the lab's: the hooks with
// the HA configuration, and multi-threading, which HA+MT needs.
func (h *HAPair) extra4(i int, opts HAOptions, hooks []string) (string, error) {
	roles := [2]string{"primary", "secondary"}
	if opts.Mode == "hot-standby" {
		roles[1] = "standby"
	}
	var peers []any
	for j := range h.Names {
		peers = append(peers, map[string]any{"name": h.Names[j], "url": h.URLs[j], "role": roles[j], "auto-failover": true})
	}
	ha := map[string]any{
		"this-server-name":    h.Names[i],
		"mode":                opts.Mode,
		"heartbeat-delay":     opts.HeartbeatDelay.Milliseconds(),
		"max-response-delay":  opts.MaxResponseDelay.Milliseconds(),
		"max-ack-delay":       opts.HeartbeatDelay.Milliseconds(),
		"max-unacked-clients": 0,
		"multi-threading": map[string]any{
			"enable-multi-threading": true, "http-dedicated-listener": true,
			"http-listener-threads": 1, "http-client-threads": 1,
		},
		"peers": peers,
	}
	list := hookList(hooks[:len(hooks)-1])
	list = append(list, map[string]any{"library": hooks[len(hooks)-1], "parameters": map[string]any{"high-availability": []any{ha}}})
	b, err := json.Marshal(map[string]any{
		"hooks-libraries": list,
		"multi-threading": map[string]any{"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 16},
	})
	return string(b), err
}

// setupNetns creates the client namespace with its bridge, the two server
// namespaces and the HA link.
func (h *HAPair) setupNetns(t testing.TB) error {
	l1, l2 := h.Servers[0], h.Servers[1]
	l1.removeStaleNetns(t)
	for _, p := range []*string{&l1.ServerNS, &l2.ServerNS} {
		name := fmt.Sprintf("ddt%dn%ds", os.Getpid(), labSeq.Add(1))
		if _, err := l1.runIP("", "netns", "add", name); err != nil {
			return err
		}
		*p = name
	}
	client := strings.TrimSuffix(l1.ServerNS, "s") + "c"
	if _, err := l1.runIP("", "netns", "add", client); err != nil {
		return err
	}
	h.ClientNS, l1.ClientNS, l2.ClientNS = client, client, client
	batch := []string{"link set lo up", "link add " + ClientIface + " type bridge", "link set " + ClientIface + " type bridge mcast_snooping 0"}
	for n := 0; n < clientRelayNets; n++ {
		batch = append(batch, fmt.Sprintf("addr add 198.18.%d.250/24 dev %s", n, ClientIface))
	}
	if _, err := l1.runIP(strings.Join(batch, "\n")+"\n", "-n", client, "-batch", "-"); err != nil {
		return err
	}
	for i, l := range h.Servers {
		port := fmt.Sprintf("p%d", i+1)
		if _, err := l1.runIP("", "-n", l.ServerNS, "link", "add", ServerIface, "type", "veth", "peer", "name", port, "netns", client); err != nil {
			return err
		}
		if _, err := l1.runIP("", "-n", client, "link", "set", port, "master", ClientIface, "up"); err != nil {
			return err
		}
		server := strings.Join([]string{
			"link set lo up",
			fmt.Sprintf("addr add 198.18.0.%d/24 dev %s", i+1, ServerIface),
			"link set " + ServerIface + " up",
			"route add 198.18.0.0/15 via " + ClientAddr4 + " dev " + ServerIface,
		}, "\n") + "\n"
		if _, err := l1.runIP(server, "-n", l.ServerNS, "-batch", "-"); err != nil {
			return err
		}
	}
	if _, err := l1.runIP("", "-n", client, "link", "set", ClientIface, "up"); err != nil {
		return err
	}
	if _, err := l1.runIP("", "-n", l1.ServerNS, "link", "add", HAIface, "type", "veth", "peer", "name", HAIface, "netns", l2.ServerNS); err != nil {
		return err
	}
	for i, l := range h.Servers {
		addr := []string{HAAddr1, HAAddr2}[i]
		if _, err := l1.runIP("addr add "+addr+"/30 dev "+HAIface+"\nlink set "+HAIface+" up\n", "-n", l.ServerNS, "-batch", "-"); err != nil {
			return err
		}
	}
	return nil
}

// CutHALink takes the HA link down: both servers keep serving DHCP but
// can no longer reach each other, the way to split a pair's brain.
func (h *HAPair) CutHALink(t testing.TB) {
	t.Helper()
	if _, err := h.Servers[0].runIP("", "-n", h.Servers[0].ServerNS, "link", "set", HAIface, "down"); err != nil {
		t.Fatalf("keatest: %v", err)
	}
}

// RestoreHALink brings the HA link back.
func (h *HAPair) RestoreHALink(t testing.TB) {
	t.Helper()
	if _, err := h.Servers[0].runIP("", "-n", h.Servers[0].ServerNS, "link", "set", HAIface, "up"); err != nil {
		t.Fatalf("keatest: %v", err)
	}
}

// HAState returns server i's HA state from status-get on its socket, or ""
// when it does not answer.
func (h *HAPair) HAState(i int) string {
	reply, err := socketCommand(h.Servers[i].Socket4, "status-get", nil, 5*time.Second)
	if err != nil {
		return ""
	}
	var r struct {
		Arguments struct {
			HA []struct {
				Servers struct {
					Local struct {
						State string `json:"state"`
					} `json:"local"`
				} `json:"ha-servers"`
			} `json:"high-availability"`
		} `json:"arguments"`
	}
	if json.Unmarshal(reply, &r) != nil || len(r.Arguments.HA) == 0 {
		return ""
	}
	return r.Arguments.HA[0].Servers.Local.State
}

// WaitState waits until server i reports state, and returns how long it took.
func (h *HAPair) WaitState(t testing.TB, i int, state string, timeout time.Duration) time.Duration {
	t.Helper()
	took, err := h.waitState(i, state, timeout)
	if err != nil {
		t.Fatalf("keatest: %v", err)
	}
	return took
}

func (h *HAPair) waitState(i int, state string, timeout time.Duration) (time.Duration, error) {
	began := time.Now()
	last := ""
	for time.Since(began) < timeout {
		if last = h.HAState(i); last == state {
			return time.Since(began), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s still %q after %s, want %q", h.Names[i], last, timeout, state)
}

// Perfdhcp4 runs perfdhcp on the LAN, which both servers see.
func (h *HAPair) Perfdhcp4(t testing.TB, clients int, extraArgs ...string) *PerfResult {
	t.Helper()
	return h.Servers[0].Perfdhcp4(t, clients, extraArgs...)
}

func (h *HAPair) teardown(t testing.TB) {
	if t.Failed() {
		for _, l := range h.Servers {
			if l != nil && l.dhcp4 != nil {
				t.Logf("keatest: HA pair: daemon logs from %s:\n%s", l.Dir, l.allLogs())
			}
		}
	}
	for _, l := range h.Servers {
		if l == nil {
			continue
		}
		for _, d := range []*daemon{l.ca, l.dhcp4} {
			if d == nil {
				continue
			}
			if err := d.stop(5 * time.Second); err != nil {
				t.Errorf("keatest: cleanup: %v", err)
			}
		}
		l.closeForwarders()
	}
	for _, ns := range []string{h.ClientNS, h.Servers[0].ServerNS, h.Servers[1].ServerNS} {
		if ns == "" {
			continue
		}
		if err := h.Servers[0].deleteNetns(ns); err != nil {
			t.Errorf("keatest: cleanup: %v", err)
		}
	}
}
