package keatest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// defaultPerfRate is the exchange rate (-r) used unless extraArgs give one.
const defaultPerfRate = 50

// maxPerfRetries bounds the single-client re-runs for clients that were
// offered an address but got no ACK/REPLY.
const maxPerfRetries = 2

// PerfStats are perfdhcp's counters for one exchange (e.g. "REQUEST-ACK").
type PerfStats struct {
	Sent, Received, Drops int
}

// PerfLease is one lease perfdhcp reported (-x l).
type PerfLease struct {
	Client  string // client MAC (v4: from the client-id; v6: from the DUID)
	Address string
	Prefix  string // v6 delegated prefix, if any
}

// PerfResult is what perfdhcp reported, summed over the main run and any
// single-client re-runs.
type PerfResult struct {
	Args     []string // perfdhcp arguments of the main run (without `ip netns exec`)
	Output   string   // stdout+stderr of all runs
	ExitCode int      // 0: every requested client got a lease; 3: some did not
	Duration time.Duration
	// Exchanges is keyed by perfdhcp's names: "DISCOVER-OFFER", "REQUEST-ACK",
	// "SOLICIT-ADVERTISE", "REQUEST-REPLY". Counters are summed over all runs,
	// so they match what Kea counted (pkt4-ack-sent etc.).
	Exchanges map[string]PerfStats
	// Leases are the distinct clients that completed the exchange, with what they got.
	Leases []PerfLease
	// Retried is how many single-client re-runs were needed (see Perfdhcp4).
	Retried int

	leased map[string]bool // clients in Leases
}

// Completed is the number of distinct clients that completed the exchange
// (got an ACK for DORA, a REPLY for SARR). When the lease list is not
// available (extraArgs set -x), it is perfdhcp's received count instead.
func (r *PerfResult) Completed() int {
	if r.Leases != nil {
		return len(r.Leases)
	}
	for _, k := range []string{"REQUEST-ACK", "REQUEST-REPLY", "DISCOVER-OFFER", "SOLICIT-ADVERTISE"} {
		if s, ok := r.Exchanges[k]; ok {
			return s.Received
		}
	}
	return 0
}

// Perfdhcp4 runs perfdhcp -4 in the client namespace on ClientIface: clients
// distinct new clients each do one DORA. perfdhcp acts as a relay with giaddr
// ClientAddr4 (198.18.0.250) and broadcasts, so the leases come from the
// subnet containing 198.18.0.250 and its shared network (default: subnet 1,
// then subnet 2 once the 4 addresses of subnet 1 are gone).
//
// Each call uses new client MACs (02:dd:<call>:<n>, n = 0..clients-1), so
// calls add leases rather than renew them. The rate is 50 exchanges/s.
// Kea 2.2 does not reserve offered addresses, so when DISCOVERs overlap (a
// loaded machine, a nearly full pool) two clients can be offered the same
// address and the second REQUEST is NAKed; such clients (offered, not ACKed)
// are re-run one at a time, up to twice. Clients that got no offer at all
// (pool exhausted) are not retried. On a loaded machine perfdhcp may also
// send a few DISCOVERs more than asked (its rate control catches up in
// bursts); they go to the same clients again, so leases stay exact but Kea's
// packet counters can exceed clients a little.
//
// Every run is bounded by -p, -W and a timeout. extraArgs are appended;
// those that set -r, -n, -R, -b/-M, -p, -W or -x replace the harness's own
// (and -n, -R, -b, -M, -x turn the re-runs off). It fails the test, with
// perfdhcp's output, when perfdhcp could not run; missing leases are only
// logged: check the result's Completed().
func (l *Lab) Perfdhcp4(t testing.TB, clients int, extraArgs ...string) *PerfResult {
	t.Helper()
	return l.perfdhcp(t, "-4", ClientIface, "", clients, nil, extraArgs)
}

// Perfdhcp4Relay is Perfdhcp4 as a relay at giaddr: perfdhcp sends unicast from
// giaddr to ServerAddr4, so the subnet containing giaddr is selected. giaddr
// must be one of the client namespace's addresses, 198.18.N.250 for N = 0..15;
// RelayAddr4 (198.18.2.250) reaches default subnet 3.
func (l *Lab) Perfdhcp4Relay(t testing.TB, giaddr string, clients int, extraArgs ...string) *PerfResult {
	t.Helper()
	return l.perfdhcp(t, "-4", giaddr, ServerAddr4, clients, nil, extraArgs)
}

