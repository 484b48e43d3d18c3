package bind

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder serves the 9.18 captures and records the paths asked for;
// brokenZones makes the whole-channel reply (the zone read) garbage.
type recorder struct {
	mu          sync.Mutex
	paths       []string
	brokenZones bool
}

func (r *recorder) serve(t *testing.T) string {
	files := fixtureHandler(filepath.Join(testdata, "bind9.18"), "bind9.18")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.Path)
		broken := r.brokenZones && req.URL.Path == "/json/v1"
		r.mu.Unlock()
		if broken {
			w.Write([]byte(`{"views":{"_default":{"zones":[{"name":`))
			return
		}
		files(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.paths
	r.paths = nil
	return p
}

// Zones are read once per zone interval, in one request for the whole
// channel; the polls in between ask only for the small replies and still
// export the zones.
func TestZonesOnTheirOwnInterval(t *testing.T) {
	var rec recorder
	p := newTestPoller(t, Options{URL: rec.serve(t), Format: FormatJSON, Zones: true, ZoneInterval: 5 * time.Minute})
	clock := time.Date(2026, 11, 21, 21, 21, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }

	small := []string{"/json/v1/server", "/json/v1/net", "/json/v1/mem", "/json/v1/traffic", "/json/v1/tasks"}
	for _, step := range []struct {
		after time.Duration
		want  []string
	}{
		{0, []string{"/json/v1"}},
		{time.Minute, small},
		{3 * time.Minute, small},
		{time.Minute, []string{"/json/v1"}}, // 5 minutes after the first
		{time.Second, small},
	} {
		clock = clock.Add(step.after)
		snap := poll(t, p)
		if got := rec.take(); !slices.Equal(got, step.want) {
			t.Errorf("at +%s asked for %v, want %v", step.after, got, step.want)
		}
		if got := mustValue(t, snap, "bind_zone_serial", "zone_name", "lab.example"); got != 2024010101 {
			t.Errorf("at +%s: zone serial %v", step.after, got)
		}
		if got := mustValue(t, snap, "bind_zone_statistics_up"); got != 1 {
			t.Errorf("bind_zone_statistics_up = %v", got)
		}
	}
}

// A zone read that fails while the rest of the channel answers leaves the
// target up without zones, says so, and is tried again a zone interval later.
func TestZoneReadFailureKeepsTheRest(t *testing.T) {
	rec := recorder{brokenZones: true}
	p := newTestPoller(t, Options{URL: rec.serve(t), Format: FormatJSON, Zones: true, ZoneInterval: 5 * time.Minute})
	clock := time.Date(2026, 11, 21, 21, 21, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }

	snap := poll(t, p)
	if got := mustValue(t, snap, "bind_zone_statistics_up"); got != 0 {
		t.Errorf("bind_zone_statistics_up = %v after a broken zone reply, want 0", got)
	}
	if v, ok := value(snap, "bind_zone_serial"); ok {
		t.Errorf("zone series exported from a broken reply: %v", v)
	}
	if got := mustValue(t, snap, "bind_incoming_requests_total", "opcode", "QUERY"); got != 11 {
		t.Errorf("the rest of the channel: QUERY = %v, want 11", got)
	}
	rec.take()

	rec.mu.Lock()
	rec.brokenZones = false
	rec.mu.Unlock()
	clock = clock.Add(time.Minute)
	poll(t, p)
	if got := rec.take(); slices.Contains(got, "/json/v1") {
		t.Errorf("zones tried again after a minute: %v", got)
	}
	clock = clock.Add(4 * time.Minute)
	snap = poll(t, p)
	if got := mustValue(t, snap, "bind_zone_statistics_up"); got != 1 {
		t.Errorf("bind_zone_statistics_up = %v once zones answer again", got)
	}
	if got := mustValue(t, snap, "bind_zone_statistics_timestamp_seconds"); got != float64(clock.Unix()) {
		t.Errorf("last zone read at %v, want %v", got, clock.Unix())
	}
}
