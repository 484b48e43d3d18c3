package daemon

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
	promexp "github.com/ddiscope/ddiscope/exporters/prometheus"
	"github.com/ddiscope/ddiscope/internal/bindtest"
	"github.com/ddiscope/ddiscope/internal/config"
	"github.com/ddiscope/ddiscope/internal/keatest"
)

// fault serves what a real Kea cannot be made to send. Each one runs beside
// the real Kea targets of the same test.
func fault(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func reply(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

// TestBadTargetsDoNotHurtGoodOnes polls a real Kea (Control Agent and UNIX
// sockets) together with targets that are down, refuse, hang, answer
// garbage, truncated JSON, 100 MB, 401, 403 or Kea errors. The bad ones are
// down with their reason counted; the real ones keep being polled on time;
// nothing leaks and memory stays bounded.
func TestBadTargetsDoNotHurtGoodOnes(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent")
	// Registered first, so it runs last, after the lab and servers closed.
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true})

	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "http://" + l.Addr().String() + "/"
	}()
	release := make(chan struct{})
	hang := fault(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	huge := fault(t, func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("[", 1) + strings.Repeat(" ", 64<<10))
		for n := 0; n < 100<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// A daemon stopped behind the real Control Agent: Kea answers result 1.
	socketDir := lab.Socket6
	lab.Stop6(t)

	targets := []struct {
		name, url string
		want      collector.Reason // "" = must be up
		daemons   []string
	}{
		{"real-ca", lab.CAURL, "", []string{"dhcp4"}},
		{"real-socket4", "unix://" + lab.Socket4, "", nil},
		{"real-ca-dhcp6-stopped", lab.CAURL, collector.ReasonError, []string{"dhcp6"}},
		{"socket-gone", "unix://" + socketDir, collector.ReasonConnect, nil},
		{"refused", refused, collector.ReasonConnect, nil},
		{"hang", hang, collector.ReasonTimeout, nil},
		{"garbage", fault(t, reply(200, "\x00\xff\xfe garbage")), collector.ReasonMalformed, nil},
		{"truncated", fault(t, reply(200, `[{"arguments":{"Control-agent":{"control-sockets":{"dhcp4":`)), collector.ReasonMalformed, nil},
		{"huge", huge, collector.ReasonTooLarge, nil},
		{"unauthorized", fault(t, reply(401, `{ "result": 401, "text": "Unauthorized" }`)), collector.ReasonUnauthorized, nil},
		{"forbidden", fault(t, reply(403, `{ "result": 403, "text": "Forbidden" }`)), collector.ReasonForbidden, nil},
		{"forbidden-map", fault(t, reply(200, `{ "result": 403, "text": "Forbidden" }`)), collector.ReasonForbidden, nil},
		{"result-1", fault(t, reply(200, `[ { "result": 1, "text": "unable to forward command to the dhcp4 service" } ]`)), collector.ReasonError, nil},
		{"result-2", fault(t, reply(200, `[ { "result": 2, "text": "'config-get' command not supported." } ]`)), collector.ReasonUnsupported, nil},
		{"result-3", fault(t, reply(200, `[ { "result": 3, "text": "nothing" } ]`)), collector.ReasonEmpty, nil},
	}
	interval, timeout := 300*time.Millisecond, 250*time.Millisecond
	maxBody := int64(8 << 20)
	f := &config.File{Path: "test", Defaults: config.Poll{Interval: &interval, Timeout: &timeout, MaxResponseBytes: &maxBody}}
	for _, tg := range targets {
		f.Kea = append(f.Kea, config.Kea{KeaTarget: config.KeaTarget{Name: tg.name, URL: tg.url, Daemons: tg.daemons}})
	}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	store := collector.NewStore()
	d := New(slog.New(slog.DiscardHandler), cat, store)
	ctx, cancel := context.WithCancel(context.Background())
	if err := d.Apply(ctx, f); err != nil {
		t.Fatal(err)
	}
	const window = 3 * time.Second
	time.Sleep(window)

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, tg := range targets {
		st, ok := store.Target(tg.name)
		if !ok {
			t.Fatalf("%s: not in the store", tg.name)
		}
		if tg.want == "" {
			if !st.Up || st.Snapshot == nil {
				t.Errorf("%s: down (%s): %s", tg.name, st.LastReason, st.LastError)
			}
			// On time: polled about every interval, each poll quick,
			// whatever the hanging and huge targets do.
			if min := int(window/interval) - 3; st.Polls < uint64(min) {
				t.Errorf("%s: %d polls in %s, want at least %d", tg.name, st.Polls, window, min)
			}
			if st.PollDuration > 200*time.Millisecond {
				t.Errorf("%s: last poll took %s", tg.name, st.PollDuration)
			}
			continue
		}
		if st.Up || st.Snapshot != nil {
			t.Errorf("%s: up, want down with %s", tg.name, tg.want)
		}
		if st.LastReason != tg.want || st.Errors[tg.want] == 0 {
			t.Errorf("%s: reason %q (%s), errors %v; want %q counted", tg.name, st.LastReason, st.LastError, st.Errors, tg.want)
		}
		if !strings.Contains(st.LastError, tg.name) {
			t.Errorf("%s: error %q does not name the target", tg.name, st.LastError)
		}
		// Only an agent that answers still tells something: its daemon is down.
		wantPartial := tg.name == "real-ca-dhcp6-stopped"
		if got := st.Partial != nil && len(st.Partial.Samples) == 1 && st.Partial.Samples[0].Metric.Name == "kea_daemon_up" &&
			st.Partial.Samples[0].Value == 0; got != wantPartial {
			t.Errorf("%s: partial snapshot %+v; want kea_daemon_up 0 only: %v", tg.name, st.Partial, wantPartial)
		}
	}
	// The 100 MB replies were cut at 8 MB: the heap never held them.
	if ms.HeapInuse > 200<<20 {
		t.Errorf("heap in use %d MB", ms.HeapInuse>>20)
	}
	cancel()
	d.Stop()
}

