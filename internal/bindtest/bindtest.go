// Package bindtest starts real BIND 9 named processes (Debian 12: BIND
// 9.18) for tests, on 127.0.0.1 with free ports and state in a temporary
// directory, torn down by t.Cleanup.
//
// Start gives a Lab: a primary serving Options.Zones (zone-statistics full)
// and, with Options.Secondary, a second named with two views: "authoritative"
// (the zones as secondaries, transferred from the primary, NOTIFYed by it)
// and "recursive" for clients from RecursiveSource, forwarding to the
// primary. Both have a statistics channel and rndc controls.
//
//	func TestSomething(t *testing.T) {
//		lab := bindtest.Start(t, bindtest.Options{Secondary: true})
//		lab.Dig(t, lab.Primary, "", bindtest.Q("www.lab.example", "A"))
//		serial := lab.BumpSerial(t, "lab.example") // reload: NOTIFY to the secondary
//		lab.WaitSerial(t, lab.Secondary, "lab.example", serial)
//		body := lab.Primary.Get(t, "/json/v1/server")
//		...
//	}
//
// Tests skip when named, rndc or dig are missing and fail instead when the
// environment has CI=true. Nothing leaves the machine: named listens on
// 127.0.0.1 only, the NS records point at 127.0.0.1 and NOTIFYs go only to
// the also-notify address (notify explicit).
package bindtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RecursiveSource is the source address (any 127/8 address is local on
// Linux) whose queries the secondary answers from its recursive view.
const RecursiveSource = "127.0.0.3"

// debianPackage names the Debian package that ships a binary.
func debianPackage(bin string) string {
	switch bin {
	case "named":
		return "bind9"
	case "rndc", "named-checkconf":
		return "bind9-utils"
	case "dig":
		return "bind9-dnsutils"
	}
	return "unknown package"
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

// skipOrFail fails the test when CI=true and skips it otherwise.
func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("bindtest: %s (CI=true, so this is an error)", msg)
		return
	}
	t.Skipf("bindtest: %s", msg)
}

// Require fails the test (t.Fatalf) when a binary is missing and the env
// CI=true, and t.Skip()s otherwise, naming the missing binary and the Debian
// package that ships it.
func Require(t testing.TB, binaries ...string) {
	t.Helper()
	var missing, pkgs []string
	seen := map[string]bool{}
	for _, b := range binaries {
		if _, err := findBinary(b); err == nil {
			continue
		}
		p := debianPackage(b)
		missing = append(missing, fmt.Sprintf("%s (Debian package %s)", b, p))
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	if len(missing) > 0 {
		skipOrFail(t, "missing %s; install with apt-get install %s", strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
}
