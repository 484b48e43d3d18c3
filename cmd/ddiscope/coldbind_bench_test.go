package main

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/bindtest"
	"github.com/ddiscope/ddiscope/internal/procstat"
)

// coldInterval is the poll interval of the cold-process benchmarks: what
// production runs, long enough that the process goes idle between polls
// (the Go runtime returns memory, caches go cold). DDISCOPE_COLD_INTERVAL
// shortens it while working on the benchmark itself.
func coldInterval(b *testing.B) time.Duration {
	if v := os.Getenv("DDISCOPE_COLD_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			b.Fatalf("DDISCOPE_COLD_INTERVAL=%q: want a duration of 1s or more", v)
		}
		return d
	}
	return 15 * time.Second
}

// BenchmarkColdBindPoll runs the built ddiscope binary against a real named
// (BIND 9.18, internal/bindtest) serving 3,000 primary zones with
// zone-statistics full, polled every 15 s as in production, and scraped once
// after each poll (Accept-Encoding: gzip and a kept-alive connection, as
// Prometheus scrapes). Each b.N is one 15 s cycle, from just after one
// scrape to just after the next: one poll, one scrape and the idle time in
// between. CPU comes from /proc for ddiscope and for named over the same
// cycle: per-cycle figures from the threads' schedstat (nanoseconds; utime
// and stime count 10 ms ticks), the mean also from utime+stime. It also
// counts the connections opened to named's statistics channel (the poll's
// is kept alive across cycles: named keeps an idle one ~30 s).
//
//   - zones=off: the default, the small documents only;
//   - zones=on/between-zone-reads: zones on with a 1 h zone interval, so
//     every measured poll reuses the zones read at start;
//   - zones=on/zone-read: a 1 s zone interval, so every poll reads /json/v1
//     with every zone.
//
// At least three cycles run whatever b.N (a cycle is 15 s, so the default
// -benchtime stops after one); the first cycle after start-up is not
// measured. The figures are per cycle, whatever ns/op says.
func BenchmarkColdBindPoll(b *testing.B) {
	bindtest.Require(b, "named", "rndc", "dig")
	zones := make([]string, 3000)
	for i := range zones {
		zones[i] = fmt.Sprintf("z%d.cold.example", i)
	}
	lab := bindtest.Start(b, bindtest.Options{Zones: zones})
	for _, v := range []struct {
		name  string
		zones string
	}{
		{"zones=off", ""},
		{"zones=on/between-zone-reads", "    zones: true\n    zone-interval: 1h\n"},
		{"zones=on/zone-read", "    zones: true\n    zone-interval: 1s\n"},
	} {
		b.Run(v.name, func(b *testing.B) { benchColdBind(b, lab, v.zones) })
	}
}

