package keatest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Version selects which Kea a lab runs.
type Version int

const (
	// Kea22 is Debian 12's packaged Kea 2.2.0 (the zero value).
	Kea22 Version = iota
	// Kea30 is ISC Kea 3.0.4 from the bundle in shared/kea, extracted once
	// per test process into a temporary directory (see Bundle).
	Kea30
)

// AllVersions are the Kea versions every real-Kea scenario runs against.
var AllVersions = []Version{Kea22, Kea30}

func (v Version) String() string {
	switch v {
	case Kea22:
		return "2.2"
	case Kea30:
		return "3.0"
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

// AtLeast30 reports whether the version is Kea 3.0 or later, which has its
// own HTTP control sockets, config-hash-get and pool statistics.
func (v Version) AtLeast30() bool { return v >= Kea30 }

// Versions runs f as one subtest per Kea version ("kea2.2", "kea3.0"), so an
// existing scenario runs on both versions without being rewritten. The
// subtests run one after the other; f may call t.Parallel.
func Versions(t *testing.T, f func(t *testing.T, v Version)) {
	t.Helper()
	for _, v := range AllVersions {
		t.Run("kea"+v.String(), func(t *testing.T) { f(t, v) })
	}
}

// BundleFile is the Kea 3.0.4 bundle's file name; BundleEnv, when set, is the
// path of the tarball to use instead of <module>/../shared/kea/BundleFile.
const (
	BundleFile = "kea-3.0.4-debian12-amd64.tar.xz"
	BundleEnv  = "DDISCOPE_KEA3_BUNDLE"
	// bundleTop is the directory the tarball holds everything under.
	bundleTop = "kea-3.0.4"
)

// extractTimeout bounds unpacking the bundle (7 MB of xz, 36 MB unpacked).
const extractTimeout = 2 * time.Minute

// bundleHolder shares one extracted bundle among the labs of a test process.
// The bundle is extracted when the first lab needs it and removed when the
// last lab using it has been cleaned up, so nothing stays behind after the
// process; a process killed before its cleanup leaves a directory named with
// its pid, which the next process removes.
type bundleHolder struct {
	mu   sync.Mutex
	root string // <tmp>/ddiscope-kea3-<pid>-*/kea-3.0.4, "" when not extracted
	refs int
}

var bundles bundleHolder

// bundlePath returns the tarball to extract: BundleEnv, or shared/kea next
// to the module's checkout (../shared/kea from the module root).
func bundlePath() (string, error) {
	if p := os.Getenv(BundleEnv); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "kea", BundleFile), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory to find ../shared/kea from")
		}
		dir = parent
	}
}

// verifyBundle checks the tarball against the SHA256SUMS file beside it.
func verifyBundle(path string) error {
	sums := filepath.Join(filepath.Dir(path), "SHA256SUMS")
	f, err := os.Open(sums)
	if err != nil {
		return fmt.Errorf("checksum list for %s: %w", path, err)
	}
	defer f.Close()
	want := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 2 && strings.TrimPrefix(fields[1], "*") == filepath.Base(path) {
			want = strings.ToLower(fields[0])
		}
	}
	if want == "" {
		return fmt.Errorf("%s lists no checksum for %s", sums, filepath.Base(path))
	}
	data, err := os.Open(path)
	if err != nil {
		return err
	}
	defer data.Close()
	h := sha256.New()
	if _, err := io.Copy(h, data); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: SHA-256 %s, but %s says %s", path, got, sums, want)
	}
	return nil
}

// staleBundle matches the directories bundles are extracted into.
var staleBundle = regexp.MustCompile(`^ddiscope-kea3-([0-9]+)-`)

// removeStaleBundles deletes bundle directories of test processes that are gone.
func removeStaleBundles() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		m := staleBundle.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		pid, err := strconv.Atoi(m[1])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue
		}
		_ = os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
	}
}

// Bundle returns the root of the extracted Kea 3.0.4 bundle, extracting it
// first if no lab of this process holds it, and releases it when t ends.
// A missing or corrupt bundle skips the test (fails it under CI=true).
func Bundle(t testing.TB) string {
	t.Helper()
	root, err := bundles.acquire()
	if err != nil {
		skipOrFail(t, "Kea 3.0.4 bundle: %v", err)
		return ""
	}
	t.Cleanup(bundles.release)
	return root
}

func (b *bundleHolder) acquire() (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.root != "" {
		b.refs++
		return b.root, nil
	}
	path, err := bundlePath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%w (set %s to the tarball's path)", err, BundleEnv)
	}
	if err := verifyBundle(path); err != nil {
		return "", err
	}
	tarBin, err := findBinary("tar")
	if err != nil {
		return "", err
	}
	removeStaleBundles()
	dir, err := os.MkdirTemp("", fmt.Sprintf("ddiscope-kea3-%d-", os.Getpid()))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), extractTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, tarBin, "-xJf", path, "-C", dir).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("extracting %s: %v: %s (Debian packages tar, xz-utils)", path, err, strings.TrimSpace(string(out)))
	}
	root := filepath.Join(dir, bundleTop)
	if _, err := os.Stat(filepath.Join(root, "sbin", "kea-dhcp4")); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("%s holds no %s/sbin/kea-dhcp4", path, bundleTop)
	}
	b.root, b.refs = root, 1
	return root, nil
}

func (b *bundleHolder) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refs--
	if b.refs > 0 || b.root == "" {
		return
	}
	_ = os.RemoveAll(filepath.Dir(b.root))
	b.root = ""
}

