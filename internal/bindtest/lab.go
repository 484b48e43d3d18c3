package bindtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// defaultZones are served when Options.Zones is empty.
func defaultZones() []string { return []string{"lab.example", "2.0.192.in-addr.arpa"} }

// FirstSerial is the SOA serial every zone starts with.
const FirstSerial = 2024010101

// startTimeout bounds a named's start (until its statistics channel
// answers) and a secondary's first transfers.
const startTimeout = 15 * time.Second

// Options selects what a Lab runs.
type Options struct {
	Zones     []string // zones of the primary; default lab.example and 2.0.192.in-addr.arpa
	Secondary bool     // also start the secondary (authoritative and recursive views)
}

// Lab is a running primary and, optionally, a secondary.
type Lab struct {
	Dir       string
	Zones     []string
	Primary   *Server
	Secondary *Server // nil without Options.Secondary

	key     string // rndc's shared secret
	keyFile string
	serials map[string]uint32
}

// Server is one named.
type Server struct {
	Name     string // "primary" or "secondary"
	Dir      string
	StatsURL string // http://127.0.0.1:PORT/
	DNSPort  int
	RNDCPort int

	lab  *Lab
	proc *process
	conf func(ports) string
}

// Start starts the lab, waits until every named answers on its statistics
// channel and the secondary has transferred every zone, and registers a
// t.Cleanup that stops everything (printing the logs when the test failed).
// Missing binaries skip the test (fail under CI=true), see Require.
func Start(t testing.TB, opts Options) *Lab {
	t.Helper()
	Require(t, "named", "rndc", "dig")
	zones := opts.Zones
	if len(zones) == 0 {
		zones = defaultZones()
	}
	l := &Lab{Dir: t.TempDir(), Zones: zones, serials: map[string]uint32{}}
	t.Cleanup(func() { l.teardown(t) })

	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	l.key = base64.StdEncoding.EncodeToString(secret)
	l.keyFile = filepath.Join(l.Dir, "rndc.key")
	if err := os.WriteFile(l.keyFile, fmt.Appendf(nil, "key \"bindtest\" { algorithm hmac-sha256; secret \"%s\"; };\n", l.key), 0o600); err != nil {
		t.Fatalf("bindtest: %v", err)
	}

	l.Primary = l.newServer(t, "primary")
	for _, z := range zones {
		l.serials[z] = FirstSerial
		if err := os.WriteFile(filepath.Join(l.Primary.Dir, z+".zone"), []byte(zoneFile(z, FirstSerial)), 0o644); err != nil {
			t.Fatalf("bindtest: %v", err)
		}
	}
	// Ports are picked before the configs are written: the primary needs
	// the secondary's DNS port for NOTIFY and the other way round.
	var secondaryPorts ports
	if opts.Secondary {
		l.Secondary = l.newServer(t, "secondary")
		secondaryPorts = l.Secondary.pickPorts(t)
	}
	primaryPorts := l.Primary.pickPorts(t)
	l.Primary.conf = func(p ports) string {
		return primaryConf(l.Primary.Dir, p, l.key, zones, secondaryPorts.dns)
	}
	if err := l.Primary.start(primaryPorts); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	l.Primary.waitLoaded(t)
	if opts.Secondary {
		l.Secondary.conf = func(p ports) string {
			return secondaryConf(l.Secondary.Dir, p, l.key, zones, l.Primary.DNSPort)
		}
		if err := l.Secondary.start(secondaryPorts); err != nil {
			t.Fatalf("bindtest: %v", err)
		}
		for _, z := range zones {
			l.WaitSerial(t, l.Secondary, z, FirstSerial)
		}
	}
	return l
}

