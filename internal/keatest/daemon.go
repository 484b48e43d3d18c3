package keatest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// daemon is one Kea process (kea-dhcp4, kea-dhcp6 or kea-ctrl-agent).
// It is started with exec.Cmd and reaped by a goroutine blocked in Wait, so it
// never lingers as a zombie and its pid cannot be reused while we hold it;
// that goroutine's locked thread forks it (see start).
type daemon struct {
	name    string // binary name, also the Kea logger name
	bin     string
	cfgPath string
	logPath string // Kea's own log file
	outPath string // stdout+stderr of the process
	socket  string // UNIX control socket ("" for the CA)
	netns   string // run via `ip netns exec` when set
	ipBin   string
	pidDir  string
	env     []string // set on top of the test's environment

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed once Wait returned
	waitErr error
}

func (l *Lab) newDaemon(name, cfgPath, socket string) *daemon {
	dataDir := l.Dir
	switch name {
	case "kea-dhcp4":
		dataDir = filepath.Dir(l.Leases4) // Kea 3.0 opens lease files only in its data directory
	case "kea-dhcp6":
		dataDir = filepath.Dir(l.Leases6)
	}
	d := &daemon{
		name:    name,
		bin:     l.binary(name),
		env:     l.daemonEnv(dataDir),
		cfgPath: cfgPath,
		logPath: filepath.Join(l.Dir, name+".log"),
		outPath: filepath.Join(l.Dir, name+".out"),
		socket:  socket,
		ipBin:   l.ipBin,
		pidDir:  l.Dir,
	}
	if name != "kea-ctrl-agent" {
		d.netns = l.ServerNS // the CA always runs in the root namespace on 127.0.0.1
	}
	return d
}

// pidFile is where Kea writes its pid: <config basename without extension>.<daemon>.pid.
func (d *daemon) pidFile() string {
	base := strings.TrimSuffix(filepath.Base(d.cfgPath), filepath.Ext(d.cfgPath))
	return filepath.Join(d.pidDir, base+"."+d.name+".pid")
}

// start launches the process; it does not wait for readiness.
func (d *daemon) start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done != nil {
		select {
		case <-d.done:
		default:
			return fmt.Errorf("%s already running (pid %d)", d.name, d.cmd.Process.Pid)
		}
	}
	// A stale PID file whose pid got reused would make Kea refuse to start.
	_ = os.Remove(d.pidFile())
	out, err := os.OpenFile(d.outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "---- keatest: starting %s at %s ----\n", d.name, time.Now().Format(time.RFC3339Nano))

	var cmd *exec.Cmd
	if d.netns != "" {
		// `ip netns exec` exec()s the daemon, so cmd's pid is the daemon's pid.
		cmd = exec.Command(d.ipBin, "netns", "exec", d.netns, d.bin, "-c", d.cfgPath)
	} else {
		cmd = exec.Command(d.bin, "-c", d.cfgPath)
	}
	cmd.Dir = d.pidDir
	cmd.Env = withEnv(os.Environ(), d.env)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // keep terminal signals away; we stop it ourselves
		Pdeathsig: syscall.SIGKILL, // and if the test binary dies, the daemon dies too
	}
	// The kernel sends Pdeathsig when the *thread* that forked the child
	// ends, not the process (go.dev/issue/27505), and threads of a test
	// process do end: every goroutine that joins a namespace (inClientNS)
	// ends with its locked thread. A daemon forked from such a thread was
	// SIGKILLed as soon as a DHCP client finished on it. So the daemon is
	// forked from a thread locked to its reaper goroutine, which lives until
	// the daemon has been reaped.
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
		d.mu.Lock()
		d.waitErr = err
		d.mu.Unlock()
		close(done)
	}()
	if err := <-started; err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	d.cmd, d.done, d.waitErr = cmd, done, nil
	return nil
}

func (d *daemon) pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

func (d *daemon) doneChan() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *daemon) exitErr() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.waitErr
}