// Perfdhcp6 runs perfdhcp -6 in the client namespace on ClientIface: clients
// distinct new clients each do one SARR asking for an address and a prefix
// (-e address-and-prefix unless extraArgs has -e). Replies come from the
// subnet bound to ServerIface (default: subnet 1). Otherwise like Perfdhcp4
// (clients are DUID-LLs built from the MACs).
func (l *Lab) Perfdhcp6(t testing.TB, clients int, extraArgs ...string) *PerfResult {
	t.Helper()
	return l.perfdhcp(t, "-6", ClientIface, "", clients, []string{"-e", "address-and-prefix"}, extraArgs)
}

// hasFlag reports whether args set the single-letter perfdhcp option flag,
// as "-r 10" or "-r10".
func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || (strings.HasPrefix(a, flag) && !strings.HasPrefix(a, "--")) {
			return true
		}
	}
	return false
}

func macString(m [6]byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// clientMAC derives the MAC from a perfdhcp client id: the v4 client-id is
// 01+MAC in hex, the v6 DUID-LLT/LL ends with the MAC.
func clientMAC(id string) string {
	h := strings.ReplaceAll(id, ":", "")
	if len(h) < 12 {
		return ""
	}
	h = h[len(h)-12:]
	return strings.ToLower(h[0:2] + ":" + h[2:4] + ":" + h[4:6] + ":" + h[6:8] + ":" + h[8:10] + ":" + h[10:12])
}

// perfRun is one perfdhcp process.
type perfRun struct {
	args      []string
	out       string
	exitCode  int
	exchanges map[string]PerfStats
	offered   map[string]bool      // client MACs that got an OFFER/ADVERTISE
	leased    map[string]PerfLease // client MACs that got an ACK/REPLY
}

func (l *Lab) perfdhcp(t testing.TB, family, local, server string, clients int, defaults, extra []string) *PerfResult {
	t.Helper()
	if l.ClientNS == "" {
		t.Fatalf("keatest: perfdhcp needs a lab started with Options.Traffic")
	}
	if family == "-6" && l.dhcp6 == nil {
		t.Fatalf("keatest: Perfdhcp6 needs a lab started with Options.DHCP6")
	}
	if clients < 1 || clients > 65535 {
		t.Fatalf("keatest: perfdhcp clients = %d, want 1..65535", clients)
	}
	l.perfMu.Lock()
	defer l.perfMu.Unlock()

	seq := l.perfSeq.Add(1)
	base := [6]byte{0x02, 0xdd, byte(seq >> 8), byte(seq), 0, 0}
	own := !hasFlag(extra, "-n") && !hasFlag(extra, "-R") && !hasFlag(extra, "-b") &&
		!hasFlag(extra, "-M") && !hasFlag(extra, "-x")
	for i := 0; i+1 < len(defaults); i += 2 {
		if !hasFlag(extra, defaults[i]) {
			extra = append([]string{defaults[i], defaults[i+1]}, extra...)
		}
	}

	began := time.Now()
	res := &PerfResult{Exchanges: map[string]PerfStats{}}
	main := l.perfOnce(t, family, local, server, clients, base, defaultPerfRate, 0, extra)
	res.Args = main.args
	res.add(main)
	if own {
		for attempt := 0; attempt < maxPerfRetries; attempt++ {
			var missing []int
			for i := 0; i < clients; i++ {
				m := base
				m[4], m[5] = byte(i>>8), byte(i)
				if mac := macString(m); main.offered[mac] && !res.leased[mac] {
					missing = append(missing, i)
				}
			}
			if len(missing) == 0 {
				break
			}
			for _, i := range missing {
				m := base
				m[4], m[5] = byte(i>>8), byte(i)
				res.Retried++
				// -r 1: the first DISCOVER goes at once and nothing else is
				// due for a second, so no duplicate DISCOVER can slip out.
				res.add(l.perfOnce(t, family, local, server, 1, m, 1, 3, withoutFlag(extra, "-r")))
			}
		}
	}
	res.Duration = time.Since(began)
	if !own {
		res.Leases = nil // the lease list is ours only when we chose the clients
		res.ExitCode = main.exitCode
	} else if len(res.Leases) < clients {
		res.ExitCode = 3
	}
	if res.ExitCode != 0 {
		t.Logf("keatest: perfdhcp %s: %d of %d clients completed (%d single-client re-runs)",
			strings.Join(res.Args, " "), res.Completed(), clients, res.Retried)
	}
	return res
}

// withoutFlag returns args without the option flag and its value.
func withoutFlag(args []string, flag string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == flag {
			i++ // and its value
			continue
		}
		if strings.HasPrefix(a, flag) && !strings.HasPrefix(a, "--") {
			continue
		}
		out = append(out, a)
	}
	return out
}

