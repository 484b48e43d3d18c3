package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestRealHAPairDatabaseKilledMidApply SIGKILLs the editor's PostgreSQL
// while an apply is between the two peers of a real Kea 2.2 pair (right
// after kea1's config-set), and again after kea2's. The advisory lock
// dies with PostgreSQL's session.
//
//   - Killed between the peers: the lock is found lost before kea2, so
//     kea2 is never touched and kea1 is put back: both hash as before. The
//     caller is told it was rolled back and that the change log could not
//     take it yet. The row stays "running" (truthfully in doubt), and
//     another editor is refused on that pair once PostgreSQL is back, until
//     the first editor records the outcome; then it can apply.
//   - Killed after the last peer's config-set: both peers took and wrote
//     the change and read it back (the proof), so it stands as applied and
//     is recorded as applied when PostgreSQL is back.
func TestRealHAPairDatabaseKilledMidApply(t *testing.T) {
	f := startPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go f.st.Run(ctx, func(err error) { t.Errorf("store gave up: %v", err) })
	a := New(Options{Store: f.st, HAWait: 90 * time.Second})
	other := New(Options{Store: f.st, HAWait: 90 * time.Second, LockWait: 20 * time.Second}) // a second editor on the same database
	waitUp := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !f.st.Up() {
			if time.Now().After(deadline) {
				t.Fatal("the store did not reconnect within 30 s of the restart")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	t.Run("BetweenPeersBothBackAndPairRefusedUntilRecorded", func(t *testing.T) {
		before := f.hashes(t, a)
		a.opts.AfterSet = func(i int) {
			if i == 0 {
				f.pg.Kill(t)
			}
		}
		defer func() { a.opts.AfterSet = nil }()
		req := f.request(a, t, setPool(1, "198.18.2.15-198.18.2.39"))
		res, err := a.Apply(ctx, req)
		t.Logf("the user is told: %v", err)
		var rb *RollbackError
		if !errors.As(err, &rb) || strings.Join(rb.RolledBack, ",") != "kea1" || len(rb.Failed) > 0 {
			t.Fatalf("want kea1 rolled back, got %v", err)
		}
		if !strings.Contains(err.Error(), "lock was lost before kea2") || !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("the error does not say the lock (the database) was lost: %v", err)
		}
		if !errors.Is(err, ErrNotRecorded) || !strings.Contains(err.Error(), fmt.Sprintf("change #%d (rolled-back) could not be recorded", res.ChangeID)) {
			t.Fatalf("the error does not say the change log could not record it: %v", err)
		}
		if res.Status != store.ChangeRolledBack {
			t.Fatalf("status %s", res.Status)
		}
		for _, s := range res.Steps {
			if s.Peer == "kea2" && (s.Command == "config-set" || s.Command == "config-write") {
				t.Fatalf("kea2 was changed after the lock was lost: %+v", s)
			}
		}
		if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatalf("half-applied: hashes before %v, after %v", before, after)
		}
		if got := a.Unrecorded(); !slices.Equal(got, []int64{res.ChangeID}) {
			t.Fatalf("kept outcomes %v, want [%d]", got, res.ChangeID)
		}

		// While PostgreSQL is down nobody can start a change.
		if _, err := other.Apply(ctx, f.request(other, t, setPool(1, "198.18.2.15-198.18.2.29"))); !errors.Is(err, ErrRefused) || !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("a change while the database is down: %v", err)
		}

		f.pg.Restart(t)
		waitUp()
		// The row says running: the change log does not pretend to know.
		if c, err := f.st.Change(ctx, res.ChangeID); err != nil || c.Status != store.ChangeRunning {
			t.Fatalf("row %d after the restart: %+v %v", res.ChangeID, c, err)
		}
		// Another editor is refused while the outcome is not recorded.
		_, err = other.Apply(ctx, f.request(other, t, setPool(1, "198.18.2.15-198.18.2.29")))
		var de *InDoubtError
		if !errors.As(err, &de) || de.Change.ID != res.ChangeID || !errors.Is(err, ErrRefused) {
			t.Fatalf("another editor while change %d is in doubt: %v", res.ChangeID, err)
		}
		t.Logf("the other editor is told: %v", err)
		if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatal("a refused change touched a peer")
		}

		// The first editor records it as soon as the database takes it.
		rctx, rcancel := context.WithCancel(ctx)
		go a.Run(rctx, 100*time.Millisecond)
		began := time.Now()
		deadline := began.Add(20 * time.Second)
		for len(a.Unrecorded()) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the kept outcome was not recorded within 20 s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		rcancel()
		t.Logf("the kept outcome was recorded %s after Run started (period 100 ms)", time.Since(began).Round(time.Millisecond))
		c, err := f.st.Change(ctx, res.ChangeID)
		if err != nil || c.Status != store.ChangeRolledBack || c.FinishedAt == nil || !strings.Contains(c.Error, "lock was lost before kea2") {
			t.Fatalf("recorded row: %+v %v", c, err)
		}
		var cmds []string
		for _, s := range c.Steps {
			cmds = append(cmds, s.Peer+" "+s.Command)
		}
		if got := strings.Join(cmds, ","); !strings.Contains(got, "kea1 config-set,") || !strings.Contains(got, "kea1 config-get (rollback)") {
			t.Fatalf("recorded steps: %s", got)
		}

		// Now the other editor's change goes through, to both peers.
		res2, err := other.Apply(ctx, f.request(other, t, setPool(1, "198.18.2.15-198.18.2.29")))
		if err != nil || res2.Status != store.ChangeApplied {
			t.Fatalf("after the outcome was recorded: %v", err)
		}
		for _, p := range f.peers {
			if got := poolsOf(t, p); got[1] != "198.18.2.15-198.18.2.29" {
				t.Fatalf("%s pools %v", p.Name, got)
			}
		}
	})

	t.Run("AfterLastPeerAppliedAndRecordedLater", func(t *testing.T) {
		a.opts.AfterSet = func(i int) {
			if i == 1 {
				f.pg.Kill(t)
			}
		}
		defer func() { a.opts.AfterSet = nil }()
		res, err := a.Apply(ctx, f.request(a, t, setPool(1, "198.18.2.15-198.18.2.35")))
		if res == nil || res.Status != store.ChangeApplied || !errors.Is(err, ErrNotRecorded) {
			t.Fatalf("want applied and not recorded yet, got %+v %v", res, err)
		}
		for _, p := range f.peers {
			if got := poolsOf(t, p); got[1] != "198.18.2.15-198.18.2.35" {
				t.Fatalf("%s pools %v", p.Name, got)
			}
		}
		f.pg.Restart(t)
		waitUp()
		if err := a.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err := f.st.Change(ctx, res.ChangeID); err != nil || c.Status != store.ChangeApplied || c.FinishedAt == nil {
			t.Fatalf("recorded row: %+v %v", c, err)
		}
	})
}

