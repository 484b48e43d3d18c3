package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/configui/inbox"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

func open(t *testing.T, conn string, set Settings) *Store {
	t.Helper()
	s, err := Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), conn, 4, set)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

var fast = Settings{RetryOnStartup: true, OnFail: "serve-retry-continue", ReconnectWaitTime: 200 * time.Millisecond}

func TestStore(t *testing.T) {
	pg := pgtest.Start(t)
	t.Run("MigrationsTwiceChangeNothing", func(t *testing.T) {
		conn := pg.NewDatabase(t)
		s := open(t, conn, fast)
		ctx := context.Background()
		schema := func() string {
			var d string
			if err := s.pool.QueryRow(ctx, `SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name)
				FROM information_schema.columns WHERE table_schema = 'public'`).Scan(&d); err != nil {
				t.Fatal(err)
			}
			return d
		}
		before := schema()
		if err := s.CreateUser(ctx, "ann", "h", "admin"); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s2 := open(t, conn, fast) // a second editor starting on the same database
		if !s2.Up() {
			t.Fatal("second open not up")
		}
		if after := schema(); after != before {
			t.Fatalf("schema changed:\n%s\n%s", before, after)
		}
		if u, err := s2.UserByName(ctx, "ann"); err != nil || u.Role != "admin" {
			t.Fatalf("user lost: %+v %v", u, err)
		}
	})
	t.Run("Users", func(t *testing.T) {
		s := open(t, pg.NewDatabase(t), fast)
		ctx := context.Background()
		if err := s.CreateUser(ctx, "bob", "h1", "viewer"); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, "bob", "h1", "viewer"); !errors.Is(err, ErrExists) {
			t.Fatalf("duplicate: %v", err)
		}
		if err := s.CreateUser(ctx, "eve", "h", "root"); err == nil {
			t.Fatal("role root accepted")
		}
		u, _ := s.UserByName(ctx, "bob")
		if err := s.CreateSession(ctx, "sid1", u.ID, time.Now().Add(time.Hour), "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if got, err := s.SessionUser(ctx, "sid1"); err != nil || got.Username != "bob" {
			t.Fatalf("session: %+v %v", got, err)
		}
		if err := s.SetPassword(ctx, "bob", "h2"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(ctx, "sid1"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("session survived a password change: %v", err)
		}
		if err := s.SetPassword(ctx, "nobody", "h"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("passwd of nobody: %v", err)
		}
		if err := s.DeleteUser(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UserByName(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted user: %v", err)
		}
	})
	t.Run("Alerts", func(t *testing.T) {
		s := open(t, pg.NewDatabase(t), fast)
		ctx := context.Background()
		start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		a := inbox.Alert{Fingerprint: "aa01", Status: "firing", Labels: map[string]string{"alertname": "X", "server": "kea1", "subnet_id": "1"},
			Annotations: map[string]string{"summary": "s"}, StartsAt: start, Source: "webhook"}
		b := a
		b.Fingerprint, b.Labels = "bb02", map[string]string{"alertname": "Y", "server": "kea2"}
		if err := s.SaveAlerts(ctx, []inbox.Alert{a, b}); err != nil {
			t.Fatal(err)
		}
		a.Status, a.EndsAt = "resolved", start.Add(time.Minute)
		if err := s.SaveAlerts(ctx, []inbox.Alert{a}); err != nil {
			t.Fatal(err)
		}
		all, total, err := s.Alerts(ctx, AlertQuery{})
		if err != nil || total != 2 || len(all) != 2 {
			t.Fatalf("alerts: %d %d %v", len(all), total, err)
		}
		if all[0].Fingerprint != "aa01" || all[0].Status != "resolved" || !all[0].EndsAt.Equal(a.EndsAt) {
			t.Fatalf("newest first, resolved: %+v", all[0])
		}
		f, err := s.Firing(ctx, inbox.PageLabels{"server": "kea2"})
		if err != nil || len(f) != 1 || f[0].Labels["alertname"] != "Y" {
			t.Fatalf("firing kea2: %+v %v", f, err)
		}
		n, err := s.ResolveMissing(ctx, []string{"cc03"})
		if err != nil || n != 1 {
			t.Fatalf("resolve missing: %d %v", n, err)
		}
		if f, _ := s.Firing(ctx, inbox.PageLabels{"server": "kea2"}); len(f) != 0 {
			t.Fatalf("still firing: %+v", f)
		}
	})
	// Stopped mid-test: calls fail fast with ErrUnavailable; the watcher
	// brings the store back by itself when PostgreSQL returns.
	t.Run("DatabaseAwayAndBack", func(t *testing.T) {
		s := open(t, pg.NewDatabase(t), fast)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go s.Run(ctx, func(err error) { t.Errorf("fatal with serve-retry-continue: %v", err) })
		pg.Stop(t)
		if err := s.Audit(ctx, AuditEntry{Username: "x", Action: "login"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("audit with the database stopped: %v", err)
		}
		if s.Up() {
			t.Fatal("still up")
		}
		if err := s.Audit(ctx, AuditEntry{Username: "x", Action: "login"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("second call: %v", err)
		}
		pg.Restart(t)
		deadline := time.Now().Add(20 * time.Second)
		for !s.Up() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if err := s.Audit(ctx, AuditEntry{Username: "x", Action: "login", Success: true}); err != nil {
			t.Fatalf("after restart: %v", err)
		}
	})
	t.Run("ExitModesGiveUp", func(t *testing.T) {
		set := fast
		set.OnFail, set.MaxReconnectTries = "serve-retry-exit", 2
		s := open(t, pg.NewDatabase(t), set)
		pg.Stop(t)
		defer pg.Restart(t)
		fatal := make(chan error, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		go s.Run(ctx, func(err error) { fatal <- err })
		select {
		case err := <-fatal:
			t.Logf("gave up: %v", err)
		case <-ctx.Done():
			t.Fatal("serve-retry-exit did not give up after max-reconnect-tries")
		}
		if !s.Serving() {
			t.Fatal("serve-retry-exit stopped serving")
		}
	})
	t.Run("NoRetryOnStartup", func(t *testing.T) {
		_, err := Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)),
			"host=127.0.0.1 port=1 dbname=x user=x sslmode=disable connect_timeout=1", 1, Settings{OnFail: "serve-retry-continue"})
		if err == nil {
			t.Fatal("opened an absent database with retry-on-startup false")
		}
	})
}
