package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// TrafficRound is the time between two rounds of background traffic.
const TrafficRound = 20 * time.Second

// traffic is the background traffic process (`ddiscope-demo traffic`): DHCP
// clients from the LAN namespace and DNS queries to both named, in rounds,
// for a bounded time. It runs detached like the daemons and is stopped the
// same way; a SIGTERM cancels the perfdhcp or dig it is waiting for.
type traffic struct {
	s       *State
	log     io.Writer
	perf    string
	lan     string
	seq     int
	serial  uint32
	primary Proc
}

// RunTraffic runs the rounds until ctx ends or minutes have passed.
func RunTraffic(ctx context.Context, dir string, minutes int, log io.Writer) error {
	s, err := open(dir, log)
	if err != nil {
		return err
	}
	if s.ipBin, err = findBinary("ip"); err != nil {
		return err
	}
	perf, err := findBinary("perfdhcp")
	if err != nil {
		return err
	}
	lan, _, _, _ := nsNames(s.Dir)
	t := &traffic{s: s, log: log, perf: perf, lan: lan, serial: FirstSerial}
	for _, p := range s.procs.list {
		if p.Name == NSPrimary {
			t.primary = p
		}
	}
	end := time.After(time.Duration(minutes) * time.Minute)
	tick := time.NewTicker(TrafficRound)
	defer tick.Stop()
	for round := 0; ; round++ {
		t.round(ctx, round)
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			fmt.Fprintf(log, "traffic: %d minutes are over; the daemons keep running\n", minutes)
			return nil
		case <-tick.C:
		}
	}
}

func (t *traffic) round(ctx context.Context, round int) {
	fmt.Fprintf(t.log, "---- round %d at %s ----\n", round, time.Now().Format(time.TimeOnly))
	if round < 3 {
		// Fill subnet 1 (10 addresses, 5 in each peer's scope). A broadcast
		// reaches both peers; each answers its own scope's clients. Kea 2.2
		// does not hold offered addresses, so clients racing for the last
		// ones are NAKed: the next rounds top it up with new clients.
		t.perfdhcp(ctx, "-4", bridge, "", 60, 50)
	}
	// A few new clients in subnet 2 through a relay with both peers as
	// helper addresses (each peer answers its scope's clients)...
	t.relay(ctx, "198.18.1.250", 3)
	if round%2 == 0 {
		// ... and in the shared network's subnet 3.
		t.relay(ctx, "198.18.2.250", 2)
	}
	// DHCPv6: addresses and prefixes from kea-dhcp6.
	t.perfdhcp(ctx, "-6", bridge, "", 3, 10, "-e", "address-and-prefix")
	// DNS: answers, an NXDOMAIN and a PTR from each named.
	for _, port := range []int{t.s.Info.Ports.PrimaryDNS, t.s.Info.Ports.SecondaryDNS} {
		for _, q := range [][2]string{{"www.demo.example", "A"}, {"www.demo.example", "AAAA"}, {"nothing.demo.example", "A"}, {"1.0.18.198.in-addr.arpa", "PTR"}} {
			if ctx.Err() != nil {
				return
			}
			if _, err := dig(port, q[0], q[1]); err != nil {
				fmt.Fprintf(t.log, "dig %s %s on port %d: %v\n", q[0], q[1], port, err)
			}
		}
	}
	if round > 0 && round%15 == 0 {
		t.bumpSerial()
	}
}

// relay sends the same new clients to both HA peers from giaddr.
func (t *traffic) relay(ctx context.Context, giaddr string, clients int) {
	t.seq++
	base := t.seq
	for _, server := range []string{"198.18.0.1", "198.18.0.2"} {
		t.run(ctx, base, "-4", giaddr, server, clients, 10)
	}
}

func (t *traffic) perfdhcp(ctx context.Context, family, local, server string, clients, rate int, extra ...string) {
	t.seq++
	t.run(ctx, t.seq, family, local, server, clients, rate, extra...)
}

// run is one bounded perfdhcp run in the LAN namespace: clients new
// clients (MACs 02:de:<seq>:<n>), each one exchange.
func (t *traffic) run(ctx context.Context, seq int, family, local, server string, clients, rate int, extra ...string) {
	n := strconv.Itoa(clients)
	args := []string{"netns", "exec", t.lan, t.perf, family, "-l", local, "-r", strconv.Itoa(rate), "-R", n, "-n", n, "-n", n,
		"-b", fmt.Sprintf("mac=02:de:%02x:%02x:00:00", (seq>>8)&0xff, seq&0xff), "-p", strconv.Itoa(clients/rate + 5), "-W", "1000000"}
	args = append(args, extra...)
	if server != "" {
		args = append(args, server)
	}
	rctx, cancel := context.WithTimeout(ctx, time.Duration(clients/rate+20)*time.Second)
	defer cancel()
	out, err := exec.CommandContext(rctx, t.s.ipBin, args...).CombinedOutput()
	fmt.Fprintf(t.log, "$ ip %v\n%s", args, tail(out, 12))
	if err != nil {
		fmt.Fprintf(t.log, "perfdhcp: %v\n", err) // 3: some clients got nothing, as a full pool does
	}
}

func tail(b []byte, lines int) []byte {
	n := 0
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			if n++; n > lines {
				return b[i+1:]
			}
		}
	}
	return b
}

// bumpSerial raises the zones' serial on the primary and makes it reload
// (SIGHUP, to the recorded and verified named): it NOTIFYs the secondary,
// which transfers the zones again.
func (t *traffic) bumpSerial() {
	if !t.primary.Alive() {
		return
	}
	t.serial++
	for _, z := range Zones {
		if err := os.WriteFile(filepath.Join(t.s.path("bind", "primary"), z+".zone"), []byte(zoneFile(z, t.serial)), 0o644); err != nil {
			fmt.Fprintf(t.log, "zone %s: %v\n", z, err)
			return
		}
	}
	if err := syscall.Kill(t.primary.PID, syscall.SIGHUP); err != nil {
		fmt.Fprintf(t.log, "reloading the primary: %v\n", err)
		return
	}
	fmt.Fprintf(t.log, "zones now at serial %d on the primary\n", t.serial)
}

// Statistic reads one integer statistic from a Kea daemon's socket.
func Statistic(socket, name string) (int64, error) {
	b, err := KeaCommand(socket, "statistic-get", map[string]string{"name": name}, 2*time.Second)
	if err != nil {
		return 0, err
	}
	var r struct {
		Result    int                            `json:"result"`
		Arguments map[string][][]json.RawMessage `json:"arguments"` // [[value, timestamp], ...]
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return 0, fmt.Errorf("statistic-get %s: %w", name, err)
	}
	v := r.Arguments[name]
	if r.Result != 0 || len(v) == 0 || len(v[0]) == 0 {
		return 0, fmt.Errorf("statistic-get %s: no value in %s", name, b)
	}
	return strconv.ParseInt(string(v[0][0]), 10, 64)
}
