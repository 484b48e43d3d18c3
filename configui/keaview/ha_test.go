package keaview

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func readStatus(t *testing.T, file string) *statusReply {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "kea", file))
	if err != nil {
		t.Fatal(err)
	}
	var many []struct {
		Arguments statusReply `json:"arguments"`
	}
	var one struct {
		Arguments statusReply `json:"arguments"`
	}
	if json.Unmarshal(b, &many) == nil && len(many) == 1 {
		return &many[0].Arguments
	}
	if err := json.Unmarshal(b, &one); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return &one.Arguments
}

// Kea 2.2 names no server in status-get: the partner is the peer with the
// remote's role.
func TestHAStatusKea22PartnerDown(t *testing.T) {
	rels := haFromConfig("kea1", "dhcp4", readConfig(t, "dhcp4", "kea2.2-dhcp4-config-get.json"))
	applyHAStatus(rels, readStatus(t, "kea2.2-ha-server1-status-get-partner-down.json"))
	r := rels[0]
	if r.ThisServer != "server1" || r.Role != "primary" || r.State != "partner-down" || r.Partner != "server2" ||
		r.PartnerState != "unavailable" || r.CommunicationInterrupted == nil || !*r.CommunicationInterrupted ||
		r.Age == nil || r.Age.Seconds() != 16 || len(r.Scopes) != 2 || r.StatusErr != nil {
		t.Errorf("%+v", r)
	}
}

// Kea 3.0 hub: two relationships, matched by server name, not position.
func TestHAStatusKea30Hub(t *testing.T) {
	rels := haFromConfig("hub", "dhcp6", readConfig(t, "dhcp6", "ha/kea3.0-hub-dhcp6-config-get.json"))
	st := readStatus(t, "ha/kea3.0-hub-dhcp6-status-get.json")
	st.HA[0], st.HA[1] = st.HA[1], st.HA[0] // order must not matter
	applyHAStatus(rels, st)
	if len(rels) != 2 {
		t.Fatalf("%+v", rels)
	}
	got := map[string]string{}
	for _, r := range rels {
		got[r.ThisServer] = r.State + "/" + r.Partner + "/" + r.PartnerState
	}
	if got["server2"] != "hot-standby/server1/hot-standby" || got["server4"] != "partner-down/server3/unavailable" {
		t.Errorf("%v", got)
	}
	// Two servers of one pair are one HAPair, named across servers.
	s1 := Server{Name: "kea1", Daemons: []Daemon{{Name: "dhcp4", HA: haFromConfig("kea1", "dhcp4", readConfig(t, "dhcp4", "kea2.2-dhcp4-config-get.json"))}}}
	s2 := Server{Name: "kea2", Daemons: []Daemon{{Name: "dhcp4", HA: haFromConfig("kea2", "dhcp4", readConfig(t, "dhcp4", "kea2.2-dhcp4-server2-config-get.json"))}}}
	applyHAStatus(s1.Daemons[0].HA, readStatus(t, "kea2.2-dhcp4-status-get.json"))
	applyHAStatus(s2.Daemons[0].HA, readStatus(t, "kea2.2-dhcp4-server2-status-get.json"))
	ps := pairs([]Server{s1, s2})
	if len(ps) != 1 || len(ps[0].Members) != 2 || ps[0].Members[0].PartnerTarget != "kea2" || ps[0].Members[1].Server != "kea2" || ps[0].Members[1].PartnerTarget != "kea1" || ps[0].Members[1].Role != "secondary" ||
		s1.Daemons[0].HA[0].PartnerTarget != "kea2" || s1.Daemons[0].HA[0].Peers[1].Target != "kea2" {
		t.Errorf("pairs: %+v", ps)
	}
}
