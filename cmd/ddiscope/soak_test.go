package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// The soak's length: SOAK_DURATION (`make soak`: 30m); the short default
// runs in `make test`.
const soakDefault = 75 * time.Second

// soakSample is one reading of the daemon's resources.
type soakSample struct {
	at         time.Duration // since the soak began
	rssKB      int64
	goroutines int64
	fds        int64
	event      string // the last event begun
}

// flatness bounds: after the warm-up, the maximum over the last third may
// exceed the maximum over the first third by 15% plus this much.
var soakSlack = map[string]float64{"rss_kb": 8 << 10, "goroutines": 15, "fds": 10}

// TestSoak runs the ddiscope binary against a real Kea 2.2 HA pair (a
// Control Agent and a control socket target per server) for SOAK_DURATION
// while perfdhcp sends traffic throughout, subnets are added and removed
// on both peers (config-set, config-write), each peer in turn is stopped
// and restarted (a failover and its healing), ddiscope is reloaded (SIGHUP
// and POST /-/reload in turn, between two target lists), and /metrics is
// scraped every second as Prometheus does. It samples the daemon's RSS,
// goroutines and open file descriptors into a CSV and fails when they grow
// (see soakFlat), when a scrape fails, or when ddiscope stops telling the
// truth: the stopped peer down and its partner in partner-down, every
// target up and both in load-balancing once healed, the added subnet shown
// and the removed one gone.
func TestSoak(t *testing.T) {
	dur := soakDefault
	if v := os.Getenv("SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SOAK_DURATION=%q: want a positive duration such as 30m", v)
		}
		dur = d
	}
	sampleEvery := 2 * time.Second
	if dur >= 10*time.Minute {
		sampleEvery = 5 * time.Second
	}
	csvPath, keep := os.Getenv("SOAK_CSV"), " (kept)"
	if csvPath == "" {
		csvPath, keep = filepath.Join(t.TempDir(), "soak.csv"), " (removed after the test: set SOAK_CSV to keep it)"
	}

	h := keatest.StartHA(t, keatest.HAOptions{ControlAgent: true})
	if h == nil {
		return // skipped: Kea, perfdhcp or root missing (fails under CI=true)
	}
	// A kea-dhcp6 beside the pair, polled on its socket and restarted
	// during every second failover.
	v6 := keatest.Start(t, keatest.Options{DHCP6: true})
	if v6 == nil {
		return
	}
	dir := t.TempDir()
	// Two target lists the reloads switch between: the second drops the
	// socket targets, so a reload stops and starts pollers.
	full := fmt.Sprintf(`defaults:
  interval: 1s
  timeout: 1s
kea:
  - name: srv1-ca
    url: %s
  - name: srv2-ca
    url: %s
  - name: srv1-sock
    url: unix://%s
  - name: srv2-sock
    url: unix://%s
  - name: v6-sock
    url: unix://%s
`, h.Servers[0].CAURL, h.Servers[1].CAURL, h.Servers[0].Socket4, h.Servers[1].Socket4, v6.Socket6)
	agentsOnly := fmt.Sprintf(`defaults:
  interval: 1s
  timeout: 1s
kea:
  - name: srv1-ca
    url: %s
  - name: srv2-ca
    url: %s
  - name: v6-sock
    url: unix://%s
`, h.Servers[0].CAURL, h.Servers[1].CAURL, v6.Socket6)
	conf := writeFile(t, dir, "ddiscope.yml", full)
	p := start(t, "--config.file="+conf)
	targets := [2][]string{{"srv1-ca", "srv1-sock"}, {"srv2-ca", "srv2-sock"}}
	withSockets := true
	configured := func(server int) []string {
		if withSockets {
			return targets[server]
		}
		return targets[server][:1]
	}

	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	defer func() { cancel(); bg.Wait() }()

	// Traffic: perfdhcp on the LAN both peers see, 10 exchanges a second
	// among 100 clients (renewals once they have leases), in 20 s runs.
	var perfRuns, perfFailures atomic.Int64
	perfErr := make(chan string, 1)
	bg.Go(func() {
		for ctx.Err() == nil {
			run, cancelRun := context.WithTimeout(ctx, 40*time.Second)
			out, err := exec.CommandContext(run, "ip", "netns", "exec", h.ClientNS, "perfdhcp", "-4", "-l", keatest.ClientIface,
				"-r", "10", "-R", "100", "-b", "mac=02:ee:00:00:00:00", "-p", "20").CombinedOutput()
			cancelRun()
			var ee *exec.ExitError
			switch {
			case ctx.Err() != nil:
				return
			case err == nil || (errors.As(err, &ee) && ee.ExitCode() == 3): // 3: some packets dropped (a peer was down)
				perfRuns.Add(1)
			default:
				perfFailures.Add(1)
				select {
				case perfErr <- fmt.Sprintf("%v: %s", err, out):
				default:
				}
				time.Sleep(time.Second)
			}
		}
	})

	// Scrapes: every second, as Prometheus asks (gzip, its Accept header,
	// its timeout header), each parsed by Prometheus's own parser.
	var scrapes, scrapeFailures atomic.Int64
	var goroutines atomic.Int64
	var failMu sync.Mutex
	var firstFailures []string
	client := &http.Client{Timeout: 10 * time.Second}
	bg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			g, err := soakScrape(ctx, client, "http://"+p.addr+"/metrics")
			if ctx.Err() != nil {
				return
			}
			scrapes.Add(1)
			if err != nil {
				scrapeFailures.Add(1)
				failMu.Lock()
				if len(firstFailures) < 5 {
					firstFailures = append(firstFailures, err.Error())
				}
				failMu.Unlock()
				continue
			}
			goroutines.Store(g)
		}
	})

	// Samples of the daemon's resources.
	var event atomic.Value
	event.Store("start")
	var samples []soakSample // the sampler's until bg.Wait
	out, err := os.Create(csvPath)
	if err != nil {
		t.Fatalf("the samples' CSV: %v", err)
	}
	defer out.Close()
	rows := csv.NewWriter(out)
	rows.Write([]string{"seconds", "rss_kb", "goroutines", "fds", "event"})
	rows.Flush()
	t.Logf("soak: %s, samples every %s in %s%s", dur, sampleEvery, csvPath, keep)
	began := time.Now()
	pid := p.cmd.Process.Pid
	bg.Go(func() {
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			s := soakSample{at: time.Since(began), rssKB: vmRSS(pid), goroutines: goroutines.Load(), fds: openFDs(pid), event: event.Load().(string)}
			if s.rssKB < 0 || s.fds < 0 || s.goroutines == 0 {
				continue // not read (the daemon exited, or no scrape yet)
			}
			samples = append(samples, s)
			rows.Write([]string{strconv.FormatFloat(s.at.Seconds(), 'f', 1, 64), strconv.FormatInt(s.rssKB, 10),
				strconv.FormatInt(s.goroutines, 10), strconv.FormatInt(s.fds, 10), s.event})
			rows.Flush() // a soak cut short keeps what it sampled
		}
	})

	subnet5 := false // whether subnet 5 is configured on both peers now
	allUp := func(what string) {
		t.Helper()
		waitFor(t, 30*time.Second, what, func() bool {
			m := p.metrics(t)
			if v, _ := value(m, "ddiscope_target_up", map[string]string{"server": "v6-sock"}); v != 1 {
				return false
			}
			for i := range targets {
				for _, name := range configured(i) {
					if v, _ := value(m, "ddiscope_target_up", map[string]string{"server": name}); v != 1 {
						return false
					}
					if v, _ := value(m, "kea_ha_state", map[string]string{"server": name, "state": h.NormalState()}); v != 1 {
						return false
					}
					// A restarted peer read the configuration config-write left.
					if _, ok := value(m, "kea_dhcp4_subnet_addresses", map[string]string{"server": name, "subnet_id": "5"}); ok != subnet5 {
						return false
					}
				}
			}
			return true
		})
	}
	allUp("every target up and in " + h.NormalState() + " at the start")

	// The events, in turn, each bounded, until the duration is spent.
	var counts struct{ subnetAdds, subnetRemoves, failovers, v6Restarts, sighups, posts int }
	failoverNext, reloadNext := 0, 0
	events := []func(){
		func() { // Kea: subnet 5 added to, or removed from, both peers
			subnet5 = !subnet5
			name := "subnet 5 removed"
			if subnet5 {
				name = "subnet 5 added"
				counts.subnetAdds++
			} else {
				counts.subnetRemoves++
			}
			event.Store(name)
			for i := range h.Servers {
				soakSetSubnet5(t, h.Servers[i], subnet5)
			}
			for i := range h.Servers {
				h.WaitState(t, i, h.NormalState(), 90*time.Second)
			}
			allUp("every target up after " + name)
			waitFor(t, 30*time.Second, "ddiscope showing "+name, func() bool {
				m := p.metrics(t)
				for i := range targets {
					for _, name := range configured(i) {
						if _, ok := value(m, "kea_dhcp4_subnet_addresses", map[string]string{"server": name, "subnet_id": "5"}); ok != subnet5 {
							return false
						}
					}
				}
				return true
			})
		},
		func() { // ddiscope: reloaded by SIGHUP or POST /-/reload, the target list switched
			withSockets = !withSockets
			body := agentsOnly
			if withSockets {
				body = full
			}
			writeFile(t, dir, "ddiscope.yml", body)
			if reloadNext%2 == 0 {
				event.Store("SIGHUP reload")
				counts.sighups++
				if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
					t.Fatal(err)
				}
			} else {
				event.Store("POST reload")
				counts.posts++
				resp, err := http.Post("http://"+p.addr+"/-/reload", "", nil)
				if err != nil {
					t.Fatalf("POST /-/reload: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Fatalf("POST /-/reload: HTTP %d", resp.StatusCode)
				}
			}
			reloadNext++
			waitFor(t, 15*time.Second, "the reload applied", func() bool {
				_, found := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "srv1-sock"})
				return found == withSockets
			})
			allUp("every target up after the reload")
		},
		func() { // Kea: one peer stopped, its partner takes over, then restarted
			i := failoverNext % 2
			failoverNext++
			counts.failovers++
			partner := 1 - i
			event.Store(fmt.Sprintf("failover: %s stopped", h.Names[i]))
			h.Servers[i].Stop4(t)
			stop6 := i == 1
			if stop6 {
				v6.Stop6(t)
				counts.v6Restarts++
			}
			waitFor(t, 60*time.Second, fmt.Sprintf("ddiscope reporting %s's partner in partner-down", h.Names[i]), func() bool {
				m := p.metrics(t)
				for _, name := range configured(partner) {
					if v, _ := value(m, "kea_ha_state", map[string]string{"server": name, "state": "partner-down"}); v != 1 {
						return false
					}
				}
				if withSockets {
					if v, _ := value(m, "ddiscope_target_up", map[string]string{"server": targets[i][1]}); v != 0 {
						return false
					}
				}
				if stop6 {
					if v, _ := value(m, "ddiscope_target_up", map[string]string{"server": "v6-sock"}); v != 0 {
						return false
					}
				}
				return true
			})
			event.Store(fmt.Sprintf("failover: %s restarted", h.Names[i]))
			h.Servers[i].Start4(t)
			if stop6 {
				v6.Start6(t)
			}
			for j := range h.Servers {
				h.WaitState(t, j, h.NormalState(), 120*time.Second)
			}
			allUp(fmt.Sprintf("every target up after %s came back", h.Names[i]))
		},
	}
	const pause = 3 * time.Second
	maxEvents := int(dur/pause) + 1
	n := 0
	nextReport := began.Add(5 * time.Minute)
	for ; n < maxEvents && time.Since(began) < dur; n++ {
		if time.Now().After(nextReport) {
			t.Logf("soak: %s in, %d events, %d scrapes (%d failed)", time.Since(began).Round(time.Second), n, scrapes.Load(), scrapeFailures.Load())
			nextReport = nextReport.Add(5 * time.Minute)
		}
		events[n%len(events)]()
		event.Store("idle")
		time.Sleep(pause)
	}
	cancel()
	bg.Wait()
	elapsed := time.Since(began)

	if err := rows.Error(); err != nil {
		t.Errorf("writing the samples: %v", err)
	}
	t.Logf("soak: %s, %d events (%d subnet adds, %d removes, %d failovers with %d kea-dhcp6 restarts, %d SIGHUP and %d POST reloads), %d perfdhcp runs, %d scrapes; samples in %s",
		elapsed.Round(time.Second), n, counts.subnetAdds, counts.subnetRemoves, counts.failovers, counts.v6Restarts, counts.sighups, counts.posts, perfRuns.Load(), scrapes.Load(), csvPath)
	for _, line := range soakFlat(samples, dur/10) {
		if strings.HasPrefix(line, "FAIL") {
			t.Error(line)
		} else {
			t.Log(line)
		}
	}
	if f := scrapeFailures.Load(); f > 0 {
		t.Errorf("%d of %d scrapes failed; first: %s", f, scrapes.Load(), strings.Join(firstFailures, "; "))
	}
	if perfRuns.Load() == 0 {
		select {
		case e := <-perfErr:
			t.Errorf("no perfdhcp run completed (%d failed): %s", perfFailures.Load(), e)
		default:
			t.Errorf("no perfdhcp run completed")
		}
	}
}