func (r *PerfResult) add(run *perfRun) {
	if r.Output != "" {
		r.Output += "\n"
	}
	r.Output += "$ perfdhcp " + strings.Join(run.args, " ") + "\n" + run.out
	for k, v := range run.exchanges {
		s := r.Exchanges[k]
		s.Sent += v.Sent
		s.Received += v.Received
		s.Drops += v.Drops
		r.Exchanges[k] = s
	}
	if r.Leases == nil {
		r.Leases = []PerfLease{}
		r.leased = map[string]bool{}
	}
	macs := make([]string, 0, len(run.leased))
	for mac := range run.leased {
		macs = append(macs, mac)
	}
	sort.Strings(macs)
	for _, mac := range macs {
		if !r.leased[mac] {
			r.leased[mac] = true
			r.Leases = append(r.Leases, run.leased[mac])
		}
	}
}

// perfOnce runs perfdhcp once for clients clients starting at MAC base.
// period 0 means: long enough for clients at rate, plus 5 s.
func (l *Lab) perfOnce(t testing.TB, family, local, server string, clients int, base [6]byte, rate, period int, extra []string) *perfRun {
	t.Helper()
	args := []string{family, "-l", local}
	if hasFlag(extra, "-r") {
		rate = 1 // unknown: be generous with the time bound
	} else {
		args = append(args, "-r", strconv.Itoa(rate))
	}
	n := strconv.Itoa(clients)
	if !hasFlag(extra, "-n") {
		// -n twice: N DISCOVERs and N REQUESTs. perfdhcp stops sending new
		// exchanges at N and then waits up to -W until it has received
		// exactly as many replies as the two -n add up to. With a single -n
		// that sum is N, which OFFERs plus ACKs reach half-way: it then
		// quits with ACKs still on the way (always for 1 or 2 clients, and
		// on a loaded machine for any number).
		args = append(args, "-n", n, "-n", n)
	}
	if !hasFlag(extra, "-R") {
		args = append(args, "-R", n) // clients are base MAC + 0 .. clients-1, in order
	}
	if !hasFlag(extra, "-b") && !hasFlag(extra, "-M") {
		args = append(args, "-b", "mac="+macString(base))
	}
	if period == 0 {
		period = clients/rate + 5
	}
	if !hasFlag(extra, "-p") {
		args = append(args, "-p", strconv.Itoa(period))
	} else {
		period = 60
	}
	if !hasFlag(extra, "-W") {
		// µs to wait for missing replies after the last DISCOVER; perfdhcp
		// exits earlier as soon as every reply is in.
		args = append(args, "-W", "1000000")
	}
	if !hasFlag(extra, "-x") {
		args = append(args, "-x", "l") // print the leases: who got what
	}
	args = append(args, extra...)
	if server != "" {
		args = append(args, server)
	}

	timeout := time.Duration(period)*time.Second + 15*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, l.ipBin, append([]string{"netns", "exec", l.ClientNS, l.perfBin}, args...)...)
	out, err := cmd.CombinedOutput()
	run := &perfRun{args: args, out: string(out)}
	run.exchanges, run.offered, run.leased = parsePerf(run.out)
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("keatest: perfdhcp %s killed after %s:\n%s", strings.Join(args, " "), timeout, out)
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 3:
		run.exitCode = 3 // some packets were dropped
	default:
		t.Fatalf("keatest: perfdhcp %s: %v:\n%s", strings.Join(args, " "), err, out)
	}
	if len(run.exchanges) == 0 {
		t.Fatalf("keatest: perfdhcp %s printed no statistics:\n%s", strings.Join(args, " "), out)
	}
	return run
}

