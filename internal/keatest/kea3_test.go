package keatest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Kea 3.0.4 from the bundle answers on every way in: its UNIX sockets (in
// the 0750 socket directory), its own HTTP listeners and the deprecated
// Control Agent; config-hash-get works; the lease files are where the lab
// says.
func TestKea30WaysIn(t *testing.T) {
	t.Parallel()
	l := Start(t, Options{Kea: Kea30, DHCP6: true, ControlAgent: true, HTTP: true})
	fi, err := os.Stat(l.SocketDir)
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Fatalf("socket dir %s: %v %v, want mode 0750", l.SocketDir, fi, err)
	}
	for _, sock := range []string{l.Socket4, l.Socket6} {
		if !strings.HasPrefix(sock, l.SocketDir+"/") {
			t.Errorf("socket %s is not in %s", sock, l.SocketDir)
		}
		if text := wantResult(t, l.Command(t, sock, "version-get", nil), 0); !strings.HasPrefix(text, "3.0.4") {
			t.Errorf("version-get on %s: %q, want 3.0.4", sock, text)
		}
		var hash struct {
			Arguments struct {
				Hash string `json:"hash"`
			} `json:"arguments"`
		}
		reply := l.Command(t, sock, "config-hash-get", nil)
		wantResult(t, reply, 0)
		if json.Unmarshal(reply, &hash) != nil || len(hash.Arguments.Hash) < 32 {
			t.Errorf("config-hash-get on %s: %s", sock, reply)
		}
	}
	for _, url := range []string{l.HTTP4URL, l.HTTP6URL} {
		reply := l.HTTPCommand(t, url, "version-get", nil)
		if !strings.HasPrefix(strings.TrimSpace(string(reply)), "[") {
			t.Errorf("%s: reply is not an array: %s", url, reply)
		}
		if text := wantResult(t, reply, 0); !strings.HasPrefix(text, "3.0.4") {
			t.Errorf("version-get via %s: %q", url, text)
		}
	}
	for _, svc := range []string{"dhcp4", "dhcp6"} {
		if text := wantResult(t, l.CACommand(t, "version-get", []string{svc}, nil), 0); !strings.HasPrefix(text, "3.0.4") {
			t.Errorf("version-get via the Control Agent for %s: %q", svc, text)
		}
	}
	wantResult(t, l.Command(t, l.Socket4, "lease4-add", map[string]any{"ip-address": "198.18.3.77", "hw-address": "02:00:00:00:aa:77", "subnet-id": 4}), 0)
	if got := stat(t, l, l.Socket4, "subnet[4].assigned-addresses"); got != 1 {
		t.Errorf("subnet[4].assigned-addresses = %d after lease4-add, want 1", got)
	}
	data, err := os.ReadFile(l.Leases4)
	if err != nil || !strings.Contains(string(data), "198.18.3.77") {
		t.Errorf("lease file %s: %v; want the added lease in it", l.Leases4, err)
	}
}

// An HTTP control socket with TLS and basic auth answers only over TLS
// signed by the lab's CA, and only with the password.
func TestKea30HTTPTLSAuth(t *testing.T) {
	t.Parallel()
	l := Start(t, Options{Kea: Kea30, HTTPTLS: true, HTTPAuth: true})
	if !strings.HasPrefix(l.HTTP4URL, "https://") || l.TLS == nil || l.HTTPPassword == "" {
		t.Fatalf("lab: url %q, TLS %v, password set %v", l.HTTP4URL, l.TLS, l.HTTPPassword != "")
	}
	wantResult(t, l.HTTPCommand(t, l.HTTP4URL, "statistic-get-all", nil), 0)

	noAuth := &Lab{TLS: l.TLS} // the same client without the password
	reply, err := noAuth.TryHTTPCommand(l.HTTP4URL, "version-get", nil)
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("without the password: %v %s, want HTTP 401", err, reply)
	}
	if _, err := http.Post(strings.Replace(l.HTTP4URL, "https:", "http:", 1), "application/json", strings.NewReader(`{"command":"version-get"}`)); err == nil {
		t.Errorf("plain HTTP to the TLS listener succeeded")
	}
	noCA := &Lab{HTTPPassword: l.HTTPPassword} // without the lab's CA
	if _, err := noCA.TryHTTPCommand(l.HTTP4URL, "version-get", nil); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the lab's CA: %v, want a certificate error", err)
	}
}

