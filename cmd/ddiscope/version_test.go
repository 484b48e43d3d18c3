package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/version"
)

var versionLine = regexp.MustCompile(`ddiscope, version (\S*) \(branch: (\S*), revision: (\S*)\)`)

// versionOf runs bin --version and returns the version and revision it prints.
func versionOf(t *testing.T, bin string) (ver, rev string) {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	m := versionLine.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("%s --version printed no version line:\n%s", bin, out)
	}
	return m[1], m[3]
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// TestMakeBuildKnowsItsVersion builds ddiscope as the README says (`make
// build`) and checks that --version and ddiscope_build_info name this
// checkout's `git describe` and commit.
func TestMakeBuildKnowsItsVersion(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed to build ddiscope as the README says")
	}
	dir := t.TempDir()
	cmd := exec.Command("make", "-C", filepath.Join("..", ".."), "build", "BIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	// Read after the build: `make build` must not dirty the tree itself.
	wantVer, wantRev := git(t, "describe", "--tags", "--always", "--dirty"), git(t, "rev-parse", "HEAD")
	bin := filepath.Join(dir, "ddiscope")
	ver, rev := versionOf(t, bin)
	if ver != wantVer || rev != wantRev {
		t.Errorf("--version says version %q revision %q, want %q and %q", ver, rev, wantVer, wantRev)
	}

	saved := binary
	binary = bin
	p := start(t, "--kea.target=k=unix://"+filepath.Join(dir, "no-such-socket"))
	binary = saved
	var got map[string]string
	waitFor(t, 10*time.Second, "ddiscope_build_info", func() bool {
		got = labelsOf(p.metrics(t), "ddiscope_build_info")
		return got != nil
	})
	if got["version"] != wantVer || got["revision"] != wantRev {
		t.Errorf("ddiscope_build_info%v, want version %q revision %q", got, wantVer, wantRev)
	}
}

// TestPlainBuildNeverSaysNothing: a `go build` without -ldflags (the test
// binary here: VCS stamping is off in this environment, and Go does not
// stamp in a git worktree) still prints a version and a revision.
func TestPlainBuildNeverSaysNothing(t *testing.T) {
	ver, rev := versionOf(t, binary)
	if ver == "" || rev == "" {
		t.Errorf("--version says version %q revision %q; neither may be empty", ver, rev)
	}
}

func labelsOf(fams map[string]*dto.MetricFamily, name string) map[string]string {
	f, ok := fams[name]
	if !ok || len(f.Metric) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, l := range f.Metric[0].Label {
		m[l.GetName()] = l.GetValue()
	}
	return m
}

func TestStampVersionFromGoBuildInfo(t *testing.T) {
	saved := []string{version.Version, version.Revision, version.Branch, version.BuildDate, version.BuildUser}
	t.Cleanup(func() {
		version.Version, version.Revision, version.Branch, version.BuildDate, version.BuildUser =
			saved[0], saved[1], saved[2], saved[3], saved[4]
	})
	reset := func() {
		version.Version, version.Revision, version.Branch, version.BuildDate, version.BuildUser = "", "", "", "", ""
	}
	rev := "0123456789abcdef0123456789abcdef01234567"
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}}}
	for _, tc := range []struct {
		name             string
		before           func()
		bi               *debug.BuildInfo
		ok               bool
		wantVer, wantRev string
	}{
		{"Go's VCS stamp", reset, vcs, true, "0123456-dirty", rev + "-dirty"},
		{"go install module@version", reset, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, true, "v1.4.0", "unknown"},
		{"no build information", reset, nil, false, "unknown", "unknown"},
		{"-ldflags win", func() { reset(); version.Version, version.Revision = "v2.0.0", "feedface" }, vcs, true, "v2.0.0", "feedface"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.before()
			stampVersion(tc.bi, tc.ok)
			if version.Version != tc.wantVer || version.GetRevision() != tc.wantRev {
				t.Errorf("version %q revision %q, want %q and %q", version.Version, version.GetRevision(), tc.wantVer, tc.wantRev)
			}
			if version.Branch == "" || version.BuildDate == "" || version.BuildUser == "" {
				t.Errorf("empty field: branch %q date %q user %q", version.Branch, version.BuildDate, version.BuildUser)
			}
		})
	}
}