// parsePerf reads perfdhcp's "***Statistics for: X***" blocks and the
// "***Leases for X***" lists (-x l).
func parsePerf(out string) (stats map[string]PerfStats, offered map[string]bool, leased map[string]PerfLease) {
	stats = map[string]PerfStats{}
	offered = map[string]bool{}
	leased = map[string]PerfLease{}
	section, name := "", ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "***") {
			section, name = "", ""
			title := strings.TrimSpace(strings.Trim(line, "*"))
			if n, ok := strings.CutPrefix(title, "Statistics for: "); ok {
				section, name = "stats", strings.TrimSpace(n)
				stats[name] = PerfStats{}
			} else if n, ok := strings.CutPrefix(title, "Leases for "); ok {
				section, name = "leases", strings.TrimSpace(n)
			}
			continue
		}
		switch section {
		case "stats":
			key, val, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			v, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				continue
			}
			s := stats[name]
			switch key {
			case "sent packets":
				s.Sent = v
			case "received packets":
				s.Received = v
			case "drops":
				s.Drops = v
			}
			stats[name] = s
		case "leases":
			f := strings.Split(line, ",")
			if len(f) < 2 || f[0] == "client_id" {
				continue
			}
			mac := clientMAC(f[0])
			if mac == "" {
				continue
			}
			switch name {
			case "DISCOVER-OFFER", "SOLICIT-ADVERTISE":
				offered[mac] = true
			case "REQUEST-ACK", "REQUEST-REPLY":
				if f[1] == "" || f[1] == "0.0.0.0" || f[1] == "::" {
					continue // not a lease
				}
				lease := PerfLease{Client: mac, Address: f[1]}
				if len(f) > 2 {
					lease.Prefix = f[2]
				}
				leased[mac] = lease
			}
		}
	}
	return stats, offered, leased
}

// Populated starts a full lab (Traffic, DHCP6, ControlAgent, default subnets)
// and fills it with the standard data set, so a test in any package gets
// realistic Kea answers with one call and no TestMain:
//
//	v4: 10 broadcast clients  -> subnet 1: 4/4 (pool exhausted), subnet 2: 6/200
//	     8 relayed clients    -> subnet 3: 8/10 (giaddr RelayAddr4)
//	                             subnet 4: 0/241
//	     pkt4-ack-sent = 18
//	v6: 10 SARR clients       -> subnet 1: 10 addresses (of 256) and 10 /56 prefixes (of 256)
//	                             subnets 2 and 3: nothing
//
// It skips (fails under CI=true) like Start when Kea, perfdhcp or root are missing.
func Populated(t testing.TB) *Lab {
	t.Helper()
	return PopulatedKea(t, Kea22)
}

// PopulatedKea is Populated on Kea version v. On Kea 3.0 the daemons also
// have their HTTP control sockets (Lab.HTTP4URL, Lab.HTTP6URL).
func PopulatedKea(t testing.TB, v Version) *Lab {
	t.Helper()
	l := Start(t, Options{Traffic: true, DHCP6: true, ControlAgent: true, Kea: v, HTTP: v.AtLeast30()})
	if l == nil {
		return nil
	}
	want := []struct {
		run  func() *PerfResult
		n    int
		what string
	}{
		{func() *PerfResult { return l.Perfdhcp4(t, 10) }, 10, "broadcast DORA"},
		{func() *PerfResult { return l.Perfdhcp4Relay(t, RelayAddr4, 8) }, 8, "relayed DORA"},
		{func() *PerfResult { return l.Perfdhcp6(t, 10) }, 10, "SARR"},
	}
	for _, w := range want {
		if r := w.run(); r.Completed() != w.n {
			t.Fatalf("keatest: Populated: %d of %d %s exchanges completed:\n%s", r.Completed(), w.n, w.what, r.Output)
		}
	}
	return l
}