// soakScrape scrapes url as Prometheus does and returns go_goroutines.
func soakScrape(ctx context.Context, client *http.Client, url string) (int64, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	// Left to the transport, gzip is asked for and undone transparently.
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return 0, fmt.Errorf("scrape: HTTP %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("scrape: parsing: %w", err)
	}
	g, ok := value(fams, "go_goroutines", nil)
	if !ok {
		return 0, errors.New("scrape: no go_goroutines")
	}
	if _, ok := value(fams, "ddiscope_target_up", nil); !ok {
		return 0, errors.New("scrape: no ddiscope_target_up")
	}
	return int64(g), nil
}

// soakSetSubnet5 adds subnet 5 (198.18.5.0/24, one pool per HA scope) to a
// peer's running configuration, or removes it: config-get, config-set and
// config-write (so a restart in a later failover keeps it).
func soakSetSubnet5(t *testing.T, l *keatest.Lab, add bool) {
	t.Helper()
	reply := l.Command(t, l.Socket4, "config-get", nil)
	dec := json.NewDecoder(bytes.NewReader(reply))
	dec.UseNumber()
	var r struct {
		Result    int `json:"result"`
		Arguments struct {
			Dhcp4 map[string]any `json:"Dhcp4"`
		} `json:"arguments"`
	}
	if err := dec.Decode(&r); err != nil || r.Result != 0 || r.Arguments.Dhcp4 == nil {
		t.Fatalf("config-get on %s: %v: %.300s", l.Socket4, err, reply)
	}
	subnets, _ := r.Arguments.Dhcp4["subnet4"].([]any)
	subnets = slices.DeleteFunc(slices.Clone(subnets), func(s any) bool {
		m, _ := s.(map[string]any)
		return fmt.Sprint(m["id"]) == "5"
	})
	if add {
		subnets = append(subnets, map[string]any{"id": 5, "subnet": "198.18.5.0/24", "pools": []any{
			map[string]any{"pool": "198.18.5.10-198.18.5.19", "client-class": "HA_server1"},
			map[string]any{"pool": "198.18.5.20-198.18.5.29", "client-class": "HA_server2"},
		}})
	}
	r.Arguments.Dhcp4["subnet4"] = subnets
	for _, c := range []struct {
		cmd  string
		args any
	}{{"config-set", map[string]any{"Dhcp4": r.Arguments.Dhcp4}}, {"config-write", nil}} {
		reply := l.Command(t, l.Socket4, c.cmd, c.args)
		if res, text, err := keatest.Result(reply); err != nil || res != 0 {
			t.Fatalf("%s on %s: result %d %q %v", c.cmd, l.Socket4, res, text, err)
		}
	}
}

