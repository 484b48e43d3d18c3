package keatest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ipTimeout bounds each `ip` invocation.
const ipTimeout = 10 * time.Second

// netnsName matches the namespaces this harness creates: ddt<pid>n<seq>{s,c}.
var netnsName = regexp.MustCompile(`^ddt([0-9]+)n[0-9]+[sc]$`)

// runIP runs `ip args...` (optionally with -batch input) and returns its output.
func (l *Lab) runIP(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.ipBin, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// nsSysctl writes IPv6 sysctls inside a namespace. /proc/sys/net shows the
// namespace of the writing process, so the write runs under `ip netns exec`.
func (l *Lab) nsSysctl(ns string, kv map[string]string) error {
	var script strings.Builder
	for k, v := range kv {
		fmt.Fprintf(&script, "echo %s > /proc/sys/%s && ", v, strings.ReplaceAll(k, ".", "/"))
	}
	script.WriteString("true")
	_, err := l.runIP("", "netns", "exec", ns, "/bin/sh", "-c", script.String())
	return err
}

// setupNetns creates the server and client namespaces joined by a veth pair:
//
//	server ns: lo, kea0 198.18.0.1/24 2001:db8:1::1/64, route 198.18.0.0/15 via 198.18.0.250
//	client ns: lo, cli0 198.18.N.250/24 (N = 0..15, 198.18.0.250 first) 2001:db8:1::250/64
//
// IPv6 DAD is off in both (a tentative link-local address breaks the first
// DHCPv6 exchanges).
func (l *Lab) setupNetns(t testing.TB) error {
	t.Helper()
	l.removeStaleNetns(t)
	base := fmt.Sprintf("ddt%dn%d", os.Getpid(), labSeq.Add(1))
	for _, p := range []struct {
		field *string
		name  string
	}{{&l.ServerNS, base + "s"}, {&l.ClientNS, base + "c"}} {
		if _, err := l.runIP("", "netns", "add", p.name); err != nil {
			return err
		}
		*p.field = p.name // from here on, teardown deletes it
	}
	noDAD := map[string]string{
		"net.ipv6.conf.all.accept_dad":     "0",
		"net.ipv6.conf.default.accept_dad": "0",
	}
	for _, ns := range []string{l.ServerNS, l.ClientNS} {
		if err := l.nsSysctl(ns, noDAD); err != nil {
			return err
		}
	}
	// Created inside the server namespace with the peer put straight into the
	// client namespace: no interface ever appears in the root namespace.
	if _, err := l.runIP("", "-n", l.ServerNS, "link", "add", ServerIface, "type", "veth",
		"peer", "name", ClientIface, "netns", l.ClientNS); err != nil {
		return err
	}
	// The moved peer does not necessarily inherit the default: set both explicitly.
	if err := l.nsSysctl(l.ServerNS, map[string]string{"net.ipv6.conf." + ServerIface + ".accept_dad": "0"}); err != nil {
		return err
	}
	if err := l.nsSysctl(l.ClientNS, map[string]string{"net.ipv6.conf." + ClientIface + ".accept_dad": "0"}); err != nil {
		return err
	}

	server := strings.Join([]string{
		"link set lo up",
		"addr add " + ServerAddr4 + "/24 dev " + ServerIface,
		"addr add " + ServerAddr6 + "/64 dev " + ServerIface + " nodad",
		"link set " + ServerIface + " up",
		// Replies to relayed clients go to their giaddr (198.18.N.250).
		"route add 198.18.0.0/15 via " + ClientAddr4 + " dev " + ServerIface,
	}, "\n") + "\n"
	client := []string{"link set lo up"}
	for n := 0; n < clientRelayNets; n++ {
		// 198.18.0.250 first: it is the primary address and so the giaddr
		// of broadcast perfdhcp runs on ClientIface.
		client = append(client, fmt.Sprintf("addr add 198.18.%d.250/24 dev %s", n, ClientIface))
	}
	client = append(client,
		"addr add "+ClientAddr6+"/64 dev "+ClientIface+" nodad",
		"link set "+ClientIface+" up")
	if _, err := l.runIP(strings.Join(client, "\n")+"\n", "-n", l.ClientNS, "-batch", "-"); err != nil {
		return err
	}
	// In the server batch the route comes after the address and link-up it depends on.
	if _, err := l.runIP(server, "-n", l.ServerNS, "-batch", "-"); err != nil {
		return err
	}
	// kea-dhcp6 needs a usable link-local address to join ff02::1:2 and
	// perfdhcp -6 sends from one.
	deadline := time.Now().Add(5 * time.Second)
	for _, p := range [][2]string{{l.ServerNS, ServerIface}, {l.ClientNS, ClientIface}} {
		for {
			out, err := l.runIP("", "-n", p[0], "-6", "addr", "show", "dev", p[1], "scope", "link")
			if err == nil && strings.Contains(out, "inet6 fe80") && !strings.Contains(out, "tentative") {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no usable link-local address on %s in %s after 5s: %s %v", p[1], p[0], out, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// deleteNetns deletes a namespace this lab created.
func (l *Lab) deleteNetns(ns string) error {
	if _, err := os.Stat("/run/netns/" + ns); os.IsNotExist(err) {
		return nil
	}
	_, err := l.runIP("", "netns", "delete", ns)
	return err
}

// removeStaleNetns deletes namespaces left behind by test processes of this
// harness that no longer exist (a test binary killed before its cleanup).
func (l *Lab) removeStaleNetns(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range entries {
		m := netnsName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // its owner still runs
		}
		if _, err := l.runIP("", "netns", "delete", e.Name()); err != nil {
			t.Logf("keatest: removing stale namespace %s: %v", e.Name(), err)
		} else {
			t.Logf("keatest: removed stale namespace %s (process %d is gone)", e.Name(), pid)
		}
	}
}
