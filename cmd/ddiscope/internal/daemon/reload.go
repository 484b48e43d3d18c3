package daemon

import (
	"sync"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// Reloads remembers how the last configuration load went, for
// ddiscope_config_last_reload_successful and
// ddiscope_config_last_reload_success_timestamp_seconds.
type Reloads struct {
	ok, at *catalog.Metric
	id     *collector.Identity

	mu          sync.Mutex
	successful  bool
	lastSuccess time.Time
}

// NewReloads starts with the configuration loaded at start-up, which
// succeeded at loaded: ddiscope does not start on a bad one.
func NewReloads(cat *catalog.Catalog, loaded time.Time) *Reloads {
	return &Reloads{ok: cat.Metric("ddiscope_config_last_reload_successful"),
		at: cat.Metric("ddiscope_config_last_reload_success_timestamp_seconds"),
		id: collector.NewIdentity(catalog.ScopeProcess), successful: true, lastSuccess: loaded}
}

// Record notes the outcome of a reload that ended at now.
func (r *Reloads) Record(err error, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.successful = err == nil
	if err == nil {
		r.lastSuccess = now
	}
}

// Deriver hands the two samples to /metrics and the OTLP push.
func (r *Reloads) Deriver() collector.CrossDeriver {
	return func([]*collector.Snapshot) []collector.Sample {
		if r.ok == nil || r.at == nil {
			return nil
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		ok := 0.0
		if r.successful {
			ok = 1
		}
		return []collector.Sample{
			{Metric: r.ok, ID: r.id, Value: ok},
			{Metric: r.at, ID: r.id, Value: float64(r.lastSuccess.UnixNano()) / 1e9},
		}
	}
}
