package keaview

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keactl"
)

func TestParseLeaseQuery(t *testing.T) {
	for _, c := range []struct {
		kind, in string
		want     LeaseQuery
	}{
		{"", "198.18.0.10", LeaseQuery{Kind: ByIP, Value: "198.18.0.10"}},
		{"", " 2001:DB8:1::100 ", LeaseQuery{Kind: ByIP, Value: "2001:db8:1::100"}},
		{"", "2001:db8:8000::/56", LeaseQuery{Kind: ByIP, Value: "2001:db8:8000::/56", PD: true}},
		{"", "02:DD:00:00:00:01", LeaseQuery{Kind: ByMAC, Value: "02:dd:00:00:00:01"}},
		{"", "02-dd-00-00-00-01", LeaseQuery{Kind: ByMAC, Value: "02:dd:00:00:00:01"}},
		{"", "02dd.0000.0001", LeaseQuery{Kind: ByMAC, Value: "02:dd:00:00:00:01"}},
		{"", "1:2:0:0:0:aa:1", LeaseQuery{Kind: ByHexID, Value: "01:02:00:00:00:aa:01"}},
		{"", "Host-7.Lab.Example.", LeaseQuery{Kind: ByHostname, Value: "host-7.lab.example"}},
		{"", "cafe", LeaseQuery{Kind: ByHostname, Value: "cafe"}},
		{"mac", "02dd00000001", LeaseQuery{Kind: ByMAC, Value: "02:dd:00:00:00:01"}},
		{"client-id", "01:02:dd:00:00:00:01", LeaseQuery{Kind: ByClientID, Value: "01:02:dd:00:00:00:01"}},
		{"duid", "00:01:00:01:32:94:c7:48:00:0c:01:02:03:04", LeaseQuery{Kind: ByDUID, Value: "00:01:00:01:32:94:c7:48:00:0c:01:02:03:04"}},
		{"hostname", "cafe", LeaseQuery{Kind: ByHostname, Value: "cafe"}},
	} {
		got, err := ParseLeaseQuery(c.kind, c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseLeaseQuery(%q, %q) = %+v, %v; want %+v", c.kind, c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ kind, in, says string }{
		{"", "", "empty"},
		{"", "a b", "' '"},
		{"", "<script>alert(1)</script>", "not an IP address, a MAC address"},
		{"", "x' OR 1=1 --", "not an IP address, a MAC address"},
		{"", "host..example", "empty label"},
		{"", "-host", "hyphen"},
		{"", strings.Repeat("a", 64), "longer than 63"},
		{"", strings.Repeat("a", 700), "characters long"},
		{"", "02:zz:00:00:00:01", "not hex"},
		{"ip", "198.18.0.256", "not an IPv4 or IPv6 address"},
		{"ip", "2001:db8::1/56", "no bits set past its length"},
		{"ip", "fe80::1%eth0", "no zone"},
		{"mac", "02:00:00:00:aa", "not a MAC address"},
		{"client-id", "01", "not a client-id"},
		{"duid", "00:01", "not a DUID"},
		{"hostname", "a_b c", "not a hostname"},
		{"serial", "1", "unknown kind"},
	} {
		_, err := ParseLeaseQuery(c.kind, c.in)
		if err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseLeaseQuery(%q, %q) = %v; want an error saying %q", c.kind, c.in, err, c.says)
		}
	}
}

func TestParseLeasesCaptured(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "kea", "kea2.2-dhcp4-lease4-get-reserved.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp := decodeCaptured(t, b)
	ls, err := parseLeases(resp.Arguments)
	if err != nil || len(ls) != 1 {
		t.Fatalf("%v %v", ls, err)
	}
	l := ls[0]
	if l.Address != "198.18.1.250" || l.Hostname != "reserved-client" || l.HWAddress != "02:00:00:00:aa:01" ||
		l.SubnetID != 2 || l.StateName != "default" || l.Type != "V4" || l.ValidLifetime != time.Hour ||
		!l.Expires.Equal(time.Unix(1795295938+3600, 0)) {
		t.Errorf("lease %+v", l)
	}
	b, err = os.ReadFile(filepath.Join("..", "..", "testdata", "kea", "kea2.2-dhcp6-lease6-get-all.json"))
	if err != nil {
		t.Fatal(err)
	}
	ls, err = parseLeases(decodeCaptured(t, b).Arguments)
	if err != nil || len(ls) == 0 || ls[0].Type != "IA_NA" || ls[0].DUID == "" || ls[0].IAID == nil {
		t.Fatalf("lease6 list: %+v %v", ls, err)
	}
	if _, err := parseLeases([]byte(`{"ip-address": "nonsense"}`)); err == nil {
		t.Error("a lease without a valid address must be an error")
	}
}

func decodeCaptured(t *testing.T, b []byte) keactl.Response {
	t.Helper()
	var rs []keactl.Response
	if err := jsonUnmarshal(b, &rs); err != nil || len(rs) != 1 {
		t.Fatalf("capture: %v", err)
	}
	return rs[0]
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
