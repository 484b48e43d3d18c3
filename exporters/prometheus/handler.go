package prometheus

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves /metrics from the store. Every scrape renders the latest
// snapshots anew, streaming: at 10,000 subnets the body is 12 MB, and holding
// it (and its gzip form) between scrapes would double the daemon's memory
// for a render that costs ~12 ms. Prometheus asks for gzip; klauspost's gzip
// compresses in a third of the time of compress/gzip.
type Handler struct {
	cat   *catalog.Catalog
	store *collector.Store
	// runtime holds the process's own metrics (go_*, process_*,
	// ddiscope_build_info), gathered on every scrape.
	runtime prometheus.Gatherer
	log     *slog.Logger
	cross   []collector.CrossDeriver
	owned   ownedBuffers
}

// NewHandler builds the /metrics handler.
// cross computes facts across targets (zone serial drift, HA pairs) from
// the same snapshots.
func NewHandler(cat *catalog.Catalog, store *collector.Store, runtime prometheus.Gatherer, log *slog.Logger, cross ...collector.CrossDeriver) *Handler {
	return &Handler{cat: cat, store: store, runtime: runtime, log: log, cross: cross}
}

// Render returns the exposition of every target's snapshot and
// self-metrics, without the runtime metrics.
func (h *Handler) Render() []byte {
	var buf bytes.Buffer
	h.write(&buf)
	return buf.Bytes()
}

// write streams the exposition to w.
func (h *Handler) write(w io.Writer) error {
	bufs, owned := h.owned.take()
	defer h.owned.give(owned)
	return h.writeWith(w, bufs)
}

// writeWith streams the exposition of the store's targets to w, rendering
// in bufs.
func (h *Handler) writeWith(w io.Writer, bufs *scrapeBuffers) error {
	targets, _ := h.store.Targets()
	return h.writeTargets(w, targets, bufs)
}

// writeTargets streams the exposition of these targets to w.
func (h *Handler) writeTargets(w io.Writer, targets []*collector.TargetStatus, bufs *scrapeBuffers) error {
	sets := make([][]collector.Sample, 0, len(targets)+2)
	for _, t := range targets {
		if t.Snapshot != nil {
			sets = append(sets, t.Snapshot.Samples)
		}
	}
	sets = append(sets, collector.Cross(h.cat, targets, h.cross))
	sets = append(sets, collector.SelfSamples(h.cat, targets))
	if bufs.render == nil {
		bufs.render = make([]byte, 0, 64<<10)
	}
	b, err := appendExposition(bufs.render[:0], h.cat, sets, func(b []byte) error {
		_, err := w.Write(b)
		return err
	})
	bufs.render = b[:0]
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", contentType)
	bufs, owned := h.owned.take()
	defer h.owned.give(owned)
	var out io.Writer = w
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		out = bufs.gzipTo(w)
		defer bufs.finish()
	}
	if err := h.writeWith(out, bufs); err != nil {
		h.log.Debug("writing /metrics", "err", err) // the scraper went away
		return
	}
	if h.runtime != nil {
		mfs, err := h.runtime.Gather()
		if err != nil {
			h.log.Warn("gathering runtime metrics", "err", err)
		}
		enc := expfmt.NewEncoder(out, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			enc.Encode(mf)
		}
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

// ProbeFunc polls one configured target live and returns its status after
// the poll; ok is false for an unknown name.
type ProbeFunc func(ctx context.Context, target string) (status *collector.TargetStatus, ok bool)

// ProbeHandler serves /probe?target=NAME: the named target polled now, with
// a deadline from Prometheus's X-Prometheus-Scrape-Timeout-Seconds header (less
// half a second for the reply), as blackbox_exporter does.
func ProbeHandler(cat *catalog.Catalog, probe ProbeFunc, defaultTimeout time.Duration) http.Handler {
	h := NewHandler(cat, nil, nil, nil)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("target")
		if name == "" {
			http.Error(w, "probe: the target parameter is missing (/probe?target=NAME, NAME from the configuration)", http.StatusBadRequest)
			return
		}
		timeout := defaultTimeout
		if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || secs <= 0 {
				http.Error(w, "probe: bad X-Prometheus-Scrape-Timeout-Seconds header "+strconv.Quote(v), http.StatusBadRequest)
				return
			}
			timeout = time.Duration(secs*float64(time.Second)) - 500*time.Millisecond
			if timeout < 100*time.Millisecond {
				timeout = 100 * time.Millisecond
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		status, ok := probe(ctx, name)
		if !ok {
			http.Error(w, "probe: unknown target "+strconv.Quote(name), http.StatusNotFound)
			return
		}
		var buf bytes.Buffer
		h.writeTargets(&buf, []*collector.TargetStatus{status}, &scrapeBuffers{})
		w.Header().Set("Content-Type", contentType)
		w.Write(buf.Bytes())
	})
}
