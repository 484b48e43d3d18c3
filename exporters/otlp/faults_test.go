package otlp

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
)

var protocols = []string{ProtocolGRPC, ProtocolHTTP}

// selfValue reads one ddiscope_otlp_* value as /metrics has it.
func selfValue(t *testing.T, cat *catalog.Catalog, store *collector.Store, e *Exporter, series string) float64 {
	t.Helper()
	p, ok := scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))[series]
	if !ok {
		t.Fatalf("%s is not on /metrics", series)
	}
	return p.value
}

// pointsIn is how many data points a push of store has: every series
// /metrics serves with e's self-metrics.
func pointsIn(t *testing.T, cat *catalog.Catalog, store *collector.Store, e *Exporter) float64 {
	t.Helper()
	return float64(len(scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))))
}

func TestRetriesUntilTheReceiverRecovers(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			r.failNext.Store(2) // 503 / Unavailable twice
			e := startExporter(t, testConfig(proto, r), cat, store)
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatalf("push failed although the receiver recovered: %v", err)
			}
			if got := r.attemptCount(); got != 3 {
				t.Errorf("%d attempts, want 3 (two refused, one accepted)", got)
			}
			if n := len(r.received()); n != 1 {
				t.Errorf("%d requests accepted, want 1", n)
			}
			for series, want := range map[string]float64{
				`ddiscope_otlp_exports_total{result="success"}`: 1,
				`ddiscope_otlp_exports_total{result="failed"}`:  0,
				`ddiscope_otlp_data_points_dropped_total{}`:     0,
			} {
				if got := selfValue(t, cat, store, e, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
		})
	}
}

func TestAnErrorAnswerIsCountedNotRetried(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			r.reject.Store(true) // 400 / InvalidArgument: retrying cannot help
			e := startExporter(t, testConfig(proto, r), cat, store)
			want := pointsIn(t, cat, store, e)
			if err := e.ForceFlush(context.Background()); err == nil {
				t.Fatal("the push succeeded against a receiver that rejects everything")
			}
			if got := r.attemptCount(); got != 1 {
				t.Errorf("%d attempts, want 1", got)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_exports_total{result="failed"}`); got != 1 {
				t.Errorf("failed exports = %v, want 1", got)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_data_points_dropped_total{}`); got != want {
				t.Errorf("dropped data points = %v, want all %v", got, want)
			}
		})
	}
}

func TestPartialSuccessCountsTheRejectedPoints(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			r.rejectPts.Store(5)
			e := startExporter(t, testConfig(proto, r), cat, store)
			n := pointsIn(t, cat, store, e)
			err := e.ForceFlush(context.Background())
			if err == nil || !strings.Contains(err.Error(), "rejected 5 data points") {
				t.Errorf("push error %v, want the 5 rejected points", err)
			}
			for series, want := range map[string]float64{
				`ddiscope_otlp_exports_total{result="partial"}`: 1,
				`ddiscope_otlp_data_points_dropped_total{}`:     5,
				`ddiscope_otlp_data_points_exported_total{}`:    n - 5,
			} {
				if got := selfValue(t, cat, store, e, series); got != want {
					t.Errorf("%s = %v, want %v", series, got, want)
				}
			}
		})
	}
}

// A receiver that never answers costs one timeout, not more.
func TestASlowReceiverTimesOut(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			r.hang.Store(true)
			cfg := testConfig(proto, r)
			cfg.Timeout = 500 * time.Millisecond
			e := startExporter(t, cfg, cat, store)
			start := time.Now()
			if err := e.ForceFlush(context.Background()); err == nil {
				t.Fatal("the push succeeded against a receiver that never answers")
			}
			if took := time.Since(start); took < cfg.Timeout || took > cfg.Timeout+time.Second {
				t.Errorf("the push gave up after %v, want its timeout %v", took, cfg.Timeout)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_exports_total{result="failed"}`); got != 1 {
				t.Errorf("failed exports = %v, want 1", got)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_data_points_dropped_total{}`); got == 0 {
				t.Error("no dropped data points counted")
			}
		})
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// While every push fails, /metrics answers as fast as ever and counts the
// failures.
func TestMetricsServeWhileTheReceiverIsDown(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			cfg := testConfig(proto, nil)
			cfg.Endpoint = "http://" + closedPort(t)
			if proto == ProtocolHTTP {
				cfg.Endpoint += "/v1/metrics"
			}
			cfg.Interval, cfg.Timeout = 50*time.Millisecond, 200*time.Millisecond
			e := startExporter(t, cfg, cat, store)
			srv := httptest.NewServer(promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))
			defer srv.Close()
			client := &http.Client{Timeout: time.Second}
			deadline := time.Now().Add(time.Second)
			for i := 0; time.Now().Before(deadline); i++ {
				start := time.Now()
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatalf("scrape %d: %v", i, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if took := time.Since(start); took > 500*time.Millisecond {
					t.Errorf("scrape %d took %v while pushes fail", i, took)
				}
				if !strings.Contains(string(body), "kea_dhcp4_subnet_addresses{") {
					t.Fatalf("scrape %d lacks the Kea series", i)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_exports_total{result="failed"}`); got < 2 {
				t.Errorf("failed exports = %v after a second of 50 ms pushes, want several", got)
			}
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_data_points_dropped_total{}`); got == 0 {
				t.Error("no dropped data points counted")
			}
			// Refused connections are retried until the push's timeout: a
			// receiver restarting loses nothing.
			if got := selfValue(t, cat, store, e, `ddiscope_otlp_export_duration_seconds{}`); got < cfg.Timeout.Seconds()/2 {
				t.Errorf("a push against a refused port took %vs, want it retrying for most of its %v", got, cfg.Timeout)
			}
		})
	}
}

