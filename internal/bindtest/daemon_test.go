package bindtest

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// named is started with Pdeathsig, which the kernel sends when the thread
// that forked it ends. A restart done on a thread that then ends (a
// goroutine that exits locked, as keatest's namespace clients do) must leave
// named running.
func TestNamedOutlivesTheThreadThatStartedIt(t *testing.T) {
	lab := Start(t, Options{})
	lab.Primary.Kill(t)

	type result struct {
		tid int
		err error
	}
	res := make(chan result, 1)
	var r result
	for range 2 {
		go func() {
			// Never unlocked, so the thread ends with the goroutine; the
			// main thread is parked instead, so on it nothing is started.
			runtime.LockOSThread()
			if tid := syscall.Gettid(); tid == os.Getpid() {
				res <- result{tid, nil}
				return
			}
			res <- result{syscall.Gettid(), lab.Primary.launch()}
		}()
		if r = <-res; r.tid != os.Getpid() {
			break
		}
	}
	if r.tid == os.Getpid() {
		t.Fatal("no goroutine got a thread other than the main one")
	}
	if r.err != nil {
		t.Fatalf("restart named: %v", r.err)
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
	time.Sleep(500 * time.Millisecond) // a SIGKILL sent as the thread ended is reaped by now
	if done, err := lab.Primary.proc.exited(); done {
		t.Fatalf("named died when the thread that started it ended: %v", err)
	}
	lab.Primary.waitLoaded(t)
}
