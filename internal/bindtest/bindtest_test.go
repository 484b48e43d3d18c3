package bindtest

import (
	"slices"
	"strings"
	"testing"
)

// The lab is what the BIND tests rely on: a primary answering for its zones
// and refusing others, a secondary that follows the primary's changes
// through NOTIFY, and a recursive view that resolves through the primary.
func TestLab(t *testing.T) {
	lab := Start(t, Options{Secondary: true})

	got := lab.Dig(t, lab.Primary, "",
		Q("www.lab.example", "A"), Q("nosuch.lab.example", "A"), Q("www.example.net", "A"), Q("10.2.0.192.in-addr.arpa", "PTR"))
	if want := []string{"NOERROR", "NXDOMAIN", "REFUSED", "NOERROR"}; !slices.Equal(got, want) {
		t.Errorf("primary answered %v, want %v", got, want)
	}
	got = lab.Dig(t, lab.Secondary, RecursiveSource, Q("www.lab.example", "A"), Q("nosuch.lab.example", "A"), Q("www.example.net", "A"))
	if want := []string{"NOERROR", "NXDOMAIN", "SERVFAIL"}; !slices.Equal(got, want) {
		t.Errorf("recursive view answered %v, want %v (the forwarder refuses example.net)", got, want)
	}
	if got := lab.Dig(t, lab.Secondary, "", Q("www.example.net", "A")); got[0] != "REFUSED" {
		t.Errorf("authoritative view answered %v to a name it does not serve, want REFUSED", got)
	}

	serial := lab.BumpSerial(t, "lab.example")
	if serial != FirstSerial+1 {
		t.Fatalf("BumpSerial gave %d, want %d", serial, FirstSerial+1)
	}
	lab.WaitSerial(t, lab.Secondary, "lab.example", serial) // transferred after the NOTIFY
	if n, _ := lab.Secondary.Serial(t, "2.0.192.in-addr.arpa"); n != FirstSerial {
		t.Errorf("untouched zone has serial %d on the secondary, want %d", n, FirstSerial)
	}
	if out := lab.Primary.Rndc(t, "status"); !strings.Contains(out, "server is up and running") {
		t.Errorf("rndc status: %s", out)
	}

	lab.Primary.Kill(t)
	if done, _ := lab.Primary.proc.exited(); !done {
		t.Fatal("primary still running after Kill")
	}
	lab.Primary.Restart(t)
	if n, ok := lab.Primary.Serial(t, "lab.example"); !ok || n != serial {
		t.Errorf("restarted primary serves serial %d (%v), want %d", n, ok, serial)
	}
}
