package prometheus

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/collector/kea"
	"github.com/ddiscope/ddiscope/internal/keactl"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

// burst sends n requests at once and returns each one's latency and the
// count of those that failed (transport error, status other than 200, or a
// body that does not hold want).
func burst(b *testing.B, client *http.Client, urls []string, header http.Header, want string) ([]time.Duration, int) {
	b.Helper()
	lat := make([]time.Duration, len(urls))
	var mu sync.Mutex
	errors := 0
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", u, nil)
			req.Header = header.Clone()
			start := time.Now()
			resp, err := client.Do(req)
			ok := err == nil
			if ok {
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				ok = rerr == nil && resp.StatusCode == 200 && strings.Contains(string(body), want)
			}
			lat[i] = time.Since(start)
			if !ok {
				mu.Lock()
				errors++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, errors
}

// report adds p50 and p99 of all latencies and the error count.
func report(b *testing.B, lat []time.Duration, errors int) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(errors), "errors")
}

// BenchmarkConcurrentScrapes: 50 scrapers at once on /metrics over HTTP
// (gzip, as Prometheus asks) of one Kea of 10,000 subnets with two pools
// each. One op is one burst of 50; p50 and p99 are over every scrape of
// every burst. /metrics renders the snapshot and never waits on a target.
// shared=true is the handler as served (scrapes of one snapshot share one
// render); shared=false streams a render per scrape, as before sharing.
//
//	go test ./exporters/prometheus -run '^$' -bench BenchmarkConcurrentScrapes -benchtime 10x
func BenchmarkConcurrentScrapes(b *testing.B) {
	const subnets, scrapers = 10000, 50
	cat, store := polledStore(b, subnets, true)
	for _, shared := range []bool{false, true} {
		b.Run(fmt.Sprintf("shared=%v", shared), func(b *testing.B) {
			h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
			h.streamEach = !shared
			hs := httptest.NewServer(h)
			defer hs.Close()
			hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: scrapers}}
			defer hc.CloseIdleConnections()
			urls := slices.Repeat([]string{hs.URL + "/metrics"}, scrapers)
			header := http.Header{"Accept-Encoding": {"gzip"}}
			var all []time.Duration
			errs, bursts := 0, 0
			for b.Loop() {
				lat, e := burst(b, hc, urls, header, "") // gzip: the body is checked below, unzipped
				all, errs = append(all, lat...), errs+e
				bursts++
			}
			report(b, all, errs)
			targets, _ := store.Targets()
			b.ReportMetric(float64(len(targets[0].Snapshot.Samples)), "series")
			if shared {
				b.ReportMetric(float64(h.renders.Load())/float64(bursts), "renders/burst")
			}
			// One scrape read whole, unzipped: the series are there.
			resp, err := http.Get(hs.URL + "/metrics")
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), `kea_dhcp4_subnet_addresses{`) {
				b.Fatal("/metrics lacks the subnets")
			}
		})
	}
}

// BenchmarkConcurrentProbes: 50 /probe requests at once for 10 Kea targets
// (1,000 subnets each, five probes per target). Concurrent probes of one
// target share one poll (collector.Prober): the polls Kea sees are counted
// from its side (statistic-get-all received) and reported per burst and
// target; it must be 1.
//
//	go test ./exporters/prometheus -run '^$' -bench BenchmarkConcurrentProbes -benchtime 10x
func BenchmarkConcurrentProbes(b *testing.B) {
	const targets, perTarget, subnets = 10, 5, 1000
	cat := testCatalogB(b)
	probers := map[string]*collector.Prober{}
	var fixtures []*keafixture.Server
	for i := range targets {
		name := fmt.Sprintf("kea%d", i)
		srv := keaFixture(b, subnets, true)
		fixtures = append(fixtures, srv)
		pr := collector.NewProber(name, "kea", func() (collector.Poller, error) {
			c, err := keactl.New(keactl.Options{Name: name, URL: srv.URL})
			if err != nil {
				return nil, err
			}
			return kea.NewPoller(c, cat, slog.New(slog.DiscardHandler), kea.Options{}), nil
		})
		defer pr.Close()
		probers[name] = pr
	}
	probe := func(ctx context.Context, name string) (*collector.TargetStatus, bool) {
		pr, ok := probers[name]
		if !ok {
			return nil, false
		}
		return pr.Probe(ctx), true
	}
	hs := httptest.NewServer(ProbeHandler(cat, probe, 30*time.Second))
	defer hs.Close()
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: targets * perTarget}}
	defer hc.CloseIdleConnections()
	var urls []string
	for range perTarget {
		for name := range probers {
			urls = append(urls, hs.URL+"/probe?target="+name)
		}
	}
	statPolls := func() int {
		n := 0
		for _, f := range fixtures {
			for _, c := range f.Commands() {
				if c == "ca:statistic-get-all" {
					n++
				}
			}
		}
		return n
	}
	// The first probe of each target learns it (config-get): not counted.
	if _, e := burst(b, hc, urls, nil, "kea_dhcp4_subnet_addresses{"); e != 0 {
		b.Fatalf("%d failed probes while learning the targets", e)
	}
	polls0 := statPolls()
	var all []time.Duration
	errs, bursts := 0, 0
	for b.Loop() {
		lat, e := burst(b, hc, urls, nil, "kea_dhcp4_subnet_addresses{")
		all, errs = append(all, lat...), errs+e
		bursts++
	}
	report(b, all, errs)
	b.ReportMetric(float64(statPolls()-polls0)/float64(bursts*targets), "polls/target/burst")
}
