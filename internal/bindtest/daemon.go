package bindtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// process is one named, started in the foreground (-g: logs to stderr, no
// fork) and reaped by a goroutine blocked in Wait, so that it never lingers
// as a zombie and its pid is not reused while we hold it.
type process struct {
	bin     string
	conf    string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error
}

func (p *process) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		select {
		case <-p.done:
		default:
			return fmt.Errorf("named %s already running (pid %d)", p.conf, p.cmd.Process.Pid)
		}
	}
	out, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "---- bindtest: starting named -g -c %s at %s ----\n", p.conf, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, "-g", "-c", p.conf)
	cmd.Dir = filepath.Dir(p.conf)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // keep terminal signals away; we stop it ourselves
		Pdeathsig: syscall.SIGKILL, // and if the test binary dies, named dies too
	}
	// Pdeathsig fires when the forking *thread* ends, not the process
	// (go.dev/issue/27505), and a test process ends threads (any goroutine
	// that exits locked, as keatest's namespace clients do): fork from a
	// thread locked to the reaper goroutine, which lives until named is reaped.
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		err := cmd.Wait()
		out.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
	if err := <-started; err != nil {
		out.Close()
		return fmt.Errorf("start named: %w", err)
	}
	p.cmd, p.done, p.err = cmd, done, nil
	return nil
}

// exited reports whether the process has been reaped, and how it ended.
func (p *process) exited() (bool, error) {
	p.mu.Lock()
	done, err := p.done, p.err
	p.mu.Unlock()
	if done == nil {
		return true, nil
	}
	select {
	case <-done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, err
	}
}

func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return // reaped: the pid may belong to someone else now
	default:
	}
	_ = p.cmd.Process.Signal(sig)
}

// stop sends sig, waits up to timeout, then SIGKILLs.
func (p *process) stop(sig syscall.Signal, timeout time.Duration) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	p.signal(sig)
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
	}
	p.signal(syscall.SIGKILL)
	select {
	case <-done:
		if sig == syscall.SIGKILL {
			return nil
		}
		return fmt.Errorf("named %s did not stop within %s; SIGKILLed", p.conf, timeout)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("named %s survived SIGKILL for 5s", p.conf)
	}
}

func (p *process) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// freePorts returns n distinct TCP ports free on 127.0.0.1 right now. named
// binds them a moment later; a lost race shows as a failed start, which
// Start retries with other ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		port := l.Addr().(*net.TCPAddr).Port
		// DNS also needs the UDP port.
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		u.Close()
		out = append(out, port)
	}
	return out, nil
}
