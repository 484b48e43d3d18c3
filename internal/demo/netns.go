package demo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// The demo network, which exists only inside its namespaces (RFC 2544's
// 198.18.0.0/15 and the documentation prefix 2001:db8::/32):
//
//	lan ns: bridge lan0 198.18.N.250/24 (N = 0..3), 2001:db8:1::250/64 — perfdhcp runs here
//	        ├─ p1 ══ kea0 198.18.0.1/24 (ha1 ns: kea-dhcp4, HA primary)
//	        ├─ p2 ══ kea0 198.18.0.2/24 (ha2 ns: kea-dhcp4, HA secondary)
//	        └─ p3 ══ kea0 2001:db8:1::1/64 (v6 ns: kea-dhcp6)
//	ha1 ns: ha0 198.19.255.1/30 ══ ha0 198.19.255.2/30 :ha2 ns (the HA peers' own link)
//
// A broadcast perfdhcp run on lan0 acts as a relay with giaddr
// 198.18.0.250 and reaches both HA peers (which is what HA needs: each
// answers the clients of its scope); relayed runs from 198.18.N.250 select
// subnet N+1. The control sockets are files in the state directory, so
// ddiscope and the editor, in the root namespace, reach the daemons.
const (
	bridge      = "lan0"
	serverIface = "kea0"
	haIface     = "ha0"
	haAddr1     = "198.19.255.1"
	haAddr2     = "198.19.255.2"
	haPort      = 8001
	relayNets   = 4
	clientAddr6 = "2001:db8:1::250"
	serverAddr6 = "2001:db8:1::1"
)

// ip runs `ip args...` with stdin as a -batch script when given.
func (s *State) ip(stdin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.ipBin, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (s *State) ipOut(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, s.ipBin, args...).CombinedOutput()
	return string(out), err
}

func nsExists(ns string) bool {
	_, err := os.Stat("/run/netns/" + ns)
	return err == nil
}

// setupNetwork creates the namespaces, recording each in Info before it
// configures it, so that a failure half-way still deletes it.
func (s *State) setupNetwork() error {
	lan, ha1, ha2, v6 := nsNames(s.Dir)
	for _, ns := range []string{lan, ha1, ha2, v6} {
		if nsExists(ns) {
			return fmt.Errorf("network namespace %s already exists (a demo from %s not stopped? run ddiscope-demo down --dir %s)", ns, s.Dir, s.Dir)
		}
		if err := s.ip("", "netns", "add", ns); err != nil {
			return err
		}
		s.Info.Namespaces = append(s.Info.Namespaces, ns)
		if err := s.saveInfo(); err != nil {
			return err
		}
		// DAD off: a tentative link-local address breaks the first DHCPv6 exchanges.
		if err := s.ip("", "netns", "exec", ns, "/bin/sh", "-c",
			"echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad"); err != nil {
			return err
		}
	}
	lanBatch := []string{"link set lo up", "link add " + bridge + " type bridge", "link set " + bridge + " type bridge mcast_snooping 0"}
	for n := 0; n < relayNets; n++ {
		// 198.18.0.250 first: the primary address, so the giaddr of broadcast runs.
		lanBatch = append(lanBatch, fmt.Sprintf("addr add 198.18.%d.250/24 dev %s", n, bridge))
	}
	lanBatch = append(lanBatch, "addr add "+clientAddr6+"/64 dev "+bridge+" nodad")
	if err := s.ip(strings.Join(lanBatch, "\n")+"\n", "-n", lan, "-batch", "-"); err != nil {
		return err
	}
	servers := []struct{ ns, port, batch string }{
		{ha1, "p1", "addr add 198.18.0.1/24 dev kea0\nlink set kea0 up\nroute add 198.18.0.0/15 via 198.18.0.250 dev kea0\n"},
		{ha2, "p2", "addr add 198.18.0.2/24 dev kea0\nlink set kea0 up\nroute add 198.18.0.0/15 via 198.18.0.250 dev kea0\n"},
		{v6, "p3", "addr add " + serverAddr6 + "/64 dev kea0 nodad\nlink set kea0 up\n"},
	}
	for _, sv := range servers {
		if err := s.ip("", "-n", sv.ns, "link", "add", serverIface, "type", "veth", "peer", "name", sv.port, "netns", lan); err != nil {
			return err
		}
		if err := s.ip("", "-n", lan, "link", "set", sv.port, "master", bridge, "up"); err != nil {
			return err
		}
		if err := s.ip("link set lo up\n"+sv.batch, "-n", sv.ns, "-batch", "-"); err != nil {
			return err
		}
	}
	if err := s.ip("", "-n", lan, "link", "set", bridge, "up"); err != nil {
		return err
	}
	if err := s.ip("", "-n", ha1, "link", "add", haIface, "type", "veth", "peer", "name", haIface, "netns", ha2); err != nil {
		return err
	}
	for ns, addr := range map[string]string{ha1: haAddr1, ha2: haAddr2} {
		if err := s.ip("addr add "+addr+"/30 dev "+haIface+"\nlink set "+haIface+" up\n", "-n", ns, "-batch", "-"); err != nil {
			return err
		}
	}
	// kea-dhcp6 joins ff02::1:2 from, and perfdhcp -6 sends from, a usable link-local address.
	deadline := time.Now().Add(10 * time.Second)
	for _, p := range [][2]string{{v6, serverIface}, {lan, bridge}} {
		for {
			out, err := s.ipOut("-n", p[0], "-6", "addr", "show", "dev", p[1], "scope", "link")
			if err == nil && strings.Contains(out, "inet6 fe80") && !strings.Contains(out, "tentative") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no usable link-local address on %s in %s after 10s: %s", p[1], p[0], out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// deleteNamespaces deletes the demo's namespaces (those recorded, and any
// left by this state directory's name).
func (s *State) deleteNamespaces() []error {
	lan, ha1, ha2, v6 := nsNames(s.Dir)
	seen := map[string]bool{}
	var errs []error
	for _, ns := range append(s.Info.Namespaces, lan, ha1, ha2, v6) {
		if seen[ns] || !nsExists(ns) {
			continue
		}
		seen[ns] = true
		if err := s.ip("", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		} else {
			s.say("  deleted network namespace %s", ns)
		}
	}
	return errs
}
