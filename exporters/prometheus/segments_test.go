package prometheus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/collector"
)

// unpack reads a gzip body with the standard library.
func unpack(t testing.TB, body []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("gzip header: %v", err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return text
}

// gzipScrape is one gzip scrape of h, its body as sent.
func gzipScrape(h *Handler) []byte {
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

// A segment whose text is unchanged since the last scrape is copied, one
// that changed is compressed again, and the body stays exactly the render:
// the kept segments never refer back into a segment that changed.
func TestGzipKeepsUnchangedSegments(t *testing.T) {
	cat, store := polledStore(t, 2000, true)
	h := NewHandler(cat, store, nil, slog.New(slog.DiscardHandler))
	first := gzipScrape(h)
	if got, want := unpack(t, first), h.Render(); !bytes.Equal(got, want) {
		t.Fatalf("first body unpacks to %d bytes, the render is %d", len(got), len(want))
	}
	seg := h.owned.set.segments
	total := seg.compressed
	if seg.reused != 0 || total < 20 {
		t.Fatalf("first body: %d segments compressed, %d reused; want all of at least 20 compressed", total, seg.reused)
	}

	// The same snapshots: the body is made of the kept segments.
	again := gzipScrape(h)
	if got, want := unpack(t, again), h.Render(); !bytes.Equal(got, want) {
		t.Fatal("second body differs from the render")
	}
	// The self-metrics (poll age and the like) may move between scrapes.
	if seg.reused < total-2 {
		t.Fatalf("unchanged snapshot: %d of %d segments reused", seg.reused, total)
	}

	// One value early in the exposition changes, its text the same length
	// (so only the digest tells): only its segment (and the self-metrics')
	// is compressed again, and every segment after it still decodes to the
	// new render.
	targets, _ := store.Targets()
	old := targets[0].Snapshot
	samples := append([]collector.Sample(nil), old.Samples...)
	if v := samples[3].Value; int64(v)%10 == 9 {
		samples[3].Value = v - 1
	} else {
		samples[3].Value = v + 1
	}
	changed := &collector.Snapshot{Target: old.Target, Kind: old.Kind, Time: old.Time, Samples: samples}
	store.Success("kea1", changed, time.Second, 0)
	third := gzipScrape(h)
	want := h.Render()
	if got := unpack(t, third); !bytes.Equal(got, want) {
		t.Fatalf("after a change the body unpacks to %d bytes, the render is %d", len(got), len(want))
	}
	if seg.compressed < 1 || seg.compressed > 3 {
		t.Fatalf("one value changed: %d segments compressed again, want 1 to 3 (%d reused)", seg.compressed, seg.reused)
	}

	// A series gone shifts the segments after it: they are compressed
	// again, and the body is still the render.
	fewer := &collector.Snapshot{Target: old.Target, Kind: old.Kind, Time: old.Time}
	fewer.Samples = append(append([]collector.Sample(nil), samples[:10]...), samples[11:]...)
	store.Success("kea1", fewer, time.Second, 0)
	if got, want := unpack(t, gzipScrape(h)), h.Render(); !bytes.Equal(got, want) {
		t.Fatal("after a series went the body differs from the render")
	}
}

// A segmented body is what a reader of gzip expects, at the edges too: no
// segment at all, an empty write, one byte.
func TestSegmentedGzipEdges(t *testing.T) {
	for name, parts := range map[string][]string{
		"empty":          nil,
		"empty write":    {""},
		"one byte":       {"x"},
		"several":        {"a b 1\n", "", "c d 2\n", "a b 1\n"},
		"incompressible": {string(bytes.Repeat([]byte{0, 255, 7, 3}, 40000))},
	} {
		t.Run(name, func(t *testing.T) {
			g := newSegmentedGzip()
			for round := range 2 {
				var body bytes.Buffer
				out := bufio.NewWriter(&body)
				g.start(out)
				var want []byte
				for _, p := range parts {
					g.Write([]byte(p))
					want = append(want, p...)
				}
				if err := g.finish(); err != nil {
					t.Fatal(err)
				}
				out.Flush()
				if got := unpack(t, body.Bytes()); !bytes.Equal(got, want) {
					t.Fatalf("round %d: unpacked %q, want %q", round, got, want)
				}
			}
		})
	}
}
