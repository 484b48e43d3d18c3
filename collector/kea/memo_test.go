package kea

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
	"github.com/ddiscope/ddiscope/internal/keagen"
)

// A poller remembers what it looked up by position in the last reply; when
// the next reply lists other statistics at those positions (pool
// statistics appear, then go), its snapshot is still the one a fresh poller
// makes of that reply.
func TestPollAfterTheStatisticsChangedIsAFreshPoll(t *testing.T) {
	cat := testCat(t)
	dir := t.TempDir()
	stats, conf := filepath.Join(dir, "stats.json"), filepath.Join(dir, "config.json")
	os.WriteFile(conf, keagen.ConfigGet4(50), 0o644)
	srv := keafixture.New(t, map[string]string{"ca:config-get": conf, "ca:statistic-get-all": stats})
	poller := func() *Poller {
		client, err := keactl.New(keactl.Options{Name: "kea1", URL: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		p := NewPoller(client, cat, slog.New(slog.DiscardHandler), Options{Daemons: []string{"dhcp4"}})
		t.Cleanup(p.Close)
		return p
	}
	kept := poller()
	for i, pools := range []bool{false, true, false, true} {
		os.WriteFile(stats, keagen.StatisticGetAll4(50, 1, pools), 0o644)
		got, _, err := kept.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := poller().Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		g, w := render(got.Samples), render(want.Samples)
		if !slices.Equal(g, w) {
			t.Fatalf("poll %d (pools %v): %d series from the kept poller, %d from a fresh one; first differences: %v",
				i, pools, len(g), len(w), firstDiff(g, w))
		}
	}
}

func render(samples []collector.Sample) []string {
	out := make([]string, len(samples))
	for i, s := range samples {
		out[i] = fmt.Sprintf("%s%v%v %v", s.Metric.Name, s.ID.Values, s.ExtraValues(), s.Value)
	}
	return out
}

func firstDiff(a, b []string) []string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return []string{a[i], b[i]}
		}
	}
	return nil
}
