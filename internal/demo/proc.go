package demo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one process the demo started, as recorded in the state
// directory. The demo returns while its processes keep running, so `down`
// (another process, maybe days later) finds them here. A PID alone could by
// then belong to someone else: the start time and program name from
// /proc/PID/stat, recorded at start, must still match before it is
// signalled.
type Proc struct {
	Name       string `json:"name"` // what it is in the demo ("kea-ha1", "prometheus")
	PID        int    `json:"pid"`
	Comm       string `json:"comm"`        // /proc/PID/stat's program name, as the kernel truncates it
	StartTicks uint64 `json:"start_ticks"` // /proc/PID/stat field 22: clock ticks after boot
	Log        string `json:"log"`
	// StopSignal ends it cleanly; 0 is SIGTERM. PostgreSQL's SIGTERM is a
	// "smart" shutdown that waits for every client: it gets SIGINT (fast).
	StopSignal syscall.Signal `json:"stop_signal,omitempty"`
}

// procStat reads the program name, state letter and start time of a
// process from /proc/PID/stat.
func procStat(pid int) (comm string, state byte, start uint64, err error) {
	if pid <= 0 {
		return "", 0, 0, errors.New("no pid")
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, 0, err
	}
	s := string(b)
	// "pid (comm) S f4 f5 ...": comm may hold spaces and parentheses.
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open || closing+2 >= len(s) {
		return "", 0, 0, fmt.Errorf("unparsable /proc/%d/stat", pid)
	}
	f := strings.Fields(s[closing+2:])
	if len(f) < 20 {
		return "", 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	start, err = strconv.ParseUint(f[19], 10, 64) // field 22 overall
	if err != nil {
		return "", 0, 0, fmt.Errorf("/proc/%d/stat: start time: %w", pid, err)
	}
	return s[open+1 : closing], f[0][0], start, nil
}

// Alive reports whether the recorded process still runs: same PID, same
// start time, same program, and neither a zombie nor dead.
func (p Proc) Alive() bool {
	comm, state, start, err := procStat(p.PID)
	if err != nil {
		return false
	}
	return start == p.StartTicks && comm == p.Comm && state != 'Z' && state != 'X' && state != 'x'
}

// commOf is the name the kernel shows for a program: its base name cut to
// 15 bytes (TASK_COMM_LEN).
func commOf(bin string) string {
	c := filepath.Base(bin)
	if len(c) > 15 {
		c = c[:15]
	}
	return c
}

// procs is the record of everything started, kept in order of start.
type procs struct {
	path string
	list []Proc
}

func loadProcs(path string) (*procs, error) {
	p := &procs{path: path}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &p.list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// add records a process and writes the record at once, so that a demo
// interrupted one step later still knows what to stop.
func (p *procs) add(pr Proc) error {
	p.list = append(p.list, pr)
	return p.save()
}

func (p *procs) save() error {
	b, err := json.MarshalIndent(p.list, "", "  ")
	if err != nil {
		return err
	}
	tmp := p.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p.path)
}

// launch is what starting one process needs.
type launch struct {
	Name string
	Args []string // Args[0] is the program; with NetNS it runs under `ip netns exec`
	// Comm is the program the PID ends up running (after `ip netns exec`,
	// setpriv and the like exec() it); default the base name of Args[0].
	Comm  string
	NetNS string
	Dir   string   // working directory
	Env   []string // added to the environment
	Log   string
	Stop  syscall.Signal
}

// spawn starts a process detached from the demo (its own session, stdin
// from /dev/null, output to its log), so that it outlives `ddiscope-demo
// up`, and records it. exited is closed if it ends while the demo still
// runs, which readiness waits watch.
func (s *State) spawn(l launch) (Proc, <-chan struct{}, error) {
	args := l.Args
	comm := l.Comm
	if comm == "" {
		comm = commOf(args[0])
	}
	if l.NetNS != "" {
		args = append([]string{s.ipBin, "netns", "exec", l.NetNS}, args...)
	}
	out, err := os.OpenFile(l.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, nil, err
	}
	defer out.Close()
	fmt.Fprintf(out, "---- ddiscope-demo: %s at %s ----\n", strings.Join(args, " "), time.Now().Format(time.RFC3339))
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = l.Dir
	cmd.Env = append(os.Environ(), l.Env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal signals: `down` stops it
	if err := cmd.Start(); err != nil {
		return Proc{}, nil, fmt.Errorf("starting %s (%s): %w", l.Name, args[0], err)
	}
	_, _, start, err := procStat(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return Proc{}, nil, fmt.Errorf("starting %s: %w", l.Name, err)
	}
	pr := Proc{Name: l.Name, PID: cmd.Process.Pid, Comm: comm, StartTicks: start, Log: l.Log, StopSignal: l.Stop}
	// Until `ip netns exec` or setpriv has exec()ed the program, the PID
	// shows their name; `down` would not recognise it yet.
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if c, _, _, err := procStat(pr.PID); err != nil || c == comm {
			break
		}
	}
	if err := s.procs.add(pr); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return Proc{}, nil, fmt.Errorf("recording %s: %w", l.Name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }() // reaped while we run; init reaps it after
	return pr, exited, nil
}

// stopProc ends a recorded process: its StopSignal, then SIGKILL after timeout. A
// process that is gone, or whose PID now belongs to another program, is
// left alone.
func stopProc(p Proc, timeout time.Duration) (stopped bool, err error) {
	if !p.Alive() {
		return false, nil
	}
	sig := p.StopSignal
	if sig == 0 {
		sig = syscall.SIGTERM
	}
	if err := syscall.Kill(p.PID, sig); err != nil {
		return false, fmt.Errorf("%s (pid %d): %w", p.Name, p.PID, err)
	}
	if waitGone(p, timeout) {
		return true, nil
	}
	_ = syscall.Kill(p.PID, syscall.SIGKILL)
	if waitGone(p, 5*time.Second) {
		return true, fmt.Errorf("%s (pid %d) did not stop within %s of SIGTERM; killed", p.Name, p.PID, timeout)
	}
	return true, fmt.Errorf("%s (pid %d) survived SIGKILL", p.Name, p.PID)
}

func waitGone(p Proc, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !p.Alive() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return !p.Alive()
}
