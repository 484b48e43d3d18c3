// Package keatest starts real ISC Kea daemons for tests: Debian 12's Kea
// 2.2.0, or ISC's Kea 3.0.4 from the bundle in shared/kea (Options.Kea,
// kea3.go), with its own HTTP(S) control sockets (kea3http.go).
// keatest.Versions runs a scenario on each.
//
// A test calls Start (or Populated) and gets a Lab: kea-dhcp4, optionally
// kea-dhcp6 and kea-ctrl-agent, each with its own config, UNIX control socket,
// memfile lease file and log file in a private temporary directory. With
// Options.Traffic the DHCP servers run inside a network namespace that is
// joined by a veth pair to a client namespace where perfdhcp runs, so the
// servers hand out real leases. Everything is torn down by t.Cleanup, also
// when the test fails; on failure the daemon logs are printed.
//
// Nothing leaves the machine: the control agent listens on 127.0.0.1, and the
// DHCP addresses (198.18.0.0/15, 2001:db8::/32) exist only inside the
// namespaces the harness creates. Without Traffic the daemons run in the root
// namespace with no DHCP sockets at all ("interfaces": []).
//
// No TestMain is needed: every test gets its own Lab, with unique namespace
// names, directories and TCP ports, so tests and packages may run in parallel.
//
//	func TestSomething(t *testing.T) {
//		lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true, Traffic: true})
//		lab.Perfdhcp4(t, 10) // 4 leases in subnet 1 (now full), 6 in subnet 2
//		lab.Perfdhcp6(t, 10) // 10 addresses and 10 prefixes in subnet 1
//		n, _ := lab.Statistic(t, lab.Socket4, "subnet[1].assigned-addresses")
//		raw := lab.Command(t, lab.Socket4, "statistic-get-all", nil)
//		viaCA := lab.CACommand(t, "statistic-get-all", []string{"dhcp4"}, nil)
//		...
//	}
//
// or, for the standard data set in one call, lab := keatest.Populated(t).
// Tests skip when Kea is not installed or the 3.0.4 bundle is missing (or,
// for Traffic, when not root), and fail instead when the environment has
// CI=true.
package keatest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Addresses and interface names used inside the namespaces when
// Options.Traffic is set. They exist nowhere else.
const (
	// ServerIface is the server-side veth (in the server namespace). The DHCP
	// servers listen on it; v6 subnets selected by interface must name it.
	ServerIface = "kea0"
	// ClientIface is the client-side veth (in the client namespace), where perfdhcp runs.
	ClientIface = "cli0"

	// ServerAddr4 is the server's address on ServerIface (198.18.0.1/24).
	ServerAddr4 = "198.18.0.1"
	// ClientAddr4 is the first address on ClientIface (198.18.0.250/24).
	// Broadcast perfdhcp runs act as a relay with this giaddr, so they land
	// in the subnet containing it: subnet 1 and its shared network "lab-lan".
	ClientAddr4 = "198.18.0.250"
	// RelayAddr4 is a relay (giaddr) address in 198.18.2.0/24 (default subnet 3).
	// ClientIface carries 198.18.N.250/24 for N = 0..15; any of them can be
	// passed to Perfdhcp4Relay.
	RelayAddr4 = "198.18.2.250"

	// ServerAddr6 and ClientAddr6 are the global addresses on the veth pair.
	// DHCPv6 traffic itself uses link-local addresses and multicast.
	ServerAddr6 = "2001:db8:1::1"
	ClientAddr6 = "2001:db8:1::250"
)

// clientRelayNets is how many 198.18.N.250/24 addresses ClientIface carries.
const clientRelayNets = 16

// startTimeout bounds the start of each daemon (until it answers on its socket).
const startTimeout = 20 * time.Second

