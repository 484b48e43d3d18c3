package inbox

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ddiscope/ddiscope/internal/promtest"
)

// lockedSink is a Sink safe for the poller's goroutine and the test.
type lockedSink struct {
	mu       sync.Mutex
	saved    int
	resolves int
}

func (s *lockedSink) SaveAlerts(_ context.Context, as []Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saved += len(as)
	return nil
}

func (s *lockedSink) ResolveMissing(context.Context, []string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resolves++
	return 0, nil
}

func (s *lockedSink) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saved, s.resolves
}

// TestPollerRidesOutAlertmanagerDown: the editor's poller runs while
// Alertmanager's port refuses connections. It stores nothing and, above
// all, resolves nothing (an absent Alertmanager is not an empty one); once
// the real Alertmanager answers on that port, its alert is polled within
// a few intervals, and stopping the poller leaves no goroutine behind.
func TestPollerRidesOutAlertmanagerDown(t *testing.T) {
	promtest.Require(t, promtest.Alertmanager)
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	am := promtest.StartAlertmanager(t, promtest.AlertmanagerOptions{Config: []byte("route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n")})
	body := `[{"labels":{"alertname":"KeaDown","server":"kea1"},"annotations":{},"startsAt":"` + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) + `"}]`
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// The editor is configured with this address; nothing listens yet.
	addr := promtest.FreeAddr(t)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}}
	sink := &lockedSink{}
	p := &Poller{URL: "http://" + addr, Client: client, Sink: sink, Log: slog.New(slog.DiscardHandler), Interval: 100 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	time.Sleep(time.Second)
	if saved, resolves := sink.counts(); saved != 0 || resolves != 0 {
		t.Errorf("with Alertmanager down: %d alerts stored, %d resolve passes", saved, resolves)
	}

	// Alertmanager comes up on that address.
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := url.Parse(am.URL)
	proxyTransport := &http.Transport{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = proxyTransport
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: proxy}}
	srv.Start()
	up := time.Now()
	promtest.Eventually(t, 10*time.Second, "alert polled once Alertmanager is up", func() bool {
		saved, resolves := sink.counts()
		return saved >= 1 && resolves >= 1
	})
	t.Logf("alert polled %s after Alertmanager came up (interval %s)", time.Since(up).Round(time.Millisecond), p.Interval)
	cancel()
	<-done
	srv.Close()
	client.CloseIdleConnections()
	proxyTransport.CloseIdleConnections()
}
