package kea

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzSeeds adds every captured and written reply whose name contains
// command, from testdata/kea and its fixtures and ha directories.
func fuzzSeeds(f *testing.F, command string, add func(b []byte, name string)) {
	f.Helper()
	var names []string
	for _, dir := range []string{"", "fixtures", "ha"} {
		m, _ := filepath.Glob(filepath.Join(captured, dir, "*"+command+"*.json"))
		names = append(names, m...)
	}
	if len(names) == 0 {
		f.Fatalf("no %s seeds in %s", command, captured)
	}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(b, filepath.Base(name))
	}
}

// arguments returns the arguments of a captured reply (an array of one, or
// an object), or b itself when it has none.
func arguments(b []byte) []byte {
	var one struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	var many []struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if json.Unmarshal(b, &many) == nil && len(many) == 1 && many[0].Arguments != nil {
		return many[0].Arguments
	}
	if json.Unmarshal(b, &one) == nil && one.Arguments != nil {
		return one.Arguments
	}
	return b
}

// FuzzParseConfig: any config-get reply indexes the subnets or fails with
// an error naming config-get; an index holds each subnet once, sorted by
// id, with positions that match, finite non-negative sizes, and ranges
// sorted, well-formed and found again by their first address.
//
//	go test ./collector/kea -run '^$' -fuzz FuzzParseConfig -fuzztime 60s
func FuzzParseConfig(f *testing.F) {
	fuzzSeeds(f, "config-get", func(b []byte, name string) {
		f.Add(b, strings.Contains(name, "dhcp6"))
	})
	f.Add([]byte(`{"arguments":{"Dhcp4":{"subnet4":[{"id":1,"subnet":"10.0.0.0/8","pools":[{"pool":"10.0.0.1-10.0.0.0"}]}]}}}`), false)
	f.Add([]byte(`{"arguments":{"Dhcp6":{"subnet6":[{"id":1,"subnet":"::/0","pd-pools":[{"prefix":"::","prefix-len":0,"delegated-len":128}]}]}}}`), true)
	f.Add([]byte(`{"arguments":{"Dhcp4":{"shared-networks":[{"name":"a","subnet4":[{"id":1},{"id":1}]}]}}}`), false)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		daemon := map[bool]string{false: "dhcp4", true: "dhcp6"}[v6]
		cfg, err := parseConfigReply("kea1", daemon, b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "config-get") {
				t.Fatalf("error does not name config-get: %v", err)
			}
			return
		}
		if len(cfg.subnets) != len(cfg.subnetList) {
			t.Fatalf("%d subnets indexed, %d listed", len(cfg.subnets), len(cfg.subnetList))
		}
		pools := 0
		for i, si := range cfg.subnetList {
			if si.idx != i || cfg.subnets[si.id] != si {
				t.Fatalf("subnet %d at %d has idx %d", si.id, i, si.idx)
			}
			if i > 0 && cfg.subnetList[i-1].id >= si.id {
				t.Fatalf("subnets out of order: %d before %d", cfg.subnetList[i-1].id, si.id)
			}
			for _, v := range []float64{si.addresses, si.prefixes} {
				if v < 0 || math.IsNaN(v) {
					t.Fatalf("subnet %d: size %v", si.id, v)
				}
			}
			for _, list := range [][]*poolInfo{si.pools, si.pdPools} {
				for j, pi := range list {
					if pi.idx != pools || cfg.poolList[pools] != pi {
						t.Fatalf("subnet %d pool %d: idx %d, want %d", si.id, pi.id, pi.idx, pools)
					}
					if pi.size < 0 || math.IsNaN(pi.size) {
						t.Fatalf("subnet %d pool %d: size %v", si.id, pi.id, pi.size)
					}
					if j > 0 && list[j-1].id >= pi.id {
						t.Fatalf("subnet %d: pools out of order", si.id)
					}
					pools++
				}
			}
			for k, rs := range si.ranges {
				for j, r := range rs {
					if r.last.Less(r.first) {
						t.Fatalf("subnet %d: range %s ends before it starts", si.id, r.rng)
					}
					if j > 0 && r.first.Less(rs[j-1].first) {
						t.Fatalf("subnet %d: ranges out of order", si.id)
					}
					if got := si.rangeOf(k, r.first); got == nil {
						t.Fatalf("subnet %d: %s not found in its own range %s", si.id, r.first, r.rng)
					}
				}
			}
		}
		if pools != len(cfg.poolList) {
			t.Fatalf("%d pools listed, %d under subnets", len(cfg.poolList), pools)
		}
	})
}

