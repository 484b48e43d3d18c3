package prometheus

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"golang.org/x/sync/singleflight"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

const contentType = "text/plain; version=0.0.4; charset=utf-8"

// Handler serves /metrics from the store. Scrapes that arrive while a body
// of the same store generation is being rendered wait for it and share it
// (one render, and one compression for gzip), instead of rendering and
// compressing the 12 to 35 MB of 10,000 subnets once each: fifty scrapers
// at once cost one render, not fifty. The body is not kept once it is sent:
// holding it between scrapes would add the body to the daemon's memory,
// and the runtime metrics in it would go stale. A plain (not gzip) scrape
// alone streams its render as before rather than hold the whole body for
// one reader; a gzip body is a fourteenth of that and always shared, since
// Prometheus always asks for gzip. klauspost's gzip compresses in a third
// of the time of compress/gzip.
type Handler struct {
	cat   *catalog.Catalog
	store *collector.Store
	// runtime holds the process's own metrics (go_*, process_*,
	// ddiscope_build_info), gathered on every scrape.
	runtime prometheus.Gatherer
	log     *slog.Logger
	cross   []collector.CrossDeriver
	owned   ownedBuffers
	// shared holds the renders in progress, by store generation and
	// encoding; renders counts the bodies it built, streams the scrapes
	// rendered for themselves. plain counts the plain scrapes in flight.
	shared           singleflight.Group
	renders, streams atomic.Int64
	plain            atomic.Int64
	// sizes are the last shared bodies' lengths (plain, gzip): the next
	// one's buffer starts that large rather than doubling its way up.
	sizes [2]atomic.Int64
	// spare is the last gzip body that went to one scraper alone, kept to
	// build the next in: a fresh megabyte every scrape was a page fault per
	// 4 KB after the runtime gave the last one back.
	spare atomic.Pointer[[]byte]
	// streamEach turns sharing off: each scrape streams its own render, as
	// before sharing; tests and the load benchmark compare the two.
	streamEach bool
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
	targets, _ := h.store.Targets()
	defer h.store.Release(targets...)
	bufs, owned := h.owned.take()
	defer h.owned.give(owned)
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
	gz := acceptsGzip(r)
	if gz {
		w.Header().Set("Content-Encoding", "gzip")
	} else {
		alone := h.plain.Add(1) == 1
		defer h.plain.Add(-1)
		if alone {
			h.streamOne(w, false)
			return
		}
	}
	if h.streamEach {
		h.streamOne(w, gz)
		return
	}
	// Scrapes of the same generation share one body: its snapshots are the
	// same, and the runtime metrics are gathered while they wait.
	targets, gen := h.store.Targets()
	defer h.store.Release(targets...) // after the render, which may be this scrape's
	key := strconv.FormatUint(gen, 10)
	if gz {
		key += "/gzip"
	}
	v, _, shared := h.shared.Do(key, func() (any, error) {
		return h.body(targets, gz), nil
	})
	body := v.([]byte)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if _, err := w.Write(body); err != nil {
		h.log.Debug("writing /metrics", "err", err) // the scraper went away
	}
	if gz && !shared {
		h.spare.Store(&body) // nobody else has it
	}
}

// streamOne streams a render of its own to one scraper.
func (h *Handler) streamOne(w io.Writer, gz bool) {
	h.streams.Add(1)
	targets, _ := h.store.Targets()
	defer h.store.Release(targets...)
	if err := h.stream(w, targets, gz); err != nil {
		h.log.Debug("writing /metrics", "err", err) // the scraper went away
	}
}

// body renders one whole response body, gzipped when gz.
func (h *Handler) body(targets []*collector.TargetStatus, gz bool) []byte {
	h.renders.Add(1)
	size := &h.sizes[0]
	if gz {
		size = &h.sizes[1]
	}
	want := int(size.Load() + size.Load()/8)
	var b []byte
	if gz {
		if p := h.spare.Swap(nil); p != nil && cap(*p) >= want {
			b = (*p)[:0]
		}
	}
	if b == nil {
		b = make([]byte, 0, want)
	}
	buf := bytes.NewBuffer(b)
	h.stream(buf, targets, gz) // a bytes.Buffer never fails
	size.Store(int64(buf.Len()))
	return buf.Bytes()
}

// stream writes the exposition of targets and the runtime metrics to w,
// gzipped when gz.
func (h *Handler) stream(w io.Writer, targets []*collector.TargetStatus, gz bool) error {
	bufs, owned := h.owned.take()
	defer h.owned.give(owned)
	out := w
	switch {
	case gz && owned:
		out = bufs.segmentsTo(w)
		defer bufs.finishSegments()
	case gz:
		out = bufs.gzipTo(w)
		defer bufs.finish()
	}
	if err := h.writeTargets(out, targets, bufs); err != nil {
		return err
	}
	if h.runtime == nil {
		return nil
	}
	mfs, err := h.runtime.Gather()
	if err != nil {
		h.log.Warn("gathering runtime metrics", "err", err)
	}
	// Gathered whole and written at once: one segment of the gzip body.
	bufs.runtime.Reset()
	enc := expfmt.NewEncoder(&bufs.runtime, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	_, err = out.Write(bufs.runtime.Bytes())
	return err
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
