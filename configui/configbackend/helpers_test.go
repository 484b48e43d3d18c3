package configbackend

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

// keaAdmin finds kea-admin for a Kea version: Debian's for 2.2, the
// bundle's for 3.0.
func keaAdmin(t testing.TB, v keatest.Version) string {
	t.Helper()
	if v.AtLeast30() {
		root := keatest.Bundle(t)
		return filepath.Join(root, "sbin", "kea-admin")
	}
	keatest.Require(t, "kea-admin")
	if p, err := exec.LookPath("kea-admin"); err == nil {
		return p
	}
	return "/usr/sbin/kea-admin"
}

// keaSchema makes a new database in pg and creates Kea's schema in it with
// kea-admin db-init pgsql, as an operator does.
func keaSchema(t testing.TB, pg *pgtest.Server, v keatest.Version) DB {
	t.Helper()
	admin := keaAdmin(t, v)
	cs := pg.NewDatabase(t)
	name := strings.TrimPrefix(cs[strings.Index(cs, "dbname="):], "dbname=")
	name = strings.Fields(name)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, admin, "db-init", "pgsql", "-u", "postgres", "-p", "unused", "-n", name,
		"-h", "127.0.0.1", "-P", itoa(pg.Port))
	cmd.Env = append(os.Environ(), "PATH=/usr/lib/postgresql/15/bin:"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kea-admin db-init pgsql: %v\n%s", err, out)
	}
	return DB{Name: name, Host: "127.0.0.1", Port: pg.Port, User: "postgres", OnFail: DefaultOnFail}
}

func itoa(i int) string { return strconv.Itoa(i) }

func open(t testing.TB, db DB) *Backend {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := Open(ctx, nil, db)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// sqlConn is a separate connection to the backend's database, as another
// client (Kea, psql) would have.
func sqlConn(t testing.TB, db DB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, "host=127.0.0.1 port="+itoa(db.Port)+" user=postgres dbname="+db.Name+" sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// snapshot is every row of the tables a subnet edit touches, to show that a
// refused or failed change left the database as it was.
func snapshot(t testing.TB, c *pgx.Conn) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"dhcp4_server", "dhcp4_subnet", "dhcp4_pool", "dhcp4_subnet_server",
		"dhcp4_options", "dhcp4_shared_network", "dhcp4_audit_revision", "dhcp4_audit"} {
		var rows string
		err := c.QueryRow(context.Background(),
			`SELECT coalesce(string_agg(t::text, E'\n' ORDER BY t::text), '') FROM `+tbl+` t`).Scan(&rows)
		if err != nil {
			t.Fatalf("snapshot of %s: %v", tbl, err)
		}
		b.WriteString("== " + tbl + "\n" + rows + "\n")
	}
	return b.String()
}

// revisionSeq is the audit revision sequence's position: sequences ignore
// rollbacks, so an unchanged value shows no revision was even attempted.
func revisionSeq(t testing.TB, c *pgx.Conn) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), `SELECT last_value FROM dhcp4_audit_revision_id_seq`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func i64(v int64) *int64 { return &v }
