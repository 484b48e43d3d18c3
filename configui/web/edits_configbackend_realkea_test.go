package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/configui/keaview"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// cbLab is a real kea-dhcp4 and kea-dhcp6 pulling their configuration
// every second from a PostgreSQL configuration backend made by kea-admin,
// and the editor on them (servers "kea" and "kea6").
type cbLab struct {
	*editor
	lab  *keatest.Lab
	kdb  *pgx.Conn // the backend database, as psql would reach it
	name string    // its database name
}

// cbHooks holds the PostgreSQL configuration backend in each Kea version.
var cbHooks = map[keatest.Version]string{keatest.Kea22: "libdhcp_pgsql_cb.so", keatest.Kea30: "libdhcp_pgsql.so"}

// v6CB says whether kea-dhcp6 of a version can pull from a PostgreSQL
// configuration backend here: Kea 2.2.0's libdhcp_pgsql_cb.so cannot be
// loaded by kea-dhcp6 against PostgreSQL 15 (its UPDATE_SUBNET6 statement
// ends "$33WHERE", which PostgreSQL 15 refuses: "trailing junk after
// parameter"), so kea-dhcp6 2.2 exits at start. Kea 3.0 has no such bug.
func v6CB(v keatest.Version) bool { return v.AtLeast30() }

