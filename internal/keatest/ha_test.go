package keatest

import (
	"encoding/json"
	"testing"
	"time"
)

// Two kea-dhcp4 as a load-balancing pair reach load-balancing, each answers
// the clients of its scope, and each holds all the pair's leases.
func TestHAPairLoadBalancing(t *testing.T) {
	t.Parallel()
	Versions(t, testHAPairLoadBalancing)
}

func testHAPairLoadBalancing(t *testing.T, v Version) {
	began := time.Now()
	h := StartHA(t, HAOptions{Kea: v, HTTP: v.AtLeast30()})
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

// On Kea 3.0 each server of the pair also answers on its own HTTP control
// socket (the HA traffic has its dedicated listener), and ha-heartbeat, which
// 3.0 classes as a write command, still answers on the UNIX socket.
func TestHAPairKea30Sockets(t *testing.T) {
	t.Parallel()
	h := StartHA(t, HAOptions{Kea: Kea30, HTTP: true})
	for i, l := range h.Servers {
		var status []struct {
			Result    int `json:"result"`
			Arguments struct {
				HA []struct {
					Servers struct {
						Local struct {
							State string `json:"state"`
						} `json:"local"`
					} `json:"ha-servers"`
				} `json:"high-availability"`
			} `json:"arguments"`
		}
		if err := json.Unmarshal(l.HTTPCommand(t, l.HTTP4URL, "status-get", nil), &status); err != nil {
			t.Fatal(err)
		}
		if len(status) != 1 || len(status[0].Arguments.HA) != 1 || status[0].Arguments.HA[0].Servers.Local.State != "load-balancing" {
			t.Errorf("%s: status-get via %s: %+v", h.Names[i], l.HTTP4URL, status)
		}
		var hb struct {
			Arguments struct {
				State string `json:"state"`
			} `json:"arguments"`
		}
		reply := l.Command(t, l.Socket4, "ha-heartbeat", nil)
		wantResult(t, reply, 0)
		if err := json.Unmarshal(reply, &hb); err != nil || hb.Arguments.State != "load-balancing" {
			t.Errorf("%s: ha-heartbeat: %v %s", h.Names[i], err, reply)
		}
	}
}
