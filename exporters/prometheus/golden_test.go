package prometheus

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

var update = flag.Bool("update", false, "rewrite the golden /metrics files")

// pollFixture polls a replayed Kea once and returns a store holding the result.
func pollFixture(t *testing.T, cat *catalog.Catalog, files map[string]string) *collector.Store {
	t.Helper()
	srv := keafixture.New(t, files)
	client, err := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p := kea.NewPoller(client, cat, slog.New(slog.DiscardHandler), kea.Options{})
	store := collector.NewStore()
	store.Register("kea1", "kea")
	snap, unknown, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if unknown != 0 {
		t.Errorf("%d statistics are not in the catalog", unknown)
	}
	// Fixed times keep the golden file stable.
	snap.Time = time.Unix(1700000000, 0)
	store.Success("kea1", snap, 250*time.Millisecond, unknown)
	return store
}

func testCatalog(t *testing.T) *catalog.Catalog { return testCatalogB(t) }

func testCatalogB(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestGoldenMetrics(t *testing.T) {
	const captured, written = "../../testdata/kea/", "../../testdata/kea/fixtures/"
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		// Kea 2.2 through its Control Agent, captured in the lab.
		{"kea2.2-ca", keafixture.Prefixed(captured, "kea2.2", "ca:config-get",
			"dhcp4:config-get", "dhcp4:statistic-get-all", "dhcp6:config-get", "dhcp6:statistic-get-all")},
		// Kea 2.2's kea-dhcp4 on its UNIX socket, captured in the lab (served
		// over HTTP here: the reply bytes are what matter).
		{"kea2.2-dhcp4-socket", map[string]string{
			"ca:config-get":        captured + "kea2.2-dhcp4-config-get.socket.json",
			"ca:statistic-get-all": captured + "kea2.2-dhcp4-statistic-get-all.socket.json"}},
		// Written from the ARM and Kea's sources (testdata/kea/fixtures/SOURCES.md).
		{"kea2.4-ca-pools", map[string]string{
			"ca:config-get":           captured + "kea2.2-ca-config-get.json",
			"dhcp4:config-get":        written + "kea2.4-dhcp4-config-get.json",
			"dhcp4:statistic-get-all": written + "kea2.4-dhcp4-statistic-get-all.json",
			"dhcp6:config-get":        written + "kea2.4-dhcp6-config-get.json",
			"dhcp6:statistic-get-all": written + "kea2.4-dhcp6-statistic-get-all.socket.json"}},
		{"kea2.6-ca", map[string]string{
			"ca:config-get":           written + "kea2.6-ca-config-get.json",
			"dhcp4:config-get":        written + "kea2.6-dhcp4-config-get.json",
			"dhcp4:statistic-get-all": written + "kea2.6-dhcp4-statistic-get-all.json",
			"dhcp6:config-get":        written + "kea2.6-dhcp6-config-get.json",
			"dhcp6:statistic-get-all": written + "kea2.6-dhcp6-statistic-get-all.json",
			"d2:statistic-get-all":    written + "kea2.6-d2-statistic-get-all.json"}},
		// Kea 3.x: each daemon on its own HTTP listener, no Control Agent.
		{"kea3.0-dhcp4-direct", map[string]string{
			"ca:config-get":        written + "kea3.0-dhcp4-config-get.json",
			"ca:statistic-get-all": written + "kea3.0-dhcp4-statistic-get-all.json"}},
		{"kea3.0-dhcp6-direct", map[string]string{
			"ca:config-get":        written + "kea3.0-dhcp6-config-get.json",
			"ca:statistic-get-all": written + "kea3.0-dhcp6-statistic-get-all.json"}},
		{"kea3.1-dhcp4-direct", map[string]string{
			"ca:config-get":        written + "kea3.1-dhcp4-config-get.json",
			"ca:statistic-get-all": written + "kea3.1-dhcp4-statistic-get-all.json"}},
		{"kea3.1-dhcp6-direct", map[string]string{
			"ca:config-get":        written + "kea3.1-dhcp6-config-get.json",
			"ca:statistic-get-all": written + "kea3.1-dhcp6-statistic-get-all.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := testCatalog(t)
			store := pollFixture(t, cat, tc.files)
			got := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler)).Render()
			golden := filepath.Join("testdata", tc.name+".metrics")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./exporters/prometheus -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("/metrics differs from %s (run with -update after checking the change):\n%s", golden, firstDiff(string(want), string(got)))
			}
			// The same samples through client_golang: lint-clean, and equal
			// to what the fast renderer wrote.
			c := NewCollector(cat, store)
			problems, err := testutil.CollectAndLint(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Errorf("lint: %s: %s", p.Metric, p.Text)
			}
			if err := testutil.CollectAndCompare(c, bytes.NewReader(got)); err != nil {
				t.Errorf("client_golang and the renderer disagree: %v", err)
			}
		})
	}
}

// TestRenderParses checks the renderer's text with Prometheus's own parser.
func TestRenderParses(t *testing.T) {
	cat := testCatalog(t)
	store := pollFixture(t, cat, keafixture.Prefixed("../../testdata/kea/", "kea2.2", "ca:config-get",
		"dhcp4:config-get", "dhcp4:statistic-get-all", "dhcp6:config-get", "dhcp6:statistic-get-all"))
	body := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler)).Render()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range fams {
		m := cat.Metric(name)
		if m == nil {
			t.Errorf("%s is not in the catalog", name)
			continue
		}
		want := dto.MetricType_GAUGE
		if m.Type == catalog.Counter {
			want = dto.MetricType_COUNTER
		}
		if f.GetType() != want {
			t.Errorf("%s: type %v, catalog says %v", name, f.GetType(), want)
		}
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + w + "\n  got  " + g
		}
	}
	return ""
}
