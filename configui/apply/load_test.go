package apply

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// editors is how many users change one pair at once.
const editors = 20

// startTwentySubnetPair is a real Kea 2.2 load-balancing pair with one
// top-level subnet per editor (keagen's 10.0.N.0/24, id N).
func startTwentySubnetPair(tb testing.TB) *pairFixture {
	return startPairWith(tb, keatest.HAOptions{Subnet4: [2]string{keagen.Subnet4(editors), keagen.Subnet4(editors)},
		SharedNetworks4: [2]string{"[]", "[]"}})
}

// setSecondPool sets the second pool of subnet id.
func setSecondPool(id int, rng string) EditFunc {
	return func(_ string, c Config) error {
		d, _ := c.Daemon("dhcp4")
		for _, s := range d["subnet4"].([]any) {
			if sm := s.(map[string]any); fmt.Sprint(sm["id"]) == fmt.Sprint(id) {
				sm["pools"].([]any)[1].(map[string]any)["pool"] = rng
				return nil
			}
		}
		return fmt.Errorf("subnet %d not found", id)
	}
}

// secondPools is each subnet's second pool on peer p, by subnet id.
func secondPools(tb testing.TB, a *Applier, p Peer) map[int]string {
	tb.Helper()
	pcs, err := a.Read(context.Background(), "dhcp4", []Peer{p})
	if err != nil {
		tb.Fatal(err)
	}
	d, _ := pcs[0].Config.Daemon("dhcp4")
	out := map[int]string{}
	for _, s := range d["subnet4"].([]any) {
		sm := s.(map[string]any)
		var id int
		fmt.Sscan(fmt.Sprint(sm["id"]), &id)
		out[id] = sm["pools"].([]any)[1].(map[string]any)["pool"].(string)
	}
	return out
}

// editorRun is what one editor saw.
type editorRun struct {
	took      time.Duration // from submit to result, retries included
	conflicts int           // conflicts before it applied
	err       error
}

// twentyEditors opens every editor's form at once (each reads the pair
// and keeps its subnet's base hash), then all submit together: editor i
// sets subnet i's second pool to rng(i). An editor told of a conflict
// opens the form again and resubmits, at most 3 times.
func twentyEditors(tb testing.TB, f *pairFixture, a *Applier, rng func(i int) string) []editorRun {
	tb.Helper()
	ctx := context.Background()
	pcs, err := a.Read(ctx, "dhcp4", f.peers)
	if err != nil {
		tb.Fatal(err)
	}
	base := func(sc *Scope, pcs []PeerConfig) map[string]string {
		m := map[string]string{}
		for _, pc := range pcs {
			m[pc.Peer] = sc.Hash("dhcp4", pc.Config)
		}
		return m
	}
	runs := make([]editorRun, editors)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range editors {
		id := i + 1
		sc := SubnetScope(int64(id))
		b := base(sc, pcs)
		wg.Go(func() {
			<-start
			began := time.Now()
			for try := 0; try < 4; try++ {
				_, err := a.Apply(ctx, Request{User: fmt.Sprintf("user%d", id), Server: "kea1+kea2", Daemon: "dhcp4", Peers: f.peers,
					Base: b, Scope: sc, Summary: fmt.Sprintf("subnet %d second pool", id), Edit: setSecondPool(id, rng(id))})
				var ce *ConflictError
				if errors.As(err, &ce) {
					runs[i].conflicts++
					now, rerr := a.Read(ctx, "dhcp4", f.peers)
					if rerr != nil {
						err = rerr
					} else {
						b = base(sc, now)
						continue
					}
				}
				runs[i].err = err
				break
			}
			runs[i].took = time.Since(began)
		})
	}
	close(start)
	wg.Wait()
	return runs
}

// lostUpdates counts the editors whose change is missing from a peer's
// running configuration or from its file.
func lostUpdates(tb testing.TB, f *pairFixture, a *Applier, rng func(i int) string) (lost int, missing []string) {
	tb.Helper()
	for j, p := range f.peers {
		got := secondPools(tb, a, p)
		file, err := os.ReadFile(filepath.Join(f.h.Servers[j].Dir, "kea-dhcp4.json"))
		if err != nil {
			tb.Fatal(err)
		}
		for id := 1; id <= editors; id++ {
			want := rng(id)
			if got[id] != want {
				lost++
				missing = append(missing, fmt.Sprintf("%s subnet %d runs %s, want %s", p.Name, id, got[id], want))
			}
			if !strings.Contains(string(file), `"`+want+`"`) {
				lost++
				missing = append(missing, fmt.Sprintf("%s subnet %d: %s not in its file", p.Name, id, want))
			}
		}
	}
	return lost, missing
}

