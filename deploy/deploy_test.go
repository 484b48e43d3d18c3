// Package deploy holds the files an operator installs (systemd units, example configurations, Prometheus scrape
// configurations, Grafana provisioning, the generated rules). Its tests check that each loads where it is used.
package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build compiles the named commands into a temporary directory.
func build(t *testing.T, cmds ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range cmds {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, c), "../cmd/"+c).CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", c, err, out)
		}
	}
	return dir
}

func require(t *testing.T, bin, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(bin)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package %s; CI=true, so this is an error)", bin, pkg)
		}
		t.Skipf("%s not found (Debian package %s)", bin, pkg)
	}
	return p
}

// Every example configuration loads with the check flag of the binary that
// reads it, the way the units' ExecStartPre run it.
func TestExampleConfigsPassTheBinariesCheckConfig(t *testing.T) {
	bin := build(t, "ddiscope", "ddiscope-configui")
	for _, c := range [][]string{
		{"ddiscope", "--config.file=ddiscope/ddiscope.yml", "--check-config"},
		{"ddiscope-configui", "--config.file=configui/configui.yml", "serve", "--check-config"},
	} {
		out, err := exec.Command(filepath.Join(bin, c[0]), c[1:]...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "configuration is valid") {
			t.Errorf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
}

// The scrape configurations are valid Prometheus configurations.
func TestScrapeConfigsPassPromtool(t *testing.T) {
	promtool := require(t, "promtool", "prometheus")
	files, _ := filepath.Glob("prometheus/scrape/*.yml")
	if len(files) < 2 {
		t.Fatalf("scrape configurations: %v", files)
	}
	for _, f := range files {
		if out, err := exec.Command(promtool, "check", "config", f).CombinedOutput(); err != nil {
			t.Errorf("promtool check config %s: %v\n%s", f, err, out)
		}
	}
}

// The units pass systemd-analyze verify, with their binaries where
// ExecStart says (the built ones, substituted for /usr/local/bin).
func TestSystemdUnitsVerify(t *testing.T) {
	analyze := require(t, "systemd-analyze", "systemd")
	bin := build(t, "ddiscope", "ddiscope-configui")
	units, _ := filepath.Glob("systemd/*.service")
	if len(units) != 2 {
		t.Fatalf("units: %v", units)
	}
	dir := t.TempDir()
	var paths []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "/usr/local/bin/", bin+"/")
		for _, want := range []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "CapabilityBoundingSet=\n", "User=ddiscope", "ExecStartPre="} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", u, strings.TrimSpace(want))
			}
		}
		p := filepath.Join(dir, filepath.Base(u))
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(analyze, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
