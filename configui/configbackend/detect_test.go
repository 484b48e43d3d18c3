package configbackend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/internal/keatest"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

func TestParseConfigControl(t *testing.T) {
	args := []byte(`{"Dhcp4": {"server-tag": "kea1", "config-control": {"config-fetch-wait-time": 5, "config-databases": [
	  {"type": "mysql", "name": "kea"},
	  {"type": "postgresql", "name": "kea", "host": "db.example", "port": 6432, "user": "kea", "password": "pw",
	   "trust-anchor": "/ca.pem", "cert-file": "/c.pem", "key-file": "/k.pem", "retry-on-startup": true,
	   "on-fail": "serve-retry-exit", "max-reconnect-tries": 7, "reconnect-wait-time": 2500, "connect-timeout": 3}]}}}`)
	s, err := Parse("dhcp4", args)
	if err != nil {
		t.Fatal(err)
	}
	want := DB{Name: "kea", Host: "db.example", Port: 6432, User: "kea", Password: "pw", TrustAnchor: "/ca.pem",
		CertFile: "/c.pem", KeyFile: "/k.pem", ConnectTimeout: 3 * time.Second, RetryOnStartup: true,
		OnFail: "serve-retry-exit", MaxReconnectTries: 7, ReconnectWaitTime: 2500 * time.Millisecond}
	if s.ServerTag != "kea1" || s.FetchWaitTime != 5*time.Second || len(s.Databases) != 1 || s.Databases[0] != want ||
		len(s.Unsupported) != 1 || !strings.Contains(s.Unsupported[0], `"mysql"`) {
		t.Fatalf("got %+v", s)
	}
	if strings.Contains(s.Databases[0].String(), "pw") {
		t.Fatal("String() shows the password")
	}
	// Kea's defaults.
	s, err = Parse("dhcp4", []byte(`{"Dhcp4": {"config-control": {"config-databases": [{"type": "postgresql", "name": "kea"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Databases[0]; s.ServerTag != "all" || s.FetchWaitTime != 30*time.Second || d.Host != "localhost" || d.Port != 5432 ||
		d.OnFail != "stop-retry-exit" || d.RetryOnStartup || d.MaxReconnectTries != 0 {
		t.Fatalf("defaults: %+v %+v", s, d)
	}
	for in, msg := range map[string]string{
		`{"Dhcp4": {}}`: "no configuration backend",
		`{"Dhcp4": {"config-control": {"config-databases": [{"type": "postgresql", "name": "k", "on-fail": "retry"}]}}}`: `"retry" is not stop-retry-exit`,
		`{"Dhcp4": {"config-control": {"config-databases": [{"type": "postgresql"}]}}}`:                                  `config-databases[0]: no "name"`,
		`{"Dhcp6": {}}`: `no "Dhcp4" object`,
		`[1]`:           "config-get of dhcp4",
	} {
		if _, err := Parse("dhcp4", []byte(in)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%s): %v, want %q", in, err, msg)
		}
	}
	if _, err := Parse("dhcp4", []byte(`{"Dhcp4": {}}`)); !errors.Is(err, ErrNoBackend) {
		t.Errorf("want ErrNoBackend, got %v", err)
	}
}

// Kea's retry-on-startup, max-reconnect-tries, reconnect-wait-time and
// on-fail, applied to the editor's connection.
func TestConnectionFollowsKeaRetrySettings(t *testing.T) {
	pg := pgtest.Start(t)
	db := keaSchema(t, pg, keatest.Kea22)
	pg.Stop(t)

	start := time.Now()
	_, err := Open(ctx, nil, db)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "retry-on-startup is false") || time.Since(start) > 10*time.Second {
		t.Fatalf("without retry-on-startup: %v after %s, want an immediate ErrUnavailable", err, time.Since(start))
	}

	db.RetryOnStartup, db.MaxReconnectTries, db.ReconnectWaitTime = true, 100, 100*time.Millisecond
	done := make(chan error, 1)
	var b *Backend
	go func() {
		var err error
		b, err = Open(ctx, nil, db)
		done <- err
	}()
	time.Sleep(time.Second)
	pg.Restart(t)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("with retry-on-startup, after the database came back: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open did not return within 30 s of the database coming back")
	}
	defer b.Close()

	// Down during operation: stop-retry-exit gives up after its tries and
	// stays stopped until Reopen; the database is unchanged.
	b.db.MaxReconnectTries = 2
	pg.Stop(t)
	_, err = b.CreateSubnet(ctx, "dhcp4", SubnetEdit{ID: 1, Prefix: "198.18.1.0/24", Tags: []string{"all"}}, Meta{})
	if !errors.Is(err, ErrStopped) {
		t.Fatalf("edit with the database down: %v, want ErrStopped", err)
	}
	pg.Restart(t)
	if _, err := b.Read(ctx, "dhcp4", ""); !errors.Is(err, ErrStopped) {
		t.Fatalf("after giving up: %v, want ErrStopped until Reopen", err)
	}
	b.Reopen()
	cfg, err := b.Read(context.Background(), "dhcp4", "")
	if err != nil || len(cfg.Subnets) != 0 {
		t.Fatalf("after Reopen: %v, %d subnets (the refused edit must not be there)", err, len(cfg.Subnets))
	}
}
