package bind

import (
	"math"

	"github.com/ddiscope/ddiscope/catalog"
	"github.com/ddiscope/ddiscope/collector"
)

// builder turns what the JSON and XML parsers read into samples. Both
// parsers call the same methods, so that the two formats cannot drift apart:
// the counters of a section between beginSection and endSection, views
// between beginView and endView, zones whole through zone.
type builder struct {
	t     *table
	id    *collector.Identity // the server's identity, shared by every sample
	names *interner           // view names and wildcard counter names, kept across polls
	ext   *extraCache         // label sets of server and view samples, kept across polls

	samples []collector.Sample // server and view samples of this poll
	zones   []collector.Sample // zone samples, when this poll reads zones
	labels  labelSlab          // label values of zone samples

	unknown     int // counters the catalog does not know, this poll
	zoneUnknown int // of which in zones
	noteUnknown func(section, name string)

	version [2]int // BIND's major and minor version, from the header
	boot    string // boot-time as BIND printed it
	header  bool   // boot, config and version already emitted this poll

	sec       *section            // the section being read
	seen      []bool              // its exact counters seen so far
	seenNames map[string]struct{} // its wildcard counters seen so far

	view         string
	viewResolver bool   // the view had resolver statistics in this reply
	viewSeen     []bool // view-level fill sections seen for this view
	serverSeen   []bool // server-level fill sections seen this poll

	tasks taskCount
}

// taskCount is what the task manager reported: BIND 9.16 and earlier give
// tasks-running and worker-threads, 9.18 lists its tasks, 9.20 has none.
type taskCount struct {
	seen           bool
	listed         bool // a task list was there
	total, running int
	reportedRun    float64 // taskmgr.tasks-running, NaN when absent
	workers        float64 // taskmgr.worker-threads, NaN when absent
}

func newTaskCount() taskCount { return taskCount{reportedRun: math.NaN(), workers: math.NaN()} }

func newBuilder(t *table, id *collector.Identity, names *interner, ext *extraCache, note func(section, name string), buf []collector.Sample) *builder {
	return &builder{t: t, id: id, names: names, ext: ext, noteUnknown: note, samples: buf[:0],
		serverSeen: make([]bool, len(t.byLevel[levelServer])),
		viewSeen:   make([]bool, len(t.byLevel[levelView])),
		tasks:      newTaskCount()}
}

// header records the values every reply starts with. Only the first reply
// of a poll emits them.
func (b *builder) headerValues(boot, config, version []byte) {
	if b.header {
		return
	}
	b.header = true
	b.boot = string(boot)
	b.version = parseVersion(version)
	if ts, ok := parseTime(boot); ok && b.t.boot != nil {
		b.emit(b.t.boot, nil, ts)
	}
	if ts, ok := parseTime(config); ok && b.t.config != nil {
		b.emit(b.t.config, nil, ts)
	}
	if m := b.t.metric["bind_build_info"]; m != nil && len(version) > 0 {
		b.samples = append(b.samples, collector.Sample{Metric: m, ID: b.id, Extra: b.ext.get(m, string(version)), Value: 1})
	}
}

// beginSection starts the counters of a section; sec may be nil for a
// section the catalog does not know, whose counters are then ignored.
func (b *builder) beginSection(sec *section) {
	b.sec = sec
	if sec == nil {
		return
	}
	if cap(b.seen) < len(sec.filled) {
		b.seen = make([]bool, len(sec.filled))
	}
	b.seen = b.seen[:len(sec.filled)]
	clear(b.seen)
	clear(b.seenNames)
	switch sec.level {
	case levelServer:
		if sec.fill {
			b.serverSeen[sec.fillIdx] = true
		}
	case levelView:
		b.viewResolver = true
		if sec.fill {
			b.viewSeen[sec.fillIdx] = true
		}
	}
}

