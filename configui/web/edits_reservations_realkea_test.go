package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// leasedTo runs perfdhcp as one client with that MAC (broadcast on the
// LAN: subnet 1 or its shared network) and returns the address Kea leased
// to it, read back with lease4-get-by-hw-address.
func leasedTo(t *testing.T, lab *keatest.Lab, sockets []string, mac string) string {
	t.Helper()
	r := lab.Perfdhcp4(t, 1, "-b", "mac="+mac)
	if got := r.Exchanges["REQUEST-ACK"].Received; got < 1 {
		t.Fatalf("perfdhcp as %s got no ACK:\n%s", mac, r.Output)
	}
	for _, sock := range sockets {
		c, _ := keactl.New(keactl.Options{Name: "x", URL: "unix://" + sock})
		resp, err := c.Call(context.Background(), "lease4-get-by-hw-address", "", map[string]any{"hw-address": mac})
		if err != nil {
			continue
		}
		var args struct {
			Leases []struct {
				IP string `json:"ip-address"`
			} `json:"leases"`
		}
		if json.Unmarshal(resp.Arguments, &args) == nil && len(args.Leases) > 0 {
			return args.Leases[0].IP
		}
	}
	t.Fatalf("no lease for %s on any server", mac)
	return ""
}

func TestRealHAReservationsInConfig(t *testing.T) {
	he := newHAEditor(t)
	otto := he.signedIn("otto")
	const path = "/servers/kea1/dhcp4/subnets/1/edit/reservations"
	add := func(set map[string]string) (*http.Response, string) {
		action, f := he.openForm(otto, path)
		f.Del("delete")
		for k, v := range set {
			f.Set(k, v)
		}
		return he.post(otto, action, f)
	}
	t.Run("AddedReservationIsServed", func(t *testing.T) {
		action, f := he.openForm(otto, path)
		f.Del("delete")
		f.Set("identifier", "02-00-00-00-AA-01")
		f.Set("address", "198.18.0.200")
		f.Set("hostname", "reserved-client")
		body := he.applyForm(otto, action, f)
		if !strings.Contains(htmlUnescape(body), `"hw-address":"02:00:00:00:aa:01"`) {
			t.Fatalf("the diff does not show the reservation:\n%s", body)
		}
		if got := leasedTo(t, he.h.Servers[0], []string{he.h.Servers[0].Socket4, he.h.Servers[1].Socket4}, "02:00:00:00:aa:01"); got != "198.18.0.200" {
			t.Fatalf("the client with the reserved MAC got %s, want 198.18.0.200", got)
		}
	})
	bad := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"BadMAC", map[string]string{"identifier": "02:00:zz", "address": "198.18.0.201"}, "is not a hw-address"},
		{"OutsideSubnet", map[string]string{"identifier": "02:00:00:00:aa:02", "address": "198.18.7.1"}, "198.18.7.1 is outside subnet 198.18.0.0/24"},
		{"WrongFamily", map[string]string{"identifier": "02:00:00:00:aa:02", "address": "2001:db8::1"}, "is not an IPv4 address"},
		{"DuplicateIdentifier", map[string]string{"identifier": "02:00:00:00:aa:01", "address": "198.18.0.202"}, "hw-address 02:00:00:00:aa:01 already has a reservation in this subnet (in the configuration)"},
		{"DuplicateAddress", map[string]string{"identifier": "02:00:00:00:aa:03", "address": "198.18.0.200"}, "198.18.0.200 is already reserved for hw-address 02:00:00:00:aa:01"},
		{"UndefinedClass", map[string]string{"identifier": "02:00:00:00:aa:03", "address": "198.18.0.203", "classes": "nosuch"}, "is not defined in client-classes"},
		{"NothingReserved", map[string]string{"identifier": "02:00:00:00:aa:03"}, "a reservation needs an address"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			before := he.hashes()
			resp, body := add(b.set)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), b.want) {
				t.Fatalf("want 400 with %q, got %s:\n%s", b.want, resp.Status, body)
			}
			if he.hashes() != before {
				t.Fatal("Kea changed")
			}
		})
	}
	t.Run("InPoolOnlyWhereAllowed", func(t *testing.T) {
		// Subnet 1 allows reservations inside its pools (Kea's default).
		if resp, body := add(map[string]string{"identifier": "02:00:00:00:aa:04", "address": "198.18.0.15"}); resp.StatusCode != 200 {
			t.Fatalf("an in-pool reservation where allowed: %s\n%s", resp.Status, body)
		}
		// Subnet 3 is set to reservations-out-of-pool.
		_, err := he.srv.apply.Apply(context.Background(), apply.Request{User: "test", Server: "kea1+kea2", Daemon: "dhcp4", Peers: he.peers,
			Edit: func(_ string, c apply.Config) error {
				d, _ := c.Daemon("dhcp4")
				for _, s := range d["subnet4"].([]any) {
					if sm := s.(map[string]any); fmt.Sprint(sm["id"]) == "3" {
						sm["reservations-out-of-pool"] = true
					}
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		before := he.hashes()
		action, f := he.openForm(otto, "/servers/kea1/dhcp4/subnets/3/edit/reservations")
		f.Del("delete")
		f.Set("identifier", "02:00:00:00:aa:05")
		f.Set("address", "198.18.2.12")
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), "198.18.2.12 is inside pool 198.18.2.10-198.18.2.14, and this subnet has reservations-out-of-pool") {
			t.Fatalf("an in-pool reservation where not allowed: %s\n%s", resp.Status, body)
		}
		if he.hashes() != before {
			t.Fatal("Kea changed")
		}
	})
	t.Run("EditThenDelete", func(t *testing.T) {
		action, f := he.openForm(otto, path+"?edit=hw-address=02:00:00:00:aa:01")
		if f.Get("orig") != "hw-address=02:00:00:00:aa:01" || f.Get("address") != "198.18.0.200" {
			t.Fatalf("edit form not filled: %v", f)
		}
		f.Del("delete")
		f.Set("hostname", "renamed")
		he.applyForm(otto, action, f)
		if he.reservationCount(1, 1) != 1 {
			t.Fatal("edit added or lost a reservation")
		}
		action, f = he.openForm(otto, path+"?edit=hw-address=02:00:00:00:aa:01")
		f.Set("delete", "1")
		he.applyForm(otto, action, f)
		if he.reservationCount(0, 1) != 0 || he.reservationCount(1, 1) != 0 {
			t.Fatal("the reservation was not deleted on both peers")
		}
	})
}

func (he *haEditor) reservationCount(peer int, subnet int64) int {
	he.t.Helper()
	s, _ := he.subnetOf(peer, subnet)
	rs, _ := s["reservations"].([]any)
	return len(rs)
}

// A real Kea 2.2 with its hosts in PostgreSQL (kea-admin db-init pgsql on a
// throwaway cluster): the editor writes the reservation into Kea's hosts
// table in one transaction, and Kea serves it to the next client.
func TestRealKeaReservationsInHostsDatabase(t *testing.T) {
	pg := pgtest.Start(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"CREATE ROLE kea LOGIN PASSWORD 'kea-password'", "CREATE DATABASE kea OWNER kea"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	keatest.Require(t, "kea-admin")
	if out, err := exec.Command("kea-admin", "db-init", "pgsql", "-u", "kea", "-p", "kea-password", "-n", "kea",
		"-h", "127.0.0.1", "-P", fmt.Sprint(pg.Port)).CombinedOutput(); err != nil {
		t.Fatalf("kea-admin db-init pgsql: %v\n%s", err, out)
	}
	// Kea runs in its own network namespace: it reaches PostgreSQL on the
	// cluster's socket directory.
	lab := keatest.Start(t, keatest.Options{Traffic: true, Extra4: fmt.Sprintf(
		`{"hosts-database": {"type": "postgresql", "name": "kea", "user": "kea", "password": "kea-password", "host": %q, "port": %d}}`, pg.SocketDir(), pg.Port)})
	c, err := keactl.New(keactl.Options{Name: "kea", URL: "unix://" + lab.Socket4, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	view, err := keaview.New(keaview.Options{Targets: []keaview.Target{{Name: "kea", Client: c}}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, "\n  - name: kea\n    url: unix://"+lab.Socket4+"\n    daemons: [dhcp4]\n", "", view)
	he := &haEditor{editor: e, peers: []apply.Peer{{Name: "kea", Client: c}}, a: apply.New(apply.Options{})}
	otto := he.signedIn("otto")
	const path = "/servers/kea/dhcp4/subnets/1/edit/reservations"
	configBefore := he.hashOne()

	action, f := he.openForm(otto, path)
	f.Del("delete")
	f.Set("identifier", "02:00:00:00:bb:01")
	f.Set("address", "198.18.0.201")
	f.Set("hostname", "db-client")
	resp, body := he.post(otto, action, f)
	if resp.StatusCode != 200 || !strings.Contains(body, "Kea&#39;s hosts database") {
		t.Fatalf("preview: %s\n%s", resp.Status, body)
	}
	action, confirm := editForm(t, body)
	resp, body = he.post(otto, action, confirm)
	if resp.StatusCode != 200 || !strings.Contains(body, "Applied to Kea&#39;s hosts database") || !strings.Contains(body, "INSERT host") {
		t.Fatalf("apply: %s\n%s", resp.Status, body)
	}
	// The row is in Kea's own table, as Kea lays it out.
	kc, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=kea password=kea-password dbname=kea sslmode=disable", pg.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close(ctx)
	var ident, addr, host string
	if err := kc.QueryRow(ctx, `SELECT encode(dhcp_identifier, 'hex'), ('0.0.0.0'::inet + ipv4_address)::text, hostname FROM hosts WHERE dhcp4_subnet_id = 1 AND dhcp_identifier_type = 0`).Scan(&ident, &addr, &host); err != nil {
		t.Fatal(err)
	}
	if ident != "02000000bb01" || !strings.HasPrefix(addr, "198.18.0.201") || host != "db-client" {
		t.Fatalf("hosts row: %s %s %s", ident, addr, host)
	}
	if he.hashOne() != configBefore {
		t.Fatal("a database reservation changed Kea's configuration")
	}
	if got := leasedTo(t, lab, []string{lab.Socket4}, "02:00:00:00:bb:01"); got != "198.18.0.201" {
		t.Fatalf("the client with the reserved MAC got %s, want 198.18.0.201", got)
	}
	// A duplicate is found across the database.
	action, f = he.openForm(otto, path)
	f.Del("delete")
	f.Set("identifier", "02:00:00:00:bb:01")
	f.Set("address", "198.18.0.202")
	if resp, body := he.post(otto, action, f); resp.StatusCode != 400 || !strings.Contains(body, "already has a reservation in this subnet (in the hosts database)") {
		t.Fatalf("duplicate across the database: %s\n%s", resp.Status, body)
	}
	// Deleted in one transaction.
	action, f = he.openForm(otto, path+"?edit=hw-address=02:00:00:00:bb:01")
	f.Set("delete", "1")
	resp, body = he.post(otto, action, f)
	action, confirm = editForm(t, body)
	if resp, body = he.post(otto, action, confirm); resp.StatusCode != 200 || !strings.Contains(body, "DELETE host") {
		t.Fatalf("delete: %s\n%s", resp.Status, body)
	}
	var n int
	if err := kc.QueryRow(ctx, `SELECT count(*) FROM hosts`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("hosts rows after the delete: %d %v", n, err)
	}
}

func (he *haEditor) hashOne() string {
	he.t.Helper()
	pcs, err := he.a.Read(context.Background(), "dhcp4", he.peers)
	if err != nil {
		he.t.Fatal(err)
	}
	return pcs[0].Hash
}
