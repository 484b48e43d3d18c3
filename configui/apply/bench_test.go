package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keagen"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
	"github.com/ddiscope/ddiscope/internal/procstat"
)

// gen10k is keagen's 10,000-subnet config-get as a Config.
func gen10k(b *testing.B) Config {
	var reply []struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(keagen.ConfigGet4(10000), &reply); err != nil {
		b.Fatal(err)
	}
	c, err := ParseConfig(reply[0].Arguments)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkDiff10k is the diff of a 10,000-subnet configuration after one
// pool changed: what the preview and the audit trail cost.
func BenchmarkDiff10k(b *testing.B) {
	old := gen10k(b)
	edited := old.Clone()
	d, _ := edited.Daemon("dhcp4")
	s := d["subnet4"].([]any)[5000].(map[string]any)
	s["pools"].([]any)[0].(map[string]any)["pool"] = "10.23.111.10-10.23.111.9x"
	b.ReportAllocs()
	for b.Loop() {
		if e := DiffConfigs(old, edited); len(e) != 1 {
			b.Fatalf("%d edits", len(e))
		}
	}
}

// BenchmarkHash10k is the configuration hash of 10,000 subnets (every
// form's base, read again under the lock).
func BenchmarkHash10k(b *testing.B) {
	c := gen10k(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = c.Hash()
	}
}

// BenchmarkApply10kHAPair applies a one-pool change to a real Kea 2.2
// load-balancing pair with 10,000 subnets each, over their UNIX sockets:
// the whole pipeline (lock, config-get and status-get of both, config-test
// of both, config-set one at a time with the HA wait, config-write and the
// read-back), wall time and each peer's CPU per apply.
func BenchmarkApply10kHAPair(b *testing.B) {
	pg := pgtest.Start(b)
	h := keatest.StartHA(b, keatest.HAOptions{Subnet4: [2]string{keagen.Subnet4(10000), keagen.Subnet4(10000)},
		SharedNetworks4: [2]string{"[]", "[]"}})
	st, err := store.Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), pg.NewDatabase(b), 4,
		store.Settings{RetryOnStartup: false, OnFail: "serve-retry-continue", ReconnectWaitTime: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var peers []Peer
	for i, l := range h.Servers {
		c, err := keactl.New(keactl.Options{Name: fmt.Sprintf("kea%d", i+1), URL: "unix://" + l.Socket4, Timeout: 2 * time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		peers = append(peers, Peer{Name: fmt.Sprintf("kea%d", i+1), Client: c})
	}
	a := New(Options{Store: st, HAWait: 3 * time.Minute})
	ctx := context.Background()
	cpu := func() [2]float64 {
		var out [2]float64
		for i, l := range h.Servers {
			v, err := procstat.CPUSeconds(l.Pid("dhcp4"))
			if err != nil {
				b.Fatal(err)
			}
			out[i] = v
		}
		return out
	}
	ranges := []string{"10.19.136.10-10.19.136.99", "10.19.136.10-10.19.136.109"} // subnet 5000's first pool
	before := cpu()
	n := 0
	var last *Result
	for b.Loop() {
		rng := ranges[n%2]
		res, err := a.Apply(ctx, Request{User: "bench", Server: "kea1+kea2", Daemon: "dhcp4", Peers: peers, Summary: "bench",
			Edit: func(_ string, c Config) error {
				d, _ := c.Daemon("dhcp4")
				for _, s := range d["subnet4"].([]any) {
					if sm := s.(map[string]any); fmt.Sprint(sm["id"]) == "5000" {
						sm["pools"].([]any)[0].(map[string]any)["pool"] = rng
						return nil
					}
				}
				return fmt.Errorf("subnet 5000 not found")
			}})
		if err != nil {
			b.Fatal(err)
		}
		last = res
		n++
	}
	for _, s := range last.Steps {
		b.Logf("%s %s: %s", s.Peer, s.Command, s.Took)
	}
	after := cpu()
	b.ReportMetric((after[0]-before[0])/float64(n), "kea1-cpu-s/op")
	b.ReportMetric((after[1]-before[1])/float64(n), "kea2-cpu-s/op")
}