// Options selects what a Lab runs. The zero value runs one kea-dhcp4 with the
// default subnets, no DHCP sockets, in the root namespace.
type Options struct {
	// Raw JSON fragments placed into the daemon configs. When empty, defaults
	// are used: DefaultSubnet4, DefaultSharedNetworks4, DefaultSubnet6(...).
	// To run without any subnet of one kind pass "[]".
	Subnet4         string // JSON array for Dhcp4.subnet4
	SharedNetworks4 string // JSON array for Dhcp4.shared-networks
	Subnet6         string // JSON array for Dhcp6.subnet6

	DHCP6        bool // also start kea-dhcp6
	ControlAgent bool // also start kea-ctrl-agent on 127.0.0.1:<free port>
	// CAAuth makes the Control Agent ask for HTTP basic authentication
	// with this one client; CATLS makes it serve HTTPS (CAURL is then
	// https://...). The lab's own CA commands send both. See ReconfigureCA.
	CAAuth *BasicAuth
	CATLS  *CATLSFiles
	// Traffic puts the DHCP servers in a network namespace with a veth to a
	// client namespace so perfdhcp can get leases. Needs root.
	Traffic bool
	// Hooks are hook library basenames (or absolute paths) loaded by both
	// DHCP daemons. Default {"libdhcp_lease_cmds.so","libdhcp_stat_cmds.so"}.
	// Pass an empty non-nil slice for no hooks. Hooks that need parameters
	// go into Extra4/Extra6 as "hooks-libraries" instead.
	Hooks []string

	// Extra4 and Extra6 are optional JSON objects whose members are set on
	// the Dhcp4 / Dhcp6 object, overriding the harness's own members
	// (e.g. `{"multi-threading": {"enable-multi-threading": true}}`).
	Extra4 string
	Extra6 string
	// Debug sets the daemons' log severity to DEBUG (level 99); default INFO.
	Debug bool
	// Leases4File, when set, is kea-dhcp4's memfile: the lab starts Kea on
	// it (for example a generated CSV of a million leases) instead of an
	// empty one in Dir. Kea writes to it.
	Leases4File string
	// StartTimeout bounds each daemon's start; default 20 s. Kea needs
	// about 17 s to load a million leases.
	StartTimeout time.Duration

	// Kea selects the version: Kea22 (Debian's packages, the zero value) or
	// Kea30 (the 3.0.4 bundle; see Bundle). On Kea30 the lab writes configs
	// 3.0 accepts: hooks by bare name, UNIX sockets in Lab.SocketDir (mode
	// 0750), lease files and logs in the directories its environment names.
	Kea Version
	// HTTP gives each DHCP daemon its own HTTP control socket on 127.0.0.1
	// (Kea 3.0's control-sockets with socket-type http) beside its UNIX
	// socket: Lab.HTTP4URL, Lab.HTTP6URL. HTTPTLS serves it over TLS with a
	// throwaway CA (Lab.TLS); HTTPAuth adds basic auth (HTTPUser,
	// Lab.HTTPPassword). Either implies HTTP. Kea30 only.
	HTTP, HTTPTLS, HTTPAuth bool
	// HTTPClientCert makes the TLS listener require a client certificate
	// signed by the lab's CA (Kea's cert-required); implies HTTPTLS.
	HTTPClientCert bool
}

// Lab is a running set of Kea daemons. All fields are read-only for callers.
type Lab struct {
	Dir     string // temp dir with configs, sockets, leases, logs
	CAURL   string // "http://127.0.0.1:PORT/" when ControlAgent
	Socket4 string // kea-dhcp4 unix control socket path
	Socket6 string // kea-dhcp6 unix control socket path ("" without DHCP6)

	ServerNS string // server network namespace ("" without Traffic)
	ClientNS string // client network namespace ("" without Traffic)

	Leases4 string // kea-dhcp4 memfile lease file
	Leases6 string // kea-dhcp6 memfile lease file ("" without DHCP6)

	Kea       Version // the version this lab runs
	SocketDir string  // Kea 3.0: KEA_CONTROL_SOCKET_DIR, holding Socket4/6 ("" on 2.2)
	// HTTP4URL and HTTP6URL reach the daemons' HTTP control sockets from the
	// test's namespace (Options.HTTP); https:// with Options.HTTPTLS.
	HTTP4URL, HTTP6URL string
	TLS                *TLSFiles // Options.HTTPTLS: the CA and certificates
	HTTPPassword       string    // Options.HTTPAuth: HTTPUser's password

	bundle               string // Kea 3.0: the extracted bundle's root
	httpPort4, httpPort6 int    // the daemons' HTTP ports (in their namespace)
	fwd4, fwd6           *forwarder

	opts    Options
	ipBin   string
	dhcp4   *daemon
	dhcp6   *daemon
	ca      *daemon
	perfBin string

	perfMu  sync.Mutex // perfdhcp binds port 67/546 in the client namespace: one run at a time
	perfSeq atomic.Uint32
}

// labSeq makes namespace names unique within this process (the pid makes them
// unique across processes).
var labSeq atomic.Uint32

// debianPackage names the Debian package that ships a binary.
var debianPackage = map[string]string{
	"kea-dhcp4":      "kea-dhcp4-server",
	"kea-dhcp6":      "kea-dhcp6-server",
	"kea-ctrl-agent": "kea-ctrl-agent",
	"perfdhcp":       "kea-admin",
	"kea-admin":      "kea-admin",
	"kea-lfc":        "kea-common",
	"ip":             "iproute2",
}

// findBinary looks a binary up on PATH and then in the sbin directories,
// which are not always on a test's PATH.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH or in /usr/sbin, /sbin", name)
}