// Kea 2.2's daemons have no HTTP listener: asking for one is an error.
func TestHTTPNeedsKea30(t *testing.T) {
	t.Parallel()
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Start(ft, Options{HTTP: true})
	}()
	if !strings.Contains(ft.fatal, "no HTTP control socket") {
		t.Errorf("fatal message %q", ft.fatal)
	}
}

// The bundle is extracted once for the labs that hold it at the same time,
// and removed with the last of them.
func TestBundleSharedAndRemoved(t *testing.T) {
	var h bundleHolder
	a, err := h.acquire()
	if err != nil {
		skipOrFail(t, "Kea 3.0.4 bundle: %v", err)
		return
	}
	b, err := h.acquire()
	if err != nil || b != a {
		t.Fatalf("second acquire: %q %v, want the same %q", b, err, a)
	}
	if !strings.HasPrefix(a, os.TempDir()) {
		t.Errorf("bundle extracted to %s, not under %s", a, os.TempDir())
	}
	h.release()
	if _, err := os.Stat(filepath.Join(a, "sbin", "kea-dhcp4")); err != nil {
		t.Fatalf("bundle gone while a lab still holds it: %v", err)
	}
	h.release()
	if _, err := os.Stat(filepath.Dir(a)); !os.IsNotExist(err) {
		t.Errorf("bundle directory %s still there after the last release: %v", filepath.Dir(a), err)
	}
}

// A bundle whose checksum does not match SHA256SUMS is refused before it
// is unpacked, and under CI=true the test fails rather than skips.
func TestBundleChecksum(t *testing.T) {
	real, err := bundlePath()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		skipOrFail(t, "Kea 3.0.4 bundle: %v", err)
		return
	}
	sums, err := os.ReadFile(filepath.Join(filepath.Dir(real), "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data[len(data)/2] ^= 0xff
	os.WriteFile(filepath.Join(dir, BundleFile), data, 0o644)
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums, 0o644)
	t.Setenv(BundleEnv, filepath.Join(dir, BundleFile))
	var h bundleHolder
	if _, err := h.acquire(); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("corrupt bundle: %v, want a checksum error", err)
	}
	t.Setenv("CI", "true")
	ft := &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Start(ft, Options{Kea: Kea30})
	}()
	if !strings.Contains(ft.fatal, "SHA-256") || ft.skipped != "" {
		t.Errorf("CI=true, corrupt bundle: fatal %q, skipped %q", ft.fatal, ft.skipped)
	}
	t.Setenv(BundleEnv, filepath.Join(dir, "missing.tar.xz"))
	ft = &fakeTB{TB: t}
	func() {
		defer func() { _ = recover() }()
		Start(ft, Options{Kea: Kea30})
	}()
	if !strings.Contains(ft.fatal, "missing.tar.xz") {
		t.Errorf("CI=true, missing bundle: fatal %q", ft.fatal)
	}
}

// Kea 3.0's hardening, which the harness's configs follow: a UNIX socket
// outside KEA_CONTROL_SOCKET_DIR and a hook given by path outside
// KEA_HOOKS_PATH are refused at start-up.
func TestKea30RefusesPathsOutsideItsDirectories(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	for name, extra := range map[string]string{
		"socket": `{"control-sockets": [{"socket-type": "unix", "socket-name": "` + filepath.Join(outside, "k4.sock") + `"}]}`,
		"hook":   `{"hooks-libraries": [{"library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"}]}`,
	} {
		ft := &fakeTB{TB: t}
		func() {
			defer func() { _ = recover() }()
			Start(ft, Options{Kea: Kea30, Extra4: extra})
		}()
		if !strings.Contains(ft.fatal, "kea-dhcp4 exited during start-up") || !strings.Contains(ft.fatal, "invalid path specified") {
			t.Errorf("%s outside Kea 3.0's directory: fatal %q, want Kea to refuse to start", name, ft.fatal)
		}
	}
}
