package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"

	"github.com/ddiscope/ddiscope/configui/auth"
	"github.com/ddiscope/ddiscope/configui/config"
	"github.com/ddiscope/ddiscope/configui/store"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/pgtest"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserCommands(t *testing.T) {
	pg := pgtest.Start(t)
	conn := pg.NewDatabase(t)
	db := conn[strings.Index(conn, "dbname=")+len("dbname=") : strings.Index(conn, " sslmode")]
	cfg := filepath.Join(t.TempDir(), "configui.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database:\n  host: 127.0.0.1\n  port: %d\n  user: postgres\n  name: %s\n", pg.Port, db)), 0o600)

	if code, out, errs := runCLI(t, "", "--config.file="+cfg, "serve", "--check-config"); code != 0 || !strings.Contains(out, "valid") {
		t.Fatalf("check-config: %d %q %q", code, out, errs)
	}
	code, out, errs := runCLI(t, "", "--config.file="+cfg, "user", "add", "ann", "--role=admin")
	if code != 0 || !strings.Contains(out, "user ann: password ") {
		t.Fatalf("user add: %d %q %q", code, out, errs)
	}
	generated := strings.TrimSpace(out[strings.LastIndex(out, " ")+1:])
	st, err := store.Open(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), conn, 2, store.Settings{OnFail: "serve-retry-continue"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(t.Context(), "ann")
	if err != nil || u.Role != "admin" {
		t.Fatalf("ann: %+v %v", u, err)
	}
	if ok, _ := auth.Verify(u.PasswordHash, generated); !ok {
		t.Fatal("the printed password does not verify")
	}
	if code, _, errs := runCLI(t, "", "--config.file="+cfg, "user", "add", "ann"); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("second add: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, "short\n", "--config.file="+cfg, "user", "passwd", "ann", "--password-stdin"); code == 0 || !strings.Contains(errs, "12 characters") {
		t.Fatalf("short password: %d %q", code, errs)
	}
	if code, out, errs := runCLI(t, "a-long-new-password\n", "--config.file="+cfg, "user", "passwd", "ann", "--password-stdin"); code != 0 || strings.Contains(out, "a-long-new-password") {
		t.Fatalf("passwd: %d %q %q", code, out, errs)
	}
	u, _ = st.UserByName(t.Context(), "ann")
	if ok, _ := auth.Verify(u.PasswordHash, "a-long-new-password"); !ok {
		t.Fatal("the new password does not verify")
	}
	if code, _, errs := runCLI(t, "", "--config.file="+cfg, "user", "del", "ann"); code != 0 {
		t.Fatalf("del: %q", errs)
	}
	if code, _, errs := runCLI(t, "", "--config.file="+cfg, "user", "del", "ann"); code == 0 || !strings.Contains(errs, `no user "ann"`) {
		t.Fatalf("del of nobody: %d %q", code, errs)
	}
	es, _ := st.AuditLog(t.Context(), 10, 0)
	if len(es) < 3 {
		t.Fatalf("audit: %+v", es)
	}
	if code, _, errs := runCLI(t, "", "--config.file="+cfg, "user", "add", "bad name"); code == 0 || !strings.Contains(errs, "username") {
		t.Fatalf("bad name: %d %q", code, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	os.WriteFile(bad, []byte("database: {name: x}\nnope: 1\n"), 0o600)
	if code, _, errs := runCLI(t, "", "--config.file="+bad, "serve", "--check-config"); code == 0 || !strings.Contains(errs, `unknown key "nope"`) {
		t.Fatalf("bad config: %d %q", code, errs)
	}
}

// The editor reads every Kea configuration at start, before anyone opens a
// page, so the first remediation link does not wait for config-get.
func TestServeWarmsTheKeaConfigurationsAtStart(t *testing.T) {
	pg := pgtest.Start(t)
	conn := pg.NewDatabase(t)
	db := conn[strings.Index(conn, "dbname=")+len("dbname=") : strings.Index(conn, " sslmode")]
	kea := keafixture.New(t, map[string]string{
		"ca:config-get":     "../../testdata/kea/kea2.2-ca-config-get.json",
		"ca:version-get":    "../../testdata/kea/kea2.2-ca-version-get.json",
		"dhcp4:config-get":  "../../testdata/kea/kea2.2-dhcp4-config-get.json",
		"dhcp4:version-get": "../../testdata/kea/kea2.2-dhcp4-version-get.json",
		"dhcp4:status-get":  "../../testdata/kea/kea2.2-dhcp4-status-get.json",
	})
	cfg, err := config.Parse("warm.yml", []byte(fmt.Sprintf("kea:\n  - name: kea1\n    url: %s\n    daemons: [dhcp4]\ndatabase:\n  host: 127.0.0.1\n  port: %d\n  user: postgres\n  name: %s\n", kea.URL, pg.Port, db)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	listen, file := []string{"127.0.0.1:0"}, ""
	done := make(chan int)
	go func() {
		done <- serveEditor(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg, &toolkit.FlagConfig{WebListenAddresses: &listen, WebConfigFile: &file}, io.Discard)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Contains(kea.Commands(), "dhcp4:config-get") {
		if time.Now().After(deadline) {
			t.Fatalf("no config-get within 20 s of the start; Kea was sent %v", kea.Commands())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d", code)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of its context")
	}
}
