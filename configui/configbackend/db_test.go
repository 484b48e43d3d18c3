package configbackend

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

var ctx = context.Background()

// Every behaviour against a schema made by each Kea version's kea-admin.
func TestBackendAgainstKeaSchema(t *testing.T) {
	pg := pgtest.Start(t)
	keatest.Versions(t, func(t *testing.T, v keatest.Version) {
		t.Run("SchemaVersion", func(t *testing.T) { testSchemaVersion(t, pg, v) })
		t.Run("CreateRecordsWhatKeaRecords", func(t *testing.T) { testCreate(t, pg, v) })
		t.Run("NamedServerTag", func(t *testing.T) { testNamedTag(t, pg, v) })
		t.Run("UpdateAndPools", func(t *testing.T) { testUpdate(t, pg, v) })
		t.Run("RejectedValuesTouchNothing", func(t *testing.T) { testRejected(t, pg, v) })
		t.Run("ConcurrentEdits", func(t *testing.T) { testConcurrent(t, pg, v) })
		t.Run("LostConnectionMidChange", func(t *testing.T) { testLostConnection(t, pg, v) })
		t.Run("FailureAfterRowsWritten", func(t *testing.T) { testFailureMidChange(t, pg, v) })
	})
}

func testSchemaVersion(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b := open(t, db)
	want := map[keatest.Version]Schema{keatest.Kea22: {13, 0}, keatest.Kea30: {29, 0}}[v]
	if b.Schema() != want {
		t.Fatalf("schema %s, want %s", b.Schema(), want)
	}
	c := sqlConn(t, db)
	if _, err := c.Exec(ctx, `UPDATE schema_version SET version = 14`); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, nil, db)
	if !errors.Is(err, ErrUnsupportedSchema) || !strings.Contains(err.Error(), "schema version 14.0") ||
		!strings.Contains(err.Error(), "13.0 (Kea 2.2)") {
		t.Fatalf("Open of schema 14.0: %v, want ErrUnsupportedSchema naming the version and the tested ones", err)
	}
	empty := DB{Name: strings.Fields(strings.SplitN(pg.NewDatabase(t), "dbname=", 2)[1])[0], Host: "127.0.0.1", Port: pg.Port, User: "postgres"}
	if _, err := Open(ctx, nil, empty); !errors.Is(err, ErrUnsupportedSchema) || !strings.Contains(err.Error(), "kea-admin db-init") {
		t.Fatalf("Open of an empty database: %v", err)
	}
}

// pullQuery is the query Kea's PostgreSQL backend runs at each pull
// (GET_AUDIT_ENTRIES4_TIME): the audit entries of revisions for the
// server's tag or "all" after the last one it saw.
const pullQuery = `
SELECT a.object_type, a.object_id, a.modification_type, r.log_message
FROM dhcp4_audit AS a
JOIN dhcp4_audit_revision AS r ON a.revision_id = r.id
JOIN dhcp4_server AS s ON r.server_id = s.id
WHERE (s.tag = $1 OR s.id = 1) AND ((r.modification_ts, r.id) > (cast($2 as timestamp), $3))
ORDER BY r.modification_ts, r.id, a.id`

type auditEntry struct {
	Type    string
	ID      int64
	Mod     int16
	Message string
}

