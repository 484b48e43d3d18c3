package bind

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// Poller polls one BIND statistics channel. It is not safe for concurrent
// use: the poll loop calls it from one goroutine.
//
// A poll reads /server, /net, /mem, /traffic and (BIND 9.18) /tasks, each a
// few KB whatever the number of zones. With zones enabled, every
// ZoneInterval the poll instead reads the whole channel (/json/v1 or
// /xml/v3) once, zones included, and the polls in between reuse those zone
// samples: zones are what costs named CPU (20 ms for /json/v1/zones at
// 3,000 zones, 370 ms for /xml/v3/zones).
type Poller struct {
	opts   Options
	client *client
	cat    *catalog.Catalog
	table  *table
	log    *slog.Logger
	now    func() time.Time
	id     *collector.Identity
	names  *interner
	ext    *extraCache

	format    string // FormatJSON or FormatXML once known
	noTasks   bool   // /tasks answered 404 (BIND 9.20 and later)
	noTraffic bool   // /traffic answered 404 (before BIND 9.12)
	boot      string // boot-time of the last poll: a change means named restarted

	zonesAt     time.Time          // last zone read, successful or not
	zonesOK     time.Time          // last successful zone read
	zoneErr     error              // why the last zone read failed, or nil
	zoneSamples []collector.Sample // the last read's samples, reused until the next
	zoneUnknown int

	buf     []byte // reply buffer for the small requests, reused
	scratch []collector.Sample
	// recycler lends the memory of an older snapshot nobody reads any
	// more to the next.
	recycler collector.Recycler
	logged   map[string]bool // unknown statistics already logged
}

// NewPoller checks opts and builds a poller. It reads the password file and
// the TLS files now, so that a bad path is reported at start-up or reload.
// It does no I/O on the network.
func NewPoller(opts Options, cat *catalog.Catalog, log *slog.Logger) (*Poller, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Poller{opts: opts, client: c, cat: cat, table: newTable(cat), log: log.With("target", opts.Name, "kind", "bind"),
		now: time.Now, id: collector.NewIdentity(catalog.ScopeGlobal, opts.Name),
		names: newInterner(), ext: newExtraCache(), logged: map[string]bool{}}
	if opts.Format != FormatAuto {
		p.format = opts.Format
	}
	return p, nil
}

// Name is the target's name.
func (p *Poller) Name() string { return p.opts.Name }

// Kind is "bind".
func (p *Poller) Kind() string { return "bind" }

// Close releases idle connections.
func (p *Poller) Close() { p.client.close() }

// Poll reads the statistics channel and builds a snapshot. Any request
// failing fails the poll with a *collector.Error naming the path; a path this
// BIND does not serve (/tasks on 9.20) is left out instead. A zone read
// that fails while the rest of the channel answers does not fail the poll:
// bind_zone_statistics_up goes to 0 and zones are tried again a zone
// interval later.
func (p *Poller) Poll(ctx context.Context) (*collector.Snapshot, int, error) {
	now := p.now()
	b := p.newBuilder()
	zonesDue := p.opts.Zones && (p.zonesAt.IsZero() || now.Sub(p.zonesAt) >= p.opts.ZoneInterval)
	zonesRead := false
	if zonesDue {
		b.zones = make([]collector.Sample, 0, len(p.zoneSamples)+64) // zones change little between reads
		err := p.read(ctx, b, epAll)
		if err == nil {
			zonesRead = true
		} else {
			if ctx.Err() != nil {
				return nil, 0, err
			}
			b = p.newBuilder() // drop what the failed reply left
			if err := p.readServer(ctx, b); err != nil {
				return nil, 0, err // the channel is down, not just its zones: zones next poll
			}
			if p.zoneErr == nil {
				p.log.Warn("zone statistics could not be read; the other statistics are exported, zones are tried again after the zone interval",
					"err", err, "zone_interval", p.opts.ZoneInterval)
			}
			p.zoneErr, p.zonesAt, p.zoneSamples, p.zoneUnknown = err, now, nil, 0
		}
	} else if err := p.readServer(ctx, b); err != nil {
		return nil, 0, err
	}
	b.finish()
	p.noteRestart(b.boot, zonesRead)
	n := len(p.cat.Metrics)
	if zonesRead {
		// Grouped once per zone read; the polls in between merge them in.
		z := collector.Snapshot{Samples: b.zones}
		z.Group(n)
		p.zonesAt, p.zonesOK, p.zoneErr = now, now, nil
		p.zoneSamples, p.zoneUnknown = z.Samples, b.zoneUnknown
	}
	if p.opts.Zones {
		p.zoneStatus(b)
	}
	// Grouped in place, in the scratch buffer the next poll reuses: the
	// snapshot gets a copy (or the merge with the zones).
	server := collector.Snapshot{Samples: b.samples}
	server.Group(n)
	p.scratch = b.samples[:0]
	unknown := b.unknown
	if p.opts.Zones && !zonesRead {
		unknown += p.zoneUnknown
	}
	snap := &collector.Snapshot{Target: p.opts.Name, Kind: "bind", Time: now}
	mem := p.recycler.Memory(len(server.Samples) + len(p.zoneSamples))
	if p.opts.Zones {
		snap.Samples = mergeGrouped(mem, server.Samples, p.zoneSamples)
	} else {
		snap.Samples = append(mem, server.Samples...)
	}
	if snap.Samples == nil {
		snap.Samples = []collector.Sample{} // as slices.Clone made it before
	}
	clear(snap.Samples[len(snap.Samples):cap(snap.Samples)]) // hold on to nothing of an older poll
	p.recycler.Made(snap)
	return snap, unknown, nil
}

