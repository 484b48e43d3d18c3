package keatest

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// A daemon is started with Pdeathsig, which the kernel sends when the thread
// that forked it ends. Threads of a test process do end (every DHCP client
// of inClientNS ends with its namespace thread), and that must not kill the
// daemons: a restart done on a thread that then ends leaves Kea running.
func TestDaemonOutlivesTheThreadThatStartedIt(t *testing.T) {
	t.Parallel()
	l := Start(t, Options{})
	l.Stop4(t)

	type result struct {
		tid int
		err error
	}
	res := make(chan result, 1)
	var r result
	for range 2 {
		go func() {
			// Never unlocked: the thread ends with this goroutine, as the
			// namespace threads of inClientNS do. The main thread is the
			// exception (the runtime parks it instead), so on it the
			// goroutine only ends, and the next one runs elsewhere.
			runtime.LockOSThread()
			if tid := syscall.Gettid(); tid == os.Getpid() {
				res <- result{tid, nil}
				return
			}
			res <- result{syscall.Gettid(), l.startSocketDaemon(l.dhcp4)}
		}()
		if r = <-res; r.tid != os.Getpid() {
			break
		}
	}
	if r.tid == os.Getpid() {
		t.Fatal("no goroutine got a thread other than the main one")
	}
	if r.err != nil {
		t.Fatalf("restart kea-dhcp4: %v", r.err)
	}
	task := fmt.Sprintf("/proc/self/task/%d", r.tid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still exists 5s after its locked goroutine ended", r.tid)
		}
	}
	// The death signal, if any, went out as the thread ended; SIGKILL is
	// reaped at once, so a short wait is plenty.
	if l.dhcp4.waitExit(500 * time.Millisecond) {
		t.Fatalf("kea-dhcp4 died when the thread that started it ended: %v", l.dhcp4.exitErr())
	}
	if _, err := l.TryCommand(l.Socket4, "version-get", nil); err != nil {
		t.Fatalf("kea-dhcp4 after its starting thread ended: %v", err)
	}
}
