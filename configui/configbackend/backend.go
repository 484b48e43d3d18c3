// Package configbackend reads and edits the subnets, pools, shared networks
// and options that Kea servers pull from their PostgreSQL configuration
// backend (libdhcp_pgsql_cb.so in Kea 2.2, libdhcp_pgsql.so in Kea 3.0).
//
// Kea's cb_cmds, which manage that database through Kea, are commercial, so
// the editor writes the database directly, through pgx/v5, the way Kea's own
// backend code writes it: in one transaction per change, an audit revision
// first (createAuditRevisionDHCP4, tagged with the server tag the change is
// for), then the rows, whose triggers add the audit entries that the servers'
// periodic pull (config-fetch-wait-time) reads to find what changed.
//
//	srv, _ := configbackend.Detect(ctx, keaClient, "dhcp4")      // config-control from config-get
//	b, _ := configbackend.Open(ctx, log, srv.Databases[0])        // checks the schema version
//	cfg, _ := b.Read(ctx, "dhcp4", srv.ServerTag)                 // what that server gets
//	res, _ := b.CreateSubnet(ctx, "dhcp4", configbackend.SubnetEdit{...}, configbackend.Meta{Actor: "ann"})
//	res, _ = b.UpdateSubnet(ctx, "dhcp4", edit, sub.ModificationTS, meta) // ErrConflict if changed since read
//	res, _ = b.DeleteSubnet(ctx, "dhcp4", id, sub.ModificationTS, meta)
//
// It refuses a schema version it was not tested with (ErrUnsupportedSchema).
package configbackend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ddiscope/ddiscope/configui/store"
)

// Schema is a version of Kea's PostgreSQL schema (table schema_version).
type Schema struct{ Major, Minor int }

func (s Schema) String() string { return fmt.Sprintf("%d.%d", s.Major, s.Minor) }

// Supported are the schema versions the editor was tested with, and the Kea
// release that creates each (kea-admin db-init pgsql).
var Supported = map[Schema]string{
	{13, 0}: "Kea 2.2",
	{29, 0}: "Kea 3.0",
}

func supportedList() string {
	var l []string
	for _, s := range []Schema{{13, 0}, {29, 0}} {
		l = append(l, s.String()+" ("+Supported[s]+")")
	}
	return strings.Join(l, ", ")
}

// Errors a caller (the web layer, the apply pipeline) tells apart.
var (
	// ErrUnsupportedSchema: the database's schema version is not one tested.
	ErrUnsupportedSchema = errors.New("unsupported configuration backend schema")
	// ErrUnavailable: the database could not be reached (after Kea's
	// retry settings were followed).
	ErrUnavailable = errors.New("configuration backend database unavailable")
	// ErrStopped: on-fail is stop-retry-exit or serve-retry-exit and the
	// reconnect attempts ran out; Reopen starts again.
	ErrStopped = errors.New("configuration backend connection given up (on-fail)")
	// ErrConflict: the object changed since the form read it.
	ErrConflict = errors.New("changed by someone else since it was read")
	// ErrNotFound: no such subnet or pool.
	ErrNotFound = errors.New("not found")
	// ErrReadOnly: Kea's "readonly" is set on this database.
	ErrReadOnly = errors.New("the database is configured readonly in Kea")
)

// Backend is one configuration backend database.
type Backend struct {
	log    *slog.Logger
	db     DB
	pool   *pgxpool.Pool
	schema Schema
	// stopped is set when on-fail says to give up; every call then fails
	// with ErrStopped.
	stopped atomic.Bool
	// beforeCommit runs inside every write transaction just before COMMIT;
	// tests use it to cut the connection or race another edit there.
	beforeCommit func(ctx context.Context, tx pgx.Tx) error
}

// Open connects to the database and checks its schema version. Without
// retry-on-startup a failure to connect is returned at once (as Kea exits);
// with it, Open tries max-reconnect-tries more times, reconnect-wait-time
// apart, before giving up.
func Open(ctx context.Context, log *slog.Logger, db DB) (*Backend, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cs, err := store.ConnString(db.database())
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cs)
	if err != nil {
		return nil, fmt.Errorf("configuration backend %s: %w", db, err)
	}
	pc.MaxConns = 4
	if pc.ConnConfig.TLSConfig != nil {
		pc.ConnConfig.TLSConfig.MinVersion = tls.VersionTLS12
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("configuration backend %s: %w", db, err)
	}
	b := &Backend{log: log.With("config_backend", db.String()), db: db, pool: pool}
	tries := 0
	if db.RetryOnStartup {
		tries = db.MaxReconnectTries
	}
	err = b.retry(ctx, tries, func() error { return b.checkSchema(ctx) })
	if err != nil {
		pool.Close()
		if !db.RetryOnStartup && errors.Is(err, ErrUnavailable) {
			return nil, fmt.Errorf("%w (retry-on-startup is false)", err)
		}
		return nil, err
	}
	return b, nil
}