func TestShutdownFlushes(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			e, err := New(context.Background(), testConfig(proto, r), cat, store, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := len(r.received()); n != 1 {
				t.Errorf("%d requests after Shutdown, want the last push", n)
			}
			if err := e.ForceFlush(context.Background()); err == nil {
				t.Error("ForceFlush after Shutdown succeeded")
			}
			if err := e.Shutdown(context.Background()); err != nil {
				t.Errorf("a second Shutdown: %v", err)
			}
		})
	}
}

// Shutdown gives up on a receiver that hangs or is down within its deadline,
// cancelling the periodic push under way.
func TestShutdownGivesUpInTime(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		for _, fault := range []string{"hanging", "down"} {
			t.Run(proto+"/"+fault, func(t *testing.T) {
				cfg := testConfig(proto, nil)
				if fault == "hanging" {
					r := startReceiver(t, nil)
					r.hang.Store(true)
					cfg = testConfig(proto, r)
				} else {
					cfg.Endpoint = "http://" + closedPort(t)
				}
				cfg.Interval, cfg.Timeout = 20*time.Millisecond, time.Minute
				e, err := New(context.Background(), cfg, cat, store, quiet)
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(100 * time.Millisecond) // a periodic push is under way
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				start := time.Now()
				if err := e.Shutdown(ctx); err == nil {
					t.Error("Shutdown reported a successful last push")
				}
				if took := time.Since(start); took > 800*time.Millisecond {
					t.Errorf("Shutdown took %v, its deadline was 300ms", took)
				}
			})
		}
	}
}

// Requests hold at most MaxBatchSize points, and together the whole push.
func TestBigPushesAreSplit(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			r := startReceiver(t, nil)
			cfg := testConfig(proto, r)
			cfg.MaxBatchSize = 7
			e := startExporter(t, cfg, cat, store)
			scraped := scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver()))
			if err := e.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			reqs := r.received()
			// A batch is a share of the objects with all their series
			// (producer.go), cut where they fit: a few requests are not full.
			if least := (len(scraped) + 6) / 7; len(reqs) < least || len(reqs) > least*3/2 {
				t.Errorf("%d requests for %d points in sevens, want %d to %d", len(reqs), len(scraped), least, least*3/2)
			}
			for i, req := range reqs {
				n := 0
				for _, rm := range req.GetResourceMetrics() {
					for _, sm := range rm.GetScopeMetrics() {
						seen := map[string]bool{}
						for _, m := range sm.GetMetrics() {
							n += len(m.GetSum().GetDataPoints()) + len(m.GetGauge().GetDataPoints())
							if seen[m.GetName()] {
								t.Errorf("request %d has metric %s twice", i, m.GetName())
							}
							seen[m.GetName()] = true
						}
					}
				}
				if n > 7 || n == 0 {
					t.Errorf("request %d has %d data points, want 1 to 7", i, n)
				}
			}
			samePoints(t, scraped, pushed(t, cat, reqs, cumulative))
		})
	}
}

// OTLP is off unless enabled: no exporter, no push, no ddiscope_otlp_* series.
func TestOffByDefault(t *testing.T) {
	cat := testCatalog(t)
	store := fixtureStore(t, cat, kea26)
	e, err := New(context.Background(), Config{}, cat, store, quiet)
	if err != nil || e != nil {
		t.Fatalf("New with OTLP off: %v, %v; want nil, nil", e, err)
	}
	if err := e.ForceFlush(context.Background()); err != nil {
		t.Error(err)
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Error(err)
	}
	for k := range scrape(t, promexp.NewHandler(cat, store, nil, quiet, e.Deriver())) {
		if strings.HasPrefix(k, "ddiscope_otlp_") {
			t.Errorf("%s on /metrics with OTLP off", k)
		}
	}
}