func benchColdBind(b *testing.B, lab *bindtest.Lab, zones string) {
	interval := coldInterval(b)
	named := lab.Primary.Pid()
	if named == 0 {
		b.Fatal("named is not running")
	}
	cfg := writeFile(b, b.TempDir(), "d.yml", fmt.Sprintf("defaults:\n  interval: %s\n  timeout: %s\nbind:\n  - name: cold\n    url: %s\n    format: json\n%s",
		interval, min(interval, 10*time.Second), lab.Primary.StatsURL, zones))
	p := start(b, "--config.file="+cfg)
	pid := p.cmd.Process.Pid
	s := &coldScraper{url: "http://" + p.addr + "/metrics", client: &http.Client{Timeout: 30 * time.Second}}
	defer s.client.CloseIdleConnections()

	// The first poll, then one unmeasured cycle: start-up is not the steady
	// state.
	deadline := time.Now().Add(30 * time.Second)
	for s.scrape(b); s.polls < 1; s.scrape(b) {
		if time.Now().After(deadline) {
			b.Fatalf("no poll after 30 s:\n%s", p.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.cycle(b, interval, nil)

	var own, other []float64 // ms per cycle, from schedstat
	var faults []float64
	stat0, statNamed0 := cpuSeconds(b, pid), cpuSeconds(b, named)
	var polls, scrapes []float64 // ms of ddiscope's CPU in each part of a cycle
	u, err := url.Parse(lab.Primary.StatsURL)
	if err != nil {
		b.Fatal(err)
	}
	statsPort := u.Port()
	conns := connectionsTo(b, statsPort) // every connection to the channel so far, closed ones (TIME_WAIT) included
	if len(conns) == 0 {
		b.Fatalf("no connection to named's port %s in /proc/net/tcp after two polls", statsPort)
	}
	newConns := 0
	measure := func() {
		d0, n0 := threadsCPU(b, pid), threadsCPU(b, named)
		f0, _, _ := procstat.Faults(pid)
		var mark time.Duration
		s.cycle(b, interval, func(at string) {
			now := threadsCPU(b, pid)
			if at == "before scrape" {
				polls = append(polls, float64(now-mark)/1e6)
			}
			mark = now
		})
		d1 := threadsCPU(b, pid)
		scrapes = append(scrapes, float64(d1-mark)/1e6)
		own = append(own, float64(d1-d0)/1e6)
		other = append(other, float64(threadsCPU(b, named)-n0)/1e6)
		f1, _, _ := procstat.Faults(pid)
		faults = append(faults, float64(f1-f0))
		// A closed connection stays in TIME_WAIT for 60 s, longer than a
		// cycle: a connection opened and closed within one is still seen.
		for c := range connectionsTo(b, statsPort) {
			if !conns[c] {
				conns[c] = true
				newConns++
			}
		}
	}
	for b.Loop() {
		measure()
	}
	for len(own) < 3 {
		measure()
	}
	cycles := len(own)
	stat, statNamed := cpuSeconds(b, pid)-stat0, cpuSeconds(b, named)-statNamed0
	lo, hi := minMax(own)
	b.ReportMetric(lo, "ddiscope-cpu-ms/cycle-min")
	b.ReportMetric(hi, "ddiscope-cpu-ms/cycle-max")
	b.ReportMetric(stat*1000/float64(cycles), "ddiscope-stat-cpu-ms/cycle")
	lo, hi = minMax(other)
	b.ReportMetric(lo, "named-cpu-ms/cycle-min")
	b.ReportMetric(hi, "named-cpu-ms/cycle-max")
	b.ReportMetric(statNamed*1000/float64(cycles), "named-stat-cpu-ms/cycle")
	lo, hi = minMax(polls)
	b.ReportMetric(lo, "ddiscope-poll-cpu-ms-min")
	b.ReportMetric(hi, "ddiscope-poll-cpu-ms-max")
	lo, hi = minMax(scrapes)
	b.ReportMetric(lo, "ddiscope-scrape-cpu-ms-min")
	b.ReportMetric(hi, "ddiscope-scrape-cpu-ms-max")
	_, hi = minMax(faults)
	b.ReportMetric(hi, "ddiscope-faults/cycle-max")
	b.ReportMetric(float64(newConns)/float64(cycles), "named-new-connections/cycle")
	b.ReportMetric(s.series, "series")
	b.ReportMetric(float64(cycles), "cycles")
	b.Logf("ddiscope ms/cycle %.1f (poll %.1f, scrape %.1f); named ms/cycle %.1f; minor faults %v (load average %s)",
		own, polls, scrapes, other, faults, loadAverage())
}

// coldScraper scrapes ddiscope as Prometheus would and keeps what the
// benchmark needs from the reply: the target's poll count, the time of its
// last poll and the number of series.
type coldScraper struct {
	url    string
	client *http.Client
	polls  float64
	last   time.Time // the last poll's snapshot time
	series float64
}

func (s *coldScraper) scrape(b *testing.B) {
	req, _ := http.NewRequest(http.MethodGet, s.url, nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	resp, err := s.client.Do(req) // gzip asked for and undone by the transport
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("/metrics: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		n++
		name, rest, _ := strings.Cut(line, "{")
		if name != "ddiscope_polls_total" && name != "ddiscope_last_success_timestamp_seconds" {
			continue
		}
		if !strings.Contains(rest, `server="cold"`) {
			continue
		}
		v, err := strconv.ParseFloat(rest[strings.LastIndexByte(rest, ' ')+1:], 64)
		if err != nil {
			b.Fatalf("/metrics: %q: %v", line, err)
		}
		if name == "ddiscope_polls_total" {
			s.polls = v
		} else {
			s.last = time.UnixMilli(int64(v * 1000))
		}
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	s.series = float64(n)
}

// cycle sleeps until shortly after the next poll and scrapes once; it fails
// unless exactly one poll happened in between. With split, it also reads
// ddiscope's CPU 2 s before the poll is due and 2 s after, just before the
// scrape (reading /proc does not wake the process), so that the cycle's CPU
// can be told apart: idle, poll (a 4 s window: the poll comes within ±10% of
// the interval, ±1.5 s at 15 s), scrape.
func (s *coldScraper) cycle(b *testing.B, interval time.Duration, split func(at string)) {
	before := s.polls
	// The next poll starts an interval (±10% jitter) after the last one
	// ended; 2 s is room for the jitter and the poll itself.
	due := s.last.Add(interval)
	slack := 2 * time.Second
	if split != nil {
		time.Sleep(time.Until(due.Add(-slack)))
		split("before poll")
	}
	time.Sleep(time.Until(due.Add(slack)))
	if split != nil {
		split("before scrape")
	}
	s.scrape(b)
	if s.polls != before+1 {
		b.Fatalf("%v polls between two scrapes, want 1", s.polls-before)
	}
}

// connectionsTo lists the local ends of the TCP connections to a local port
// (from /proc/net/tcp: every state, TIME_WAIT included).
func connectionsTo(b *testing.B, port string) map[string]bool {
	p, err := strconv.Atoi(port)
	if err != nil {
		b.Fatalf("statistics port %q: %v", port, err)
	}
	raw, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		b.Fatal(err)
	}
	want := fmt.Sprintf(":%04X", p)
	out := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 2 && strings.HasSuffix(f[2], want) {
			out[f[1]] = true
		}
	}
	return out
}

func threadsCPU(b *testing.B, pid int) time.Duration {
	d, err := procstat.ThreadsCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func loadAverage() string {
	raw, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
