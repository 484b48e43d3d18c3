package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/edit"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// A DHCPv6 server alone (no HA): the pd-pools form, validated against the
// prefixes perfdhcp holds, applied to the one server.
func TestRealKeaEditPDPools(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{DHCP6: true, Traffic: true})
	if r := lab.Perfdhcp6(t, 10); r.Completed() == 0 {
		t.Fatal("perfdhcp got no leases")
	}
	pg := pgtest.Start(t)
	c, err := keactl.New(keactl.Options{Name: "kea6", URL: "unix://" + lab.Socket6, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	view, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "kea6", Client: c}}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, "\n  - name: kea6\n    url: unix://"+lab.Socket6+"\n    daemons: [dhcp6]\n", "", view)
	he := &haEditor{editor: e, peers: []apply.Peer{{Name: "kea6", Client: c}}, a: apply.New(apply.Options{})}
	read := func() apply.Config {
		pcs, err := he.a.Read(context.Background(), "dhcp6", he.peers)
		if err != nil {
			t.Fatal(err)
		}
		return pcs[0].Config
	}
	otto := he.signedIn("otto")
	_, body := he.get(otto, "/servers/kea6/dhcp6/subnets/1")
	if !strings.Contains(body, `href="/servers/kea6/dhcp6/subnets/1/edit/pd-pools">Edit pd-pools</a>`) {
		t.Fatalf("no pd-pools link on the DHCPv6 subnet page:\n%s", body)
	}
	const path = "/servers/kea6/dhcp6/subnets/1/edit/pd-pools"
	bad := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"HostBits", map[string]string{"pd.1": "2001:db8:8000::1/48", "pdlen.1": "56"}, "has host bits set"},
		{"NotIPv6", map[string]string{"pd.1": "10.0.0.0/8", "pdlen.1": "16"}, "is not an IPv6 prefix"},
		{"DelegatedShorterThanPool", map[string]string{"pd.1": "2001:db8:a000::/48", "pdlen.1": "40"}, "must be a number from 48"},
		{"OverlapsAnotherSubnet", map[string]string{"pd.1": "2001:db8:9000::/48", "pdlen.1": "56"}, "overlaps a pd-pool of subnet 3 (2001:db8:9000::/40)"},
		{"ShrinkStrandsPrefixes", map[string]string{"pd.0": "2001:db8:8000::/56"}, "would strand"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := read().Hash()
			action, f := he.openForm(otto, path)
			for k, v := range b.set {
				f.Set(k, v)
			}
			resp, body := he.post(otto, action, f)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), b.want) {
				t.Fatalf("want 400 with %q, got %s:\n%s", b.want, resp.Status, body)
			}
			if read().Hash() != before {
				t.Fatal("Kea changed")
			}
		})
	}
	t.Run("ExtendAndAdd", func(t *testing.T) {
		action, f := he.openForm(otto, path)
		f.Set("pd.0", "2001:db8:8000::/47")
		f.Set("pd.1", "2001:db8:a000::/48")
		f.Set("pdlen.1", "64")
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != 200 {
			t.Fatalf("preview: %s\n%s", resp.Status, body)
		}
		action, confirm := editForm(t, body)
		resp, body = he.post(otto, action, confirm)
		if resp.StatusCode != 200 || !strings.Contains(body, "Applied to kea6") {
			t.Fatalf("apply: %s\n%s", resp.Status, body)
		}
		rows, err := edit.CurrentPDPools(read(), 1)
		if err != nil || len(rows) != 2 || rows[0] != (edit.PDRow{Prefix: "2001:db8:8000::/47", Delegated: "56"}) ||
			rows[1] != (edit.PDRow{Prefix: "2001:db8:a000::/48", Delegated: "64"}) {
			t.Fatalf("pd-pools after the apply: %+v %v", rows, err)
		}
	})
}