// inCI reports whether missing prerequisites must fail rather than skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// skipOrFail fails the test when CI=true and skips it otherwise.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("keatest: %s (CI=true, so this is an error)", msg)
		return
	}
	t.Skipf("keatest: %s", msg)
}

// Require fails the test (t.Fatalf) when a binary is missing and the env
// CI=true, and t.Skip()s otherwise, naming the missing binary and the Debian
// package that ships it.
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	var missing []string
	for _, b := range binaries {
		if _, err := findBinary(b); err != nil {
			pkg := debianPackage[b]
			if pkg == "" {
				pkg = "unknown package"
			}
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", b, pkg))
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, "missing %s; install with apt-get install %s",
			strings.Join(missing, ", "), strings.Join(packagesFor(binaries), " "))
	}
}

func packagesFor(binaries []string) []string {
	seen := map[string]bool{}
	var pkgs []string
	for _, b := range binaries {
		if _, err := findBinary(b); err == nil {
			continue
		}
		if p := debianPackage[b]; p != "" && !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// requireRoot skips (or fails under CI=true) when network namespaces cannot be made.
func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "Options.Traffic needs root (network namespaces); running as uid %d", os.Geteuid())
	}
}

// Start starts everything selected by opts, waits until each daemon answers a
// command on its control socket (and the control agent answers over HTTP),
// and registers a t.Cleanup that stops everything and removes the namespaces.
// On failure it prints the daemon logs. Missing binaries skip the test
// (fail under CI=true), see Require.
func Start(t testing.TB, opts Options) *Lab {
	t.Helper()
	bundle := ""
	if opts.Kea.AtLeast30() {
		if bundle = Bundle(t); bundle == "" {
			return nil
		}
	}
	bins := []string{"kea-dhcp4"}
	if opts.DHCP6 {
		bins = append(bins, "kea-dhcp6")
	}
	if opts.ControlAgent {
		bins = append(bins, "kea-ctrl-agent")
	}
	if opts.Traffic {
		bins = append(bins, "ip", "perfdhcp")
	}
	requireVersion(t, opts.Kea, bundle, bins...)
	if opts.Traffic {
		requireRoot(t)
	}
	if opts.Hooks == nil {
		opts.Hooks = []string{"libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so"}
	}
	hooks, err := resolveHooksFor(opts.Kea, bundle, opts.Hooks)
	if err != nil {
		skipOrFail(t, "%v", err)
		return nil
	}

	l := &Lab{opts: opts, Dir: labDir(t), Kea: opts.Kea, bundle: bundle}
	if err := l.setupDirs(); err != nil {
		t.Fatalf("keatest: %v", err)
	}
	l.Socket4 = l.socketPath("kea4.sock")
	l.Leases4 = filepath.Join(l.Dir, "kea-leases4.csv")
	if opts.Leases4File != "" {
		l.Leases4 = opts.Leases4File
	}
	if opts.DHCP6 {
		l.Socket6 = l.socketPath("kea6.sock")
		l.Leases6 = filepath.Join(l.Dir, "kea-leases6.csv")
	}

	// Registered before anything is started, so that a failure half-way
	// still kills what runs and deletes the namespaces.
	t.Cleanup(func() { l.teardown(t) })

	if opts.Traffic {
		l.ipBin, _ = findBinary("ip")
		l.perfBin = l.binary("perfdhcp")
		if err := l.setupNetns(t); err != nil {
			t.Fatalf("keatest: network namespaces: %v", err)
		}
	}
	if err := l.setupHTTP(); err != nil {
		t.Fatalf("keatest: %v", err)
	}

	cfg4, err := l.dhcp4Config(hooks)
	if err != nil {
		t.Fatalf("keatest: %v", err)
	}
	l.dhcp4 = l.newDaemon("kea-dhcp4", cfg4, l.Socket4)
	if opts.DHCP6 {
		cfg6, err := l.dhcp6Config(hooks)
		if err != nil {
			t.Fatalf("keatest: %v", err)
		}
		l.dhcp6 = l.newDaemon("kea-dhcp6", cfg6, l.Socket6)
	}
	for _, d := range []*daemon{l.dhcp4, l.dhcp6} {
		if d == nil {
			continue
		}
		if err := l.startSocketDaemon(d); err != nil {
			t.Fatalf("keatest: %v (logs follow)", err) // teardown prints the logs
		}
	}
	if opts.ControlAgent {
		if err := l.startCA(); err != nil {
			t.Fatalf("keatest: %v (logs follow)", err)
		}
	}
	return l
}

