package prometheus

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

func reasonOf(err error) collector.Reason { return collector.ReasonOf(err) }

// Collector presents the store as a prometheus.Collector, for registries
// that want it (tests use it with testutil.CollectAndLint and
// CollectAndCompare). /metrics uses the faster appendExposition over the same
// samples; a golden test checks they agree.
type Collector struct {
	cat   *catalog.Catalog
	store *collector.Store
	descs map[*catalog.Metric]*prometheus.Desc
}

func NewCollector(cat *catalog.Catalog, store *collector.Store) *Collector {
	c := &Collector{cat: cat, store: store, descs: map[*catalog.Metric]*prometheus.Desc{}}
	for _, m := range cat.Metrics {
		c.descs[m] = prometheus.NewDesc(m.Name, m.Help, m.Labels(), nil)
	}
	return c
}

func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	targets, _ := c.store.Targets()
	defer c.store.Release(targets...)
	emit := func(s *collector.Sample) {
		t := prometheus.GaugeValue
		if s.Metric.Type == catalog.Counter {
			t = prometheus.CounterValue
		}
		vals := append(append(make([]string, 0, len(s.ID.Values)+len(s.ExtraValues())), s.ID.Values...), s.ExtraValues()...)
		m, err := prometheus.NewConstMetric(c.descs[s.Metric], t, s.Value, vals...)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(c.descs[s.Metric], err)
			return
		}
		ch <- m
	}
	for _, t := range targets {
		if t.Snapshot != nil {
			for i := range t.Snapshot.Samples {
				emit(&t.Snapshot.Samples[i])
			}
		}
	}
	self := collector.SelfSamples(c.cat, targets)
	for i := range self {
		emit(&self[i])
	}
}
