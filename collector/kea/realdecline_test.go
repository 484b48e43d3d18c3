package kea

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
)

// Real DHCPDECLINEs into a real Kea (2.2 and 3.0.4 alike): Kea keeps counting a declined
// lease in assigned-addresses, while stat-lease4-get's assigned column
// leaves it out, so the plain difference of the two equals the declines
// although nothing drifted. The drift metric adds the lease database's
// declined count back and stays 0; a statistic-reset of the subnet's
// assigned-addresses, a real drift, makes it non-zero.
func TestRealDeclinesAreNotDrift(t *testing.T) {
	t.Parallel()
	keatest.Versions(t, testRealDeclinesAreNotDrift)
}

func testRealDeclinesAreNotDrift(t *testing.T, v keatest.Version) {
	lab := keatest.Start(t, keatest.Options{Traffic: true, Kea: v})
	mac := func(i int) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0xde, byte(i)} }
	var declined []string
	for i := range 4 {
		if i%2 == 0 {
			lab.Lease4(t, keatest.RelayAddr4, mac(i))
			continue
		}
		l := lab.Decline4(t, keatest.RelayAddr4, mac(i))
		declined = append(declined, l.Addr.String())
	}
	// Kea answers no DECLINE; its statistic says it took them.
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := lab.Statistic(t, lab.Socket4, "subnet[3].declined-addresses")
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subnet[3].declined-addresses = %d after declining %v, want 2\n%s", n, declined, lab.Log("kea-dhcp4"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	assigned, _ := lab.Statistic(t, lab.Socket4, "subnet[3].assigned-addresses")
	t.Logf("declined %v: Kea's subnet[3].assigned-addresses = %d, declined-addresses = 2", declined, assigned)

	cat := testCat(t)
	snap := mustPoll(t, socketPoller(t, cat, "lab", lab.Socket4, Options{Leases: passLeases}))
	sub3 := map[string]string{"subnet_id": "3"}
	want(t, snap.Samples, "kea_dhcp4_subnet_addresses_assigned", sub3, 4)
	want(t, snap.Samples, "kea_dhcp4_subnet_addresses_declined", sub3, 2)
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_assigned", sub3, 2) // default state only
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_declined", sub3, 2)
	want(t, snap.Samples, "kea_dhcp4_subnet_leases", map[string]string{"subnet_id": "3", "state": "declined"}, 2)
	for _, id := range []string{"1", "2", "3", "4"} {
		want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": id}, 0)
	}
	// Declined leases are in the pool's count, by state, and in its
	// utilisation, as Kea's statistics count them.
	declinedInPools := 0.0
	for _, s := range snap.Samples {
		if s.Metric.Name == "kea_dhcp4_pool_leases" && s.ID.Values[1] == "3" && s.ExtraValues()[0] == "declined" {
			declinedInPools += s.Value
		}
	}
	if declinedInPools != 2 {
		t.Errorf("kea_dhcp4_pool_leases{subnet_id=3, state=declined} sum to %v, want 2", declinedInPools)
	}

	// Kea's recount at start-up counts declined leases as assigned too: a
	// restart on the same lease file changes nothing.
	lab.Stop4(t)
	lab.Start4(t)
	if n, _ := lab.Statistic(t, lab.Socket4, "subnet[3].assigned-addresses"); n != 4 {
		t.Errorf("after a restart, subnet[3].assigned-addresses = %d, want 4 (2 leased + 2 declined)", n)
	}
	snap = mustPoll(t, socketPoller(t, cat, "lab", lab.Socket4, Options{Leases: passLeases}))
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_drift", sub3, 0)

	// A real drift: Kea's statistic reset while the leases stay.
	if res, text, err := keatest.Result(lab.Command(t, lab.Socket4, "statistic-reset", map[string]any{"name": "subnet[3].assigned-addresses"})); err != nil || res != 0 {
		t.Fatalf("statistic-reset: %d %s %v", res, text, err)
	}
	snap = mustPoll(t, socketPoller(t, cat, "lab", lab.Socket4, Options{Leases: passLeases}))
	want(t, snap.Samples, "kea_dhcp4_subnet_addresses_assigned", sub3, 0)
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_drift", sub3, -4)
	want(t, snap.Samples, "kea_dhcp4_subnet_lease_db_addresses_drift", map[string]string{"subnet_id": "2"}, 0)
	if t.Failed() {
		t.Log(fmt.Sprintf("kea-dhcp4 log:\n%s", lab.Log("kea-dhcp4")))
	}
}
