package daemon

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
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