// bundleBinary finds a program in the bundle's sbin/ or bin/.
func bundleBinary(root, name string) (string, error) {
	for _, d := range []string{"sbin", "bin"} {
		p := filepath.Join(root, d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in the Kea 3.0.4 bundle %s", name, root)
}

// kea3Env is what kea-env.sh sets, per daemon: Kea 3.0 loads hooks only from
// KEA_HOOKS_PATH and keeps control sockets, pid files, logs and lease files
// only in its directories, whose compiled-in defaults point at the build
// machine. dataDir is where the daemon's lease file (and DUID) live.
func kea3Env(root, sockDir, dataDir, runDir string) []string {
	return []string{
		"PATH=" + filepath.Join(root, "sbin") + ":" + filepath.Join(root, "bin") + ":" + os.Getenv("PATH"),
		// The binaries find their libraries by $ORIGIN; this only guards
		// against a stale LD_LIBRARY_PATH pointing at another Kea.
		"LD_LIBRARY_PATH=" + filepath.Join(root, "lib"),
		"KEA_HOOKS_PATH=" + filepath.Join(root, "lib", "kea", "hooks"),
		"KEA_HOOK_SCRIPTS_PATH=" + filepath.Join(root, "share", "kea", "scripts"),
		"KEA_LFC_EXECUTABLE=" + filepath.Join(root, "sbin", "kea-lfc"),
		"KEA_CONTROL_SOCKET_DIR=" + sockDir,
		"KEA_PIDFILE_DIR=" + runDir,
		"KEA_LOCKFILE_DIR=" + runDir,
		"KEA_LOG_FILE_DIR=" + runDir,
		"KEA_LEGAL_LOG_DIR=" + runDir,
		"KEA_DHCP_DATA_DIR=" + dataDir,
	}
}

// withEnv returns base with the variables of set replacing any of the same name.
func withEnv(base, set []string) []string {
	names := map[string]bool{}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		names[k] = true
	}
	var out []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !names[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// requireVersion is Require for a version: Kea 3.0's programs come from the
// bundle, the others (ip) from the system.
func requireVersion(t testing.TB, v Version, bundle string, binaries ...string) {
	t.Helper()
	if !v.AtLeast30() {
		Require(t, binaries...)
		return
	}
	var system []string
	for _, b := range binaries {
		if _, inBundle := debianPackage[b]; inBundle && b != "ip" {
			if _, err := bundleBinary(bundle, b); err != nil {
				skipOrFail(t, "%v", err)
				return
			}
			continue
		}
		system = append(system, b)
	}
	Require(t, system...)
}

// binary finds a Kea program for the lab's version.
func (l *Lab) binary(name string) string {
	if l.bundle != "" && name != "ip" {
		p, _ := bundleBinary(l.bundle, name) // presence checked by requireVersion
		return p
	}
	p, _ := findBinary(name) // presence checked by Require
	return p
}

// resolveHooksFor returns the hooks-libraries entries' library values: on
// 2.2 absolute paths, on 3.0 bare names (3.0 loads hooks only from
// KEA_HOOKS_PATH and rejects other paths), after checking that each exists.
func resolveHooksFor(v Version, bundle string, names []string) ([]string, error) {
	if !v.AtLeast30() {
		paths, err := resolveHooks(names)
		if err != nil {
			return nil, fmt.Errorf("%v (Debian package kea-common)", err)
		}
		return paths, nil
	}
	dir := filepath.Join(bundle, "lib", "kea", "hooks")
	out := make([]string, 0, len(names))
	for _, n := range names {
		base := filepath.Base(n)
		if _, err := os.Stat(filepath.Join(dir, base)); err != nil {
			return nil, fmt.Errorf("hook library %s is not in the Kea 3.0.4 bundle (%s)", base, dir)
		}
		out = append(out, base)
	}
	return out, nil
}

// setupDirs makes Kea 3.0's control socket directory, which it accepts only
// with mode 0750 or stricter.
func (l *Lab) setupDirs() error {
	if !l.Kea.AtLeast30() {
		return nil
	}
	l.SocketDir = filepath.Join(l.Dir, "sock")
	if err := os.Mkdir(l.SocketDir, 0o750); err != nil {
		return err
	}
	return os.Chmod(l.SocketDir, 0o750) // whatever the umask
}

// socketPath is where a UNIX control socket goes: Kea 3.0 keeps them in
// KEA_CONTROL_SOCKET_DIR only.
func (l *Lab) socketPath(name string) string {
	if l.SocketDir != "" {
		return filepath.Join(l.SocketDir, name)
	}
	return filepath.Join(l.Dir, name)
}

// daemonEnv is a daemon's environment beyond the test's: the pid file
// directory on 2.2, everything kea-env.sh sets on 3.0. dataDir holds the
// daemon's lease file.
func (l *Lab) daemonEnv(dataDir string) []string {
	if l.bundle == "" {
		return []string{"KEA_PIDFILE_DIR=" + l.Dir, "KEA_LOCKFILE_DIR=none"}
	}
	return kea3Env(l.bundle, l.SocketDir, dataDir, l.Dir)
}

// controlSockets is a DHCP daemon's control-socket configuration: 2.2's one
// "control-socket"; 3.0's "control-sockets" list with the UNIX socket and,
// with Options.HTTP, the HTTP listener.
func (l *Lab) controlSockets(m map[string]any, socket string, httpPort int) {
	unix := map[string]any{"socket-type": "unix", "socket-name": socket}
	if !l.Kea.AtLeast30() {
		m["control-socket"] = unix
		return
	}
	list := []any{unix}
	if httpPort != 0 {
		list = append(list, l.httpSocket(httpPort))
	}
	m["control-sockets"] = list
}
