package bind

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
)

// A snapshot handed to the store stays as it was while later polls run:
// the poller reuses its buffers, never the snapshot's.
func TestLaterPollsLeaveASnapshotAlone(t *testing.T) {
	// The first poll reads BIND 9.18's replies, the later ones 9.20's:
	// other numbers, other statistics.
	sets := fixtureSets()
	first918, later920 := fixtureHandler(filepath.Join(testdata, sets[0].dir), sets[0].prefix), fixtureHandler(filepath.Join(testdata, sets[1].dir), sets[1].prefix)
	var polled atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if polled.Load() {
			later920(w, r)
		} else {
			first918(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	for _, zones := range []bool{false, true} {
		polled.Store(false)
		p := newTestPoller(t, Options{URL: srv.URL, Format: FormatJSON, Zones: zones})
		first := poll(t, p)
		want := lines(first)
		polled.Store(true)
		for range 3 {
			poll(t, p)
		}
		if got := lines(first); !slices.Equal(got, want) {
			t.Errorf("zones=%v: the first snapshot changed under later polls:\n%s", zones, diff(join(want), join(got)))
		}
	}
}

func join(ls []string) string {
	s := ""
	for _, l := range ls {
		s += l + "\n"
	}
	return s
}