// Close closes the connections.
func (b *Backend) Close() { b.pool.Close() }

// Schema is the database's schema version.
func (b *Backend) Schema() Schema { return b.schema }

// DB is the database's settings.
func (b *Backend) DB() DB { return b.db }

// Reopen clears a given-up state (ErrStopped), e.g. after an operator fixed
// the database.
func (b *Backend) Reopen() { b.stopped.Store(false) }

func (b *Backend) checkSchema(ctx context.Context) error {
	var s Schema
	err := b.pool.QueryRow(ctx, `SELECT version, minor FROM schema_version`).Scan(&s.Major, &s.Minor)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
			return fmt.Errorf("%w: %s has no schema_version table: not a Kea database (create it with kea-admin db-init pgsql)", ErrUnsupportedSchema, b.db)
		}
		return b.wrap(err)
	}
	if _, ok := Supported[s]; !ok {
		return fmt.Errorf("%w: %s has schema version %s; the editor was tested with %s only and does not read or write other versions",
			ErrUnsupportedSchema, b.db, s, supportedList())
	}
	b.schema = s
	return nil
}

// unavailable says whether err is the connection failing rather than a
// statement being refused.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P: operator intervention (shutdown, terminated).
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	return pgconn.SafeToRetry(err) || pgconn.Timeout(err) || isNetErr(err)
}

func isNetErr(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "broken pipe") ||
		strings.Contains(s, "unexpected EOF") || strings.Contains(s, "conn closed") || strings.Contains(s, "connection reset")
}

func (b *Backend) wrap(err error) error {
	if unavailable(err) {
		return fmt.Errorf("%w: %s: %v", ErrUnavailable, b.db, err)
	}
	return err
}

// retry runs fn, and again up to tries times reconnect-wait-time apart while
// it fails with ErrUnavailable. When the tries run out and on-fail is not
// serve-retry-continue, the backend stops (ErrStopped until Reopen).
func (b *Backend) retry(ctx context.Context, tries int, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || !errors.Is(err, ErrUnavailable) {
			return err
		}
		if attempt >= tries {
			if tries > 0 && b.db.OnFail != "serve-retry-continue" {
				b.stopped.Store(true)
				b.log.Error("configuration backend given up", "tries", tries, "on-fail", b.db.OnFail, "err", err)
				return fmt.Errorf("%w after %d reconnect attempts (on-fail %s): %w", ErrStopped, tries, b.db.OnFail, err)
			}
			return err
		}
		b.log.Warn("configuration backend unavailable, retrying", "attempt", attempt+1, "of", tries,
			"reconnect-wait-time", b.db.ReconnectWaitTime, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(b.db.ReconnectWaitTime):
		}
	}
}

// read runs fn in a read-only transaction, reconnecting per Kea's settings.
func (b *Backend) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if b.stopped.Load() {
		return fmt.Errorf("%w: %s", ErrStopped, b.db)
	}
	return b.retry(ctx, b.db.MaxReconnectTries, func() error {
		return b.wrap(pgx.BeginTxFunc(ctx, b.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, fn))
	})
}

// lockKey serialises the editor's own writes to one backend database
// (pg_advisory_xact_lock): validation against the other subnets and the
// audit revision timestamps then see a stable database.
const lockKey = 0x6464_6973_6362 // "ddiscb"

// write runs fn in one transaction under the advisory lock. Only connecting
// is retried: once the transaction has begun, a lost connection fails the
// change (PostgreSQL rolls it back) and is not replayed.
func (b *Backend) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if b.db.ReadOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, b.db)
	}
	if b.stopped.Load() {
		return fmt.Errorf("%w: %s", ErrStopped, b.db)
	}
	var conn *pgxpool.Conn
	err := b.retry(ctx, b.db.MaxReconnectTries, func() error {
		c, err := b.pool.Acquire(ctx)
		if err == nil {
			err = c.Ping(ctx)
			if err != nil {
				c.Release()
			}
		}
		if err != nil {
			return b.wrap(err)
		}
		conn = c
		return nil
	})
	if err != nil {
		return err
	}
	defer conn.Release()
	err = pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockKey)); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		if b.beforeCommit != nil {
			return b.beforeCommit(ctx, tx)
		}
		return nil
	})
	return b.wrap(err)
}
