package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// pairFixture is a real Kea 2.2 load-balancing pair, reached on its UNIX
// sockets, with a throwaway PostgreSQL for the lock and the audit trail.
type pairFixture struct {
	h     *keatest.HAPair
	pg    *pgtest.Server
	st    *store.Store
	peers []Peer
}

func startPair(t *testing.T) *pairFixture { return startPairWith(t, keatest.HAOptions{}) }

func startPairWith(t testing.TB, opts keatest.HAOptions) *pairFixture {
	t.Helper()
	f := &pairFixture{pg: pgtest.Start(t)}
	f.h = keatest.StartHA(t, opts)
	st, err := store.Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), f.pg.NewDatabase(t), 4,
		store.Settings{RetryOnStartup: false, OnFail: "serve-retry-continue", ReconnectWaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f.st = st
	for i, l := range f.h.Servers {
		c, err := keactl.New(keactl.Options{Name: fmt.Sprintf("kea%d", i+1), URL: "unix://" + l.Socket4, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		f.peers = append(f.peers, Peer{Name: fmt.Sprintf("kea%d", i+1), Client: c})
	}
	return f
}

// hashes reads both peers' configuration hashes.
func (f *pairFixture) hashes(t testing.TB, a *Applier) map[string]string {
	t.Helper()
	pcs, err := a.Read(context.Background(), "dhcp4", f.peers)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, pc := range pcs {
		m[pc.Peer] = pc.Hash
	}
	return m
}

// setPool sets the range of pool index of subnet 3 (198.18.2.0/24, a
// top-level subnet of the pair).
func setPool(index int, rng string) EditFunc {
	return func(_ string, c Config) error {
		d, _ := c.Daemon("dhcp4")
		for _, s := range d["subnet4"].([]any) {
			sm := s.(map[string]any)
			if sm["subnet"] == "198.18.2.0/24" {
				sm["pools"].([]any)[index].(map[string]any)["pool"] = rng
				return nil
			}
		}
		return errors.New("subnet 3 not found")
	}
}

// poolsOf reads subnet 3's pool ranges from a peer's config-get.
func poolsOf(t *testing.T, p Peer) []string {
	t.Helper()
	resp, err := p.Client.Call(context.Background(), "config-get", p.Service, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(resp.Arguments)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := c.Daemon("dhcp4")
	for _, s := range d["subnet4"].([]any) {
		sm := s.(map[string]any)
		if sm["subnet"] == "198.18.2.0/24" {
			var out []string
			for _, p := range sm["pools"].([]any) {
				out = append(out, p.(map[string]any)["pool"].(string))
			}
			return out
		}
	}
	t.Fatal("subnet 3 not found")
	return nil
}

func (f *pairFixture) request(a *Applier, t *testing.T, edit EditFunc) Request {
	return Request{User: "ann", RemoteAddr: "127.0.0.1", Server: "kea1+kea2", Daemon: "dhcp4", Peers: f.peers,
		Base: f.hashes(t, a), Summary: "test", Edit: edit}
}

// watchServing polls status-get on both peers every 200 ms until stop is
// closed, and returns the samples in which no peer was serving.
func (f *pairFixture) watchServing(stop <-chan struct{}) func() (samples int, gaps []string) {
	var mu sync.Mutex
	var n int
	var gaps []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 3000; i++ { // bounded: 10 minutes
			var states [2]string
			var wg sync.WaitGroup
			for j := range states {
				wg.Go(func() { states[j] = f.h.HAState(j) })
			}
			wg.Wait()
			mu.Lock()
			n++
			if !(states[0] != "" && Serving(states[0])) && !(states[1] != "" && Serving(states[1])) {
				gaps = append(gaps, fmt.Sprintf("%s: %q %q", time.Now().Format("15:04:05.000"), states[0], states[1]))
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() (int, []string) {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return n, gaps
	}
}

func TestRealHAPairApply(t *testing.T) {
	f := startPair(t)
	ctx := context.Background()
	a := New(Options{Store: f.st, HAWait: 90 * time.Second})

	t.Run("PoolExtensionReachesBothPeersAndDisk", func(t *testing.T) {
		req := f.request(a, t, setPool(1, "198.18.2.15-198.18.2.29"))
		stop := make(chan struct{})
		wait := f.watchServing(stop)
		res, err := a.Apply(ctx, req)
		close(stop)
		samples, gaps := wait()
		if err != nil {
			t.Fatalf("apply: %v\nsteps: %+v", err, res)
		}
		if res.Status != store.ChangeApplied || !strings.Contains(res.Diff, `"198.18.2.15-198.18.2.19" → "198.18.2.15-198.18.2.29"`) {
			t.Fatalf("result %s, diff:\n%s", res.Status, res.Diff)
		}
		if samples < 10 || len(gaps) > 0 {
			t.Fatalf("status-get every 200 ms: %d samples, %d with no peer serving: %v", samples, len(gaps), gaps)
		}
		t.Logf("apply took %s over %d samples; steps:", res.Steps[len(res.Steps)-1].At.Sub(res.Steps[0].At), samples)
		for _, s := range res.Steps {
			t.Logf("  %s %s ok=%v %s (%s)", s.Peer, s.Command, s.OK, s.Text, s.Took)
		}
		for _, p := range f.peers {
			if got := poolsOf(t, p); len(got) != 2 || got[1] != "198.18.2.15-198.18.2.29" {
				t.Fatalf("%s pools after apply: %v", p.Name, got)
			}
		}
		// Written to disk: a restart keeps it.
		f.h.Servers[0].Stop4(t)
		f.h.Servers[0].Start4(t)
		f.h.WaitState(t, 0, f.h.NormalState(), 60*time.Second)
		f.h.WaitState(t, 1, f.h.NormalState(), 60*time.Second)
		if got := poolsOf(t, f.peers[0]); got[1] != "198.18.2.15-198.18.2.29" {
			t.Fatalf("after a restart kea1 has pools %v", got)
		}
		// The audit trail holds the user, the diff and every peer's steps.
		cs, err := f.st.Changes(ctx, store.ChangeFilter{})
		if err != nil || len(cs) != 1 {
			t.Fatalf("changes: %+v %v", cs, err)
		}
		c := cs[0]
		if c.Username != "ann" || c.Status != store.ChangeApplied || c.Diff != res.Diff || c.FinishedAt == nil {
			t.Fatalf("audit row: %+v", c)
		}
		for _, p := range []string{"kea1", "kea2"} {
			var cmds []string
			for _, s := range c.Steps {
				if s.Peer == p {
					cmds = append(cmds, s.Command)
				}
			}
			if got := strings.Join(cmds, ","); got != "config-test,config-set,status-get (wait for HA),config-write,config-get (verify)" {
				t.Errorf("%s steps: %s", p, got)
			}
		}
	})

	t.Run("ConfigTestFailsNothingApplied", func(t *testing.T) {
		before := f.hashes(t, a)
		req := f.request(a, t, setPool(0, "198.18.9.10-198.18.9.14")) // outside 198.18.2.0/24: Kea refuses
		res, err := a.Apply(ctx, req)
		var se *StepError
		if !errors.As(err, &se) || se.Command != "config-test" || !strings.Contains(se.Text, "198.18.9.10") {
			t.Fatalf("want Kea's config-test message, got %v", err)
		}
		if res.Status != store.ChangeFailed {
			t.Fatalf("status %s", res.Status)
		}
		if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatal("a failed config-test changed a peer")
		}
		for _, s := range res.Steps {
			if s.Command == "config-set" {
				t.Fatalf("config-set sent after a failed config-test: %+v", s)
			}
		}
		c, err := f.st.Change(ctx, res.ChangeID)
		if err != nil || c.Status != store.ChangeFailed || !strings.Contains(c.Error, "198.18.9.10") {
			t.Fatalf("audit row: %+v %v", c, err)
		}
	})

	t.Run("ConcurrentAppliesSecondGetsConflict", func(t *testing.T) {
		base := f.hashes(t, a)
		edits := []EditFunc{setPool(0, "198.18.2.5-198.18.2.14"), setPool(0, "198.18.2.8-198.18.2.14")}
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range edits {
			wg.Go(func() {
				req := f.request(a, t, edits[i])
				req.Base = base
				_, results[i] = a.Apply(ctx, req)
			})
		}
		wg.Wait()
		won := -1
		for i, err := range results {
			if err == nil {
				won = i
			}
		}
		if won < 0 {
			t.Fatalf("neither apply succeeded: %v", results)
		}
		var ce *ConflictError
		if !errors.As(results[1-won], &ce) || len(ce.Changes) != 1 || !strings.Contains(ce.Changes[0].String(), "198.18.2.10-198.18.2.14") {
			t.Fatalf("the loser got %v (changes %+v)", results[1-won], ce)
		}
		want := []string{"198.18.2.5-198.18.2.14", "198.18.2.8-198.18.2.14"}[won]
		for _, p := range f.peers {
			if got := poolsOf(t, p); got[0] != want {
				t.Fatalf("%s pool 0 is %s, the winner set %s", p.Name, got[0], want)
			}
		}
		cs, _ := f.st.Changes(ctx, store.ChangeFilter{Limit: 2})
		if len(cs) != 2 || cs[0].Status != store.ChangeConflict && cs[1].Status != store.ChangeConflict {
			t.Fatalf("audit has no conflict row: %+v", cs)
		}
	})

	t.Run("SecondPeerFailsFirstRolledBack", func(t *testing.T) {
		before := f.hashes(t, a)
		// A real failure of kea2's config-write: its configuration file
		// is replaced by a directory, which Kea cannot open for writing.
		cfg := filepath.Join(f.h.Servers[1].Dir, "kea-dhcp4.json")
		orig, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(cfg, cfg+".saved"); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		defer func() {
			os.Remove(cfg)
			os.Rename(cfg+".saved", cfg)
		}()
		req := f.request(a, t, setPool(1, "198.18.2.15-198.18.2.39"))
		res, err := a.Apply(ctx, req)
		var rb *RollbackError
		if !errors.As(err, &rb) || len(rb.Failed) > 0 || strings.Join(rb.RolledBack, ",") != "kea1,kea2" {
			t.Fatalf("want kea1 and kea2 rolled back, got %v", err)
		}
		var se *StepError
		if !errors.As(err, &se) || se.Peer != "kea2" || se.Command != "config-write" {
			t.Fatalf("want kea2's config-write named, got %v", err)
		}
		if res.Status != store.ChangeRolledBack || !strings.Contains(err.Error(), "rolled back kea1, kea2") {
			t.Fatalf("status %s, error %v", res.Status, err)
		}
		after := f.hashes(t, a)
		if after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatalf("hashes before %v, after the rollback %v", before, after)
		}
		// kea1's file was rewritten with the old configuration too.
		b, err := os.ReadFile(filepath.Join(f.h.Servers[0].Dir, "kea-dhcp4.json"))
		if err != nil || strings.Contains(string(b), "198.18.2.15-198.18.2.39") {
			t.Fatalf("kea1's file still holds the rolled-back pool (%v)", err)
		}
		_ = orig
		c, err := f.st.Change(ctx, res.ChangeID)
		if err != nil || c.Status != store.ChangeRolledBack || !strings.Contains(c.Error, "config-write on kea2") {
			t.Fatalf("audit row: %+v %v", c, err)
		}
	})

	t.Run("SecondPeerDiskFullRolledBack", func(t *testing.T) {
		before := f.hashes(t, a)
		undo := fillDisk(t, f.h.Servers[1])
		defer undo()
		res, err := a.Apply(ctx, f.request(a, t, setPool(1, "198.18.2.15-198.18.2.45")))
		for _, s := range res.Steps {
			t.Logf("  %s %s ok=%v %s (%s)", s.Peer, s.Command, s.OK, s.Text, s.Took)
		}
		var rb *RollbackError
		if !errors.As(err, &rb) || len(rb.Failed) > 0 || strings.Join(rb.RolledBack, ",") != "kea1,kea2" {
			t.Fatalf("want kea1 and kea2 rolled back, got %v", err)
		}
		var se *StepError
		if !errors.As(err, &se) || se.Peer != "kea2" || se.Command != "config-write" {
			t.Fatalf("want kea2's config-write named, got %v", err)
		}
		t.Logf("the user is told: %v", err)
		if !strings.Contains(se.Text, "Configuration written to") || !strings.Contains(se.Text, `"size": -1`) {
			t.Fatalf("Kea's own answer is not shown: %s", se.Text)
		}
		if res.Status != store.ChangeRolledBack || strings.Join(rb.Unwritten, ",") != "kea2" {
			t.Fatalf("status %s, unwritten %v", res.Status, rb.Unwritten)
		}
		if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatalf("hashes before %v, after the rollback %v", before, after)
		}
		c, err := f.st.Change(ctx, res.ChangeID)
		if err != nil || c.Status != store.ChangeRolledBack || !strings.Contains(c.Error, "config-write on kea2") || !strings.Contains(c.Error, se.Text) {
			t.Fatalf("audit row: %+v %v", c, err)
		}
	})

	t.Run("DatabaseStoppedRefused", func(t *testing.T) {
		before := f.hashes(t, a)
		req := f.request(a, t, setPool(1, "198.18.2.15-198.18.2.49"))
		f.pg.Stop(t)
		defer f.pg.Restart(t)
		_, err := a.Apply(ctx, req)
		if !errors.Is(err, ErrRefused) || !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("want a refusal naming the database, got %v", err)
		}
		t.Logf("refused: %v", err)
		if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
			t.Fatal("a peer changed while the database was away")
		}
	})
}

