// Package store is the editor's PostgreSQL storage: users, sessions, the
// alert inbox and the audit trail, in plain parameterised SQL through
// pgx/v5's pool. Migrations are embedded and applied at start by tern
// (which holds an advisory lock while it migrates, so two editors starting
// together do not race).
//
// Failure behaviour follows Kea's database settings: retry-on-startup,
// on-fail (stop-retry-exit, serve-retry-exit, serve-retry-continue),
// max-reconnect-tries and reconnect-wait-time. While the database is away
// every call fails fast with ErrUnavailable, and a watcher reconnects.
package store

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/ddiscope/ddiscope/configui/config"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrUnavailable wraps every failure caused by the database being away.
var ErrUnavailable = errors.New("database unavailable")

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// Settings are the failure semantics, with defaults filled.
type Settings struct {
	RetryOnStartup    bool
	OnFail            string
	MaxReconnectTries int           // 0: no limit
	ReconnectWaitTime time.Duration // between attempts while down; also the health check period
}

// Store is the database.
type Store struct {
	log  *slog.Logger
	pool *pgxpool.Pool
	set  Settings

	up       atomic.Bool
	migrated atomic.Bool
	kick     chan struct{}
	mu       sync.Mutex // serialises migrations
}

// SettingsOf reads the failure settings from the config, Kea's defaults
// adapted: retry on start-up, keep serving and keep retrying every 5 s.
func SettingsOf(db config.Database) Settings {
	s := Settings{RetryOnStartup: true, OnFail: "serve-retry-continue", MaxReconnectTries: db.MaxReconnectTries, ReconnectWaitTime: 5 * time.Second}
	if db.RetryOnStartup != nil {
		s.RetryOnStartup = *db.RetryOnStartup
	}
	if db.OnFail != "" {
		s.OnFail = db.OnFail
	}
	if db.ReconnectWaitTime != nil && *db.ReconnectWaitTime > 0 {
		s.ReconnectWaitTime = *db.ReconnectWaitTime
	}
	return s
}

// quote makes a keyword/value connection string value.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// ConnString turns the config into a libpq keyword/value string.
func ConnString(db config.Database) (string, error) {
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k+"="+quote(v))
		}
	}
	add("host", db.Host)
	if db.Port != 0 {
		add("port", strconv.Itoa(db.Port))
	}
	add("dbname", db.Name)
	add("user", db.User)
	pw := db.Password
	if db.PasswordFile != "" {
		b, err := os.ReadFile(db.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("database: password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	add("password", pw)
	timeout := 5 * time.Second
	if db.ConnectTimeout != nil && *db.ConnectTimeout > 0 {
		timeout = *db.ConnectTimeout
	}
	add("connect_timeout", strconv.Itoa(max(1, int(timeout.Seconds()))))
	switch {
	case db.TrustAnchor != "":
		add("sslmode", "verify-full")
		add("sslrootcert", db.TrustAnchor)
	case db.CertFile != "":
		add("sslmode", "require")
	case strings.HasPrefix(db.Host, "/"):
		add("sslmode", "disable")
	}
	add("sslcert", db.CertFile)
	add("sslkey", db.KeyFile)
	return strings.Join(kv, " "), nil
}

// Open makes the pool and, unless retry-on-startup is on, insists that the
// database answers and is migrated now. With it on, Open returns at once and
// Run connects and migrates when the database appears.
func Open(ctx context.Context, log *slog.Logger, connString string, maxConns int, set Settings) (*Store, error) {
	pc, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("database settings: %w", err)
	}
	if maxConns > 0 {
		pc.MaxConns = int32(maxConns)
	}
	if pc.ConnConfig.TLSConfig != nil {
		pc.ConnConfig.TLSConfig.MinVersion = tls.VersionTLS12
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	s := &Store{log: log, pool: pool, set: set, kick: make(chan struct{}, 1)}
	if err := s.connect(ctx); err != nil {
		if !set.RetryOnStartup {
			pool.Close()
			return nil, fmt.Errorf("database: %w (retry-on-startup is false)", err)
		}
		log.Warn("database not available at start; serving and retrying", "err", err, "reconnect-wait-time", set.ReconnectWaitTime)
	}
	return s, nil
}

// connect pings and migrates; on success the store is up.
func (s *Store) connect(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.pool.Ping(pctx); err != nil {
		return err
	}
	if !s.migrated.Load() {
		if err := s.Migrate(ctx); err != nil {
			return err
		}
	}
	s.up.Store(true)
	return nil
}

// Migrate applies the embedded migrations not yet applied. Applying them
// again changes nothing.
func (s *Store) Migrate(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), "ddiscope_configui_schema_version")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sub, _ := fs.Sub(migrations, "migrations")
	if err := m.LoadMigrations(sub); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	s.migrated.Store(true)
	return nil
}

// Up says whether the database answered last time it was asked.
func (s *Store) Up() bool { return s.up.Load() }

// Serving is false only while the database is away and on-fail is
// stop-retry-exit: then the editor answers 503 to everything but its health.
func (s *Store) Serving() bool { return s.up.Load() || s.set.OnFail != "stop-retry-exit" }

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Run watches the database until ctx ends: a health check every
// reconnect-wait-time, and a reconnect attempt at the same pace while it is
// away. fatal gets the error when on-fail says the editor must exit.
func (s *Store) Run(ctx context.Context, fatal func(error)) {
	failures := 0
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		wasUp := s.up.Load()
		err := s.connect(ctx)
		switch {
		case err == nil:
			if !wasUp || failures > 0 {
				s.log.Info("database available", "after_failures", failures)
			}
			failures = 0
		case ctx.Err() != nil:
			return
		default:
			s.up.Store(false)
			failures++
			s.log.Warn("database unavailable", "err", err, "failures", failures, "on-fail", s.set.OnFail)
			if s.set.OnFail != "serve-retry-continue" && s.set.MaxReconnectTries > 0 && failures > s.set.MaxReconnectTries {
				fatal(fmt.Errorf("database: %d connection attempts failed (max-reconnect-tries %d, on-fail %s): %w",
					failures, s.set.MaxReconnectTries, s.set.OnFail, err))
				return
			}
		}
		t.Reset(s.set.ReconnectWaitTime)
	}
}

// check turns a query error into ErrUnavailable when the connection, not
// the query, failed, and marks the store down so the watcher reconnects.
func (s *Store) check(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "57P") {
		return err // the server answered: a real query error
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if s.up.Swap(false) {
		s.log.Warn("database connection lost", "err", err)
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// ready fails fast while the database is known to be away.
func (s *Store) ready() error {
	if !s.up.Load() {
		return fmt.Errorf("%w: reconnecting", ErrUnavailable)
	}
	return nil
}
