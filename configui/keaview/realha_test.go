package keaview

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// TestRealHAPair reads a real Kea 2.2 load-balancing pair through each
// server's Control Agent: the pair, each side's live state and partner, and
// perfdhcp's leases on both peers, then with one peer's daemon down.
func TestRealHAPair(t *testing.T) {
	h := keatest.StartHA(t, keatest.HAOptions{ControlAgent: true})
	perf := h.Perfdhcp4(t, 10)
	if perf.Completed() != 10 {
		t.Fatalf("perfdhcp: %d of 10", perf.Completed())
	}
	v, err := New(Options{Targets: []Target{
		{Name: "kea1", Client: client(t, "kea1", h.Servers[0].CAURL)},
		{Name: "kea2", Client: client(t, "kea2", h.Servers[1].CAURL)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The partner's state is as last seen by heartbeat: wait until each
	// server has seen the other in the normal state.
	for i, l := range h.Servers {
		deadline := time.Now().Add(15 * time.Second)
		for remoteState(t, l) != h.NormalState() {
			if time.Now().After(deadline) {
				t.Fatalf("%s never saw its partner in %s", h.Names[i], h.NormalState())
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	ov := v.Overview(ctx)
	if len(ov.Pairs) != 1 || ov.Pairs[0].Mode != "load-balancing" || len(ov.Pairs[0].Members) != 2 {
		t.Fatalf("pairs: %+v", ov.Pairs)
	}
	for i, m := range ov.Pairs[0].Members {
		other := 1 - i
		if m.Server != []string{"kea1", "kea2"}[i] || m.ThisServer != h.Names[i] || m.Role != []string{"primary", "secondary"}[i] {
			t.Errorf("member %d: %+v", i, m)
		}
		if want := h.HAState(i); m.State != want {
			t.Errorf("%s state %q, status-get says %q", m.Server, m.State, want)
		}
		if m.Partner != h.Names[other] || m.PartnerTarget != []string{"kea1", "kea2"}[other] || m.PartnerState != remoteState(t, h.Servers[i]) {
			t.Errorf("%s partner %q (server %q, state %q)", m.Server, m.Partner, m.PartnerTarget, m.PartnerState)
		}
		if len(m.Peers) != 2 || m.Peers[other].Target != m.PartnerTarget || m.Peers[other].URL != h.URLs[other] {
			t.Errorf("%s peers %+v", m.Server, m.Peers)
		}
		if m.CommunicationInterrupted == nil || *m.CommunicationInterrupted {
			t.Errorf("%s: communication interrupted %v", m.Server, m.CommunicationInterrupted)
		}
	}
	rels, err := v.HA(ctx, "kea2")
	if err != nil || len(rels) != 1 || rels[0].PartnerTarget != "kea1" || rels[0].State != h.HAState(1) {
		t.Errorf("HA page of kea2: %+v %v", rels, err)
	}

	// Both peers hold every lease (HA lease updates): the search shows each
	// peer that answered.
	lease := perf.Leases[0]
	q, err := ParseLeaseQuery("ip", lease.Address)
	if err != nil {
		t.Fatal(err)
	}
	res := v.SearchLeases(ctx, q)
	if len(res.Leases) != 2 || len(res.Failures) != 0 {
		t.Fatalf("by IP on the pair: %+v", res)
	}
	for i, l := range res.Leases {
		if l.Server != []string{"kea1", "kea2"}[i] || l.HAServer != h.Names[i] || l.HWAddress != lease.Client || l.SharedNetwork != "lab-lan" {
			t.Errorf("lease from %s: %+v", l.Server, l)
		}
	}

	// server2's daemon down: its agent answers with result 1; kea1 still
	// finds the lease, and kea2's failure is listed beside it.
	h.Servers[1].Stop4(t)
	q, _ = ParseLeaseQuery("mac", lease.Client)
	res = v.SearchLeases(ctx, q)
	if len(res.Leases) != 1 || res.Leases[0].Server != "kea1" || res.Leases[0].Address != lease.Address {
		t.Errorf("by MAC with kea2 down: %+v", res.Leases)
	}
	if len(res.Failures) != 1 || res.Failures[0].Server != "kea2" || res.Failures[0].Err == nil {
		t.Errorf("failures: %+v", res.Failures)
	}
	ov = v.Overview(ctx)
	if d := ov.Servers[1].Daemons[0]; d.Up || d.Err == nil {
		t.Errorf("kea2 dhcp4 is down: %+v", d)
	}
	if d := ov.Servers[0].Daemons[0]; !d.Up || len(d.HA) != 1 || d.HA[0].State != h.HAState(0) {
		t.Errorf("kea1 dhcp4: %+v", d)
	}
}

// remoteState is status-get's remote last-state, read on the daemon's socket.
func remoteState(t *testing.T, l *keatest.Lab) string {
	t.Helper()
	var st struct {
		Arguments statusReply `json:"arguments"`
	}
	if err := json.Unmarshal(l.Command(t, l.Socket4, "status-get", nil), &st); err != nil || len(st.Arguments.HA) == 0 || st.Arguments.HA[0].Servers.Remote == nil {
		return ""
	}
	return st.Arguments.HA[0].Servers.Remote.LastState
}