// counter is one counter of the current section. A counter listed twice
// (BIND never does) is exported once: a scrape must not repeat a series.
func (b *builder) counter(name []byte, v float64) {
	sec := b.sec
	if sec == nil {
		return
	}
	bd := sec.exact[string(name)]
	if bd == nil {
		bd = sec.wild
	}
	if bd == nil {
		if v != 0 { // an unknown 0 loses nothing, and XML lists zeros JSON leaves out
			b.unknown++
			b.noteUnknown(sec.name, string(name))
		}
		return
	}
	if bd.name != catalog.Wildcard {
		if b.seen[bd.idx] {
			return
		}
		b.seen[bd.idx] = true
	} else {
		if _, dup := b.seenNames[string(name)]; dup {
			return
		}
		if b.seenNames == nil {
			b.seenNames = map[string]struct{}{}
		}
		b.seenNames[b.names.intern(name)] = struct{}{}
	}
	b.emit(bd, name, v)
}

// endSection fills the known counters BIND left out of a fixed section.
func (b *builder) endSection() {
	sec := b.sec
	b.sec = nil
	if sec == nil || !sec.fill {
		return
	}
	for i, bd := range sec.filled {
		if !b.seen[i] && b.fills(bd) {
			b.emit(bd, nil, 0)
		}
	}
}

// fills reports whether a missing counter is 0 on this BIND version.
func (b *builder) fills(bd *binding) bool {
	if bd.since == [2]int{} {
		return true
	}
	return b.version[0] > bd.since[0] || (b.version[0] == bd.since[0] && b.version[1] >= bd.since[1])
}

// fillMissing fills the fixed sections of a level that a reply left out
// altogether: JSON omits nsstats until the first query.
func (b *builder) fillMissing(lvl level, seen []bool, eps endpoint) {
	for i, sec := range b.t.byLevel[lvl] {
		if seen[i] || (lvl == levelServer && eps&sec.owner == 0) {
			continue
		}
		b.beginSection(sec)
		b.endSection()
	}
}

func (b *builder) beginView(name []byte) {
	b.view = b.names.intern(name)
	b.viewResolver = false
	clear(b.viewSeen)
}

func (b *builder) endView() {
	if b.viewResolver {
		b.fillMissing(levelView, b.viewSeen, 0)
	}
	b.view = ""
}

// endReply finishes a reply that held the sections of eps.
func (b *builder) endReply(eps endpoint) {
	b.fillMissing(levelServer, b.serverSeen, eps)
}

// emit appends one server or view sample. name is the counter's name, for
// a wildcard binding.
func (b *builder) emit(bd *binding, name []byte, v float64) {
	var extra *[]string
	switch {
	case bd.constP != nil:
		extra = bd.constP
	case len(bd.consts) > 0:
		var n string
		if bd.namePos >= 0 {
			n = b.names.intern(name)
		}
		extra = b.ext.binding(bd, b.view, n)
	}
	b.samples = append(b.samples, collector.Sample{Metric: bd.metric, ID: b.id, Extra: extra, Value: v})
}

// zoneCounter is a counter of a zone, kept until the zone's name is known.
type zoneCounter struct {
	sec  *section
	name []byte
	v    float64
}

// zoneRec is one zone as a parser read it. Byte slices point into the reply.
type zoneRec struct {
	name, class, typ         []byte
	serial                   float64 // NaN when BIND has none (a secondary not loaded yet)
	loaded, expires, refresh float64 // Unix seconds, NaN when absent
	counters                 []zoneCounter
}

func (z *zoneRec) reset() {
	*z = zoneRec{serial: math.NaN(), loaded: math.NaN(), expires: math.NaN(), refresh: math.NaN(), counters: z.counters[:0]}
}