// TestRealHAPairPeerStoppedMidApply stops kea2 right after kea1 took the
// new configuration: kea1 never gets back to load-balancing with its
// partner, so the apply gives up after HAWait and puts kea1 back.
func TestRealHAPairPeerStoppedMidApply(t *testing.T) {
	f := startPair(t)
	ctx := context.Background()
	a := New(Options{Store: f.st, HAWait: 10 * time.Second})
	before := f.hashes(t, a)
	a.opts.AfterSet = func(i int) {
		if i == 0 {
			f.h.Servers[1].Stop4(t)
		}
	}
	req := f.request(a, t, setPool(1, "198.18.2.15-198.18.2.39"))
	res, err := a.Apply(ctx, req)
	var rb *RollbackError
	if !errors.As(err, &rb) || strings.Join(rb.RolledBack, ",") != "kea1" || len(rb.Failed) > 0 {
		t.Fatalf("want kea1 rolled back, got %v", err)
	}
	if res.Status != store.ChangeRolledBack {
		t.Fatalf("status %s", res.Status)
	}
	for _, s := range res.Steps {
		t.Logf("  %s %s ok=%v %s (%s)", s.Peer, s.Command, s.OK, s.Text, s.Took)
		if s.Peer == "kea2" && s.Command == "config-set" {
			t.Fatal("config-set sent to the stopped kea2")
		}
	}
	// With kea2 still down, a new change is refused before anything is
	// sent, and the refusal is in the change log.
	a.opts.AfterSet = nil
	_, err = a.Apply(ctx, Request{User: "ann", Server: "kea1+kea2", Daemon: "dhcp4", Peers: f.peers, Edit: setPool(1, "198.18.2.15-198.18.2.29")})
	var se *StepError
	if !errors.As(err, &se) || se.Peer != "kea2" || se.Command != "config-get" {
		t.Fatalf("a change with kea2 down: %v", err)
	}
	if cs, err := f.st.Changes(ctx, store.ChangeFilter{Limit: 1}); err != nil || cs[0].Status != store.ChangeFailed || !strings.Contains(cs[0].Error, "kea2") {
		t.Fatalf("the refusal is not recorded: %+v %v", cs, err)
	}
	f.h.Servers[1].Start4(t)
	f.h.WaitState(t, 0, f.h.NormalState(), 60*time.Second)
	f.h.WaitState(t, 1, f.h.NormalState(), 60*time.Second)
	if after := f.hashes(t, a); after["kea1"] != before["kea1"] || after["kea2"] != before["kea2"] {
		t.Fatalf("hashes before %v, after %v", before, after)
	}
}
