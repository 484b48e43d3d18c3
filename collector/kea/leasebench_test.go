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
	if !in.Scan() {
		return 1
	}
	// Kea's recommended page (docs/leases.md), no rate cap: the CPU
	// ratio does not depend on the pace, the wall time does.
	p.opts.Leases = LeaseOptions{Interval: time.Hour, PageSize: 1000, PagesPerSecond: -1, Budget: 20 * time.Minute}
	// DDISCOPE_LEASE_PASS_PROFILE names a file for the pass's CPU profile.
	if path := os.Getenv("DDISCOPE_LEASE_PASS_PROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	ds := p.daemons["dhcp4"]
	for ds.lease == nil || ds.lease.passes[0]+ds.lease.passes[1] == 0 {
		if _, _, err := p.Poll(ctx); err != nil {
			return fail(err)
		}
	}
	if ds.lease.passes[0] != 1 {
		return fail(fmt.Errorf("pass abandoned: %v", ds.cmds.errors))
	}
	pprof.StopCPUProfile()
	fmt.Println("done", ds.lease.done.leases)
	io.Copy(io.Discard, os.Stdin)
	return 0
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

// passCost runs one pass in a child against the lab and returns the
// child's CPU seconds for the pass, its peak RSS in kB and Kea's CPU
// seconds over the same span.
func passCost(b *testing.B, lab *keatest.Lab) (child, kea float64, hwm int, leases int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+lab.Socket4, "GOMAXPROCS=2")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	out := bufio.NewScanner(stdout)
	line := func() string {
		if !out.Scan() {
			b.Fatalf("child: no output")
		}
		return out.Text()
	}
	if l := line(); l != "ready" {
		b.Fatalf("child: %s", l)
	}
	keaPid := lab.Pid("dhcp4")
	c0, k0 := procCPU(b, cmd.Process.Pid), procCPU(b, keaPid)
	fmt.Fprintln(stdin, "go")
	l := line()
	c1, k1 := procCPU(b, cmd.Process.Pid), procCPU(b, keaPid)
	n, ok := strings.CutPrefix(l, "done ")
	if !ok {
		b.Fatalf("child: %s", l)
	}
	leases, _ = strconv.Atoi(n)
	return c1 - c0, k1 - k0, procHWM(b, cmd.Process.Pid), leases
}

// BenchmarkLeasePass is a full lease pass (lease4-get-page, 1,000 a page)
// over N leases in a real kea-dhcp4 (memfile loaded from a generated CSV,
// 40 subnets), against the same pass over an empty lease database: the
// poller's CPU for the pass as a share of Kea's own CPU for it (target
// ≤ 10%), and its peak RSS above the empty pass's (target ≤ 10 MB).
// N is DDISCOPE_BENCH_LEASES, default 100,000; the figure is for
// 1,000,000 (Kea alone then needs ~20 s and ~600 MB to load them).
func BenchmarkLeasePass(b *testing.B) {
	n := 100000
	if v := os.Getenv("DDISCOPE_BENCH_LEASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 0 {
			b.Fatalf("DDISCOPE_BENCH_LEASES=%q: not a count", v)
		}
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
	_, _, hwm0, _ := passCost(b, empty)
	var child, kea float64
	var hwm, leases int
	for b.Loop() {
		c, k, h, l := passCost(b, full)
		child, kea, hwm, leases = child+c, kea+k, max(hwm, h), l
	}
	if leases != n {
		b.Fatalf("the pass read %d leases, the CSV has %d", leases, n)
	}
	ratio := child / kea
	delta := float64(hwm-hwm0) / 1024
	b.ReportMetric(float64(n), "leases")
	b.ReportMetric(child/float64(b.N), "poller-cpu-s/pass")
	b.ReportMetric(kea/float64(b.N), "kea-cpu-s/pass")
	b.ReportMetric(100*ratio, "poller-cpu-%-of-kea")
	b.ReportMetric(delta, "peak-RSS-MB-above-empty")
	b.ReportMetric(float64(hwm0)/1024, "peak-RSS-MB-empty")
	if ratio > 0.10 {
		b.Errorf("the poller used %.1f%% of Kea's CPU for the pass, more than 10%%", 100*ratio)
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