func pulled(t *testing.T, c *pgx.Conn, tag string, after time.Time) []auditEntry {
	t.Helper()
	rows, err := c.Query(ctx, pullQuery, tag, after.UTC().Format("2006-01-02 15:04:05.999999"), 0)
	if err != nil {
		t.Fatal(err)
	}
	l, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auditEntry, error) {
		var e auditEntry
		return e, r.Scan(&e.Type, &e.ID, &e.Mod, &e.Message)
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func dbNow(t *testing.T, c *pgx.Conn) time.Time {
	var now time.Time
	// The pull compares in the session's time zone: read "now" the same way.
	if err := c.QueryRow(ctx, `SELECT localtimestamp`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

func testCreate(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	before := dbNow(t, c)
	res, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 50, Prefix: "198.18.5.0/24", Pools: []string{"198.18.5.10 - 198.18.5.20", "198.18.5.64/28"},
		ValidLifetime: i64(600), Tags: []string{"all"}}, Meta{Actor: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision == 0 || res.After == nil || len(res.After.Pools) != 2 || res.After.Pools[1].Range() != "198.18.5.64-198.18.5.79" {
		t.Fatalf("result %+v", res)
	}
	var srvID int64
	var msg string
	if err := c.QueryRow(ctx, `SELECT server_id, log_message FROM dhcp4_audit_revision WHERE id = $1`, res.Revision).Scan(&srvID, &msg); err != nil {
		t.Fatal(err)
	}
	if srvID != 1 || msg != "subnet set (ddiscope-configui: ann)" {
		t.Fatalf("revision server_id %d message %q, want 1 (all) and Kea's wording with the actor", srvID, msg)
	}
	got := pulled(t, c, "some-server", before)
	if len(got) != 1 || got[0] != (auditEntry{"dhcp4_subnet", 50, 0, msg}) {
		t.Fatalf("a server's pull sees %+v, want one create entry for dhcp4_subnet 50", got)
	}
	var tag string
	if err := c.QueryRow(ctx, `SELECT s.tag FROM dhcp4_subnet_server a JOIN dhcp4_server s ON s.id = a.server_id WHERE a.subnet_id = 50`).Scan(&tag); err != nil || tag != "all" {
		t.Fatalf("subnet 50 attached to %q (%v), want all", tag, err)
	}
	cfg, err := b.Read(ctx, "dhcp4", "kea1")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Subnets) != 1 || cfg.Subnets[0].Prefix.String() != "198.18.5.0/24" || *cfg.Subnets[0].ValidLifetime != 600 {
		t.Fatalf("Read4: %+v", cfg.Subnets)
	}

	// Deleting: one delete entry, pools gone with the subnet.
	mid := dbNow(t, c)
	del, err := b.DeleteSubnet(ctx, "dhcp4", 50, cfg.Subnets[0].ModificationTS, Meta{Actor: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	got = pulled(t, c, "some-server", mid)
	if len(got) != 1 || got[0].Type != "dhcp4_subnet" || got[0].ID != 50 || got[0].Mod != 2 || del.Before == nil {
		t.Fatalf("after delete the pull sees %+v, want one delete entry", got)
	}
	var pools int
	c.QueryRow(ctx, `SELECT count(*) FROM dhcp4_pool`).Scan(&pools)
	if pools != 0 {
		t.Fatalf("%d pools left after deleting their subnet", pools)
	}
}

func testNamedTag(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	edit := SubnetEdit{ID: 7, Prefix: "198.18.7.0/24", Tags: []string{"kea1"}}
	_, err := b.CreateSubnet(ctx, "dhcp4", edit, Meta{})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "tags" || !strings.Contains(err.Error(), `"kea1" is not in dhcp4_server`) {
		t.Fatalf("unknown tag: %v", err)
	}
	for _, tag := range []string{"kea1", "kea2"} {
		if err := b.CreateServer(ctx, "dhcp4", tag, "test server", Meta{}); err != nil {
			t.Fatal(err)
		}
	}
	before := dbNow(t, c)
	if _, err := b.CreateSubnet(ctx, "dhcp4", edit, Meta{}); err != nil {
		t.Fatal(err)
	}
	if got := pulled(t, c, "kea1", before); len(got) != 1 || got[0].ID != 7 {
		t.Fatalf("kea1's pull: %+v", got)
	}
	if got := pulled(t, c, "kea2", before); len(got) != 0 {
		t.Fatalf("kea2's pull sees another server's change: %+v", got)
	}
	for tag, want := range map[string]int{"kea1": 1, "kea2": 0, "": 1} {
		cfg, err := b.Read(ctx, "dhcp4", tag)
		if err != nil || len(cfg.Subnets) != want {
			t.Fatalf("Read4(%q): %d subnets (%v), want %d", tag, len(cfg.Subnets), err, want)
		}
	}
}

func testUpdate(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	res, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 9, Prefix: "198.18.9.0/24", Pools: []string{"198.18.9.10-198.18.9.19"}, Tags: []string{"all"}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	s := *res.After
	keptID := s.Pools[0].ID
	// A pool option the editor does not model must survive an edit that keeps the pool.
	// Written as Kea's backend writes an option: a revision first (the
	// option trigger records an update of the pool's subnet under it).
	err = pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT createAuditRevisionDHCP4(now(), 'all', 'option set', false)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO dhcp4_options (code, formatted_value, space, persistent, scope_id, pool_id, modification_ts)
			VALUES (3, '198.18.9.1', 'dhcp4', false, 5, $1, now())`, keptID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := b.Subnet4(ctx, 9) // the option touched the subnet's modification_ts
	s = cur
	before := dbNow(t, c)
	res, err = b.AddPool(ctx, "dhcp4", 9, "198.18.9.100-198.18.9.109", s.ModificationTS, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.After.Pools) != 2 || res.After.Pools[0].ID != keptID || !res.After.ModificationTS.After(s.ModificationTS) {
		t.Fatalf("after AddPool4: %+v", res.After)
	}
	if got := pulled(t, c, "x", before); len(got) != 1 || got[0].Mod != 1 || got[0].ID != 9 {
		t.Fatalf("a pool change must reach the servers as an update of the subnet: %+v", got)
	}
	e := EditOf(*res.After)
	e.ValidLifetime, e.RenewTimer, e.RebindTimer = i64(7200), i64(1800), i64(3600)
	res, err = b.UpdateSubnet(ctx, "dhcp4", e, res.After.ModificationTS, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := b.Read(ctx, "dhcp4", "")
	got := cfg.Subnets[0]
	if *got.ValidLifetime != 7200 || *got.RenewTimer != 1800 || len(got.Pools[0].Options) != 1 {
		t.Fatalf("after update: %+v (pool options %v)", got, got.Pools[0].Options)
	}
	res, err = b.DeletePool(ctx, "dhcp4", 9, keptID, got.ModificationTS, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	var opts int
	c.QueryRow(ctx, `SELECT count(*) FROM dhcp4_options`).Scan(&opts)
	if len(res.After.Pools) != 1 || res.After.Pools[0].Range() != "198.18.9.100-198.18.9.109" || opts != 0 {
		t.Fatalf("after DeletePool4: pools %+v, %d options left", res.After.Pools, opts)
	}
	e = EditOf(*res.After)
	e.Tags = []string{"kea1"}
	if _, err := b.UpdateSubnet(ctx, "dhcp4", e, res.After.ModificationTS, Meta{}); err == nil || !strings.Contains(err.Error(), "delete the subnet and create it again") {
		t.Fatalf("changing tags in place: %v", err)
	}
}

func testRejected(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	res, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 1, Prefix: "198.18.1.0/24", Pools: []string{"198.18.1.10-198.18.1.20"}, Tags: []string{"all"}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	file := []SubnetRef{{Server: "kea1", ID: 3, Prefix: mustPrefix("198.18.2.0/24")}}
	ok := SubnetEdit{ID: 20, Prefix: "198.18.20.0/24", Tags: []string{"all"}}
	with := func(f func(*SubnetEdit)) SubnetEdit { e := ok; f(&e); return e }
	cases := []struct {
		name  string
		edit  SubnetEdit
		field string
		msg   string
		// db: refused inside the transaction (needs the other subnets),
		// before any write; otherwise before the database is reached.
		db bool
	}{
		{"not a prefix", with(func(e *SubnetEdit) { e.Prefix = "198.18.20.0" }), "prefix", "not a prefix", false},
		{"host bits", with(func(e *SubnetEdit) { e.Prefix = "198.18.20.1/24" }), "prefix", "did you mean 198.18.20.0/24", false},
		{"IPv6", with(func(e *SubnetEdit) { e.Prefix = "2001:db8::/64" }), "prefix", "not an IPv4 prefix", false},
		{"id zero", with(func(e *SubnetEdit) { e.ID = 0 }), "id", "not a subnet id", false},
		{"pool outside", with(func(e *SubnetEdit) { e.Pools = []string{"198.18.21.1-198.18.21.9"} }), "pools[0]", "not inside the subnet", false},
		{"pool reversed", with(func(e *SubnetEdit) { e.Pools = []string{"198.18.20.9-198.18.20.1"} }), "pools[0]", "before the first", false},
		{"pools overlap", with(func(e *SubnetEdit) { e.Pools = []string{"198.18.20.1-198.18.20.9", "198.18.20.5-198.18.20.20"} }), "pools[1]", "overlaps pools[0]", false},
		{"timers", with(func(e *SubnetEdit) { e.RenewTimer, e.RebindTimer = i64(900), i64(600) }), "renew-timer", "after the rebind-timer", false},
		{"no tags", with(func(e *SubnetEdit) { e.Tags = nil }), "tags", "choose", false},
		{"all with others", with(func(e *SubnetEdit) { e.Tags = []string{"all", "kea1"} }), "tags", "cannot be combined", false},
		{"duplicate id", with(func(e *SubnetEdit) { e.ID = 1 }), "id", "already used in the backend by 198.18.1.0/24", true},
		{"overlapping prefix", with(func(e *SubnetEdit) { e.Prefix = "198.18.0.0/16" }), "prefix", "overlaps the backend subnet 1", true},
		{"file subnet id", with(func(e *SubnetEdit) { e.ID = 3 }), "id", "kea1's configuration file", true},
		{"file subnet prefix", with(func(e *SubnetEdit) { e.Prefix = "198.18.2.0/25" }), "prefix", "overlaps subnet 3 (198.18.2.0/24) of kea1", true},
		{"unknown shared network", with(func(e *SubnetEdit) { e.SharedNetwork = "nowhere" }), "shared-network", "not a shared network", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			snap, seq := snapshot(t, c), revisionSeq(t, c)
			_, err := b.CreateSubnet(ctx, "dhcp4", tc.edit, Meta{FileSubnets: file})
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want a ValidationError on %s saying %q", err, tc.field, tc.msg)
			}
			if snapshot(t, c) != snap || revisionSeq(t, c) != seq {
				t.Fatalf("a refused value changed the database")
			}
		})
	}
	// An update refused the same way leaves the subnet as it was.
	e := EditOf(*res.After)
	e.Pools = append(e.Pools, "198.18.1.15-198.18.1.30")
	snap := snapshot(t, c)
	if _, err := b.UpdateSubnet(ctx, "dhcp4", e, res.After.ModificationTS, Meta{}); err == nil {
		t.Fatal("overlapping pool accepted on update")
	}
	if _, err := b.AddPool(ctx, "dhcp4", 1, "10.0.0.1-10.0.0.2", res.After.ModificationTS, Meta{}); err == nil || !strings.Contains(err.Error(), "not inside the subnet") {
		t.Fatalf("AddPool4 outside: %v", err)
	}
	if snapshot(t, c) != snap {
		t.Fatal("a refused update changed the database")
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func testConcurrent(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b1, c := open(t, db), sqlConn(t, db)
	b2 := open(t, db) // a second editor process
	res, err := b1.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 5, Prefix: "198.18.5.0/24", Tags: []string{"all"}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	read := *res.After // both editors' forms read this version

	// Both submit at once: exactly one wins, the other is told to reload.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, b := range []*Backend{b1, b2} {
		wg.Go(func() {
			e := EditOf(read)
			e.ValidLifetime = i64(int64(1000 + i))
			_, errs[i] = b.UpdateSubnet(ctx, "dhcp4", e, read.ModificationTS, Meta{Actor: []string{"ann", "bob"}[i]})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil:
			won = i
		case !errors.Is(err, ErrConflict):
			t.Fatalf("editor %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 || errs[1-won] == nil {
		t.Fatalf("results %v: want exactly one success", errs)
	}
	now, _ := b1.Subnet4(ctx, 5)
	if *now.ValidLifetime != int64(1000+won) {
		t.Fatalf("valid-lifetime %d, want the winner's %d", *now.ValidLifetime, 1000+won)
	}
	// A stale form (delete with the old version) changes nothing.
	snap := snapshot(t, c)
	if _, err := b2.DeleteSubnet(ctx, "dhcp4", 5, read.ModificationTS, Meta{}); !errors.Is(err, ErrConflict) {
		t.Fatalf("stale delete: %v", err)
	}
	if snapshot(t, c) != snap {
		t.Fatal("a stale delete changed the database")
	}
	// Two editors creating the same subnet id at once: one is refused.
	for i, b := range []*Backend{b1, b2} {
		wg.Go(func() {
			_, errs[i] = b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 6, Prefix: []string{"198.18.6.0/24", "198.18.16.0/24"}[i], Tags: []string{"all"}}, Meta{})
		})
	}
	wg.Wait()
	var ve *ValidationError
	if (errs[0] == nil) == (errs[1] == nil) || !(errors.As(errs[0], &ve) || errors.As(errs[1], &ve)) || ve.Field != "id" {
		t.Fatalf("concurrent creates of id 6: %v / %v, want one success and one duplicate-id refusal", errs[0], errs[1])
	}
}

func testLostConnection(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	res, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 8, Prefix: "198.18.8.0/24", Pools: []string{"198.18.8.10-198.18.8.20"}, Tags: []string{"all"}}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	snap := snapshot(t, c)
	// The connection is cut after every row of the change was written, just
	// before COMMIT (the administrator's pg_terminate_backend, a crash).
	b.beforeCommit = func(ctx context.Context, tx pgx.Tx) error {
		var pid int
		if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			return err
		}
		_, err := c.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid)
		return err
	}
	e := EditOf(*res.After)
	e.Pools = append(e.Pools, "198.18.8.100-198.18.8.120")
	if _, err := b.UpdateSubnet(ctx, "dhcp4", e, res.After.ModificationTS, Meta{}); err == nil {
		t.Fatal("update with a cut connection reported success")
	}
	if _, err := b.DeleteSubnet(ctx, "dhcp4", 8, res.After.ModificationTS, Meta{}); err == nil {
		t.Fatal("delete with a cut connection reported success")
	}
	if snapshot(t, c) != snap {
		t.Fatalf("a change cut mid-way left a trace")
	}
	// The next change gets a new connection and works.
	b.beforeCommit = nil
	if _, err := b.UpdateSubnet(ctx, "dhcp4", e, res.After.ModificationTS, Meta{}); err != nil {
		t.Fatalf("after the cut: %v", err)
	}
}

func testFailureMidChange(t *testing.T, pg *pgtest.Server, v keatest.Version) {
	db := keaSchema(t, pg, v)
	b, c := open(t, db), sqlConn(t, db)
	snap := snapshot(t, c)
	// The database refuses a statement after the revision, the subnet, its
	// server link and its pools were written.
	b.beforeCommit = func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		return err
	}
	if _, err := b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 4, Prefix: "198.18.4.0/24", Pools: []string{"198.18.4.1-198.18.4.9"}, Tags: []string{"all"}}, Meta{}); err == nil ||
		!strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("got %v", err)
	}
	if snapshot(t, c) != snap {
		t.Fatal("a change refused by the database half-way left a trace")
	}
}
