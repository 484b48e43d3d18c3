package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// binary is ddiscope built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ddiscope-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ddiscope")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building ddiscope: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running ddiscope.
type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *bytes.Buffer
	done   chan struct{}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs ddiscope with args on a free loopback port and waits until it
// answers /-/healthy.
func start(t testing.TB, args ...string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), stderr: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"--web.listen-address=" + p.addr}, args...)...)
	p.cmd.Stderr = p.stderr
	p.cmd.Stdout = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("ddiscope output:\n%s", p.stderr)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get("http://" + p.addr + "/-/healthy"); err == nil {
			resp.Body.Close()
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("ddiscope exited: %s", p.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("ddiscope did not answer on %s: %s", p.addr, p.stderr)
	return nil
}

func (p *process) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metrics scrapes /metrics and parses it with Prometheus's own parser.
func (p *process) metrics(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := p.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: HTTP %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// waitFor polls until cond holds, for at most d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// exitOf runs ddiscope to completion (bounded) and returns its exit status
// and output.
func exitOf(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--web.listen-address=" + freeAddr(t)}, args...)...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("ddiscope %v did not exit: %s", args, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	return 0, string(out)
}

func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBadConfigFileExitsNamingFileLineAndKey(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "kea:\n  - name: a\n    url: http://127.0.0.1:8000/\n    passwrd: x\n", []string{"bad.yml:4", `unknown key "passwrd" (did you mean "password"?)`}},
		{"unknown top key", "defaults:\n  interval: 15s\ntargets: []\n", []string{"bad.yml:3", `unknown key "targets"`}},
		{"bad on-fail", "kea:\n  - name: a\n    url: http://127.0.0.1:8000/\n    on-fail: retry-forever\n", []string{"bad.yml:4", `"on-fail"`, "retry-forever"}},
		{"bad url", "kea:\n  - name: a\n    url: ftp://x/\n", []string{"bad.yml:3", `"url"`}},
		{"bad duration", "defaults:\n  interval: soon\n", []string{"bad.yml:2", "soon"}},
		{"duplicate name", "kea:\n  - name: a\n    url: http://127.0.0.1:8000/\n  - name: a\n    url: http://127.0.0.1:8001/\n", []string{"bad.yml:4", `name "a" is already used by the kea target at `, "bad.yml:2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, dir, "bad.yml", tc.yaml)
			code, out := exitOf(t, "--config.file="+path)
			if code != 1 {
				t.Fatalf("exit status %d, want 1: %s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("message %q lacks %q", out, w)
				}
			}
		})
	}
	// The same name from the file and from a flag: the message names both.
	path := writeFile(t, dir, "dup.yml", "kea:\n  - name: b\n    url: http://127.0.0.1:8000/\n  - name: a\n    url: http://127.0.0.1:8001/\n")
	code, out := exitOf(t, "--config.file="+path, "--kea.target=a=http://127.0.0.1:8002/")
	if want := `--kea.target "a=http://127.0.0.1:8002/": name "a" is already used by the kea target at ` + path + ":4"; code != 1 || !strings.Contains(out, want) {
		t.Fatalf("duplicate name by flag and file: exit %d: %s\nwant %s", code, out, want)
	}
	code, out = exitOf(t, "--config.file="+filepath.Join(dir, "missing.yml"))
	if code != 1 || !strings.Contains(out, "missing.yml") {
		t.Fatalf("missing file: exit %d: %s", code, out)
	}
	code, out = exitOf(t, "--kea.target=nourl")
	if code != 1 || !strings.Contains(out, "NAME=URL") {
		t.Fatalf("bad --kea.target: exit %d: %s", code, out)
	}
}