func newCBLab(t *testing.T, pg *pgtest.Server, v keatest.Version) *cbLab {
	t.Helper()
	name := keaAdminInit(t, pg, v)
	cc := func() string {
		b, _ := json.Marshal(map[string]any{"config-control": map[string]any{
			"config-databases": []any{map[string]any{"type": "postgresql", "name": name, "user": "postgres", "password": "unused",
				// The servers run in their own network namespace: they reach
				// PostgreSQL by its socket directory, and so does the editor
				// (it connects with the settings config-get shows).
				"host": pg.SocketDir(), "port": pg.Port, "max-reconnect-tries": 3, "reconnect-wait-time": 500,
				"on-fail": "serve-retry-continue"}},
			"config-fetch-wait-time": 1}})
		return string(b)
	}()
	cc6 := ""
	if v6CB(v) {
		cc6 = cc
	}
	lab := keatest.Start(t, keatest.Options{Kea: v, Traffic: true, DHCP6: true, Extra4: cc, Extra6: cc6,
		// One file subnet per family beside the backend's.
		Subnet6: `[{"id": 2, "subnet": "2001:db8:2::/64", "pools": [{"pool": "2001:db8:2::100-2001:db8:2::1ff"}]}]`,
		Hooks:   []string{"libdhcp_lease_cmds.so", cbHooks[v]}})
	var targets []keaview.Target
	for _, s := range []struct{ name, sock string }{{"kea", lab.Socket4}, {"kea6", lab.Socket6}} {
		c, err := keactl.New(keactl.Options{Name: s.name, URL: "unix://" + s.sock, Timeout: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, keaview.Target{Name: s.name, Client: c})
	}
	view, err := keaview.New(keaview.Options{Targets: targets, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e := newEditorKea(t, pg, "\n  - name: kea\n    url: unix://"+lab.Socket4+"\n    daemons: [dhcp4]\n  - name: kea6\n    url: unix://"+lab.Socket6+"\n    daemons: [dhcp6]\n", "", view)
	t.Cleanup(e.srv.Close)
	kdb, err := pgx.Connect(context.Background(), pg.ConnString(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kdb.Close(context.Background()) })
	return &cbLab{editor: e, lab: lab, kdb: kdb, name: name}
}

// keaAdminInit makes a database and creates Kea's schema in it with
// kea-admin db-init pgsql, as an operator does.
func keaAdminInit(t *testing.T, pg *pgtest.Server, v keatest.Version) string {
	t.Helper()
	admin := "/usr/sbin/kea-admin"
	if v.AtLeast30() {
		admin = filepath.Join(keatest.Bundle(t), "sbin", "kea-admin")
	} else {
		keatest.Require(t, "kea-admin")
		if p, err := exec.LookPath("kea-admin"); err == nil {
			admin = p
		}
	}
	cs := pg.NewDatabase(t)
	name := strings.Fields(strings.SplitN(cs, "dbname=", 2)[1])[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, admin, "db-init", "pgsql", "-u", "postgres", "-p", "unused", "-n", name, "-h", "127.0.0.1", "-P", strconv.Itoa(pg.Port))
	cmd.Env = append(os.Environ(), "PATH=/usr/lib/postgresql/15/bin:"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kea-admin db-init pgsql: %v\n%s", err, out)
	}
	return name
}

// keaSubnets is a daemon's subnets as its config-get reports them: id →
// pools.
func (cl *cbLab) keaSubnets(daemon string) map[uint32][]string {
	cl.t.Helper()
	m, err := cl.tryKeaSubnets(daemon)
	if err != nil {
		cl.t.Fatal(err)
	}
	return m
}

func (cl *cbLab) tryKeaSubnets(daemon string) (map[uint32][]string, error) {
	sock, key, top := cl.lab.Socket4, "subnet4", "Dhcp4"
	if daemon == "dhcp6" {
		sock, key, top = cl.lab.Socket6, "subnet6", "Dhcp6"
	}
	reply, err := cl.lab.TryCommand(sock, "config-get", nil)
	if err != nil {
		return nil, err
	}
	// Kea 3.0's arguments also carry a "hash" string beside the daemon.
	var r struct {
		Arguments map[string]json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		return nil, fmt.Errorf("config-get of %s: %w", daemon, err)
	}
	var daemonCfg map[string]json.RawMessage
	if err := json.Unmarshal(r.Arguments[top], &daemonCfg); err != nil {
		return nil, fmt.Errorf("config-get of %s: %w", daemon, err)
	}
	var subs []struct {
		ID    uint32 `json:"id"`
		Pools []struct {
			Pool string `json:"pool"`
		} `json:"pools"`
	}
	if err := json.Unmarshal(daemonCfg[key], &subs); err != nil {
		return nil, fmt.Errorf("config-get of %s: %w", daemon, err)
	}
	out := map[uint32][]string{}
	for _, s := range subs {
		out[s.ID] = []string{}
		for _, p := range s.Pools {
			out[s.ID] = append(out[s.ID], p.Pool)
		}
	}
	return out, nil
}

// waitKea waits (at most 30 s) until the daemon's config-get satisfies ok,
// and says how long that took. A daemon busy merging what it pulled may
// time its control socket out meanwhile: such replies are polled past.
func (cl *cbLab) waitKea(daemon string, ok func(map[uint32][]string) bool) time.Duration {
	cl.t.Helper()
	start := time.Now()
	var last error
	for time.Since(start) < 30*time.Second {
		m, err := cl.tryKeaSubnets(daemon)
		if err == nil && ok(m) {
			return time.Since(start).Round(10 * time.Millisecond)
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	cl.t.Fatalf("%s's config-get did not change as expected within 30 s (last error %v)", daemon, last)
	return 0
}

// rows is every row of the backend tables of a family: a refused or
// failed change must leave them exactly as they were.
func (cl *cbLab) rows(family string) string {
	cl.t.Helper()
	var b strings.Builder
	tables := []string{"server", "subnet", "pool", "subnet_server", "options", "shared_network", "audit_revision", "audit"}
	if family == "dhcp6" {
		tables = append(tables, "pd_pool")
	}
	for _, tbl := range tables {
		var rows string
		err := cl.kdb.QueryRow(context.Background(), `SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '') FROM `+family+"_"+tbl+` t`).Scan(&rows)
		if err != nil {
			cl.t.Fatal(err)
		}
		b.WriteString("== " + tbl + "\n" + rows + "\n")
	}
	return b.String()
}

// submit posts a form's preview, then its confirmation; it returns the
// final answer.
func (cl *cbLab) submit(c *http.Client, action string, f url.Values) (*http.Response, string) {
	cl.t.Helper()
	resp, body := cl.post(c, action, f)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Write it to the configuration backend") {
		return resp, body
	}
	action, confirm := editForm(cl.t, body)
	return cl.post(c, action, confirm)
}

// The acceptance test of the configuration backend through the editor:
// each Kea version, DHCPv4 and DHCPv6: a subnet with a pool added by an
// operator's form reaches the server at its next pull and serves a
// perfdhcp client from the new pool, is listed as "config backend" beside
// the file's "config file" subnets, is recorded in the change log, and
// goes again when deleted through the form.
func TestRealKeaConfigBackendThroughEditor(t *testing.T) {
	pg := pgtest.Start(t)
	keatest.Versions(t, func(t *testing.T, v keatest.Version) {
		cl := newCBLab(t, pg, v)
		otto := cl.signedIn("otto")
		for _, fam := range []struct {
			daemon, server, id, prefix, pool, iface string
			fileID, pd, pdPrefix                    string
			perf                                    func() *keatest.PerfResult
		}{
			{"dhcp4", "kea", "50", "198.18.5.0/24", "198.18.5.10-198.18.5.20", "", "3", "", "",
				func() *keatest.PerfResult { return cl.lab.Perfdhcp4Relay(t, "198.18.5.250", 3) }},
			{"dhcp6", "kea6", "60", "2001:db8:60::/64", "2001:db8:60::10-2001:db8:60::20", keatest.ServerIface, "2",
				"2001:db8:6000::/48 56", "2001:db8:6000::/48",
				func() *keatest.PerfResult { return cl.lab.Perfdhcp6(t, 3) }},
		} {
			t.Run(fam.daemon, func(t *testing.T) {
				if fam.daemon == "dhcp6" && !v6CB(v) {
					// Documented in docs/configui-config-backend.md; the editor's
					// DHCPv6 rows for schema 13.0 are tested by configbackend's
					// TestBackend6AgainstKeaSchema.
					t.Logf("Kea %s: kea-dhcp6 cannot load its PostgreSQL configuration backend with PostgreSQL 15; DHCPv6 is tested on Kea 3.0", v)
					return
				}
				base := "/servers/" + fam.server + "/" + fam.daemon
				// A refused value first: 400 beside its field, no row written.
				before := cl.rows(fam.daemon)
				action, f := (&haEditor{editor: cl.editor}).openForm(otto, base+"/config-backend/add")
				f.Set("id", fam.id)
				f.Set("prefix", fam.prefix)
				bad, want := "pool.0", "is not inside the subnet"
				if fam.pd != "" {
					bad, want = "pd.0", "must be a number from 48 to 128"
					f.Set("pd.0", "2001:db8:6000::/48 40")
				} else {
					f.Set("pool.0", "198.18.6.1-198.18.6.9")
				}
				resp, body := cl.post(otto, action, f)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `href="#`+bad+`">`+cbFieldLabel(bad)+"</a>: ") || !strings.Contains(body, want) {
					t.Fatalf("refused %s: want 400 naming %s, got %s:\n%s", fam.daemon, bad, resp.Status, body)
				}
				if cl.rows(fam.daemon) != before {
					t.Fatal("a refused value changed the backend")
				}
				action, f = (&haEditor{editor: cl.editor}).openForm(otto, base+"/config-backend/add")
				f.Set("id", fam.id)
				f.Set("prefix", fam.prefix)
				f.Set("pool.0", fam.pool)
				f.Set("interface", fam.iface)
				if fam.pd != "" {
					f.Set("pd.0", fam.pd)
				}
				if f.Get("tag") != "all" {
					t.Fatalf("the tag chosen by default is %q, want all (the server's own tag)", f.Get("tag"))
				}
				resp, body = cl.submit(otto, action, f)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Applied to configuration backend") {
					t.Fatalf("add: %s\n%s", resp.Status, body)
				}
				id64, _ := strconv.ParseUint(fam.id, 10, 32)
				id := uint32(id64)
				took := cl.waitKea(fam.daemon, func(m map[uint32][]string) bool { return len(m[id]) == 1 })
				t.Logf("Kea %s %s had subnet %d in config-get %s after the editor's commit", v, fam.daemon, id, took)
				if got := cl.keaSubnets(fam.daemon)[id]; !samePoolText(got[0], fam.pool) {
					t.Fatalf("Kea's pool %v, want %s", got, fam.pool)
				}

				// Origins on the subnet list and the subnet page.
				_, body = cl.get(otto, base+"/subnets")
				if !strings.Contains(body, ">"+fam.prefix+"</td><td>config backend</td>") || !strings.Contains(body, "</td><td>config file</td>") {
					t.Fatalf("the subnet list does not mark origins:\n%s", body)
				}
				_, body = cl.get(otto, base+"/subnets/"+fam.id)
				if !strings.Contains(body, "Origin: <strong>config backend</strong>") || !strings.Contains(body, base+"/config-backend/subnets/"+fam.id) {
					t.Fatalf("the subnet page does not say it comes from the backend:\n%s", body)
				}
				_, body = cl.get(otto, base+"/subnets/"+fam.fileID)
				if !strings.Contains(body, "Origin: <strong>config file</strong>") {
					t.Fatalf("the file subnet's page does not say so:\n%s", body)
				}

				perf := fam.perf()
				if perf.Completed() == 0 {
					// kea-dhcp6 3.0.4 reopens its sockets when it merges a subnet
					// bound to an interface; one more run, bounded, and logged.
					t.Logf("no lease at the first perfdhcp run right after the pull; once more:\n%s", perf.Output)
					perf = fam.perf()
				}
				if perf.Completed() == 0 {
					sock := cl.lab.Socket4
					if fam.daemon == "dhcp6" {
						sock = cl.lab.Socket6
					}
					t.Fatalf("no client got a lease from the backend's pool:\n%s\nconfig-get: %s\n%s", perf.Output, cl.lab.Command(t, sock, "config-get", nil), cl.lab.Log(fam.daemon))
				}
				lo, hi, _ := strings.Cut(fam.pool, "-")
				for _, l := range perf.Leases {
					a := netip.MustParseAddr(l.Address)
					if a.Less(netip.MustParseAddr(lo)) || netip.MustParseAddr(hi).Less(a) {
						t.Fatalf("lease %s is not from the pool %s", a, fam.pool)
					}
					if fam.pdPrefix != "" {
						// perfdhcp reports the delegated prefix's address (Kea's log
						// shows the /56).
						if a, err := netip.ParseAddr(l.Prefix); err != nil || !netip.MustParsePrefix(fam.pdPrefix).Contains(a) {
							t.Fatalf("delegated prefix %q is not from the backend's pd-pool %s", l.Prefix, fam.pd)
						}
					}
				}
				t.Logf("perfdhcp: %d clients leased from the new pool: %+v", perf.Completed(), perf.Leases)

				// The change log: who, what, outcome.
				chs, err := cl.store.Changes(context.Background(), store.ChangeFilter{})
				if err != nil {
					t.Fatal(err)
				}
				if len(chs) == 0 || chs[0].Username != "otto" || chs[0].Status != store.ChangeApplied || chs[0].Server != fam.server ||
					!strings.Contains(chs[0].Summary, "add "+fam.daemon+" subnet "+fam.id) || !strings.Contains(chs[0].Diff, fam.pool) {
					t.Fatalf("change log: %+v", chs[0])
				}

				// Delete through the form.
				action, f = (&haEditor{editor: cl.editor}).openForm(otto, base+"/config-backend/subnets/"+fam.id)
				f.Set("delete", "1")
				resp, body = cl.submit(otto, action, f)
				if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Applied to configuration backend") {
					t.Fatalf("delete: %s\n%s", resp.Status, body)
				}
				took = cl.waitKea(fam.daemon, func(m map[uint32][]string) bool { _, ok := m[id]; return !ok })
				t.Logf("Kea %s %s dropped subnet %d %s after the commit", v, fam.daemon, id, took)
				if _, ok := cl.keaSubnets(fam.daemon)[uint32(atoi(fam.fileID))]; !ok {
					t.Fatal("the file's subnet must stay")
				}
			})
		}
	})
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// samePoolText compares "a-b" with Kea's "a-b" or "prefix/len" form.
func samePoolText(kea, want string) bool {
	if kea == want || strings.ReplaceAll(kea, " ", "") == want {
		return true
	}
	p, err := netip.ParsePrefix(kea)
	if err != nil {
		return false
	}
	lo, hi, _ := strings.Cut(want, "-")
	return p.Addr().String() == lo && p.Contains(netip.MustParseAddr(hi))
}

// The safety of a backend change through the editor, on Kea 2.2: refused
// values, concurrent edits and a connection lost mid-change each leave
// every row of the backend as it was, with a message naming the field or
// the subnet; viewers and forged forms are refused.
func TestRealKeaConfigBackendEditorSafety(t *testing.T) {
	pg := pgtest.Start(t)
	cl := newCBLab(t, pg, keatest.Kea22)
	otto, ada := cl.signedIn("otto"), cl.signedIn("ada")
	he := &haEditor{editor: cl.editor}
	const add = "/servers/kea/dhcp4/config-backend/add"
	action, f := he.openForm(otto, add)
	f.Set("id", "70")
	f.Set("prefix", "198.18.7.0/24")
	f.Set("pool.0", "198.18.7.10-198.18.7.20")
	f.Set("valid", "600")
	if resp, body := cl.submit(otto, action, f); resp.StatusCode != http.StatusOK {
		t.Fatalf("add: %s\n%s", resp.Status, body)
	}
	const edit = "/servers/kea/dhcp4/config-backend/subnets/70"

	t.Run("RejectedValues", func(t *testing.T) {
		for _, tc := range []struct{ name, field, value, want string }{
			{"PoolOutside", "pool.0", "198.18.8.1-198.18.8.9", "pool.0"},
			{"NotANumber", "valid", "ten", "is not a number of seconds"},
			{"RenewAfterRebind", "renew", "500", "after the rebind-timer"},
			{"OverlapsFileSubnet", "prefix", "198.18.2.0/23", "overlaps subnet 3 (198.18.2.0/24) of kea"},
			{"UnknownSharedNetwork", "shared_network", "nowhere", "not a shared network in the backend"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before, changes := cl.rows("dhcp4"), cl.changeCount()
				action, f := he.openForm(otto, edit)
				f.Set(tc.field, tc.value)
				switch tc.name {
				case "RenewAfterRebind":
					f.Set("rebind", "400")
				case "OverlapsFileSubnet":
					f.Set("pool.0", "") // so that only the prefix is at fault
				}
				resp, body := cl.post(otto, action, f)
				if resp.StatusCode != http.StatusBadRequest || !strings.Contains(htmlUnescape(body), tc.want) {
					t.Fatalf("want 400 naming %q, got %s:\n%s", tc.want, resp.Status, body)
				}
				// The user's input is kept.
				if _, again := editForm(t, body); again.Get(tc.field) != tc.value {
					t.Fatalf("the form lost the input %s=%q: %q", tc.field, tc.value, again.Get(tc.field))
				}
				if cl.rows("dhcp4") != before || cl.changeCount() != changes {
					t.Fatal("a refused value changed the backend or the change log")
				}
			})
		}
	})

	t.Run("ConcurrentEdits", func(t *testing.T) {
		// Two operators open the same subnet; the second to submit gets a
		// conflict naming what the first changed, with her input kept.
		a1, f1 := he.openForm(otto, edit)
		a2, f2 := he.openForm(ada, edit)
		f1.Set("valid", "900")
		if resp, body := cl.submit(otto, a1, f1); resp.StatusCode != http.StatusOK {
			t.Fatalf("otto: %s\n%s", resp.Status, body)
		}
		after := cl.rows("dhcp4")
		f2.Set("pool.0", "198.18.7.10-198.18.7.30")
		resp, body := cl.post(ada, a2, f2)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "subnet 70 in the configuration backend was changed since this form was opened") ||
			!strings.Contains(body, "valid-lifetime") {
			t.Fatalf("stale edit: want 409 naming subnet 70 and valid-lifetime, got %s:\n%s", resp.Status, body)
		}
		if _, again := editForm(t, body); again.Get("pool.0") != "198.18.7.10-198.18.7.30" {
			t.Fatalf("ada's input was not kept: %v", again)
		}
		if cl.rows("dhcp4") != after {
			t.Fatal("the stale edit changed the backend")
		}

		// Both confirm at once from the same version: one wins, the
		// other is told, and the backend holds exactly the winner's edit.
		var confirms []url.Values
		var actions []string
		for i, c := range []*http.Client{otto, ada} {
			a, f := he.openForm(c, edit)
			f.Set("valid", strconv.Itoa(1000+i))
			resp, body := cl.post(c, a, f)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("preview: %s\n%s", resp.Status, body)
			}
			a, cf := editForm(t, body)
			actions, confirms = append(actions, a), append(confirms, cf)
		}
		// The pair's lock is held until both wait on it, so both pass the
		// check before the lock and the loser is refused under it.
		n0 := cl.changeCount()
		lock, err := cl.store.Lock(context.Background(), "dhcp4:kea")
		if err != nil {
			t.Fatal(err)
		}
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i, c := range []*http.Client{otto, ada} {
			wg.Go(func() { resp, _ := cl.post(c, actions[i], confirms[i]); codes[i] = resp.StatusCode })
		}
		// One of them waits on the advisory lock in PostgreSQL; the other
		// queues behind it in the editor's own slot for the pair (one
		// database connection per pair however many users wait), which
		// PostgreSQL cannot see, so it is given a moment to get there.
		var waiting int
		for i := 0; i < 100 && waiting < 1; i++ {
			time.Sleep(100 * time.Millisecond)
			cl.kdb.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting)
		}
		if waiting < 1 {
			lock.Unlock()
			wg.Wait()
			t.Fatalf("no edit waited on the pair's lock")
		}
		time.Sleep(time.Second)
		lock.Unlock()
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != http.StatusOK || codes[1] != http.StatusConflict {
			t.Fatalf("concurrent confirms answered %v, want one 200 and one 409", codes)
		}
		// The change log has both: the winner applied, the loser's conflict.
		chs, _ := cl.store.Changes(context.Background(), store.ChangeFilter{})
		var st []string
		for _, c := range chs[:cl.changeCount()-n0] {
			st = append(st, c.Status)
		}
		slices.Sort(st)
		if !slices.Equal(st, []string{store.ChangeApplied, store.ChangeConflict}) {
			t.Fatalf("the change log records %v for the race, want applied and conflict", st)
		}
		var valid int64
		cl.kdb.QueryRow(context.Background(), `SELECT valid_lifetime FROM dhcp4_subnet WHERE subnet_id = 70`).Scan(&valid)
		if valid != 1000 && valid != 1001 {
			t.Fatalf("valid_lifetime %d after the race", valid)
		}
	})

	t.Run("LostConnectionMidChange", func(t *testing.T) {
		// Another session holds dhcp4_pool: the editor's transaction has
		// written its revision and the subnet row and waits there; its
		// connection is then terminated, before COMMIT.
		ctx := context.Background()
		before, changes := cl.rows("dhcp4"), cl.changeCount()
		action, f := he.openForm(otto, edit)
		f.Set("pool.0", "198.18.7.10-198.18.7.40")
		resp, body := cl.post(otto, action, f)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("preview: %s\n%s", resp.Status, body)
		}
		action, confirm := editForm(t, body)
		locker, err := pgx.Connect(ctx, pg.ConnString(cl.name))
		if err != nil {
			t.Fatal(err)
		}
		defer locker.Close(ctx)
		tx, err := locker.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `LOCK TABLE dhcp4_pool IN EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() {
			resp, body := cl.post(otto, action, confirm)
			done <- fmt.Sprint(resp.StatusCode) + "\n" + body
		}()
		var pid int32
		for i := 0; i < 100 && pid == 0; i++ {
			time.Sleep(100 * time.Millisecond)
			cl.kdb.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%dhcp4_pool%'`).Scan(&pid)
		}
		if pid == 0 {
			t.Fatal("the editor's transaction never waited on dhcp4_pool")
		}
		if _, err := cl.kdb.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			t.Fatal(err)
		}
		tx.Rollback(ctx)
		out := <-done
		code, body, _ := strings.Cut(out, "\n")
		if code != "502" || !strings.Contains(body, "nothing was changed") || !strings.Contains(body, "unavailable") {
			t.Fatalf("lost connection: want 502 saying nothing was changed, got %s:\n%s", code, body)
		}
		if cl.rows("dhcp4") != before {
			t.Fatal("the backend changed although the transaction was cut before COMMIT")
		}
		chs, _ := cl.store.Changes(ctx, store.ChangeFilter{})
		if cl.changeCount() != changes+1 || chs[0].Status != store.ChangeFailed || !strings.Contains(chs[0].Error, "unavailable") {
			t.Fatalf("the change log must record the failed attempt: %+v", chs[0])
		}
		// The editor reconnects for the next change.
		action, f = he.openForm(otto, edit)
		f.Set("pool.0", "198.18.7.10-198.18.7.40")
		if resp, body := cl.submit(otto, action, f); resp.StatusCode != http.StatusOK {
			t.Fatalf("after the cut: %s\n%s", resp.Status, body)
		}
	})

	t.Run("NamedServerTag", func(t *testing.T) {
		// A server tag made by Kea's tools is offered in the form; a subnet
		// for it is written with that tag and not pulled by this server,
		// whose server-tag is Kea's default "all".
		ctx := context.Background()
		tx, err := cl.kdb.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Exec(ctx, `SELECT createAuditRevisionDHCP4(now(), 'all', 'server set', false)`)
		if _, err := tx.Exec(ctx, `INSERT INTO dhcp4_server (tag, description, modification_ts) VALUES ('kea-b', 'another server', now())`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, body := cl.get(otto, add)
		if !strings.Contains(body, `<option value="kea-b">kea-b</option>`) {
			t.Fatalf("the form does not offer the server tag kea-b:\n%s", body)
		}
		action, f := he.openForm(otto, add)
		f.Set("id", "71")
		f.Set("prefix", "198.18.9.0/24")
		f.Set("tag", "kea-b")
		if resp, body := cl.submit(otto, action, f); resp.StatusCode != http.StatusOK {
			t.Fatalf("add for kea-b: %s\n%s", resp.Status, body)
		}
		var tag string
		cl.kdb.QueryRow(ctx, `SELECT s.tag FROM dhcp4_subnet_server a JOIN dhcp4_server s ON s.id = a.server_id WHERE a.subnet_id = 71`).Scan(&tag)
		if tag != "kea-b" {
			t.Fatalf("subnet 71 is for server tag %q, want kea-b", tag)
		}
		time.Sleep(2 * time.Second) // two pulls
		if _, ok := cl.keaSubnets("dhcp4")[71]; ok {
			t.Fatal("a server tagged all pulled a subnet for kea-b")
		}
		_, body = cl.get(otto, "/servers/kea/dhcp4/config-backend")
		if !strings.Contains(body, "<td>71</td><td>198.18.9.0/24</td><td>config backend</td><td>kea-b</td>") || !strings.Contains(body, "not (yet) in its config-get") {
			t.Fatalf("the backend page does not show subnet 71 for kea-b, not on this server:\n%s", body)
		}
	})

	t.Run("ViewerAndForgedForms", func(t *testing.T) {
		// A shared network written as Kea's own tools would: shown, read only.
		ctx := context.Background()
		tx, err := cl.kdb.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT createAuditRevisionDHCP4(now(), 'all', 'shared network set', false)`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO dhcp4_shared_network (name, valid_lifetime, modification_ts) VALUES ('sn-cb', 7200, now())`); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		before := cl.rows("dhcp4")
		vic := cl.signedIn("vic")
		if resp, body := cl.get(vic, "/servers/kea/dhcp4/config-backend"); resp.StatusCode != http.StatusOK ||
			!strings.Contains(body, "<td>70</td><td>198.18.7.0/24</td><td>config backend</td>") || !strings.Contains(body, "<td>sn-cb</td>") {
			t.Fatalf("the backend page for a viewer: %s\n%s", resp.Status, body)
		}
		if resp, _ := cl.get(vic, edit); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer GET of the edit form: %s", resp.Status)
		}
		if resp, body := cl.get(vic, "/servers/kea/dhcp4/config-backend"); resp.StatusCode != http.StatusOK || strings.Contains(body, "Edit or delete") {
			t.Fatalf("viewer list: %s", resp.Status)
		}
		_, f := he.openForm(otto, edit)
		f.Set("delete", "1")
		f.Set("step", "apply")
		f.Set("csrf_token", cl.token(vic))
		if resp, _ := cl.post(vic, edit, f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("viewer POST: %s", resp.Status)
		}
		f.Set("csrf_token", "forged")
		if resp, _ := cl.post(otto, edit, f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("forged token: %s", resp.Status)
		}
		if cl.rows("dhcp4") != before {
			t.Fatal("a refused request changed the backend")
		}
	})
}

func (cl *cbLab) changeCount() int {
	cl.t.Helper()
	chs, err := cl.store.Changes(context.Background(), store.ChangeFilter{})
	if err != nil {
		cl.t.Fatal(err)
	}
	return len(chs)
}
