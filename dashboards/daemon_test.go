package dashboards

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/promtest"
)

// daemon is the ddiscope binary running on loopback for the end-to-end test.
type daemon struct {
	addr string
	out  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon builds cmd/ddiscope, runs it with the configuration on a free
// port, and waits until it answers; t.Cleanup stops it.
func startDaemon(t *testing.T, config string) *daemon {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "ddiscope")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../cmd/ddiscope").CombinedOutput(); err != nil {
		t.Fatalf("building ddiscope: %v\n%s", err, out)
	}
	conf := filepath.Join(dir, "ddiscope.yml")
	if err := os.WriteFile(conf, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemon{addr: promtest.FreeAddr(t), out: &syncBuffer{}}
	cmd := exec.Command(bin, "--web.listen-address="+d.addr, "--config.file="+conf)
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("ddiscope output:\n%s", d.out)
		}
	})
	promtest.Eventually(t, 15*time.Second, "ddiscope answering /-/healthy", func() bool {
		select {
		case <-exited:
			t.Fatalf("ddiscope exited:\n%s", d.out)
		default:
		}
		resp, err := http.Get("http://" + d.addr + "/-/healthy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return d
}