// switchable is a front for the real Control Agent: while broken it
// serves its fault, otherwise it passes requests to Kea. Faults a real Kea
// cannot show then clear into real replies.
type switchable struct {
	broken atomic.Bool
	fault  http.HandlerFunc
	kea    http.Handler
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.broken.Load() {
		s.fault(w, r)
		return
	}
	s.kea.ServeHTTP(w, r)
}

// selfSigned is a certificate no client here trusts: the TLS mismatch.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// selfLine finds one self-metric of a target in a /metrics body.
func selfLine(body, metric, server, reason string) (float64, bool) {
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, metric+"{") || !strings.Contains(line, `server="`+server+`"`) ||
			(reason != "" && !strings.Contains(line, `reason="`+reason+`"`)) {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(line[strings.LastIndexByte(line, ' '):]), 64)
		return v, err == nil
	}
	return 0, false
}

// TestFaultsClearAndTheDaemonRecovers runs the fault matrix as a cycle:
// healthy, broken, healthy again. Every fault sits in front of the real
// Kea (so "healthy" is Kea's real replies): refused, hang, slow (5 s),
// garbage, truncated, 100 MB, HTTP 500 and 503, 401, 403, a certificate of
// another CA, and a Control Agent whose daemon is stopped (real Kea). While
// broken, each is down with its reason on /metrics (ddiscope_target_up 0,
// ddiscope_poll_errors_total{reason}), the real targets are polled on time
// and the slow one stays up with its 5 s on ddiscope_poll_duration_seconds;
// once cleared every target is up again with Kea's numbers, the goroutine
// count is back to the healthy one, the heap stays bounded, and nothing
// leaks after Stop (goleak).
func TestFaultsClearAndTheDaemonRecovers(t *testing.T) {
	keatest.Require(t, "kea-dhcp4", "kea-dhcp6", "kea-ctrl-agent")
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	lab := keatest.Start(t, keatest.Options{DHCP6: true, ControlAgent: true})
	caURL, err := url.Parse(lab.CAURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(caURL)
	// The proxy's connections to Kea are closed with the test, for goleak.
	transport := &http.Transport{MaxIdleConnsPerHost: 4}
	proxy.Transport = transport
	t.Cleanup(transport.CloseIdleConnections)

	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	huge := func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte("[" + strings.Repeat(" ", 64<<10))
		for n := 0; n < 100<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	// Slow: statistic-get-all, the big reply, takes 5 s (the rest of the
	// poll is quick, as on a loaded Kea).
	var slowCalls atomic.Int64
	slow := func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !bytes.Contains(body, []byte("statistic-get-all")) {
			proxy.ServeHTTP(w, r)
			return
		}
		slowCalls.Add(1)
		select {
		case <-time.After(5 * time.Second):
			proxy.ServeHTTP(w, r)
		case <-r.Context().Done():
		}
	}

	type faultCase struct {
		name    string
		fault   http.HandlerFunc
		want    collector.Reason // "" = stays up (slow)
		tls     bool
		refused bool
		timeout time.Duration
	}
	cases := []faultCase{
		{name: "refused", want: collector.ReasonConnect, refused: true},
		{name: "hang", fault: hang, want: collector.ReasonTimeout},
		{name: "slow-5s", fault: slow, timeout: 6 * time.Second},
		{name: "garbage", fault: reply(200, "\x00\xff\xfe garbage"), want: collector.ReasonMalformed},
		{name: "truncated", fault: reply(200, `[{"arguments":{"Dhcp4":{"subnet4":[`), want: collector.ReasonMalformed},
		{name: "huge", fault: huge, want: collector.ReasonTooLarge},
		{name: "http-500", fault: reply(500, "internal error"), want: collector.ReasonHTTPStatus},
		{name: "http-503", fault: reply(503, "unavailable"), want: collector.ReasonHTTPStatus},
		{name: "unauthorized", fault: reply(401, `{ "result": 401, "text": "Unauthorized" }`), want: collector.ReasonUnauthorized},
		{name: "forbidden", fault: reply(403, `{ "result": 403, "text": "Forbidden" }`), want: collector.ReasonForbidden},
		{name: "tls-other-ca", tls: true, want: collector.ReasonConnect},
	}
	fronts := map[string]*switchable{}
	refusedAddr := ""
	var refusedSrv *httptest.Server
	interval, timeout, wait := 300*time.Millisecond, 250*time.Millisecond, 300*time.Millisecond
	maxBody := int64(8 << 20)
	f := &config.File{Path: "test", Defaults: config.Poll{Interval: &interval, Timeout: &timeout, ReconnectWaitTime: &wait, MaxResponseBytes: &maxBody}}
	f.Kea = append(f.Kea,
		config.Kea{KeaTarget: config.KeaTarget{Name: "real-ca", URL: lab.CAURL, Daemons: []string{"dhcp4"}}},
		config.Kea{KeaTarget: config.KeaTarget{Name: "real-socket4", URL: "unix://" + lab.Socket4}},
		config.Kea{KeaTarget: config.KeaTarget{Name: "real-ca-dhcp6", URL: lab.CAURL, Daemons: []string{"dhcp6"}}})
	// A request on a connection opened before the fault (keep-alive) is
	// cut: a restarted listener with another certificate drops them too.
	cut := func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }
	for _, c := range cases {
		s := &switchable{fault: c.fault, kea: proxy}
		if s.fault == nil {
			s.fault = cut
		}
		fronts[c.name] = s
		k := config.Kea{KeaTarget: config.KeaTarget{Name: c.name, Daemons: []string{"dhcp4"}}}
		if c.timeout > 0 {
			to, iv := c.timeout, c.timeout // the longest poll the schedule allows
			k.Poll = config.Poll{Timeout: &to, Interval: &iv}
		}
		switch {
		case c.refused:
			srv := httptest.NewServer(s)
			refusedAddr = srv.Listener.Addr().String()
			srv.Close() // refused until the fault clears
			k.URL = "http://" + refusedAddr + "/"
		case c.tls:
			srv := httptest.NewUnstartedServer(s)
			srv.StartTLS()
			good := srv.TLS.Certificates[0]
			other := selfSigned(t)
			srv.TLS.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
				if s.broken.Load() {
					return &other, nil
				}
				return &good, nil
			}
			srv.TLS.Certificates = nil
			t.Cleanup(srv.Close)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			k.URL, k.TrustAnchor = srv.URL+"/", ca
		default:
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			k.URL = srv.URL + "/"
		}
		f.Kea = append(f.Kea, k)
	}
	// Healthy first: every front passes to Kea, the refused one listens.
	listen := func() {
		l, err := net.Listen("tcp", refusedAddr)
		if err != nil {
			t.Fatalf("reopening %s: %v", refusedAddr, err)
		}
		refusedSrv = &httptest.Server{Listener: l, Config: &http.Server{Handler: fronts["refused"]}}
		refusedSrv.Start()
	}
	listen()

	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	store := collector.NewStore()
	metrics := promexp.NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
	d := New(slog.New(slog.DiscardHandler), cat, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := d.Apply(ctx, f); err != nil {
		t.Fatal(err)
	}
	allUp := func(phase string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			var down []string
			for _, k := range f.Kea {
				if st, ok := store.Target(k.KeaTarget.Name); !ok || !st.Up {
					down = append(down, k.KeaTarget.Name)
				}
			}
			if len(down) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still down after %s: %v", phase, within, down)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	allUp("healthy", 15*time.Second)
	// The healthy goroutine count, once the slow front's first poll is in.
	time.Sleep(time.Second)
	runtime.GC()
	healthyGoroutines := runtime.NumGoroutine()

	// Break everything at once.
	for _, s := range fronts {
		s.broken.Store(true)
	}
	refusedSrv.Close()
	lab.Stop6(t)
	polls := map[string]uint64{}
	for _, name := range []string{"real-ca", "real-socket4"} {
		st, _ := store.Target(name)
		polls[name] = st.Polls
	}
	const window = 12 * time.Second // a whole slow poll of 5 s, whenever it starts
	time.Sleep(window)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	body := string(metrics.Render())
	for _, name := range []string{"real-ca", "real-socket4"} {
		st, _ := store.Target(name)
		if !st.Up {
			t.Errorf("%s: down while the others fail: %s", name, st.LastError)
		}
		if n, min := st.Polls-polls[name], uint64(window/interval)-4; n < min {
			t.Errorf("%s: %d polls in %s beside the faults, want at least %d", name, n, window, min)
		}
		if st.PollDuration > 200*time.Millisecond {
			t.Errorf("%s: last poll took %s", name, st.PollDuration)
		}
		t.Logf("while broken: %s polled %d times in %s (interval %s), last poll %s", name, st.Polls-polls[name], window, interval, st.PollDuration)
	}
	t.Logf("while broken: heap in use %d MB, %d goroutines", ms.HeapInuse>>20, runtime.NumGoroutine())
	down := append([]faultCase{{name: "real-ca-dhcp6", want: collector.ReasonError}}, cases...)
	for _, c := range down {
		st, _ := store.Target(c.name)
		up, ok := selfLine(body, "ddiscope_target_up", c.name, "")
		if c.want == "" { // slow: up, and its duration says so
			dur, _ := selfLine(body, "ddiscope_poll_duration_seconds", c.name, "")
			if !st.Up || up != 1 || dur < 5 {
				t.Errorf("%s: up %v (/metrics %v), last poll %.1fs; want up, about 5 s", c.name, st.Up, up, dur)
			}
			continue
		}
		if st.Up || !ok || up != 0 {
			t.Errorf("%s: up %v, /metrics ddiscope_target_up %v %v; want 0", c.name, st.Up, up, ok)
		}
		if n, ok := selfLine(body, "ddiscope_poll_errors_total", c.name, string(c.want)); !ok || n < 1 || st.LastReason != c.want {
			t.Errorf("%s: ddiscope_poll_errors_total{reason=%q} = %v, last reason %q (%s)", c.name, c.want, n, st.LastReason, st.LastError)
		}
	}
	if ms.HeapInuse > 200<<20 {
		t.Errorf("heap in use %d MB while broken", ms.HeapInuse>>20)
	}
	if n := slowCalls.Load(); n > 3 {
		t.Errorf("slow target asked %d times in %s: polls of one target overlap", n, window)
	}

	// Clear everything: each target comes back with Kea's numbers.
	for _, s := range fronts {
		s.broken.Store(false)
	}
	releaseOnce.Do(func() { close(release) })
	listen()
	defer refusedSrv.Close()
	lab.Start6(t)
	allUp("cleared", 20*time.Second)
	body = string(metrics.Render())
	for _, k := range f.Kea {
		name := k.KeaTarget.Name
		st, _ := store.Target(name)
		if st.Snapshot == nil || len(st.Snapshot.Samples) < 10 {
			t.Errorf("%s: recovered without Kea's numbers", name)
		}
		if up, ok := selfLine(body, "ddiscope_target_up", name, ""); !ok || up != 1 {
			t.Errorf("%s: /metrics ddiscope_target_up %v after the fault cleared", name, up)
		}
		if v, ok := selfLine(body, "kea_daemon_up", name, ""); !ok || v != 1 {
			t.Errorf("%s: kea_daemon_up %v after the fault cleared", name, v)
		}
	}
	// Goroutines back to the healthy count (a few idle connections aside).
	var now int
	for range 50 {
		runtime.GC()
		if now = runtime.NumGoroutine(); now <= healthyGoroutines+4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if now > healthyGoroutines+4 {
		t.Errorf("%d goroutines after recovery, %d when healthy", now, healthyGoroutines)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("goroutines healthy %d, after recovery %d; heap in use after recovery %d MB", healthyGoroutines, now, ms.HeapInuse>>20)
	if ms.HeapInuse > 100<<20 {
		t.Errorf("heap in use %d MB after recovery", ms.HeapInuse>>20)
	}
	cancel()
	d.Stop()
	transport.CloseIdleConnections()
}

// TestBindFaultsClear runs a real named (bindtest) beside a front that
// answers 404 on one path of its statistics channel (/json/v1/mem; a 404
// on /traffic or /tasks is tolerated, as older and newer BIND lack them), then kills the named (SIGKILL)
// and restarts it on the same port. The 404 target is down with
// http_status while the real one is polled on time; the killed one is down
// with connect; after the restart and the path's return both are up with
// BIND's numbers, and the goroutine count is the healthy one again.
func TestBindFaultsClear(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
	lab := bindtest.Start(t, bindtest.Options{})
	named, err := url.Parse(lab.Primary.StatsURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(named)
	transport := &http.Transport{}
	proxy.Transport = transport
	t.Cleanup(transport.CloseIdleConnections)
	var broken atomic.Bool
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() && r.URL.Path == "/json/v1/mem" {
			http.Error(w, "No such URL.", http.StatusNotFound)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()

	interval, timeout, wait := 300*time.Millisecond, 250*time.Millisecond, 300*time.Millisecond
	f := &config.File{Path: "test", Defaults: config.Poll{Interval: &interval, Timeout: &timeout, ReconnectWaitTime: &wait},
		Bind: []config.Bind{{Name: "named", URL: lab.Primary.StatsURL, Format: "json"}, {Name: "named-404", URL: front.URL + "/", Format: "json"}}}
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	store := collector.NewStore()
	metrics := promexp.NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
	d := New(slog.New(slog.DiscardHandler), cat, store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := d.Apply(ctx, f); err != nil {
		t.Fatal(err)
	}
	state := func(name string) (collector.TargetStatus, float64) {
		st, _ := store.Target(name)
		up, _ := selfLine(string(metrics.Render()), "ddiscope_target_up", name, "")
		return *st, up
	}
	waitFor := func(phase string, want map[string]bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			ok := true
			for name, up := range want {
				if st, _ := state(name); st.Up != up {
					ok = false
				}
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				a, _ := state("named")
				b, _ := state("named-404")
				t.Fatalf("%s: named up %v (%s), named-404 up %v (%s)", phase, a.Up, a.LastError, b.Up, b.LastError)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("healthy", map[string]bool{"named": true, "named-404": true})
	time.Sleep(time.Second)
	healthy := runtime.NumGoroutine()

	broken.Store(true)
	waitFor("404", map[string]bool{"named": true, "named-404": false})
	before404, _ := state("named")
	time.Sleep(2 * time.Second)
	st, up := state("named-404")
	if st.LastReason != collector.ReasonHTTPStatus || up != 0 || !strings.Contains(st.LastError, "404") {
		t.Errorf("named-404: reason %q (%s), /metrics up %v", st.LastReason, st.LastError, up)
	}
	if n, _ := selfLine(string(metrics.Render()), "ddiscope_poll_errors_total", "named-404", "http_status"); n < 1 {
		t.Errorf("named-404: ddiscope_poll_errors_total{reason=http_status} %v", n)
	}
	if after, _ := state("named"); after.Polls-before404.Polls < 4 {
		t.Errorf("named: %d polls in 2 s beside the 404", after.Polls-before404.Polls)
	}

	lab.Primary.Kill(t)
	waitFor("killed", map[string]bool{"named": false})
	if st, up := state("named"); st.LastReason != collector.ReasonConnect || up != 0 {
		t.Errorf("killed named: reason %q (%s), /metrics up %v", st.LastReason, st.LastError, up)
	}
	lab.Primary.Restart(t)
	broken.Store(false)
	waitFor("restarted", map[string]bool{"named": true, "named-404": true})
	for _, name := range []string{"named", "named-404"} {
		if st, up := state(name); st.Snapshot == nil || len(st.Snapshot.Samples) < 10 || up != 1 {
			t.Errorf("%s: back without BIND's numbers (up %v)", name, up)
		}
	}
	var now int
	for range 50 {
		if now = runtime.NumGoroutine(); now <= healthy+4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("goroutines healthy %d, after the restart %d", healthy, now)
	if now > healthy+4 {
		t.Errorf("%d goroutines after the restart, %d when healthy", now, healthy)
	}
	cancel()
	d.Stop()
	transport.CloseIdleConnections()
}