// A Kea that is gone (its socket path answers nothing) under each on-fail
// mode, modelled on Kea's own database settings.
func TestOnFailModes(t *testing.T) {
	dir := t.TempDir()
	gone := "unix://" + filepath.Join(dir, "kea4.sock")
	conf := func(extra string) string {
		return writeFile(t, dir, "c.yml", fmt.Sprintf("defaults:\n  interval: 200ms\n  timeout: 200ms\n%skea:\n  - name: gone\n    url: %s\n", extra, gone))
	}
	t.Run("retry-on-startup false exits at once", func(t *testing.T) {
		code, out := exitOf(t, "--config.file="+conf("  retry-on-startup: false\n"))
		if code != 1 || !strings.Contains(out, `target \"gone\"`) || !strings.Contains(out, "retry-on-startup is false") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
	t.Run("serve-retry-exit exits after the retries", func(t *testing.T) {
		start := time.Now()
		code, out := exitOf(t, "--config.file="+conf("  on-fail: serve-retry-exit\n  max-reconnect-tries: 3\n"))
		if code != 1 || !strings.Contains(out, "max-reconnect-tries 3") {
			t.Fatalf("exit %d: %s", code, out)
		}
		// Three waits of 200 ms, each shortened by at most the schedule's
		// 10% jitter.
		if d := time.Since(start); d < 540*time.Millisecond {
			t.Errorf("exited after %s, before 3 retries at 200ms (less 10%% jitter)", d)
		}
	})
	t.Run("stop-retry-exit is not ready while retrying", func(t *testing.T) {
		p := start(t, "--config.file="+conf("  on-fail: stop-retry-exit\n  max-reconnect-tries: 25\n"))
		waitFor(t, 5*time.Second, "/-/ready 503", func() bool {
			code, _ := p.get(t, "/-/ready")
			return code == 503
		})
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Fatal("did not exit after 25 failed retries")
		}
		if p.cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("exit status %d", p.cmd.ProcessState.ExitCode())
		}
	})
	t.Run("serve-retry-continue keeps serving", func(t *testing.T) {
		p := start(t, "--config.file="+conf("  on-fail: serve-retry-continue\n  max-reconnect-tries: 1\n"))
		waitFor(t, 5*time.Second, "3 failed polls", func() bool {
			v, _ := value(p.metrics(t), "ddiscope_poll_errors_total", map[string]string{"server": "gone", "reason": "connect"})
			return v >= 3
		})
		if code, _ := p.get(t, "/-/ready"); code != 200 {
			t.Errorf("/-/ready %d", code)
		}
		if v, _ := value(p.metrics(t), "ddiscope_target_up", map[string]string{"server": "gone"}); v != 0 {
			t.Errorf("target_up %v", v)
		}
	})
}

// --check-config loads the file, the target flags, the OTLP settings and
// the web configuration, says whether they are valid, and polls nothing.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.yml", "kea:\n  - name: a\n    url: http://127.0.0.1:1/\nbind:\n  - name: ns1\n    url: http://127.0.0.1:1/\n")
	code, out := exitOf(t, "--config.file="+good, "--kea.target=b=unix:///nonexistent.sock", "--check-config")
	if code != 0 || !strings.Contains(out, good+": configuration is valid (2 Kea targets, 1 BIND targets)") {
		t.Fatalf("good file: exit %d: %s", code, out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad key", []string{"--config.file=" + writeFile(t, dir, "bad.yml", "kea:\n  - name: a\n    url: http://127.0.0.1:1/\n    intreval: 5s\n")}, "bad.yml:4"},
		{"bad otlp", []string{"--config.file=" + writeFile(t, dir, "otlp.yml", "kea:\n  - name: a\n    url: http://127.0.0.1:1/\notlp:\n  enabled: true\n  protocol: carrier-pigeon\n")}, "otlp"},
		{"bad web config", []string{"--config.file=" + good, "--web.config.file=" + writeFile(t, dir, "web.yml", "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n")}, "web.yml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := exitOf(t, append(tc.args, "--check-config")...)
			if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "is valid") {
				t.Fatalf("exit %d, want 1 naming %q: %s", code, tc.want, out)
			}
		})
	}
}