// zone emits a zone's samples into b.zones. Zones are read rarely but in
// thousands: names are interned (the same from one read to the next) and
// label values carved from slabs rather than allocated one by one.
func (b *builder) zone(z *zoneRec) {
	name := b.names.intern(z.name)
	pair := b.labels.make(2)
	(*pair)[0], (*pair)[1] = b.view, name
	if sec := b.t.sections["zones"]; sec != nil {
		for _, f := range [...]struct {
			stat string
			v    float64
		}{{"serial", z.serial}, {"loaded", z.loaded}, {"expires", z.expires}, {"refresh", z.refresh}} {
			if bd := sec.exact[f.stat]; bd != nil && !math.IsNaN(f.v) {
				b.zones = append(b.zones, collector.Sample{Metric: bd.metric, ID: b.id, Extra: pair, Value: f.v})
			}
		}
	}
	if m := b.t.metric["bind_zone_info"]; m != nil {
		info := b.labels.make(4)
		(*info)[0], (*info)[1], (*info)[2], (*info)[3] = b.view, name, b.names.intern(z.typ), b.names.intern(z.class)
		b.zones = append(b.zones, collector.Sample{Metric: m, ID: b.id, Extra: info, Value: 1})
	}
	for _, c := range z.counters {
		if c.v == 0 && c.sec.dropZero {
			continue
		}
		bd := c.sec.exact[string(c.name)]
		if bd == nil {
			bd = c.sec.wild
		}
		if bd == nil {
			b.unknown++
			b.zoneUnknown++
			b.noteUnknown(c.sec.name, string(c.name))
			continue
		}
		var cn string
		if bd.namePos >= 0 {
			cn = b.names.intern(c.name)
		}
		extra := b.labels.make(len(bd.consts))
		copy(*extra, bd.consts)
		fillPositions(*extra, bd, b.view, name, cn)
		b.zones = append(b.zones, collector.Sample{Metric: bd.metric, ID: b.id, Extra: extra, Value: c.v})
	}
}

// labelSlab hands out label value slices from large chunks. A chunk is
// never grown, so the pointers handed out stay valid.
type labelSlab struct {
	strs []string
	hdrs [][]string
}

func (s *labelSlab) make(n int) *[]string {
	if cap(s.strs)-len(s.strs) < n {
		s.strs = make([]string, 0, max(4096, n))
	}
	if len(s.hdrs) == cap(s.hdrs) {
		s.hdrs = make([][]string, 0, 1024)
	}
	start := len(s.strs)
	s.strs = s.strs[:start+n]
	s.hdrs = append(s.hdrs, s.strs[start:start+n:start+n])
	return &s.hdrs[len(s.hdrs)-1]
}

func fillPositions(vals []string, bd *binding, view, zone, name string) {
	if bd.viewPos >= 0 {
		vals[bd.viewPos] = view
	}
	if bd.zonePos >= 0 {
		vals[bd.zonePos] = zone
	}
	if bd.namePos >= 0 {
		vals[bd.namePos] = name
	}
}

// taskManager records the task manager's summary.
func (b *builder) taskManager(tc taskCount) {
	tc.seen = true
	b.tasks = tc
}

// finish emits what is computed over the whole poll: bind_up and the task
// counts.
func (b *builder) finish() {
	if m := b.t.metric["bind_up"]; m != nil {
		b.samples = append(b.samples, collector.Sample{Metric: m, ID: b.id, Value: 1})
	}
	if !b.tasks.seen {
		return
	}
	if m := b.t.metric["bind_tasks"]; m != nil && b.tasks.listed {
		b.samples = append(b.samples, collector.Sample{Metric: m, ID: b.id, Value: float64(b.tasks.total)})
	}
	if m := b.t.metric["bind_tasks_running"]; m != nil {
		switch {
		case !math.IsNaN(b.tasks.reportedRun):
			b.samples = append(b.samples, collector.Sample{Metric: m, ID: b.id, Value: b.tasks.reportedRun})
		case b.tasks.listed:
			b.samples = append(b.samples, collector.Sample{Metric: m, ID: b.id, Value: float64(b.tasks.running)})
		}
	}
	if sec := b.t.sections["taskmgr"]; sec != nil && !math.IsNaN(b.tasks.workers) {
		if bd := sec.exact["worker-threads"]; bd != nil {
			b.emit(bd, nil, b.tasks.workers)
		}
	}
}