// vmRSS is the process's resident set in kB (/proc/PID/status VmRSS), or
// -1 when unreadable.
func vmRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb
		}
	}
	return -1
}

// openFDs counts /proc/PID/fd, or -1 when unreadable.
func openFDs(pid int) int64 {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return int64(len(ents))
}

// soakFlat judges the samples after warmUp: for each resource, the
// maximum over the last third must not exceed the maximum over the first
// third by more than 15% plus soakSlack. It returns one line per resource,
// starting "FAIL" when it grew (or when there are too few samples to say).
func soakFlat(samples []soakSample, warmUp time.Duration) []string {
	var rest []soakSample
	for _, s := range samples {
		if s.at >= warmUp {
			rest = append(rest, s)
		}
	}
	if len(rest) < 6 {
		return []string{fmt.Sprintf("FAIL: %d samples after the %s warm-up, too few to judge", len(rest), warmUp)}
	}
	third := len(rest) / 3
	first, last := rest[:third], rest[len(rest)-third:]
	var out []string
	for _, r := range []struct {
		name string
		get  func(soakSample) int64
	}{
		{"rss_kb", func(s soakSample) int64 { return s.rssKB }},
		{"goroutines", func(s soakSample) int64 { return s.goroutines }},
		{"fds", func(s soakSample) int64 { return s.fds }},
	} {
		maxOf := func(ss []soakSample) (m int64) {
			for _, s := range ss {
				m = max(m, r.get(s))
			}
			return m
		}
		minAll, maxAll := r.get(rest[0]), int64(0)
		for _, s := range rest {
			minAll, maxAll = min(minAll, r.get(s)), max(maxAll, r.get(s))
		}
		a, b := maxOf(first), maxOf(last)
		limit := float64(a)*1.15 + soakSlack[r.name]
		line := fmt.Sprintf("%s: max first third %d, max last third %d (limit %.0f), range %d..%d over %d samples",
			r.name, a, b, limit, minAll, maxAll, len(rest))
		if float64(b) > limit {
			line = "FAIL: grew: " + line
		} else {
			line = "flat: " + line
		}
		out = append(out, line)
	}
	return out
}