// labDir returns a directory short enough for UNIX socket paths
// (sun_path is 108 bytes including the NUL).
func labDir(t testing.TB) string {
	dir := t.TempDir()
	if len(filepath.Join(dir, "sock", "kea6.sock.lock")) < 100 {
		return dir
	}
	dir, err := os.MkdirTemp("", "kt")
	if err != nil {
		t.Fatalf("keatest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// teardown stops the daemons (CA first), deletes the namespaces and, when
// the test failed, prints the daemon logs.
func (l *Lab) teardown(t testing.TB) {
	if t.Failed() {
		t.Logf("keatest: test failed; daemon logs from %s:\n%s", l.Dir, l.allLogs())
	}
	for _, d := range []*daemon{l.ca, l.dhcp6, l.dhcp4} {
		if d == nil {
			continue
		}
		if err := d.stop(5 * time.Second); err != nil {
			t.Errorf("keatest: cleanup: %v", err)
		}
	}
	l.closeForwarders()
	if l.ServerNS != "" || l.ClientNS != "" {
		for _, ns := range []string{l.ClientNS, l.ServerNS} {
			if ns == "" {
				continue
			}
			if err := l.deleteNetns(ns); err != nil {
				t.Errorf("keatest: cleanup: %v", err)
			}
		}
	}
}

// Log returns a daemon's log content: the Kea log file followed by whatever
// the process wrote to stdout/stderr (start-up errors before the loggers are
// configured end up there). name is "dhcp4", "dhcp6", "ca" or the binary
// name ("kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent").
func (l *Lab) Log(name string) string {
	d := l.daemonByName(name)
	if d == nil {
		return ""
	}
	return d.logs()
}

func (l *Lab) daemonByName(name string) *daemon {
	switch strings.TrimPrefix(name, "kea-") {
	case "dhcp4":
		return l.dhcp4
	case "dhcp6":
		return l.dhcp6
	case "ca", "ctrl-agent":
		return l.ca
	}
	return nil
}

// allLogs formats every daemon's log (the last 200 lines each) for failure messages.
func (l *Lab) allLogs() string {
	var b strings.Builder
	for _, d := range []*daemon{l.dhcp4, l.dhcp6, l.ca} {
		if d == nil {
			continue
		}
		fmt.Fprintf(&b, "===== %s (%s) =====\n%s\n", d.name, d.logPath, tailLines(d.logs(), 200))
	}
	return b.String()
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("[... %d lines omitted ...]\n%s", len(lines)-n, strings.Join(lines[len(lines)-n:], "\n"))
}

// Stop4 stops kea-dhcp4 cleanly (SIGTERM; Kea removes its socket file).
func (l *Lab) Stop4(t testing.TB) { t.Helper(); l.stopDaemon(t, l.dhcp4, false) }

// Kill4 SIGKILLs kea-dhcp4 (its socket file stays behind, as after a crash).
func (l *Lab) Kill4(t testing.TB) { t.Helper(); l.stopDaemon(t, l.dhcp4, true) }

// Start4 (re)starts a stopped or killed kea-dhcp4 with the same config and
// waits until it answers on its socket.
func (l *Lab) Start4(t testing.TB) { t.Helper(); l.restartDaemon(t, l.dhcp4) }

// Stop6 stops kea-dhcp6 cleanly.
func (l *Lab) Stop6(t testing.TB) { t.Helper(); l.stopDaemon(t, l.dhcp6, false) }

// Kill6 SIGKILLs kea-dhcp6.
func (l *Lab) Kill6(t testing.TB) { t.Helper(); l.stopDaemon(t, l.dhcp6, true) }

// Start6 (re)starts a stopped or killed kea-dhcp6.
func (l *Lab) Start6(t testing.TB) { t.Helper(); l.restartDaemon(t, l.dhcp6) }

// Running reports whether a daemon ("dhcp4", "dhcp6", "ca") is alive.
func (l *Lab) Running(name string) bool {
	d := l.daemonByName(name)
	return d != nil && d.alive()
}

// Pid returns a daemon's process id, or 0 when it is not running.
func (l *Lab) Pid(name string) int {
	d := l.daemonByName(name)
	if d == nil || !d.alive() {
		return 0
	}
	return d.pid()
}

func (l *Lab) stopDaemon(t testing.TB, d *daemon, kill bool) {
	t.Helper()
	if d == nil {
		t.Fatalf("keatest: daemon not configured in this lab")
	}
	var err error
	if kill {
		err = d.kill(5 * time.Second)
	} else {
		err = d.stop(10 * time.Second)
	}
	if err != nil {
		t.Fatalf("keatest: %v (logs follow)", err)
	}
}

func (l *Lab) restartDaemon(t testing.TB, d *daemon) {
	t.Helper()
	if d == nil {
		t.Fatalf("keatest: daemon not configured in this lab")
	}
	if d.alive() {
		t.Fatalf("keatest: %s is still running (pid %d)", d.name, d.pid())
	}
	if err := l.startSocketDaemon(d); err != nil {
		t.Fatalf("keatest: %v (logs follow)", err)
	}
}
