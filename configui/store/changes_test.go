package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/pgtest"
)

func TestChangeLock(t *testing.T) {
	pg := pgtest.Start(t)
	s := open(t, pg.NewDatabase(t), fast)
	ctx := context.Background()
	l, err := s.Lock(ctx, "dhcp4:kea1+kea2")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(ctx); err != nil {
		t.Fatalf("held lock not seen: %v", err)
	}
	// A second editor waits, and gives up at its deadline.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = s.Lock(wctx, "dhcp4:kea1+kea2")
	cancel()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	// Another pair is not blocked.
	other, err := s.Lock(ctx, "dhcp4:kea3")
	if err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	got := make(chan error, 1)
	go func() {
		l2, err := s.Lock(ctx, "dhcp4:kea1+kea2")
		if err == nil {
			l2.Unlock()
		}
		got <- err
	}()
	time.Sleep(100 * time.Millisecond)
	l.Unlock()
	l.Unlock() // twice is harmless
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting editor did not get the lock after Unlock")
	}

	// A dead database: the holder's Check fails; locking fails fast.
	l3, err := s.Lock(ctx, "dhcp4:kea1+kea2")
	if err != nil {
		t.Fatal(err)
	}
	pg.Stop(t)
	if err := l3.Check(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("check with the database stopped: %v", err)
	}
	l3.Unlock()
	if _, err := s.Lock(ctx, "x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lock with the database stopped: %v", err)
	}
}

func TestChanges(t *testing.T) {
	pg := pgtest.Start(t)
	s := open(t, pg.NewDatabase(t), fast)
	ctx := context.Background()
	id, err := s.StartChange(ctx, Change{Username: "ann", Server: "kea1+kea2", Daemon: "dhcp4", Peers: []string{"kea1", "kea2"}, Summary: "extend pool", Diff: "~ a: 1 → 2\n"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Change(ctx, id)
	if err != nil || c.Status != ChangeRunning || c.FinishedAt != nil || len(c.Peers) != 2 {
		t.Fatalf("running change: %+v %v", c, err)
	}
	steps := []Step{{At: time.Now(), Peer: "kea1", Command: "config-set", OK: true, Text: "Configuration successful."}}
	if err := s.FinishChange(ctx, id, ChangeApplied, c.Diff, "", steps); err != nil {
		t.Fatal(err)
	}
	c, err = s.Change(ctx, id)
	if err != nil || c.Status != ChangeApplied || c.FinishedAt == nil || len(c.Steps) != 1 || c.Steps[0].Text != "Configuration successful." {
		t.Fatalf("finished change: %+v %v", c, err)
	}
	if err := s.FinishChange(ctx, id, "bogus", "", "", nil); err == nil {
		t.Fatal("unknown status stored")
	}
	if _, err := s.Change(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing change: %v", err)
	}
}
