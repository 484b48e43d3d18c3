package keaview

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func keaSeeds(f *testing.F, pattern string) [][]byte {
	f.Helper()
	var out [][]byte
	for _, dir := range []string{"", "fixtures", "ha"} {
		names, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "kea", dir, pattern))
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		f.Fatalf("no seeds match %s", pattern)
	}
	return out
}

func replyArguments(b []byte) []byte {
	var many []struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if json.Unmarshal(b, &many) == nil && len(many) == 1 && many[0].Arguments != nil {
		return many[0].Arguments
	}
	var one struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if json.Unmarshal(b, &one) == nil && one.Arguments != nil {
		return one.Arguments
	}
	return b
}

// FuzzParseLeases: any lease search reply (lease4-get, lease6-get and the
// by-* lists) gives leases or an error naming the lease reply; every lease
// has an address, a state name, and expires valid-lft after its cltt.
//
//	go test ./configui/keaview -run '^$' -fuzz FuzzParseLeases -fuzztime 60s
func FuzzParseLeases(f *testing.F) {
	for _, b := range keaSeeds(f, "*lease*-get*.json") {
		f.Add(replyArguments(b))
	}
	f.Add([]byte(`{"leases":[{"ip-address":"10.0.0.1","cltt":9223372036854775807,"valid-lft":9223372036854775807,"state":-7}]}`))
	f.Add([]byte(`{"ip-address":"2001:db8::","type":"IA_PD","prefix-len":56}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		leases, err := parseLeases(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "lease reply") {
				t.Fatalf("error does not name the lease reply: %v", err)
			}
			return
		}
		for _, l := range leases {
			if _, err := netip.ParseAddr(l.Address); err != nil {
				t.Fatalf("lease with address %q", l.Address)
			}
			if l.StateName == "" || l.Type == "" {
				t.Fatalf("lease %s: state %q type %q", l.Address, l.StateName, l.Type)
			}
			if !l.Expires.Equal(l.CLTT.Add(l.ValidLifetime)) {
				t.Fatalf("lease %s expires %v, cltt %v + %v", l.Address, l.Expires, l.CLTT, l.ValidLifetime)
			}
			if l.ValidLifetime < 0 || l.PreferredLifetime < 0 {
				t.Fatalf("lease %s: negative lifetime %v / %v", l.Address, l.ValidLifetime, l.PreferredLifetime)
			}
		}
	})
}

// FuzzStatusReply: any status-get arguments, applied to the HA
// relationships of a captured configuration, leave each relationship with
// a state or an error saying why not, and a partner age that is never
// negative.
func FuzzStatusReply(f *testing.F) {
	for _, b := range keaSeeds(f, "*status-get*.json") {
		f.Add(replyArguments(b))
	}
	f.Add([]byte(`{"high-availability":[{"ha-servers":{"local":{"state":"hot-standby"},"remote":{"age":1e300}}}]}`))
	var cfgs []*daemonConfig
	for _, b := range keaSeeds(f, "*dhcp4-config-get.json") {
		if dc, err := parseConfigReply("dhcp4", b); err == nil && len(dc.ha) > 0 {
			cfgs = append(cfgs, dc)
		}
	}
	if len(cfgs) == 0 {
		f.Fatal("no captured configuration with HA")
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var st statusReply
		if json.Unmarshal(b, &st) != nil {
			return // status() reports it as malformed
		}
		for _, dc := range cfgs {
			rels := haFromConfig("server1", "dhcp4", dc)
			applyHAStatus(rels, &st)
			for _, r := range rels {
				if r.State == "" && r.StatusErr == nil && len(st.HA) == 0 {
					t.Fatalf("relationship of %q: no state and no error", r.ThisServer)
				}
				if r.Age != nil && *r.Age < 0 {
					t.Fatalf("relationship of %q: partner age %v", r.ThisServer, *r.Age)
				}
			}
		}
	})
}
