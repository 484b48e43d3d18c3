package configbackend

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// The DHCPv6 side against each Kea version's schema: what a change writes
// (createAuditRevisionDHCP6, dhcp6_* rows and the audit entries a server's
// pull reads), pools kept by row, prefix delegation pools read and left
// alone, and refused values touching nothing.
func TestBackend6AgainstKeaSchema(t *testing.T) {
	pg := pgtest.Start(t)
	keatest.Versions(t, func(t *testing.T, v keatest.Version) {
		db := keaSchema(t, pg, v)
		b, c := open(t, db), sqlConn(t, db)
		before := dbNow(t, c)
		res, err := b.CreateSubnet(ctx, "dhcp6", SubnetEdit{ID: 60, Prefix: "2001:db8:60::/64",
			Pools: []string{"2001:db8:60::100-2001:db8:60::1ff", "2001:db8:60::1:0/112"}, ValidLifetime: i64(4000),
			PreferredLifetime: i64(3000), Tags: []string{"all"}}, Meta{Actor: "ann"})
		if err != nil {
			t.Fatal(err)
		}
		if res.After == nil || res.After.Family != "dhcp6" || len(res.After.Pools) != 2 ||
			res.After.Pools[1].Range() != "2001:db8:60::1:0-2001:db8:60::1:ffff" || *res.After.PreferredLifetime != 3000 {
			t.Fatalf("created %+v", res.After)
		}
		var msg string
		var min, max int64
		if err := c.QueryRow(ctx, `SELECT log_message FROM dhcp6_audit_revision WHERE id = $1`, res.Revision).Scan(&msg); err != nil ||
			msg != "subnet set (ddiscope-configui: ann)" {
			t.Fatalf("dhcp6 revision %d: %q %v", res.Revision, msg, err)
		}
		if err := c.QueryRow(ctx, `SELECT min_preferred_lifetime, max_preferred_lifetime FROM dhcp6_subnet WHERE subnet_id = 60`).Scan(&min, &max); err != nil || min != 3000 || max != 3000 {
			t.Fatalf("preferred lifetime bounds %d %d %v, want 3000 as Kea writes them", min, max, err)
		}
		if got := pulled6(t, c, "kea6", before); len(got) != 1 || got[0] != (auditEntry{"dhcp6_subnet", 60, 0, msg}) {
			t.Fatalf("a DHCPv6 server's pull sees %+v, want one create entry for dhcp6_subnet 60", got)
		}
		if n := count(t, c, `SELECT count(*) FROM dhcp4_audit_revision`); n != 0 {
			t.Fatalf("a DHCPv6 change wrote %d DHCPv4 revisions", n)
		}

		// A prefix delegation pool written by someone else (Kea's cb_cmds,
		// psql) is read and kept by an update.
		if _, err := c.Exec(ctx, `INSERT INTO dhcp6_pd_pool (prefix, prefix_length, delegated_prefix_length, subnet_id, excluded_prefix_length)
VALUES ('2001:db8:6000::', 48, 56, 60, 0)`); err != nil {
			t.Fatal(err)
		}
		cur, err := b.Subnet6(ctx, 60)
		if err != nil || len(cur.PDPools) != 1 || cur.PDPools[0].String() != "2001:db8:6000::/48 delegated /56" {
			t.Fatalf("pd-pools read %+v %v", cur.PDPools, err)
		}
		keep, keepPD := cur.Pools[0].ID, cur.PDPools[0].ID
		e := EditOf(cur)
		e.Pools = []string{"2001:db8:60::100-2001:db8:60::1ff", "2001:db8:60::2:0/112"}
		e.PDPools = append(e.PDPools, "2001:db8:6100::/48 64")
		mid := dbNow(t, c)
		res, err = b.UpdateSubnet(ctx, "dhcp6", e, cur.ModificationTS, Meta{Actor: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if res.After.Pools[0].ID != keep || len(res.After.PDPools) != 2 || res.After.PDPools[0].ID != keepPD ||
			res.After.PDPools[1].String() != "2001:db8:6100::/48 delegated /64" || res.After.Pools[1].Range() != "2001:db8:60::2:0-2001:db8:60::2:ffff" {
			t.Fatalf("after update %+v", res.After)
		}
		if got := pulled6(t, c, "kea6", mid); len(got) == 0 || got[0].Type != "dhcp6_subnet" || got[0].Mod != 1 {
			t.Fatalf("after update the pull sees %+v, want an update of dhcp6_subnet 60", got)
		}
		// Stale version: a conflict.
		if _, err := b.UpdateSubnet(ctx, "dhcp6", e, cur.ModificationTS, Meta{}); !errors.Is(err, ErrConflict) {
			t.Fatalf("stale DHCPv6 update: %v, want ErrConflict", err)
		}

		// Refused values: nothing written, not even a revision.
		snap, seq := snapshot6(t, c), count(t, c, `SELECT last_value FROM dhcp6_audit_revision_id_seq`)
		ok := SubnetEdit{ID: 61, Prefix: "2001:db8:61::/64", Tags: []string{"all"}}
		with := func(f func(*SubnetEdit)) SubnetEdit { e := ok; f(&e); return e }
		for _, tc := range []struct {
			name, field, text string
			edit              SubnetEdit
		}{
			{"IPv4 prefix", "prefix", "not an IPv6 prefix", with(func(e *SubnetEdit) { e.Prefix = "198.18.61.0/24" })},
			{"IPv4 pool", "pools[0]", "not an IPv6 range", with(func(e *SubnetEdit) { e.Pools = []string{"198.18.61.1-198.18.61.9"} })},
			{"pool outside", "pools[0]", "not inside the subnet", with(func(e *SubnetEdit) { e.Pools = []string{"2001:db8:62::1-2001:db8:62::9"} })},
			{"preferred after valid", "preferred-lifetime", "longer than the valid-lifetime", with(func(e *SubnetEdit) { e.PreferredLifetime, e.ValidLifetime = i64(900), i64(600) })},
			{"overlap", "prefix", "overlaps the backend subnet 60", with(func(e *SubnetEdit) { e.Prefix = "2001:db8:60::/48" })},
			{"unknown tag", "tags", "not in dhcp6_server", with(func(e *SubnetEdit) { e.Tags = []string{"kea6"} })},
			{"pd delegated shorter", "pd-pools[0]", "must be a number from 48 to 128", with(func(e *SubnetEdit) { e.PDPools = []string{"2001:db8:6200::/48 40"} })},
			{"pd host bits", "pd-pools[0]", "has host bits set", with(func(e *SubnetEdit) { e.PDPools = []string{"2001:db8:6200::1/48 56"} })},
			{"pd overlap", "pd-pools[1]", "overlaps pd-pools[0]", with(func(e *SubnetEdit) { e.PDPools = []string{"2001:db8:6200::/48 56", "2001:db8:6200::/56 64"} })},
		} {
			_, err := b.CreateSubnet(ctx, "dhcp6", tc.edit, Meta{})
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("%s: %v, want a ValidationError on %s saying %q", tc.name, err, tc.field, tc.text)
			}
		}
		if snapshot6(t, c) != snap {
			t.Fatal("a refused DHCPv6 edit changed the database")
		}
		if n := count(t, c, `SELECT last_value FROM dhcp6_audit_revision_id_seq`); n != seq {
			t.Fatalf("revision sequence moved %d → %d on refused edits", seq, n)
		}

		// Delete: the subnet, its pools and pd-pools go (Kea's trigger).
		if _, err := b.DeleteSubnet(ctx, "dhcp6", 60, res.After.ModificationTS, Meta{}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, c, `SELECT (SELECT count(*) FROM dhcp6_pool) + (SELECT count(*) FROM dhcp6_pd_pool) + (SELECT count(*) FROM dhcp6_subnet)`); n != 0 {
			t.Fatalf("%d DHCPv6 rows left after the delete", n)
		}
	})
}

func count(t *testing.T, c *pgx.Conn, q string) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// pulled6 is pulled for DHCPv6 (Kea's GET_AUDIT_ENTRIES6_TIME).
func pulled6(t *testing.T, c *pgx.Conn, tag string, after interface{ Format(string) string }) []auditEntry {
	t.Helper()
	q := strings.ReplaceAll(pullQuery, "dhcp4_", "dhcp6_")
	rows, err := c.Query(ctx, q, tag, after.Format("2006-01-02 15:04:05.999999"), 0)
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

func snapshot6(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"dhcp6_server", "dhcp6_subnet", "dhcp6_pool", "dhcp6_pd_pool", "dhcp6_subnet_server",
		"dhcp6_options", "dhcp6_audit_revision", "dhcp6_audit"} {
		var rows string
		if err := c.QueryRow(ctx, `SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '') FROM `+tbl+` t`).Scan(&rows); err != nil {
			t.Fatalf("snapshot of %s: %v", tbl, err)
		}
		b.WriteString("== " + tbl + "\n" + rows + "\n")
	}
	return b.String()
}
