package kea

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

func fixturePoller(t *testing.T, files map[string]string) (*Poller, *keafixture.Server) {
	t.Helper()
	srv := keafixture.New(t, files)
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{ConfigRefresh: time.Hour}), srv
}

func pollN(t *testing.T, p *Poller, n int) {
	t.Helper()
	for range n {
		if _, _, err := p.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func count(cmds []string, cmd string) int {
	n := 0
	for _, c := range cmds {
		if c == cmd {
			n++
		}
	}
	return n
}

// Kea 2.4+ has config-hash-get: config-get is read again only when the hash
// changes. At 10,000 subnets config-get is 4.8 MB; the hash is 64 bytes.
func TestConfigGetOnlyWhenHashChanges(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "config-get.json")
	orig, err := os.ReadFile("../../testdata/kea/fixtures/kea3.0-dhcp4-config-get.json")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(conf, orig, 0o644)
	p, srv := fixturePoller(t, map[string]string{
		"ca:config-get":        conf,
		"ca:statistic-get-all": "../../testdata/kea/fixtures/kea3.0-dhcp4-statistic-get-all.json",
	})
	pollN(t, p, 5)
	cmds := srv.Commands()
	if got := count(cmds, "ca:config-get"); got != 1 {
		t.Fatalf("5 polls sent config-get %d times, want once (detection): %v", got, cmds)
	}
	if got := count(cmds, "ca:config-hash-get"); got != 5 {
		t.Fatalf("config-hash-get sent %d times, want once a poll: %v", got, cmds)
	}
	// The operator changes the configuration: a new hash, one config-get.
	os.WriteFile(conf, []byte(strings.Replace(string(orig), `"hash": "`, `"hash": "0`, 1)), 0o644)
	pollN(t, p, 3)
	if got := count(srv.Commands(), "ca:config-get"); got != 2 {
		t.Fatalf("after a hash change config-get was sent %d times in all, want 2: %v", got, srv.Commands())
	}
}

// Kea 2.2 has no config-hash-get (result 2): ddiscope asks once, then reads
// config-get again only when the subnets in the statistics change.
func TestConfigGetOnKea22WhenSubnetsChange(t *testing.T) {
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	before, _ := os.ReadFile("../../testdata/kea/kea2.2-dhcp4-statistic-get-all.json")
	os.WriteFile(stats, before, 0o644)
	p, srv := fixturePoller(t, map[string]string{
		"ca:config-get":           "../../testdata/kea/kea2.2-ca-config-get.json",
		"dhcp4:config-get":        "../../testdata/kea/kea2.2-dhcp4-config-get.json",
		"dhcp4:statistic-get-all": stats,
	})
	p.opts.Daemons = []string{"dhcp4"}
	pollN(t, p, 5)
	cmds := srv.Commands()
	if got := count(cmds, "dhcp4:config-get"); got != 1 {
		t.Fatalf("config-get sent %d times in 5 polls, want 1: %v", got, cmds)
	}
	if got := count(cmds, "dhcp4:config-hash-get"); got != 1 {
		t.Fatalf("config-hash-get asked %d times; once is enough to learn it is unsupported", got)
	}
	// A subnet added with config-set: captured after the lab did it.
	after, _ := os.ReadFile("../../testdata/kea/kea2.2-dhcp4-statistic-get-all-after-config-set.json")
	os.WriteFile(stats, after, 0o644)
	pollN(t, p, 2)
	if got := count(srv.Commands(), "dhcp4:config-get"); got != 2 {
		t.Fatalf("new subnet in the statistics: config-get sent %d times in all, want 2", got)
	}
	if !slices.Contains(srv.Commands(), "dhcp4:statistic-get-all") {
		t.Fatal("no statistics read")
	}
}

// A statistic from a Kea newer than the catalog is counted and logged once,
// and the rest of the poll is exported as usual.
func TestUnknownStatisticIsCountedAndLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	stats := filepath.Join(dir, "stats.json")
	os.WriteFile(stats, []byte(`[ { "arguments": {
		"pkt4-received": [ [ 7, "2026-11-21 21:18:59.598429" ] ],
		"pkt4-future-received": [ [ 1, "2026-11-21 21:18:59.598429" ] ],
		"subnet[1].assigned-addresses": [ [ 3, "2026-11-21 21:18:59.598429" ] ],
		"subnet[1].some-3.9-statistic": [ [ 2, "2026-11-21 21:18:59.598429" ] ],
		"subnet[x].assigned-addresses": [ [ 2, "2026-11-21 21:18:59.598429" ] ],
		"subnet[1].total-addresses": [ [ "not a number", "2026-11-21 21:18:59.598429" ] ]
	}, "result": 0 } ]`), 0o644)
	p, _ := fixturePoller(t, map[string]string{
		"ca:config-get":        "../../testdata/kea/kea2.2-dhcp4-config-get.socket.json",
		"ca:statistic-get-all": stats,
	})
	var logged strings.Builder
	p.log = slog.New(slog.NewTextHandler(&logged, nil))
	for range 3 {
		snap, unknown, err := p.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if unknown != 4 {
			t.Fatalf("unknown = %d, want 4", unknown)
		}
		if len(snap.Samples) < 2 {
			t.Fatalf("known statistics not exported: %d samples", len(snap.Samples))
		}
	}
	if n := strings.Count(logged.String(), "not in the catalog"); n != 4 {
		t.Fatalf("logged %d times over 3 polls, want once per name (4):\n%s", n, logged.String())
	}
}
