package promtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BuildDdiscope builds cmd/ddiscope into dir and returns the binary's path,
// for tests that scrape the real daemon.
func BuildDdiscope(t testing.TB, dir string) string {
	t.Helper()
	return Build(t, dir, "ddiscope")
}

// Build builds the module's command cmd/<name> into dir and returns the
// binary's path.
func Build(t testing.TB, dir, name string) string {
	t.Helper()
	bin := filepath.Join(dir, name)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ddiscope/ddiscope/cmd/"+name).CombinedOutput(); err != nil {
		t.Fatalf("promtest: building %s: %v\n%s", name, err, out)
	}
	return bin
}

// StartDdiscope runs the ddiscope binary with config (YAML) on a free
// loopback port, waits until it answers /-/healthy and returns its address;
// t.Cleanup stops it and, when the test failed, logs its output.
func StartDdiscope(t testing.TB, bin, config string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ddiscope.yml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := start(t, "ddiscope", bin, "--web.listen-address="+addr, "--config.file="+path)
	p.waitReady(t, "http://"+addr+"/-/healthy")
	return addr
}
