package prometheus

import (
	"bytes"
	"compress/gzip"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves /metrics from the store. The body is rendered once per
// change of the store and cached, with its gzip form made on first demand:
// scrapes between two polls cost a copy.
type Handler struct {
	cat   *catalog.Catalog
	store *collector.Store
	// runtime holds the process's own metrics (go_*, process_*,
	// ddiscope_build_info), gathered fresh on every scrape.
	runtime prometheus.Gatherer
	log     *slog.Logger

	mu    sync.Mutex
	gen   uint64
	valid bool
	body  []byte
	gz    []byte
}

// NewHandler builds the /metrics handler.
func NewHandler(cat *catalog.Catalog, store *collector.Store, runtime prometheus.Gatherer, log *slog.Logger) *Handler {
	return &Handler{cat: cat, store: store, runtime: runtime, log: log}
}

// Render returns the exposition of every target's snapshot and self-metrics.
func (h *Handler) Render() []byte {
	body, _ := h.render(false)
	return body
}

func (h *Handler) render(wantGzip bool) ([]byte, []byte) {
	targets, gen := h.store.Targets()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.valid || gen != h.gen {
		sets := make([][]collector.Sample, 0, len(targets)+1)
		size := 0
		for _, t := range targets {
			if t.Snapshot != nil {
				sets = append(sets, t.Snapshot.Samples)
				size += len(t.Snapshot.Samples)
			}
		}
		sets = append(sets, selfSamples(h.cat, targets))
		// Sized from the last body, to avoid regrowing a 30 MB buffer.
		h.body = appendExposition(make([]byte, 0, max(len(h.body)+len(h.body)/8, size*150)+4096), h.cat, sets)
		h.gz, h.gen, h.valid = nil, gen, true
	}
	if wantGzip && h.gz == nil {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(h.body)
		zw.Close()
		h.gz = buf.Bytes()
	}
	return h.body, h.gz
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	gz := acceptsGzip(r)
	body, zbody := h.render(gz)
	var tail bytes.Buffer
	if h.runtime != nil {
		mfs, err := h.runtime.Gather()
		if err != nil {
			h.log.Warn("gathering runtime metrics", "err", err)
		}
		enc := expfmt.NewEncoder(&tail, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			enc.Encode(mf)
		}
	}
	w.Header().Set("Content-Type", contentType)
	if gz {
		// A gzip stream may be followed by another member: gunzip reads both.
		var zt bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&zt, gzip.BestSpeed)
		zw.Write(tail.Bytes())
		zw.Close()
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(zbody)+zt.Len()))
		w.Write(zbody)
		w.Write(zt.Bytes())
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+tail.Len()))
	w.Write(body)
	w.Write(tail.Bytes())
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		if strings.TrimSpace(strings.SplitN(part, ";", 2)[0]) == "gzip" {
			return true
		}
	}
	return false
}

// ProbeFunc polls one configured target live; ok is false for an unknown name.
type ProbeFunc func(ctx context.Context, target string) (p collector.Poller, ok bool)

// ProbeHandler serves /probe?target=NAME: the named target polled now, with
// a deadline from Prometheus's X-Prometheus-Scrape-Timeout-Seconds header (less
// half a second for the reply), as blackbox_exporter does.
func ProbeHandler(cat *catalog.Catalog, newPoller ProbeFunc, defaultTimeout time.Duration) http.Handler {
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
		p, ok := newPoller(ctx, name)
		if !ok {
			http.Error(w, "probe: unknown target "+strconv.Quote(name), http.StatusNotFound)
			return
		}
		store := collector.NewStore()
		store.Register(p.Name(), p.Kind())
		start := time.Now()
		snap, unknown, err := p.Poll(ctx)
		if err != nil {
			store.Failure(p.Name(), reasonOf(err), err, time.Since(start))
		} else {
			store.Success(p.Name(), snap, time.Since(start), unknown)
		}
		body := NewHandler(cat, store, nil, nil).Render()
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	})
}