// alive reports whether the process has not been reaped and, per
// /proc/PID/stat, is neither a zombie nor dead. (kill -0 succeeds on zombies.)
func (d *daemon) alive() bool {
	done := d.doneChan()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
	}
	_, state, err := procStat(d.pid())
	if err != nil {
		return false
	}
	return state != 'Z' && state != 'X' && state != 'x'
}

// procStat returns the command name and state letter from /proc/PID/stat.
func procStat(pid int) (comm string, state byte, err error) {
	if pid <= 0 {
		return "", 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, err
	}
	s := string(b)
	// "pid (comm) S ..." where comm may itself contain spaces and parentheses.
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open || closing+2 >= len(s) {
		return "", 0, fmt.Errorf("unparsable /proc/%d/stat: %q", pid, s)
	}
	return s[open+1 : closing], s[closing+2], nil
}

// signal sends sig to the daemon if it has not been reaped yet.
func (d *daemon) signal(sig syscall.Signal) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	select {
	case <-d.done:
		return // reaped: the pid may belong to someone else now
	default:
	}
	_ = d.cmd.Process.Signal(sig)
}

// waitExit waits up to timeout for the process to be reaped.
func (d *daemon) waitExit(timeout time.Duration) bool {
	done := d.doneChan()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// stop sends SIGTERM, waits up to timeout, then SIGKILLs.
func (d *daemon) stop(timeout time.Duration) error {
	if d.doneChan() == nil {
		return nil
	}
	d.signal(syscall.SIGTERM)
	if d.waitExit(timeout) {
		return nil
	}
	d.signal(syscall.SIGKILL)
	if d.waitExit(5 * time.Second) {
		return fmt.Errorf("%s did not stop within %s after SIGTERM; SIGKILLed", d.name, timeout)
	}
	return fmt.Errorf("%s (pid %d) survived SIGKILL for 5s", d.name, d.pid())
}

// kill sends SIGKILL and waits for the process to be reaped.
func (d *daemon) kill(timeout time.Duration) error {
	if d.doneChan() == nil {
		return nil
	}
	d.signal(syscall.SIGKILL)
	if d.waitExit(timeout) {
		return nil
	}
	return fmt.Errorf("%s (pid %d) survived SIGKILL for %s", d.name, d.pid(), timeout)
}

// logs returns the Kea log file and the captured stdout/stderr.
func (d *daemon) logs() string {
	var b strings.Builder
	if data, err := os.ReadFile(d.logPath); err == nil {
		b.Write(data)
	}
	if data, err := os.ReadFile(d.outPath); err == nil && len(data) > 0 {
		b.WriteString("---- stdout/stderr ----\n")
		b.Write(data)
	}
	return b.String()
}

// startSocketDaemon starts a DHCP daemon and waits until it answers
// version-get on its control socket.
func (l *Lab) startSocketDaemon(d *daemon) error {
	began := time.Now()
	if err := d.start(); err != nil {
		return err
	}
	timeout := startTimeout
	if l.opts.StartTimeout > 0 {
		timeout = l.opts.StartTimeout
	}
	deadline := began.Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		if !d.alive() {
			return fmt.Errorf("%s exited during start-up (%v); config %s%s", d.name, d.exitErr(), d.cfgPath, firstError(d.logs()))
		}
		reply, err := socketCommand(d.socket, "version-get", nil, 2*time.Second)
		if err == nil {
			if res, text, perr := Result(reply); perr == nil && res == 0 {
				return nil
			} else if perr != nil {
				lastErr = perr
			} else {
				lastErr = fmt.Errorf("result %d: %s", res, text)
			}
		} else {
			lastErr = err
		}
		time.Sleep(25 * time.Millisecond)
	}
	_ = d.kill(5 * time.Second)
	return fmt.Errorf("%s did not answer on %s within %s: %v", d.name, d.socket, timeout, lastErr)
}

// firstError is the first ERROR line of a daemon's log, for start-up
// failure messages ("" when there is none).
func firstError(log string) string {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, " ERROR ") || strings.HasPrefix(line, "Error encountered") {
			return ": " + strings.TrimSpace(line)
		}
	}
	return ""
}
