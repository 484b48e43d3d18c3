package demo

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Packages are the Debian packages the demo runs, each with the program
// that says it is there.
var Packages = []struct{ Name, Binary string }{
	{"kea-dhcp4-server", "kea-dhcp4"},
	{"kea-dhcp6-server", "kea-dhcp6"},
	{"kea-common", "kea-lfc"},
	{"kea-admin", "perfdhcp"},
	{"iproute2", "ip"},
	{"bind9", "named"},
	{"bind9-dnsutils", "dig"},
	{"prometheus", "prometheus"},
	{"prometheus-alertmanager", "prometheus-alertmanager"},
	{"postgresql", "initdb"},
}

// findBinary looks a program up on PATH, then in the sbin directories (not
// always on root's PATH under make) and PostgreSQL's versioned bin directory.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	dirs := []string{"/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin"}
	if pg, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(pg) > 0 {
		slices.Sort(pg)
		slices.Reverse(pg) // the newest first
		dirs = append(dirs, pg...)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// installed reports whether dpkg has a package installed.
func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && strings.Contains(string(out), "install ok installed")
}

// Missing returns the packages of Packages that are not installed.
func Missing() ([]string, error) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		return nil, fmt.Errorf("dpkg-query not found: the demo installs Debian packages (Debian 12 or Ubuntu 22.04+); install %s by hand", packageNames())
	}
	var out []string
	for _, p := range Packages {
		if !installed(p.Name) {
			out = append(out, p.Name)
		}
	}
	return out, nil
}

func packageNames() string {
	var n []string
	for _, p := range Packages {
		n = append(n, p.Name)
	}
	return strings.Join(n, " ")
}

// bootLinks are the files that make a service start at boot: systemd's
// *.wants symlinks and SysV's /etc/rc?.d/S* links, under root.
func bootLinks(root string) map[string]bool {
	links := map[string]bool{}
	_ = filepath.WalkDir(filepath.Join(root, "etc/systemd/system"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 && strings.HasSuffix(filepath.Dir(p), ".wants") {
			links[p] = true
		}
		return nil
	})
	rc, _ := filepath.Glob(filepath.Join(root, "etc/rc[0-6S].d/S*"))
	for _, p := range rc {
		links[p] = true
	}
	return links
}

// undoBootLinks removes the boot links that appeared since before, and
// returns them. Debian's maintainer scripts enable a service for the next
// boot even when policy-rc.d keeps them from starting it now.
func undoBootLinks(root string, before map[string]bool) ([]string, error) {
	var removed []string
	for p := range bootLinks(root) {
		if before[p] {
			continue
		}
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("disabling %s: %w", p, err)
		}
		removed = append(removed, p)
	}
	slices.Sort(removed)
	return removed, nil
}

// Install installs the missing packages with apt-get, starting no service
// (a policy-rc.d that denies every start, for the time of the install, as
// scripts/install-deps.sh does) and enabling none for boot (the links the
// packages add are removed again).
func (s *State) install(missing []string) error {
	if len(missing) == 0 {
		return nil
	}
	const policy = "/usr/sbin/policy-rc.d"
	if _, err := os.Stat(policy); os.IsNotExist(err) {
		if err := os.WriteFile(policy, []byte("#!/bin/sh\n# ddiscope-demo: no service starts during its apt-get install\nexit 101\n"), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", policy, err)
		}
		defer os.Remove(policy)
	}
	before := bootLinks("/")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"update", "-q"}, append([]string{"install", "-y", "-q", "--no-install-recommends"}, missing...)} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = s.out, s.out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %s failed (%v): install %s by hand, or fix the package sources, and run make demo again",
				args[0], err, strings.Join(missing, " "))
		}
	}
	removed, err := undoBootLinks("/", before)
	for _, r := range removed {
		s.say("  not enabled for boot: removed %s, which the package added", r)
	}
	return err
}
