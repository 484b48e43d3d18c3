package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/configui/apply"
	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// TestRealKea30ReservationsByHostCmds: on a real Kea 3.0.4 with host_cmds
// the reservations form adds, edits and deletes a reservation kept in the
// configuration with reservation-add, reservation-update and
// reservation-del (no config-set); reservation-get shows each change, the
// audit row has the host_cmds commands, the configuration file is written,
// and a bad value is still refused before Kea is touched.
func TestRealKea30ReservationsByHostCmds(t *testing.T) {
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30,
		Hooks: []string{"libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so", "libdhcp_host_cmds.so"}})
	pg := pgtest.Start(t)
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
	ctx := context.Background()

	apply1 := func(action string, f map[string][]string) string {
		t.Helper()
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Apply to 1 server(s)") {
			t.Fatalf("preview: %s\n%s", resp.Status, body)
		}
		action, confirm := editForm(t, body)
		resp, body = he.post(otto, action, confirm)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Applied to kea") {
			t.Fatalf("apply: %s\n%s", resp.Status, body)
		}
		return body
	}
	// reservationGet is Kea's own answer for the MAC in subnet 1 (nil when
	// Kea has no such host).
	reservationGet := func(mac string) map[string]any {
		t.Helper()
		resp, err := c.Call(ctx, "reservation-get", "", map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": mac})
		if err != nil {
			var ke *keactl.Error
			if errors.As(err, &ke) && ke.Result == 3 { // "Host not found."
				return nil
			}
			t.Fatalf("reservation-get %s: %v", mac, err)
		}
		if resp.Result == 3 || len(resp.Arguments) == 0 { // keactl: result 3 is "empty"
			return nil
		}
		var h map[string]any
		if err := json.Unmarshal(resp.Arguments, &h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	// lastCommands are the commands of the newest audit row.
	lastCommands := func() []string {
		t.Helper()
		cs, err := he.store.Changes(ctx, store.ChangeFilter{Limit: 1})
		if err != nil || len(cs) == 0 || cs[0].Status != store.ChangeApplied {
			t.Fatalf("the last change: %v %+v", err, cs)
		}
		var out []string
		for _, s := range cs[0].Steps {
			out = append(out, s.Command)
		}
		return out
	}
	fileHas := func(s string) bool {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(lab.Dir, "kea-dhcp4.json"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(string(b), s)
	}

	t.Run("Add", func(t *testing.T) {
		action, f := he.openForm(otto, path)
		f.Del("delete")
		f.Set("identifier", "02-00-00-00-CC-01")
		f.Set("address", "198.18.0.210")
		f.Set("hostname", "hc-client")
		apply1(action, f)
		h := reservationGet("02:00:00:00:cc:01")
		if h == nil || h["ip-address"] != "198.18.0.210" || h["hostname"] != "hc-client" {
			t.Fatalf("reservation-get after the add: %v", h)
		}
		if got := lastCommands(); !slices.Contains(got, "reservation-add") || slices.Contains(got, "config-set") {
			t.Fatalf("the audit row's commands: %v, want reservation-add and no config-set", got)
		}
		if !fileHas("198.18.0.210") {
			t.Fatal("the configuration file lacks the reservation")
		}
	})
	t.Run("BadValueRefusedBeforeKea", func(t *testing.T) {
		before := he.hashOne()
		action, f := he.openForm(otto, path)
		f.Del("delete")
		f.Set("identifier", "02:00:00:00:cc:02")
		f.Set("address", "198.18.0.210") // already reserved
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), "198.18.0.210 is already reserved for hw-address 02:00:00:00:cc:01") {
			t.Fatalf("want 400, got %s:\n%s", resp.Status, body)
		}
		if he.hashOne() != before || reservationGet("02:00:00:00:cc:02") != nil {
			t.Fatal("Kea changed")
		}
	})
	t.Run("Edit", func(t *testing.T) {
		action, f := he.openForm(otto, path+"?edit=hw-address=02:00:00:00:cc:01")
		f.Del("delete")
		f.Set("address", "198.18.0.211")
		f.Set("hostname", "renamed")
		apply1(action, f)
		h := reservationGet("02:00:00:00:cc:01")
		if h == nil || h["ip-address"] != "198.18.0.211" || h["hostname"] != "renamed" {
			t.Fatalf("reservation-get after the edit: %v", h)
		}
		if got := lastCommands(); !slices.Contains(got, "reservation-update") || slices.Contains(got, "config-set") {
			t.Fatalf("the audit row's commands: %v, want reservation-update and no config-set", got)
		}
		if he.reservationCount(0, 1) != 1 {
			t.Fatal("the edit added or lost a reservation")
		}
	})
	t.Run("Delete", func(t *testing.T) {
		action, f := he.openForm(otto, path+"?edit=hw-address=02:00:00:00:cc:01")
		f.Set("delete", "1")
		apply1(action, f)
		if h := reservationGet("02:00:00:00:cc:01"); h != nil {
			t.Fatalf("reservation-get after the delete: %v", h)
		}
		if got := lastCommands(); !slices.Contains(got, "reservation-del") || slices.Contains(got, "config-set") {
			t.Fatalf("the audit row's commands: %v, want reservation-del and no config-set", got)
		}
		if fileHas("198.18.0.211") {
			t.Fatal("the configuration file still has the reservation")
		}
	})
}

// TestRealKea30HAReservationsByHostCmds: on a real Kea 3.0.4
// load-balancing pair with host_cmds, a reservation added and deleted in
// the form is sent to both peers with reservation-add and reservation-del
// (no config-set, so no HA restart); each peer's reservation-get shows it,
// and the audit row has each peer's command.
func TestRealKea30HAReservationsByHostCmds(t *testing.T) {
	he := newHAEditorWith(t, keatest.HAOptions{Kea: keatest.Kea30, ExtraHooks: []string{"libdhcp_host_cmds.so"}})
	otto := he.signedIn("otto")
	ctx := context.Background()
	const path = "/servers/kea1/dhcp4/subnets/1/edit/reservations"
	found := func(peer int) bool {
		t.Helper()
		resp, err := he.peers[peer].Client.Call(ctx, "reservation-get", "", map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:00:00:ee:01"})
		if err != nil {
			t.Fatalf("reservation-get on %s: %v", he.peers[peer].Name, err)
		}
		return resp.Result == 0 && strings.Contains(string(resp.Arguments), "198.18.0.220")
	}
	sentTo := func(command string) []string {
		t.Helper()
		cs, err := he.store.Changes(ctx, store.ChangeFilter{Limit: 1})
		if err != nil || len(cs) == 0 || cs[0].Status != store.ChangeApplied {
			t.Fatalf("the last change: %v %+v", err, cs)
		}
		var peers []string
		for _, s := range cs[0].Steps {
			if s.Command == "config-set" {
				t.Fatalf("config-set sent: %+v", cs[0].Steps)
			}
			if s.Command == command {
				peers = append(peers, s.Peer)
			}
		}
		return peers
	}
	action, f := he.openForm(otto, path)
	f.Del("delete")
	f.Set("identifier", "02:00:00:00:ee:01")
	f.Set("address", "198.18.0.220")
	he.applyForm(otto, action, f)
	if !found(0) || !found(1) {
		t.Fatal("reservation-get does not show the reservation on both peers")
	}
	if got := sentTo("reservation-add"); strings.Join(got, ",") != "kea1,kea2" {
		t.Fatalf("reservation-add sent to %v, want kea1,kea2", got)
	}
	action, f = he.openForm(otto, path+"?edit=hw-address=02:00:00:00:ee:01")
	f.Set("delete", "1")
	he.applyForm(otto, action, f)
	if found(0) || found(1) {
		t.Fatal("the reservation is still on a peer")
	}
	if got := sentTo("reservation-del"); strings.Join(got, ",") != "kea1,kea2" {
		t.Fatalf("reservation-del sent to %v, want kea1,kea2", got)
	}
}

// TestRealKea30ReservationsInHostsDatabaseByHostCmds: a real Kea 3.0.4 with
// its hosts in PostgreSQL (the bundle's kea-admin db-init pgsql) and
// host_cmds: the form's add, edit and delete are sent as reservation-add,
// reservation-update and reservation-del with "operation-target":
// "database"; Kea writes its own rows (read back with SQL and by
// reservation-get), the configuration is untouched, and the audit row
// says host_cmds.
func TestRealKea30ReservationsInHostsDatabaseByHostCmds(t *testing.T) {
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
	root := keatest.Bundle(t)
	keatest.Require(t, "psql")
	if out, err := exec.Command("bash", "-c", `. "$0/kea-env.sh" && kea-admin db-init pgsql -u kea -p kea-password -n kea -h 127.0.0.1 -P "$1"`,
		root, fmt.Sprint(pg.Port)).CombinedOutput(); err != nil {
		t.Fatalf("kea-admin (3.0.4) db-init pgsql: %v\n%s", err, out)
	}
	lab := keatest.Start(t, keatest.Options{Kea: keatest.Kea30,
		Hooks:  []string{"libdhcp_lease_cmds.so", "libdhcp_stat_cmds.so", "libdhcp_pgsql.so", "libdhcp_host_cmds.so"},
		Extra4: fmt.Sprintf(`{"hosts-database": {"type": "postgresql", "name": "kea", "user": "kea", "password": "kea-password", "host": "127.0.0.1", "port": %d}}`, pg.Port)})
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
	kc, err := pgx.Connect(ctx, fmt.Sprintf("host=127.0.0.1 port=%d user=kea password=kea-password dbname=kea sslmode=disable", pg.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close(ctx)
	// Kea's own rows carry an option the form does not show; an edit keeps it.
	row := func() (addr, host string, options int) {
		t.Helper()
		err := kc.QueryRow(ctx, `SELECT ('0.0.0.0'::inet + ipv4_address)::text, coalesce(hostname, ''),
			(SELECT count(*) FROM dhcp4_options o WHERE o.host_id = h.host_id) FROM hosts h WHERE dhcp4_subnet_id = 1`).Scan(&addr, &host, &options)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	submit := func(action string, f map[string][]string, want string) {
		t.Helper()
		resp, body := he.post(otto, action, f)
		if resp.StatusCode != 200 || !strings.Contains(body, "Kea&#39;s hosts database") {
			t.Fatalf("preview: %s\n%s", resp.Status, body)
		}
		action, confirm := editForm(t, body)
		resp, body = he.post(otto, action, confirm)
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Fatalf("apply (want %q): %s\n%s", want, resp.Status, body)
		}
		cs, err := he.store.Changes(ctx, store.ChangeFilter{Limit: 1})
		if err != nil || len(cs) == 0 || cs[0].Status != store.ChangeApplied || cs[0].Steps[0].Command != "host_cmds" ||
			!strings.Contains(cs[0].Steps[0].Text, want) {
			t.Fatalf("the audit row: %v %+v", err, cs)
		}
	}

	action, f := he.openForm(otto, path)
	f.Del("delete")
	f.Set("identifier", "02:00:00:00:bb:01")
	f.Set("address", "198.18.0.201")
	f.Set("hostname", "db-client")
	submit(action, f, "reservation-add on kea: Host added.")
	if addr, host, _ := row(); !strings.HasPrefix(addr, "198.18.0.201") || host != "db-client" {
		t.Fatalf("hosts row after the add: %s %s", addr, host)
	}
	if _, err := c.Call(ctx, "reservation-update", "", map[string]any{"operation-target": "database", "reservation": map[string]any{
		"subnet-id": 1, "hw-address": "02:00:00:00:bb:01", "ip-address": "198.18.0.201", "hostname": "db-client",
		"option-data": []any{map[string]any{"name": "domain-name", "data": "kept.example"}}}}); err != nil {
		t.Fatal(err)
	}
	action, f = he.openForm(otto, path+"?edit=hw-address=02:00:00:00:bb:01")
	f.Del("delete")
	f.Set("address", "198.18.0.202")
	f.Set("hostname", "renamed")
	submit(action, f, "reservation-update on kea: Host updated.")
	if addr, host, options := row(); !strings.HasPrefix(addr, "198.18.0.202") || host != "renamed" || options != 1 {
		t.Fatalf("hosts row after the edit: %s %s, %d options (want the domain-name kept)", addr, host, options)
	}
	resp, err := c.Call(ctx, "reservation-get", "", map[string]any{"subnet-id": 1, "identifier-type": "hw-address", "identifier": "02:00:00:00:bb:01"})
	if err != nil || !strings.Contains(string(resp.Arguments), "198.18.0.202") {
		t.Fatalf("reservation-get after the edit: %v %s", err, resp.Arguments)
	}
	action, f = he.openForm(otto, path+"?edit=hw-address=02:00:00:00:bb:01")
	f.Set("delete", "1")
	submit(action, f, "reservation-del on kea: Host deleted.")
	var n int
	if err := kc.QueryRow(ctx, `SELECT count(*) FROM hosts`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("hosts rows after the delete: %d %v", n, err)
	}
	if he.hashOne() != configBefore {
		t.Fatal("a database reservation changed Kea's configuration")
	}
}
