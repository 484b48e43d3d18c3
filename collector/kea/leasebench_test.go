package kea

import (
	"bufio"
	"context"
	"fmt"
	"github.com/ddiscope/ddiscope/internal/procstat"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// The lease pass benchmark runs the poller in a child process (this test
// binary, re-executed), so that its CPU and peak RSS are the poller's
// alone, measured from /proc like the daemon's in cmd/ddiscope. The child
// reads its Kea once (configuration, statistics) and says "ready"; on "go"
// it runs one lease pass and says "done"; on end of input it exits.
const childEnv = "DDISCOPE_LEASE_PASS_CHILD"

func TestMain(m *testing.M) {
	if socket := os.Getenv(childEnv); socket != "" {
		os.Exit(leasePassChild(socket))
	}
	os.Exit(m.Run())
}

func leasePassChild(socket string) int {
	fail := func(err error) int { fmt.Println("error", err); return 1 }
	cat, err := catalog.New(catalog.All())
	if err != nil {
		return fail(err)
	}
	client, err := keactl.New(keactl.Options{Name: "bench", URL: "unix://" + socket, Timeout: time.Minute})
	if err != nil {
		return fail(err)
	}
	p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, _, err := p.Poll(ctx); err != nil {
		return fail(err)
	}
	in := bufio.NewScanner(os.Stdin)
	fmt.Println("ready")
	// DDISCOPE_LEASE_PASS_PROFILE names a file for the CPU profile of
	// the first paced pass.
	profile := os.Getenv("DDISCOPE_LEASE_PASS_PROFILE")
	ds := p.daemons["dhcp4"]
	// Each line is one pass: "paced RATE BURST" at that page rate and
	// burst with the default per-poll budget, or "unpaced".
	for in.Scan() {
		o := LeaseOptions{Interval: time.Hour}
		var rate float64
		var burst int
		if _, err := fmt.Sscanf(in.Text(), "paced %g %d", &rate, &burst); err == nil {
			o.PagesPerSecond, o.Burst = rate, burst
		} else {
			o.PagesPerSecond = -1
		}
		p.opts.Leases = o.defaults()
		if profile != "" && o.PagesPerSecond > 0 {
			if f, err := os.Create(profile); err == nil {
				pprof.StartCPUProfile(f)
			}
		}
		n, err := leasePassPolls(ctx, p, ds)
		if profile != "" && o.PagesPerSecond > 0 {
			pprof.StopCPUProfile()
			profile = ""
		}
		if err != nil {
			return fail(err)
		}
		fmt.Println("done", n)
	}
	return 0
}

// leasePassPolls runs one whole lease pass the way the daemon does, as
// lease steps of polls with the default 10 s timeout (so the default
// budget), back to back: the gaps between polls add no work, only wall
// time.
func leasePassPolls(ctx context.Context, p *Poller, ds *daemonState) (int, error) {
	if ds.lease != nil {
		ds.lease.next = time.Time{}
	}
	before := [2]uint64{}
	if ds.lease != nil {
		before = ds.lease.passes
	}
	for ds.lease == nil || ds.lease.passes == before {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		p.leaseStep(pctx, ds)
		cancel()
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	if ds.lease.passes[0] == before[0] {
		return 0, fmt.Errorf("pass abandoned: %v", ds.cmds.errors)
	}
	return ds.lease.done.leases, nil
}

// writeLeases4 writes a Kea 2.2 memfile of n DHCPv4 leases spread over
// subnets 10.<s>.0.0/16 (s = 1..subnets), all valid for hours to come, so
// that Kea reclaims none while the benchmark runs.
func writeLeases4(path string, n, subnets int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context")
	now := time.Now().Unix()
	per := (n + subnets - 1) / subnets
	for i := range n {
		s, k := i/per+1, i%per+1
		fmt.Fprintf(w, "10.%d.%d.%d,02:%02x:%02x:%02x:%02x:%02x,,86400,%d,%d,0,0,,0,\n",
			s, k>>8, k&0xff, s, byte(k>>16), byte(k>>8), byte(k), 0, now+43200+int64(i%43200), s)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func subnets4(n int) string {
	var parts []string
	for s := 1; s <= n; s++ {
		parts = append(parts, fmt.Sprintf(`{ "id": %d, "subnet": "10.%d.0.0/16", "pools": [ { "pool": "10.%d.0.1-10.%d.255.254" } ] }`, s, s, s, s))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// passChild is the poller in a child process, ready to run passes.
type passChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
}

func startPassChild(b *testing.B, lab *keatest.Lab, profile bool) *passChild {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+lab.Socket4, "GOMAXPROCS=2")
	if !profile {
		cmd.Env = append(cmd.Env, "DDISCOPE_LEASE_PASS_PROFILE=")
	}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &passChild{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	if l := c.line(b); l != "ready" {
		b.Fatalf("child: %s", l)
	}
	return c
}

func (c *passChild) line(b *testing.B) string {
	if !c.out.Scan() {
		b.Fatalf("child: no output")
	}
	return c.out.Text()
}

// passCost is one pass's cost: the child's CPU seconds, Kea's CPU seconds
// over the same span, and the pass's wall time.
type passCost struct {
	child, kea, wall float64
}

// pass runs one pass ("paced RATE BURST" or "unpaced") and measures it.
func (c *passChild) pass(b *testing.B, lab *keatest.Lab, mode string, want int) passCost {
	b.Helper()
	keaPid := lab.Pid("dhcp4")
	c0, k0, t0 := procCPU(b, c.cmd.Process.Pid), procCPU(b, keaPid), time.Now()
	fmt.Fprintln(c.stdin, mode)
	l := c.line(b)
	c1, k1, t1 := procCPU(b, c.cmd.Process.Pid), procCPU(b, keaPid), time.Now()
	n, ok := strings.CutPrefix(l, "done ")
	if !ok {
		b.Fatalf("child: %s", l)
	}
	if got, _ := strconv.Atoi(n); got != want {
		b.Fatalf("%s: the pass read %s leases, the CSV has %d", mode, n, want)
	}
	return passCost{child: c1 - c0, kea: k1 - k0, wall: t1.Sub(t0).Seconds()}
}

// span is the least and the greatest of a series of figures.
type span struct{ lo, hi float64 }

func (s *span) add(v float64) {
	if s.lo == 0 && s.hi == 0 {
		s.lo, s.hi = v, v
	}
	s.lo, s.hi = min(s.lo, v), max(s.hi, v)
}

func (s span) report(b *testing.B, unit string) {
	b.ReportMetric(s.lo, unit+"-min")
	b.ReportMetric(s.hi, unit+"-max")
}

// BenchmarkLeasePass is full lease passes (lease4-get-page, 1,000 a page)
// over N leases in a real kea-dhcp4 (memfile loaded from a generated CSV,
// 40 subnets), by a poller in a child process measured from /proc. Each
// iteration runs one pass at the default pacing and one unpaced, in turn,
// and reports, as min and max over the iterations:
//   - the poller's CPU for the paced pass as a share of Kea's CPU for it
//     (target ≤ 10%), and the same for the unpaced pass;
//   - Kea's CPU for the paced pass over its CPU for the unpaced one
//     (target ≤ 1.1: pacing must not make Kea pay more for the same pages);
//   - the child's peak RSS above a child that ran a pass over an empty
//     lease database (target ≤ 10 MB).
//
// N is DDISCOPE_BENCH_LEASES, default 100,000; the figure is for
// 1,000,000 (Kea alone then needs ~20 s and ~600 MB to load them). Run it
// with -benchtime 3x or more. DDISCOPE_BENCH_LEASE_PACE=RATE:BURST measures
// another pacing than the default.
func BenchmarkLeasePass(b *testing.B) {
	n := 100000
	if v := os.Getenv("DDISCOPE_BENCH_LEASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("DDISCOPE_BENCH_LEASES=%q: not a count", v)
		}
	}
	def := LeaseOptions{}.defaults()
	paced := fmt.Sprintf("paced %g %d", def.PagesPerSecond, def.Burst)
	if v := os.Getenv("DDISCOPE_BENCH_LEASE_PACE"); v != "" {
		var rate float64
		var burst int
		if _, err := fmt.Sscanf(v, "%g:%d", &rate, &burst); err != nil || rate <= 0 || burst <= 0 {
			b.Fatalf("DDISCOPE_BENCH_LEASE_PACE=%q: not RATE:BURST", v)
		}
		paced = fmt.Sprintf("paced %g %d", rate, burst)
	}
	const subnets = 40
	dir := b.TempDir()
	csv := filepath.Join(dir, "leases4.csv")
	if err := writeLeases4(csv, n, subnets); err != nil {
		b.Fatal(err)
	}
	empty := keatest.Start(b, keatest.Options{Subnet4: subnets4(subnets), SharedNetworks4: "[]"})
	full := keatest.Start(b, keatest.Options{Subnet4: subnets4(subnets), SharedNetworks4: "[]",
		Leases4File: csv, StartTimeout: 5 * time.Minute})
	ec := startPassChild(b, empty, false)
	ec.pass(b, empty, paced, 0)
	hwm0 := procHWM(b, ec.cmd.Process.Pid)
	c := startPassChild(b, full, true)
	// Kea's own CPU while nobody asks it anything, for comparison.
	k0 := procCPU(b, full.Pid("dhcp4"))
	time.Sleep(10 * time.Second)
	idle := 100 * (procCPU(b, full.Pid("dhcp4")) - k0) / 10
	var share, shareUnpaced, keaRatio, keaPaced, keaUnpaced, childPaced, wall span
	for b.Loop() {
		pc := c.pass(b, full, paced, n)
		uc := c.pass(b, full, "unpaced", n)
		// As it goes (a benchmark's log waits for its end): a long run
		// cut short still leaves its figures.
		fmt.Fprintf(os.Stderr, "lease pass %s: poller %.2f s, Kea %.2f s (%.1f%%), %.0f s; unpaced: poller %.2f s, Kea %.2f s (%.1f%%); Kea paced/unpaced %.2f\n",
			paced, pc.child, pc.kea, 100*pc.child/pc.kea, pc.wall, uc.child, uc.kea, 100*uc.child/uc.kea, pc.kea/uc.kea)
		share.add(100 * pc.child / pc.kea)
		shareUnpaced.add(100 * uc.child / uc.kea)
		keaRatio.add(pc.kea / uc.kea)
		keaPaced.add(pc.kea)
		keaUnpaced.add(uc.kea)
		childPaced.add(pc.child)
		wall.add(pc.wall)
	}
	delta := float64(procHWM(b, c.cmd.Process.Pid)-hwm0) / 1024
	b.Logf("%d leases, %s: poller %.2f–%.2f s, %.1f–%.1f%% of Kea's %.2f–%.2f s (unpaced %.1f–%.1f%% of %.2f–%.2f s); Kea paced/unpaced %.2f–%.2f; pass %.0f–%.0f s; Kea idle %.2f%%; peak RSS %.1f MB above the empty pass's %.1f MB",
		n, paced, childPaced.lo, childPaced.hi, share.lo, share.hi, keaPaced.lo, keaPaced.hi, shareUnpaced.lo, shareUnpaced.hi,
		keaUnpaced.lo, keaUnpaced.hi, keaRatio.lo, keaRatio.hi, wall.lo, wall.hi, idle, delta, float64(hwm0)/1024)
	b.ReportMetric(float64(n), "leases")
	b.ReportMetric(idle, "kea-idle-cpu-%")
	share.report(b, "poller-cpu-%-of-kea")
	shareUnpaced.report(b, "unpaced-poller-cpu-%-of-kea")
	keaRatio.report(b, "kea-cpu-paced/unpaced")
	childPaced.report(b, "poller-cpu-s/pass")
	keaPaced.report(b, "kea-cpu-s/pass")
	keaUnpaced.report(b, "unpaced-kea-cpu-s/pass")
	wall.report(b, "paced-pass-s")
	b.ReportMetric(delta, "peak-RSS-MB-above-empty")
	b.ReportMetric(float64(hwm0)/1024, "peak-RSS-MB-empty")
	if share.hi > 10 {
		b.Errorf("%s: the poller used up to %.1f%% of Kea's CPU for the pass, more than 10%%", paced, share.hi)
	}
	if keaRatio.hi > 1.1 {
		b.Errorf("%s: Kea used up to %.2f× its unpaced CPU for the pass, more than 1.1×", paced, keaRatio.hi)
	}
	if delta > 10 {
		b.Errorf("the poller's peak RSS was %.1f MB above the empty pass's, more than 10 MB", delta)
	}
}

func procCPU(b *testing.B, pid int) float64 {
	v, err := procstat.CPUSeconds(pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func procHWM(b *testing.B, pid int) int {
	v, err := procstat.PeakRSSKiB(pid)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkLeasePacings compares pacings side by side on one Kea: each
// iteration runs one pass in each mode of DDISCOPE_BENCH_LEASE_PACINGS
// (a comma-separated list of "unpaced" and "paced RATE BURST"), in turn,
// and prints each pass's poller and Kea CPU. It runs only when that
// variable is set: docs/leases.md quotes its figures for the choice of
// the default burst.
func BenchmarkLeasePacings(b *testing.B) {
	list := os.Getenv("DDISCOPE_BENCH_LEASE_PACINGS")
	if list == "" {
		b.Skip("DDISCOPE_BENCH_LEASE_PACINGS is not set (e.g. \"unpaced,paced 10 10,paced 10 1\")")
	}
	n := 100000
	if v := os.Getenv("DDISCOPE_BENCH_LEASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("DDISCOPE_BENCH_LEASES=%q: not a count", v)
		}
	}
	csv := filepath.Join(b.TempDir(), "leases4.csv")
	if err := writeLeases4(csv, n, 40); err != nil {
		b.Fatal(err)
	}
	full := keatest.Start(b, keatest.Options{Subnet4: subnets4(40), SharedNetworks4: "[]", Leases4File: csv, StartTimeout: 5 * time.Minute})
	c := startPassChild(b, full, false)
	round := 0
	for b.Loop() {
		for _, m := range strings.Split(list, ",") {
			pc := c.pass(b, full, m, n)
			fmt.Fprintf(os.Stderr, "round %d %-14s poller %.3f s, Kea %.3f s (%.1f%%), %.1f s\n", round, m, pc.child, pc.kea, 100*pc.child/pc.kea, pc.wall)
		}
		round++
	}
}