// TestSoakFlatCatchesGrowth pins the soak's verdict: noise within the
// slack is flat, a steady leak is not, the warm-up is ignored.
func TestSoakFlatCatchesGrowth(t *testing.T) {
	series := func(f func(i int) (rss, g, fds int64)) []soakSample {
		var ss []soakSample
		for i := range 60 {
			rss, g, fds := f(i)
			ss = append(ss, soakSample{at: time.Duration(i) * time.Second, rssKB: rss, goroutines: g, fds: fds})
		}
		return ss
	}
	verdicts := func(ss []soakSample) string {
		var v []string
		for _, line := range soakFlat(ss, 10*time.Second) {
			v = append(v, strings.SplitN(line, ":", 2)[0])
		}
		return strings.Join(v, " ")
	}
	noisy := series(func(i int) (int64, int64, int64) {
		rss := int64(40000 + (i%5)*1000)
		if i < 10 {
			rss = 90000 // the warm-up's peak is not held against the rest
		}
		return rss, int64(70 + i%7), int64(20 + i%3)
	})
	if got := verdicts(noisy); got != "flat flat flat" {
		t.Errorf("noise: %s, want flat flat flat", got)
	}
	leak := series(func(i int) (int64, int64, int64) { return int64(40000 + i*500), int64(70 + i), 20 })
	if got := verdicts(leak); got != "FAIL FAIL flat" {
		t.Errorf("RSS and goroutines growing: %s, want FAIL FAIL flat", got)
	}
	if got := verdicts(noisy[:14]); got != "FAIL" {
		t.Errorf("4 samples after the warm-up: %s, want FAIL", got)
	}
}