// fillDisk puts the configuration file of lab l's kea-dhcp4 on a tmpfs
// of a few pages and fills the tmpfs: Kea's config-write then runs out of
// space (ENOSPC) for real. The mounts are made in the daemon's own mount
// namespace (the one `ip netns exec` made for it: the host's mounts are
// untouched), or, for a daemon sharing the test's, in that one and
// unmounted in cleanup. The returned func unmounts both.
func fillDisk(t *testing.T, l *keatest.Lab) func() {
	t.Helper()
	pid := l.Pid("dhcp4")
	if pid == 0 {
		t.Fatal("kea-dhcp4 is not running")
	}
	// A daemon run without `ip netns exec` (keatest's single Kea 3.0 lab)
	// shares the test's mount namespace, the host's: the mounts are made
	// there, and unmounted in cleanup even when the test fails.
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	kea, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid))
	if err1 != nil || err2 != nil {
		t.Fatalf("mount namespaces: %v %v", err1, err2)
	}
	shared := self == kea
	cfg := filepath.Join(l.Dir, "kea-dhcp4.json")
	tiny := filepath.Join(l.Dir, "tiny")
	if err := os.MkdirAll(tiny, 0o755); err != nil {
		t.Fatal(err)
	}
	ns := func(script string) string {
		out, err := exec.Command("nsenter", "-t", fmt.Sprint(pid), "-m", "sh", "-ec", script).CombinedOutput()
		if err != nil {
			t.Fatalf("nsenter into kea-dhcp4's mount namespace: %v: %s", err, out)
		}
		return string(out)
	}
	ns(fmt.Sprintf(`mount -t tmpfs -o size=16k ddiscope-tiny %[1]s
cp %[2]s %[1]s/kea-dhcp4.json
mount --bind %[1]s/kea-dhcp4.json %[2]s
dd if=/dev/zero of=%[1]s/fill bs=4096 2>/dev/null || true
: > %[2]s
dd if=/dev/zero of=%[1]s/fill2 bs=4096 2>/dev/null || true
dd if=/dev/zero of=%[1]s/fill3 bs=1 2>/dev/null || true`, tiny, cfg))
	var once sync.Once
	undo := func() {
		once.Do(func() { ns(fmt.Sprintf("umount %s || umount -l %s; umount %s || umount -l %s", cfg, cfg, tiny, tiny)) })
	}
	if shared {
		t.Cleanup(undo)
	}
	t.Logf("kea-dhcp4 %d sees (own mount namespace: %v): %s", pid, !shared, strings.TrimSpace(ns("df -k "+tiny+" | tail -1")))
	return undo
}
