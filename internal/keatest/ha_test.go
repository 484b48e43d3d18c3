package keatest

import (
	"testing"
	"time"
)

// Two kea-dhcp4 as a load-balancing pair reach load-balancing, each answers
// the clients of its scope, and each holds all the pair's leases.
func TestHAPairLoadBalancing(t *testing.T) {
	t.Parallel()
	began := time.Now()
	h := StartHA(t, HAOptions{})
	t.Logf("StartHA to load-balancing: %s", time.Since(began).Round(time.Millisecond))
	if r := h.Perfdhcp4(t, 10); r.Completed() != 10 {
		t.Fatalf("DORA through the pair: %d of 10 completed:\n%s", r.Completed(), r.Output)
	}
	var acks [2]int64
	for i, l := range h.Servers {
		acks[i] = stat(t, l, l.Socket4, "pkt4-ack-sent")
		// Lease updates give each peer the other's leases.
		if got := stat(t, l, l.Socket4, "subnet[1].assigned-addresses") + stat(t, l, l.Socket4, "subnet[2].assigned-addresses"); got != 10 {
			t.Errorf("%s: %d leases assigned in subnets 1 and 2, want all 10 of the pair", h.Names[i], got)
		}
	}
	if acks[0] == 0 || acks[1] == 0 || acks[0]+acks[1] < 10 {
		t.Errorf("ACKs sent: server1 %d, server2 %d; want both to serve their scope", acks[0], acks[1])
	}
}
