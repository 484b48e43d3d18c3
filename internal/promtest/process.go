package promtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long a process may take to answer /-/ready.
const startTimeout = 30 * time.Second

// process is one running Prometheus or Alertmanager.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *lockedBuffer
	exited chan struct{}
}

// lockedBuffer collects a process's output while tests read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs bin with args and registers its stop with t.Cleanup; on a
// failed test the output is logged.
func start(t testing.TB, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), out: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("promtest: starting %s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("promtest: %s output:\n%s", name, p.out)
		}
	})
	return p
}

// StartProcess runs bin with args as a process named name, waits until
// readyURL answers 200 (at most 30 s; the test fails with the process's
// output if it does not or the process exits), and stops it (SIGTERM, then
// SIGKILL after 10 s) when the test ends, logging its output when the test
// failed. For the project's own binaries in end-to-end harnesses.
func StartProcess(t testing.TB, name, readyURL, bin string, args ...string) {
	t.Helper()
	p := start(t, name, bin, args...)
	p.waitReady(t, readyURL)
}

// stop asks the process to exit and kills it if it does not within 10 s.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitReady polls url until it answers 200, the process exits, or
// startTimeout passes.
func (p *process) waitReady(t testing.TB, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("promtest: %s exited before it was ready: %v\n%s", p.name, p.cmd.ProcessState, p.out)
		case <-ctx.Done():
			t.Fatalf("promtest: %s not ready at %s after %s:\n%s", p.name, url, startTimeout, p.out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// run runs a tool to completion, bounded by a minute, and returns its
// combined output and error.
func run(t testing.TB, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary(t, bin), args...).CombinedOutput()
	if ctx.Err() != nil {
		return string(out), fmt.Errorf("%s %v did not finish within a minute", bin, args)
	}
	return string(out), err
}

// RunPromtool runs promtool with args (check rules, test rules, check
// config) and returns its output and whether it succeeded.
func RunPromtool(t testing.TB, args ...string) (string, error) {
	t.Helper()
	return run(t, Promtool, args...)
}

// RunAmtool runs amtool with args (check-config, config routes test).
func RunAmtool(t testing.TB, args ...string) (string, error) {
	t.Helper()
	return run(t, Amtool, args...)
}

// Eventually polls cond every 200 ms until it holds, failing the test
// after timeout with what it waited for.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("promtest: timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