func (p *Poller) newBuilder() *builder {
	return newBuilder(p.table, p.id, p.names, p.ext, p.noteUnknown, p.scratch)
}

// readServer reads what every poll reads: all but zones.
func (p *Poller) readServer(ctx context.Context, b *builder) error {
	for _, ep := range []endpoint{epServer, epNet, epMem, epTraffic, epTasks} {
		if (ep == epTasks && p.noTasks) || (ep == epTraffic && p.noTraffic) {
			continue
		}
		if err := p.read(ctx, b, ep); err != nil {
			return err
		}
	}
	return nil
}

// noteRestart notices a new boot time: a restart may be an upgrade, so
// paths found missing are asked for again, and zones (all reloaded) are
// read at the next poll.
func (p *Poller) noteRestart(boot string, zonesRead bool) {
	if boot == p.boot {
		return
	}
	if p.boot != "" {
		p.log.Info("named restarted", "boot_time", boot)
		p.noTasks, p.noTraffic = false, false
		if !zonesRead {
			p.zonesAt = time.Time{}
		}
	}
	p.boot = boot
}

// zoneStatus emits bind_zone_statistics_up and the time of the last
// successful zone read.
func (p *Poller) zoneStatus(b *builder) {
	if m := p.table.metric["bind_zone_statistics_up"]; m != nil {
		v := 1.0
		if p.zoneErr != nil {
			v = 0
		}
		b.samples = append(b.samples, collector.Sample{Metric: m, ID: p.id, Value: v})
	}
	if m := p.table.metric["bind_zone_statistics_timestamp_seconds"]; m != nil && !p.zonesOK.IsZero() {
		b.samples = append(b.samples, collector.Sample{Metric: m, ID: p.id, Value: float64(p.zonesOK.UnixMilli()) / 1000})
	}
}

// mergeGrouped merges two sample lists grouped by metric (Snapshot.Group)
// into out's memory (a new slice when it is too small), a's samples of a
// metric before b's: at 3,000 zones this costs a copy, where grouping the
// zone samples again would cost a sort.
func mergeGrouped(out, a, b []collector.Sample) []collector.Sample {
	if cap(out) < len(a)+len(b) {
		out = make([]collector.Sample, 0, len(a)+len(b))
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i].Metric.Index <= b[j].Metric.Index {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// read fetches one endpoint and parses it into b.
func (p *Poller) read(ctx context.Context, b *builder, ep endpoint) error {
	if p.format == "" {
		if err := p.detect(ctx); err != nil {
			return err
		}
	}
	path := ep.path(p.format)
	buf := p.buf
	if ep == epAll {
		buf = nil // the big reply is not kept between zone reads
	}
	body, err := p.client.get(ctx, path, buf)
	if ep != epAll {
		p.buf = body[:0]
	}
	if err != nil {
		var ke *collector.Error
		if errors.As(err, &ke) && ke.Status == http.StatusNotFound {
			switch ep {
			case epTasks:
				p.noTasks = true
				p.log.Info("the statistics channel has no task manager statistics (BIND 9.20 and later): bind_tasks_running is not exported", "path", path)
				return nil
			case epTraffic:
				p.noTraffic = true
				p.log.Info("the statistics channel has no traffic statistics (BIND before 9.12)", "path", path)
				return nil
			}
			if p.opts.Format == FormatAuto {
				p.format = "" // detect again next poll
			}
		}
		return err
	}
	parse := parseJSON
	if p.format == FormatXML {
		parse = parseXML
	}
	if err := parse(body, b); err != nil {
		return &collector.Error{Target: p.opts.Name, Command: command(path), Reason: collector.ReasonMalformed, Err: err}
	}
	covers := ep
	if ep == epAll {
		covers = epEverything
	}
	b.endReply(covers)
	return nil
}

// detect picks the format for Format "auto": JSON, unless the channel
// answers 404 for it (BIND built without json-c), then XML.
func (p *Poller) detect(ctx context.Context) error {
	path := epServer.path(FormatJSON)
	body, err := p.client.get(ctx, path, p.buf)
	p.buf = body[:0]
	var ke *collector.Error
	switch {
	case err == nil:
		p.format = FormatJSON
	case errors.As(err, &ke) && ke.Status == http.StatusNotFound:
		p.format = FormatXML
	default:
		return err
	}
	p.log.Info("statistics channel format", "format", p.format)
	return nil
}

// noteUnknown logs a statistic the catalog does not know, once per name.
// The set is bounded so that a server sending garbage names cannot grow it.
func (p *Poller) noteUnknown(section, name string) {
	key := section + "." + name
	if p.logged[key] || len(p.logged) >= 1000 {
		return
	}
	p.logged[key] = true
	p.log.Warn("bind statistic not in the catalog: counted in ddiscope_unknown_statistics, not exported", "statistic", key)
}