func (l *Lab) newServer(t testing.TB, name string) *Server {
	dir := filepath.Join(l.Dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	bin, _ := findBinary("named") // presence checked by Require
	return &Server{Name: name, Dir: dir, lab: l,
		proc: &process{bin: bin, conf: filepath.Join(dir, "named.conf"), logPath: filepath.Join(dir, "named.log")}}
}

func (s *Server) pickPorts(t testing.TB) ports {
	p, err := freePorts(3)
	if err != nil {
		t.Fatalf("bindtest: free ports: %v", err)
	}
	return ports{dns: p[0], stats: p[1], rndc: p[2]}
}

// start writes the config for p and starts named, waiting until its
// statistics channel answers. When named dies at start-up because a port
// was taken meanwhile, it retries with other ports for the statistics
// channel and rndc; the DNS port cannot change (the other named knows it).
func (s *Server) start(p ports) error {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			fresh, err := freePorts(2)
			if err != nil {
				return err
			}
			p.stats, p.rndc = fresh[0], fresh[1]
		}
		s.DNSPort, s.RNDCPort = p.dns, p.rndc
		s.StatsURL = fmt.Sprintf("http://127.0.0.1:%d/", p.stats)
		if err := os.WriteFile(s.proc.conf, []byte(s.conf(p)), 0o644); err != nil {
			return err
		}
		if lastErr = s.launch(); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

// launch starts the process with the current config and waits for it.
func (s *Server) launch() error {
	if err := s.proc.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		if done, err := s.proc.exited(); done {
			return fmt.Errorf("named %s exited during start-up (%v); log:\n%s", s.Name, err, tail(s.proc.log(), 30))
		}
		resp, err := client.Get(s.StatsURL + "json/v1/status")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = s.proc.stop(syscall.SIGKILL, 5*time.Second)
	return fmt.Errorf("named %s: statistics channel %s did not answer within %s; log:\n%s", s.Name, s.StatsURL, startTimeout, tail(s.proc.log(), 30))
}

func (l *Lab) teardown(t testing.TB) {
	for _, s := range []*Server{l.Secondary, l.Primary} {
		if s == nil {
			continue
		}
		if t.Failed() {
			t.Logf("bindtest: %s log (%s):\n%s", s.Name, s.proc.logPath, tail(s.proc.log(), 60))
		}
		if err := s.proc.stop(syscall.SIGTERM, 5*time.Second); err != nil {
			t.Errorf("bindtest: cleanup: %v", err)
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Pid is the running named's process id (0 when it is not running), for
// benchmarks that read its CPU time from /proc.
func (s *Server) Pid() int {
	s.proc.mu.Lock()
	defer s.proc.mu.Unlock()
	if s.proc.cmd == nil || s.proc.cmd.Process == nil {
		return 0
	}
	select {
	case <-s.proc.done:
		return 0
	default:
	}
	return s.proc.cmd.Process.Pid
}

// Log returns the named's output so far.
func (s *Server) Log() string { return s.proc.log() }

// Kill SIGKILLs the named: its statistics channel stops answering at once.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.proc.stop(syscall.SIGKILL, 5*time.Second); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
}

// Restart starts a killed or stopped named again on the same ports and
// waits until it has loaded every zone.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.launch(); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	s.waitLoaded(t)
}

// waitLoaded waits until the named serves every zone of the lab with some
// serial: its statistics channel answers before the zones are loaded.
func (s *Server) waitLoaded(t testing.TB) {
	t.Helper()
	// One zone read a round, not one per zone: at 3,000 zones each read is
	// a 1 MB document costing named 30 ms.
	wait := startTimeout + time.Duration(len(s.lab.Zones))*5*time.Millisecond
	deadline := time.Now().Add(wait)
	for {
		have := s.serials(t)
		missing := ""
		for _, z := range s.lab.Zones {
			if _, ok := have[z]; !ok {
				missing = z
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bindtest: %s has not loaded zone %s after %s", s.Name, missing, wait)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Get fetches a statistics channel path ("/json/v1/server") and fails the
// test unless it answers 200.
func (s *Server) Get(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(strings.TrimSuffix(s.StatsURL, "/") + path)
	if err != nil {
		t.Fatalf("bindtest: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("bindtest: GET %s: HTTP %d, %v", path, resp.StatusCode, err)
	}
	return body
}

// Rndc runs an rndc command against the named and returns its output.
func (s *Server) Rndc(t testing.TB, args ...string) string {
	t.Helper()
	bin, _ := findBinary("rndc")
	cmd := exec.Command(bin, append([]string{"-k", s.lab.keyFile, "-s", "127.0.0.1", "-p", strconv.Itoa(s.RNDCPort)}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bindtest: rndc %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Query is one DNS question for Dig.
type Query struct{ Name, Type string }

// Q makes a Query.
func Q(name, typ string) Query { return Query{name, typ} }

// Dig asks s the queries, in one dig process, from source (a 127/8 address;
// "" is 127.0.0.1), and returns each answer's status (NOERROR, NXDOMAIN,
// REFUSED, SERVFAIL, …; TIMEOUT when none came).
func (l *Lab) Dig(t testing.TB, s *Server, source string, qs ...Query) []string {
	t.Helper()
	if source == "" {
		source = "127.0.0.1"
	}
	batch := filepath.Join(l.Dir, fmt.Sprintf("dig-%d.txt", time.Now().UnixNano()))
	var b strings.Builder
	for _, q := range qs {
		fmt.Fprintf(&b, "%s %s\n", q.Name, q.Type)
	}
	if err := os.WriteFile(batch, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	defer os.Remove(batch)
	bin, _ := findBinary("dig")
	out, err := exec.Command(bin, "-b", source, "@127.0.0.1", "-p", strconv.Itoa(s.DNSPort),
		"+tries=1", "+time=3", "+noall", "+comments", "-f", batch).CombinedOutput()
	if err != nil {
		t.Fatalf("bindtest: dig: %v: %s", err, out)
	}
	var statuses []string
	for _, line := range strings.Split(string(out), "\n") {
		if _, after, ok := strings.Cut(line, "status: "); ok && strings.Contains(line, "->>HEADER<<-") {
			statuses = append(statuses, strings.TrimSuffix(strings.Fields(after)[0], ","))
		} else if strings.Contains(line, "timed out") || strings.Contains(line, "no servers could be reached") {
			statuses = append(statuses, "TIMEOUT")
		}
	}
	if len(statuses) != len(qs) {
		t.Fatalf("bindtest: dig gave %d answers to %d queries:\n%s", len(statuses), len(qs), out)
	}
	return statuses
}

// Serial returns the zone's serial as the named's statistics channel
// reports it, from any view but _bind; ok is false while it has none.
func (s *Server) Serial(t testing.TB, zone string) (uint32, bool) {
	t.Helper()
	serial, ok := s.serials(t)[zone]
	return serial, ok
}

// serials reads every zone's serial from the statistics channel, from any
// view but _bind; a zone without one (not loaded yet) is absent.
func (s *Server) serials(t testing.TB) map[string]uint32 {
	t.Helper()
	var doc struct {
		Views map[string]struct {
			Zones []struct {
				Name   string  `json:"name"`
				Serial *uint32 `json:"serial"`
			} `json:"zones"`
		} `json:"views"`
	}
	if err := json.Unmarshal(s.Get(t, "/json/v1/zones"), &doc); err != nil {
		t.Fatalf("bindtest: /json/v1/zones: %v", err)
	}
	out := map[string]uint32{}
	for name, v := range doc.Views {
		if name == "_bind" {
			continue
		}
		for _, z := range v.Zones {
			if _, seen := out[z.Name]; !seen && z.Serial != nil {
				out[z.Name] = *z.Serial
			}
		}
	}
	return out
}

// WaitSerial waits (up to 15 s) until s serves the zone with that serial.
func (l *Lab) WaitSerial(t testing.TB, s *Server, zone string, serial uint32) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		got, ok := s.Serial(t, zone)
		if ok && got == serial {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bindtest: %s: zone %s has serial %d (loaded %v) after %s, want %d", s.Name, zone, got, ok, startTimeout, serial)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Serial returns the zone's serial in the primary's zone file.
func (l *Lab) Serial(zone string) uint32 { return l.serials[zone] }

// BumpSerial writes the primary's zone with the next serial and a new
// record, and reloads it with rndc; with a secondary, the primary NOTIFYs
// it. It returns the new serial.
func (l *Lab) BumpSerial(t testing.TB, zone string) uint32 {
	t.Helper()
	serial, ok := l.serials[zone]
	if !ok {
		t.Fatalf("bindtest: %s is not a zone of the lab", zone)
	}
	serial++
	l.serials[zone] = serial
	path := filepath.Join(l.Primary.Dir, zone+".zone")
	content := zoneFile(zone, serial) + fmt.Sprintf("change%d IN TXT \"serial %d\"\n", serial, serial)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	// named reloads a file only if it is newer than the last load, to the
	// second: date it ahead so that a change within the second counts.
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	l.Primary.Rndc(t, "reload", zone)
	l.WaitSerial(t, l.Primary, zone, serial)
	return serial
}
