package prometheus

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ddiscope/ddiscope/collector"
	"github.com/ddiscope/ddiscope/internal/keafixture"
)

// gatedGatherer is a registry whose Gather waits while the gate is closed,
// so a test can hold a render open until every scraper has joined it.
type gatedGatherer struct {
	reg  *prometheus.Registry
	mu   sync.Mutex
	gate chan struct{} // nil: open
}

func (g *gatedGatherer) Gather() ([]*dto.MetricFamily, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return g.reg.Gather()
}

func (g *gatedGatherer) close() chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gate = make(chan struct{})
	return g.gate
}

func (g *gatedGatherer) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.gate)
	g.gate = nil
}

// shareFixture is a store polled from the captured Kea 2.2 replies and a
// runtime registry with fixed values (so two renders are byte-comparable).
func shareFixture(t *testing.T) (*collector.Store, *gatedGatherer, *Handler) {
	t.Helper()
	cat := testCatalog(t)
	store := pollFixture(t, cat, keafixture.Prefixed("../../testdata/kea/", "kea2.2", "ca:config-get",
		"dhcp4:config-get", "dhcp4:statistic-get-all", "dhcp6:config-get", "dhcp6:statistic-get-all"))
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "test_runtime_gauge", Help: "A runtime metric merged into /metrics."})
	g.Set(42)
	reg.MustRegister(g)
	gg := &gatedGatherer{reg: reg}
	return store, gg, NewHandler(cat, store, gg, slog.New(slog.DiscardHandler))
}

// rawGet fetches url as Prometheus would (gzip or not) and returns the body
// bytes as sent, not decompressed.
func rawGet(client *http.Client, url string, gz bool) ([]byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, errors.New(resp.Status)
	}
	if got := resp.Header.Get("Content-Encoding") == "gzip"; got != gz {
		return nil, errors.New("Content-Encoding: " + resp.Header.Get("Content-Encoding"))
	}
	return io.ReadAll(resp.Body)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one gzip member, as a single stream is
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(zr); len(rest) != 0 {
		t.Fatal("more than one gzip member")
	}
	return out
}

// TestConcurrentScrapesShareOneRender: scrapers that arrive while a body is
// being rendered get that body: one shared render per encoding for twenty
// scrapers (for plain, the first scraper, alone when it came, streams its
// own), and every body byte-equal to what a scrape rendered on its own
// (the per-scrape streaming path) sends, plain and gzip, runtime metrics
// of the client_golang registry included.
func TestConcurrentScrapesShareOneRender(t *testing.T) {
	const scrapers = 20
	store, gg, h := shareFixture(t)
	alone := NewHandler(h.cat, store, gg, slog.New(slog.DiscardHandler))
	alone.streamEach = true
	var arrived atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/alone" {
			alone.ServeHTTP(w, r)
			return
		}
		arrived.Add(1)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: scrapers}}
	defer client.CloseIdleConnections()

	var plainWant []byte
	for _, gz := range []bool{false, true} {
		want, err := rawGet(client, srv.URL+"/alone", gz)
		if err != nil {
			t.Fatal(err)
		}
		if !gz {
			plainWant = want
			if !bytes.Contains(want, []byte("kea_dhcp4_subnet_addresses{")) || !bytes.Contains(want, []byte("test_runtime_gauge 42\n")) {
				t.Fatalf("the reference body lacks the subnets or the runtime metrics:\n%.300s", want)
			}
		} else if got := gunzip(t, want); !bytes.Equal(got, plainWant) {
			t.Fatalf("the gzip body unzipped differs from the plain one:\n%s", firstDiff(string(plainWant), string(got)))
		}

		arrived.Store(0)
		renders, streams := h.renders.Load(), h.streams.Load()
		gg.close()
		bodies := make([][]byte, scrapers)
		errs := make([]error, scrapers)
		var wg sync.WaitGroup
		for i := range scrapers {
			wg.Go(func() { bodies[i], errs[i] = rawGet(client, srv.URL+"/metrics", gz) })
		}
		deadline := time.Now().Add(30 * time.Second)
		for arrived.Load() < scrapers && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // from arrival to joining the render
		gg.open()
		wg.Wait()
		for i := range scrapers {
			if errs[i] != nil {
				t.Fatalf("gzip %v: scrape %d: %v", gz, i, errs[i])
			}
			if !bytes.Equal(bodies[i], want) {
				t.Errorf("gzip %v: scrape %d differs from a scrape rendered alone (%d bytes, want %d)", gz, i, len(bodies[i]), len(want))
			}
		}
		wantStreams := int64(1) // the first plain scraper, alone when it came
		if gz {
			wantStreams = 0
		}
		if n, m := h.renders.Load()-renders, h.streams.Load()-streams; n != 1 || m != wantStreams {
			t.Errorf("gzip %v: %d scrapers at once rendered %d shared bodies and streamed %d, want 1 and %d", gz, scrapers, n, m, wantStreams)
		}
	}
}

// TestSharedBodyFollowsTheStore: a body is shared only by the scrapes of
// its store generation and not kept after it is sent; a scrape after a
// poll sees the poll. A plain scrape alone streams, holding no body.
func TestSharedBodyFollowsTheStore(t *testing.T) {
	store, _, h := shareFixture(t)
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func() []byte {
		t.Helper()
		b, err := rawGet(client, srv.URL, true)
		if err != nil {
			t.Fatal(err)
		}
		return gunzip(t, b)
	}
	up := []byte(`ddiscope_target_up{kind="kea",server="kea1"} 1`)
	if b := get(); !bytes.Contains(b, up) {
		t.Fatal("kea1 not up before the failed poll")
	}
	store.Failure("kea1", collector.ReasonConnect, errors.New("refused"), time.Millisecond)
	if b := get(); !bytes.Contains(b, []byte(`ddiscope_target_up{kind="kea",server="kea1"} 0`)) {
		t.Error("a scrape after a failed poll still shows kea1 up")
	}
	before := h.renders.Load()
	get()
	if n := h.renders.Load() - before; n != 1 {
		t.Errorf("a scrape after the last one finished rendered %d bodies, want 1 (a body is not kept)", n)
	}
	renders, streams := h.renders.Load(), h.streams.Load()
	plain, err := rawGet(client, srv.URL, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, get()) {
		t.Error("a plain scrape alone differs from the gzip one unzipped")
	}
	if n, m := h.renders.Load()-renders, h.streams.Load()-streams; n != 1 || m != 1 {
		t.Errorf("a plain scrape alone and a gzip one: %d shared bodies and %d streamed, want 1 and 1", n, m)
	}
}
