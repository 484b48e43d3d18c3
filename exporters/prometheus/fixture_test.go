package prometheus

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// keaFixture serves a generated Kea reply set of n subnets (two pools each
// in the Kea 2.4 shape when pools) the way the Control Agent does.
func keaFixture(tb testing.TB, n int, pools bool) *keafixture.Server {
	dir := tb.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	os.WriteFile(stats, keagen.StatisticGetAll4(n, 1, pools), 0o644)
	os.WriteFile(conf, keagen.ConfigGet4(n), 0o644)
	return keafixture.New(tb, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
}

// polledStore is a store holding one poll of a generated Kea of n subnets
// (target kea1), and the catalog it was polled with.
func polledStore(tb testing.TB, n int, pools bool) (*catalog.Catalog, *collector.Store) {
	srv := keaFixture(tb, n, pools)
	client, _ := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
	cat := testCatalogB(tb)
	p := kea.NewPoller(client, cat, slog.New(slog.DiscardHandler), kea.Options{})
	snap, unknown, err := p.Poll(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	store := collector.NewStore()
	store.Register("kea1", "kea")
	store.Success("kea1", snap, time.Second, unknown)
	return cat, store
}
