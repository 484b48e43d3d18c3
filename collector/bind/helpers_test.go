package bind

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

func testCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New(catalog.All())
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func newTestPoller(t testing.TB, opts Options) *Poller {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "ns1"
	}
	p, err := NewPoller(opts, testCatalog(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// stillClock makes a poller's clock stand still, for samples that carry the
// poll's time (bind_zone_statistics_timestamp_seconds) in golden files.
func stillClock(p *Poller) *Poller {
	at := time.Date(2026, 11, 21, 21, 21, 0, 0, time.UTC)
	p.now = func() time.Time { return at }
	return p
}

// fixtureChannel serves a statistics channel from files: the file for
// /json/v1/server is <dir>/<prefix>-json-v1-server.json, for /json/v1
// <prefix>-json-v1.json, /xml/v3/zones <prefix>-xml-v3-zones.xml. Any other
// path answers 404 "No such URL", as BIND's httpd does.
func fixtureChannel(t testing.TB, dir, prefix string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(fixtureHandler(dir, prefix))
	t.Cleanup(srv.Close)
	return srv
}

func fixtureHandler(dir, prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.ReplaceAll(strings.Trim(r.URL.Path, "/"), "/", "-")
		ext := ".json"
		if strings.HasPrefix(name, "xml") {
			ext = ".xml"
		}
		body, err := os.ReadFile(filepath.Join(dir, prefix+"-"+name+ext))
		if err != nil || name == "" {
			http.Error(w, "No such URL.", http.StatusNotFound)
			return
		}
		w.Write(body)
	}
}

// poll polls once and fails the test on error.
func poll(t testing.TB, p *Poller) *collector.Snapshot {
	t.Helper()
	snap, _, err := p.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return snap
}

// lines renders a snapshot as sorted `name{label="value",…} value` lines,
// labels in catalog order after server.
func lines(snap *collector.Snapshot) []string {
	out := make([]string, 0, len(snap.Samples))
	for _, s := range snap.Samples {
		out = append(out, line(&s))
	}
	slices.Sort(out)
	return out
}

func line(s *collector.Sample) string {
	var b strings.Builder
	b.WriteString(s.Metric.Name)
	b.WriteByte('{')
	for i, l := range s.Metric.Labels() {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(s.ID.Values) {
			v = s.ID.Values[i]
		} else {
			v = s.ExtraValues()[i-len(s.ID.Values)]
		}
		fmt.Fprintf(&b, "%s=%q", l, v)
	}
	b.WriteString("} ")
	b.WriteString(strconv.FormatFloat(s.Value, 'f', -1, 64))
	return b.String()
}

// value finds one series by name and labels ("view", "_default", …) and
// reports whether it is there.
func value(snap *collector.Snapshot, name string, labels ...string) (float64, bool) {
	for _, s := range snap.Samples {
		if s.Metric.Name != name {
			continue
		}
		all := s.Metric.Labels()
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			j := slices.Index(all, labels[i])
			if j < 0 {
				match = false
				break
			}
			var v string
			if j < len(s.ID.Values) {
				v = s.ID.Values[j]
			} else {
				v = s.ExtraValues()[j-len(s.ID.Values)]
			}
			if v != labels[i+1] {
				match = false
				break
			}
		}
		if match {
			return s.Value, true
		}
	}
	return 0, false
}

func mustValue(t testing.TB, snap *collector.Snapshot, name string, labels ...string) float64 {
	t.Helper()
	v, ok := value(snap, name, labels...)
	if !ok {
		t.Fatalf("no series %s%v", name, labels)
	}
	return v
}

// without drops the lines of the named metric families.
func without(ls []string, families ...string) []string {
	return slices.DeleteFunc(slices.Clone(ls), func(l string) bool {
		name, _, _ := strings.Cut(l, "{")
		return slices.Contains(families, name)
	})
}

// channelMoving are the families the statistics channel's own HTTP
// connections and allocations move between two requests.
func channelMoving(cat *catalog.Catalog) []string {
	var out []string
	for _, m := range cat.Metrics {
		for _, s := range m.Source {
			if strings.HasPrefix(s.Stat, "sockstats.") || strings.HasPrefix(s.Stat, "memory.") {
				out = append(out, m.Name)
				break
			}
		}
	}
	return out
}