// TestTwentyEditorsOneHAPair: twenty users who opened the forms of twenty
// different subnets of one real Kea 2.2 pair at the same time all submit
// at once. None is refused (their edits do not touch the same subnet),
// and at the end every change is on both peers and in both files. Two
// users changing the same subnet still conflict: the second is shown what
// changed, and applies after opening the form again.
func TestTwentyEditorsOneHAPair(t *testing.T) {
	f := startTwentySubnetPair(t)
	a := New(Options{Store: f.st, HAWait: 90 * time.Second, LockWait: 10 * time.Minute})
	ctx := context.Background()

	t.Run("DifferentSubnetsNoConflictNoLostUpdate", func(t *testing.T) {
		rng := func(id int) string { return fmt.Sprintf("10.0.%d.110-10.0.%d.219", id, id) }
		runs := twentyEditors(t, f, a, rng)
		var took []time.Duration
		for i, r := range runs {
			if r.err != nil {
				t.Errorf("editor %d: %v", i+1, r.err)
			}
			if r.conflicts > 0 {
				t.Errorf("editor %d was told of %d conflicts, editing its own subnet", i+1, r.conflicts)
			}
			took = append(took, r.took)
		}
		slices.Sort(took)
		t.Logf("20 editors: fastest %s, median %s, slowest %s", took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
		if lost, missing := lostUpdates(t, f, a, rng); lost > 0 {
			t.Fatalf("%d lost updates: %s", lost, strings.Join(missing, "; "))
		}
		cs, err := f.st.Changes(ctx, store.ChangeFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		applied := 0
		for _, c := range cs {
			if c.Status == store.ChangeApplied {
				applied++
			}
		}
		if applied != editors {
			t.Fatalf("%d applied changes in the log, want %d", applied, editors)
		}
	})

	t.Run("SameSubnetStillConflicts", func(t *testing.T) {
		sc := SubnetScope(5)
		pcs, err := a.Read(ctx, "dhcp4", f.peers)
		if err != nil {
			t.Fatal(err)
		}
		b := map[string]string{}
		for _, pc := range pcs {
			b[pc.Peer] = sc.Hash("dhcp4", pc.Config)
		}
		req := func(user, rng string) Request {
			return Request{User: user, Server: "kea1+kea2", Daemon: "dhcp4", Peers: f.peers, Base: b, Scope: sc, Summary: "subnet 5",
				Edit: setSecondPool(5, rng)}
		}
		if _, err := a.Apply(ctx, req("ann", "10.0.5.110-10.0.5.229")); err != nil {
			t.Fatal(err)
		}
		_, err = a.Apply(ctx, req("bob", "10.0.5.110-10.0.5.239"))
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Scope != "subnet 5" || len(ce.Changes) != 1 ||
			!strings.Contains(ce.Changes[0].String(), `"10.0.5.110-10.0.5.219" → "10.0.5.110-10.0.5.229"`) {
			t.Fatalf("bob, on the subnet ann just changed: %v (%+v)", err, ce)
		}
		t.Logf("bob is told: %v; changed: %s", err, ce.Changes[0])
		// bob opens the form again: now it applies.
		pcs, _ = a.Read(ctx, "dhcp4", f.peers)
		for _, pc := range pcs {
			b[pc.Peer] = sc.Hash("dhcp4", pc.Config)
		}
		if _, err := a.Apply(ctx, req("bob", "10.0.5.110-10.0.5.239")); err != nil {
			t.Fatal(err)
		}
		for _, p := range f.peers {
			if got := secondPools(t, a, p)[5]; got != "10.0.5.110-10.0.5.239" {
				t.Fatalf("%s subnet 5: %s", p.Name, got)
			}
		}
	})
}

// BenchmarkTwentyEditorsOneHAPair: per iteration, twenty users submit at
// once a change of twenty different subnets of one real Kea 2.2 pair; the
// latency each waits (submit to result: the applies are serialised by the
// pair's lock, each a config-test, config-set and HA wait per peer) and
// the lost updates (must be 0).
func BenchmarkTwentyEditorsOneHAPair(b *testing.B) {
	f := startTwentySubnetPair(b)
	a := New(Options{Store: f.st, HAWait: 3 * time.Minute, LockWait: 30 * time.Minute})
	var took []time.Duration
	lost, conflicts, failed, n := 0, 0, 0, 0
	for b.Loop() {
		n++
		end := 209 + n%2*10 // alternate the ranges so that every round changes something
		rng := func(id int) string { return fmt.Sprintf("10.0.%d.110-10.0.%d.%d", id, id, end) }
		for _, r := range twentyEditors(b, f, a, rng) {
			took = append(took, r.took)
			conflicts += r.conflicts
			if r.err != nil {
				failed++
				b.Logf("an editor failed: %v", r.err)
			}
		}
		l, missing := lostUpdates(b, f, a, rng)
		lost += l
		if l > 0 {
			b.Logf("lost: %s", strings.Join(missing, "; "))
		}
	}
	slices.Sort(took)
	pct := func(p float64) float64 { return took[min(len(took)-1, int(p*float64(len(took))))].Seconds() }
	b.ReportMetric(pct(0.50), "p50-s")
	b.ReportMetric(pct(0.99), "p99-s")
	b.ReportMetric(float64(lost), "lost-updates")
	b.ReportMetric(float64(conflicts), "conflicts")
	b.ReportMetric(float64(failed), "failed")
	if lost > 0 || failed > 0 {
		b.Fatalf("%d lost updates, %d failed editors", lost, failed)
	}
}
