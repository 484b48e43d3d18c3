package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// keaLog counts the commands a real kea-dhcp4 received, from its own log
// (COMMAND_RECEIVED, logged at INFO for every command on its socket).
type keaLog struct {
	lab  *keatest.Lab
	seen int // bytes of the log already counted
}

var commandReceived = regexp.MustCompile(`COMMAND_RECEIVED Received command '([^']+)'`)

// since returns the commands received since the last call, by name.
func (k *keaLog) since() map[string]int {
	log := k.lab.Log("dhcp4")
	if i := strings.Index(log, "---- stdout/stderr ----"); i >= 0 {
		log = log[:i]
	}
	got := map[string]int{}
	for _, m := range commandReceived.FindAllStringSubmatch(log[k.seen:], -1) {
		got[m[1]]++
	}
	k.seen = len(log)
	return got
}

func probe(t *testing.T, p *process, target string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.addr+"/probe?target="+target, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "10")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `ddiscope_target_up{kind="kea",server="`+target+`"} 1`) ||
		!strings.Contains(string(body), "kea_dhcp4_subnet_addresses{") {
		t.Fatalf("/probe?target=%s: HTTP %d:\n%.800s", target, resp.StatusCode, body)
	}
	return string(body)
}

func sameCommands(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestProbeCommandsOnRealKea counts, in a real kea-dhcp4's own log, the
// commands each /probe sends. A mode: probe target sends nothing between
// probes; after the first probe (which learns the target: config-get), a
// probe sends what a background poll does, statistic-get-all and status-get
// (Kea 2.2 has no config-hash-get: the subnet signature stands in for it);
// simultaneous probes share one poll; a reload that changes the target's
// settings makes the next probe learn it again, one that does not keeps it.
func TestProbeCommandsOnRealKea(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{})
	kea := &keaLog{lab: lab}
	dir := t.TempDir()
	// The interval would be the target's pace if it were polled; the
	// timeout outlasts Kea's stop below.
	conf := func(timeout string) string {
		return fmt.Sprintf("kea:\n  - name: probed\n    url: unix://%s\n    mode: probe\n    interval: 3s\n    timeout: %s\n", lab.Socket4, timeout)
	}
	cfg := writeFile(t, dir, "ddiscope.yml", conf("3s"))
	kea.since()
	p := start(t, "--config.file="+cfg)

	time.Sleep(3500 * time.Millisecond) // more than an interval
	if got := kea.since(); len(got) != 0 {
		t.Errorf("a mode: probe target was sent %v before any probe; want nothing", got)
	}
	if _, found := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "probed"}); found {
		t.Error("/metrics reports a mode: probe target; only /probe should")
	}

	probe(t, p, "probed")
	if got := kea.since(); got["config-get"] != 1 || got["statistic-get-all"] != 1 {
		t.Errorf("first probe sent %v; want one config-get (learning the target) and one statistic-get-all", got)
	}
	steady := map[string]int{"statistic-get-all": 1, "status-get": 1}
	for i := range 3 {
		probe(t, p, "probed")
		if got := kea.since(); !sameCommands(got, steady) {
			t.Errorf("probe %d after the first sent %v; want %v", i+1, got, steady)
		}
	}
	time.Sleep(3500 * time.Millisecond)
	if got := kea.since(); len(got) != 0 {
		t.Errorf("between probes Kea received %v; want nothing", got)
	}

	// Four simultaneous probes: Kea is stopped (SIGSTOP) while they
	// arrive, so that all four wait on the same poll; it sends one set of
	// commands.
	pid := lab.Pid("dhcp4")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	var wg sync.WaitGroup
	bodies := make([]string, 4)
	for i := range bodies {
		wg.Go(func() { bodies[i] = probe(t, p, "probed") })
	}
	time.Sleep(time.Second)
	syscall.Kill(pid, syscall.SIGCONT)
	stopped = false
	wg.Wait()
	if got := kea.since(); !sameCommands(got, steady) {
		t.Errorf("4 simultaneous probes sent %v; want one poll's %v", got, steady)
	}
	// The probes' self-metrics count the prober's own polls: 1 + 3 + 1.
	for i, b := range bodies {
		if !strings.Contains(b, `ddiscope_polls_total{kind="kea",server="probed"} 5`) {
			t.Errorf("probe %d of 4: ddiscope_polls_total is not 5:\n%s", i, grepLines(b, "ddiscope_polls_total"))
		}
	}

	// A reload that keeps the target's settings keeps what was learned.
	reload := func() {
		resp, err := http.Post("http://"+p.addr+"/-/reload", "", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("reload: %v %v", err, resp)
		}
		resp.Body.Close()
	}
	reload()
	probe(t, p, "probed")
	if got := kea.since(); !sameCommands(got, steady) {
		t.Errorf("probe after a reload that changed nothing sent %v; want %v", got, steady)
	}
	// One that changes them starts afresh.
	writeFile(t, dir, "ddiscope.yml", conf("2s"))
	reload()
	probe(t, p, "probed")
	if got := kea.since(); got["config-get"] != 1 {
		t.Errorf("probe after a reload that changed the target sent %v; want config-get again", got)
	}

	// mode: poll by reload: polled in the background and on /metrics;
	// back to mode: probe: off /metrics again.
	writeFile(t, dir, "ddiscope.yml", strings.Replace(conf("2s"), "mode: probe", "mode: poll", 1))
	reload()
	waitFor(t, 15*time.Second, "the target polled in the background", func() bool {
		v, _ := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "probed"})
		return v == 1
	})
	writeFile(t, dir, "ddiscope.yml", conf("2s"))
	reload()
	if _, found := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "probed"}); found {
		t.Error("/metrics still reports the target after a reload made it mode: probe")
	}
	kea.since()
	time.Sleep(3500 * time.Millisecond)
	if got := kea.since(); len(got) != 0 {
		t.Errorf("after the reload to mode: probe Kea received %v; want nothing", got)
	}
}

// TestProbeOfPolledTargetOnRealKea: a target polled in the background is
// probed through a poller of its own, which learns the target once: after
// the first probe, probes send no config-get, and the background poller
// keeps its pace.
func TestProbeOfPolledTargetOnRealKea(t *testing.T) {
	keatest.Require(t, "kea-dhcp4")
	lab := keatest.Start(t, keatest.Options{})
	kea := &keaLog{lab: lab}
	cfg := writeFile(t, t.TempDir(), "ddiscope.yml", fmt.Sprintf("defaults:\n  interval: 1s\n  timeout: 1s\nkea:\n  - name: polled\n    url: unix://%s\n", lab.Socket4))
	p := start(t, "--config.file="+cfg)
	polls := func() float64 {
		v, _ := value(p.metrics(t), "ddiscope_polls_total", map[string]string{"server": "polled"})
		return v
	}
	waitFor(t, 15*time.Second, "the background poll", func() bool { return polls() >= 1 })
	probe(t, p, "polled")
	kea.since()
	before := polls()
	for range 3 {
		probe(t, p, "polled")
	}
	time.Sleep(2 * time.Second)
	if got := kea.since(); got["config-get"] != 0 {
		t.Errorf("probes of a polled target (and its background polls) sent config-get %d times after the first probe; want 0", got["config-get"])
	}
	if polls() < before+1 {
		t.Errorf("the background poller stalled while probed: ddiscope_polls_total %v then %v", before, polls())
	}
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