// FuzzParseStatus: any status-get arguments give the daemon's status or an
// error; every relationship read has a local state, and each entry of
// "high-availability" is either read or counted as invalid.
func FuzzParseStatus(f *testing.F) {
	fuzzSeeds(f, "status-get", func(b []byte, _ string) { f.Add(arguments(b)) })
	f.Add([]byte(`{"high-availability":{"ha-mode":"hot-standby","local":{"state":"x"}},"dhcp-state":{"disabled-by-user":[1,2]}}`))
	f.Add([]byte(`{"high-availability":[1,{"ha-servers":{"local":{"state":""}}},{"ha-servers":{"local":{"state":"a"},"remote":[]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStatus(b)
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			t.Fatalf("accepted arguments that are not an object: %q", b)
		}
		raw, has := top["high-availability"]
		if has != st.haSupported {
			t.Fatalf("high-availability present %v, supported %v", has, st.haSupported)
		}
		if has {
			entries := 1
			var list []json.RawMessage
			if json.Unmarshal(raw, &list) == nil {
				entries = len(list)
			}
			if len(st.ha)+st.invalid != entries {
				t.Fatalf("%d entries: %d read + %d invalid", entries, len(st.ha), st.invalid)
			}
		}
		for _, hs := range st.ha {
			if hs.localState == "" {
				t.Fatalf("relationship read without a local state")
			}
		}
		for reason, v := range st.dhcpState {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("dhcp-state %s: %v", reason, v)
			}
		}
	})
}

// FuzzParseHeartbeat: an ha-heartbeat reply is read only with a state; the
// clock offset, when Kea's time is readable, is finite.
func FuzzParseHeartbeat(f *testing.F) {
	fuzzSeeds(f, "ha-heartbeat", func(b []byte, _ string) { f.Add(arguments(b)) })
	f.Add([]byte(`{"state":"","date-time":"Mon, 02 Jan 2006 15:04:05 GMT","unsent-update-count":-1e308}`))
	mid := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		hb, err := parseHeartbeat(b, mid)
		if err != nil {
			if hb.present {
				t.Fatal("failed reply marked present")
			}
			return
		}
		// Go's decoder matches keys case-insensitively ("State" is state).
		var a map[string]json.RawMessage
		if json.Unmarshal(b, &a) != nil || !slices.ContainsFunc(slices.Collect(maps.Keys(a)), func(k string) bool { return strings.EqualFold(k, "state") }) {
			t.Fatalf("accepted without a state: %q", b)
		}
		if hb.offset != nil && (math.IsNaN(*hb.offset) || math.IsInf(*hb.offset, 0)) {
			t.Fatalf("offset %v", *hb.offset)
		}
	})
}

// FuzzParseStatLeases: stat-lease4-get and stat-lease6-get give one row
// per result row, with no negative count (Kea 2.2's -1 is unknown), or an
// error naming the row or the column at fault.
func FuzzParseStatLeases(f *testing.F) {
	fuzzSeeds(f, "stat-lease", func(b []byte, name string) { f.Add(arguments(b), strings.Contains(name, "lease6")) })
	f.Add([]byte(`{"result-set":{"columns":["subnet-id","assigned-addresses"],"rows":[[1,-1],[2],["x"]]}}`), false)
	f.Fuzz(func(t *testing.T, b []byte, v6 bool) {
		st, err := parseStatLeases(b, v6)
		if err != nil {
			msg := err.Error()
			var syntax *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if !strings.Contains(msg, "row ") && !strings.Contains(msg, "column") && !strings.Contains(msg, "result-set") &&
				!asAny(err, &syntax) && !asAny(err, &typ) && !strings.Contains(msg, "JSON") {
				t.Fatalf("error names nothing: %v", err)
			}
			return
		}
		for _, r := range st.rows {
			for _, v := range []*float64{r.assigned, r.declined, r.pdAssigned} {
				if v != nil && (*v < 0 || math.IsNaN(*v)) {
					t.Fatalf("subnet %d: count %v", r.subnet, *v)
				}
			}
			if !v6 && r.pdAssigned != nil {
				t.Fatal("prefix count from stat-lease4-get")
			}
		}
	})
}

func asAny[T error](err error, target *T) bool {
	for e := err; e != nil; {
		if x, ok := e.(T); ok {
			*target = x
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// FuzzKeaVersion: version-get's text is a version or unknown, never a
// panic; a known version prints and reads back to itself, and is not
// before itself.
func FuzzKeaVersion(f *testing.F) {
	for _, s := range []string{"2.2.0", "3.0.4-isc20250101", "2.7.2a", "1", "", "x.y", "2.-1.0", "99999999999999999999.1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v := parseKeaVersion(s)
		if !v.known {
			return
		}
		again := parseKeaVersion(fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch))
		if !again.known || again.major != v.major || again.minor != v.minor || again.patch != v.patch {
			t.Fatalf("%q -> %+v -> %+v", s, v, again)
		}
		if v.before(v.major, v.minor, v.patch) {
			t.Fatalf("%q is before itself", s)
		}
	})
}
